//! OpenAPI 3.0 schemas to JSON Schema, the dialect typify reads.
//!
//! The two differ in a few places that matter for code: 3.0 writes `nullable: true` where
//! JSON Schema adds `"null"` to `type`, references point into `#/components/schemas`
//! rather than `#/definitions`, `exclusiveMinimum` is a flag rather than a bound, and some
//! keys (`example`, `xml`, `discriminator`, ...) mean nothing to a type generator.

use serde_json::{Map, Value};

use super::names::escape;
use crate::CodegenError;

/// The prefix of references to component schemas.
pub const COMPONENT_PREFIX: &str = "#/components/schemas/";
/// Where typify looks for referenced definitions.
const DEFINITION_PREFIX: &str = "#/definitions/";

/// Keys that document a schema without shaping its type.
const DROPPED: &[&str] = &[
    "example",
    "examples",
    "xml",
    "externalDocs",
    "discriminator",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Converts one OpenAPI 3.0 schema, found at the JSON pointer `at`, to a JSON Schema.
pub fn convert(
    schema: &openapiv3::ReferenceOr<openapiv3::Schema>,
    at: &str,
) -> Result<schemars::schema::Schema, CodegenError> {
    let mut value = serde_json::to_value(schema).map_err(|e| unsupported(at, e.to_string()))?;
    convert_value(&mut value, at)?;
    serde_json::from_value(value)
        .map_err(|e| unsupported(at, format!("not a schema typify can read: {e}")))
}

/// A reference to the component schema `name`, in typify's dialect.
pub fn reference(name: &str) -> schemars::schema::Schema {
    schemars::schema::Schema::Object(schemars::schema::SchemaObject {
        reference: Some(format!("{DEFINITION_PREFIX}{name}")),
        ..Default::default()
    })
}

fn unsupported(at: &str, message: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported {
        location: at.to_owned(),
        message: message.into(),
    }
}

/// Rewrites a schema in place; `at` is its JSON pointer, for errors.
fn convert_value(value: &mut Value, at: &str) -> Result<(), CodegenError> {
    let Value::Object(object) = value else {
        // `true` and `false` are valid JSON Schemas; anything else is not a schema.
        return match value {
            Value::Bool(_) => Ok(()),
            _ => Err(unsupported(at, "expected a schema object")),
        };
    };
    if let Some(reference) = object.get("$ref") {
        let target = reference.as_str().unwrap_or_default();
        let Some(name) = target.strip_prefix(COMPONENT_PREFIX) else {
            return Err(unsupported(
                &format!("{at}/$ref"),
                format!("`{target}` is not a reference to `{COMPONENT_PREFIX}...`; only local component schemas are supported"),
            ));
        };
        object.insert(
            "$ref".to_owned(),
            Value::String(format!("{DEFINITION_PREFIX}{name}")),
        );
    }
    object.retain(|key, _| !DROPPED.contains(&key.as_str()) && !key.starts_with("x-"));
    exclusive_bound(object, "exclusiveMinimum", "minimum");
    exclusive_bound(object, "exclusiveMaximum", "maximum");
    for key in ["items", "not"] {
        if let Some(child) = object.get_mut(key) {
            convert_value(child, &format!("{at}/{key}"))?;
        }
    }
    if let Some(child @ Value::Object(_)) = object.get_mut("additionalProperties") {
        convert_value(child, &format!("{at}/additionalProperties"))?;
    }
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, child) in properties.iter_mut() {
            convert_value(child, &format!("{at}/properties/{}", escape(name)))?;
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            for (index, child) in children.iter_mut().enumerate() {
                convert_value(child, &format!("{at}/{key}/{index}"))?;
            }
        }
    }
    if object.remove("nullable") == Some(Value::Bool(true)) {
        nullable(object);
    }
    Ok(())
}

/// 3.0's `exclusiveMinimum: true` next to `minimum: n` is JSON Schema's `exclusiveMinimum: n`.
fn exclusive_bound(object: &mut Map<String, Value>, flag: &str, bound: &str) {
    match object.remove(flag) {
        Some(Value::Bool(true)) => {
            if let Some(value) = object.remove(bound) {
                object.insert(flag.to_owned(), value);
            }
        }
        Some(Value::Bool(false)) | None => {}
        Some(other) => {
            object.insert(flag.to_owned(), other);
        }
    }
}

/// Lets a schema also accept `null`.
fn nullable(object: &mut Map<String, Value>) {
    match object.get_mut("type") {
        Some(Value::String(ty)) => {
            let ty = std::mem::take(ty);
            object.insert(
                "type".to_owned(),
                Value::Array(vec![Value::String(ty), "null".into()]),
            );
            if let Some(Value::Array(values)) = object.get_mut("enum") {
                if !values.contains(&Value::Null) {
                    values.push(Value::Null);
                }
            }
        }
        _ => {
            // A reference or a composition: wrap it, keeping the description outside.
            let description = object.remove("description");
            let inner = Value::Object(std::mem::take(object));
            object.insert(
                "anyOf".to_owned(),
                Value::Array(vec![inner, serde_json::json!({ "type": "null" })]),
            );
            if let Some(description) = description {
                object.insert("description".to_owned(), description);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str) -> Value {
        let schema: openapiv3::ReferenceOr<openapiv3::Schema> =
            serde_yaml_ng::from_str(yaml).expect("schema");
        serde_json::to_value(convert(&schema, "#/x").expect("converts")).expect("json")
    }

    #[test]
    fn nullable_scalars_gain_a_null_type() {
        let converted = run("type: string\nnullable: true\nenum: [a]");
        assert_eq!(converted["type"], serde_json::json!(["string", "null"]));
        assert_eq!(converted["enum"], serde_json::json!(["a", null]));
    }

    #[test]
    fn references_are_rewritten_and_nested_ones_too() {
        let converted = run("type: object\nproperties:\n  a:\n    $ref: '#/components/schemas/A'\n  example:\n    type: string\nexample: {a: 1}");
        assert_eq!(converted["properties"]["a"]["$ref"], "#/definitions/A");
        assert_eq!(
            converted["properties"]["example"]["type"], "string",
            "a property named like a dropped key stays"
        );
        assert!(converted.get("example").is_none());
    }

    #[test]
    fn exclusive_bounds_become_numbers() {
        let converted = run("type: integer\nminimum: 0\nexclusiveMinimum: true");
        assert_eq!(converted["exclusiveMinimum"].as_f64(), Some(0.0));
        assert!(converted.get("minimum").is_none());
    }

    #[test]
    fn foreign_references_name_their_location() {
        let schema: openapiv3::ReferenceOr<openapiv3::Schema> =
            serde_yaml_ng::from_str("type: array\nitems:\n  $ref: 'other.yaml#/A'")
                .expect("schema");
        let error = convert(&schema, "#/components/schemas/L").expect_err("rejected");
        assert!(
            error
                .to_string()
                .starts_with("#/components/schemas/L/items/$ref: "),
            "{error}"
        );
    }
}
