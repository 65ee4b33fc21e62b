//! Gives constrained newtypes a schema that states their constraints.
//!
//! typify validates `minLength`, `maxLength` and `pattern` in the `FromStr` impl of a string
//! newtype, and an integer `enum` in its `TryFrom`, but the schema derives it is given
//! (`schemars::JsonSchema` on the client, `utoipa::ToSchema` on the server) describe a bare
//! string or integer. The schema of the type would then claim less than the type enforces,
//! and the type-agreement check could not tell a dropped constraint from a kept one. This
//! pass reads the checks typify wrote and replaces each such derive with an impl that
//! states exactly those checks.

use std::collections::BTreeMap;

use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{Item, ItemImpl, ItemStruct};

/// The checks found in one `FromStr` or `TryFrom<integer>` impl.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct StringChecks {
    min_length: Option<u32>,
    max_length: Option<u32>,
    pattern: Option<String>,
    /// The allowed values of an integer newtype, as written.
    integer_enum: Option<Vec<i64>>,
}

/// Rewrites every constrained newtype of `file`.
pub fn state_constraints(file: &mut syn::File) {
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
        let is_try_from_integer = item
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last())
            .is_some_and(|segment| {
                let text = segment.to_token_stream().to_string();
                segment.ident == "TryFrom" && (text.contains("i32") || text.contains("i64"))
            });
        let name = item.self_ty.to_token_stream().to_string();
        if is_from_str {
            let checks = parse_checks(&item.to_token_stream().to_string());
            if checks != StringChecks::default() {
                self.checks.insert(name, checks);
            }
        } else if is_try_from_integer {
            if let Some(values) = parse_integer_enum(&item.to_token_stream().to_string()) {
                self.checks.entry(name).or_default().integer_enum = Some(values);
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
        integer_enum: None,
    }
}

/// Reads `![50_i32, 100_i32].contains(&value)` from the token text of a `TryFrom` impl.
fn parse_integer_enum(text: &str) -> Option<Vec<i64>> {
    let start = text.find("! [")? + 3;
    let end = start + text[start..].find(']')?;
    text[start..end]
        .split(',')
        // Generated code may end the list with a comma.
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            // Tokens print a negative literal as `- 1_i32`.
            let compact: String = item.chars().filter(|c| !c.is_whitespace()).collect();
            let digits: String = compact
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            digits.parse().ok()
        })
        .collect()
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
                        // typify already states the enum of an integer newtype for schemars.
                        let schemars_states_it = checks.integer_enum.is_some();
                        match derive_of(strukt) {
                            Some(Derive::Schemars) if !schemars_states_it => {
                                remove_schema_derive(strukt);
                                added.push(schemars_impl(&strukt.ident, checks));
                            }
                            Some(Derive::Utoipa) => {
                                remove_schema_derive(strukt);
                                added.extend(utoipa_impls(&strukt.ident, checks));
                            }
                            _ => {}
                        }
                    }
                }
            }
            items.extend(added);
        }
        visit_mut::visit_item_mod_mut(self, module);
    }
}

/// Which schema derive a struct had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derive {
    Schemars,
    Utoipa,
}

/// The schema derive a struct has, if any.
fn derive_of(strukt: &ItemStruct) -> Option<Derive> {
    let mut copy = strukt.clone();
    remove_schema_derive(&mut copy)
}

/// Drops the schema derive (`JsonSchema` or `ToSchema`) from the struct's derives.
pub(crate) fn remove_schema_derive(strukt: &mut ItemStruct) -> Option<Derive> {
    let mut removed = None;
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
                let derive = path.segments.last().and_then(|segment| {
                    match segment.ident.to_string().as_str() {
                        "JsonSchema" => Some(Derive::Schemars),
                        "ToSchema" => Some(Derive::Utoipa),
                        _ => None,
                    }
                });
                removed = removed.or(derive);
                derive.is_none()
            })
            .collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
    removed
}

/// `PartialSchema` and `ToSchema` for a constrained newtype, in utoipa's builder terms.
fn utoipa_impls(name: &syn::Ident, checks: &StringChecks) -> Vec<Item> {
    let type_name = name.to_string();
    let builder = match &checks.integer_enum {
        Some(values) => quote! {
            ::utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(::utoipa::openapi::schema::Type::Integer)
                .format(Some(::utoipa::openapi::schema::SchemaFormat::KnownFormat(
                    ::utoipa::openapi::schema::KnownFormat::Int32,
                )))
                .enum_values(Some([#(#values),*]))
        },
        None => {
            let min = checks.min_length.map(|n| n as usize);
            let max = checks.max_length.map(|n| n as usize);
            let min = min.map_or_else(|| quote!(None), |n| quote!(Some(#n)));
            let max = max.map_or_else(|| quote!(None), |n| quote!(Some(#n)));
            let pattern = checks
                .pattern
                .as_ref()
                .map_or_else(|| quote!(None::<String>), |p| quote!(Some(#p)));
            quote! {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .min_length(#min)
                    .max_length(#max)
                    .pattern(#pattern)
            }
        }
    };
    vec![
        syn::parse_quote! {
            impl ::utoipa::PartialSchema for #name {
                fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                    #builder.into()
                }
            }
        },
        syn::parse_quote! {
            impl ::utoipa::ToSchema for #name {
                fn name() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(#type_name)
                }
            }
        },
    ]
}

fn schemars_impl(name: &syn::Ident, checks: &StringChecks) -> Item {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typify_integer_enums() {
        let item: ItemImpl = syn::parse_quote! {
            impl ::std::convert::TryFrom<i32> for LeadStatus {
                type Error = self::error::ConversionError;
                fn try_from(value: i32) -> ::std::result::Result<Self, self::error::ConversionError> {
                    if ![50_i32, 100_i32, 1000_i32].contains(&value) {
                        Err("invalid value".into())
                    } else {
                        Ok(Self(value))
                    }
                }
            }
        };
        let text = item.to_token_stream().to_string();
        assert_eq!(
            parse_integer_enum(&text),
            Some(vec![50, 100, 1000]),
            "{text}"
        );
        let item: ItemImpl = syn::parse_quote! {
            impl ::std::convert::TryFrom<i32> for Direction {
                fn try_from(value: i32) -> Result<Self, E> {
                    if ![1_i32, -1_i32].contains(&value) { Err(()) } else { Ok(Self(value)) }
                }
            }
        };
        let text = item.to_token_stream().to_string();
        assert_eq!(parse_integer_enum(&text), Some(vec![1, -1]), "{text}");
    }

    #[test]
    fn reads_typify_string_checks() {
        let text = r#"impl :: std :: str :: FromStr for ObjectId { fn from_str (value : & str) { if value . chars () . count () > 24usize { } if value . chars () . count () < 24usize { } static PATTERN : X = X :: new (|| { :: regress :: Regex :: new ("^[0-9a-f]{24}$") . unwrap () }) ; } }"#;
        assert_eq!(
            parse_checks(text),
            StringChecks {
                min_length: Some(24),
                max_length: Some(24),
                pattern: Some("^[0-9a-f]{24}$".to_owned()),
                integer_enum: None,
            }
        );
    }
}
