//! Freshness of what a generating crate commits: its `generated.rs` snapshot and its
//! packaged copy of the spec. Each generating crate's snapshot test is one call here.

use std::fmt;
use std::path::Path;

use crate::build::PACKAGED_SPEC_DIR;
use crate::spec::ROOT_DOCUMENT;

/// A committed file that is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The file, relative to the crate.
    pub file: String,
    /// The first line that differs, 1-based.
    pub line: usize,
    /// What it should equal.
    pub source: &'static str,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is stale: it differs from {} at line {}. Run `cargo xtask codegen` and commit \
             the result.",
            self.file, self.source, self.line
        )
    }
}

/// Checks `crate_dir/generated.rs` against `generated` (what the build script wrote), and
/// the packaged spec against the workspace's `openapi/` when the crate sits in the
/// workspace (a packaged crate has no workspace to compare with).
pub fn check(crate_dir: &Path, generated: &str) -> Result<(), Stale> {
    let name = crate_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    compare(
        &crate_dir.join("generated.rs"),
        format!("crates/{name}/generated.rs"),
        generated,
        "the code generated from the spec",
    )?;
    let workspace_spec = crate_dir.join("../../openapi").join(ROOT_DOCUMENT);
    if let Ok(spec) = std::fs::read_to_string(workspace_spec) {
        compare(
            &crate_dir.join(PACKAGED_SPEC_DIR).join(ROOT_DOCUMENT),
            format!("crates/{name}/{PACKAGED_SPEC_DIR}/{ROOT_DOCUMENT}"),
            &spec,
            "openapi/leads.yaml",
        )?;
    }
    Ok(())
}

fn compare(path: &Path, file: String, expected: &str, source: &'static str) -> Result<(), Stale> {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == expected {
        return Ok(());
    }
    let line = committed
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(expected.lines().count()))
        + 1;
    Err(Stale { file, line, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_the_line_and_the_fix() {
        let dir = std::env::temp_dir().join(format!("leads-snapshot-{}", std::process::id()));
        let crate_dir = dir.join("leads-x");
        std::fs::create_dir_all(&crate_dir).expect("dir");
        std::fs::write(crate_dir.join("generated.rs"), "a\nb\nc\n").expect("write");
        assert_eq!(check(&crate_dir, "a\nb\nc\n"), Ok(()));
        let stale = check(&crate_dir, "a\nB\nc\n").expect_err("stale");
        assert_eq!(stale.line, 2);
        let message = stale.to_string();
        assert!(message.contains("crates/leads-x/generated.rs"), "{message}");
        assert!(message.contains("cargo xtask codegen"), "{message}");
        std::fs::remove_dir_all(dir).ok();
    }
}
