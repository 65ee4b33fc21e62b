//! The `responses` module: per operation, an enum with one variant per documented status,
//! named after its reason phrase (`Ok`, `NotFound`, ...), and its `IntoResponse`.

use std::collections::BTreeMap;

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ir::{Api, Content, Operation, Reply};
use super::names::{camel, doc, ident};

/// The `responses` module.
pub fn tokens(api: &Api) -> TokenStream {
    let runtime = super::runtime();
    let mut streams = BTreeMap::new();
    let enums: Vec<TokenStream> = api
        .operations
        .iter()
        .map(|operation| {
            for reply in &operation.responses {
                if let Content::Stream {
                    alias,
                    content_type,
                } = &reply.content
                {
                    streams.insert(alias.clone(), content_type.clone());
                }
            }
            response_enum(operation)
        })
        .collect();
    let aliases = streams.iter().map(|(alias, content_type)| {
        let alias = ident(alias);
        let doc = format!(" A `{content_type}` body, streamed in chunks.");
        quote! {
            #[doc = #doc]
            pub type #alias = #runtime::ByteStream;
        }
    });
    quote! {
        /// What each operation answers: one enum per operation, one variant per documented
        /// status. Returning a variant sends its status, body and headers.
        pub mod responses {
            use super::types;
            #(#aliases)*
            #(#enums)*
        }
    }
}

/// The name of an operation's response enum, e.g. `GetLead`.
pub fn enum_name(operation: &Operation) -> proc_macro2::Ident {
    camel(&operation.id)
}

fn response_enum(operation: &Operation) -> TokenStream {
    let name = enum_name(operation);
    let runtime = super::runtime();
    let summary = format!(" The responses of `{}`.", operation.id);
    let variants = operation.responses.iter().map(|reply| {
        let variant = format_ident!("{}", reply.variant);
        let text = format!("{}: {}", reply.status, reply.description.trim());
        let doc = doc(Some(&text));
        match payload(reply) {
            Some(payload) => quote!(#doc #variant(#payload)),
            None => quote!(#doc #variant),
        }
    });
    let arms = operation.responses.iter().map(|reply| {
        let variant = format_ident!("{}", reply.variant);
        let status = status_const(reply);
        let (pattern, response) = match &reply.content {
            Content::Empty => (
                quote!(Self::#variant),
                quote!(::axum::response::IntoResponse::into_response(#status)),
            ),
            Content::Json(_) => (
                quote!(Self::#variant(body)),
                quote!(#runtime::json(#status, &body).unwrap_or_else(super::reject)),
            ),
            Content::Stream { content_type, .. } => (
                quote!(Self::#variant(body)),
                quote!(#runtime::stream(#status, #content_type, body)),
            ),
        };
        let response = if reply.www_authenticate {
            quote!(super::challenge(#response))
        } else {
            response
        };
        quote!(#pattern => #response)
    });
    quote! {
        #[doc = #summary]
        #[derive(Debug)]
        #[allow(
            clippy::large_enum_variant,
            reason = "built once per request and moved into the response; boxing would only add an allocation"
        )]
        pub enum #name {
            #(#variants),*
        }

        impl ::axum::response::IntoResponse for #name {
            fn into_response(self) -> ::axum::response::Response {
                match self {
                    #(#arms),*
                }
            }
        }
    }
}

fn payload(reply: &Reply) -> Option<TokenStream> {
    match &reply.content {
        Content::Empty => None,
        Content::Json(ty) => Some(ty.clone()),
        Content::Stream { alias, .. } => {
            let alias = ident(alias);
            Some(quote!(#alias))
        }
    }
}

/// The `StatusCode` constant of a reply, e.g. `StatusCode::NOT_FOUND`: the variant name in
/// SCREAMING_SNAKE_CASE, as both follow the reason phrase.
pub fn status_const(reply: &Reply) -> TokenStream {
    let name = format_ident!("{}", reply.variant.to_shouty_snake_case());
    quote!(::axum::http::StatusCode::#name)
}
