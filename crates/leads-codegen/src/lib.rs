//! Generators for the Tiledesk leads API.
//!
//! One hand-written OpenAPI 3.0 document is the source of truth. This crate turns it into
//! Rust: [`client::generate`] drives progenitor for the HTTP client, and the build scripts of
//! `leads-client` and `leads-api` call it so that a spec change is a compile error wherever
//! code no longer agrees.
#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod spec;

pub use error::CodegenError;
