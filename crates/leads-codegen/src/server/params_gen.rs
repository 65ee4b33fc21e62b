//! The `params` module: one struct of path parameters and one of query parameters per
//! operation, checked while they are deserialised.
//!
//! Component schemas check themselves (typify); the bounds of inline schemas (`limit`'s
//! `1..=100`, a string's `maxLength`, an array's `maxItems`) are checked by the runtime's
//! `deserialize_with` helpers, and the spec's defaults fill absent parameters.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ir::{Api, IntType, Operation, Param, ParamType};
use super::names::{camel, doc, snake};

/// The `params` module.
pub fn tokens(api: &Api) -> TokenStream {
    let mut items = Vec::new();
    let mut defaults = Vec::new();
    for operation in &api.operations {
        if !operation.path_params.is_empty() {
            items.push(params_struct(operation, Place::Path, &mut defaults));
        }
        if !operation.query_params.is_empty() {
            items.push(params_struct(operation, Place::Query, &mut defaults));
        }
        if !operation.header_params.is_empty() {
            items.push(super::headers_gen::header_struct(operation, &mut defaults));
        }
    }
    let defaults = (!defaults.is_empty()).then(|| {
        quote! {
            /// The spec's defaults of absent parameters.
            mod defaults {
                #(#defaults)*
            }
        }
    });
    let uses_types = api.operations.iter().any(|op| {
        op.path_params
            .iter()
            .chain(&op.query_params)
            .chain(&op.header_params)
            .any(|p| uses_model(&p.ty))
    });
    let use_types = uses_types.then(|| {
        quote!(
            use super::types;
        )
    });
    quote! {
        /// The path, query and header parameters of each operation, as typed structs. The
        /// router deserialises them, checking every bound of the spec, before a method runs.
        pub mod params {
            #use_types
            #(#items)*
            #defaults
        }
    }
}

fn uses_model(ty: &ParamType) -> bool {
    match ty {
        ParamType::Model(_) => true,
        ParamType::List { item, .. } => uses_model(item),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Path,
    Query,
}

/// The name of an operation's parameter struct, e.g. `ListLeadsQuery`.
fn struct_name(operation: &Operation, place: Place) -> proc_macro2::Ident {
    let suffix = match place {
        Place::Path => "Path",
        Place::Query => "Query",
    };
    format_ident!("{}{suffix}", camel(&operation.id))
}

/// The path struct's name, if the operation has path parameters.
pub fn path_struct(operation: &Operation) -> Option<proc_macro2::Ident> {
    (!operation.path_params.is_empty()).then(|| struct_name(operation, Place::Path))
}

/// The query struct's name, if the operation has query parameters.
pub fn query_struct(operation: &Operation) -> Option<proc_macro2::Ident> {
    (!operation.query_params.is_empty()).then(|| struct_name(operation, Place::Query))
}

fn params_struct(
    operation: &Operation,
    place: Place,
    defaults: &mut Vec<TokenStream>,
) -> TokenStream {
    let name = struct_name(operation, place);
    let (params, what, deny) = match place {
        Place::Path => (&operation.path_params, "path", None),
        Place::Query => (
            &operation.query_params,
            "query",
            Some(quote!(#[serde(deny_unknown_fields)])),
        ),
    };
    let summary = format!(
        " The {what} parameters of `{}` (`{} {}`).",
        operation.id,
        operation.method.to_uppercase(),
        operation.path
    );
    let mut fields = Vec::new();
    let mut initialisers = Vec::new();
    for param in params {
        let field = field(operation, param, defaults);
        fields.push(field.tokens);
        initialisers.push(field.initialiser);
    }
    // A query whose every parameter may be absent has a `Default`: the spec's defaults,
    // derived when there are none.
    let has_defaults = params.iter().any(|p| p.default.is_some());
    let all_optional = initialisers.iter().all(Option::is_some) && place == Place::Query;
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
        #deny
        pub struct #name {
            #(#fields),*
        }
        #default_impl
    }
}

pub(super) struct Field {
    pub(super) tokens: TokenStream,
    /// `name: value` when the field has a value without input.
    pub(super) initialiser: Option<TokenStream>,
}

pub(super) fn field(
    operation: &Operation,
    param: &Param,
    defaults: &mut Vec<TokenStream>,
) -> Field {
    let ident = snake(&param.name);
    let bare = rust_type(&param.ty);
    let is_list = matches!(param.ty, ParamType::List { .. });
    let optional = !param.required && param.default.is_none() && !is_list;
    let ty = if optional {
        quote!(::std::option::Option<#bare>)
    } else {
        bare
    };
    let mut serde = Vec::new();
    if ident != param.name {
        let name = &param.name;
        serde.push(quote!(rename = #name));
    }
    let mut initialiser = None;
    if let Some(default) = &param.default {
        let function = format_ident!(
            "{}_{}",
            operation.id.to_snake_case(),
            ident.to_string().trim_start_matches("r#")
        );
        let value = default_value(&param.ty, default);
        let ty = &ty;
        defaults.push(quote! {
            pub(super) fn #function() -> #ty {
                #value
            }
        });
        let path = format!("defaults::{function}");
        serde.push(quote!(default = #path));
        initialiser = Some(quote!(#ident: defaults::#function()));
    } else if optional {
        serde.push(quote!(default));
        initialiser = Some(quote!(#ident: ::std::option::Option::None));
    } else if is_list && !param.required {
        serde.push(quote!(default));
        initialiser = Some(quote!(#ident: ::std::vec::Vec::new()));
    }
    if let Some(check) = checker(&param.ty, optional) {
        serde.push(quote!(deserialize_with = #check));
    }
    let serde = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
    let docs = doc(param.description.as_deref());
    Field {
        tokens: quote! {
            #docs
            #serde
            pub #ident: #ty
        },
        initialiser,
    }
}

fn rust_type(ty: &ParamType) -> TokenStream {
    match ty {
        ParamType::Model(model) => model.clone(),
        ParamType::Int {
            rust: IntType::I32, ..
        } => quote!(i32),
        ParamType::Int {
            rust: IntType::I64, ..
        } => quote!(i64),
        ParamType::Str { .. } => quote!(::std::string::String),
        ParamType::Bool => quote!(bool),
        ParamType::List { item, .. } => {
            let item = rust_type(item);
            quote!(::std::vec::Vec<#item>)
        }
    }
}

fn default_value(ty: &ParamType, value: &serde_json::Value) -> TokenStream {
    match (ty, value) {
        (
            ParamType::Int {
                rust: IntType::I32, ..
            },
            value,
        ) => {
            let n = value
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or_default();
            quote!(#n)
        }
        (ParamType::Int { .. }, value) => {
            let n = value.as_i64().unwrap_or_default();
            quote!(#n)
        }
        (ParamType::Str { .. }, value) => {
            let s = value.as_str().unwrap_or_default();
            quote!(::std::string::String::from(#s))
        }
        (_, value) => {
            let b = value.as_bool().unwrap_or_default();
            quote!(#b)
        }
    }
}

/// The runtime helper that checks a bounded parameter, as a `deserialize_with` path.
fn checker(ty: &ParamType, optional: bool) -> Option<String> {
    let prefix = if optional { "opt_" } else { "" };
    let runtime = super::RUNTIME;
    match ty {
        ParamType::Int { rust, min, max } if min.is_some() || max.is_some() => {
            let (rust, low, high) = match rust {
                IntType::I32 => (
                    "i32",
                    i64::from(i32::MIN).to_string(),
                    i64::from(i32::MAX).to_string(),
                ),
                IntType::I64 => ("i64", "i64::MIN".to_owned(), "i64::MAX".to_owned()),
            };
            let low = min.map_or(low, |n| n.to_string());
            let high = max.map_or(high, |n| n.to_string());
            Some(format!(
                "{runtime}::params::{prefix}int::<_, {rust}, {}, {}>",
                const_arg(&low),
                const_arg(&high)
            ))
        }
        ParamType::Str { min, max } if min.is_some() || max.is_some() => Some(format!(
            "{runtime}::params::{prefix}string::<_, {}, {}>",
            min.unwrap_or(0),
            max.map_or("{ u64::MAX }".to_owned(), |n| n.to_string())
        )),
        ParamType::List { item, min, max } if min.is_some() || max.is_some() => Some(format!(
            "{runtime}::params::list::<_, {}, {}, {}>",
            rust_type(item).to_string().replace(' ', ""),
            min.unwrap_or(0),
            max.map_or("{ u64::MAX }".to_owned(), |n| n.to_string())
        )),
        ParamType::Bool if optional => Some(format!("{runtime}::params::opt_bool")),
        _ => None,
    }
}

/// A const generic argument: anything but a plain non-negative literal needs braces.
fn const_arg(value: &str) -> String {
    if value.chars().all(|c| c.is_ascii_digit()) {
        value.to_owned()
    } else {
        format!("{{ {value} }}")
    }
}
