//! Why a task failed.

/// A task's failure, printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// A generator failed.
    #[error(transparent)]
    Codegen(#[from] leads_codegen::CodegenError),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Snapshots differ from what the generators produce now.
    #[error("{0} stale snapshot(s); run `cargo xtask codegen` and commit the result")]
    StaleSnapshots(usize),
    /// The spec breaks lint rules.
    #[error("openapi/leads.yaml breaks {0} lint rule(s)")]
    Lint(usize),
}
