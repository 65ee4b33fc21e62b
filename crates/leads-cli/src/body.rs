//! Request bodies from command-line values, checked against the spec's rules before any
//! request is sent, so that a bad value is a usage error that names the field.

use leads_client::types::{self, LeadCreate, LeadUpdate};
use serde_json::{Map, Value};

use crate::cli::{Clearable, LeadFields, Status};
use crate::error::CliError;

/// Checks that `id` looks like an ObjectId, naming `what` in the error.
pub fn object_id(what: &str, id: &str) -> Result<types::ObjectId, CliError> {
    types::ObjectId::try_from(id).map_err(|_| {
        CliError::Usage(format!(
            "{what} {id:?} is not an id: 24 lower-case hexadecimal characters expected"
        ))
    })
}

/// Parses `KEY=VALUE`: VALUE is JSON when it parses as JSON, else the text itself.
pub fn pair(text: &str) -> Result<(String, Value), CliError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("{text:?} is not KEY=VALUE")))?;
    if key.is_empty() {
        return Err(CliError::Usage(format!("{text:?} has an empty key")));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// Parses several `KEY=VALUE` pairs into an object.
pub fn pairs(texts: &[String]) -> Result<Map<String, Value>, CliError> {
    texts.iter().map(|text| pair(text)).collect()
}

/// The JSON fields that `fields` sets, in the API's names.
fn field_map(fields: &LeadFields) -> Result<Map<String, Value>, CliError> {
    let mut map = Map::new();
    let mut text = |name: &str, value: &Option<String>| {
        if let Some(value) = value {
            map.insert(name.to_owned(), Value::String(value.clone()));
        }
    };
    text("fullname", &fields.fullname);
    text("email", &fields.email);
    text("phone", &fields.phone);
    text("company", &fields.company);
    text("note", &fields.note);
    text("streetAddress", &fields.street_address);
    text("city", &fields.city);
    text("region", &fields.region);
    text("zipcode", &fields.zipcode);
    text("country", &fields.country);
    if !fields.tags.is_empty() {
        map.insert(
            "tags".to_owned(),
            fields.tags.iter().cloned().map(Value::String).collect(),
        );
    }
    if !fields.attributes.is_empty() {
        map.insert(
            "attributes".to_owned(),
            Value::Object(pairs(&fields.attributes)?),
        );
    }
    Ok(map)
}

/// The body of `create`.
pub fn create(
    lead_id: Option<&str>,
    fields: &LeadFields,
    properties: &[String],
) -> Result<LeadCreate, CliError> {
    let mut map = field_map(fields)?;
    let lead_id = lead_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    map.insert("lead_id".to_owned(), Value::String(lead_id));
    if !properties.is_empty() {
        map.insert("properties".to_owned(), Value::Object(pairs(properties)?));
    }
    lead_create(map).map_err(CliError::Usage)
}

/// The body of `update`: the fields given set, the fields in `clear` are sent as `null`,
/// which clears them.
pub fn update(
    fields: &LeadFields,
    status: Option<Status>,
    clear: &[Clearable],
) -> Result<LeadUpdate, CliError> {
    let mut map = field_map(fields)?;
    if let Some(status) = status {
        map.insert("status".to_owned(), status.code().into());
    }
    for field in clear {
        let name = field.api_name();
        if map.insert(name.to_owned(), Value::Null).is_some() {
            return Err(CliError::Usage(format!(
                "{name} is both set and cleared; give one of the two"
            )));
        }
    }
    if map.is_empty() {
        return Err(CliError::Usage(
            "nothing to update: give at least one field, e.g. --fullname".to_owned(),
        ));
    }
    checked::<LeadUpdate>(map, None).map_err(CliError::Usage)
}

/// A `LeadCreate` from a JSON object, or why not, naming the field at fault.
pub fn lead_create(map: Map<String, Value>) -> Result<LeadCreate, String> {
    checked::<LeadCreate>(map, Some("lead_id"))
}

/// Deserializes `map` as `T`; on failure, finds the first field that fails on its own,
/// so the message says which field breaks which rule. `anchor` is a required field that
/// every probe keeps.
fn checked<T: serde::de::DeserializeOwned>(
    map: Map<String, Value>,
    anchor: Option<&str>,
) -> Result<T, String> {
    let whole = match serde_json::from_value::<T>(Value::Object(map.clone())) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    if let Some(anchor) = anchor {
        if !map.contains_key(anchor) {
            return Err(format!("{anchor}: missing"));
        }
    }
    for (key, value) in &map {
        let mut probe = Map::new();
        if let Some(anchor) = anchor {
            probe.insert(anchor.to_owned(), Value::String("x".to_owned()));
        }
        probe.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<T>(Value::Object(probe)) {
            return Err(format!("{key}: {}", clean(&e)));
        }
    }
    Err(clean(&whole))
}

/// serde's message without the position, which means nothing for a built value.
fn clean(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_take_json_or_text() {
        assert_eq!(pair("plan=premium").expect("ok").1, Value::from("premium"));
        assert_eq!(pair("n=3").expect("ok").1, Value::from(3));
        assert_eq!(pair("ok=true").expect("ok").1, Value::from(true));
        assert_eq!(pair(r#"s="007""#).expect("ok").1, Value::from("007"));
        assert_eq!(
            pair("url=a=b").expect("ok"),
            ("url".into(), Value::from("a=b"))
        );
        assert_eq!(pair("empty=").expect("ok").1, Value::from(""));
        assert!(matches!(pair("novalue"), Err(CliError::Usage(_))));
        assert!(matches!(pair("=x"), Err(CliError::Usage(_))));
    }

    #[test]
    fn create_names_the_bad_field() {
        let fields = LeadFields {
            fullname: Some("x".repeat(300)),
            ..LeadFields::default()
        };
        let error = create(Some("1"), &fields, &[]).expect_err("too long");
        assert!(error.to_string().starts_with("fullname:"), "{error}");

        let fields = LeadFields {
            tags: vec!["a,b".into()],
            ..LeadFields::default()
        };
        let error = create(Some("1"), &fields, &[]).expect_err("comma in tag");
        assert!(error.to_string().starts_with("tags:"), "{error}");
    }

    #[test]
    fn create_makes_a_lead_id_when_none_is_given() {
        let lead = create(None, &LeadFields::default(), &[]).expect("valid");
        assert_eq!(lead.lead_id.len(), 36);
    }

    #[test]
    fn update_needs_a_field() {
        assert!(matches!(
            update(&LeadFields::default(), None, &[]),
            Err(CliError::Usage(_))
        ));
        let body = update(&LeadFields::default(), Some(Status::Normal), &[]).expect("ok");
        assert_eq!(serde_json::to_value(body).expect("json")["status"], 100);
    }

    #[test]
    fn cleared_fields_are_sent_as_null_and_others_left_out() {
        let fields = LeadFields {
            company: Some("F21".to_owned()),
            ..LeadFields::default()
        };
        let body = update(
            &fields,
            None,
            &[Clearable::Phone, Clearable::Tags, Clearable::StreetAddress],
        )
        .expect("ok");
        assert_eq!(
            serde_json::to_value(body).expect("json"),
            serde_json::json!({"company": "F21", "phone": null, "tags": null, "streetAddress": null})
        );
        assert!(matches!(
            update(&fields, None, &[Clearable::Company]),
            Err(CliError::Usage(message)) if message.contains("both set and cleared")
        ));
    }

    #[test]
    fn ids_are_checked() {
        assert!(object_id("lead", "5c81593adf767b0017d1aa66").is_ok());
        assert!(matches!(object_id("lead", "nope"), Err(CliError::Usage(_))));
    }
}
