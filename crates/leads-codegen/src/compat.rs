//! Breaking-change detection between two versions of the spec.
//!
//! A client generated from the old document must keep working against a server of the new
//! one, and the other way round. [`diff`] walks both documents operation by operation and
//! classifies every difference as [`Severity::Breaking`] or [`Severity::Compatible`]; the
//! release gate ([`gate`]) then demands a new major version for any breaking change.
//!
//! What counts as breaking: a removed operation, parameter, property or content type; a
//! changed status code or type; a narrowed enum; a new required request field or
//! parameter; a tightened bound on something a client sends. Additions are compatible.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::lint::escape;
use crate::spec::follow_refs as resolve;

/// An empty JSON object, for documents that leave a section out.
static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether a change breaks existing clients or servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Existing clients or servers stop working.
    Breaking,
    /// An addition: existing clients and servers keep working.
    Compatible,
}

/// One difference between the released spec and the current one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Breaking or compatible.
    pub severity: Severity,
    /// A JSON pointer into the current spec (or the released one, for removals).
    pub pointer: String,
    /// What changed.
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        };
        write!(f, "{} [{severity}] {}", self.pointer, self.message)
    }
}

/// Which way data flows through a schema: what a client sends, or what it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// Pairs of `$ref`s already compared, so recursive schemas terminate.
    seen: BTreeSet<(String, String, bool)>,
}

/// Every difference between `old` (the released spec) and `new`, sorted, breaking first.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut differ = Differ {
        old,
        new,
        changes: Vec::new(),
        seen: BTreeSet::new(),
    };
    differ.paths();
    differ.changes.sort();
    differ.changes.dedup();
    differ.changes
}

impl<'a> Differ<'a> {
    fn push(&mut self, severity: Severity, pointer: &str, message: impl Into<String>) {
        self.changes.push(Change {
            severity,
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    fn paths(&mut self) {
        let old_paths = self
            .old
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let new_paths = self
            .new
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        for (path, old_item) in old_paths {
            for method in HTTP_METHODS {
                let Some(old_op) = old_item.get(*method) else {
                    continue;
                };
                let at = format!("#/paths/{}/{method}", escape(path));
                let new_item = new_paths.get(path);
                match new_item.and_then(|item| item.get(*method)) {
                    None => self.push(
                        Severity::Breaking,
                        &at,
                        format!("operation `{} {path}` was removed", method.to_uppercase()),
                    ),
                    Some(new_op) => {
                        let new_item = new_item.unwrap_or(&Value::Null);
                        self.operation(&at, old_item, old_op, new_item, new_op);
                    }
                }
            }
        }
        for (path, new_item) in new_paths {
            for method in HTTP_METHODS {
                let added = new_item.get(*method).is_some()
                    && old_paths
                        .get(path)
                        .and_then(|item| item.get(*method))
                        .is_none();
                if added {
                    let at = format!("#/paths/{}/{method}", escape(path));
                    self.push(
                        Severity::Compatible,
                        &at,
                        format!("operation `{} {path}` was added", method.to_uppercase()),
                    );
                }
            }
        }
    }

    fn operation(
        &mut self,
        at: &str,
        old_item: &'a Value,
        old_op: &'a Value,
        new_item: &'a Value,
        new_op: &'a Value,
    ) {
        self.parameters(at, old_item, old_op, new_item, new_op);
        self.request_body(at, old_op, new_op);
        self.responses(at, old_op, new_op);
    }

    /// The effective parameters of an operation, path-level ones included, by `(in, name)`.
    fn parameters_of(
        doc: &'a Value,
        item: &'a Value,
        op: &'a Value,
    ) -> Vec<((String, String), &'a Value)> {
        let mut found: Vec<((String, String), &'a Value)> = Vec::new();
        for list in [item.get("parameters"), op.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
        {
            for parameter in list.iter().filter_map(|p| resolve(doc, p)) {
                let key = (
                    str_of(parameter, "in").to_owned(),
                    str_of(parameter, "name").to_owned(),
                );
                found.retain(|(k, _)| *k != key);
                found.push((key, parameter));
            }
        }
        found
    }

    fn parameters(
        &mut self,
        at: &str,
        old_item: &'a Value,
        old_op: &'a Value,
        new_item: &'a Value,
        new_op: &'a Value,
    ) {
        let old = Self::parameters_of(self.old, old_item, old_op);
        let new = Self::parameters_of(self.new, new_item, new_op);
        for ((location, name), old_param) in &old {
            let here = format!("{at}/parameters/{location}:{name}");
            match new
                .iter()
                .find(|(key, _)| key.0 == *location && key.1 == *name)
            {
                None => self.push(
                    Severity::Breaking,
                    &here,
                    format!("{location} parameter `{name}` was removed"),
                ),
                Some((_, new_param)) => {
                    if is_true(new_param, "required") && !is_true(old_param, "required") {
                        self.push(
                            Severity::Breaking,
                            &here,
                            format!("{location} parameter `{name}` became required"),
                        );
                    }
                    if let (Some(old_schema), Some(new_schema)) =
                        (old_param.get("schema"), new_param.get("schema"))
                    {
                        self.schema(&here, old_schema, new_schema, Direction::Request);
                    }
                }
            }
        }
        for ((location, name), new_param) in &new {
            if !old
                .iter()
                .any(|(key, _)| key.0 == *location && key.1 == *name)
            {
                let here = format!("{at}/parameters/{location}:{name}");
                if is_true(new_param, "required") {
                    self.push(
                        Severity::Breaking,
                        &here,
                        format!("new required {location} parameter `{name}`"),
                    );
                } else {
                    self.push(
                        Severity::Compatible,
                        &here,
                        format!("new optional {location} parameter `{name}`"),
                    );
                }
            }
        }
    }

    fn request_body(&mut self, at: &str, old_op: &'a Value, new_op: &'a Value) {
        let here = format!("{at}/requestBody");
        let old = old_op.get("requestBody").and_then(|b| resolve(self.old, b));
        let new = new_op.get("requestBody").and_then(|b| resolve(self.new, b));
        match (old, new) {
            (None, Some(new)) if is_true(new, "required") => {
                self.push(
                    Severity::Breaking,
                    &here,
                    "a required request body was added",
                );
            }
            (Some(_), None) => {
                self.push(Severity::Breaking, &here, "the request body was removed");
            }
            (Some(old), Some(new)) => {
                if is_true(new, "required") && !is_true(old, "required") {
                    self.push(
                        Severity::Breaking,
                        &here,
                        "the request body became required",
                    );
                }
                self.content(&here, old, new, Direction::Request);
            }
            _ => {}
        }
    }

    fn responses(&mut self, at: &str, old_op: &'a Value, new_op: &'a Value) {
        let old = old_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let new = new_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        for (status, old_response) in old {
            let here = format!("{at}/responses/{status}");
            match new.get(status) {
                None => self.push(
                    Severity::Breaking,
                    &here,
                    format!("status {status} is no longer documented"),
                ),
                Some(new_response) => {
                    if let (Some(old_r), Some(new_r)) = (
                        resolve(self.old, old_response),
                        resolve(self.new, new_response),
                    ) {
                        self.content(&here, old_r, new_r, Direction::Response);
                    }
                }
            }
        }
        for status in new.keys().filter(|status| !old.contains_key(*status)) {
            let here = format!("{at}/responses/{status}");
            let severity = if status.starts_with('2') {
                // A new success status is one a generated client does not expect.
                Severity::Breaking
            } else {
                Severity::Compatible
            };
            self.push(severity, &here, format!("status {status} was added"));
        }
    }

    fn content(&mut self, at: &str, old: &'a Value, new: &'a Value, direction: Direction) {
        let old = old
            .get("content")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let new = new
            .get("content")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        for (media_type, old_media) in old {
            let here = format!("{at}/content/{}", escape(media_type));
            match new.get(media_type) {
                None => self.push(
                    Severity::Breaking,
                    &here,
                    format!("content type `{media_type}` was removed"),
                ),
                Some(new_media) => {
                    if let (Some(old_schema), Some(new_schema)) =
                        (old_media.get("schema"), new_media.get("schema"))
                    {
                        self.schema(&format!("{here}/schema"), old_schema, new_schema, direction);
                    }
                }
            }
        }
        for media_type in new.keys().filter(|m| !old.contains_key(*m)) {
            let here = format!("{at}/content/{}", escape(media_type));
            let severity = match direction {
                Direction::Request => Severity::Compatible,
                Direction::Response => Severity::Breaking,
            };
            self.push(
                severity,
                &here,
                format!("content type `{media_type}` was added"),
            );
        }
    }

    fn schema(&mut self, at: &str, old: &'a Value, new: &'a Value, direction: Direction) {
        let old_ref = old.get("$ref").and_then(Value::as_str);
        let new_ref = new.get("$ref").and_then(Value::as_str);
        // Report inside a referenced schema at its own location: one place to fix.
        let at = new_ref.map_or_else(|| at.to_owned(), str::to_owned);
        if old_ref.is_some() || new_ref.is_some() {
            let key = (
                old_ref.unwrap_or("").to_owned(),
                new_ref.unwrap_or("").to_owned(),
                direction == Direction::Request,
            );
            if !self.seen.insert(key) {
                return;
            }
        }
        let (Some(old), Some(new)) = (resolve(self.old, old), resolve(self.new, new)) else {
            return;
        };
        self.scalar_shape(&at, old, new, direction);
        self.bounds(&at, old, new, direction);
        self.properties(&at, old, new, direction);
        if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
            self.schema(&format!("{at}/items"), old_items, new_items, direction);
        }
    }

    fn scalar_shape(&mut self, at: &str, old: &Value, new: &Value, direction: Direction) {
        for keyword in ["type", "format"] {
            if old.get(keyword) != new.get(keyword) {
                self.push(
                    Severity::Breaking,
                    at,
                    format!(
                        "`{keyword}` changed from {} to {}",
                        shown(old.get(keyword)),
                        shown(new.get(keyword))
                    ),
                );
            }
        }
        if let (Some(old_enum), Some(new_enum)) = (
            old.get("enum").and_then(Value::as_array),
            new.get("enum").and_then(Value::as_array),
        ) {
            let removed: Vec<&Value> = old_enum.iter().filter(|v| !new_enum.contains(v)).collect();
            let added: Vec<&Value> = new_enum.iter().filter(|v| !old_enum.contains(v)).collect();
            if !removed.is_empty() {
                self.push(
                    Severity::Breaking,
                    at,
                    format!("enum narrowed: {} removed", list(&removed)),
                );
            }
            if !added.is_empty() {
                self.push(
                    Severity::Compatible,
                    at,
                    format!("enum widened: {} added", list(&added)),
                );
            }
        } else if old.get("enum").is_none() && new.get("enum").is_some() {
            self.push(
                Severity::Breaking,
                at,
                "values are now restricted to an enum",
            );
        }
        let was_nullable = is_true(old, "nullable");
        let is_nullable = is_true(new, "nullable");
        let breaks = match direction {
            Direction::Request => was_nullable && !is_nullable,
            Direction::Response => !was_nullable && is_nullable,
        };
        if breaks {
            self.push(Severity::Breaking, at, "nullability changed");
        }
    }

    /// Tightening a bound breaks clients that send values near it; loosening one breaks
    /// clients that trust what they receive.
    fn bounds(&mut self, at: &str, old: &Value, new: &Value, direction: Direction) {
        const UPPER: &[&str] = &["maximum", "maxLength", "maxItems", "maxProperties"];
        const LOWER: &[&str] = &["minimum", "minLength", "minItems", "minProperties"];
        for (keywords, upper) in [(UPPER, true), (LOWER, false)] {
            for keyword in keywords {
                let old_bound = old.get(*keyword).and_then(Value::as_f64);
                let new_bound = new.get(*keyword).and_then(Value::as_f64);
                let tightened = match (old_bound, new_bound) {
                    (None, Some(_)) => true,
                    (Some(_), None) => false,
                    (Some(o), Some(n)) if upper => n < o,
                    (Some(o), Some(n)) => n > o,
                    (None, None) => continue,
                };
                if old_bound == new_bound {
                    continue;
                }
                let severity = match (direction, tightened) {
                    (Direction::Request, true) | (Direction::Response, false) => Severity::Breaking,
                    _ => Severity::Compatible,
                };
                let verb = if tightened { "tightened" } else { "loosened" };
                self.push(
                    severity,
                    at,
                    format!(
                        "`{keyword}` {verb} from {} to {}",
                        shown(old.get(*keyword)),
                        shown(new.get(*keyword))
                    ),
                );
            }
        }
        if old.get("pattern") != new.get("pattern") && new.get("pattern").is_some() {
            let severity = match direction {
                Direction::Request => Severity::Breaking,
                Direction::Response => Severity::Compatible,
            };
            self.push(
                severity,
                at,
                format!(
                    "`pattern` changed from {} to {}",
                    shown(old.get("pattern")),
                    shown(new.get("pattern"))
                ),
            );
        }
    }

    fn properties(&mut self, at: &str, old: &'a Value, new: &'a Value, direction: Direction) {
        let old_props = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let new_props = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let old_required = required(old);
        let new_required = required(new);
        for (name, old_prop) in old_props {
            let here = format!("{at}/properties/{}", escape(name));
            match new_props.get(name) {
                None => self.push(
                    Severity::Breaking,
                    &here,
                    format!("property `{name}` was removed"),
                ),
                Some(new_prop) => {
                    let was = old_required.contains(name.as_str());
                    let is = new_required.contains(name.as_str());
                    match direction {
                        Direction::Request if is && !was => self.push(
                            Severity::Breaking,
                            &here,
                            format!("request property `{name}` became required"),
                        ),
                        Direction::Response if was && !is => self.push(
                            Severity::Breaking,
                            &here,
                            format!("response property `{name}` is no longer always present"),
                        ),
                        _ => {}
                    }
                    self.schema(&here, old_prop, new_prop, direction);
                }
            }
        }
        for name in new_props
            .keys()
            .filter(|name| !old_props.contains_key(*name))
        {
            let here = format!("{at}/properties/{}", escape(name));
            if direction == Direction::Request && new_required.contains(name.as_str()) {
                self.push(
                    Severity::Breaking,
                    &here,
                    format!("new required request property `{name}`"),
                );
            } else {
                self.push(
                    Severity::Compatible,
                    &here,
                    format!("property `{name}` was added"),
                );
            }
        }
    }
}

fn str_of<'a>(node: &'a Value, key: &str) -> &'a str {
    node.get(key).and_then(Value::as_str).unwrap_or("")
}

fn is_true(node: &Value, key: &str) -> bool {
    node.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn required(node: &Value) -> BTreeSet<&str> {
    node.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), |v| format!("`{v}`"))
}

fn list(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Incremented for breaking changes.
    pub major: u64,
    /// Incremented for compatible additions.
    pub minor: u64,
    /// Incremented for fixes.
    pub patch: u64,
}

impl Version {
    /// Parses `1.2.3`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(3, '.').map(str::parse::<u64>);
        let version = Self {
            major: parts.next()?.ok()?,
            minor: parts.next()?.ok()?,
            patch: parts.next()?.ok()?,
        };
        Some(version)
    }

    /// The version of a document, from `info.version`.
    pub fn of(doc: &Value) -> Option<Self> {
        doc.pointer("/info/version")
            .and_then(Value::as_str)
            .and_then(Self::parse)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a spec may not be released as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateProblem {
    /// `info.version` is missing or not `major.minor.patch`.
    BadVersion {
        /// What `info.version` holds.
        found: String,
    },
    /// The version went backwards.
    VersionRegressed {
        /// The released version.
        released: Version,
        /// The current version.
        current: Version,
    },
    /// A breaking change without a new major version.
    Breaking {
        /// The change.
        change: Change,
        /// The released version compared against.
        released: Version,
    },
}

impl fmt::Display for GateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadVersion { found } => write!(
                f,
                "#/info/version: `{found}` is not a `major.minor.patch` version"
            ),
            Self::VersionRegressed { released, current } => write!(
                f,
                "#/info/version: {current} is older than the released {released}"
            ),
            Self::Breaking { change, released } => write!(
                f,
                "{}: breaking change since {released}: {}; keep the contract, or bump \
                 info.version to {}.0.0 and run `cargo xtask release`",
                change.pointer,
                change.message,
                released.major + 1
            ),
        }
    }
}

/// Checks that `current` may follow the released document `released`: every breaking
/// change needs a higher major version.
pub fn gate(released: &Value, current: &Value) -> Vec<GateProblem> {
    let Some(released_version) = Version::of(released) else {
        return vec![GateProblem::BadVersion {
            found: shown(released.pointer("/info/version")),
        }];
    };
    let Some(current_version) = Version::of(current) else {
        return vec![GateProblem::BadVersion {
            found: shown(current.pointer("/info/version")),
        }];
    };
    if current_version < released_version {
        return vec![GateProblem::VersionRegressed {
            released: released_version,
            current: current_version,
        }];
    }
    if current_version.major > released_version.major {
        return Vec::new();
    }
    diff(released, current)
        .into_iter()
        .filter(|change| change.severity == Severity::Breaking)
        .map(|change| GateProblem::Breaking {
            change,
            released: released_version,
        })
        .collect()
}
