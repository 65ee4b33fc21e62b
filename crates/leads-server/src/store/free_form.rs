//! `attributes` and `properties` as stored: the JSON text serde_json writes, on both
//! backends.
//!
//! PostgreSQL's `jsonb` cannot hold what the spec allows in a free-form object: it refuses
//! `\u0000` in a string, and it keeps numbers as `numeric`, which prints `f64::MAX` with
//! 309 digits that no longer read back as the double that was sent. Text keeps every value
//! the API accepted exactly, so a lead that was acknowledged can always be read again. No
//! query filters on these columns, so nothing needs them as `jsonb`.

use super::model::JsonObject;
use super::StoreError;

/// The stored text of a free-form object.
pub(crate) fn to_text(object: &JsonObject) -> String {
    serde_json::to_string(object).expect("a map of JSON values always serialises")
}

/// The stored text of an optional free-form object.
pub(crate) fn to_optional_text(object: Option<&JsonObject>) -> Option<String> {
    object.map(to_text)
}

/// Reads back a stored free-form object; `column` names it in the error.
pub(crate) fn from_text(text: &str, column: &str) -> Result<JsonObject, StoreError> {
    serde_json::from_str(text).map_err(|error| {
        StoreError::Corrupt(format!(
            "the stored `{column}` is not a JSON object: {error}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_accepted_value_reads_back_exactly() {
        let object = json!({
            "max": f64::MAX,
            "min_positive": f64::MIN_POSITIVE,
            "long": 1.154_899_197_811_476_4e289,
            "nul": "a\u{0}b",
            "nested": {"list": [1, -0.5, null, true, u64::MAX, i64::MIN]},
        });
        let object = object.as_object().expect("an object").clone();
        let back = from_text(&to_text(&object), "attributes").expect("reads back");
        assert_eq!(back, object);
        assert_eq!(back["long"].as_f64(), Some(1.154_899_197_811_476_4e289));
    }

    #[test]
    fn a_stored_value_that_is_not_an_object_is_reported_as_corrupt() {
        let error = from_text("[1]", "properties").expect_err("not an object");
        assert!(error.to_string().contains("`properties`"), "{error}");
    }
}
