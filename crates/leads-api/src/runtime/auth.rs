//! Reading the `Authorization` header.
//!
//! The generated `auth::Credentials::from_authorization` matches the scheme word; these
//! helpers decode what follows it. Every failure is an [`Unauthenticated`], answered 401.

use std::borrow::Cow;

use axum::http::{header, HeaderMap};
use base64::Engine as _;

/// Why a request is not authenticated; answered with 401 and the message as `msg`.
///
/// Say what is wrong without revealing which accounts exist: a wrong password and an
/// unknown user should get the same message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unauthenticated {
    message: Cow<'static, str>,
}

impl Unauthenticated {
    /// An authentication failure with a message for the caller.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message sent as the error body's `msg`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Default for Unauthenticated {
    /// `authentication required`: no credentials were sent.
    fn default() -> Self {
        Self::new("authentication required")
    }
}

/// The `Authorization` header's value, which must be present and visible ASCII.
pub fn header(headers: &HeaderMap) -> Result<&str, Unauthenticated> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(Unauthenticated::default)?;
    value
        .to_str()
        .map_err(|_| Unauthenticated::new("the Authorization header is not visible ASCII text"))
}

/// Splits `<scheme> <credentials>` at the first space.
pub fn split(value: &str) -> Result<(&str, &str), Unauthenticated> {
    value
        .trim()
        .split_once(' ')
        .map(|(word, rest)| (word, rest.trim()))
        .filter(|(word, rest)| !word.is_empty() && !rest.is_empty())
        .ok_or_else(|| {
            Unauthenticated::new(
                "malformed Authorization header: expected `<scheme> <credentials>`",
            )
        })
}

/// Decodes `base64(username:password)`.
pub fn basic(encoded: &str) -> Result<(String, String), Unauthenticated> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| Unauthenticated::new("malformed Basic credentials: not base64"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Unauthenticated::new("malformed Basic credentials: not UTF-8"))?;
    let (username, password) = text.split_once(':').ok_or_else(|| {
        Unauthenticated::new("malformed Basic credentials: no `:` between user name and password")
    })?;
    Ok((username.to_owned(), password.to_owned()))
}

/// A token: one word, no spaces.
pub fn token(token: &str) -> Result<String, Unauthenticated> {
    // Bytes first: a header value is ASCII, and this runs on every request.
    let whitespace = |b: &u8| matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ');
    if token.is_empty()
        || token.bytes().any(|b| whitespace(&b))
        || (!token.is_ascii() && token.contains(char::is_whitespace))
    {
        return Err(Unauthenticated::new("malformed token: expected one word"));
    }
    Ok(token.to_owned())
}

/// The scheme word is not one the operation accepts.
pub fn unknown_scheme() -> Unauthenticated {
    Unauthenticated::new("unsupported authorization scheme")
}
