//! List cursors: the `next` a page answers and the `cursor` that continues from it.
//!
//! A cursor is opaque to callers and tamper-proof: URL-safe base64 (no padding) of
//!
//! ```text
//! version (1) | fingerprint (16) | id (12) | value kind (1) | value | MAC (16)
//! ```
//!
//! where the value is 8 bytes of milliseconds (`createdAt`, `updatedAt`), nothing (a
//! missing `fullname` or `email`) or a 2-byte length and UTF-8 text. The fingerprint is
//! an HMAC of the project, the filters and the sort, so a cursor continues only the list
//! it was issued for; the MAC, an HMAC of everything before it, makes any other change a
//! forgery. Both are keyed by a key derived from the token secret, never a constant, and
//! shared by every server of a deployment.

use crate::auth::DerivedKey;
use crate::store::text::query_words;
use crate::store::{After, LeadQuery, SortField, SortValue, StatusFilter};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: u8 = 1;
const FINGERPRINT_LEN: usize = 16;
const ID_LEN: usize = 12;
const MAC_LEN: usize = 16;
/// The spec's `maxLength` of a cursor: room for any sort value the spec allows (320
/// characters of email, up to 4 bytes each).
const MAX_CHARS: usize = 2048;

const KIND_NULL: u8 = 0;
const KIND_MILLIS: u8 = 1;
const KIND_TEXT: u8 = 2;

/// Why a `cursor` was refused: both answer 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not base64 of a cursor, or its MAC does not match: altered or forged.
    #[error(
        "`cursor` is not a cursor this server issued, or it was altered; \
         start again without `cursor`"
    )]
    Invalid,
    /// Authentic, but issued for another project, other filters or another sort.
    #[error(
        "`cursor` belongs to a list with other filters, another sort or another project; \
         send it with the filters and sort of the request that answered it"
    )]
    OtherList,
}

/// A position that no cursor can carry: a stored id that is not an ObjectId, or a
/// sort value longer than the spec allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the position of lead `{0}` does not fit in a cursor")]
pub struct Unrepresentable(pub String);

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &DerivedKey) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key.bytes()).expect("HMAC takes keys of any length")
}

/// The cursor of the position `at` in the list of `query` in `project_id`.
pub fn issue(
    key: &DerivedKey,
    project_id: &str,
    query: &LeadQuery,
    at: &After,
) -> Result<String, Unrepresentable> {
    let unrepresentable = || Unrepresentable(at.id.clone());
    let id = decode_object_id(&at.id).ok_or_else(unrepresentable)?;
    let mut bytes = Vec::with_capacity(64);
    bytes.push(VERSION);
    bytes.extend_from_slice(&fingerprint(key, project_id, query));
    bytes.extend_from_slice(&id);
    match &at.value {
        SortValue::Millis(ms) => {
            bytes.push(KIND_MILLIS);
            bytes.extend_from_slice(&ms.to_be_bytes());
        }
        SortValue::Text(None) => bytes.push(KIND_NULL),
        SortValue::Text(Some(text)) => {
            let len = u16::try_from(text.len()).map_err(|_| unrepresentable())?;
            bytes.push(KIND_TEXT);
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    let mut mac = mac(key);
    mac.update(&bytes);
    bytes.extend_from_slice(&mac.finalize().into_bytes()[..MAC_LEN]);
    let cursor = URL_SAFE_NO_PAD.encode(bytes);
    if cursor.len() > MAX_CHARS {
        return Err(unrepresentable());
    }
    Ok(cursor)
}

/// The position `cursor` carries, when this server issued it for the list of `query` in
/// `project_id`.
pub fn open(
    key: &DerivedKey,
    project_id: &str,
    query: &LeadQuery,
    cursor: &str,
) -> Result<After, CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| CursorError::Invalid)?;
    let body_len = bytes
        .len()
        .checked_sub(MAC_LEN)
        .ok_or(CursorError::Invalid)?;
    let (body, tag) = bytes.split_at(body_len);
    let mut mac = mac(key);
    mac.update(body);
    mac.verify_truncated_left(tag)
        .map_err(|_| CursorError::Invalid)?;
    // Authentic from here on: the server wrote these bytes, so a parse failure means a
    // cursor of another layout, refused all the same.
    let mut reader = Reader(body);
    if reader.take(1) != Some(&[VERSION][..]) {
        return Err(CursorError::Invalid);
    }
    let issued_for = reader.take(FINGERPRINT_LEN).ok_or(CursorError::Invalid)?;
    if issued_for != fingerprint(key, project_id, query) {
        return Err(CursorError::OtherList);
    }
    let id = encode_object_id(reader.take(ID_LEN).ok_or(CursorError::Invalid)?);
    let kind = reader.take(1).ok_or(CursorError::Invalid)?[0];
    let value = match kind {
        KIND_MILLIS => {
            let ms = reader.take(8).ok_or(CursorError::Invalid)?;
            SortValue::Millis(i64::from_be_bytes(
                ms.try_into().map_err(|_| CursorError::Invalid)?,
            ))
        }
        KIND_NULL => SortValue::Text(None),
        KIND_TEXT => {
            let len = reader.take(2).ok_or(CursorError::Invalid)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let text = reader.take(len).ok_or(CursorError::Invalid)?;
            SortValue::Text(Some(
                String::from_utf8(text.to_vec()).map_err(|_| CursorError::Invalid)?,
            ))
        }
        _ => return Err(CursorError::Invalid),
    };
    let fits = match (&value, query.sort) {
        (SortValue::Millis(_), SortField::CreatedAt | SortField::UpdatedAt) => true,
        (SortValue::Text(None), sort) => sort.nullable(),
        (SortValue::Text(Some(_)), sort) => sort.textual(),
        _ => false,
    };
    if !fits || !reader.0.is_empty() {
        return Err(CursorError::Invalid);
    }
    Ok(After { value, id })
}

/// Reads a byte string front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
}

/// What makes two requests one list: the project, the filters as the server reads them
/// and the order. Aliases, defaults, the order of tags, the case of `email` and the
/// spelling of `full_text` beyond its words select the same leads, so they agree here.
fn fingerprint(key: &DerivedKey, project_id: &str, query: &LeadQuery) -> [u8; FINGERPRINT_LEN] {
    let mut mac = mac(key);
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so no two different lists feed the same bytes.
        mac.update(&(bytes.len() as u64).to_be_bytes());
        mac.update(bytes);
    };
    field(b"list");
    field(project_id.as_bytes());
    match query.status {
        StatusFilter::Is(status) => field(format!("status={status}").as_bytes()),
        StatusFilter::NotDeleted => field(b"status<deleted"),
    }
    field(query.sort.column().as_bytes());
    field(if query.ascending { b"asc" } else { b"desc" });
    match &query.email {
        Some(email) => field(format!("email={}", email.to_lowercase()).as_bytes()),
        None => field(b"email"),
    }
    match &query.full_text {
        Some(text) => {
            let mut words = query_words(text);
            words.sort();
            field(format!("words={}", words.len()).as_bytes());
            for word in &words {
                field(word.as_bytes());
            }
        }
        None => field(b"words"),
    }
    for (name, presence) in [
        ("with_email", query.with_email),
        ("with_fullname", query.with_fullname),
    ] {
        field(format!("{name}={presence:?}").as_bytes());
    }
    let mut tags: Vec<&str> = query.tags.iter().map(String::as_str).collect();
    tags.sort_unstable();
    tags.dedup();
    field(format!("tags={}", tags.len()).as_bytes());
    for tag in tags {
        field(tag.as_bytes());
    }
    let mut out = [0; FINGERPRINT_LEN];
    out.copy_from_slice(&mac.finalize().into_bytes()[..FINGERPRINT_LEN]);
    out
}

/// The 12 bytes of a 24-hex ObjectId.
fn decode_object_id(id: &str) -> Option<[u8; ID_LEN]> {
    if id.len() != 2 * ID_LEN || !crate::store::is_object_id(id) {
        return None;
    }
    let mut out = [0; ID_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&id[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The 24-hex ObjectId of 12 bytes, lower-case as ids are stored.
fn encode_object_id(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DerivedKey {
        DerivedKey::derive(b"a secret of at least thirty-two bytes....", "test")
    }

    const PROJECT: &str = "5b55e806c93dde00143163dd";

    fn at(value: SortValue) -> After {
        After {
            value,
            id: "5c81593adf767b0017d1aa66".into(),
        }
    }

    fn by(sort: SortField) -> LeadQuery {
        LeadQuery {
            sort,
            ..LeadQuery::default()
        }
    }

    #[test]
    fn a_cursor_opens_to_its_position_for_every_kind_of_value() {
        for (sort, value) in [
            (SortField::CreatedAt, SortValue::Millis(1_551_980_858_393)),
            (SortField::UpdatedAt, SortValue::Millis(-1)),
            (SortField::Fullname, SortValue::Text(None)),
            (SortField::Email, SortValue::Text(Some(String::new()))),
            (
                SortField::LeadId,
                SortValue::Text(Some("é✓ with spaces".into())),
            ),
        ] {
            let query = by(sort);
            let cursor = issue(&key(), PROJECT, &query, &at(value.clone())).unwrap();
            assert!(cursor.len() >= 40 && cursor.len() <= MAX_CHARS, "{cursor}");
            assert!(cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(open(&key(), PROJECT, &query, &cursor), Ok(at(value)));
        }
    }

    #[test]
    fn the_longest_sort_value_the_spec_allows_fits() {
        let email = "✓".repeat(320);
        let cursor = issue(
            &key(),
            PROJECT,
            &by(SortField::Email),
            &at(SortValue::Text(Some(email))),
        )
        .unwrap();
        assert!(cursor.len() <= MAX_CHARS, "{}", cursor.len());
    }

    #[test]
    fn every_altered_byte_is_refused() {
        let query = by(SortField::LeadId);
        let cursor = issue(
            &key(),
            PROJECT,
            &query,
            &at(SortValue::Text(Some("x".into()))),
        )
        .unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 1;
            let altered = URL_SAFE_NO_PAD.encode(altered);
            assert_eq!(
                open(&key(), PROJECT, &query, &altered),
                Err(CursorError::Invalid),
                "byte {i}"
            );
        }
        for broken in ["", "!!!!", &cursor[..cursor.len() - 1], "AAAA"] {
            assert_eq!(
                open(&key(), PROJECT, &query, broken),
                Err(CursorError::Invalid)
            );
        }
        let other_key = DerivedKey::derive(b"another secret, just as long.......", "test");
        assert_eq!(
            open(&other_key, PROJECT, &query, &cursor),
            Err(CursorError::Invalid)
        );
    }

    #[test]
    fn a_cursor_continues_only_its_own_list() {
        let query = LeadQuery {
            email: Some("Andrea@F21.it".into()),
            full_text: Some("leo andrea".into()),
            tags: vec!["vip".into(), "b".into()],
            ..LeadQuery::default()
        };
        let cursor = issue(&key(), PROJECT, &query, &at(SortValue::Millis(5))).unwrap();
        let same = LeadQuery {
            email: Some("andrea@f21.it".into()),
            full_text: Some("ANDREA, leo!".into()),
            tags: vec!["b".into(), "vip".into(), "b".into()],
            ..query.clone()
        };
        assert!(open(&key(), PROJECT, &same, &cursor).is_ok());
        let others = [
            LeadQuery {
                ascending: true,
                ..query.clone()
            },
            LeadQuery {
                sort: SortField::UpdatedAt,
                ..query.clone()
            },
            LeadQuery {
                tags: vec!["vip".into()],
                ..query.clone()
            },
            LeadQuery {
                email: None,
                ..query.clone()
            },
            LeadQuery {
                with_email: Some(true),
                ..query.clone()
            },
            LeadQuery {
                status: StatusFilter::Is(1000),
                ..query.clone()
            },
            LeadQuery {
                full_text: Some("leo".into()),
                ..query.clone()
            },
        ];
        for other in others {
            assert_eq!(
                open(&key(), PROJECT, &other, &cursor),
                Err(CursorError::OtherList),
                "{other:?}"
            );
        }
        assert_eq!(
            open(&key(), "5b55e806c93dde00143163de", &query, &cursor),
            Err(CursorError::OtherList)
        );
    }

    #[test]
    fn ids_that_are_not_object_ids_have_no_cursor() {
        let odd = After {
            value: SortValue::Millis(0),
            id: "not-an-id".into(),
        };
        assert!(issue(&key(), PROJECT, &LeadQuery::default(), &odd).is_err());
    }
}
