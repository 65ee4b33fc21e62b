//! Why a command failed, and the exit code each reason maps to.

use std::path::PathBuf;

/// A command's failure, printed on stderr as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or its values are wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The API answered with an error body (exit 1).
    #[error("{msg} (HTTP {status})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's `msg`.
        msg: String,
    },
    /// The API could not be reached or answered something unreadable (exit 1).
    #[error("{0}")]
    Transport(String),
    /// A local file could not be read or written (exit 1).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing the output failed (exit 1).
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    /// The stored credentials cannot be read or written (exit 1).
    #[error("credentials file {}: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Some rows of an import failed; they are in the report (exit 1).
    #[error("{failed} of {total} row(s) failed; see {}", report.display())]
    ImportIncomplete {
        /// Rows that failed.
        failed: usize,
        /// Rows read.
        total: usize,
        /// Where the failed rows are.
        report: PathBuf,
    },
}

impl CliError {
    /// 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }

    /// A `File` error for `path`.
    pub fn file(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::File { path, source }
    }
}

impl From<leads_client::Error<leads_client::types::Error>> for CliError {
    fn from(error: leads_client::Error<leads_client::types::Error>) -> Self {
        use leads_client::Error;
        match error {
            Error::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let body = response.into_inner();
                let msg = if status == 401 {
                    format!("{}; check the credentials or run `leads login`", body.msg)
                } else {
                    body.msg
                };
                Self::Api { status, msg }
            }
            // The client refused to build the request: a value breaks the spec's rules.
            Error::InvalidRequest(reason) => Self::Usage(reason),
            Error::CommunicationError(e) => {
                Self::Transport(format!("cannot reach the API: {}", chain(&e)))
            }
            Error::UnexpectedResponse(response) => Self::Api {
                status: response.status().as_u16(),
                msg: format!(
                    "unexpected answer ({}) from {}",
                    response.status(),
                    response.url()
                ),
            },
            other => Self::Transport(other.to_string()),
        }
    }
}

/// An error with its sources, on one line: reqwest's top message alone hides the cause.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
