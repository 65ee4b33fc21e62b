//! The trait backends implement: one async method per operation, plus `authenticate`.
//!
//! Signatures carry only the spec's types: the principal, the path, query and header
//! structs and the body, never `Method` or `HeaderMap`. Adding an operation to the spec adds a required
//! method, so every implementation is told by the compiler.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;

use super::headers_gen::header_struct_name;
use super::ir::{Api, Operation};
use super::names::{doc, ident};
use super::params_gen::{path_struct, query_struct};
use super::responses_gen::enum_name;

/// The trait.
pub fn tokens(api: &Api) -> TokenStream {
    let name = ident(super::TRAIT_NAME);
    let methods = api.operations.iter().map(method);
    let title = format!(
        " The operations of the {}, one method per `operationId`.",
        api.title
    );
    quote! {
        #[doc = #title]
        ///
        /// The router built by [`router`] parses and checks every request, authenticates it
        /// with [`authenticate`](Self::authenticate) when the spec says the operation is
        /// secured, and only then calls the method. A real backend and a test double
        /// implement the same trait; use it as a generic or as `Arc<dyn ...>`.
        #[::async_trait::async_trait]
        pub trait #name: ::std::marker::Send + ::std::marker::Sync + 'static {
            /// Who is calling, as [`authenticate`](Self::authenticate) resolves credentials.
            type Principal: ::std::marker::Send + ::std::marker::Sync + 'static;

            /// Resolves credentials to a principal. An error is answered with 401, the error
            /// body and `WWW-Authenticate`, before any operation method runs.
            async fn authenticate(
                &self,
                credentials: auth::Credentials,
            ) -> ::std::result::Result<Self::Principal, auth::Unauthenticated>;

            #(#methods)*
        }
    }
}

/// The method name of an operation: its `operationId` in snake_case.
pub fn method_name(operation: &Operation) -> proc_macro2::Ident {
    ident(&operation.id.to_snake_case())
}

fn method(operation: &Operation) -> TokenStream {
    let name = method_name(operation);
    let mut text = String::new();
    for part in [&operation.summary, &operation.description]
        .into_iter()
        .flatten()
    {
        let part = part.trim();
        if !part.is_empty() {
            text.push_str(part);
            text.push_str("\n\n");
        }
    }
    text.push_str(&format!(
        "`{} {}`",
        operation.method.to_uppercase(),
        operation.path
    ));
    let docs = doc(Some(&text));
    let arguments = arguments(operation);
    let response = enum_name(operation);
    quote! {
        #docs
        async fn #name(&self, #(#arguments),*) -> responses::#response;
    }
}

/// The method's arguments after `&self`: principal, path, query, headers, body, in this
/// order.
fn arguments(operation: &Operation) -> Vec<TokenStream> {
    let mut arguments = Vec::new();
    if !operation.security.is_empty() {
        arguments.push(quote!(principal: Self::Principal));
    }
    if let Some(path) = path_struct(operation) {
        arguments.push(quote!(path: params::#path));
    }
    if let Some(query) = query_struct(operation) {
        arguments.push(quote!(query: params::#query));
    }
    if let Some(headers) = header_struct_name(operation) {
        arguments.push(quote!(headers: params::#headers));
    }
    if let Some(body) = &operation.body {
        let ty = &body.ty;
        arguments.push(if body.required {
            quote!(body: #ty)
        } else {
            quote!(body: ::std::option::Option<#ty>)
        });
    }
    arguments
}
