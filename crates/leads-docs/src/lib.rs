//! The published reference of the Tiledesk leads API, rendered by [Redoc] from the
//! OpenAPI document this crate ships, `openapi/leads.yaml`, and readable with the network
//! off.
//!
//! The same pages come in two shapes:
//!
//! * [`router`]: an axum router that serves them under `/docs`, to merge into a server;
//! * [`write_site`]: a static site in a folder (`cargo xtask docs` writes `target/docs/`).
//!
//! Redoc's standalone bundle is vendored in the crate (`assets/`, see the README), so
//! neither building nor serving needs node or the network. The spec is converted to JSON
//! at build time and embedded in the page, so nothing is fetched when the page opens.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let app: axum::Router = axum::Router::new().merge(leads_docs::router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! [Redoc]: https://github.com/Redocly/redoc
#![deny(missing_docs)]

mod offline;
mod pages;
mod patch;
mod serve;
mod site;

pub use offline::{remote_loads, RemoteLoad};
pub use pages::{CRATE_DOCS, REDOC_BUNDLE, REDOC_VERSION};
pub use patch::{offline_bundle, PatchError, OFFLINE_PATCHES};
pub use serve::router;
pub use site::{site_files, write_site, SiteFile, WriteError};

/// The OpenAPI document as written, `openapi/leads.yaml`.
pub const SPEC_YAML: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.yaml"));

/// The same document as JSON, keys in the YAML's order.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// Fields of the document's `info` object, extracted at build time.
pub mod info {
    include!(concat!(env!("OUT_DIR"), "/info.rs"));
}
