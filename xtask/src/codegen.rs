//! `cargo xtask codegen`: refreshes the committed snapshots of the generated code.
//!
//! The crates compile what their build scripts generate into `OUT_DIR`; the snapshots exist
//! so that a change of the generated code is visible in review. Each crate has a test that
//! fails when its snapshot is stale.

use std::path::Path;

use crate::{project, XtaskError};

/// Generates one snapshot's source from the spec.
type Generator = fn(&leads_codegen::spec::OpenAPI) -> Result<String, leads_codegen::CodegenError>;

/// The snapshots, as paths relative to the workspace root, with their generators.
const SNAPSHOTS: &[(&str, Generator)] = &[(
    "crates/leads-client/generated.rs",
    leads_codegen::client::generate,
)];

/// Writes every snapshot, or with `check` only reports the stale ones.
pub fn run(check: bool) -> Result<(), XtaskError> {
    let spec = leads_codegen::spec::load(&project::spec_file())?;
    let mut stale = 0;
    for (relative, generate) in SNAPSHOTS {
        let path = project::root().join(relative);
        let fresh = generate(&spec)?;
        if read(&path).as_deref() == Some(fresh.as_str()) {
            println!("{relative}: fresh");
        } else if check {
            eprintln!("{relative}: stale");
            stale += 1;
        } else {
            std::fs::write(&path, fresh).map_err(|source| XtaskError::Write {
                path: relative.to_string(),
                source,
            })?;
            println!("{relative}: updated");
        }
    }
    if stale > 0 {
        return Err(XtaskError::StaleSnapshots(stale));
    }
    Ok(())
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}
