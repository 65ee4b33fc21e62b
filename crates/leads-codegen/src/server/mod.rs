//! The server generator: typed models, parameter structs, response enums, credentials, one
//! trait with a method per operation, and an axum router that wires them together.
//!
//! The pipeline has three steps. `operations` reads the spec into a small intermediate
//! representation, checking every construct it meets: anything the router could not serve
//! faithfully fails here, with the JSON pointer of the offending spec location. `models`
//! converts `components/schemas` from OpenAPI 3.0 to JSON Schema and hands it to typify, so
//! the server's types follow the client's naming rules. The `*_gen` modules turn the
//! representation into tokens, which are pretty-printed into one file.
//!
//! The generated code calls a small hand-written runtime at [`RUNTIME`] (request parsing,
//! credential decoding, rejections); the generator itself knows nothing of any backend.

mod auth_gen;
mod headers_gen;
mod ir;
mod models;
pub(crate) mod names;
mod operations;
mod params_gen;
pub(crate) mod resolve;
mod responses_gen;
mod router_gen;
pub(crate) mod schema;
mod trait_gen;

use openapiv3::OpenAPI;
use quote::quote;

use crate::CodegenError;

/// The name of the generated trait that backends implement.
pub const TRAIT_NAME: &str = "LeadsApi";

/// The path of the hand-written runtime the generated code calls.
pub const RUNTIME: &str = "::leads_api::runtime";

/// Generates the server's source: the `types`, `params`, `responses` and `auth` modules, the
/// [`TRAIT_NAME`] trait and the `router` functions.
///
/// The output is deterministic, pretty-printed Rust, ready to be `include!`d or committed
/// as a snapshot. An unsupported construct is an error naming its spec location.
pub fn generate(spec: &OpenAPI) -> Result<String, CodegenError> {
    let mut models = models::Models::new(spec)?;
    let api = operations::collect(spec, &mut models)?;
    let types = models.tokens(&api, spec)?;
    let params = params_gen::tokens(&api);
    let responses = responses_gen::tokens(&api);
    let auth = auth_gen::tokens(&api);
    let api_trait = trait_gen::tokens(&api);
    let router = router_gen::tokens(&api, &crate::requests::generate(spec)?)?;
    let tokens = quote! {
        #types
        #params
        #responses
        #auth
        #api_trait
        #router
    };
    crate::finish(tokens)
}

/// [`RUNTIME`] as tokens.
fn runtime() -> proc_macro2::TokenStream {
    quote!(::leads_api::runtime)
}
