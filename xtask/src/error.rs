//! Why a task failed.

/// A task's failure, printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// A generator failed.
    #[error(transparent)]
    Codegen(#[from] leads_codegen::CodegenError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec cannot be used as it is.
    #[error("openapi/leads.yaml: {0}")]
    Spec(String),
    /// The command line is incomplete.
    #[error("{0}")]
    Usage(String),
    /// The server under test could not be built, seeded, started or reached.
    #[error("contract target: {0}")]
    Reference(String),
    /// Checks found problems; they were printed.
    #[error("{0} problem(s) found")]
    Problems(usize),
}
