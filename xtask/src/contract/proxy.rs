//! A recording proxy between the generated client and the server under test.
//!
//! The client deserialises what it receives, so its results cannot show the raw bytes the
//! server sent. Every request goes through this proxy instead, which forwards it, keeps a
//! copy of the response, and hands the response back unchanged, or changed by a
//! [`Mutation`] when the checks themselves are being tested against a broken server.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;

/// One request and the response to it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request method.
    pub method: Method,
    /// The path below the base URL, with the query.
    pub path_and_query: String,
    /// The response status.
    pub status: u16,
    /// The response's `content-type`.
    pub content_type: Option<String>,
    /// The response's `www-authenticate`.
    pub www_authenticate: Option<String>,
    /// The response body.
    pub body: Bytes,
}

/// Rewrites a response before the client sees it: a seeded fault of the server.
pub type Mutation = Arc<dyn Fn(&Method, &str, &mut Exchange) + Send + Sync>;

/// Rewrites a request's method and path (with its query) before it is forwarded: a seeded
/// fault of the server that does something other than what was asked, e.g. a write that
/// stores nothing.
pub type Rewrite = Arc<dyn Fn(&mut Method, &mut String) + Send + Sync>;

/// A seeded fault: a rewrite of the request, of the response, or both.
#[derive(Clone, Default)]
pub struct Fault {
    /// Applied to the request before it is forwarded.
    pub request: Option<Rewrite>,
    /// Applied to the response before the client sees it.
    pub response: Option<Mutation>,
}

impl From<Mutation> for Fault {
    fn from(response: Mutation) -> Self {
        Self {
            request: None,
            response: Some(response),
        }
    }
}

/// A running proxy.
#[derive(Clone)]
pub struct Proxy {
    /// The proxy's base URL: the client talks to this.
    pub base_url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1:0 in front of `upstream`, e.g. `http://127.0.0.1:3000/v1`.
    pub async fn start(upstream: &str, mutation: Option<Mutation>) -> std::io::Result<Self> {
        Self::start_with(upstream, mutation.map(Fault::from).unwrap_or_default()).await
    }

    /// Starts a proxy like [`Proxy::start`], with a fault on either side.
    pub async fn start_with(upstream: &str, fault: Fault) -> std::io::Result<Self> {
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(std::io::Error::other)?;
        let state = Forward {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http,
            exchanges: exchanges.clone(),
            fault,
        };
        let app = axum::Router::new()
            .fallback(move |method, uri, headers, body| {
                let state = state.clone();
                async move { state.forward(method, uri, headers, body).await }
            })
            // The proxy must pass oversized bodies through: the server decides on 413.
            .layer(axum::extract::DefaultBodyLimit::disable());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            base_url: format!("http://{address}"),
            exchanges,
        })
    }

    /// Takes the exchanges recorded since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[derive(Clone)]
struct Forward {
    upstream: String,
    http: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    fault: Fault,
}

impl Forward {
    async fn forward(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let mut path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let mut method = method;
        if let Some(rewrite) = &self.fault.request {
            rewrite(&mut method, &mut path_and_query);
        }
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path_and_query}", self.upstream))
            .body(body);
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        let mut exchange = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let content_type = header("content-type");
                let www_authenticate = header("www-authenticate");
                let body = response.bytes().await.unwrap_or_default();
                Exchange {
                    method: method.clone(),
                    path_and_query: path_and_query.clone(),
                    status,
                    content_type,
                    www_authenticate,
                    body,
                }
            }
            Err(e) => Exchange {
                method: method.clone(),
                path_and_query: path_and_query.clone(),
                status: 599,
                content_type: Some("text/plain".to_owned()),
                www_authenticate: None,
                body: Bytes::from(format!("the server did not answer: {e}")),
            },
        };
        if let Some(mutation) = &self.fault.response {
            mutation(&method, &path_and_query, &mut exchange);
        }
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(exchange.clone());
        let mut response = Response::new(Body::from(exchange.body));
        *response.status_mut() =
            StatusCode::from_u16(exchange.status).unwrap_or(StatusCode::BAD_GATEWAY);
        for (name, value) in [
            ("content-type", exchange.content_type),
            ("www-authenticate", exchange.www_authenticate),
        ] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}
