//! Unsupported constructs fail generation with a `CodegenError` naming their JSON pointer,
//! never a panic.

use std::path::Path;

use leads_codegen::CodegenError;
use serde_json::{json, Value};

/// The small fixture, as JSON, to be broken one way per test.
fn base() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_yaml_ng::from_str(&text).expect("yaml")
}

/// Generates from `spec`; returns the error's location and message.
fn refused(spec: Value) -> (String, String) {
    let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("still OpenAPI 3.0");
    match leads_codegen::server::generate(&spec) {
        Err(CodegenError::Unsupported { location, message }) => (location, message),
        Err(other) => panic!("expected an unsupported-construct error, got {other}"),
        Ok(_) => panic!("generation succeeded"),
    }
}

const GET: &str = "/paths/~1items~1{id}/get";

fn op(spec: &mut Value) -> &mut Value {
    spec.pointer_mut(GET).expect("the operation")
}

#[test]
fn the_base_fixture_generates() {
    let spec: openapiv3::OpenAPI = serde_json::from_value(base()).expect("OpenAPI");
    leads_codegen::server::generate(&spec).expect("generates");
}

#[test]
fn a_second_success_type() {
    let mut spec = base();
    op(&mut spec)["responses"]["201"] = json!({"description": "Also fine.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}});
    let (location, message) = refused(spec);
    assert_eq!(location, format!("#{GET}/responses"));
    assert!(message.contains("several success types"), "{message}");
}

#[test]
fn a_non_json_request_body() {
    let mut spec = base();
    op(&mut spec)["requestBody"] =
        json!({"content": {"application/xml": {"schema": {"$ref": "#/components/schemas/Item"}}}});
    let (location, message) = refused(spec);
    assert_eq!(
        location,
        format!("#{GET}/requestBody/content/application~1xml")
    );
    assert!(message.contains("only `application/json`"), "{message}");
}

#[test]
fn an_inline_error_schema() {
    let mut spec = base();
    op(&mut spec)["responses"]["404"]["content"]["application/json"]["schema"] = json!({
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "msg": {"type": "string"}}
    });
    let (location, message) = refused(spec);
    assert_eq!(
        location,
        format!("#{GET}/responses/404/content/application~1json/schema")
    );
    assert!(message.contains("the one error schema"), "{message}");
}

/// What progenitor accepts, the server generator accepts too: inline schemas get the
/// names progenitor gives them.
#[test]
fn inline_schemas_are_named_as_progenitor_names_them() {
    let mut spec = base();
    op(&mut spec)["responses"]["200"]["content"]["application/json"]["schema"] = json!({
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "note": {"type": "string", "nullable": true}}
    });
    op(&mut spec)["parameters"][1]["schema"] = json!({"type": "string", "pattern": "^a+$"});
    let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("OpenAPI");
    let server = leads_codegen::server::generate(&spec).expect("the server generates");
    let client = leads_codegen::client::generate(&spec).expect("the client generates");
    for (side, code) in [("server", &server), ("client", &client)] {
        assert!(
            code.contains("pub struct GetItemResponse"),
            "{side}:\n{code}"
        );
        assert!(
            code.contains("pub struct GetItemVerbose"),
            "{side}:\n{code}"
        );
        assert!(code.contains("pub note: Nullable<"), "{side}:\n{code}");
    }
    assert!(
        server.contains("verbose: ::std::option::Option<types::GetItemVerbose>"),
        "{server}"
    );
}

#[test]
fn two_error_schemas() {
    let mut spec = base();
    spec["components"]["schemas"]["Other"] = spec["components"]["schemas"]["Error"].clone();
    op(&mut spec)["responses"]["400"] = json!({"description": "Bad.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Other"}}}});
    let (location, message) = refused(spec);
    assert_eq!(
        location,
        format!("#{GET}/responses/404/content/application~1json/schema")
    );
    assert!(message.contains("one schema"), "{message}");
}

#[test]
fn an_error_schema_the_router_cannot_build() {
    let mut spec = base();
    spec["components"]["schemas"]["Error"]["properties"]["code"] = json!({"type": "integer"});
    let (location, _) = refused(spec);
    assert_eq!(location, "#/components/schemas/Error");
}

#[test]
fn a_missing_operation_id() {
    let mut spec = base();
    op(&mut spec)
        .as_object_mut()
        .expect("object")
        .remove("operationId");
    let (location, _) = refused(spec);
    assert_eq!(location, format!("#{GET}"));
}

#[test]
fn a_header_parameter_generates() {
    let mut spec = base();
    op(&mut spec)["parameters"][1]["in"] = json!("header");
    op(&mut spec)["parameters"][1]["name"] = json!("X-Verbose");
    let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("OpenAPI");
    let code = leads_codegen::server::generate(&spec).expect("generates");
    assert!(code.contains("pub struct GetItemHeaders"), "{code}");
    assert!(code.contains("\"X-Verbose\""), "{code}");
}

#[test]
fn a_header_the_router_owns() {
    for name in ["Authorization", "content-type", "Accept"] {
        let mut spec = base();
        op(&mut spec)["parameters"][1]["in"] = json!("header");
        op(&mut spec)["parameters"][1]["name"] = json!(name);
        let (location, message) = refused(spec);
        assert_eq!(location, format!("#{GET}/parameters/1/name"));
        assert!(message.contains("reads"), "{message}");
    }
}

#[test]
fn a_header_name_that_is_no_token() {
    let mut spec = base();
    op(&mut spec)["parameters"][1]["in"] = json!("header");
    op(&mut spec)["parameters"][1]["name"] = json!("X Verbose");
    let (location, message) = refused(spec);
    assert_eq!(location, format!("#{GET}/parameters/1/name"));
    assert!(message.contains("header name"), "{message}");
}

#[test]
fn an_array_in_a_header() {
    let mut spec = base();
    op(&mut spec)["parameters"][1] = json!({
        "name": "X-Tags", "in": "header",
        "schema": {"type": "array", "items": {"type": "boolean"}}
    });
    let (location, message) = refused(spec);
    assert_eq!(location, format!("#{GET}/parameters/1/schema"));
    assert!(message.contains("header"), "{message}");
}

#[test]
fn a_cookie_parameter() {
    let mut spec = base();
    op(&mut spec)["parameters"][1]["in"] = json!("cookie");
    let (location, message) = refused(spec);
    assert_eq!(location, format!("#{GET}/parameters/1"));
    assert!(message.contains("cookie"), "{message}");
}

#[test]
fn an_unbounded_construct_in_a_parameter() {
    let mut spec = base();
    op(&mut spec)["parameters"][1]["schema"] = json!({"type": "object"});
    let (location, _) = refused(spec);
    assert_eq!(location, format!("#{GET}/parameters/1/schema"));
}

#[test]
fn a_default_response_and_a_status_range() {
    let mut spec = base();
    op(&mut spec)["responses"]["default"] = json!({"description": "Anything."});
    assert_eq!(refused(spec).0, format!("#{GET}/responses/default"));
    let mut spec = base();
    op(&mut spec)["responses"]["5XX"] = json!({"description": "Anything."});
    assert_eq!(refused(spec).0, format!("#{GET}/responses/5XX"));
}

#[test]
fn an_oauth2_scheme() {
    let mut spec = base();
    spec["components"]["securitySchemes"]["basicAuth"] = json!({"type": "oauth2", "flows": {}});
    assert_eq!(refused(spec).0, "#/components/securitySchemes/basicAuth");
}

#[test]
fn a_reference_outside_the_document() {
    let mut spec = base();
    spec["components"]["schemas"]["Item"]["properties"]["id"] = json!({"$ref": "other.yaml#/Id"});
    assert_eq!(
        refused(spec).0,
        "#/components/schemas/Item/properties/id/$ref"
    );
}

#[test]
fn a_parameter_missing_from_the_path() {
    let mut spec = base();
    op(&mut spec)["parameters"][0]["name"] = json!("key");
    let (location, message) = refused(spec);
    assert_eq!(location, format!("#{GET}"));
    assert!(message.contains("`id`"), "{message}");
}

#[test]
fn templates_the_router_cannot_tell_apart() {
    let mut spec = base();
    let item = spec["paths"]["/items/{id}"].clone();
    let mut other = item.clone();
    other["get"]["operationId"] = json!("getOther");
    other["get"]["parameters"][0]["name"] = json!("key");
    spec["paths"]["/items/{key}"] = other;
    let (location, message) = refused(spec);
    assert_eq!(location, "#/paths/~1items~1{key}");
    assert!(
        message.contains("differ only in parameter names"),
        "{message}"
    );
}
