//! The schemas that become named Rust types, with the names typify and progenitor give
//! them: each component (`LeadUpdate`), each inline object nested in one
//! (`LeadUpdateCity`), and each inline body and response (`CreateLeadBody`,
//! `GetLeadResponse`). The passes that complete the generated types find their targets by
//! these names.

use heck::ToUpperCamelCase;
use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use crate::server::names::escape;
use crate::server::schema::COMPONENT_PREFIX;

/// One schema that becomes a named type.
pub struct Named<'a> {
    /// The Rust type's name.
    pub type_name: String,
    /// The schema.
    pub schema: &'a Schema,
    /// Its JSON pointer in the spec.
    pub at: String,
}

/// Every schema of the spec that becomes a named type, parents before children.
pub fn schemas(spec: &OpenAPI) -> Vec<Named<'_>> {
    let mut found = Vec::new();
    if let Some(components) = &spec.components {
        for (name, schema) in &components.schemas {
            if let ReferenceOr::Item(schema) = schema {
                let at = format!("{COMPONENT_PREFIX}{}", escape(name));
                nested(&name.to_upper_camel_case(), schema, at, &mut found);
            }
        }
    }
    for (path, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (method, operation) in item.iter() {
            let Some(id) = &operation.operation_id else {
                continue;
            };
            let at = format!("#/paths/{}/{method}", escape(path));
            let body = operation
                .request_body
                .as_ref()
                .and_then(ReferenceOr::as_item)
                .and_then(|body| body.content.get("application/json"))
                .and_then(|media| media.schema.as_ref()?.as_item());
            if let Some(schema) = body {
                let at = format!("{at}/requestBody/content/application~1json/schema");
                nested(
                    &format!("{id}-body").to_upper_camel_case(),
                    schema,
                    at,
                    &mut found,
                );
            }
            for (status, response) in &operation.responses.responses {
                let schema = response
                    .as_item()
                    .and_then(|response| response.content.get("application/json"))
                    .and_then(|media| media.schema.as_ref()?.as_item());
                if let Some(schema) = schema {
                    let at = format!("{at}/responses/{status}/content/application~1json/schema");
                    let name = format!("{id}-response").to_upper_camel_case();
                    nested(&name, schema, at, &mut found);
                }
            }
        }
    }
    found
}

/// `schema` under `type_name`, then the inline objects of its properties.
fn nested<'a>(type_name: &str, schema: &'a Schema, at: String, found: &mut Vec<Named<'a>>) {
    if let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind {
        for (property, child) in &object.properties {
            if let ReferenceOr::Item(child) = child {
                if matches!(child.schema_kind, SchemaKind::Type(Type::Object(_))) {
                    nested(
                        &format!("{type_name}{}", property.to_upper_camel_case()),
                        child,
                        format!("{at}/properties/{}", escape(property)),
                        found,
                    );
                }
            }
        }
    }
    found.push(Named {
        type_name: type_name.to_owned(),
        schema,
        at,
    });
}
