//! The one layer every request passes through, outermost first: its request id, its span,
//! its metrics, the 413 of a declared oversized body, its timeout, the spec's error body
//! for what inner layers answer in plain text, and, when asked for, one access log line.
//!
//! One hand-written service rather than a stack of tower-http layers and `from_fn`
//! middlewares: each of those boxed its own future and cloned the router per request, and
//! the request id came from the operating system's random source. Here a request costs one
//! boxed future, a span, and an id drawn from the thread's generator.

use crate::http::{error, unavailable, BODY_LIMIT, RETRY_AFTER_SECONDS};
use crate::metrics;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use futures::future::BoxFuture;
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{Layer, Service};
use tracing::Instrument;

/// The header carrying the request id, taken from the request when it has one.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The target of the access log lines, for `RUST_LOG` filters.
pub const ACCESS_TARGET: &str = "leads_server::access";

/// What the layer does besides what every request needs.
#[derive(Debug, Clone, Copy)]
pub struct RequestLayer {
    /// The longest a handler may take to produce its response head.
    pub timeout: Duration,
    /// Whether every request is logged (a 5xx always is).
    pub access_log: bool,
}

impl<S> Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService {
            inner,
            settings: *self,
        }
    }
}

/// [`RequestLayer`] around a service.
#[derive(Debug, Clone)]
pub struct RequestService<S> {
    inner: S,
    settings: RequestLayer,
}

impl<S, B> Service<Request> for RequestService<S>
where
    S: Service<Request, Response = axum::http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The service that was polled ready serves this request; its clone the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let settings = self.settings;
        let id = match request.headers().get(&X_REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = new_request_id();
                request
                    .headers_mut()
                    .insert(X_REQUEST_ID.clone(), id.clone());
                id
            }
        };
        let operation = crate::http::operation_of(request.method(), request.uri().path());
        // The path only: queries can hold emails, headers hold credentials.
        let span = tracing::info_span!(
            "request",
            id = id.to_str().unwrap_or("-"),
            method = %request.method(),
            path = request.uri().path(),
        );
        let future = async move {
            let metrics = metrics::global();
            let _in_flight = metrics.request_started();
            let started = Instant::now();
            let response = match declared_length(&request) {
                Some(length) if length > BODY_LIMIT as u64 => refuse(request, length).await,
                _ => match tokio::time::timeout(settings.timeout, inner.call(request)).await {
                    Ok(Ok(response)) => response.map(Body::new),
                    Ok(Err(never)) => match never {},
                    Err(_) => {
                        tracing::warn!(limit = ?settings.timeout, "request timed out; answering 503");
                        unavailable("the request took too long and may have been applied; retry it")
                    }
                },
            };
            let mut response = json_errors(response);
            let elapsed = started.elapsed();
            let status = response.status();
            metrics.request_finished(operation, status.as_u16(), elapsed);
            let latency_ms = elapsed.as_secs_f64() * 1000.0;
            // Faults are logged at ERROR where they happen; a 503 while starting,
            // draining or busy is expected, so the answer itself is a warning.
            if status.is_server_error() {
                tracing::warn!(target: ACCESS_TARGET, status = status.as_u16(), latency_ms, "answered");
            } else if settings.access_log {
                tracing::info!(target: ACCESS_TARGET, status = status.as_u16(), latency_ms, "answered");
            }
            response.headers_mut().insert(X_REQUEST_ID.clone(), id);
            Ok(response)
        };
        Box::pin(future.instrument(span))
    }
}

/// A fresh request id: a UUID v4 from the thread's generator, which needs no system call.
fn new_request_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bits =
        (rand::random::<u128>() & !(0xf000 << 64) & !(0xc << 60)) | (0x4000 << 64) | (0x8 << 60);
    let mut text = [0u8; 36];
    let mut at = 0;
    for (i, byte) in bits.to_be_bytes().into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text[at] = b'-';
            at += 1;
        }
        text[at] = HEX[usize::from(byte >> 4)];
        text[at + 1] = HEX[usize::from(byte & 0xf)];
        at += 2;
    }
    HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// The `Content-Length` the request declares, if any.
fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// A declared body this large is read and discarded before the 413, so the client, still
/// sending, can read the answer instead of hitting a reset connection.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// The longest time spent discarding an oversized body.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Answers 413 to a request whose `Content-Length` is over the limit, after discarding a
/// bounded amount of its body. Bodies without a length are cut off by the limit layer.
async fn refuse(request: Request, length: u64) -> Response {
    if length <= DRAIN_LIMIT {
        let mut body = request.into_body().into_data_stream();
        let drain = async {
            let mut read = 0u64;
            while let Some(Ok(chunk)) = futures::StreamExt::next(&mut body).await {
                read += chunk.len() as u64;
                if read > DRAIN_LIMIT {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body is larger than {BODY_LIMIT} bytes"),
    )
}

/// Rewrites error responses that are not JSON (from layers and extractors that answer
/// in plain text: body limit, unknown route or method) into the spec's error body,
/// keeping status and headers such as `WWW-Authenticate`.
///
/// Every 503 carries `Retry-After`, whichever layer or operation answered it.
fn json_errors(mut response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let msg = match status {
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => format!("request body is larger than {BODY_LIMIT} bytes"),
        s if s.is_server_error() => "internal error".to_owned(),
        s => s.canonical_reason().unwrap_or("bad request").to_lowercase(),
    };
    let (mut parts, _) = error(status, &msg).into_parts();
    let (original, _) = response.into_parts();
    for (name, value) in &original.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            parts.headers.insert(name, value.clone());
        }
    }
    let body = serde_json::json!({"success": false, "msg": msg}).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuids_v4() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        let text = a.to_str().unwrap();
        assert_eq!(text.len(), 36);
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "version 4: {text}");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "RFC 4122 variant: {text}"
        );
        assert!(text
            .bytes()
            .all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    }
}
