//! Idempotent creates: `createLead` with an `Idempotency-Key` creates at most one lead per
//! key and project within a day, and answers a retry with the lead first created, as a
//! read finds it now.
//!
//! The key, a fingerprint of the body and the lead's id are written in the same
//! transaction as the lead, so they survive or vanish together, on every server of the
//! database. A reuse with another body is refused with 409, since it is not the same
//! request; so is a retry once its lead was deleted for good, since answering a lead that
//! no read can find would be a lie, and creating another would break the key's promise.

use super::{convert, Failure};
use crate::store::{KeyRecord, KeyedInsert, Store, StoredKey};
use leads_api::types;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long a key stays live, in milliseconds: a day, as the spec says.
const KEY_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// The `msg` of a key reused with another body.
const REUSED: &str = "the Idempotency-Key was already used with a different body";

/// The `msg` of a retry whose lead was deleted for good since.
const GONE: &str = "the lead this Idempotency-Key created was deleted for good; \
                    send another key to create a new lead";

/// Creates the lead of `body` under `key`, or answers the lead the key already created.
pub(super) async fn create(
    store: &Store,
    project_id: &str,
    user_id: String,
    key: types::IdempotencyKey,
    body: types::LeadCreate,
) -> Result<types::Lead, Failure> {
    let key = String::from(key);
    let fingerprint = fingerprint(&body)?;
    let now = chrono::Utc::now().timestamp_millis();
    let expired_before = now - KEY_LIFETIME_MS;
    if let Some(stored) = store
        .idempotency_key(project_id, &key, expired_before)
        .await?
    {
        return replay(store, project_id, stored, &fingerprint).await;
    }
    let lead = Store::prepare_lead(project_id, convert::new_lead(body, user_id));
    let answer = convert::lead(lead.clone())?;
    let record = KeyRecord {
        key,
        fingerprint,
        response: serde_json::to_string(&answer).map_err(|error| {
            tracing::error!(%error, "cannot record the answer of a create");
            Failure::Internal
        })?,
        created_at: now,
        expired_before,
    };
    match store.insert_lead_with_key(&lead, &record).await? {
        KeyedInsert::Inserted => Ok(answer),
        // Another request with this key won the race; answer as it did.
        KeyedInsert::KeyTaken => {
            let stored = store
                .idempotency_key(project_id, &record.key, expired_before)
                .await?
                .ok_or_else(|| {
                    tracing::error!("an idempotency key was taken, then not found");
                    Failure::Internal
                })?;
            replay(store, project_id, stored, &record.fingerprint).await
        }
    }
}

/// The answer for a key already used: the lead it created as it is now, or 409 for
/// another body or a lead deleted for good.
async fn replay(
    store: &Store,
    project_id: &str,
    stored: StoredKey,
    fingerprint: &str,
) -> Result<types::Lead, Failure> {
    if stored.fingerprint != fingerprint {
        return Err(Failure::Conflict(REUSED.to_owned()));
    }
    match store.get_lead(project_id, &stored.lead).await? {
        Some(lead) => Ok(convert::lead(lead)?),
        None => Err(Failure::Conflict(GONE.to_owned())),
    }
}

/// A SHA-256 of the body in a canonical form: object keys sorted, no spaces, so the same
/// body gives the same fingerprint however its keys were ordered on the wire.
fn fingerprint(body: &types::LeadCreate) -> Result<String, Failure> {
    let value = serde_json::to_value(body).map_err(|error| {
        tracing::error!(%error, "cannot fingerprint a create");
        Failure::Internal
    })?;
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> types::LeadCreate {
        serde_json::from_value(value).expect("a valid create")
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_sees_every_value() {
        let a = fingerprint(&body(
            serde_json::json!({"lead_id": "x", "attributes": {"a": 1, "b": [1, {"c": 2, "d": 3}]}}),
        ))
        .unwrap();
        let b = fingerprint(&body(
            serde_json::json!({"attributes": {"b": [1, {"d": 3, "c": 2}], "a": 1}, "lead_id": "x"}),
        ))
        .unwrap();
        assert_eq!(a, b);
        let c = fingerprint(&body(
            serde_json::json!({"lead_id": "x", "attributes": {"a": 1, "b": [1, {"c": 2, "d": 4}]}}),
        ))
        .unwrap();
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
    }
}
