//! Spec-driven fuzzing: requests generated from the spec's own schemas.
//!
//! For every operation, seeded random requests are generated from its parameter and body
//! schemas, half of them valid and half broken in one deliberate way (a bound crossed, a
//! pattern or enum violated, a required field dropped, an unknown field added, a wrong
//! type, broken JSON). The server must never answer 5xx; a valid request must get a
//! documented 2xx, a broken one a documented 4xx with the `Error` body, and every body must
//! validate. A failing request is shrunk to a minimal one and printed as a `curl` line.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use leads_client::Auth;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use super::cases::Fixture;
use super::spec::{DocumentedOperation, SpecIndex};
use super::STORED_FIELDS;

/// The seed used unless one is given: runs are reproducible by default.
pub const DEFAULT_SEED: u64 = 0x1ead_5eed;

/// How a fuzz run is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The seed of the request generator.
    pub seed: u64,
    /// Requests per operation at most.
    pub cases_per_operation: usize,
    /// Wall time for the whole run at most.
    pub time_limit: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            cases_per_operation: 40,
            time_limit: Duration::from_secs(180),
        }
    }
}

/// One generated request.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzRequest {
    /// The operationId.
    pub operation: String,
    /// The HTTP method.
    pub method: String,
    /// Path parameters by name.
    pub path: BTreeMap<String, String>,
    /// Query pairs, repeated keys for arrays.
    pub query: Vec<(String, String)>,
    /// The raw body, if any.
    pub body: Option<String>,
    /// Whether the request is valid under the spec.
    pub valid: bool,
    /// What was broken, for invalid requests.
    pub broken: String,
    /// The query parameter whose value breaks the request, which shrinking keeps.
    pub broken_query: Option<String>,
}

/// A request the server answered wrongly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzFailure {
    /// The operationId.
    pub operation: String,
    /// The spec pointer of the operation.
    pub pointer: String,
    /// What was wrong with the answer.
    pub detail: String,
    /// The minimal request, as a `curl` line.
    pub curl: String,
}

/// The result of a fuzz run.
#[derive(Debug, Default)]
pub struct FuzzReport {
    /// Requests sent, shrinking included.
    pub requests: usize,
    /// Failures, at most one per operation (the first, shrunk).
    pub failures: Vec<FuzzFailure>,
    /// Whether the time limit cut the run short.
    pub timed_out: bool,
    /// When it did: each operation that did not get its full case budget, with the cases
    /// it got.
    pub unfinished: Vec<(String, usize)>,
}

/// Generates values from OpenAPI 3.0 schemas.
struct Generator<'s> {
    rng: StdRng,
    spec: &'s SpecIndex,
}

impl Generator<'_> {
    fn valid(&mut self, schema: &Value, depth: usize) -> Value {
        let schema = self.spec.resolve(schema);
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !values.is_empty() {
                return values[self.rng.random_range(0..values.len())].clone();
            }
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("integer") => {
                let min = schema
                    .get("minimum")
                    .and_then(Value::as_i64)
                    .unwrap_or(-1000);
                let max = schema
                    .get("maximum")
                    .and_then(Value::as_i64)
                    .unwrap_or(min.max(0) + 1000);
                json!(self.rng.random_range(min..=max.max(min)))
            }
            Some("number") => json!(self.rng.random_range(-1000.0..1000.0)),
            Some("boolean") => json!(self.rng.random_bool(0.5)),
            Some("string") => json!(self.string(schema)),
            Some("array") => {
                let min = usize_of(schema, "minItems").unwrap_or(0);
                let max = usize_of(schema, "maxItems").unwrap_or(4).min(min + 4);
                let len = self.rng.random_range(min..=max.max(min));
                let items = schema.get("items").cloned().unwrap_or(json!({}));
                Value::Array(
                    (0..len)
                        .map(|_| self.valid(&items, depth.saturating_sub(1)))
                        .collect(),
                )
            }
            Some("object") | None if depth > 0 => self.object(schema, depth),
            _ => json!({}),
        }
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Value {
        let required = required(schema);
        let mut out = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                if required.contains(name) || self.rng.random_bool(0.5) {
                    out.insert(name.clone(), self.valid(property, depth - 1));
                }
            }
        }
        if schema.get("additionalProperties") == Some(&json!(true)) {
            for _ in 0..self.rng.random_range(0..3) {
                let key = format!("k{}", self.rng.random_range(0..100));
                let value = match self.rng.random_range(0..6) {
                    0 => json!(self.rng.random_range(-5..500)),
                    1 => json!(self.rng.random_bool(0.5)),
                    2 => json!({"nested": "value"}),
                    3 => json!(self.rng.random_range(-1e300..1e300)),
                    4 => hard_free_form_value(self.rng.random_range(0..12)),
                    _ => json!("text"),
                };
                out.insert(key, value);
            }
        }
        Value::Object(out)
    }

    fn string(&mut self, schema: &Value) -> String {
        let min = usize_of(schema, "minLength").unwrap_or(0);
        let max = usize_of(schema, "maxLength")
            .unwrap_or(40)
            .min(min.max(1) + 60);
        let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
        if pattern.contains("[0-9a-f]{24}") {
            return (0..24)
                .map(|_| char::from_digit(self.rng.random_range(0..16), 16).unwrap_or('0'))
                .collect();
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time") {
            return "2019-03-07T17:47:38.393Z".to_owned();
        }
        const ALPHABET: &[char] = &[
            'a', 'b', 'c', 'x', 'y', 'z', 'A', 'Q', '0', '7', ' ', '-', '_', '.', '@', 'é', '\'',
            '"', '%', '$', '{', ';', 'ß', '漢', '😀', '\u{0}', '\u{1}', '\t', '\n', '\u{7f}',
            '\u{fffd}',
        ];
        let len = self.rng.random_range(min.max(1)..=max.max(min.max(1)));
        let mut text: String = (0..len)
            .map(|_| ALPHABET[self.rng.random_range(0..ALPHABET.len())])
            .collect();
        // The spec's patterns exclude characters (a comma in tags, U+0000 everywhere):
        // keep the text only if the pattern, read by a validator, accepts it.
        if !pattern.is_empty() && !matches_pattern(pattern, &text) {
            text = text.replace([',', '\u{0}'], ";");
            if !matches_pattern(pattern, &text) {
                text = "a".repeat(min.max(1));
            }
        }
        if text.trim().is_empty() && min > 0 {
            text = "a".repeat(min);
        }
        text
    }
}

/// A create keeps each tag once, at its first place: `kept` must be `sent` without repeats,
/// in order.
fn same_tags(sent: &Value, kept: &Value) -> bool {
    let tags = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let mut once = Vec::new();
    for tag in tags(sent) {
        if !once.contains(&tag) {
            once.push(tag);
        }
    }
    once == tags(kept)
}

/// Values a free-form object may carry that storage finds hard: the limits of a double,
/// the largest integers, NUL and control characters, long multi-byte text and nesting.
fn hard_free_form_value(pick: usize) -> Value {
    match pick {
        0 => json!(f64::MAX),
        1 => json!(-f64::MAX),
        2 => json!(f64::MIN_POSITIVE),
        3 => json!(5e-324),
        4 => json!(1.154_899_197_811_476_4e289),
        5 => json!(u64::MAX),
        6 => json!(i64::MIN),
        7 => json!("nul \u{0} inside"),
        8 => json!("controls \u{1}\u{7}\u{1b}\t\r\n\u{7f}"),
        9 => json!("漢字😀".repeat(500)),
        10 => json!(""),
        _ => (0..40).fold(json!("deep"), |inner, _| json!({"d": inner})),
    }
}

/// Whether `pattern` (ECMA 262, as the spec writes it) matches `text`.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    jsonschema::validator_for(&json!({"type": "string", "pattern": pattern}))
        .is_ok_and(|validator| validator.is_valid(&json!(text)))
}

/// A short string that `pattern` does not match, judged by a JSON Schema validator so
/// the spec's own dialect decides, never a guess about what the pattern means.
fn pattern_violation(pattern: &str) -> Option<String> {
    let validator =
        jsonschema::validator_for(&json!({"type": "string", "pattern": pattern})).ok()?;
    [
        "zz,not-matching",
        "a\u{0}b",
        "\u{0}",
        "",
        " ",
        "-",
        "Z",
        "0",
    ]
    .into_iter()
    .find(|candidate| !validator.is_valid(&json!(candidate)))
    .map(str::to_owned)
}

fn usize_of(schema: &Value, key: &str) -> Option<usize> {
    schema
        .get(key)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}

fn required(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn query_pairs(name: &str, value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Array(items) => items
            .iter()
            .flat_map(|item| query_pairs(name, item))
            .collect(),
        Value::String(text) => vec![(name.to_owned(), text.clone())],
        other => vec![(name.to_owned(), other.to_string())],
    }
}

/// Builds requests for one operation.
struct RequestFactory<'a> {
    operation: &'a str,
    documented: &'a DocumentedOperation,
    fixture_path: BTreeMap<String, String>,
}

impl RequestFactory<'_> {
    /// A valid request: each optional query parameter with even odds, or, with `every`,
    /// all of them at once (aliases such as `sort` and `sortField` then mostly disagree,
    /// which the spec allows).
    fn valid(&self, generator: &mut Generator<'_>, every: bool) -> FuzzRequest {
        let mut query = Vec::new();
        let mut path = self.fixture_path.clone();
        for parameter in &self.documented.parameters {
            match parameter.location.as_str() {
                // A made-up value of a server-issued parameter is not valid.
                "query" if parameter.issued_by_server => {}
                "query" if every || parameter.required || generator.rng.random_bool(0.5) => {
                    let value = generator.valid(&parameter.schema, 4);
                    query.extend(query_pairs(&parameter.name, &value));
                }
                "path" if !path.contains_key(&parameter.name) => {
                    let value = generator.valid(&parameter.schema, 2);
                    let text = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    path.insert(parameter.name.clone(), text);
                }
                _ => {}
            }
        }
        let body = self
            .documented
            .request_body
            .as_ref()
            .map(|schema| generator.valid(schema, 4).to_string());
        FuzzRequest {
            operation: self.operation.to_owned(),
            method: self.documented.method.clone(),
            path,
            query,
            body,
            valid: true,
            broken: String::new(),
            broken_query: None,
        }
    }

    /// A valid request, then one thing broken.
    fn invalid(&self, generator: &mut Generator<'_>) -> FuzzRequest {
        let mut request = self.valid(generator, false);
        request.valid = false;
        let mut options: Vec<Breakage> = Vec::new();
        for parameter in &self.documented.parameters {
            if parameter.issued_by_server {
                // Fits the schema, but the server never issued it.
                let made_up = generator.valid(&parameter.schema, 4);
                options.push(Breakage::Parameter(
                    parameter.location.clone(),
                    parameter.name.clone(),
                    made_up,
                ));
            }
            if let Some(bad) = violating(generator.spec, &parameter.schema) {
                options.push(Breakage::Parameter(
                    parameter.location.clone(),
                    parameter.name.clone(),
                    bad,
                ));
            }
            // `name=` is a value, not an absent parameter: a decoder that reads it as
            // absent accepts what the schema forbids.
            if parameter.location == "query" && !accepts_empty(generator.spec, &parameter.schema) {
                options.push(Breakage::Parameter(
                    parameter.location.clone(),
                    parameter.name.clone(),
                    json!(""),
                ));
            }
        }
        if let Some(schema) = &self.documented.request_body {
            options.push(Breakage::Body("broken JSON".to_owned(), "{\"".to_owned()));
            let schema = generator.spec.resolve(schema).clone();
            let valid_body = request
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .unwrap_or(Value::Null);
            options.extend(body_breakages(generator.spec, &schema, &valid_body));
        }
        if options.is_empty() {
            request.valid = true;
            return request;
        }
        let choice = options.swap_remove(generator.rng.random_range(0..options.len()));
        match choice {
            Breakage::Parameter(location, name, bad) => {
                request.broken = format!("{location} parameter `{name}` = {bad}");
                if location == "path" {
                    request.path.insert(
                        name,
                        bad.as_str().map_or_else(|| bad.to_string(), str::to_owned),
                    );
                } else {
                    request.query.retain(|(key, _)| *key != name);
                    request.query.extend(query_pairs(&name, &bad));
                    request.broken_query = Some(name);
                }
            }
            Breakage::Body(what, body) => {
                request.broken = format!("body: {what}");
                request.body = Some(body);
            }
        }
        request
    }
}

enum Breakage {
    Parameter(String, String, Value),
    Body(String, String),
}

/// A value that breaks `schema` in one way, if the schema constrains anything.
fn violating(spec: &SpecIndex, schema: &Value) -> Option<Value> {
    let schema = spec.resolve(schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(match values.first() {
            Some(Value::Number(_)) => json!(7),
            _ => json!("not-a-member"),
        });
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Some(match schema.get("maximum").and_then(Value::as_i64) {
            Some(max) => json!(max + 1),
            None => match schema.get("minimum").and_then(Value::as_i64) {
                Some(min) => json!(min - 1),
                None => json!("twelve"),
            },
        }),
        Some("boolean") => Some(json!("maybe")),
        Some("string") => {
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                pattern_violation(pattern).map(Value::String)
            } else {
                usize_of(schema, "maxLength").map(|max| json!("x".repeat(max + 1)))
            }
        }
        Some("array") => schema
            .get("items")
            .and_then(|items| violating(spec, items))
            .map(|bad| json!([bad])),
        _ => None,
    }
}

/// Whether an empty query value (`name=`) is valid for `schema`: only a string (or a list
/// of strings) that allows the empty string does.
fn accepts_empty(spec: &SpecIndex, schema: &Value) -> bool {
    let schema = spec.resolve(schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.contains(&json!(""));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => {
            usize_of(schema, "minLength").unwrap_or(0) == 0
                && schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .is_none_or(|pattern| matches_pattern(pattern, ""))
        }
        Some("array") => schema
            .get("items")
            .is_some_and(|items| accepts_empty(spec, items)),
        _ => false,
    }
}

/// Ways to break a valid body of `schema`.
fn body_breakages(spec: &SpecIndex, schema: &Value, valid: &Value) -> Vec<Breakage> {
    let mut out = Vec::new();
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            out.push(Breakage::Body(
                "an array for an object".to_owned(),
                "[1]".to_owned(),
            ));
            // serde reads a struct from an array of its fields' values; the spec does not.
            out.push(Breakage::Body(
                "an array of nulls for an object".to_owned(),
                "[null,null]".to_owned(),
            ));
            let base = valid.as_object().cloned().unwrap_or_default();
            for name in required(schema) {
                let mut body = base.clone();
                body.remove(&name);
                out.push(Breakage::Body(
                    format!("without required `{name}`"),
                    Value::Object(body).to_string(),
                ));
            }
            if schema.get("additionalProperties") == Some(&json!(false)) {
                let mut body = base.clone();
                body.insert("fullanem".to_owned(), json!("typo"));
                out.push(Breakage::Body(
                    "an unknown field".to_owned(),
                    Value::Object(body).to_string(),
                ));
            }
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    let mut body = base.clone();
                    let bad = violating(spec, property).unwrap_or_else(|| {
                        match spec.resolve(property).get("type").and_then(Value::as_str) {
                            Some("string") => json!(12),
                            _ => json!("wrong type"),
                        }
                    });
                    body.insert(name.clone(), bad);
                    out.push(Breakage::Body(
                        format!("a bad `{name}`"),
                        Value::Object(body).to_string(),
                    ));
                    let resolved = spec.resolve(property);
                    let mut body = base.clone();
                    body.insert(name.clone(), wrong_type(resolved));
                    out.push(Breakage::Body(
                        format!("the wrong JSON type for `{name}`"),
                        Value::Object(body).to_string(),
                    ));
                    if resolved.get("nullable") != Some(&json!(true)) {
                        let mut body = base.clone();
                        body.insert(name.clone(), Value::Null);
                        out.push(Breakage::Body(
                            format!("`{name}` as null, which the spec does not allow"),
                            Value::Object(body).to_string(),
                        ));
                    }
                }
            }
        }
        Some("array") => {
            out.push(Breakage::Body(
                "an object for an array".to_owned(),
                "{}".to_owned(),
            ));
            if let Some(bad) = violating(spec, schema) {
                out.push(Breakage::Body("a bad item".to_owned(), bad.to_string()));
            }
            if usize_of(schema, "minItems").unwrap_or(0) > 0 {
                out.push(Breakage::Body("an empty array".to_owned(), "[]".to_owned()));
            }
        }
        _ => {}
    }
    out
}

/// A value of another JSON type than `schema`'s.
fn wrong_type(schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => json!(12),
        Some("integer" | "number") => json!("12"),
        Some("boolean") => json!("true"),
        Some("array") => json!({"not": "a list"}),
        _ => json!(["not", "an object"]),
    }
}

/// Sends requests and judges the answers.
pub struct Fuzzer<'a> {
    spec: &'a SpecIndex,
    base_url: String,
    auth: Auth,
    fixture: Fixture,
    http: reqwest::Client,
    report: FuzzReport,
}

impl<'a> Fuzzer<'a> {
    /// A fuzzer against `base_url`, as the fixture's owner if it has one.
    pub fn new(spec: &'a SpecIndex, base_url: &str, fixture: Fixture) -> Self {
        let auth = fixture
            .owner
            .clone()
            .unwrap_or_else(|| fixture.agent.clone());
        Self {
            spec,
            base_url: base_url.trim_end_matches('/').to_owned(),
            auth,
            fixture,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            report: FuzzReport::default(),
        }
    }

    fn url(&self, request: &FuzzRequest) -> String {
        let template = self
            .spec
            .operation(&request.operation)
            .map(|op| op.path.clone())
            .unwrap_or_default();
        let mut path = template;
        for (name, value) in &request.path {
            let encoded: String = url_encode(value);
            path = path.replace(&format!("{{{name}}}"), &encoded);
        }
        let query: Vec<String> = request
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect();
        if query.is_empty() {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}{path}?{}", self.base_url, query.join("&"))
        }
    }

    /// Sends a request and returns what is wrong with the answer, if anything.
    async fn judge(&mut self, request: &FuzzRequest) -> Option<String> {
        self.report.requests += 1;
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).ok()?;
        let mut builder = self.http.request(method, self.url(request));
        if request.operation != "signin" {
            if let Ok(value) = self.auth.header_value() {
                builder = builder.header("authorization", value);
            }
        }
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return Some(format!("no answer: {e}")),
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.unwrap_or_default();
        if status >= 500 {
            return Some(format!(
                "status {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let violations =
            self.spec
                .validate(&request.operation, status, content_type.as_deref(), &body);
        if let Some(first) = violations.first() {
            return Some(format!("status {status}: {first}"));
        }
        let success = (200..300).contains(&status);
        let signin_rejected = request.operation == "signin" && status == 401;
        // Without the owner's credentials the fuzzer runs as an agent, whom an operation
        // that needs a higher role rightly refuses.
        let role_too_low = status == 403 && self.fixture.owner.is_none();
        if request.valid && !success && !signin_rejected && !role_too_low {
            return Some(format!(
                "a valid request got {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ));
        }
        if !request.valid && !(400..500).contains(&status) {
            return Some(format!(
                "an invalid request ({}) got {status}",
                request.broken
            ));
        }
        if request.valid && success && request.method != "DELETE" {
            return self.read_back(request, &body).await;
        }
        None
    }

    /// After a write that answered a lead: reads the lead again, which must equal the
    /// answer, and, for a create, hold every field the request sent, exactly.
    async fn read_back(&mut self, request: &FuzzRequest, answer: &[u8]) -> Option<String> {
        if request.method == "GET" {
            return None;
        }
        let answered: Value = serde_json::from_slice(answer).ok()?;
        let id = answered.get("_id").and_then(Value::as_str)?;
        let project = request.path.get("project_id")?;
        let url = format!("{}/{project}/leads/{id}", self.base_url);
        let value = self.auth.header_value().ok()?;
        self.report.requests += 1;
        let read = self
            .http
            .get(url)
            .header("authorization", value)
            .send()
            .await;
        let read = match read {
            Ok(response) if response.status() == 200 => response.json::<Value>().await.ok()?,
            Ok(response) => {
                return Some(format!(
                    "a write answered 200, then reading the lead back got {}",
                    response.status()
                ))
            }
            Err(e) => return Some(format!("no answer to the read back: {e}")),
        };
        for field in STORED_FIELDS {
            if answered.get(field) != read.get(field) {
                return Some(format!(
                    "read back differs from the write's answer in `{field}`: answered {}, stored {}",
                    answered.get(field).unwrap_or(&Value::Null),
                    read.get(field).unwrap_or(&Value::Null)
                ));
            }
        }
        if request.operation == "createLead" {
            let sent: Value = serde_json::from_str(request.body.as_deref()?).ok()?;
            for (field, value) in sent.as_object()? {
                let kept = read.get(field);
                let empty = value.as_array().is_some_and(Vec::is_empty)
                    || value.as_object().is_some_and(Map::is_empty);
                let same = match (field.as_str(), kept) {
                    ("tags", Some(kept)) => same_tags(value, kept),
                    (_, None) => empty,
                    (_, Some(kept)) => kept == value,
                };
                if !same {
                    return Some(format!(
                        "the created lead's `{field}` reads back as {} where {value} was sent",
                        kept.unwrap_or(&Value::Null)
                    ));
                }
            }
        }
        None
    }

    /// Fuzzes every operation within `budget`, a case of each in turn, so that a time limit
    /// cuts every operation short alike rather than starving the last ones. An operation
    /// stops at its first failure. Operations that did not get their full case budget in
    /// time are reported in `unfinished`.
    pub async fn run(mut self, budget: Budget) -> FuzzReport {
        let started = Instant::now();
        let mut generator = Generator {
            rng: StdRng::seed_from_u64(budget.seed),
            spec: self.spec,
        };
        let mut pending: Vec<String> = self.spec.operation_ids().map(str::to_owned).collect();
        let mut cases = 0;
        while cases < budget.cases_per_operation && !pending.is_empty() {
            let mut failed = Vec::new();
            for operation in &pending {
                if started.elapsed() > budget.time_limit {
                    self.report.timed_out = true;
                    self.report.unfinished = pending
                        .iter()
                        .filter(|op| !failed.contains(*op))
                        .map(|op| (op.clone(), cases))
                        .collect();
                    return self.report;
                }
                if self.case(&mut generator, operation, cases).await {
                    failed.push(operation.clone());
                }
            }
            pending.retain(|op| !failed.contains(op));
            cases += 1;
        }
        self.report
    }

    /// Sends case number `case` of `operation`; true when it failed (and was reported).
    async fn case(&mut self, generator: &mut Generator<'_>, operation: &str, case: usize) -> bool {
        let Some(documented) = self.spec.operation(operation) else {
            return false;
        };
        let mut fixture_path = BTreeMap::new();
        fixture_path.insert("project_id".to_owned(), self.fixture.project.clone());
        // A new lead for each case of an operation on one, so deletions never starve the
        // cases after them; operations without an `id` need none.
        let on_a_lead = documented
            .parameters
            .iter()
            .any(|p| p.location == "path" && p.name == "id");
        if on_a_lead {
            if let Some(lead) = self.fresh_lead().await {
                fixture_path.insert("id".to_owned(), lead);
            }
        }
        let factory = RequestFactory {
            operation,
            documented,
            fixture_path,
        };
        let mut request = if case.is_multiple_of(2) {
            factory.valid(generator, case.is_multiple_of(4))
        } else {
            factory.invalid(generator)
        };
        if operation == "signin" && request.valid {
            if let Some((email, password)) = &self.fixture.signin {
                request.body = Some(json!({"email": email, "password": password}).to_string());
            }
        }
        let Some(detail) = self.judge(&request).await else {
            return false;
        };
        let (minimal, detail) = self.shrink(request, detail).await;
        self.report.failures.push(FuzzFailure {
            operation: operation.to_owned(),
            pointer: documented.pointer.clone(),
            detail,
            curl: self.curl(&minimal),
        });
        true
    }

    /// A new lead to aim id operations at, so deletions never starve later cases.
    async fn fresh_lead(&mut self) -> Option<String> {
        let url = format!("{}/{}/leads", self.base_url, self.fixture.project);
        let value = self.auth.header_value().ok()?;
        let response = self
            .http
            .post(url)
            .header("authorization", value)
            .json(&json!({"lead_id": "fuzz", "tags": ["t"]}))
            .send()
            .await
            .ok()?;
        let lead: Value = response.json().await.ok()?;
        lead.get("_id").and_then(Value::as_str).map(str::to_owned)
    }

    /// Makes a failing request smaller while it keeps failing the same way.
    async fn shrink(
        &mut self,
        mut request: FuzzRequest,
        mut detail: String,
    ) -> (FuzzRequest, String) {
        let kind = failure_kind(&detail).to_owned();
        for _ in 0..40 {
            let mut improved = false;
            for candidate in smaller(&request) {
                let still = self.judge(&candidate).await;
                if let Some(still) = still.filter(|still| failure_kind(still) == kind) {
                    request = candidate;
                    detail = still;
                    improved = true;
                    break;
                }
            }
            if !improved {
                break;
            }
        }
        (request, detail)
    }

    fn curl(&self, request: &FuzzRequest) -> String {
        let mut line = format!("curl -X {} '{}'", request.method, self.url(request));
        if request.operation != "signin" {
            line.push_str(" -u \"$LEADS_EMAIL:$LEADS_PASSWORD\"");
        }
        if let Some(body) = &request.body {
            line.push_str(&format!(
                " -H 'Content-Type: application/json' -d '{}'",
                body.replace('\'', "'\\''")
            ));
        }
        line
    }
}

/// What kind of failure a detail describes: the text before its first `:`, e.g.
/// `status 500`. Shrinking keeps a candidate only if it fails the same way; dropping the
/// very parameter that caused a failure may make the request fail differently.
fn failure_kind(detail: &str) -> &str {
    detail.split(':').next().unwrap_or(detail)
}

/// Candidates one step smaller than `request`: a query pair dropped, a body property dropped,
/// a string halved.
fn smaller(request: &FuzzRequest) -> Vec<FuzzRequest> {
    let mut out = Vec::new();
    for i in 0..request.query.len() {
        // Without its broken parameter an invalid request is a valid one, which "fails"
        // by being accepted: the shrunk request would show nothing wrong.
        if request.broken_query.as_deref() == Some(request.query[i].0.as_str()) {
            continue;
        }
        let mut candidate = request.clone();
        candidate.query.remove(i);
        out.push(candidate);
    }
    if let Some(Ok(Value::Object(body))) =
        request.body.as_deref().map(serde_json::from_str::<Value>)
    {
        for key in body.keys() {
            let mut smaller_body = body.clone();
            smaller_body.remove(key);
            let mut candidate = request.clone();
            candidate.body = Some(Value::Object(smaller_body).to_string());
            out.push(candidate);
        }
        for (key, value) in &body {
            if let Value::String(text) = value {
                if text.chars().count() > 1 {
                    let half: String = text.chars().take(text.chars().count() / 2).collect();
                    let mut smaller_body = body.clone();
                    smaller_body.insert(key.clone(), json!(half));
                    let mut candidate = request.clone();
                    candidate.body = Some(Value::Object(smaller_body).to_string());
                    out.push(candidate);
                }
            }
        }
    }
    out
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_breakages_of(schema: &Value) -> Vec<String> {
        let spec = SpecIndex::new(&json!({
            "openapi": "3.0.3",
            "paths": {},
            "components": {"schemas": {"Status": {"type": "integer", "enum": [100, 1000]}}}
        }));
        body_breakages(&spec, schema, &json!({}))
            .into_iter()
            .filter_map(|breakage| match breakage {
                Breakage::Body(what, body) => Some(format!("{what} => {body}")),
                Breakage::Parameter(..) => None,
            })
            .collect()
    }

    #[test]
    fn an_empty_query_value_breaks_every_schema_but_a_string_that_allows_it() {
        let spec = SpecIndex::new(&json!({
            "openapi": "3.0.3",
            "paths": {},
            "components": {"schemas": {"Status": {"type": "integer", "enum": [100, 1000]}}}
        }));
        let refused = [
            json!({"type": "boolean"}),
            json!({"type": "integer"}),
            json!({"$ref": "#/components/schemas/Status"}),
            json!({"type": "string", "minLength": 1}),
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!({"type": "array", "items": {"type": "string", "minLength": 1}}),
        ];
        for schema in refused {
            assert!(!accepts_empty(&spec, &schema), "{schema}");
        }
        for schema in [
            json!({"type": "string"}),
            json!({"type": "string", "enum": ["", "a"]}),
        ] {
            assert!(accepts_empty(&spec, &schema), "{schema}");
        }
    }

    #[test]
    fn broken_bodies_send_null_where_it_is_forbidden_and_every_wrong_type() {
        let found = body_breakages_of(&json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "phone": {"type": "string", "nullable": true},
                "status": {"$ref": "#/components/schemas/Status"},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        }));
        let has = |prefix: &str, body: &str| {
            found
                .iter()
                .any(|b| b.starts_with(prefix) && b.ends_with(body))
        };
        assert!(has("`status` as null", r#"{"status":null}"#), "{found:#?}");
        assert!(has("`tags` as null", r#"{"tags":null}"#), "{found:#?}");
        assert!(!has("`phone` as null", ""), "phone may be null: {found:#?}");
        assert!(
            has("the wrong JSON type for `phone`", r#"{"phone":12}"#),
            "{found:#?}"
        );
        assert!(
            has("the wrong JSON type for `status`", r#"{"status":"12"}"#),
            "{found:#?}"
        );
        assert!(
            has(
                "the wrong JSON type for `tags`",
                r#"{"tags":{"not":"a list"}}"#
            ),
            "{found:#?}"
        );
        assert!(has("an array of nulls", "[null,null]"), "{found:#?}");
    }
}
