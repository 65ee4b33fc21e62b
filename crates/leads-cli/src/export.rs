//! Streaming an export to a file with a progress bar of bytes and rows.

use std::path::{Path, PathBuf};

use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncWriteExt as _;

use crate::csv_format::RowCounter;
use crate::error::CliError;

/// The CSV body as the client hands it over.
pub type Body = leads_client::ByteStream;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Bytes written.
    pub bytes: u64,
    /// Data rows written (the header not counted).
    pub rows: u64,
}

/// Streams `body` into `path` with constant memory. The data goes to `FILE.partial`
/// first and is renamed at the end, so an interrupted export never looks complete.
pub async fn to_file(body: Body, path: &Path) -> Result<Written, CliError> {
    let partial = partial_path(path);
    let file = tokio::fs::File::create(&partial)
        .await
        .map_err(CliError::file(&partial))?;
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template(
            "{spinner} {binary_bytes} ({binary_bytes_per_sec}), {msg} [{elapsed}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let result = copy(body, file, &partial, |written| {
        bar.set_position(written.bytes);
        bar.set_message(format!("{} rows", written.rows));
        bar.tick();
    })
    .await;
    bar.finish_and_clear();
    match result {
        Ok(written) => {
            tokio::fs::rename(&partial, path)
                .await
                .map_err(CliError::file(path))?;
            Ok(written)
        }
        Err(error) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Err(error)
        }
    }
}

/// Streams `body` to standard output.
pub async fn to_stdout(body: Body) -> Result<Written, CliError> {
    match copy(body, tokio::io::stdout(), Path::new("-"), |_| {}).await {
        // Reported as an output error, so that `leads export | head` ends quietly.
        Err(CliError::File { source, .. }) => Err(CliError::Output(source)),
        other => other,
    }
}

async fn copy<W: tokio::io::AsyncWrite + Unpin>(
    body: Body,
    mut out: W,
    path: &Path,
    mut progress: impl FnMut(Written),
) -> Result<Written, CliError> {
    let mut stream = body.into_inner();
    let mut counter = RowCounter::default();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            CliError::Transport(format!("the export broke off after {bytes} bytes: {e}"))
        })?;
        counter.feed(&chunk);
        out.write_all(&chunk).await.map_err(CliError::file(path))?;
        bytes += chunk.len() as u64;
        progress(Written {
            bytes,
            rows: counter.rows(),
        });
    }
    out.flush().await.map_err(CliError::file(path))?;
    Ok(Written {
        bytes,
        rows: counter.rows(),
    })
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
