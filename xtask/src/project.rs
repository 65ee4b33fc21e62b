//! Where things are in the workspace.

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The spec folder, `openapi/`.
pub fn spec_dir() -> PathBuf {
    root().join("openapi")
}

/// The root spec document, `openapi/leads.yaml`.
pub fn spec_file() -> PathBuf {
    leads_codegen::spec::root_document(&spec_dir())
}
