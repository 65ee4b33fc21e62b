//! `cargo xtask codegen`: refreshes the committed snapshots of the generated code.
//!
//! The crates compile what their build scripts generate into `OUT_DIR`; the snapshots exist
//! so that a change of the generated code is visible in review. Each crate has a test that
//! fails when its snapshot is stale.

use std::path::Path;

use crate::{project, Problem, XtaskError};

/// Generates one snapshot's source from the spec.
type Generator = fn(&leads_codegen::spec::OpenAPI) -> Result<String, leads_codegen::CodegenError>;

/// The snapshots, as paths relative to the workspace root, with their generators.
const SNAPSHOTS: &[(&str, Generator)] = &[
    (
        "crates/leads-client/generated.rs",
        leads_codegen::client::generate,
    ),
    (
        "crates/leads-api/generated.rs",
        leads_codegen::server::generate,
    ),
];

/// The snapshots that differ from what the generators produce now.
pub fn problems() -> Result<Vec<Problem>, XtaskError> {
    let spec = leads_codegen::spec::load(&project::spec_file())?;
    let mut stale = Vec::new();
    for (relative, generate) in SNAPSHOTS {
        if read(&project::root().join(relative)).as_deref() != Some(generate(&spec)?.as_str()) {
            stale.push(Problem::StaleSnapshot {
                file: (*relative).to_owned(),
            });
        }
    }
    Ok(stale)
}

/// Writes every snapshot, or with `check` only reports the stale ones.
pub fn run(check: bool) -> Result<(), XtaskError> {
    if check {
        let stale = problems()?;
        for problem in &stale {
            eprintln!("{problem}");
        }
        return if stale.is_empty() {
            Ok(())
        } else {
            Err(XtaskError::Problems(stale.len()))
        };
    }
    let spec = leads_codegen::spec::load(&project::spec_file())?;
    for (relative, generate) in SNAPSHOTS {
        let path = project::root().join(relative);
        let fresh = generate(&spec)?;
        if read(&path).as_deref() == Some(fresh.as_str()) {
            println!("{relative}: fresh");
        } else {
            std::fs::write(&path, fresh).map_err(|source| XtaskError::Write {
                path: (*relative).to_owned(),
                source,
            })?;
            println!("{relative}: updated");
        }
    }
    Ok(())
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}
