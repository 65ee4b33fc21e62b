//! The HTTP surface around the API: operational endpoints, the `/v1` mount, and the
//! middleware every request passes through (request id, one log line, timeout, body
//! limit, and one JSON error body for whatever the inner layers answer in plain text).

use crate::store::Store;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::OnceLock;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

/// The spec, served as it is at `/openapi.yaml`: the copy the docs crate embeds.
pub const SPEC_YAML: &str = leads_docs::SPEC_YAML;

/// The largest request body accepted, as the spec documents (413 beyond).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// The longest a handler may take to produce its response head.
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The whole application: `api` under `/v1`, the operational endpoints at the root, and
/// the middleware around both.
pub fn app(store: Store, api: Router, config: HttpConfig) -> Router {
    let ops = Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.yaml", get(spec_yaml))
        .route("/openapi.json", get(spec_json))
        .merge(leads_docs::router())
        .with_state(store);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: queries can hold emails, headers hold credentials.
                    tracing::info_span!(
                        "request",
                        id = %id,
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                )
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn_with_state(
            config.request_timeout,
            timeout,
        ))
        .layer(middleware::from_fn(refuse_oversized))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .nest("/v1", api)
        .merge(ops)
        .fallback(not_found)
        .layer(layers)
}

async fn healthz(State(store): State<Store>) -> Response {
    match store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

async fn spec_yaml() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], SPEC_YAML).into_response()
}

async fn spec_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], spec_as_json()).into_response()
}

/// The spec converted to JSON once.
pub fn spec_as_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_yaml_ng::from_str::<serde_json::Value>(SPEC_YAML)
            .and_then(|v| serde_json::to_string_pretty(&v).map_err(serde::de::Error::custom))
            .expect("the bundled spec is valid YAML")
    })
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such resource")
}

/// The spec's error body.
pub fn error(status: StatusCode, msg: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"success": false, "msg": msg})),
    )
        .into_response()
}

/// Answers 500 when a handler takes longer than the configured timeout. The CSV body
/// streams after the head, so a long export is not cut off.
async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(?limit, "request timed out");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request took too long",
            )
        }
    }
}

/// A declared body this large is read and discarded before the 413, so the client, still
/// sending, can read the answer instead of hitting a reset connection.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// The longest time spent discarding an oversized body.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Answers 413 to a request whose `Content-Length` is over the limit, after discarding a
/// bounded amount of its body. Bodies without a length are cut off by the limit layer.
async fn refuse_oversized(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT as u64 => {
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
        _ => next.run(request).await,
    }
}

/// Rewrites error responses that are not JSON (from layers and extractors that answer
/// in plain text: body limit, unknown route or method) into the spec's error body,
/// keeping status and headers such as `WWW-Authenticate`.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
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
