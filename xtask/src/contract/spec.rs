//! What the spec documents for each operation, and validation of real responses against it.
//!
//! The spec's schemas are OpenAPI 3.0; a JSON Schema validator reads draft 2020-12 (or 7).
//! [`to_json_schema`] bridges the two (`nullable`, `example`), and every validator is built
//! over a root that carries the converted components, so `$ref`s resolve as written.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// One documented response of an operation.
#[derive(Debug, Clone)]
pub struct DocumentedResponse {
    /// The media type of the body, if it has one.
    pub media_type: Option<String>,
    /// The body's JSON Schema (converted), for JSON bodies.
    pub schema: Option<Value>,
}

/// A parameter as the spec documents it.
#[derive(Debug, Clone)]
pub struct DocumentedParameter {
    /// Its name.
    pub name: String,
    /// `path` or `query`.
    pub location: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Its schema, as written (OpenAPI 3.0, `$ref`s unresolved).
    pub schema: Value,
    /// Whether only values the server answered are valid (`x-issued-by-server`), such as
    /// a list cursor: the schema admits values the server never issued and refuses.
    pub issued_by_server: bool,
}

/// An operation as the spec documents it.
#[derive(Debug, Clone)]
pub struct DocumentedOperation {
    /// The parameters, path-level ones included.
    pub parameters: Vec<DocumentedParameter>,
    /// The JSON request body's schema, as written.
    pub request_body: Option<Value>,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template, e.g. `/{project_id}/leads/{id}`.
    pub path: String,
    /// The JSON pointer of the operation in the spec.
    pub pointer: String,
    /// Documented responses by status.
    pub responses: BTreeMap<u16, DocumentedResponse>,
}

/// The spec, indexed by operationId.
#[derive(Debug)]
pub struct SpecIndex {
    operations: BTreeMap<String, DocumentedOperation>,
    components: Value,
    doc: Value,
}

impl SpecIndex {
    /// Indexes a parsed spec document.
    pub fn new(doc: &Value) -> Self {
        let mut operations = BTreeMap::new();
        let paths = doc.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut responses = BTreeMap::new();
                let documented = op.get("responses").and_then(Value::as_object);
                for (status, response) in documented.into_iter().flatten() {
                    let Ok(status) = status.parse::<u16>() else {
                        continue;
                    };
                    let response = resolve(doc, response);
                    let content = response.get("content").and_then(Value::as_object);
                    let first = content.and_then(|c| c.iter().next());
                    responses.insert(
                        status,
                        DocumentedResponse {
                            media_type: first.map(|(media_type, _)| media_type.clone()),
                            schema: first
                                .and_then(|(_, media)| media.get("schema"))
                                .map(to_json_schema),
                        },
                    );
                }
                let mut parameters: Vec<DocumentedParameter> = Vec::new();
                for list in [item.get("parameters"), op.get("parameters")]
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_array)
                {
                    for parameter in list.iter().map(|p| resolve(doc, p)) {
                        let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
                        parameters.retain(|p| p.name != name);
                        parameters.push(DocumentedParameter {
                            name: name.to_owned(),
                            location: parameter
                                .get("in")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned(),
                            required: parameter.get("required").and_then(Value::as_bool)
                                == Some(true),
                            schema: parameter.get("schema").cloned().unwrap_or(Value::Null),
                            issued_by_server: parameter
                                .get("x-issued-by-server")
                                .and_then(Value::as_bool)
                                == Some(true),
                        });
                    }
                }
                let request_body = op
                    .get("requestBody")
                    .map(|body| resolve(doc, body))
                    .and_then(|body| body.pointer("/content/application~1json/schema"))
                    .cloned();
                operations.insert(
                    id.to_owned(),
                    DocumentedOperation {
                        parameters,
                        request_body,
                        method: method.to_uppercase(),
                        path: path.clone(),
                        pointer: format!("#/paths/{}/{method}", leads_codegen::lint::escape(path)),
                        responses,
                    },
                );
            }
        }
        let components: Map<String, Value> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
            .collect();
        let components = Value::Object(components);
        Self {
            operations,
            components,
            doc: doc.clone(),
        }
    }

    /// Follows `$ref`s in the spec.
    pub fn resolve<'v>(&'v self, node: &'v Value) -> &'v Value {
        resolve(&self.doc, node)
    }

    /// Every operationId.
    pub fn operation_ids(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    /// An operation by operationId.
    pub fn operation(&self, id: &str) -> Option<&DocumentedOperation> {
        self.operations.get(id)
    }

    /// Checks a response of `operation` against the spec; each string is one violation.
    pub fn validate(
        &self,
        operation: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let Some(documented) = self.operations.get(operation) else {
            return vec![format!("the spec has no operation `{operation}`")];
        };
        let Some(response) = documented.responses.get(&status) else {
            let known: Vec<String> = documented.responses.keys().map(u16::to_string).collect();
            return vec![format!(
                "status {status} is not documented (documented: {})",
                known.join(", ")
            )];
        };
        let Some(media_type) = &response.media_type else {
            return Vec::new();
        };
        let actual = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .unwrap_or("");
        if !actual.eq_ignore_ascii_case(media_type) {
            return vec![format!(
                "content type `{actual}` where the spec documents `{media_type}`"
            )];
        }
        if media_type != "application/json" {
            return match std::str::from_utf8(body) {
                Ok(_) => Vec::new(),
                Err(_) => vec![format!("the `{media_type}` body is not UTF-8")],
            };
        }
        let instance: Value = match serde_json::from_slice(body) {
            Ok(instance) => instance,
            Err(e) => return vec![format!("the body is not JSON: {e}")],
        };
        match &response.schema {
            Some(schema) => self.violations(schema, &instance),
            None => Vec::new(),
        }
    }

    fn violations(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = Map::new();
        root.insert("components".to_owned(), json!({"schemas": self.components}));
        root.insert("allOf".to_owned(), json!([schema]));
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&Value::Object(root))
        {
            Ok(validator) => validator,
            Err(e) => return vec![format!("the spec's schema does not compile: {e}")],
        };
        validator
            .iter_errors(instance)
            .map(|error| {
                let at = error.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("body at `{at}`: {error}")
            })
            .collect()
    }
}

/// `node` with its `$ref`s followed; `node` itself if one points at nothing.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    leads_codegen::spec::follow_refs(doc, node).unwrap_or(node)
}

/// Converts an OpenAPI 3.0 schema to JSON Schema: `nullable: true` becomes a `null` type,
/// and keywords that are documentation only (`example`, `xml`, ...) go.
pub fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "nullable" | "example" | "xml" | "externalDocs" | "discriminator" => {}
                    "properties" => {
                        let properties: Map<String, Value> = value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, s)| (name.clone(), to_json_schema(s)))
                            .collect();
                        out.insert(key.clone(), Value::Object(properties));
                    }
                    // Enum values and defaults are data, not schemas.
                    "enum" | "default" | "required" => {
                        out.insert(key.clone(), value.clone());
                    }
                    _ => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                }
            }
            if map.get("nullable").and_then(Value::as_bool) == Some(true) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".to_owned(), json!([t, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(out);
                        return json!({"anyOf": [inner, {"type": "null"}]});
                    }
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}
