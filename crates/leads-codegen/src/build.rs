//! The build-script side of the generators: one function that a crate's `build.rs` calls.
//!
//! Each crate that generates code from the spec ships a copy of it in its own package, at
//! [`PACKAGED_SPEC_DIR`]`/leads.yaml` (`cargo xtask codegen` keeps the copies identical to
//! the workspace's `openapi/`). The build script reads that copy, and only that copy:
//!
//! * the package directory is read from `CARGO_MANIFEST_DIR` when the script runs, never
//!   baked in with `env!` when it is compiled, because cargo reuses a compiled build script
//!   across checkouts that share a target directory;
//! * the paths given to `cargo:rerun-if-changed` are relative, so cargo resolves them
//!   against the package being built rather than the one that ran the script first;
//! * nothing outside the package is read, so a crate packaged with `cargo package` builds
//!   from its `.crate` file alone.

use std::path::{Path, PathBuf};

use crate::spec::{OpenAPI, ROOT_DOCUMENT};
use crate::CodegenError;

/// Where a generating crate keeps its copy of the spec, relative to its manifest.
pub const PACKAGED_SPEC_DIR: &str = "openapi";

/// A generator, as the build script picks it.
pub type Generator = fn(&OpenAPI) -> Result<String, CodegenError>;

/// Runs each generator over the package's spec and writes its output to
/// `OUT_DIR/<file>`. On failure, prints the error (which names the file or the spec
/// location) and exits, so that cargo shows it as the build error.
pub fn generate(what: &str, outputs: &[(Generator, &str)]) {
    if let Err(error) = try_generate(outputs) {
        eprintln!("error: cannot generate {what}: {error}");
        std::process::exit(1);
    }
}

/// [`generate`], returning the error instead of exiting.
pub fn try_generate(outputs: &[(Generator, &str)]) -> Result<(), CodegenError> {
    let package = env_path("CARGO_MANIFEST_DIR")?;
    let spec = packaged_spec(&package)?;
    let out_dir = env_path("OUT_DIR")?;
    for (generator, file) in outputs {
        let out = out_dir.join(file);
        let code = generator(&spec)?;
        std::fs::write(&out, code).map_err(|source| CodegenError::Write { path: out, source })?;
    }
    Ok(())
}

/// Reads the package's spec, telling cargo to rerun the script when any file of the spec
/// folder (or the script itself) changes.
pub fn packaged_spec(package: &Path) -> Result<OpenAPI, CodegenError> {
    let spec_dir = package.join(PACKAGED_SPEC_DIR);
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={PACKAGED_SPEC_DIR}");
    for file in crate::spec::files(&spec_dir)? {
        let relative = file.strip_prefix(package).unwrap_or(&file);
        println!("cargo:rerun-if-changed={}", relative.display());
    }
    crate::spec::load(&spec_dir.join(ROOT_DOCUMENT))
}

/// A directory cargo gives the build script in the environment.
fn env_path(name: &'static str) -> Result<PathBuf, CodegenError> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or(CodegenError::Environment(name))
}
