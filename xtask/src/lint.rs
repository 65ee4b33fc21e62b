//! `cargo xtask lint`: the spec's house rules (see `leads_codegen::lint`).

use crate::{project, XtaskError};

/// Prints every problem, one per line, and fails when there is any.
pub fn run() -> Result<(), XtaskError> {
    let problems = leads_codegen::lint::lint_file(&project::spec_file())?;
    for problem in &problems {
        eprintln!("openapi/leads.yaml{problem}");
    }
    if problems.is_empty() {
        println!("openapi/leads.yaml: every lint rule passes");
        Ok(())
    } else {
        Err(XtaskError::Problems(problems.len()))
    }
}
