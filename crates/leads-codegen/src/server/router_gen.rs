//! The router: every path and method of the spec, each request parsed, checked and
//! authenticated before the trait method runs, every rejection answered with the error body.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::headers_gen::{header_names, header_struct_name};
use super::ir::{Api, Operation};
use super::names::ident;
use super::params_gen::{path_struct, query_struct};
use super::trait_gen::method_name;

/// The `router` functions and their private handlers; `request_schemas` is the document
/// of `crate::requests`, whose body schemas the handlers check bodies against.
pub fn tokens(api: &Api, request_schemas: &str) -> Result<TokenStream, crate::CodegenError> {
    let runtime = super::runtime();
    let api_trait = ident(super::TRAIT_NAME);
    let error = &api.error_type;
    let mut paths: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for operation in &api.operations {
        paths.entry(&operation.path).or_default().push(operation);
    }
    let routes = paths.iter().map(|(path, operations)| {
        let methods = operations.iter().map(|operation| {
            let method = format_ident!("{}", operation.method);
            let handler = method_name(operation);
            quote!(#method(handlers::#handler::<A>))
        });
        let allow = operations
            .iter()
            .map(|op| op.method.to_uppercase())
            .collect::<Vec<_>>()
            .join(", ");
        quote! {
            .route(
                #path,
                ::axum::routing::MethodRouter::new()
                    #(.merge(::axum::routing::#methods))*
                    .fallback(|| async { reject(#runtime::Rejection::method_not_allowed(#allow)) }),
            )
        }
    });
    let handlers = api
        .operations
        .iter()
        .map(|operation| handler(api, operation));
    let authenticate = api
        .operations
        .iter()
        .any(|op| !op.security.is_empty())
        .then(|| {
            quote! {
            /// Reads the credentials of a request and resolves them to a principal.
            async fn authenticate<A: #api_trait + ?Sized>(
                api: &A,
                headers: &::axum::http::HeaderMap,
                accepted: fn(&auth::Credentials) -> bool,
            ) -> ::std::result::Result<A::Principal, #runtime::Rejection> {
                let value = #runtime::auth::header(headers)?;
                let credentials = auth::Credentials::from_authorization(value)?;
                if !accepted(&credentials) {
                    return Err(#runtime::auth::unknown_scheme().into());
                }
                Ok(api.authenticate(credentials).await?)
            }

            }
        });
    let body_limit_doc = " Serves the API, like [`router`], with a request body limit of `body_limit` bytes; a larger body is answered with 413.";
    let body_schemas = api
        .operations
        .iter()
        .any(|op| op.body.is_some())
        .then(|| body_schemas(request_schemas))
        .transpose()?;
    Ok(quote! {
        /// Serves every operation of the spec at its path, with the default request body
        /// limit of the runtime's `DEFAULT_BODY_LIMIT`, 1 MiB.
        ///
        /// Paths are those of the spec's `paths`; nest the router to serve
        /// them under a base path such as `/v1`. A method the spec does not document is
        /// answered with 405 and `Allow`, an unknown path with 404, both with the error body.
        pub fn router<A: #api_trait + ?Sized>(api: ::std::sync::Arc<A>) -> ::axum::Router {
            router_with_body_limit(api, #runtime::DEFAULT_BODY_LIMIT)
        }

        #[doc = #body_limit_doc]
        pub fn router_with_body_limit<A: #api_trait + ?Sized>(
            api: ::std::sync::Arc<A>,
            body_limit: usize,
        ) -> ::axum::Router {
            ::axum::Router::new()
                #(#routes)*
                .fallback(|| async { reject(#runtime::Rejection::not_found()) })
                .with_state(#runtime::AppState::new(api, body_limit))
        }

        /// Answers a rejection with the error body, and its challenge or `Allow` header.
        fn reject(rejection: #runtime::Rejection) -> ::axum::response::Response {
            let status = rejection.status();
            let body = ::axum::Json(#error::new(rejection.message()));
            let response = ::axum::response::IntoResponse::into_response((status, body));
            let response = rejection.add_headers(response);
            if status == ::axum::http::StatusCode::UNAUTHORIZED {
                challenge(response)
            } else {
                response
            }
        }

        /// Adds the `WWW-Authenticate` challenge of every security scheme.
        fn challenge(mut response: ::axum::response::Response) -> ::axum::response::Response {
            response.headers_mut().insert(
                ::axum::http::header::WWW_AUTHENTICATE,
                ::axum::http::HeaderValue::from_static(auth::WWW_AUTHENTICATE),
            );
            response
        }

        /// One handler per operation: parse, check, authenticate, call, answer.
        mod handlers {
            use super::#api_trait;
            use ::axum::response::IntoResponse as _;

            #(#handlers)*
        }

        #authenticate

        #body_schemas
    })
}

/// The request schemas as a raw string literal, compiled once, on first use.
fn body_schemas(document: &str) -> Result<TokenStream, crate::CodegenError> {
    let runtime = super::runtime();
    // A raw string needs more `#` than any `"#…` run inside it.
    let hashes = "#".repeat(
        (1..)
            .find(|n| !document.contains(&format!("\"{}", "#".repeat(*n))))
            .unwrap_or(1),
    );
    let literal: syn::LitStr = syn::parse_str(&format!("r{hashes}\"{document}\"{hashes}"))?;
    Ok(quote! {
        /// The JSON Schemas of the request bodies, from the spec: each body is checked
        /// against its operation's before it is read into its model.
        static BODY_SCHEMAS: ::std::sync::LazyLock<#runtime::BodySchemas> =
            ::std::sync::LazyLock::new(|| #runtime::BodySchemas::new(REQUEST_SCHEMAS));

        /// The document `BODY_SCHEMAS` compiles.
        const REQUEST_SCHEMAS: &str = #literal;
    })
}

fn handler(api: &Api, operation: &Operation) -> TokenStream {
    let runtime = super::runtime();
    let api_trait = ident(super::TRAIT_NAME);
    let name = method_name(operation);
    let mut steps = Vec::new();
    let mut arguments = Vec::new();
    let parts = if operation.path_params.is_empty() {
        quote!(parts)
    } else {
        quote!(mut parts)
    };
    let body_binding = if operation.body.is_some() {
        quote!(body)
    } else {
        quote!(_)
    };
    steps.push(quote!(let (#parts, #body_binding) = request.into_parts();));
    if !operation.security.is_empty() {
        let accepted = if operation.security.len() == api.schemes.len() {
            quote!(|_| true)
        } else {
            let variants = operation.security.iter().map(|&index| {
                let variant = ident(&api.schemes[index].variant);
                quote!(super::auth::Credentials::#variant { .. })
            });
            quote!(|credentials| matches!(credentials, #(#variants)|*))
        };
        steps.push(quote! {
            let principal = super::authenticate(&*state.api, &parts.headers, #accepted).await?;
        });
        arguments.push(quote!(principal));
    }
    if let Some(path) = path_struct(operation) {
        steps.push(quote! {
            let path: super::params::#path = #runtime::path_params(&mut parts).await?;
        });
        arguments.push(quote!(path));
    }
    match query_struct(operation) {
        Some(query) => {
            steps.push(quote! {
                let query: super::params::#query = #runtime::query(&parts)?;
            });
            arguments.push(quote!(query));
        }
        None => steps.push(quote!(#runtime::no_query(&parts)?;)),
    }
    if let Some(headers) = header_struct_name(operation) {
        let names = header_names(operation);
        steps.push(quote! {
            let headers: super::params::#headers = #runtime::headers(&parts, #names)?;
        });
        arguments.push(quote!(headers));
    }
    let key = name.to_string();
    match &operation.body {
        Some(body) if body.required => {
            steps.push(quote! {
                let body = #runtime::json_body(&parts, body, state.body_limit, super::BODY_SCHEMAS.get(#key)).await?;
            });
            arguments.push(quote!(body));
        }
        Some(_) => {
            steps.push(quote! {
                let body = #runtime::optional_json_body(&parts, body, state.body_limit, super::BODY_SCHEMAS.get(#key)).await?;
            });
            arguments.push(quote!(body));
        }
        None => {}
    }
    let doc = format!(" `{} {}`", operation.method.to_uppercase(), operation.path);
    quote! {
        #[doc = #doc]
        pub(super) async fn #name<A: #api_trait + ?Sized>(
            ::axum::extract::State(state): ::axum::extract::State<#runtime::AppState<A>>,
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response {
            let run = async {
                #(#steps)*
                let response = state.api.#name(#(#arguments),*).await;
                Ok::<_, #runtime::Rejection>(response.into_response())
            };
            run.await.unwrap_or_else(super::reject)
        }
    }
}
