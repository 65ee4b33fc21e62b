//! Following `$ref`s to `components`, keeping the pointer of what was found for errors.

use openapiv3::{Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response};

use super::names::escape;
use crate::CodegenError;

/// Something found in the spec, with the JSON pointer where it is written.
pub struct Found<'a, T> {
    /// The item.
    pub item: &'a T,
    /// Its JSON pointer.
    pub at: String,
}

/// Follows `reference` (found at `at`) to `components/<section>`; `lookup` reads one entry.
fn follow<'a, T>(
    reference: &'a ReferenceOr<T>,
    at: &str,
    section: &str,
    lookup: impl Fn(&'a Components, &str) -> Option<&'a ReferenceOr<T>>,
    spec: &'a OpenAPI,
) -> Result<Found<'a, T>, CodegenError> {
    let target = match reference {
        ReferenceOr::Item(item) => {
            return Ok(Found {
                item,
                at: at.to_owned(),
            })
        }
        ReferenceOr::Reference { reference } => reference,
    };
    let prefix = format!("#/components/{section}/");
    let missing = || CodegenError::Unsupported {
        location: format!("{at}/$ref"),
        message: format!("`{target}` does not point at an entry of `{prefix}`"),
    };
    let name = target.strip_prefix(&prefix).ok_or_else(missing)?;
    match spec.components.as_ref().and_then(|c| lookup(c, name)) {
        Some(ReferenceOr::Item(item)) => Ok(Found {
            item,
            at: format!("{prefix}{}", escape(name)),
        }),
        Some(ReferenceOr::Reference { .. }) => Err(CodegenError::Unsupported {
            location: format!("{prefix}{}", escape(name)),
            message: "a component that is itself a `$ref` is not supported".to_owned(),
        }),
        None => Err(missing()),
    }
}

/// Resolves a parameter.
pub fn parameter<'a>(
    spec: &'a OpenAPI,
    reference: &'a ReferenceOr<Parameter>,
    at: &str,
) -> Result<Found<'a, Parameter>, CodegenError> {
    follow(
        reference,
        at,
        "parameters",
        |c, n| c.parameters.get(n),
        spec,
    )
}

/// Resolves a request body.
pub fn request_body<'a>(
    spec: &'a OpenAPI,
    reference: &'a ReferenceOr<RequestBody>,
    at: &str,
) -> Result<Found<'a, RequestBody>, CodegenError> {
    follow(
        reference,
        at,
        "requestBodies",
        |c, n| c.request_bodies.get(n),
        spec,
    )
}

/// Resolves a response.
pub fn response<'a>(
    spec: &'a OpenAPI,
    reference: &'a ReferenceOr<Response>,
    at: &str,
) -> Result<Found<'a, Response>, CodegenError> {
    follow(reference, at, "responses", |c, n| c.responses.get(n), spec)
}
