//! Type agreement: the Rust types that the client and server compile against describe the
//! same data as the spec's schemas.
//!
//! Each side states its types' schemas in its own dialect: the client's types derive
//! `schemars::JsonSchema` (JSON Schema draft 7), the server's types derive `utoipa::ToSchema`
//! (OpenAPI 3.1). Both are brought into one canonical form together with the spec's OpenAPI
//! 3.0 schemas, then compared keyword by keyword: properties, required sets, types, formats,
//! enums, bounds, patterns and nullability. Descriptions, titles, defaults and examples are
//! documentation, not shape, and are left out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

/// One disagreement between a Rust type and the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The Rust type, e.g. `leads_client::types::Lead`.
    pub rust_type: String,
    /// Where in the spec, e.g. `#/components/schemas/Lead/properties/_id`.
    pub pointer: String,
    /// What differs.
    pub detail: String,
}

/// A schema in the canonical form: only the keywords that describe shape.
type Canonical = Map<String, Value>;

/// Resolves `$ref`s within one document: the spec (`#/components/schemas/X`) or a schemars
/// root (`#/definitions/X`) or a utoipa set of components.
struct Resolver<'a> {
    doc: &'a Value,
}

impl Resolver<'_> {
    fn resolve<'b>(&'b self, mut node: &'b Value) -> &'b Value {
        for _ in 0..16 {
            match node.get("$ref").and_then(Value::as_str) {
                Some(reference) => match reference
                    .strip_prefix('#')
                    .and_then(|p| self.doc.pointer(p))
                {
                    Some(target) => node = target,
                    None => return node,
                },
                None => break,
            }
        }
        // utoipa and schemars sometimes wrap a `$ref` in `allOf: [{$ref}]` to attach a
        // description; a single-element allOf is the element.
        if let Some([only]) = node
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return self.resolve(only);
        }
        node
    }
}

const SHAPE_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// Brings a schema into canonical form, following `$ref`s, to `depth` levels.
fn canonical(resolver: &Resolver<'_>, node: &Value, depth: usize) -> Canonical {
    let node = resolver.resolve(node);
    let mut out = Canonical::new();
    if depth == 0 {
        return out;
    }
    // `type`: a string, or a list with "null" (draft 7 and 3.1) meaning nullable.
    let mut nullable = node
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut types: Vec<String> = match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    // schemars spells an enum whose variants have docs as `oneOf` one-value enums.
    if let Some(values) = one_value_options(node) {
        out.insert("type".to_owned(), json!("string"));
        let mut values: Vec<String> = values.iter().map(ToString::to_string).collect();
        values.sort();
        out.insert("enum".to_owned(), json!(values));
        return out;
    }
    // 3.1 and draft 7 also spell nullability as `anyOf`/`oneOf: [X, {type: null}]`.
    for keyword in ["anyOf", "oneOf"] {
        if let Some(options) = node.get(keyword).and_then(Value::as_array) {
            let non_null: Vec<&Value> = options
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 && options.len() == 2 {
                let mut inner = canonical(resolver, non_null[0], depth);
                inner.insert("nullable".to_owned(), json!(true));
                return inner;
            }
        }
    }
    if types.iter().any(|t| t == "null") {
        nullable = true;
        types.retain(|t| t != "null");
    }
    if let [single] = types.as_slice() {
        out.insert("type".to_owned(), json!(single));
    } else if !types.is_empty() {
        out.insert("type".to_owned(), json!(types));
    }
    if nullable {
        out.insert("nullable".to_owned(), json!(true));
    }
    for keyword in SHAPE_KEYWORDS {
        if let Some(value) = node.get(*keyword) {
            out.insert((*keyword).to_owned(), normalise_number(value));
        }
    }
    integer_format(node, &mut out);
    if let Some(format) = node.get("format").and_then(Value::as_str) {
        if out.get("type").and_then(Value::as_str) != Some("integer") {
            out.insert("format".to_owned(), json!(format));
        }
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let mut values: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| normalise_number(v).to_string())
            .collect();
        values.sort();
        out.insert("enum".to_owned(), json!(values));
    }
    if let Some(items) = node.get("items") {
        out.insert(
            "items".to_owned(),
            Value::Object(canonical(resolver, items, depth - 1)),
        );
    }
    object_shape(resolver, node, depth, &mut out);
    out
}

/// The values of a `oneOf` whose every option is a one-value string `enum` or a `const`.
fn one_value_options(node: &Value) -> Option<Vec<Value>> {
    let options = node.get("oneOf")?.as_array()?;
    options
        .iter()
        .map(
            |option| match option.get("enum").and_then(Value::as_array) {
                Some(values) if values.len() == 1 => Some(values[0].clone()),
                _ => option.get("const").cloned(),
            },
        )
        .collect()
}

/// Numbers compare by value: `100` and `100.0` are the same bound.
fn normalise_number(value: &Value) -> Value {
    match value.as_f64() {
        Some(n) if value.is_number() && n.fract() == 0.0 => json!(n as i64),
        _ => value.clone(),
    }
}

/// Integer formats compare by width. An unsigned Rust integer (`uint32`, `uint64`) is an
/// `int32`/`int64` with a minimum of at least 0.
fn integer_format(node: &Value, out: &mut Canonical) {
    if out.get("type").and_then(Value::as_str) != Some("integer") {
        return;
    }
    let Some(format) = node.get("format").and_then(Value::as_str) else {
        return;
    };
    let (width, unsigned) = match format {
        "int8" | "int16" | "int32" => ("int32", false),
        "int64" => ("int64", false),
        "uint8" | "uint16" | "uint32" => ("int32", true),
        "uint64" | "uint" => ("int64", true),
        other => (other, false),
    };
    out.insert("format".to_owned(), json!(width));
    if unsigned {
        let minimum = out
            .get("minimum")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0);
        out.insert("minimum".to_owned(), json!(minimum));
    }
}

fn object_shape(resolver: &Resolver<'_>, node: &Value, depth: usize, out: &mut Canonical) {
    let required: BTreeSet<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let mut canonical_properties = Map::new();
        for (name, property) in properties {
            // Nullability is compared for every property, optional ones included: an
            // optional property that allows `null` must keep `null` apart from absent.
            let shape = canonical(resolver, property, depth - 1);
            canonical_properties.insert(name.clone(), Value::Object(shape));
        }
        out.insert("properties".to_owned(), Value::Object(canonical_properties));
        out.insert("required".to_owned(), json!(required));
    }
    // `additionalProperties`: only `false` (closed) and a schema differ from the default.
    match node.get("additionalProperties") {
        Some(Value::Bool(false)) => {
            out.insert("additionalProperties".to_owned(), json!(false));
        }
        Some(schema @ Value::Object(map)) if !map.is_empty() => {
            let shape = canonical(resolver, schema, depth - 1);
            if !shape.is_empty() {
                out.insert("additionalProperties".to_owned(), Value::Object(shape));
            }
        }
        _ => {}
    }
    // utoipa 6 spells a free-form map as `propertyNames` + `additionalProperties: {}`.
}

/// Compares a Rust type's schema (root `rust_doc`, schema `rust`) with the spec's component
/// `component`.
pub fn compare(
    spec: &Value,
    component: &str,
    rust_type: &str,
    rust_doc: &Value,
    rust: &Value,
) -> Vec<Drift> {
    let pointer = format!("#/components/schemas/{component}");
    let Some(spec_schema) = spec.pointer(&pointer[1..]) else {
        return vec![Drift {
            rust_type: rust_type.to_owned(),
            pointer,
            detail: "the spec has no such schema".to_owned(),
        }];
    };
    let expected = canonical(&Resolver { doc: spec }, spec_schema, 12);
    let found = canonical(&Resolver { doc: rust_doc }, rust, 12);
    let mut drifts = Vec::new();
    diff(&pointer, &expected, &found, &mut |pointer, detail| {
        drifts.push(Drift {
            rust_type: rust_type.to_owned(),
            pointer,
            detail,
        });
    });
    drifts
}

fn diff(
    pointer: &str,
    expected: &Canonical,
    found: &Canonical,
    report: &mut impl FnMut(String, String),
) {
    let keys: BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
    for key in keys {
        let (e, f) = (expected.get(key), found.get(key));
        match key.as_str() {
            "properties" => {
                let empty = Map::new();
                let e = e.and_then(Value::as_object).unwrap_or(&empty);
                let f = f.and_then(Value::as_object).unwrap_or(&empty);
                let names: BTreeSet<&String> = e.keys().chain(f.keys()).collect();
                for name in names {
                    let at = format!("{pointer}/properties/{}", leads_codegen::lint::escape(name));
                    match (e.get(name), f.get(name)) {
                        (Some(_), None) => report(
                            at,
                            format!("property `{name}` is missing from the Rust type"),
                        ),
                        (None, Some(_)) => report(
                            at,
                            format!("the Rust type has property `{name}`, the spec does not"),
                        ),
                        (Some(Value::Object(e)), Some(Value::Object(f))) => diff(&at, e, f, report),
                        _ => {}
                    }
                }
            }
            "items" | "additionalProperties" => match (e, f) {
                (Some(Value::Object(e)), Some(Value::Object(f))) => {
                    diff(&format!("{pointer}/{key}"), e, f, report);
                }
                _ if e != f => report(
                    format!("{pointer}/{key}"),
                    format!("`{key}`: spec {}, Rust {}", shown(e), shown(f)),
                ),
                _ => {}
            },
            // Where the spec states no integer width, the Rust side's is its own choice.
            "format" if e.is_none() && expected.get("type") == Some(&json!("integer")) => {}
            _ if e != f => report(
                pointer.to_owned(),
                format!("`{key}`: spec {}, Rust {}", shown(e), shown(f)),
            ),
            _ => {}
        }
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "has none".to_owned(), |v| format!("has `{v}`"))
}

/// The spec's component schema names.
pub fn component_names(spec: &Value) -> BTreeSet<String> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default()
}

/// A named Rust type's schema, as the side's schema crate states it.
pub struct RustSchema {
    /// The spec component it stands for.
    pub component: &'static str,
    /// The Rust type's path.
    pub rust_type: &'static str,
    /// The document its `$ref`s resolve in, and the schema itself.
    pub schema: fn() -> (Value, Value),
}

/// Compares every listed type, and reports spec components no listed type stands for.
pub fn check_side(spec: &Value, side: &str, types: &[RustSchema]) -> Vec<Drift> {
    let mut drifts = Vec::new();
    let listed: BTreeMap<&str, &RustSchema> = types.iter().map(|t| (t.component, t)).collect();
    for component in component_names(spec) {
        match listed.get(component.as_str()) {
            None => drifts.push(Drift {
                rust_type: format!("{side}: none"),
                pointer: format!("#/components/schemas/{component}"),
                detail: format!("no {side} type is checked against this schema; add it to xtask's agreement list"),
            }),
            Some(rust) => {
                let (doc, schema) = (rust.schema)();
                drifts.extend(compare(spec, component.as_str(), rust.rust_type, &doc, &schema));
            }
        }
    }
    drifts
}

pub mod client;
pub mod server;

/// A drift that a generator or a deliberate choice causes, accepted with a reason.
///
/// Listing a gap is a decision made in review: the check fails again when a listed gap no
/// longer occurs, so the list never outlives it.
#[derive(Debug)]
pub struct KnownGap {
    /// `client` or `server`.
    pub side: &'static str,
    /// The keyword that differs.
    pub keyword: &'static str,
    /// The drift's exact detail, e.g. "`nullable`: spec has none, Rust has `true`".
    pub detail: &'static str,
    /// Why it is accepted.
    pub reason: &'static str,
}

/// The gaps accepted today.
pub const KNOWN_GAPS: &[KnownGap] = &[KnownGap {
    side: "client",
    keyword: "nullable",
    detail: "`nullable`: spec has none, Rust has `true`",
    reason: "the client reads `null` in an optional property as absent, leniently (other \
             Tiledesk servers send it); it never sends one, and the server refuses it",
}];

fn is_known_gap(side: &str, drift: &Drift) -> bool {
    KNOWN_GAPS
        .iter()
        .any(|gap| gap.side == side && drift.detail == gap.detail)
}

/// The drifts of one side that no known gap accounts for, and the gaps that no longer occur.
pub fn unexplained(side: &str, drifts: Vec<Drift>) -> Vec<Drift> {
    let mut stale: Vec<&KnownGap> = KNOWN_GAPS.iter().filter(|gap| gap.side == side).collect();
    let mut left = Vec::new();
    for drift in drifts {
        if is_known_gap(side, &drift) {
            stale.retain(|gap| gap.detail != drift.detail);
        } else {
            left.push(drift);
        }
    }
    left.extend(stale.into_iter().map(|gap| Drift {
        rust_type: format!("{side}: xtask/src/agreement/mod.rs"),
        pointer: "#/components/schemas".to_owned(),
        detail: format!(
            "the known gap `{}` no longer occurs on the {side} side; remove it from KNOWN_GAPS",
            gap.keyword
        ),
    }));
    left
}

/// The drifts of both sides, as problems.
pub fn problems() -> Result<Vec<crate::Problem>, crate::XtaskError> {
    let text = std::fs::read_to_string(crate::project::spec_file()).map_err(|source| {
        crate::XtaskError::Read {
            path: "openapi/leads.yaml".to_owned(),
            source,
        }
    })?;
    let spec: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| crate::XtaskError::Spec(e.to_string()))?;
    let mut drifts = unexplained("client", check_side(&spec, "client", client::TYPES));
    drifts.extend(unexplained(
        "server",
        check_side(&spec, "server", server::TYPES),
    ));
    Ok(drifts.into_iter().map(crate::Problem::TypeDrift).collect())
}
