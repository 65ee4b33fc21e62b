//! Absent, `null` and a value, kept apart in the generated types.
//!
//! typify reads an optional property as `Option<T>`, whether or not the schema allows
//! `null`: an optional, nullable property then cannot tell "left out" from `null`, and an
//! optional property that forbids `null` still reads `null` as "left out". This pass reads
//! from the spec which properties are which and rewrites the generated models:
//!
//! * an optional, `nullable` property becomes [`NULLABLE`]`<T>`, a generated enum of three
//!   states (`Absent`, `Null`, `Value(T)`) that serialises and deserialises each as itself,
//!   on the client and the server alike, builders included;
//! * on the server, an optional property that forbids `null` deserialises through a
//!   helper that refuses it, so the router answers 400 before a backend runs.
//!
//! Every rewrite is found in the generated code or reported with its spec location, so a
//! property the pass would miss is a build error, not a silently lenient field.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::{parse_quote, Field, Item, ItemImpl, ItemMod, ItemStruct, Meta, Token};

use crate::server::schema::COMPONENT_PREFIX;
use crate::CodegenError;

/// The name of the generated tri-state type.
pub const NULLABLE: &str = "Nullable";

/// What an optional property accepts besides a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Optional and nullable: three states.
    Nullable,
    /// Optional, and `null` is refused.
    NotNull,
}

/// The rule of every optional property, by generated type name and JSON property name,
/// with the property's spec location.
#[derive(Debug, Default)]
pub struct Rules {
    by_field: BTreeMap<(String, String), (Rule, String)>,
}

/// Which generator's output a rewrite is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// progenitor's client: schemars schemas, builders; `null` read leniently.
    Client,
    /// The server's models: utoipa schemas; `null` refused where the spec forbids it,
    /// through the hand-written runtime at this path (e.g. `::leads_api::runtime`).
    Server(&'static str),
}

impl Rules {
    /// Reads the optional properties of every schema that becomes a named type.
    pub fn of(spec: &OpenAPI) -> Self {
        let mut rules = Rules::default();
        for named in crate::named::schemas(spec) {
            rules.object(spec, &named.type_name, named.schema, &named.at);
        }
        rules
    }

    fn object(&mut self, spec: &OpenAPI, type_name: &str, schema: &Schema, at: &str) {
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            return;
        };
        for (property, child) in &object.properties {
            if object.required.contains(property) {
                continue;
            }
            let nullable = match child {
                ReferenceOr::Item(child) => child.schema_data.nullable,
                ReferenceOr::Reference { reference } => reference
                    .strip_prefix(COMPONENT_PREFIX)
                    .and_then(|name| spec.components.as_ref()?.schemas.get(name))
                    .and_then(ReferenceOr::as_item)
                    .is_some_and(|target| target.schema_data.nullable),
            };
            let rule = if nullable {
                Rule::Nullable
            } else {
                Rule::NotNull
            };
            let child_at = format!("{at}/properties/{}", crate::server::names::escape(property));
            self.by_field
                .insert((type_name.to_owned(), property.clone()), (rule, child_at));
        }
    }

    /// Rewrites the `types` module of a generated file (and its `builder` submodule, if
    /// any), and adds the [`NULLABLE`] type when a field uses it.
    pub fn apply(&self, file: &mut syn::File, side: Side) -> Result<(), CodegenError> {
        let Some(types) = find_module(&mut file.items, "types") else {
            return Ok(());
        };
        let mut rewrite = Rewrite {
            rules: self,
            side,
            found: Vec::new(),
        };
        rewrite.module(types);
        for ((type_name, property), (rule, at)) in &self.by_field {
            let wanted = *rule == Rule::Nullable || matches!(side, Side::Server(_));
            if wanted
                && !rewrite
                    .found
                    .contains(&(type_name.clone(), property.clone()))
            {
                return Err(CodegenError::Unsupported {
                    location: at.clone(),
                    message: format!(
                        "the generated type `{type_name}` has no field for the optional property `{property}`, so its `null` rule cannot be applied"
                    ),
                });
            }
        }
        if rewrite.found.iter().any(|key| {
            self.by_field
                .get(key)
                .is_some_and(|(rule, _)| *rule == Rule::Nullable)
        }) {
            let definition = definition(side);
            let content = &mut types.content.get_or_insert_with(Default::default).1;
            content.extend(definition);
        }
        Ok(())
    }
}

/// The module `name` among `items`, searched depth first.
pub(crate) fn find_module<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut ItemMod> {
    for item in items {
        if let Item::Mod(module) = item {
            if module.ident == name {
                return Some(module);
            }
            if let Some((_, inner)) = &mut module.content {
                if let Some(found) = find_module(inner, name) {
                    return Some(found);
                }
            }
        }
    }
    None
}

struct Rewrite<'a> {
    rules: &'a Rules,
    side: Side,
    /// The (type, property) pairs rewritten in the models.
    found: Vec<(String, String)>,
}

impl Rewrite<'_> {
    fn module(&mut self, types: &mut ItemMod) {
        let Some((_, items)) = &mut types.content else {
            return;
        };
        for item in items.iter_mut() {
            match item {
                Item::Struct(strukt) => self.model(strukt),
                Item::Mod(builder) if builder.ident == "builder" => self.builders(builder),
                _ => {}
            }
        }
    }

    fn rule(&self, type_name: &str, property: &str) -> Option<Rule> {
        self.rules
            .by_field
            .get(&(type_name.to_owned(), property.to_owned()))
            .map(|(rule, _)| *rule)
    }

    /// A model struct: `Option<T>` fields become `Nullable<T>`, or refuse `null`.
    fn model(&mut self, strukt: &mut ItemStruct) {
        let type_name = strukt.ident.to_string();
        let syn::Fields::Named(fields) = &mut strukt.fields else {
            return;
        };
        for field in &mut fields.named {
            let property = property_name(field);
            let Some(rule) = self.rule(&type_name, &property) else {
                continue;
            };
            let Some(inner) = option_inner(&field.ty).cloned() else {
                // typify gives an optional array or object a `#[serde(default)]` `Vec` or
                // `Map`, whose own `Deserialize` refuses `null`.
                if rule == Rule::NotNull {
                    self.found.push((type_name.clone(), property));
                }
                continue;
            };
            match (rule, self.side) {
                (Rule::Nullable, _) => {
                    field.ty = parse_quote!(Nullable<#inner>);
                    set_serde(
                        field,
                        &["default", "skip_serializing_if"],
                        quote!(default, skip_serializing_if = "Nullable::is_absent"),
                    );
                }
                (Rule::NotNull, Side::Server(runtime)) => {
                    let helper = format!("{runtime}::not_null");
                    set_serde(
                        field,
                        &["default", "deserialize_with"],
                        quote!(default, deserialize_with = #helper),
                    );
                    // utoipa documents an `Option` as nullable; this one refuses `null`.
                    field.attrs.push(parse_quote!(#[schema(nullable = false)]));
                }
                (Rule::NotNull, Side::Client) => continue,
            }
            self.found.push((type_name.clone(), property));
        }
    }

    /// progenitor's builders mirror the models: `Result<Option<T>, String>` fields and
    /// setters taking `TryInto<Option<T>>` follow the model's `Nullable<T>`.
    fn builders(&mut self, builder: &mut ItemMod) {
        let Some((_, items)) = &mut builder.content else {
            return;
        };
        for item in items.iter_mut() {
            match item {
                Item::Struct(strukt) => {
                    let type_name = strukt.ident.to_string();
                    if let syn::Fields::Named(fields) = &mut strukt.fields {
                        for field in &mut fields.named {
                            let property = builder_property(&type_name, field, self);
                            if property.is_some() {
                                replace_option(&mut field.ty);
                            }
                        }
                    }
                }
                Item::Impl(imp) => self.setters(imp),
                _ => {}
            }
        }
    }

    fn setters(&self, imp: &mut ItemImpl) {
        if imp.trait_.is_some() {
            return;
        }
        let type_name = imp.self_ty.to_token_stream().to_string();
        for item in &mut imp.items {
            let syn::ImplItem::Fn(function) = item else {
                continue;
            };
            let field = function.sig.ident.to_string();
            let nullable = self
                .rules
                .by_field
                .iter()
                .any(|((ty, property), (rule, _))| {
                    *ty == type_name && *rule == Rule::Nullable && field_ident(property) == field
                });
            if nullable {
                if let Some(clause) = &mut function.sig.generics.where_clause {
                    for predicate in &mut clause.predicates {
                        replace_option_in_predicate(predicate);
                    }
                }
            }
        }
    }
}

/// The property a builder field stands for, when the model's field became `Nullable`.
fn builder_property(type_name: &str, field: &Field, rewrite: &Rewrite<'_>) -> Option<String> {
    let ident = field.ident.as_ref()?.to_string();
    rewrite
        .rules
        .by_field
        .iter()
        .find(|((ty, property), (rule, _))| {
            ty == type_name && *rule == Rule::Nullable && field_ident(property) == ident
        })
        .map(|((_, property), _)| property.clone())
}

/// The Rust field name typify gives a property.
fn field_ident(property: &str) -> String {
    heck::ToSnakeCase::to_snake_case(property)
}

/// The JSON name of a model field: its serde rename, or its identifier.
fn property_name(field: &Field) -> String {
    crate::docs::serde_name(&field.attrs).unwrap_or_else(|| {
        field
            .ident
            .as_ref()
            .map(|ident| ident.to_string().trim_start_matches("r#").to_owned())
            .unwrap_or_default()
    })
}

/// `T` of the generated `Nullable<T>`.
pub(crate) fn nullable_inner(ty: &syn::Type) -> Option<&syn::Type> {
    generic_argument(ty, NULLABLE)
}

/// `T` of `::std::option::Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    generic_argument(ty, "Option")
}

/// `T` of a path type `…::Name<T>`.
fn generic_argument<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// Replaces the first `Option<T>` inside `ty` (e.g. `Result<Option<T>, String>`) with
/// `super::Nullable<T>`, the model type as the builder module names it.
fn replace_option(ty: &mut syn::Type) {
    struct Replace(bool);
    impl syn::visit_mut::VisitMut for Replace {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if self.0 {
                return;
            }
            if let Some(inner) = option_inner(ty).cloned() {
                *ty = parse_quote!(super::Nullable<#inner>);
                self.0 = true;
                return;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Replace(false), ty);
}

fn replace_option_in_predicate(predicate: &mut syn::WherePredicate) {
    let syn::WherePredicate::Type(predicate) = predicate else {
        return;
    };
    for bound in &mut predicate.bounds {
        let syn::TypeParamBound::Trait(bound) = bound else {
            continue;
        };
        let Some(last) = bound.path.segments.last_mut() else {
            continue;
        };
        if last.ident != "TryInto" {
            continue;
        }
        if let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments {
            for argument in &mut arguments.args {
                if let syn::GenericArgument::Type(ty) = argument {
                    replace_option(ty);
                }
            }
        }
    }
}

/// Replaces the `#[serde(...)]` keys named in `drop` with `add`, keeping the rest.
fn set_serde(field: &mut Field, drop: &[&str], add: TokenStream) {
    let mut kept: Vec<Meta> = Vec::new();
    field.attrs.retain(|attr| {
        if !attr.path().is_ident("serde") {
            return true;
        }
        if let Ok(list) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            kept.extend(
                list.into_iter()
                    .filter(|meta| !drop.iter().any(|key| meta.path().is_ident(key))),
            );
        }
        false
    });
    let kept = kept.iter();
    field.attrs.push(parse_quote!(#[serde(#(#kept,)* #add)]));
}

/// The generated `Nullable<T>` with its serde impls and the schema impl of its side.
fn definition(side: Side) -> Vec<Item> {
    let schema_impl = match side {
        Side::Client => quote! {
            impl<T: ::schemars::JsonSchema> ::schemars::JsonSchema for Nullable<T> {
                fn schema_name() -> ::std::string::String {
                    <::std::option::Option<T> as ::schemars::JsonSchema>::schema_name()
                }
                fn is_referenceable() -> bool {
                    false
                }
                fn json_schema(
                    generator: &mut ::schemars::gen::SchemaGenerator,
                ) -> ::schemars::schema::Schema {
                    <::std::option::Option<T> as ::schemars::JsonSchema>::json_schema(generator)
                }
            }
        },
        // The server's fields state their schema with `#[schema(value_type = Option<T>)]`;
        // the runtime's checks build the type through its `ThreeState` trait.
        Side::Server(runtime) => {
            let runtime: syn::Path = syn::parse_str(runtime).expect("the runtime is a path");
            quote! {
                impl<T> #runtime::ThreeState<T> for Nullable<T> {
                    fn null() -> Self {
                        Nullable::Null
                    }
                    fn value(value: T) -> Self {
                        Nullable::Value(value)
                    }
                }
            }
        }
    };
    let file: syn::File = parse_quote! {
        /// A property that may be left out, sent as `null`, or given a value: three
        /// states, where `Option` has two. Generated for the spec's optional, `nullable`
        /// properties, whose descriptions say what `null` does.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
        pub enum Nullable<T> {
            /// Left out of the JSON object.
            #[default]
            Absent,
            /// Sent as `null`.
            Null,
            /// Sent with a value.
            Value(T),
        }
        impl<T> ::std::convert::From<T> for Nullable<T> {
            fn from(value: T) -> Self {
                Nullable::Value(value)
            }
        }
        impl<T> Nullable<T> {
            /// Whether the property was left out.
            pub fn is_absent(&self) -> bool {
                matches!(self, Nullable::Absent)
            }
            /// Whether the property was sent as `null`.
            pub fn is_null(&self) -> bool {
                matches!(self, Nullable::Null)
            }
            /// The value, if one was given.
            pub fn value(&self) -> ::std::option::Option<&T> {
                match self {
                    Nullable::Value(value) => ::std::option::Option::Some(value),
                    _ => ::std::option::Option::None,
                }
            }
            /// Borrows the value, keeping the state.
            pub fn as_ref(&self) -> Nullable<&T> {
                match self {
                    Nullable::Absent => Nullable::Absent,
                    Nullable::Null => Nullable::Null,
                    Nullable::Value(value) => Nullable::Value(value),
                }
            }
            /// Maps the value, keeping the state.
            pub fn map<U, F: ::std::ops::FnOnce(T) -> U>(self, f: F) -> Nullable<U> {
                match self {
                    Nullable::Absent => Nullable::Absent,
                    Nullable::Null => Nullable::Null,
                    Nullable::Value(value) => Nullable::Value(f(value)),
                }
            }
        }
        impl<T: ::serde::Serialize> ::serde::Serialize for Nullable<T> {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    // Left out by `skip_serializing_if`; `null` if serialised on its own.
                    Nullable::Absent | Nullable::Null => serializer.serialize_none(),
                    Nullable::Value(value) => serializer.serialize_some(value),
                }
            }
        }
        impl<'de, T: ::serde::Deserialize<'de>> ::serde::Deserialize<'de> for Nullable<T> {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // A missing property never gets here: `#[serde(default)]` makes it `Absent`.
                ::std::option::Option::<T>::deserialize(deserializer)
                    .map(|value| value.map_or(Nullable::Null, Nullable::Value))
            }
        }
        #schema_impl
    };
    file.items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> OpenAPI {
        serde_yaml_ng::from_str(yaml).expect("spec")
    }

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths: {}
components:
  schemas:
    Status:
      type: integer
      nullable: true
    Change:
      type: object
      required: [id]
      properties:
        id: {type: string, nullable: true}
        name: {type: string, nullable: true}
        count: {type: integer}
        status: {$ref: '#/components/schemas/Status'}
        inner:
          type: object
          properties:
            note: {type: string, nullable: true}
"#;

    #[test]
    fn reads_the_rule_of_every_optional_property() {
        let rules = Rules::of(&spec(SPEC));
        let rule = |ty: &str, p: &str| {
            rules
                .by_field
                .get(&(ty.to_owned(), p.to_owned()))
                .map(|(rule, _)| *rule)
        };
        assert_eq!(
            rule("Change", "id"),
            None,
            "required: not this pass's business"
        );
        assert_eq!(rule("Change", "name"), Some(Rule::Nullable));
        assert_eq!(rule("Change", "count"), Some(Rule::NotNull));
        assert_eq!(
            rule("Change", "status"),
            Some(Rule::Nullable),
            "through a $ref"
        );
        assert_eq!(rule("ChangeInner", "note"), Some(Rule::Nullable));
        assert_eq!(
            rules.by_field[&("Change".to_owned(), "name".to_owned())].1,
            "#/components/schemas/Change/properties/name"
        );
    }

    #[test]
    fn a_field_the_generated_code_lacks_is_an_error_at_its_location() {
        let rules = Rules::of(&spec(SPEC));
        let mut file: syn::File = parse_quote! {
            pub mod types {
                pub struct Change {
                    pub id: ::std::option::Option<String>,
                    pub count: ::std::option::Option<i64>,
                }
            }
        };
        let error = rules
            .apply(&mut file, Side::Client)
            .expect_err("`name` is missing");
        assert!(
            error
                .to_string()
                .contains("#/components/schemas/Change/properties/"),
            "{error}"
        );
    }

    #[test]
    fn rewrites_models_and_builders() {
        let rules = Rules::of(&spec(
            r#"
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths: {}
components:
  schemas:
    Change:
      type: object
      properties:
        name: {type: string, nullable: true}
        count: {type: integer}
"#,
        ));
        let mut file: syn::File = parse_quote! {
            pub mod types {
                pub struct Change {
                    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                    pub name: ::std::option::Option<String>,
                    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                    pub count: ::std::option::Option<i64>,
                }
                pub mod builder {
                    pub struct Change {
                        name: Result<::std::option::Option<String>, String>,
                        count: Result<::std::option::Option<i64>, String>,
                    }
                    impl Change {
                        pub fn name<T>(mut self, value: T) -> Self
                        where T: ::std::convert::TryInto<::std::option::Option<String>> { self }
                        pub fn count<T>(mut self, value: T) -> Self
                        where T: ::std::convert::TryInto<::std::option::Option<i64>> { self }
                    }
                }
            }
        };
        rules
            .apply(&mut file, Side::Server("::rt"))
            .expect("applies");
        let text = file.to_token_stream().to_string();
        assert!(text.contains("pub name : Nullable < String >"), "{text}");
        assert!(
            text.contains("skip_serializing_if = \"Nullable::is_absent\""),
            "{text}"
        );
        assert!(
            text.contains("deserialize_with = \"::rt::not_null\""),
            "{text}"
        );
        assert!(
            text.contains("name : Result < super :: Nullable < String > , String >"),
            "{text}"
        );
        assert!(
            text.contains("TryInto < super :: Nullable < String > >"),
            "{text}"
        );
        assert!(
            text.contains("count : Result < :: std :: option :: Option < i64 > , String >"),
            "{text}"
        );
        assert!(text.contains("pub enum Nullable"), "{text}");
    }
}
