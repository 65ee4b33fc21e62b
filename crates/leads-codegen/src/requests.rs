//! The request side of the spec as JSON Schema, for checking requests before they are
//! sent.
//!
//! typify checks patterns and lengths when a value is built, but not every keyword of the
//! spec (array bounds, integer maxima). The client therefore also validates each request
//! against the operation's own schemas, converted here at build time: one document with
//! the component schemas under `definitions` and, per operation, the schema of every query
//! parameter and of the JSON body. Operations are keyed by the name progenitor gives them
//! at run time (`OperationInfo::operation_id`), the operationId in snake case.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent};
use serde_json::{json, Map, Value};

use crate::server::names::escape;
use crate::server::resolve;
use crate::server::schema::{self, COMPONENT_PREFIX};
use crate::CodegenError;

/// The document described in the module docs, as pretty-printed JSON.
pub fn generate(spec: &OpenAPI) -> Result<String, CodegenError> {
    let mut definitions = Map::new();
    if let Some(components) = &spec.components {
        for (name, item) in &components.schemas {
            let at = format!("{COMPONENT_PREFIX}{}", escape(name));
            definitions.insert(name.clone(), to_value(schema::convert(item, &at)?));
        }
    }
    let mut operations = BTreeMap::new();
    for (path, item) in spec.paths.iter() {
        let item_at = format!("#/paths/{}", escape(path));
        let Some(item) = item.as_item() else { continue };
        for (method, operation) in item.iter() {
            let Some(id) = &operation.operation_id else {
                continue;
            };
            let at = format!("{item_at}/{method}");
            let mut query = Map::new();
            let listed = item
                .parameters
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("{item_at}/parameters/{i}"), p))
                .chain(
                    operation
                        .parameters
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (format!("{at}/parameters/{i}"), p)),
                );
            for (parameter_at, parameter) in listed {
                let found = resolve::parameter(spec, parameter, &parameter_at)?;
                let Parameter::Query { parameter_data, .. } = found.item else {
                    continue;
                };
                let ParameterSchemaOrContent::Schema(parameter_schema) = &parameter_data.format
                else {
                    continue;
                };
                let converted = to_value(schema::convert(
                    parameter_schema,
                    &format!("{}/schema", found.at),
                )?);
                query.insert(parameter_data.name.clone(), converted);
            }
            let body = operation
                .request_body
                .as_ref()
                .map(|body| resolve::request_body(spec, body, &format!("{at}/requestBody")))
                .transpose()?
                .and_then(|found| {
                    let media = found.item.content.get("application/json")?;
                    let body_schema = media.schema.as_ref()?;
                    Some(schema::convert(
                        body_schema,
                        &format!("{}/content/application~1json/schema", found.at),
                    ))
                })
                .transpose()?
                .map(to_value);
            operations.insert(id.to_snake_case(), json!({"query": query, "body": body}));
        }
    }
    let document = json!({"definitions": definitions, "operations": operations});
    serde_json::to_string_pretty(&document).map_err(|e| CodegenError::Unsupported {
        location: "#".to_owned(),
        message: format!("the request schemas do not serialise: {e}"),
    })
}

fn to_value(schema: schemars::schema::Schema) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Bool(true))
}

/// Whether a reference resolves inside the generated document.
#[cfg(test)]
fn resolves(document: &Value, reference: &str) -> bool {
    reference
        .strip_prefix('#')
        .is_some_and(|pointer| document.pointer(pointer).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_query_and_body_schemas() {
        let text = include_str!("../tests/fixtures/every_construct.yaml");
        let spec: OpenAPI = serde_yaml_ng::from_str(text).expect("fixture");
        let document: Value =
            serde_json::from_str(&generate(&spec).expect("generates")).expect("JSON");
        let operations = document["operations"].as_object().expect("operations");
        assert!(!operations.is_empty());
        let mut references = Vec::new();
        collect_refs(&document["operations"], &mut references);
        assert!(!references.is_empty(), "the fixture refers to components");
        for reference in references {
            assert!(resolves(&document, &reference), "{reference} resolves");
        }
    }

    fn collect_refs(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    out.push(reference.clone());
                }
                map.values().for_each(|child| collect_refs(child, out));
            }
            Value::Array(items) => items.iter().for_each(|child| collect_refs(child, out)),
            _ => {}
        }
    }
}
