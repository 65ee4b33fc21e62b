//! The request bodies' JSON Schemas, from the spec, checked before a body is read into its
//! model.
//!
//! The models check most of the spec as they deserialise, but serde is more lenient than
//! the spec in places no attribute can close: a struct deserialises from a JSON array of
//! its fields' values, so `[null, null]` would read as an update of two fields. Checking
//! the body against the operation's schema first makes the router refuse exactly what the
//! spec forbids, whatever serde accepts.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::{json, Value};

/// The compiled body schema of every operation that has a JSON body.
pub struct BodySchemas {
    by_operation: HashMap<String, Validator>,
}

impl BodySchemas {
    /// Compiles the document the generator embeds: `definitions` (the component schemas)
    /// and `operations.<name>.body`, as `leads_codegen::requests` writes it.
    ///
    /// # Panics
    ///
    /// When the generated document does not compile, which is a bug of the generator: it
    /// converts only schemas the spec's own tooling has read.
    pub fn new(document: &str) -> Self {
        let document: Value =
            serde_json::from_str(document).expect("the generated request schemas are JSON");
        let definitions = document.get("definitions").cloned().unwrap_or(json!({}));
        let operations = document.get("operations").and_then(Value::as_object);
        let by_operation = operations
            .into_iter()
            .flatten()
            .filter_map(|(name, operation)| {
                let body = operation.get("body").filter(|body| !body.is_null())?;
                // Wrapped, so that `$ref`s to `#/definitions/…` resolve in one document.
                let root = json!({"allOf": [body], "definitions": definitions});
                let validator = jsonschema::validator_for(&root)
                    .unwrap_or_else(|e| panic!("the body schema of `{name}` compiles: {e}"));
                Some((name.clone(), validator))
            })
            .collect();
        BodySchemas { by_operation }
    }

    /// The body schema of `operation`, by its snake-case name.
    pub fn get(&self, operation: &str) -> Option<&Validator> {
        self.by_operation.get(operation)
    }
}

/// The longest message a rejection quotes; the validator's message repeats the offending
/// value, which can be most of a 1 MiB body.
const MAX_MESSAGE: usize = 300;

/// The first way `body` breaks `schema`, as the rejection's message.
pub(crate) fn first_problem(schema: &Validator, body: &Value) -> Option<String> {
    schema.iter_errors(body).next().map(|error| {
        let path = error.instance_path().to_string();
        let mut message = if path.is_empty() {
            format!("invalid JSON body: {error}")
        } else {
            format!("invalid JSON body at `{path}`: {error}")
        };
        if message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        message
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r##"{
        "definitions": {"Tag": {"type": "string", "pattern": "^[^,]+$"}},
        "operations": {
            "update": {"query": {}, "body": {
                "type": "object", "additionalProperties": false,
                "properties": {"a": {"type": ["string", "null"]}, "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}}}
            }},
            "read": {"query": {}, "body": null}
        }
    }"##;

    #[test]
    fn a_body_is_checked_against_its_operation_schema() {
        let schemas = BodySchemas::new(DOCUMENT);
        assert!(schemas.get("read").is_none());
        let update = schemas.get("update").expect("update has a body");
        assert_eq!(
            first_problem(update, &json!({"a": null, "tags": ["x"]})),
            None
        );
        let array = first_problem(update, &json!([null, null])).expect("an array is refused");
        assert!(array.contains("not of type \"object\""), "{array}");
        let tag = first_problem(update, &json!({"tags": ["a,b"]})).expect("a bad tag");
        assert!(tag.contains("`/tags/0`"), "{tag}");
        let huge = json!(vec!["漢"; 100_000]);
        let long = first_problem(update, &huge).expect("an array is refused");
        assert!(
            long.chars().count() <= MAX_MESSAGE + 1,
            "{} chars",
            long.len()
        );
        assert!(long.ends_with('…'), "{long}");
    }
}
