//! `cargo xtask codegen`: refreshes what is derived from the spec and committed: the
//! snapshots of the generated code, and the copy of the spec each generating crate ships.
//!
//! The crates compile what their build scripts generate into `OUT_DIR`, from the spec copy
//! in their own package (so that a packaged crate builds alone); the snapshots exist so
//! that a change of the generated code is visible in review. Each crate has a test that
//! fails when its snapshot or its spec copy is stale.

use std::path::Path;

use crate::{project, Problem, XtaskError};

/// Generates one snapshot's source from the spec.
type Generator = fn(&leads_codegen::spec::OpenAPI) -> Result<String, leads_codegen::CodegenError>;

/// What a derived file holds.
enum Derived {
    /// The output of a generator.
    Generated(Generator),
    /// The spec, as it is.
    SpecCopy,
}

/// The derived files, as paths relative to the workspace root.
const DERIVED: &[(&str, Derived)] = &[
    (
        "crates/leads-client/generated.rs",
        Derived::Generated(leads_codegen::client::generate),
    ),
    (
        "crates/leads-api/generated.rs",
        Derived::Generated(leads_codegen::server::generate),
    ),
    (
        "crates/leads-client-mock/generated.rs",
        Derived::Generated(leads_codegen::mock::generate),
    ),
    ("crates/leads-client/openapi/leads.yaml", Derived::SpecCopy),
    (
        "crates/leads-client-mock/openapi/leads.yaml",
        Derived::SpecCopy,
    ),
    ("crates/leads-api/openapi/leads.yaml", Derived::SpecCopy),
    ("crates/leads-docs/openapi/leads.yaml", Derived::SpecCopy),
];

/// Every derived file with what it should hold now.
fn expected() -> Result<Vec<(&'static str, String)>, XtaskError> {
    let text =
        std::fs::read_to_string(project::spec_file()).map_err(|source| XtaskError::Read {
            path: "openapi/leads.yaml".to_owned(),
            source,
        })?;
    let spec = leads_codegen::spec::parse(&project::spec_file(), &text)?;
    DERIVED
        .iter()
        .map(|(relative, derived)| {
            let content = match derived {
                Derived::Generated(generate) => generate(&spec)?,
                Derived::SpecCopy => text.clone(),
            };
            Ok((*relative, content))
        })
        .collect()
}

/// The derived files that differ from what they should hold now.
pub fn problems() -> Result<Vec<Problem>, XtaskError> {
    Ok(expected()?
        .into_iter()
        .filter(|(relative, content)| {
            read(&project::root().join(relative)).as_deref() != Some(content.as_str())
        })
        .map(|(relative, _)| Problem::StaleSnapshot {
            file: relative.to_owned(),
        })
        .collect())
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
    for (relative, fresh) in expected()? {
        let path = project::root().join(relative);
        if read(&path).as_deref() == Some(fresh.as_str()) {
            println!("{relative}: fresh");
        } else {
            std::fs::write(&path, fresh).map_err(|source| XtaskError::Write {
                path: relative.to_owned(),
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
