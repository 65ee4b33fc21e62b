//! JSON request bodies: content type, size limit, UTF-8, nesting depth, the operation's
//! schema, then the model.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, request::Parts};
use bytes::Bytes;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use jsonschema::Validator;
use serde::de::DeserializeOwned;

use super::Rejection;

/// How deeply JSON arrays and objects may nest in a request body. Deeper bodies are
/// refused before they are parsed, so that no input can exhaust the stack.
pub const MAX_JSON_DEPTH: usize = 64;

/// A body declared larger than the limit, up to this size, is read and discarded before
/// the 413: a client still sending it then reads the answer, where an early answer would
/// meet a reset connection.
pub const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// The longest time spent discarding an oversized body.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// A required JSON body, checked against `schema` (the operation's, from the spec).
pub async fn json_body<T: DeserializeOwned>(
    parts: &Parts,
    body: Body,
    limit: usize,
    schema: Option<&Validator>,
) -> Result<T, Rejection> {
    check_content_type(parts)?;
    let bytes = read(parts, body, limit).await?;
    if bytes.is_empty() {
        return Err(Rejection::bad_request("a JSON request body is required"));
    }
    parse(&bytes, schema)
}

/// An optional JSON body: an empty body is `None`.
pub async fn optional_json_body<T: DeserializeOwned>(
    parts: &Parts,
    body: Body,
    limit: usize,
    schema: Option<&Validator>,
) -> Result<Option<T>, Rejection> {
    let bytes = read(parts, body, limit).await?;
    if bytes.is_empty() {
        return Ok(None);
    }
    check_content_type(parts)?;
    parse(&bytes, schema).map(Some)
}

fn check_content_type(parts: &Parts) -> Result<(), Rejection> {
    let essence = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(Rejection::bad_request(
            "the request body must be JSON, sent with `Content-Type: application/json`",
        )),
    }
}

async fn read(parts: &Parts, body: Body, limit: usize) -> Result<Bytes, Rejection> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        if length <= DRAIN_LIMIT {
            drain(body).await;
        }
        return Err(Rejection::payload_too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(Rejection::payload_too_large(limit)),
        Err(_) => Err(Rejection::bad_request("the request body could not be read")),
    }
}

/// Reads and drops `body`, at most [`DRAIN_LIMIT`] bytes and for at most [`DRAIN_TIME`].
async fn drain(mut body: Body) {
    let discard = async {
        let mut read = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |data| data.len() as u64);
            if read > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

fn parse<T: DeserializeOwned>(bytes: &[u8], schema: Option<&Validator>) -> Result<T, Rejection> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(Rejection::bad_request(
            "the request body is not valid UTF-8",
        ));
    }
    if depth(bytes) > MAX_JSON_DEPTH {
        return Err(Rejection::bad_request(format!(
            "the request body nests arrays and objects more than {MAX_JSON_DEPTH} deep"
        )));
    }
    let Some(schema) = schema else {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
        deserializer
            .end()
            .map_err(|error| Rejection::bad_request(format!("invalid JSON body: {error}")))?;
        return Ok(value);
    };
    let document: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| Rejection::bad_request(format!("invalid JSON body: {error}")))?;
    // The model's own message first (it names the field as the caller wrote it); the
    // schema then refuses what serde would let through.
    let value = serde_path_to_error::deserialize(&document).map_err(body_error)?;
    if let Some(problem) = super::schemas::first_problem(schema, &document) {
        return Err(Rejection::bad_request(problem));
    }
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> Rejection {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if path == "." {
        Rejection::bad_request(format!("invalid JSON body: {inner}"))
    } else {
        Rejection::bad_request(format!("invalid JSON body at `{path}`: {inner}"))
    }
}

/// The deepest nesting of arrays and objects in a JSON text, ignoring brackets in strings.
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::depth;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(depth(br#"{"a": "[[[{{{\"[", "b": [1, [2]]}"#), 3);
        assert_eq!(depth(b"42"), 0);
        assert_eq!(depth("[".repeat(100).as_bytes()), 100);
    }
}
