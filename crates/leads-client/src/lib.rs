//! A typed async client for the Tiledesk leads REST API.
//!
//! The client is generated at build time by [progenitor] from the OpenAPI document this
//! crate ships, `openapi/leads.yaml`, so every operation, parameter and model follows the
//! published contract. Each operation is a builder: set its parameters, then `send()`.
//!
//! Construct a client with the credentials it sends on every request:
//! [`Client::with_basic_auth`] (email and password) or [`Client::with_jwt`] (a token from
//! `signin`). [`ClientBuilder`] adds a timeout, a [`RetryPolicy`] or a custom `reqwest`
//! client.
//!
//! # Retries
//!
//! Transient failures are retried by default, with bounded exponential backoff and jitter:
//! a `503` (the server is overloaded, timed out or shutting down; its `Retry-After` is
//! honoured) and a connection that failed before an answer. Only `GET`, `PUT` and `DELETE`
//! are retried, unless [`RetryPolicy::retry_posts`] opts in; then every `POST` carries an
//! `Idempotency-Key`, the same on every attempt, so a retried `createLead` creates one
//! lead. [`ClientBuilder::retry`] configures it, [`RetryPolicy::none`] turns it off.
//!
//! # Example: every lead of a project
//!
//! `listLeads` answers one page and, when more follow, a `next` cursor that continues
//! the same list. [`builder::ListLeads::stream`] follows the cursors for you:
//!
//! ```no_run
//! use futures::TryStreamExt as _;
//! use leads_client::Client;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::with_basic_auth("http://localhost:3000/v1", "andrea.leo@f21.it", "123456")?;
//! let mut leads = client
//!     .list_leads()
//!     .project_id("5b55e806c93dde00143163dd")
//!     .full_text("andrea")
//!     .limit(std::num::NonZeroU32::new(100).expect("100 is not zero"))
//!     .stream();
//! while let Some(lead) = leads.try_next().await? {
//!     println!("{} {}", &*lead.id, lead.fullname.as_deref().unwrap_or("-"));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Page numbers (`.page(n)`) still work, but the server skips every earlier page to
//! answer one, so deep pages cost more; a cursor costs what the first page costs.
//!
//! A documented error (400, 401, 403, 404, 409, 413, 500, 503) arrives as
//! [`Error::ErrorResponse`] carrying the spec's [`types::Error`] body, whose `msg` says what
//! went wrong.
//!
//! [progenitor]: https://github.com/oxidecomputer/progenitor
#![deny(missing_docs)]

mod auth;
pub mod csv;
mod hooks;
mod retry;
mod stream;
mod validate;

/// The generated client, its operation builders and the `types` module.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/leads_client.rs"));
}

pub use auth::{Auth, BuildError, ClientBuilder};
pub use generated::*;
pub use retry::RetryPolicy;

impl Client {
    /// A client that signs every request with HTTP Basic: the user's email and password.
    pub fn with_basic_auth(
        base_url: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, BuildError> {
        ClientBuilder::new(base_url)
            .auth(Auth::basic(email, password))
            .build()
    }

    /// A client that sends `Authorization: JWT <token>` on every request.
    ///
    /// `token` may be the bare token or `signin`'s `JWT <token>` as it is.
    pub fn with_jwt(base_url: &str, token: &str) -> Result<Self, BuildError> {
        ClientBuilder::new(base_url).auth(Auth::jwt(token)).build()
    }

    /// A client without credentials (only `signin` succeeds), with the defaults of
    /// [`ClientBuilder`]: its timeouts, `User-Agent` and [`RetryPolicy`].
    ///
    /// # Panics
    ///
    /// When the HTTP client cannot be built at all (its TLS backend fails to load), as the
    /// generated `Client::new` would.
    pub fn anonymous(base_url: &str) -> Self {
        ClientBuilder::new(base_url)
            .build()
            .expect("a client without credentials has no header that can fail")
    }
}
