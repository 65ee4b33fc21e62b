//! The one error type of the generators.

use std::path::PathBuf;

/// Why generation failed. Every variant names the file or spec location to look at, so a
/// build script can print it as it is.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that was read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec is not an OpenAPI 3.0 document.
    #[error("{path} is not a valid OpenAPI 3.0 document: {message}")]
    Parse {
        /// The file that was parsed.
        path: PathBuf,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// The spec uses something the generator cannot express.
    #[error("{location}: {message}")]
    Unsupported {
        /// A JSON pointer into the spec, e.g. `#/paths/~1auth~1signin/post`.
        location: String,
        /// What is not supported and what to do instead.
        message: String,
    },
    /// progenitor rejected the spec.
    #[error("progenitor cannot generate a client from the spec: {0}")]
    Client(String),
    /// A generated file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file that was written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A build script ran without a variable cargo always sets.
    #[error("`{0}` is not set; run this from a build script under cargo")]
    Environment(&'static str),
    /// The generated tokens are not valid Rust; this is a bug of the generator.
    #[error("the generated code does not parse as Rust: {0}")]
    Syntax(#[from] syn::Error),
}
