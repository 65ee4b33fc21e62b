//! The HTTP surface around the API: operational endpoints, the `/v1` mount, and the
//! middleware every request passes through (request id, one log line, metrics, timeout,
//! body limit, and one JSON error body for whatever the inner layers answer in plain text).
//!
//! The listener opens before the database: until the store is open and migrated the API
//! answers 503 with `Retry-After` and `/readyz` 503, while `/healthz` says the process is
//! alive. Once shutdown begins, new requests get 503 and `Connection: close` while those in
//! flight finish.

use crate::metrics;
use crate::store::Store;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

/// The spec, served as it is at `/openapi.yaml`: the copy the docs crate embeds.
pub const SPEC_YAML: &str = leads_docs::SPEC_YAML;

/// The largest request body accepted, as the spec documents (413 beyond).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What a 503 asks the client to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// The longest a handler may take to produce its response head.
    pub request_timeout: Duration,
    /// Whether `/metrics` is served next to the API (off when it is turned off or served
    /// on an address of its own).
    pub metrics: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout: Duration::from_secs(30),
            metrics: true,
        }
    }
}

/// The server's life as the HTTP layer sees it: starting until the store is open and the
/// API built, then ready, then draining once shutdown begins.
#[derive(Debug, Default)]
pub struct Lifecycle {
    ready: OnceLock<(Store, Router)>,
    draining: AtomicBool,
}

impl Lifecycle {
    /// A server that is starting.
    pub fn starting() -> Arc<Self> {
        Arc::new(Lifecycle::default())
    }

    /// The store is open and migrated and the API built: serve it.
    pub fn set_ready(&self, store: Store, api: Router) {
        if self.ready.set((store, api)).is_err() {
            tracing::warn!("the server was made ready twice; keeping the first");
        }
    }

    /// The store, once open.
    pub fn store(&self) -> Option<&Store> {
        self.ready.get().map(|(store, _)| store)
    }

    /// Shutdown began: refuse new requests.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown began.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// The whole application on a store that is already open: `api` under `/v1`, the
/// operational endpoints at the root, and the middleware around both.
pub fn app(store: Store, api: Router, config: HttpConfig) -> Router {
    let lifecycle = Lifecycle::starting();
    lifecycle.set_ready(store, api);
    app_with(lifecycle, config)
}

/// The whole application, serving the API once `lifecycle` is ready.
pub fn app_with(lifecycle: Arc<Lifecycle>, config: HttpConfig) -> Router {
    let api = {
        let lifecycle = lifecycle.clone();
        tower::service_fn(move |request: Request| {
            let lifecycle = lifecycle.clone();
            async move { Ok::<_, std::convert::Infallible>(serve_api(&lifecycle, request).await) }
        })
    };
    let mut ops = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if config.metrics {
        ops = ops.route("/metrics", get(metrics_text));
    }
    let ops = ops
        .with_state(lifecycle)
        .route("/openapi.yaml", get(spec_yaml))
        .route("/openapi.json", get(spec_json))
        .merge(leads_docs::router());
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
                // Faults are logged at ERROR where they happen; a 503 while starting,
                // draining or busy is expected, so the answer itself is a warning.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn_with_state(
            config.request_timeout,
            timeout,
        ))
        .layer(middleware::from_fn(refuse_oversized))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .nest_service("/v1", api)
        .merge(ops)
        .fallback(not_found)
        .layer(layers)
}

/// `/metrics` alone, for serving it on an address of its own.
pub fn metrics_app(lifecycle: Arc<Lifecycle>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(lifecycle)
        .fallback(not_found)
}

/// The API once ready; 503 while starting or draining.
async fn serve_api(lifecycle: &Lifecycle, request: Request) -> Response {
    if lifecycle.is_draining() {
        let mut response = unavailable("the server is shutting down; retry later");
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    match lifecycle.ready.get() {
        Some((_, api)) => match api.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        None => unavailable("the server is starting; retry later"),
    }
}

/// A 503 with `Retry-After` and the spec's error body.
pub fn unavailable(msg: &str) -> Response {
    let mut response = error(StatusCode::SERVICE_UNAVAILABLE, msg);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

/// Liveness: 200 while the process runs and, once the store is open, reaches it.
async fn healthz(State(lifecycle): State<Arc<Lifecycle>>) -> Response {
    let Some(store) = lifecycle.store() else {
        return Json(serde_json::json!({"status": "starting"})).into_response();
    };
    match store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// Readiness: 200 only when the database answers and has every migration of this build,
/// and shutdown has not begun.
async fn readyz(State(lifecycle): State<Arc<Lifecycle>>) -> Response {
    if lifecycle.is_draining() {
        return status(StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    let Some(store) = lifecycle.store() else {
        return status(StatusCode::SERVICE_UNAVAILABLE, "starting");
    };
    match store.ready().await {
        Ok(true) => status(StatusCode::OK, "ready"),
        Ok(false) => status(StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            status(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

fn status(code: StatusCode, status: &str) -> Response {
    (code, Json(serde_json::json!({ "status": status }))).into_response()
}

async fn metrics_text(State(lifecycle): State<Arc<Lifecycle>>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::global().render(lifecycle.store()),
    )
        .into_response()
}

/// Counts every request by operation and status, and its time to the response head.
async fn record_metrics(request: Request, next: Next) -> Response {
    let operation = operation_of(request.method(), request.uri().path());
    let metrics = metrics::global();
    let _in_flight = metrics.request_started();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request_finished(operation, response.status().as_u16(), started.elapsed());
    response
}

/// One route of the spec: method, path segments (`None` for a parameter), operationId.
type SpecRoute = (Method, Vec<Option<String>>, String);

/// The operation a request is for, as the spec names it; the name of an operational
/// endpoint; or `other`. Never anything from the request itself, so labels stay few.
pub fn operation_of(method: &Method, path: &str) -> &'static str {
    static ROUTES: OnceLock<Vec<SpecRoute>> = OnceLock::new();
    let Some(api_path) = path.strip_prefix("/v1") else {
        return match path {
            "/healthz" => "healthz",
            "/readyz" => "readyz",
            "/metrics" => "metrics",
            "/openapi.yaml" | "/openapi.json" => "openapi",
            p if p == "/docs" || p.starts_with("/docs/") => "docs",
            _ => "other",
        };
    };
    let routes = ROUTES.get_or_init(spec_routes);
    let segments: Vec<&str> = api_path.split('/').collect();
    routes
        .iter()
        .find(|(m, template, _)| {
            m == method
                && template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.as_deref().is_none_or(|t| t == *s))
        })
        .map_or("other", |(_, _, id)| id.as_str())
}

fn spec_routes() -> Vec<SpecRoute> {
    let spec: serde_json::Value = serde_yaml_ng::from_str(SPEC_YAML).unwrap_or_default();
    let mut routes = Vec::new();
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in paths {
        let template: Vec<Option<String>> = path
            .split('/')
            .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
            .collect();
        let methods: BTreeMap<String, serde_json::Value> = item
            .as_object()
            .map(|o| o.clone().into_iter().collect())
            .unwrap_or_default();
        for (method, operation) in methods {
            let (Ok(method), Some(id)) = (
                Method::from_bytes(method.to_uppercase().as_bytes()),
                operation["operationId"].as_str(),
            ) else {
                continue;
            };
            routes.push((method, template.clone(), id.to_owned()));
        }
    }
    routes
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

/// Answers 503 with `Retry-After` when a handler takes longer than the configured timeout:
/// the request may still complete (a write may be applied), so the answer says to retry,
/// and the spec tells how a create is retried safely. The CSV body streams after the
/// head, so a long export is not cut off.
async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out; answering 503");
            unavailable("the request took too long and may have been applied; retry it")
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
///
/// Every 503 carries `Retry-After`, whichever layer or operation answered it.
async fn json_errors(mut response: Response) -> Response {
    let status = response.status();
    if status == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
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
