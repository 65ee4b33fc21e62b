//! Loading the spec: the root document `openapi/leads.yaml`.

use std::path::{Path, PathBuf};

pub use openapiv3::OpenAPI;

use crate::CodegenError;

/// The root document's file name inside the spec folder.
pub const ROOT_DOCUMENT: &str = "leads.yaml";

/// The path of the root document inside `spec_dir`.
pub fn root_document(spec_dir: &Path) -> PathBuf {
    spec_dir.join(ROOT_DOCUMENT)
}

/// Reads and parses an OpenAPI 3.0 document from a YAML or JSON file.
pub fn load(path: &Path) -> Result<OpenAPI, CodegenError> {
    let text = std::fs::read_to_string(path).map_err(|source| CodegenError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parses an OpenAPI 3.0 document; `path` only names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<OpenAPI, CodegenError> {
    let spec: OpenAPI = serde_yaml_ng::from_str(text).map_err(|e| CodegenError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(CodegenError::Parse {
            path: path.to_owned(),
            message: format!(
                "`openapi: {}` is not supported; the generators read OpenAPI 3.0.x only",
                spec.openapi
            ),
        });
    }
    Ok(spec)
}

/// Every file in the spec folder, so build scripts can watch them all.
pub fn files(spec_dir: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let read_error = |source| CodegenError::Read {
        path: spec_dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    let mut pending = vec![spec_dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Follows local `$ref`s (`#/components/...`) from `node` in the document `doc`, as JSON.
///
/// `None` when a reference points at nothing, is not local, or the chain is longer than 16
/// (a cycle). The lint rules, the breaking-change detection and the checks share it.
pub fn follow_refs<'a>(
    doc: &'a serde_json::Value,
    mut node: &'a serde_json::Value,
) -> Option<&'a serde_json::Value> {
    for _ in 0..16 {
        match node.get("$ref").and_then(serde_json::Value::as_str) {
            Some(reference) => node = doc.pointer(reference.strip_prefix('#')?)?,
            None => return Some(node),
        }
    }
    None
}
