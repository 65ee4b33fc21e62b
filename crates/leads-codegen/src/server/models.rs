//! The `types` module: every component schema as a typify model.
//!
//! typify gives the server the same names and validation as the client: pattern-checked
//! strings become newtypes whose `Deserialize` checks them, enums reject unknown values,
//! `additionalProperties: false` becomes `deny_unknown_fields`. On top of typify's derives
//! the models derive `PartialEq` and `utoipa::ToSchema`.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, Schema};
use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use typify::{TypeSpace, TypeSpaceSettings};

use super::ir::Api;
use super::names::escape;
use super::schema::{self, COMPONENT_PREFIX};
use crate::CodegenError;

/// The typify type space, filled with every component schema.
pub struct Models {
    space: TypeSpace,
    names: BTreeSet<String>,
}

impl Models {
    /// Converts every entry of `components/schemas` and adds it to a fresh type space.
    pub fn new(spec: &OpenAPI) -> Result<Self, CodegenError> {
        let mut settings = TypeSpaceSettings::default();
        settings
            .with_type_mod("types")
            .with_struct_builder(false)
            .with_derive("PartialEq".to_owned())
            .with_derive("utoipa::ToSchema".to_owned());
        let mut space = TypeSpace::new(&settings);
        let mut definitions = Vec::new();
        let mut names = BTreeSet::new();
        if let Some(components) = &spec.components {
            for (name, item) in &components.schemas {
                let at = format!("{COMPONENT_PREFIX}{}", escape(name));
                definitions.push((name.clone(), schema::convert(item, &at)?));
                names.insert(name.clone());
            }
        }
        guard("#/components/schemas", || space.add_ref_types(definitions))?;
        Ok(Self { space, names })
    }

    /// The Rust type of the schema at `at`, which must be a `$ref` to a component schema.
    pub fn reference(
        &mut self,
        schema: &ReferenceOr<Schema>,
        at: &str,
    ) -> Result<TokenStream, CodegenError> {
        let ReferenceOr::Reference { reference } = schema else {
            return Err(CodegenError::Unsupported {
                location: at.to_owned(),
                message: "an inline schema here is not supported; move it to `components/schemas` and `$ref` it, so that it gets a name".to_owned(),
            });
        };
        let name = reference
            .strip_prefix(COMPONENT_PREFIX)
            .filter(|name| self.names.contains(*name))
            .ok_or_else(|| CodegenError::Unsupported {
                location: format!("{at}/$ref"),
                message: format!(
                    "`{reference}` does not point at an entry of `{COMPONENT_PREFIX}`"
                ),
            })?;
        let space = &mut self.space;
        let id = guard(at, || space.add_type(&schema::reference(name)))?;
        let ty = guard(at, || space.get_type(&id).map(|ty| ty.ident()))?;
        Ok(ty)
    }

    /// The Rust type of the schema at `at`: the component's type for a `$ref`, and for an
    /// inline schema a new type named `name`, as progenitor names the client's.
    pub fn named(
        &mut self,
        schema: &ReferenceOr<Schema>,
        at: &str,
        name: &str,
    ) -> Result<TokenStream, CodegenError> {
        if schema.as_item().is_none() {
            return self.reference(schema, at);
        }
        let converted = schema::convert(schema, at)?;
        let space = &mut self.space;
        let id = guard(at, || {
            space.add_type_with_name(&converted, Some(name.to_owned()))
        })?;
        guard(at, || space.get_type(&id).map(|ty| ty.ident()))
    }

    /// The `types` module, and a constructor for the error body.
    pub fn tokens(&self, api: &Api, spec: &OpenAPI) -> Result<TokenStream, CodegenError> {
        let models = self.space.to_stream();
        let mut file: syn::File = syn::parse2(quote! {
            /// The models of `components/schemas`. Deserialising one checks every constraint
            /// of its schema: patterns, lengths, bounds, enums, unknown fields and `null`.
            pub mod types {
                #models
            }
        })?;
        crate::nullable::Rules::of(spec)
            .apply(&mut file, crate::nullable::Side::Server(super::RUNTIME))?;
        UtoipaHints.visit_file_mut(&mut file);
        crate::array_bounds::ArrayBounds::of(spec)
            .apply(&mut file, crate::nullable::Side::Server(super::RUNTIME))?;
        let error = &api.error_type;
        Ok(quote! {
            #file

            impl #error {
                /// An error body: `success` is `false`, `msg` says what went wrong.
                pub fn new(msg: impl ::std::convert::Into<::std::string::String>) -> Self {
                    Self { success: false, msg: msg.into() }
                }
            }
        })
    }
}

/// Runs a typify call, turning both its errors and its panics into errors naming `at`.
fn guard<T>(at: &str, call: impl FnOnce() -> Result<T, typify::Error>) -> Result<T, CodegenError> {
    let unsupported = |message: String| CodegenError::Unsupported {
        location: at.to_owned(),
        message,
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
        .map_err(|panic| {
            unsupported(format!(
                "typify cannot generate a type: {}",
                crate::client::panic_message(&panic)
            ))
        })?
        .map_err(|e| unsupported(format!("typify cannot generate a type: {e}")))
}

/// Tells utoipa what it cannot infer: `serde_json::Map` is a free-form object, and
/// `NonZeroU32`/`NonZeroU64` (typify's `minimum: 1` integers) are plain integers.
struct UtoipaHints;

/// The `#[schema(...)]` arguments utoipa needs for a field of type `ty`, if any: the
/// `value_type` to document, and `minimum = 1` for the `NonZero` integers. A generated
/// `Nullable<T>` is documented as the `Option<T>` it reads like.
fn value_type(ty: &syn::Type) -> Option<TokenStream> {
    let text = quote::ToTokens::to_token_stream(ty).to_string();
    let nullable = crate::nullable::nullable_inner(ty);
    let (inner, minimum) = if text.contains("serde_json :: Map") {
        (quote!(Object), None)
    } else if text.contains("NonZeroU32") {
        (quote!(u32), Some(quote!(minimum = 1)))
    } else if text.contains("NonZeroU64") {
        (quote!(u64), Some(quote!(minimum = 1)))
    } else if let Some(inner) = nullable {
        (quote!(#inner), None)
    } else {
        return None;
    };
    let value_type = if text.starts_with(":: std :: option :: Option") || nullable.is_some() {
        quote!(value_type = Option<#inner>)
    } else {
        quote!(value_type = #inner)
    };
    Some(match minimum {
        Some(minimum) => quote!(#value_type, #minimum),
        None => value_type,
    })
}

impl VisitMut for UtoipaHints {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        match &mut item.fields {
            // A newtype is documented as its one field, so the hint goes on the struct.
            syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                if let Some(value_type) = value_type(&fields.unnamed[0].ty) {
                    item.attrs.push(syn::parse_quote!(#[schema(#value_type)]));
                }
            }
            syn::Fields::Named(fields) => {
                for field in &mut fields.named {
                    if let Some(value_type) = value_type(&field.ty) {
                        field.attrs.push(syn::parse_quote!(#[schema(#value_type)]));
                    }
                }
            }
            _ => {}
        }
    }
}
