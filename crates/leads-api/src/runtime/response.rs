//! Response bodies: JSON models, and streamed bodies of other media types.

use std::fmt;
use std::pin::Pin;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::Stream;
use serde::Serialize;

use super::Rejection;

/// A JSON response. Serialising a generated model does not fail; should it ever, the
/// caller answers with a generic 500 rather than a half-written body.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response, Rejection> {
    let bytes = serde_json::to_vec(body).map_err(|_| Rejection::internal())?;
    Ok((
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response())
}

/// A streamed response with the given content type.
pub fn stream(status: StatusCode, content_type: &'static str, body: ByteStream) -> Response {
    let mut response = (status, Body::from_stream(body.stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = body.file_name {
        let value = format!("attachment; filename=\"{name}\"");
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

/// The boxed stream of chunks inside a [`ByteStream`].
pub type BoxedChunks = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A response body sent as it is produced, chunk by chunk, in constant memory. An error
/// from the stream aborts the response mid-way; the client sees a truncated body.
pub struct ByteStream {
    stream: BoxedChunks,
    file_name: Option<String>,
}

impl ByteStream {
    /// A body from a stream of chunks.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        Self {
            stream: Box::pin(stream),
            file_name: None,
        }
    }

    /// A body of one chunk, already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(futures::stream::once(std::future::ready(Ok(bytes.into()))))
    }

    /// Suggests a file name for the download, as `Content-Disposition: attachment`.
    /// Quotes and control characters are dropped from it.
    pub fn with_file_name(mut self, name: &str) -> Self {
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .collect();
        self.file_name = Some(name);
        self
    }

    /// The suggested file name, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The chunks, for a caller that consumes the body itself (e.g. a test).
    pub fn into_stream(self) -> BoxedChunks {
        self.stream
    }
}

impl From<BoxedChunks> for ByteStream {
    fn from(stream: BoxedChunks) -> Self {
        Self {
            stream,
            file_name: None,
        }
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}
