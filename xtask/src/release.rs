//! Released baselines of the contract, and the gate between them and the current spec.
//!
//! `openapi/released/leads-<version>.yaml` are copies of the spec as released. The newest is
//! the contract clients rely on: the current spec may add to it, but a breaking change needs a
//! new major version and, with it, a new baseline (`cargo xtask release`).

use std::path::PathBuf;

use leads_codegen::compat::{gate, Version};
use serde_json::Value;

use crate::{project, Problem, XtaskError};

/// A released baseline.
#[derive(Debug)]
pub struct Baseline {
    /// Its version, from the file name.
    pub version: Version,
    /// The file.
    pub path: PathBuf,
}

/// The released baselines, oldest first.
pub fn baselines() -> Result<Vec<Baseline>, XtaskError> {
    let dir = project::released_dir();
    let entries = std::fs::read_dir(&dir).map_err(|source| XtaskError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let version = name
            .strip_prefix("leads-")
            .and_then(|rest| rest.strip_suffix(".yaml"))
            .and_then(Version::parse);
        if let Some(version) = version {
            found.push(Baseline { version, path });
        }
    }
    found.sort_by_key(|baseline| baseline.version);
    Ok(found)
}

fn read_yaml(path: &std::path::Path) -> Result<Value, Problem> {
    let relative = project::relative(path);
    let text = std::fs::read_to_string(path).map_err(|e| Problem::Baseline {
        file: relative.clone(),
        message: format!("cannot read it: {e}"),
    })?;
    serde_yaml_ng::from_str(&text).map_err(|e| Problem::Baseline {
        file: relative,
        message: format!("not valid YAML: {e}"),
    })
}

/// Checks the current spec against the newest baseline, and every baseline against the one
/// before it.
pub fn check() -> Result<Vec<Problem>, XtaskError> {
    let current = match read_yaml(&project::spec_file()) {
        Ok(doc) => doc,
        Err(problem) => return Ok(vec![problem]),
    };
    let mut problems = Vec::new();
    let mut released = Vec::new();
    for baseline in baselines()? {
        match read_yaml(&baseline.path) {
            Ok(doc) => released.push((baseline.version, doc)),
            Err(problem) => problems.push(problem),
        }
    }
    problems.extend(check_documents(&current, &released));
    Ok(problems)
}

/// The release gate over documents: `released` oldest first, `current` the spec.
pub fn check_documents(current: &Value, released: &[(Version, Value)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for pair in released.windows(2) {
        problems.extend(
            gate(&pair[0].1, &pair[1].1)
                .into_iter()
                .map(Problem::Breaking),
        );
    }
    if let Some((newest, doc)) = released.last() {
        problems.extend(gate(doc, current).into_iter().map(Problem::Breaking));
        if let Some(version) = Version::of(current) {
            if version.major > newest.major {
                problems.push(Problem::MissingBaseline {
                    version: version.to_string(),
                });
            }
        }
    }
    problems
}

/// The released baselines as documents, oldest first.
pub fn released_documents() -> Result<Vec<(Version, Value)>, XtaskError> {
    let mut released = Vec::new();
    for baseline in baselines()? {
        let doc = read_yaml(&baseline.path).map_err(|p| XtaskError::Spec(p.to_string()))?;
        released.push((baseline.version, doc));
    }
    Ok(released)
}

/// `cargo xtask release`: records the current spec as the baseline of its version.
pub fn run() -> Result<(), XtaskError> {
    let problems: Vec<Problem> = check()?
        .into_iter()
        .filter(|problem| !matches!(problem, Problem::MissingBaseline { .. }))
        .collect();
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        return Err(XtaskError::Problems(problems.len()));
    }
    let text =
        std::fs::read_to_string(project::spec_file()).map_err(|source| XtaskError::Read {
            path: "openapi/leads.yaml".to_owned(),
            source,
        })?;
    let doc: Value = serde_yaml_ng::from_str(&text).map_err(|e| XtaskError::Spec(e.to_string()))?;
    let version = Version::of(&doc)
        .ok_or_else(|| XtaskError::Spec("info.version is not major.minor.patch".to_owned()))?;
    let path = project::released_dir().join(format!("leads-{version}.yaml"));
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing != text {
            return Err(XtaskError::Spec(format!(
                "{} already exists with other content; a released version never changes, \
                 bump info.version instead",
                project::relative(&path)
            )));
        }
    }
    std::fs::write(&path, text).map_err(|source| XtaskError::Write {
        path: project::relative(&path),
        source,
    })?;
    println!("{}", project::relative(&path));
    Ok(())
}
