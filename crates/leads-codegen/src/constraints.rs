//! Gives constrained string newtypes a JSON Schema that states their constraints.
//!
//! typify validates `minLength`, `maxLength` and `pattern` in the `FromStr` impl of a string
//! newtype, but derives `JsonSchema` for it, which describes a bare string. The schema of
//! the type would then claim less than the type enforces, and the type-agreement check could
//! not tell a dropped constraint from a kept one. This pass reads the checks typify wrote
//! into each `FromStr` and replaces the derive with an impl that states exactly those checks.

use std::collections::BTreeMap;

use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{Item, ItemImpl, ItemStruct};

/// The checks found in one `FromStr` impl.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct StringChecks {
    min_length: Option<u32>,
    max_length: Option<u32>,
    pattern: Option<String>,
}

/// Rewrites every constrained string newtype of `file`.
pub fn state_string_constraints(file: &mut syn::File) {
    let mut finder = FindChecks::default();
    syn::visit::Visit::visit_file(&mut finder, file);
    if finder.checks.is_empty() {
        return;
    }
    Rewrite {
        checks: finder.checks,
    }
    .visit_file_mut(file);
}

#[derive(Default)]
struct FindChecks {
    checks: BTreeMap<String, StringChecks>,
}

impl<'ast> syn::visit::Visit<'ast> for FindChecks {
    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        let is_from_str = item
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last())
            .is_some_and(|segment| segment.ident == "FromStr");
        if is_from_str {
            let name = item.self_ty.to_token_stream().to_string();
            let checks = parse_checks(&item.to_token_stream().to_string());
            if checks != StringChecks::default() {
                self.checks.insert(name, checks);
            }
        }
        syn::visit::visit_item_impl(self, item);
    }
}

/// Reads typify's checks from the token text of a `FromStr` impl.
fn parse_checks(text: &str) -> StringChecks {
    let bound = |operator: &str| -> Option<u32> {
        let needle = format!("count () {operator} ");
        let start = text.find(&needle)? + needle.len();
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let pattern = text.find("Regex :: new (").and_then(|start| {
        let rest = &text[start..];
        let literal_start = rest.find('"')?;
        let literal: syn::LitStr =
            syn::parse_str(&rest[literal_start..literal_end(rest, literal_start)?]).ok()?;
        Some(literal.value())
    });
    StringChecks {
        min_length: bound("<"),
        max_length: bound(">"),
        pattern,
    }
}

/// The end (exclusive) of the string literal starting at `start`.
fn literal_end(text: &str, start: usize) -> Option<usize> {
    let mut escaped = false;
    for (offset, c) in text[start + 1..].char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(start + 1 + offset + 1),
            _ => escaped = false,
        }
    }
    None
}

struct Rewrite {
    checks: BTreeMap<String, StringChecks>,
}

impl VisitMut for Rewrite {
    fn visit_item_mod_mut(&mut self, module: &mut syn::ItemMod) {
        if let Some((_, items)) = &mut module.content {
            let mut added = Vec::new();
            for item in items.iter_mut() {
                if let Item::Struct(strukt) = item {
                    if let Some(checks) = self.checks.get(&strukt.ident.to_string()) {
                        if remove_schema_derive(strukt) {
                            added.push(schema_impl(&strukt.ident, checks));
                        }
                    }
                }
            }
            items.extend(added);
        }
        visit_mut::visit_item_mod_mut(self, module);
    }
}

/// Drops `schemars::JsonSchema` from the struct's derives; true if it was there.
fn remove_schema_derive(strukt: &mut ItemStruct) -> bool {
    let mut removed = false;
    for attr in strukt
        .attrs
        .iter_mut()
        .filter(|a| a.path().is_ident("derive"))
    {
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|path| {
                let is_schema = path
                    .segments
                    .last()
                    .is_some_and(|segment| segment.ident == "JsonSchema");
                removed |= is_schema;
                !is_schema
            })
            .collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
    removed
}

fn schema_impl(name: &syn::Ident, checks: &StringChecks) -> Item {
    let type_name = name.to_string();
    let min = checks
        .min_length
        .map(|n| quote!(validation.min_length = Some(#n);));
    let max = checks
        .max_length
        .map(|n| quote!(validation.max_length = Some(#n);));
    let pattern = checks
        .pattern
        .as_ref()
        .map(|p| quote!(validation.pattern = Some(#p.to_owned());));
    let generator = format_ident!("generator");
    syn::parse_quote! {
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                #type_name.to_owned()
            }
            fn json_schema(#generator: &mut ::schemars::gen::SchemaGenerator) -> ::schemars::schema::Schema {
                let mut schema = <::std::string::String as ::schemars::JsonSchema>::json_schema(#generator)
                    .into_object();
                let validation = schema.string();
                #min
                #max
                #pattern
                schema.into()
            }
        }
    }
}
