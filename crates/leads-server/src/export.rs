//! The CSV export format, as the spec's `exportLeadsCsv` fixes it: `;`-separated, RFC 4180
//! quoting, `\r\n` line ends, a fixed header, ISO-8601 UTC dates with milliseconds, tags
//! joined by `,`, strings written as stored, and a `'` before any cell a spreadsheet would
//! run as a formula.

use crate::store::{Lead, StoreError};
use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use std::borrow::Cow;
use std::io;

/// The header row, in column order. The server does not depend on the client crate, which
/// states the format for readers (`leads_client::csv`); a test holds the two equal.
pub const HEADER: [&str; 17] = [
    "_id",
    "lead_id",
    "fullname",
    "email",
    "phone",
    "company",
    "note",
    "streetAddress",
    "city",
    "region",
    "zipcode",
    "country",
    "tags",
    "status",
    "createdBy",
    "createdAt",
    "updatedAt",
];

/// Rows encoded per emitted chunk at most; rows already fetched are batched so a large
/// export is not one tiny write per row.
const ROWS_PER_CHUNK: usize = 128;

/// Encodes a stream of leads as the CSV document, header first. Memory stays bounded by
/// one chunk; a storage error ends the body with an I/O error (the status has been sent by
/// then, so the truncated body is how the client learns of it).
pub fn csv_stream(
    rows: BoxStream<'static, Result<Lead, StoreError>>,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let header = futures::stream::once(async { encode(|w| w.write_record(HEADER)) });
    let body = rows.ready_chunks(ROWS_PER_CHUNK).map(|chunk| {
        encode(|w| {
            for row in chunk {
                let lead = row.map_err(|error| {
                    tracing::error!(%error, "CSV export failed while reading leads");
                    csv::Error::from(io::Error::other("export failed"))
                })?;
                w.write_record(record(&lead).iter().map(|c| c.as_bytes()))?;
            }
            Ok(())
        })
    });
    header.chain(body)
}

/// Runs `write` against a fresh CSV writer and answers the bytes it produced.
fn encode(
    write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>,
) -> Result<Bytes, io::Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    write(&mut writer).map_err(io::Error::other)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok(Bytes::from(bytes))
}

/// One lead's cells, in [`HEADER`] order.
pub fn record(lead: &Lead) -> [Cow<'_, str>; 17] {
    fn text(value: &Option<String>) -> Cow<'_, str> {
        guard(value.as_deref().unwrap_or_default())
    }
    [
        guard(&lead.id),
        guard(&lead.lead_id),
        text(&lead.fullname),
        text(&lead.email),
        text(&lead.phone),
        text(&lead.company),
        text(&lead.note),
        text(&lead.street_address),
        text(&lead.city),
        text(&lead.region),
        text(&lead.zipcode),
        text(&lead.country),
        Cow::Owned(guard(&lead.tags.join(",")).into_owned()),
        Cow::Owned(lead.status.to_string()),
        guard(&lead.created_by),
        Cow::Owned(iso_millis(&lead.created_at)),
        Cow::Owned(iso_millis(&lead.updated_at)),
    ]
}

/// `2019-03-07T17:47:38.393Z`.
pub fn iso_millis(date: &chrono::DateTime<chrono::Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Prefixes `'` to a cell a spreadsheet would read as a formula.
fn guard(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_format_the_client_states() {
        assert_eq!(HEADER, leads_client::csv::COLUMNS);
        assert!(leads_client::csv::FORMULA_STARTS
            .iter()
            .all(|c| guard(&format!("{c}x")).starts_with('\'')));
    }
    use crate::store::{JsonObject, STATUS_NORMAL};
    use chrono::TimeZone;
    use futures::TryStreamExt;

    fn lead() -> Lead {
        let at = chrono::Utc.timestamp_millis_opt(1_551_980_858_393).unwrap();
        Lead {
            id: "5c81593adf767b0017d1aa66".into(),
            project_id: "5b55e806c93dde00143163dd".into(),
            lead_id: "SRbb2PfbSFcgICv9VQBcURZeloh1".into(),
            fullname: Some("Guest".into()),
            email: None,
            phone: Some("+39 06 1234".into()),
            company: Some("=HYPERLINK(\"x\")".into()),
            note: Some("two\r\nlines; \"quoted\"".into()),
            street_address: Some("@home".into()),
            city: Some("-1".into()),
            region: Some("\tTab".into()),
            zipcode: Some("00144".into()),
            country: None,
            tags: vec!["vip".into(), "newsletter".into()],
            status: STATUS_NORMAL,
            attributes: JsonObject::new(),
            properties: None,
            created_by: "system".into(),
            created_at: at,
            updated_at: at,
            version: 0,
        }
    }

    async fn render(leads: Vec<Lead>) -> String {
        let rows = futures::stream::iter(leads.into_iter().map(Ok)).boxed();
        let chunks: Vec<Bytes> = csv_stream(rows).try_collect().await.unwrap();
        String::from_utf8(chunks.concat()).unwrap()
    }

    #[tokio::test]
    async fn the_spec_example_row() {
        let mut plain = lead();
        plain.phone = None;
        plain.company = None;
        plain.note = None;
        plain.street_address = None;
        plain.city = None;
        plain.region = None;
        assert_eq!(
            render(vec![plain]).await,
            "_id;lead_id;fullname;email;phone;company;note;streetAddress;city;region;zipcode;country;tags;status;createdBy;createdAt;updatedAt\r\n\
             5c81593adf767b0017d1aa66;SRbb2PfbSFcgICv9VQBcURZeloh1;Guest;;;;;;;;00144;;vip,newsletter;100;system;2019-03-07T17:47:38.393Z;2019-03-07T17:47:38.393Z\r\n"
        );
    }

    #[tokio::test]
    async fn quoting_and_formula_guard() {
        let text = render(vec![lead()]).await;
        let row = text.split_once("\r\n").unwrap().1;
        assert_eq!(
            row,
            "5c81593adf767b0017d1aa66;SRbb2PfbSFcgICv9VQBcURZeloh1;Guest;;'+39 06 1234;\
             \"'=HYPERLINK(\"\"x\"\")\";\"two\r\nlines; \"\"quoted\"\"\";'@home;'-1;'\tTab;00144;;\
             vip,newsletter;100;system;2019-03-07T17:47:38.393Z;2019-03-07T17:47:38.393Z\r\n"
        );
    }

    #[tokio::test]
    async fn no_rows_is_just_the_header() {
        assert_eq!(render(vec![]).await.lines().count(), 1);
    }
}
