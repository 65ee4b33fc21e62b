//! The spec passes the house rules, and each rule catches what it is meant to catch.

use std::path::Path;

use leads_codegen::lint::{lint_text, LintProblem, Rule};
use serde_json::{json, Value};

fn spec_path() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/leads.yaml"
    ))
}

fn spec() -> Value {
    let text = std::fs::read_to_string(spec_path()).expect("openapi/leads.yaml is readable");
    serde_yaml_ng::from_str(&text).expect("openapi/leads.yaml is YAML")
}

fn lint(doc: &Value) -> Vec<LintProblem> {
    let text = serde_yaml_ng::to_string(doc).expect("a document serialises");
    lint_text(spec_path(), &text)
}

/// Lints a mutated copy of the spec and returns the problems of `rule`.
fn problems_after(rule: Rule, mutate: impl FnOnce(&mut Value)) -> Vec<LintProblem> {
    let mut doc = spec();
    mutate(&mut doc);
    lint(&doc).into_iter().filter(|p| p.rule == rule).collect()
}

fn pointer_mut<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the spec has {pointer}"))
}

const GET_LEAD: &str = "/paths/~1{project_id}~1leads~1{id}/get";

#[test]
fn the_leads_spec_passes_every_rule() {
    let text = std::fs::read_to_string(spec_path()).expect("openapi/leads.yaml is readable");
    let problems = lint_text(spec_path(), &text);
    let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "openapi/leads.yaml breaks the lint rules (run `cargo xtask lint`):\n{}",
        report.join("\n")
    );
}

#[test]
fn a_3_1_document_is_rejected() {
    let found = problems_after(Rule::Parses, |doc| doc["openapi"] = json!("3.1.0"));
    assert!(found.iter().any(|p| p.pointer == "#/openapi"), "{found:?}");
}

#[test]
fn duplicate_and_snake_case_operation_ids_are_reported() {
    let found = problems_after(Rule::OperationId, |doc| {
        pointer_mut(doc, GET_LEAD)["operationId"] = json!("listLeads");
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("already"), "{found:?}");

    let found = problems_after(Rule::OperationId, |doc| {
        pointer_mut(doc, GET_LEAD)["operationId"] = json!("get_lead");
    });
    assert_eq!(found[0].pointer, format!("#{GET_LEAD}/operationId"));
}

#[test]
fn an_error_response_without_the_error_schema_is_reported() {
    let found = problems_after(Rule::ErrorBody, |doc| {
        pointer_mut(doc, GET_LEAD)["responses"]["404"] = json!({
            "description": "gone",
            "content": {"text/plain": {"schema": {"type": "string"}}}
        });
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, format!("#{GET_LEAD}/responses/404"));
}

#[test]
fn a_parameter_or_property_without_description_is_reported() {
    let found = problems_after(Rule::Description, |doc| {
        let limit = pointer_mut(doc, "/components/parameters/Limit");
        limit
            .as_object_mut()
            .expect("an object")
            .remove("description");
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, "#/components/parameters/Limit");

    let found = problems_after(Rule::Description, |doc| {
        let city = pointer_mut(doc, "/components/schemas/Lead/properties/city");
        city.as_object_mut()
            .expect("an object")
            .remove("description");
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].pointer,
        "#/components/schemas/Lead/properties/city"
    );
}

#[test]
fn an_operation_without_security_is_reported_but_signin_may_be_public() {
    let found = problems_after(Rule::Security, |doc| {
        pointer_mut(doc, GET_LEAD)["security"] = json!([]);
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, format!("#{GET_LEAD}/security"));

    let found = problems_after(Rule::Security, |doc| {
        pointer_mut(doc, GET_LEAD)
            .as_object_mut()
            .expect("an object")
            .remove("security");
    });
    assert_eq!(found[0].pointer, format!("#{GET_LEAD}"));
}

#[test]
fn a_success_response_without_an_example_is_reported() {
    let ok = format!("{GET_LEAD}/responses/200/content/application~1json");
    let found = problems_after(Rule::Example, |doc| {
        pointer_mut(doc, &ok)
            .as_object_mut()
            .expect("an object")
            .remove("example");
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, format!("#{ok}"));
}

#[test]
fn unused_components_and_dangling_refs_are_reported() {
    let found = problems_after(Rule::UnusedComponent, |doc| {
        pointer_mut(doc, "/components/schemas")["Orphan"] =
            json!({"type": "string", "description": "Nobody uses me."});
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, "#/components/schemas/Orphan");

    let found = problems_after(Rule::DanglingRef, |doc| {
        pointer_mut(doc, "/components/schemas/Lead/properties/status")["$ref"] =
            json!("#/components/schemas/Missing");
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].pointer,
        "#/components/schemas/Lead/properties/status"
    );
}
