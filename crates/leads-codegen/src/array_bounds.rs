//! Array bounds (`minItems`, `maxItems`), which typify neither checks nor states.
//!
//! This pass finds every bounded array of a named schema in the generated types and
//! completes it for its side:
//!
//! * the server checks the bounds while deserialising (the runtime's `list` helpers, so the
//!   router answers 400) and states them in the type's utoipa schema;
//! * the client states them in the type's schemars schema; it enforces them, with every
//!   other rule, by validating each request against the spec before sending it.
//!
//! A bounded array the pass cannot find in the generated code is a build error at its spec
//! location.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, Schema, SchemaKind, Type};
use syn::visit_mut::VisitMut;

use crate::nullable::Side;
use crate::CodegenError;

/// `minItems` (0 when unsaid) and `maxItems` of one array.
type Bound = (u64, Option<u64>);

/// The bounded arrays of a spec, by type name and property (`None` for a type that is
/// itself an array), with their spec locations.
pub struct ArrayBounds {
    by_field: BTreeMap<(String, Option<String>), (Bound, String)>,
}

impl ArrayBounds {
    /// Reads the bounds of every schema that becomes a named type, and of its properties.
    pub fn of(spec: &OpenAPI) -> Self {
        let mut by_field = BTreeMap::new();
        for named in crate::named::schemas(spec) {
            if let Some(bound) = bound(named.schema) {
                by_field.insert((named.type_name.clone(), None), (bound, named.at.clone()));
            }
            if let SchemaKind::Type(Type::Object(object)) = &named.schema.schema_kind {
                for (property, child) in &object.properties {
                    if let Some(bound) = child.as_item().and_then(|child| bound(child)) {
                        let at = format!(
                            "{}/properties/{}",
                            named.at,
                            crate::server::names::escape(property)
                        );
                        by_field.insert(
                            (named.type_name.clone(), Some(property.clone())),
                            (bound, at),
                        );
                    }
                }
            }
        }
        ArrayBounds { by_field }
    }

    /// Completes the bounded arrays of `file` for `side`.
    pub fn apply(&self, file: &mut syn::File, side: Side) -> Result<(), CodegenError> {
        let mut visitor = Visitor {
            bounds: self,
            side,
            found: Vec::new(),
            impls: Vec::new(),
        };
        visitor.visit_file_mut(file);
        // schemars ignores validation attributes on a transparent newtype's field, so a
        // bounded array newtype gets a schema impl that states its bounds.
        if let Some(types) = crate::nullable::find_module(&mut file.items, "types") {
            let content = &mut types.content.get_or_insert_with(Default::default).1;
            content.extend(visitor.impls);
        }
        for (key, (_, at)) in &self.by_field {
            if !visitor.found.contains(key) {
                return Err(CodegenError::Unsupported {
                    location: at.clone(),
                    message: format!(
                        "the generated type `{}` has no field for this bounded array, so its `minItems`/`maxItems` cannot be checked",
                        key.0
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The bounds of an array schema, if it states any.
fn bound(schema: &Schema) -> Option<Bound> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array))
            if array.min_items.is_some() || array.max_items.is_some() =>
        {
            Some((
                array.min_items.unwrap_or(0) as u64,
                array.max_items.map(|n| n as u64),
            ))
        }
        _ => None,
    }
}

struct Visitor<'a> {
    bounds: &'a ArrayBounds,
    side: Side,
    found: Vec<(String, Option<String>)>,
    /// Schema impls replacing derives, added to the `types` module afterwards.
    impls: Vec<syn::Item>,
}

/// A schemars impl for the array newtype `name` around `ty`, stating its bounds.
fn schemars_impl(name: &syn::Ident, ty: &syn::Type, (min, max): Bound) -> syn::Item {
    let type_name = name.to_string();
    let min = (min > 0).then(|| {
        let min = u32::try_from(min).unwrap_or(u32::MAX);
        quote::quote!(array.min_items = Some(#min);)
    });
    let max = max.map(|max| {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        quote::quote!(array.max_items = Some(#max);)
    });
    syn::parse_quote! {
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #type_name.to_owned()
            }
            fn json_schema(
                generator: &mut ::schemars::gen::SchemaGenerator,
            ) -> ::schemars::schema::Schema {
                let mut schema = <#ty as ::schemars::JsonSchema>::json_schema(generator)
                    .into_object();
                let array = schema.array();
                #min
                #max
                schema.into()
            }
        }
    }
}

impl Visitor<'_> {
    /// The attributes a bounded field gets, and those its struct gets (utoipa reads a
    /// newtype's schema features from the struct).
    fn attributes(
        &self,
        bound: Bound,
        ty: &syn::Type,
        newtype: bool,
    ) -> (Vec<syn::Attribute>, Vec<syn::Attribute>) {
        let (min, max) = bound;
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        match self.side {
            Side::Client => {
                let length = match (min, max) {
                    (0, Some(max)) => quote::quote!(length(max = #max)),
                    (min, Some(max)) => quote::quote!(length(min = #min, max = #max)),
                    (min, None) => quote::quote!(length(min = #min)),
                };
                (vec![syn::parse_quote!(#[schemars(#length)])], Vec::new())
            }
            Side::Server(runtime) => {
                let max_text = max.map_or_else(|| "{ u64::MAX }".to_owned(), |n| n.to_string());
                let helper = if crate::nullable::nullable_inner(ty).is_some() {
                    "nullable_list::<_, _, _"
                } else {
                    "list::<_, _"
                };
                let path = format!("{runtime}::params::{helper}, {min}, {max_text}>");
                let check: syn::Attribute = syn::parse_quote!(#[serde(deserialize_with = #path)]);
                // A minimum of 0 is what the spec leaves unsaid; state only what it says.
                let schema: syn::Attribute = match (min, max) {
                    (0, Some(max)) => {
                        let max = size(max);
                        syn::parse_quote!(#[schema(max_items = #max)])
                    }
                    (min, Some(max)) => {
                        let (min, max) = (size(min), size(max));
                        syn::parse_quote!(#[schema(min_items = #min, max_items = #max)])
                    }
                    (min, None) => {
                        let min = size(min);
                        syn::parse_quote!(#[schema(min_items = #min)])
                    }
                };
                if newtype {
                    (vec![check], vec![schema])
                } else {
                    (vec![check, schema], Vec::new())
                }
            }
        }
    }
}

impl VisitMut for Visitor<'_> {
    fn visit_item_mod_mut(&mut self, module: &mut syn::ItemMod) {
        // progenitor's builders mirror the models; only the models carry the bounds.
        if module.ident != "builder" {
            syn::visit_mut::visit_item_mod_mut(self, module);
        }
    }

    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        let name = item.ident.to_string();
        match &mut item.fields {
            syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let key = (name, None);
                if let Some((bound, _)) = self.bounds.by_field.get(&key) {
                    if self.side == Side::Client {
                        let ty = fields.unnamed[0].ty.clone();
                        if crate::constraints::remove_schema_derive(item).is_some() {
                            self.impls.push(schemars_impl(&item.ident, &ty, *bound));
                        }
                    } else {
                        let (field_attrs, struct_attrs) =
                            self.attributes(*bound, &fields.unnamed[0].ty, true);
                        fields.unnamed[0].attrs.extend(field_attrs);
                        item.attrs.extend(struct_attrs);
                    }
                    self.found.push(key);
                }
            }
            syn::Fields::Named(fields) => {
                for field in &mut fields.named {
                    let property = crate::docs::serde_name(&field.attrs)
                        .or_else(|| field.ident.as_ref().map(|i| i.to_string()));
                    let key = (name.clone(), property);
                    if let Some((bound, _)) = self.bounds.by_field.get(&key) {
                        let (field_attrs, _) = self.attributes(*bound, &field.ty, false);
                        field.attrs.extend(field_attrs);
                        self.found.push(key);
                    }
                }
            }
            _ => {}
        }
    }
}
