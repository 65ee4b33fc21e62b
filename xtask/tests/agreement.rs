//! The type-agreement comparison catches what it must: a Rust type whose schema lost a
//! constraint, and a spec that says something the types do not.

use serde_json::{json, Value};
use xtask::agreement::{compare, Drift};

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/leads.yaml");
    let text = std::fs::read_to_string(path).expect("openapi/leads.yaml is readable");
    serde_yaml_ng::from_str(&text).expect("openapi/leads.yaml is YAML")
}

fn client_schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema serialises")
}

fn drifts_of(spec: &Value, component: &str, rust: &Value) -> Vec<Drift> {
    compare(spec, component, "T", rust, rust)
}

#[test]
fn the_client_lead_create_agrees() {
    let rust = client_schema::<leads_client::types::LeadCreate>();
    // Exactly the gaps of KNOWN_GAPS are accepted, no more.
    let drifts = xtask::agreement::unexplained("client", drifts_of(&spec(), "LeadCreate", &rust));
    assert_eq!(drifts, Vec::new());
}

#[test]
fn a_dropped_max_length_is_reported_at_the_property() {
    let mut rust = client_schema::<leads_client::types::LeadCreate>();
    let fullname = rust
        .pointer_mut("/definitions/LeadCreateFullname")
        .expect("the fullname newtype has a definition");
    fullname
        .as_object_mut()
        .expect("an object")
        .remove("maxLength")
        .expect("the generator stated maxLength");
    let drifts = drifts_of(&spec(), "LeadCreate", &rust);
    assert!(
        drifts.iter().any(
            |d| d.pointer == "#/components/schemas/LeadCreate/properties/fullname"
                && d.detail == "`maxLength`: spec has `255`, Rust has none"
        ),
        "{drifts:?}"
    );
}

#[test]
fn a_dropped_pattern_is_reported() {
    let mut rust = client_schema::<leads_client::types::Lead>();
    rust.pointer_mut("/definitions/ObjectId")
        .and_then(Value::as_object_mut)
        .expect("ObjectId has a definition")
        .remove("pattern");
    let drifts = drifts_of(&spec(), "Lead", &rust);
    assert!(
        drifts
            .iter()
            .any(|d| d.pointer.ends_with("/Lead/properties/_id") && d.detail.contains("pattern")),
        "{drifts:?}"
    );
}

#[test]
fn a_spec_enum_the_type_lacks_is_reported() {
    let mut spec = spec();
    spec["components"]["schemas"]["SortField"]["enum"] = json!(["createdAt", "updatedAt"]);
    let rust = client_schema::<leads_client::types::SortField>();
    let drifts = drifts_of(&spec, "SortField", &rust);
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert!(drifts[0].detail.starts_with("`enum`"), "{drifts:?}");
}

#[test]
fn required_nullability_type_and_format_changes_are_reported() {
    let spec = spec();
    let mut rust = client_schema::<leads_client::types::LeadList>();
    rust["properties"]["count"] = json!({"type": ["integer", "null"], "format": "int64"});
    rust["properties"]["perPage"] = json!({"type": "integer", "format": "int64", "minimum": 1});
    rust["required"] = json!(["count", "leads"]);
    let drifts = drifts_of(&spec, "LeadList", &rust);
    let details: Vec<&str> = drifts.iter().map(|d| d.detail.as_str()).collect();
    assert!(
        details.iter().any(|d| d.starts_with("`nullable`")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.starts_with("`format`")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.starts_with("`required`")),
        "{details:?}"
    );
}

#[test]
fn a_missing_property_is_reported() {
    let mut rust = client_schema::<leads_client::types::Error>();
    rust["properties"]
        .as_object_mut()
        .expect("an object")
        .remove("msg");
    let drifts = drifts_of(&spec(), "Error", &rust);
    assert!(
        drifts
            .iter()
            .any(|d| d.pointer == "#/components/schemas/Error/properties/msg"),
        "{drifts:?}"
    );
}
