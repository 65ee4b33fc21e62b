//! The HTTP surface around the API: operational endpoints, the `/v1` mount, and the
//! layer every request passes through ([`crate::layer`]: request id, span, metrics,
//! timeout, 413, one JSON error body for whatever inner layers answer in plain text, and
//! the access log when it is on), inside the body limit.
//!
//! The listener opens before the database: until the store is open and migrated the API
//! answers 503 with `Retry-After` and `/readyz` 503, while `/healthz` says the process is
//! alive. Once shutdown begins, new requests get 503 and `Connection: close` while those in
//! flight finish.

use crate::layer::RequestLayer;
use crate::metrics;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceBuilder;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;

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
    /// Whether every request is logged, not only those answered 5xx.
    pub access_log: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout: Duration::from_secs(30),
            metrics: true,
            access_log: false,
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
        .layer(RequestLayer {
            timeout: config.request_timeout,
            access_log: config.access_log,
        })
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
    let segments = api_path.split('/').count();
    routes
        .iter()
        .find(|(m, template, _)| {
            m == method
                && template.len() == segments
                && template
                    .iter()
                    .zip(api_path.split('/'))
                    .all(|(t, s)| t.as_deref().is_none_or(|t| t == s))
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
