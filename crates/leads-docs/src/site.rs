//! The static site: the list of its files, and writing them to a folder.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::pages;

/// One file of the site.
#[derive(Debug, Clone)]
pub struct SiteFile {
    /// The path inside the site, `/`-separated, e.g. `assets/redoc.standalone.js`.
    pub path: &'static str,
    /// The media type to serve it with.
    pub content_type: &'static str,
    /// The content.
    pub body: Cow<'static, str>,
}

/// Why the site could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    /// The file or folder that failed.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file of the static site: the landing page `index.html`, the reference
/// `reference.html`, the raw spec as `openapi.yaml` and `openapi.json`, and `assets/`.
pub fn site_files() -> Vec<SiteFile> {
    let file = |path, content_type, body: Cow<'static, str>| SiteFile {
        path,
        content_type,
        body,
    };
    vec![
        file("index.html", HTML, pages::landing_page(true).into()),
        file("reference.html", HTML, pages::reference_page("").into()),
        file(
            "openapi.yaml",
            "application/yaml; charset=utf-8",
            crate::SPEC_YAML.into(),
        ),
        file("openapi.json", "application/json", crate::SPEC_JSON.into()),
        file("assets/redoc.standalone.js", JS, pages::REDOC_BUNDLE.into()),
        file(
            "assets/redoc.standalone.js.LICENSE.txt",
            TEXT,
            pages::REDOC_THIRD_PARTY.into(),
        ),
        file("assets/redoc.LICENSE", TEXT, pages::REDOC_LICENSE.into()),
        file("assets/leads-docs.js", JS, pages::INIT_SCRIPT.into()),
    ]
}

/// Writes the static site into `dir`, creating it, and returns the paths written.
///
/// Open `dir/index.html` in a browser: everything it needs is in `dir`.
pub fn write_site(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let mut written = Vec::new();
    for file in site_files() {
        let path = dir.join(file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| WriteError {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, file.body.as_bytes()).map_err(|source| WriteError {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
