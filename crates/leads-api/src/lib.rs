//! The server side of the Tiledesk leads API: typed models, parameters and responses, a
//! trait with one async method per operation, and an axum router that serves any
//! implementation of it.
//!
//! Everything except [`runtime`] is generated at build time from the OpenAPI document this
//! crate ships, `openapi/leads.yaml` (a copy of the repository's), so a change to the spec
//! is a compile error in every backend that no longer agrees with it. A committed copy of the generated code,
//! `generated.rs`, shows what it looks like.
//!
//! Implement [`LeadsApi`] and serve it:
//!
//! ```no_run
//! # async fn serve<B: leads_api::LeadsApi>(backend: B) -> std::io::Result<()> {
//! let app = axum::Router::new().nest("/v1", leads_api::router(std::sync::Arc::new(backend)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The router parses and checks each request (parameters, body, credentials) before it
//! calls the method. Every rejection is answered with the spec's error body,
//! `{"success": false, "msg": "..."}`: 400 for malformed input, 401 with `WWW-Authenticate`
//! for missing or bad credentials, 404 for an unknown path, 405 with `Allow` for an
//! undocumented method, 413 for a body over the limit.
#![deny(missing_docs)]

// Lets the generated code name the runtime by one absolute path, here and in other crates.
extern crate self as leads_api;

pub mod runtime;

/// The generated code.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/leads_api.rs"));
}

pub use generated::*;
