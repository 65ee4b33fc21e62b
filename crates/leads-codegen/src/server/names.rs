//! Names: identifiers, reason phrases, JSON pointers and doc attributes.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// An identifier; raw if it is a Rust keyword.
pub fn ident(name: &str) -> Ident {
    if syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, Span::call_site())
    } else {
        Ident::new_raw(name, Span::call_site())
    }
}

/// A `snake_case` identifier for a spec name.
pub fn snake(name: &str) -> Ident {
    ident(&name.to_snake_case())
}

/// An `UpperCamelCase` identifier for a spec name.
pub fn camel(name: &str) -> Ident {
    ident(&name.to_upper_camel_case())
}

/// The `UpperCamelCase` reason phrase of a status, used as a response variant name.
pub fn reason_variant(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        204 => "NoContent",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return None,
    })
}

/// One JSON pointer segment, escaped (`~` → `~0`, `/` → `~1`).
pub fn escape(segment: &str) -> String {
    crate::lint::escape(segment)
}

/// `#[doc = "..."]` attributes for some text, one per paragraph line, or nothing.
pub fn doc(text: Option<&str>) -> TokenStream {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return TokenStream::new();
    };
    let lines = text.lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}
