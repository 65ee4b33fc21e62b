//! Path, query and header parameters, parsed with the same form deserialiser so that all
//! report errors the same way: `invalid value for query parameter `limit`: must be at most
//! 100`.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::Rejection;

/// Deserialises form-encoded pairs into `T`, naming the parameter `what` in errors.
fn parse<T: DeserializeOwned>(encoded: &str, what: &str) -> Result<T, Rejection> {
    let deserializer = serde_html_form::Deserializer::from_bytes(encoded.as_bytes());
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            Rejection::bad_request(format!("invalid {what} parameters: {inner}"))
        } else {
            Rejection::bad_request(format!(
                "invalid value for {what} parameter `{path}`: {inner}"
            ))
        }
    })
}

/// The query parameters of a request.
pub fn query<T: DeserializeOwned>(parts: &Parts) -> Result<T, Rejection> {
    parse(parts.uri.query().unwrap_or_default(), "query")
}

/// Refuses any query parameter, for operations that document none.
pub fn no_query(parts: &Parts) -> Result<(), Rejection> {
    let query = parts.uri.query().unwrap_or_default();
    match form_urlencoded::parse(query.as_bytes()).next() {
        Some((name, _)) => Err(Rejection::bad_request(format!(
            "unknown query parameter `{name}`"
        ))),
        None => Ok(()),
    }
}

/// The path parameters of a request, percent-decoded.
pub async fn path_params<T: DeserializeOwned>(parts: &mut Parts) -> Result<T, Rejection> {
    let raw = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| Rejection::bad_request("the path is not valid percent-encoded UTF-8"))?;
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(raw.iter())
        .finish();
    parse(&encoded, "path")
}

/// The header parameters of a request: the headers named in `names` (as the spec writes
/// them; matched case-insensitively), each at most once and in visible ASCII.
pub fn headers<T: DeserializeOwned>(parts: &Parts, names: &[&str]) -> Result<T, Rejection> {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for name in names {
        let mut values = parts.headers.get_all(*name).iter();
        let Some(value) = values.next() else {
            continue;
        };
        if values.next().is_some() {
            return Err(Rejection::bad_request(format!(
                "the header `{name}` is given more than once"
            )));
        }
        let value = value.to_str().map_err(|_| {
            Rejection::bad_request(format!(
                "invalid value for header parameter `{name}`: must be visible ASCII"
            ))
        })?;
        encoded.append_pair(name, value);
    }
    parse(&encoded.finish(), "header")
}
