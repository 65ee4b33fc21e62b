//! Header parameters: per operation that documents any, one struct such as
//! `CreateLeadHeaders`, read by the runtime's `headers` from the headers the spec names and
//! checked while it is deserialised, like the query.
//!
//! The struct accepts unknown fields: a request carries many headers, and only the named
//! ones are read.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::ir::Operation;
use super::names::camel;
use super::params_gen::field;

/// The header struct's name, if the operation has header parameters.
pub fn header_struct_name(operation: &Operation) -> Option<Ident> {
    (!operation.header_params.is_empty()).then(|| format_ident!("{}Headers", camel(&operation.id)))
}

/// The header names the runtime reads, as the spec writes them: `&["Idempotency-Key"]`.
pub fn header_names(operation: &Operation) -> TokenStream {
    let names = operation.header_params.iter().map(|p| p.name.as_str());
    quote!(&[#(#names),*])
}

/// The struct of the operation's header parameters.
pub fn header_struct(operation: &Operation, defaults: &mut Vec<TokenStream>) -> TokenStream {
    let Some(name) = header_struct_name(operation) else {
        return TokenStream::new();
    };
    let summary = format!(
        " The header parameters of `{}` (`{} {}`).",
        operation.id,
        operation.method.to_uppercase(),
        operation.path
    );
    let mut fields = Vec::new();
    let mut initialisers = Vec::new();
    for param in &operation.header_params {
        let field = field(operation, param, defaults);
        fields.push(field.tokens);
        initialisers.push(field.initialiser);
    }
    let all_optional = initialisers.iter().all(Option::is_some);
    let has_defaults = operation.header_params.iter().any(|p| p.default.is_some());
    let derive_default = (all_optional && !has_defaults).then(|| quote!(Default,));
    let default_impl = (all_optional && has_defaults).then(|| {
        let initialisers = initialisers.iter().flatten();
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    Self { #(#initialisers),* }
                }
            }
        }
    });
    quote! {
        #[doc = #summary]
        #[derive(::serde::Deserialize, Clone, Debug, #derive_default PartialEq)]
        pub struct #name {
            #(#fields),*
        }
        #default_impl
    }
}
