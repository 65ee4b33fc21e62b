//! Credentials, and the builder that bakes them into every request.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::{Client, RetryPolicy};

/// The credentials a [`Client`] sends in the `Authorization` header of every request.
///
/// `Debug` never prints a password or a token.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic with the user's email and password.
    Basic {
        /// The user's email.
        email: String,
        /// The user's password.
        password: String,
    },
    /// Tiledesk's `JWT <token>` scheme.
    Jwt(String),
    /// The same token under the `Bearer` scheme.
    Bearer(String),
}

impl Auth {
    /// HTTP Basic credentials.
    pub fn basic(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            email: email.into(),
            password: password.into(),
        }
    }

    /// A token for the `JWT` scheme; a leading `JWT ` (as `signin` returns it) is dropped.
    pub fn jwt(token: &str) -> Self {
        Self::Jwt(strip_scheme(token).to_owned())
    }

    /// A token for the `Bearer` scheme; a leading `JWT ` or `Bearer ` is dropped.
    pub fn bearer(token: &str) -> Self {
        Self::Bearer(strip_scheme(token).to_owned())
    }

    /// The `Authorization` header value, marked sensitive so that it is never logged.
    pub fn header_value(&self) -> Result<HeaderValue, BuildError> {
        let text = match self {
            Self::Basic { email, password } => {
                let pair = format!("{email}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            Self::Jwt(token) => format!("JWT {token}"),
            Self::Bearer(token) => format!("Bearer {token}"),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| BuildError::InvalidCredentials)?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { email, .. } => f
                .debug_struct("Basic")
                .field("email", email)
                .field("password", &"<redacted>")
                .finish(),
            Self::Jwt(_) => f.write_str("Jwt(<redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

fn strip_scheme(token: &str) -> &str {
    let token = token.trim();
    for scheme in ["JWT ", "Bearer "] {
        if token.len() > scheme.len() && token[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return token[scheme.len()..].trim_start();
        }
    }
    token
}

/// Why a [`Client`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The credentials contain characters that cannot go into an HTTP header.
    #[error("the credentials contain characters that cannot be sent in an HTTP header")]
    InvalidCredentials,
    /// reqwest could not build its HTTP client, e.g. no TLS backend could start.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Builds a [`Client`]: base URL, credentials, timeouts, or a `reqwest` client of your own.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    auth: Option<Auth>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// Starts a builder for the API at `base_url`, e.g. `https://api.tiledesk.com/v1`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            auth: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(15),
            user_agent: concat!("leads-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
        }
    }

    /// How transient failures are retried; [`RetryPolicy::default`] unless set, and
    /// [`RetryPolicy::none`] turns retries off.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Credentials to send with every request. Without them only `signin` succeeds.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// How long a whole request may take, body included. Defaults to 60 seconds; raise it
    /// for large CSV exports.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long connecting may take. Defaults to 15 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header. Defaults to `leads-client/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let mut headers = HeaderMap::new();
        if let Some(auth) = &self.auth {
            headers.insert(AUTHORIZATION, auth.header_value()?);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(self.user_agent)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()?;
        Ok(Client::new_with_client(&self.base_url, http, self.retry))
    }

    /// Builds the client on a `reqwest` client of your own. The credentials are not added:
    /// set them as default headers of `http` (see [`Auth::header_value`]).
    pub fn build_with(self, http: reqwest::Client) -> Client {
        Client::new_with_client(&self.base_url, http, self.retry)
    }
}
