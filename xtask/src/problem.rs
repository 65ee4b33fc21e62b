//! Every problem a check can find, as a typed value.
//!
//! Each prints as one line saying what is wrong, where (a spec JSON pointer, a file, a Rust
//! type, an operation and status) and how to fix it; `--format json` prints the same fields.

use std::fmt;

use leads_codegen::compat::GateProblem;
use leads_codegen::lint::LintProblem;
use serde_json::json;

/// A problem found by a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The spec breaks a house rule.
    Lint(LintProblem),
    /// A committed snapshot differs from the generator's output.
    StaleSnapshot {
        /// The snapshot, relative to the workspace root.
        file: String,
    },
    /// The spec breaks the released contract without a new major version.
    Breaking(GateProblem),
    /// `info.version` has a new major version but no released baseline.
    MissingBaseline {
        /// The spec's version.
        version: String,
    },
    /// A Rust type's schema disagrees with the spec's.
    TypeDrift(crate::agreement::Drift),
    /// A live response contradicts the spec, or a case did not get its documented status.
    Contract(crate::contract::Failure),
    /// A generated request got an answer the spec does not allow.
    Fuzz(crate::contract::fuzz::FuzzFailure),
    /// The fuzzer's time limit ended its run before every operation had its cases.
    FuzzCutShort {
        /// Which target it ran against.
        target: String,
        /// Each operation cut short, with the cases it got.
        unfinished: Vec<(String, usize)>,
    },
    /// A released baseline could not be read.
    Baseline {
        /// The baseline file.
        file: String,
        /// Why.
        message: String,
    },
}

impl Problem {
    /// A short name of the kind of problem, for machines.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Lint(_) => "lint",
            Problem::StaleSnapshot { .. } => "stale-snapshot",
            Problem::Breaking(_) => "breaking-change",
            Problem::MissingBaseline { .. } => "missing-baseline",
            Problem::Baseline { .. } => "baseline",
            Problem::TypeDrift(_) => "type-drift",
            Problem::Contract(_) => "contract",
            Problem::Fuzz(_) => "fuzz",
            Problem::FuzzCutShort { .. } => "fuzz-cut-short",
        }
    }

    /// Where the problem is.
    pub fn location(&self) -> String {
        match self {
            Problem::Lint(problem) => format!("openapi/leads.yaml{}", problem.pointer),
            Problem::StaleSnapshot { file } => file.clone(),
            Problem::Breaking(GateProblem::Breaking { change, .. }) => {
                format!("openapi/leads.yaml{}", change.pointer)
            }
            Problem::Breaking(_) | Problem::MissingBaseline { .. } => {
                "openapi/leads.yaml#/info/version".to_owned()
            }
            Problem::Baseline { file, .. } => file.clone(),
            Problem::TypeDrift(drift) => {
                format!("openapi/leads.yaml{} ({})", drift.pointer, drift.rust_type)
            }
            Problem::Fuzz(failure) => {
                format!(
                    "openapi/leads.yaml{} ({})",
                    failure.pointer, failure.operation
                )
            }
            Problem::FuzzCutShort { .. } => "openapi/leads.yaml#/paths".to_owned(),
            Problem::Contract(failure) => format!(
                "openapi/leads.yaml{}/responses/{} ({}, {})",
                failure.pointer, failure.expected, failure.operation, failure.case
            ),
        }
    }

    /// What is wrong.
    pub fn message(&self) -> String {
        match self {
            Problem::Lint(problem) => format!("[{}] {}", problem.rule.name(), problem.message),
            Problem::StaleSnapshot { .. } => {
                "differs from what the generator produces from the spec".to_owned()
            }
            Problem::Breaking(problem) => problem.to_string(),
            Problem::MissingBaseline { version } => {
                format!("version {version} has a new major version but no released baseline")
            }
            Problem::Baseline { message, .. } => message.clone(),
            Problem::TypeDrift(drift) => drift.detail.clone(),
            Problem::Contract(failure) => failure.detail.clone(),
            Problem::Fuzz(failure) => {
                format!("{}; minimal request: {}", failure.detail, failure.curl)
            }
            Problem::FuzzCutShort { target, unfinished } => {
                let operations: Vec<String> = unfinished
                    .iter()
                    .map(|(operation, cases)| format!("{operation} ({cases} cases)"))
                    .collect();
                format!(
                    "the fuzz time limit ended the run on {target} before these operations had \
                     their cases: {}",
                    operations.join(", ")
                )
            }
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> &'static str {
        match self {
            Problem::Lint(_) => "edit the spec at that location; `cargo xtask lint` re-checks",
            Problem::StaleSnapshot { .. } => "run `cargo xtask codegen` and commit the result",
            Problem::Breaking(_) => {
                "keep the released contract, or bump the major version and run `cargo xtask release`"
            }
            Problem::MissingBaseline { .. } => "run `cargo xtask release` and commit the baseline",
            Problem::Baseline { .. } => "restore the baseline from version control",
            Problem::Fuzz(_) => {
                "replay the curl line against the server, fix the handler or the spec; \
                 `cargo xtask fuzz --seed <seed>` reproduces the run"
            }
            Problem::FuzzCutShort { .. } => {
                "raise the time limit (`cargo xtask fuzz --time-limit`), or find what made the \
                 server slow"
            }
            Problem::Contract(_) => {
                "make the server answer as the spec documents (`cargo xtask contract` re-checks), \
                 or document the behaviour in the spec"
            }
            Problem::TypeDrift(_) => {
                "make the generator keep the constraint (crates/leads-codegen), or correct the spec; \
                 then `cargo build` regenerates the types"
            }
        }
    }

    /// The problem as a JSON object with `kind`, `location`, `message` and `fix`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "kind": self.kind(),
            "location": self.location(),
            "message": self.message(),
            "fix": self.fix(),
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (fix: {})",
            self.location(),
            self.message(),
            self.fix()
        )
    }
}
