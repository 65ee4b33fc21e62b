//! Seeded mutations of the spec: `cargo xtask check` must fail on each, naming the place.
//!
//! Each mutation edits a copy of `openapi/leads.yaml` the way a careless change would; the
//! check's spec steps (the house rules and the release gate against the committed baseline)
//! run on the copy, and the test asserts that a problem names the mutated location.

use serde_json::{json, Value};
use xtask::release::{check_documents, released_documents};
use xtask::Problem;

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/leads.yaml");
    let text = std::fs::read_to_string(path).expect("openapi/leads.yaml is readable");
    serde_yaml_ng::from_str(&text).expect("openapi/leads.yaml is YAML")
}

/// The problems `cargo xtask check`'s spec steps report for `doc`.
fn spec_problems(doc: &Value) -> Vec<Problem> {
    let text = serde_yaml_ng::to_string(doc).expect("the copy serialises");
    let path = std::path::Path::new("openapi/leads.yaml");
    let mut problems: Vec<Problem> = leads_codegen::lint::lint_text(path, &text)
        .into_iter()
        .map(Problem::Lint)
        .collect();
    let released = released_documents().expect("the baselines are readable");
    problems.extend(check_documents(doc, &released));
    problems
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the spec has {pointer}"))
}

fn take(doc: &mut Value, pointer: &str, key: &str) -> Value {
    at(doc, pointer)
        .as_object_mut()
        .expect("an object")
        .remove(key)
        .unwrap_or_else(|| panic!("{pointer} has {key}"))
}

/// Applies `mutate` to a copy of the spec and asserts that a problem is located at
/// `expected` (a suffix of the problem's location) and mentions `words`.
fn assert_caught(name: &str, mutate: impl FnOnce(&mut Value), expected: &str, words: &str) {
    let mut doc = spec();
    mutate(&mut doc);
    let problems = spec_problems(&doc);
    let caught = problems
        .iter()
        .any(|p| p.location().ends_with(expected) && p.to_string().contains(words));
    let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        caught,
        "mutation `{name}` was not reported at `{expected}` with `{words}`; problems:\n{}",
        report.join("\n")
    );
}

const LEAD: &str = "/paths/~1{project_id}~1leads~1{id}";

#[test]
fn the_unmutated_spec_passes() {
    let problems = spec_problems(&spec());
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn renaming_a_response_property() {
    assert_caught(
        "rename perPage",
        |doc| {
            let value = take(doc, "/components/schemas/LeadList/properties", "perPage");
            at(doc, "/components/schemas/LeadList/properties")["per_page"] = value;
            at(doc, "/components/schemas/LeadList")["required"] =
                json!(["per_page", "count", "leads"]);
        },
        "#/components/schemas/LeadList/properties/perPage",
        "removed",
    );
}

#[test]
fn making_a_request_field_required() {
    assert_caught(
        "require email on create",
        |doc| at(doc, "/components/schemas/LeadCreate")["required"] = json!(["lead_id", "email"]),
        "#/components/schemas/LeadCreate/properties/email",
        "became required",
    );
}

#[test]
fn narrowing_an_enum() {
    assert_caught(
        "drop a sort field",
        |doc| {
            at(doc, "/components/schemas/SortField")["enum"] =
                json!(["createdAt", "updatedAt", "fullname", "lead_id"]);
        },
        "#/components/schemas/SortField",
        "enum narrowed",
    );
}

#[test]
fn changing_a_status_code() {
    assert_caught(
        "get answers 201",
        |doc| {
            let ok = take(doc, &format!("{LEAD}/get/responses"), "200");
            at(doc, &format!("{LEAD}/get/responses"))["201"] = ok;
        },
        &format!("#{LEAD}/get/responses/200"),
        "no longer documented",
    );
}

#[test]
fn removing_an_operation() {
    assert_caught(
        "remove tag removal",
        |doc| {
            take(doc, "/paths", "/{project_id}/leads/{id}/tag/{tag}");
        },
        "#/paths/~1{project_id}~1leads~1{id}~1tag~1{tag}/delete",
        "removed",
    );
}

#[test]
fn tightening_a_bound() {
    assert_caught(
        "limit at most 50",
        |doc| at(doc, "/components/parameters/Limit/schema")["maximum"] = json!(50),
        "#/paths/~1{project_id}~1leads/get/parameters/query:limit",
        "tightened",
    );
}

#[test]
fn changing_a_content_type() {
    assert_caught(
        "csv as text/plain",
        |doc| {
            let content = "/paths/~1{project_id}~1leads~1csv/get/responses/200/content";
            let csv = take(doc, content, "text/csv");
            at(doc, content)["text/plain"] = csv;
        },
        "#/paths/~1{project_id}~1leads~1csv/get/responses/200/content/text~1csv",
        "removed",
    );
}

#[test]
fn removing_a_query_parameter() {
    assert_caught(
        "no email filter",
        |doc| {
            let parameters = at(doc, "/paths/~1{project_id}~1leads/get/parameters");
            parameters
                .as_array_mut()
                .expect("an array")
                .retain(|p| p["$ref"] != json!("#/components/parameters/Email"));
        },
        "#/paths/~1{project_id}~1leads/get/parameters/query:email",
        "removed",
    );
}

#[test]
fn an_undocumented_error_body() {
    assert_caught(
        "a plain-text 404",
        |doc| {
            at(doc, &format!("{LEAD}/get/responses"))["404"] = json!({
                "description": "gone",
                "content": {"text/plain": {"schema": {"type": "string"}}}
            });
        },
        &format!("#{LEAD}/get/responses/404"),
        "error-body",
    );
}

#[test]
fn a_breaking_change_with_a_major_bump_needs_a_baseline() {
    assert_caught(
        "the next major version without a baseline",
        |doc| {
            take(doc, "/paths", "/{project_id}/leads/{id}/tag/{tag}");
            let current = doc["info"]["version"].as_str().expect("a version");
            let major: u64 = current
                .split('.')
                .next()
                .and_then(|major| major.parse().ok())
                .expect("a semantic version");
            doc["info"]["version"] = json!(format!("{}.0.0", major + 1));
        },
        "#/info/version",
        "no released baseline",
    );
}
