//! The hand-written support the generated router calls: rejections, credential decoding,
//! parameter and body parsing, and streamed bodies.
//!
//! Implementers meet only [`ByteStream`] (the body of streamed responses) and
//! [`Unauthenticated`] (re-exported as `auth::Unauthenticated`); the rest is the generated
//! code's plumbing, public because generated code for other specs calls it too.

pub mod auth;
mod body;
mod fields;
pub mod params;
mod rejection;
mod request;
mod response;
mod schemas;

use std::sync::Arc;

pub use auth::Unauthenticated;
pub use body::{json_body, optional_json_body, MAX_JSON_DEPTH};
pub use fields::{not_null, ThreeState};
pub use rejection::Rejection;
pub use request::{headers, no_query, path_params, query};
pub use response::{json, stream, ByteStream};
pub use schemas::BodySchemas;

/// The default request body limit, 1 MiB, as the spec documents for 413.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The router's state: the backend and the body limit.
pub struct AppState<A: ?Sized> {
    /// The backend.
    pub api: Arc<A>,
    /// The largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl<A: ?Sized> AppState<A> {
    /// Wraps a backend.
    pub fn new(api: Arc<A>, body_limit: usize) -> Self {
        Self { api, body_limit }
    }
}

// Not derived: the derive would demand `A: Clone`, which a shared backend need not be.
impl<A: ?Sized> Clone for AppState<A> {
    fn clone(&self) -> Self {
        Self {
            api: Arc::clone(&self.api),
            body_limit: self.body_limit,
        }
    }
}
