//! Why the router refused a request, before any trait method ran.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// A request the router refused: the status and the message for the error body's `msg`.
///
/// Messages say what was wrong with the request (which parameter, which field), never
/// anything about the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct Rejection {
    status: StatusCode,
    message: Cow<'static, str>,
    allow: Option<&'static str>,
}

impl Rejection {
    fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            allow: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: credentials are missing or wrong.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 404: no route has this path.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "no such path")
    }

    /// 405: the path exists, the method does not; `allow` lists the methods that do.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method not allowed; this path allows {allow}"),
            )
        }
    }

    /// 413: the body is larger than `limit` bytes.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {limit} bytes"),
        )
    }

    /// 500: a fault of the server; the message stays generic.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }

    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message for the error body.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Adds the headers this rejection calls for (`Allow` on a 405) to its response.
    pub fn add_headers(&self, mut response: Response) -> Response {
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

impl From<super::Unauthenticated> for Rejection {
    fn from(error: super::Unauthenticated) -> Self {
        Self::unauthorized(error.message().to_owned())
    }
}
