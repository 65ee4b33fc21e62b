//! Where things are in the workspace.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
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

/// The released baselines, `openapi/released/`.
pub fn released_dir() -> PathBuf {
    spec_dir().join("released")
}

/// `path` relative to the workspace root, for messages.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}
