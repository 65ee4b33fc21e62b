//! The spec's house rules, beyond what OpenAPI itself requires.
//!
//! Each rule reports [`LintProblem`]s that name the rule, a JSON pointer into the document
//! and what to change. The rules read the document as plain JSON, so they see exactly what
//! was written, `$ref`s included.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::spec::follow_refs as resolve;

/// Operations that may declare `security: []`: they are how a caller gets credentials.
pub const PUBLIC_OPERATIONS: &[&str] = &["signin"];

/// The OpenAPI version the generators and the published docs are written for.
pub const OPENAPI_VERSION: &str = "3.0.3";

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A house rule of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The document is OpenAPI 3.0.3 and parses with `openapiv3`.
    Parses,
    /// operationIds are present, unique and camelCase.
    OperationId,
    /// Every 4xx and 5xx response has the `Error` schema as its only body.
    ErrorBody,
    /// Every operation, parameter and schema property has a description.
    Description,
    /// Every operation states a security requirement (public ones excepted).
    Security,
    /// Every success response and request body of an operation has an example.
    Example,
    /// Every component is referenced somewhere.
    UnusedComponent,
    /// Every `$ref` points at something that exists.
    DanglingRef,
}

impl Rule {
    /// The rule's name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Parses => "parses",
            Rule::OperationId => "operation-id",
            Rule::ErrorBody => "error-body",
            Rule::Description => "description",
            Rule::Security => "security",
            Rule::Example => "example",
            Rule::UnusedComponent => "unused-component",
            Rule::DanglingRef => "dangling-ref",
        }
    }
}

/// One broken rule at one place in the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LintProblem {
    /// The rule.
    pub rule: Rule,
    /// A JSON pointer to the offending node, e.g. `#/paths/~1auth~1signin/post`.
    pub pointer: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for LintProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.pointer,
            self.rule.name(),
            self.message
        )
    }
}

/// Checks the spec text of `path` against every rule.
pub fn lint_text(path: &Path, text: &str) -> Vec<LintProblem> {
    let mut problems = Vec::new();
    let doc: Value = match serde_yaml_ng::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            problems.push(problem(Rule::Parses, "#", format!("not valid YAML: {e}")));
            return problems;
        }
    };
    if let Err(e) = crate::spec::parse(path, text) {
        problems.push(problem(Rule::Parses, "#", e.to_string()));
    }
    if doc.get("openapi").and_then(Value::as_str) != Some(OPENAPI_VERSION) {
        problems.push(problem(
            Rule::Parses,
            "#/openapi",
            format!("set `openapi: {OPENAPI_VERSION}`; the generators read OpenAPI 3.0 only"),
        ));
    }
    lint_document(&doc, &mut problems);
    problems.sort();
    problems
}

/// Checks a parsed document against every rule but [`Rule::Parses`].
pub fn lint_document(doc: &Value, problems: &mut Vec<LintProblem>) {
    operation_ids(doc, problems);
    for (pointer, operation) in operations(doc) {
        error_bodies(doc, &pointer, operation, problems);
        operation_description(&pointer, operation, problems);
        security(&pointer, operation, problems);
        examples(doc, &pointer, operation, problems);
    }
    parameter_descriptions(doc, problems);
    property_descriptions(doc, problems);
    references(doc, problems);
}

fn problem(rule: Rule, pointer: &str, message: impl Into<String>) -> LintProblem {
    LintProblem {
        rule,
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Every operation with its pointer, in document order.
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in HTTP_METHODS {
                if let Some(operation) = item.get(*method) {
                    found.push((format!("#/paths/{}/{method}", escape(path)), operation));
                }
            }
        }
    }
    found
}

/// Follows a local `$ref` (`#/components/...`) to its target, once or more.
fn is_camel_case(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

fn operation_ids(doc: &Value, problems: &mut Vec<LintProblem>) {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (pointer, operation) in operations(doc) {
        match operation.get("operationId").and_then(Value::as_str) {
            None => problems.push(problem(
                Rule::OperationId,
                &pointer,
                "add an `operationId`; it names the client method and the trait method",
            )),
            Some(id) => {
                if !is_camel_case(id) {
                    problems.push(problem(
                        Rule::OperationId,
                        &format!("{pointer}/operationId"),
                        format!("`{id}` is not camelCase (e.g. `listLeads`)"),
                    ));
                }
                if let Some(first) = seen.insert(id, pointer.clone()) {
                    problems.push(problem(
                        Rule::OperationId,
                        &format!("{pointer}/operationId"),
                        format!("`{id}` is already the operationId of {first}; make it unique"),
                    ));
                }
            }
        }
    }
}

fn error_bodies(doc: &Value, pointer: &str, operation: &Value, problems: &mut Vec<LintProblem>) {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        problems.push(problem(
            Rule::ErrorBody,
            pointer,
            "the operation has no `responses`",
        ));
        return;
    };
    for (status, response) in responses {
        if !(status.starts_with('4') || status.starts_with('5') || status == "default") {
            continue;
        }
        let at = format!("{pointer}/responses/{status}");
        let content = resolve(doc, response)
            .and_then(|r| r.get("content"))
            .and_then(Value::as_object);
        let ok = content.is_some_and(|content| {
            content.len() == 1
                && content.get("application/json").is_some_and(|media| {
                    media.pointer("/schema/$ref").and_then(Value::as_str)
                        == Some("#/components/schemas/Error")
                })
        });
        if !ok {
            problems.push(problem(
                Rule::ErrorBody,
                &at,
                "an error response must have exactly one body, `application/json` with \
                 `$ref: '#/components/schemas/Error'` (progenitor needs one error type per operation)",
            ));
        }
    }
}

fn has_description(node: &Value) -> bool {
    node.get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.trim().is_empty())
}

fn operation_description(pointer: &str, operation: &Value, problems: &mut Vec<LintProblem>) {
    if !has_description(operation) || operation.get("summary").is_none() {
        problems.push(problem(
            Rule::Description,
            pointer,
            "give the operation a `summary` and a `description` for the published docs",
        ));
    }
}

fn security(pointer: &str, operation: &Value, problems: &mut Vec<LintProblem>) {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let requirements = operation.get("security").and_then(Value::as_array);
    let public = PUBLIC_OPERATIONS.contains(&id);
    match requirements {
        None => problems.push(problem(
            Rule::Security,
            pointer,
            "state the operation's `security` explicitly",
        )),
        Some(list) if list.is_empty() && !public => problems.push(problem(
            Rule::Security,
            &format!("{pointer}/security"),
            format!("`{id}` must require credentials; only {PUBLIC_OPERATIONS:?} may be public"),
        )),
        Some(_) => {}
    }
}

fn media_has_example(media: &Value) -> bool {
    media.get("example").is_some()
        || media
            .get("examples")
            .and_then(Value::as_object)
            .is_some_and(|examples| !examples.is_empty())
}

fn examples(doc: &Value, pointer: &str, operation: &Value, problems: &mut Vec<LintProblem>) {
    let success = operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .map(|(status, node)| (format!("{pointer}/responses/{status}"), node));
    let request = operation
        .get("requestBody")
        .map(|node| (format!("{pointer}/requestBody"), node));
    for (at, node) in success.chain(request) {
        let contents = resolve(doc, node)
            .and_then(|node| node.get("content"))
            .and_then(Value::as_object);
        for (media_type, media) in contents.into_iter().flatten() {
            if !media_has_example(media) {
                problems.push(problem(
                    Rule::Example,
                    &format!("{at}/content/{}", escape(media_type)),
                    "add an `example`: the published docs show it and the tests use it",
                ));
            }
        }
    }
}

fn parameter_descriptions(doc: &Value, problems: &mut Vec<LintProblem>) {
    let mut check = |pointer: String, parameter: &Value| {
        if parameter.get("$ref").is_none() && !has_description(parameter) {
            problems.push(problem(
                Rule::Description,
                &pointer,
                "describe the parameter for the published docs",
            ));
        }
    };
    if let Some(parameters) = doc
        .pointer("/components/parameters")
        .and_then(Value::as_object)
    {
        for (name, parameter) in parameters {
            check(
                format!("#/components/parameters/{}", escape(name)),
                parameter,
            );
        }
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let base = format!("#/paths/{}", escape(path));
            let levels = std::iter::once((base.clone(), item)).chain(
                HTTP_METHODS
                    .iter()
                    .filter_map(|m| item.get(*m).map(|op| (format!("{base}/{m}"), op))),
            );
            for (at, node) in levels {
                if let Some(list) = node.get("parameters").and_then(Value::as_array) {
                    for (i, parameter) in list.iter().enumerate() {
                        check(format!("{at}/parameters/{i}"), parameter);
                    }
                }
            }
        }
    }
}

/// Walks every schema reachable in the document and checks its properties' descriptions.
fn property_descriptions(doc: &Value, problems: &mut Vec<LintProblem>) {
    fn walk(doc: &Value, pointer: &str, node: &Value, problems: &mut Vec<LintProblem>) {
        match node {
            Value::Object(map) => {
                if let Some(properties) = map.get("properties").and_then(Value::as_object) {
                    for (name, property) in properties {
                        let described = has_description(property)
                            || resolve(doc, property).is_some_and(has_description);
                        if !described {
                            problems.push(problem(
                                Rule::Description,
                                &format!("{pointer}/properties/{}", escape(name)),
                                format!(
                                    "describe the property `{name}` (or the schema it refers to)"
                                ),
                            ));
                        }
                    }
                }
                for (key, child) in map {
                    let at = format!("{pointer}/{}", escape(key));
                    match (key.as_str(), child) {
                        // `example` values are data, not schemas.
                        ("example" | "examples", _) => {}
                        // A map of property names: each value is a schema, the map is not.
                        ("properties", Value::Object(properties)) => {
                            for (name, property) in properties {
                                walk(doc, &format!("{at}/{}", escape(name)), property, problems);
                            }
                        }
                        _ => walk(doc, &at, child, problems),
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(doc, &format!("{pointer}/{i}"), child, problems);
                }
            }
            _ => {}
        }
    }
    walk(doc, "#", doc, problems);
}

/// Every `$ref` string in the document, with where it stands.
fn collect_refs<'a>(pointer: String, node: &'a Value, refs: &mut Vec<(String, &'a str)>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                // `example` values are data: a `$ref` key inside one is not a reference.
                if key == "example" {
                    continue;
                }
                if key == "$ref" {
                    if let Some(target) = child.as_str() {
                        refs.push((pointer.clone(), target));
                    }
                } else {
                    collect_refs(format!("{pointer}/{}", escape(key)), child, refs);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(format!("{pointer}/{i}"), child, refs);
            }
        }
        _ => {}
    }
}

fn references(doc: &Value, problems: &mut Vec<LintProblem>) {
    let mut refs = Vec::new();
    collect_refs("#".to_owned(), doc, &mut refs);
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for (at, target) in &refs {
        let exists = target
            .strip_prefix('#')
            .is_some_and(|pointer| doc.pointer(pointer).is_some());
        if !exists {
            problems.push(problem(
                Rule::DanglingRef,
                at,
                format!("`$ref: {target}` points at nothing; only local references are supported"),
            ));
        }
        used.insert(target);
    }
    let schemes_used = security_schemes_used(doc);
    let Some(components) = doc.get("components").and_then(Value::as_object) else {
        return;
    };
    for (kind, entries) in components {
        let Some(entries) = entries.as_object() else {
            continue;
        };
        for name in entries.keys() {
            let pointer = format!("#/components/{kind}/{}", escape(name));
            let is_used = if kind == "securitySchemes" {
                schemes_used.contains(name.as_str())
            } else {
                used.contains(pointer.as_str())
            };
            if !is_used {
                problems.push(problem(
                    Rule::UnusedComponent,
                    &pointer,
                    "nothing refers to this component; use it or remove it",
                ));
            }
        }
    }
}

fn security_schemes_used(doc: &Value) -> BTreeSet<&str> {
    let global = doc.get("security").into_iter();
    let per_operation = operations(doc)
        .into_iter()
        .filter_map(|(_, operation)| operation.get("security"));
    global
        .chain(per_operation)
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect()
}

/// Lints the spec file at `path`.
pub fn lint_file(path: &Path) -> Result<Vec<LintProblem>, crate::CodegenError> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::CodegenError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(lint_text(path, &text))
}
