//! Breaking-change detection: each kind of change is classified, and the release gate
//! demands a new major version for breaking ones.

use leads_codegen::compat::{diff, gate, Change, GateProblem, Severity};
use serde_json::{json, Value};

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/leads.yaml");
    let text = std::fs::read_to_string(path).expect("openapi/leads.yaml is readable");
    serde_yaml_ng::from_str(&text).expect("openapi/leads.yaml is YAML")
}

fn changed(mutate: impl FnOnce(&mut Value)) -> (Value, Value) {
    let old = spec();
    let mut new = old.clone();
    mutate(&mut new);
    (old, new)
}

fn breaking(old: &Value, new: &Value) -> Vec<Change> {
    diff(old, new)
        .into_iter()
        .filter(|c| c.severity == Severity::Breaking)
        .collect()
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the spec has {pointer}"))
}

fn remove(doc: &mut Value, pointer: &str, key: &str) {
    at(doc, pointer)
        .as_object_mut()
        .expect("an object")
        .remove(key)
        .unwrap_or_else(|| panic!("{pointer} has {key}"));
}

const LEAD_ITEM: &str = "/paths/~1{project_id}~1leads~1{id}";

#[test]
fn the_same_spec_has_no_changes() {
    assert_eq!(diff(&spec(), &spec()), Vec::new());
}

#[test]
fn a_removed_operation_is_breaking() {
    let (old, new) = changed(|doc| remove(doc, LEAD_ITEM, "delete"));
    let found = breaking(&old, &new);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, format!("#{LEAD_ITEM}/delete"));
}

#[test]
fn a_renamed_response_property_is_breaking_where_it_was() {
    let (old, new) = changed(|doc| {
        let props = at(doc, "/components/schemas/LeadList/properties");
        let per_page = props
            .as_object_mut()
            .expect("an object")
            .remove("perPage")
            .expect("perPage exists");
        props["per_page"] = per_page;
        at(doc, "/components/schemas/LeadList")["required"] = json!(["per_page", "count", "leads"]);
    });
    let found = breaking(&old, &new);
    assert!(
        found.iter().any(
            |c| c.pointer == "#/components/schemas/LeadList/properties/perPage"
                && c.message.contains("removed")
        ),
        "{found:?}"
    );
}

#[test]
fn a_new_required_request_field_is_breaking() {
    let (old, new) = changed(|doc| {
        at(doc, "/components/schemas/LeadCreate")["required"] = json!(["lead_id", "email"]);
    });
    let found = breaking(&old, &new);
    assert!(
        found.iter().any(
            |c| c.pointer == "#/components/schemas/LeadCreate/properties/email"
                && c.message.contains("became required")
        ),
        "{found:?}"
    );
}

#[test]
fn a_narrowed_enum_is_breaking_and_a_widened_one_is_not() {
    let (old, new) = changed(|doc| {
        at(doc, "/components/schemas/SortField")["enum"] = json!(["createdAt", "updatedAt"]);
    });
    let found = breaking(&old, &new);
    assert!(
        found.iter().any(
            |c| c.pointer == "#/components/schemas/SortField" && c.message.contains("narrowed")
        ),
        "{found:?}"
    );

    let (old, new) = changed(|doc| {
        let values = at(doc, "/components/schemas/SortField/enum");
        values.as_array_mut().expect("an array").push(json!("city"));
    });
    assert_eq!(breaking(&old, &new), Vec::new());
    assert!(diff(&old, &new)
        .iter()
        .any(|c| c.message.contains("widened")));
}

#[test]
fn a_tightened_request_bound_is_breaking() {
    let (old, new) = changed(|doc| {
        at(doc, "/components/parameters/Limit/schema")["maximum"] = json!(50);
    });
    let found = breaking(&old, &new);
    assert!(
        found
            .iter()
            .any(|c| c.message.contains("`maximum` tightened from `100` to `50`")),
        "{found:?}"
    );
}

#[test]
fn a_changed_status_code_is_breaking() {
    let (old, new) = changed(|doc| {
        let responses = at(doc, &format!("{LEAD_ITEM}/get/responses"));
        let ok = responses
            .as_object_mut()
            .expect("an object")
            .remove("200")
            .expect("200 exists");
        responses["201"] = ok;
    });
    let found = breaking(&old, &new);
    let pointers: Vec<&str> = found.iter().map(|c| c.pointer.as_str()).collect();
    assert!(
        pointers.contains(&format!("#{LEAD_ITEM}/get/responses/200").as_str()),
        "{found:?}"
    );
    assert!(
        pointers.contains(&format!("#{LEAD_ITEM}/get/responses/201").as_str()),
        "{found:?}"
    );
}

#[test]
fn a_changed_content_type_is_breaking() {
    let (old, new) = changed(|doc| {
        let content = at(
            doc,
            "/paths/~1{project_id}~1leads~1csv/get/responses/200/content",
        );
        let csv = content
            .as_object_mut()
            .expect("an object")
            .remove("text/csv")
            .expect("text/csv exists");
        content["text/plain"] = csv;
    });
    let found = breaking(&old, &new);
    assert!(
        found
            .iter()
            .any(|c| c.message.contains("`text/csv` was removed")),
        "{found:?}"
    );
}

#[test]
fn additions_are_compatible() {
    let (old, new) = changed(|doc| {
        at(doc, "/components/schemas/Lead/properties")["website"] =
            json!({"type": "string", "description": "The lead's website."});
        let parameters = at(doc, "/paths/~1{project_id}~1leads/get/parameters");
        parameters.as_array_mut().expect("an array").push(json!({
            "name": "city", "in": "query", "required": false,
            "description": "Only leads in this city.", "schema": {"type": "string"}
        }));
    });
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|c| c.severity == Severity::Compatible));
}

#[test]
fn the_gate_demands_a_major_version_for_breaking_changes() {
    let (old, mut new) = changed(|doc| remove(doc, LEAD_ITEM, "delete"));
    let problems = gate(&old, &new);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let printed = problems[0].to_string();
    let released = leads_codegen::compat::Version::of(&old).expect("the spec has a version");
    let next_major = format!("{}.0.0", released.major + 1);
    assert!(
        printed.contains(&format!("bump info.version to {next_major}")),
        "{printed}"
    );
    assert!(printed.contains("cargo xtask release"), "{printed}");

    new["info"]["version"] = json!(next_major);
    assert_eq!(gate(&old, &new), Vec::new());

    new["info"]["version"] = json!("0.9.0");
    assert!(matches!(
        gate(&old, &new)[..],
        [GateProblem::VersionRegressed { .. }]
    ));
}

#[test]
fn an_optional_parameter_and_response_property_by_reference_are_compatible() {
    // The spec as it was before list cursors: no `cursor` parameter, no `next`.
    let new = spec();
    let mut old = new.clone();
    remove(&mut old, "/components/schemas/LeadList/properties", "next");
    remove(&mut old, "/components/parameters", "Cursor");
    remove(&mut old, "/components/schemas", "Cursor");
    at(&mut old, "/paths/~1{project_id}~1leads/get/parameters")
        .as_array_mut()
        .expect("an array")
        .retain(|p| p["$ref"] != json!("#/components/parameters/Cursor"));
    old["info"]["version"] = json!("2.0.0");
    let changes = diff(&old, &new);
    assert!(
        changes.iter().all(|c| c.severity == Severity::Compatible),
        "{changes:?}"
    );
    for expected in [
        "new optional query parameter `cursor`",
        "property `next` was added",
    ] {
        assert!(
            changes.iter().any(|c| c.message.contains(expected)),
            "{expected}: {changes:?}"
        );
    }
    assert_eq!(gate(&old, &new), Vec::new());

    // The same parameter made required would break every client that leaves it out.
    let mut required = new.clone();
    at(&mut required, "/components/parameters/Cursor")["required"] = json!(true);
    assert!(!breaking(&old, &required).is_empty());
}
