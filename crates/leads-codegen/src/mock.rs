//! The mocks: progenitor's httpmock generator, for `leads-client-mock`.
//!
//! It runs with the client's settings, so the mocks' matchers and answers take the very
//! types the client sends and reads (`leads_client::types::…`), and a test that builds a
//! request or a response with them cannot drift from the spec.

use openapiv3::OpenAPI;
use quote::ToTokens;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};

use crate::client::{panic_message, settings};
use crate::CodegenError;

/// The path the generated mocks use to name the client crate.
pub const CLIENT_CRATE: &str = "leads_client";

/// Generates the mocks' source: a `MockServerExt` trait for `httpmock::MockServer` with one
/// method per operation, and per operation a `When` of typed matchers and a `Then` of
/// typed answers, one per documented status.
pub fn generate(spec: &OpenAPI) -> Result<String, CodegenError> {
    let mut generator = progenitor_impl::Generator::new(&settings());
    // progenitor asserts on some unsupported shapes; turn a panic into an error naming it.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.httpmock(spec, CLIENT_CRATE)
    }))
    .map_err(|panic| CodegenError::Client(panic_message(&panic)))?
    .map_err(|e| CodegenError::Client(e.to_string()))?;
    let mut file: syn::File = syn::parse2(tokens)?;
    RepeatedQuery.visit_file_mut(&mut file);
    EscapedPaths.visit_file_mut(&mut file);
    Documented(operations(spec)).visit_file_mut(&mut file);
    crate::finish(file.into_token_stream())
}

/// progenitor matches an array query parameter as one `to_string()` of the array, which
/// does not compile; the client sends it repeated (`tags=a&tags=b`, `explode: true`), so
/// the matcher requires each value, and an empty array requires the parameter absent.
struct RepeatedQuery;

impl VisitMut for RepeatedQuery {
    fn visit_impl_item_fn_mut(&mut self, method: &mut syn::ImplItemFn) {
        let takes_array = method
            .sig
            .generics
            .where_clause
            .as_ref()
            .is_some_and(|clause| clause.to_token_stream().to_string().contains(":: Vec <"));
        let calls_query_param = method
            .block
            .to_token_stream()
            .to_string()
            .contains("query_param");
        if let (true, true, Some(name)) = (takes_array, calls_query_param, first_str(&method.block))
        {
            method.block = syn::parse_quote!({
                match value.into() {
                    Some(values) if !values.is_empty() => Self(
                        values
                            .iter()
                            .fold(self.0, |when, value| when.query_param(#name, value.to_string())),
                    ),
                    _ => Self(self.0.query_param_missing(#name)),
                }
            });
        }
        visit_mut::visit_impl_item_fn_mut(self, method);
    }
}

/// progenitor builds a path parameter's matcher by pasting the value into a regular
/// expression; a value with `.` or `+` (a tag) would then match other paths, or none. The
/// value is escaped instead.
struct EscapedPaths;

impl VisitMut for EscapedPaths {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("format") {
            return;
        }
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        let Ok(mut args) = mac.parse_body_with(parser) else {
            return;
        };
        let is_path_pattern = matches!(
            args.first(),
            Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(pattern), .. }))
                if pattern.value().starts_with("^/")
        );
        if is_path_pattern {
            for arg in args.iter_mut().skip(1) {
                *arg = syn::parse_quote!(regex::escape(&#arg));
            }
            mac.tokens = args.into_token_stream();
        }
    }
}

/// What the docs and fixes need of one operation.
struct Operation {
    /// The `operationId`.
    id: String,
    /// A line naming it, its method, path and summary.
    line: String,
    /// The media type of its success body when that is not JSON, e.g. `text/csv`.
    raw_media: Option<String>,
}

/// Per operation, by the snake-case name of its `operationId`.
fn operations(spec: &OpenAPI) -> std::collections::BTreeMap<String, Operation> {
    let mut out = std::collections::BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, operation) in item.iter() {
            let Some(id) = &operation.operation_id else {
                continue;
            };
            let summary = operation.summary.clone().unwrap_or_default();
            let line = format!(
                "`{id}`, `{} {path}`: {summary}.",
                method.to_ascii_uppercase()
            );
            let raw_media = operation
                .responses
                .responses
                .iter()
                .filter(|(status, _)| status.to_string().starts_with('2'))
                .filter_map(|(_, response)| response.as_item())
                .flat_map(|response| response.content.keys())
                .find(|media| !media.contains("json"))
                .cloned();
            let operation = Operation {
                id: id.clone(),
                line,
                raw_media,
            };
            out.insert(heck::ToSnakeCase::to_snake_case(id.as_str()), operation);
        }
    }
    out
}

/// Documents what progenitor leaves bare: each method of `MockServerExt`, and each
/// operation's `When` and `Then`, with the operation they mock. A success body that is not
/// JSON, which progenitor answers as JSON, is answered as text of its own media type.
struct Documented(std::collections::BTreeMap<String, Operation>);

impl Documented {
    fn lookup(&self, rust_name: &str) -> Option<&Operation> {
        self.0.get(&heck::ToSnakeCase::to_snake_case(rust_name))
    }
}

impl VisitMut for Documented {
    fn visit_trait_item_fn_mut(&mut self, method: &mut syn::TraitItemFn) {
        if let Some(Operation { line, .. }) = self.lookup(&method.sig.ident.to_string()) {
            let doc = format!(" Mocks {line} `when` matches its requests, `then` sets the answer.");
            method.attrs.push(syn::parse_quote!(#[doc = #doc]));
        }
    }

    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        let name = item.ident.to_string();
        let doc = if let Some(operation) = name.strip_suffix("When") {
            self.lookup(operation).map(|Operation { id, .. }| {
                format!(" What a request to `{id}` must match: its method and path, and each matcher called.")
            })
        } else if let Some(operation) = name.strip_suffix("Then") {
            self.lookup(operation).map(|Operation { id, .. }| {
                format!(" How the mock of `{id}` answers: one method per documented status.")
            })
        } else {
            None
        };
        if let Some(doc) = doc {
            item.attrs.push(syn::parse_quote!(#[doc = #doc]));
        }
        visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let of = item.self_ty.to_token_stream().to_string();
        let raw_media = of
            .strip_suffix("Then")
            .and_then(|operation| self.lookup(operation))
            .and_then(|operation| operation.raw_media.clone());
        let side = if of.ends_with("When") {
            "When"
        } else if of.ends_with("Then") {
            "Then"
        } else {
            return;
        };
        for method in item.items.iter_mut() {
            let syn::ImplItem::Fn(method) = method else {
                continue;
            };
            let name = method.sig.ident.to_string();
            let takes_json_value = method
                .sig
                .inputs
                .to_token_stream()
                .to_string()
                .contains("serde_json :: Value");
            if let (Some(media), true, Some(status)) =
                (&raw_media, takes_json_value, first_int(&method.block))
            {
                let ident = &method.sig.ident;
                let doc = format!(" Answers {status} with `value` as the `{media}` body.");
                *method = syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #ident(self, value: &str) -> Self {
                        Self(self.0.status(#status).header("content-type", #media).body(value))
                    }
                };
                continue;
            }
            let doc = match (side, name.as_str()) {
                ("When", "new") => {
                    " Wraps httpmock's `When`, matching the operation's method and path.".to_owned()
                }
                ("Then", "new") => " Wraps httpmock's `Then`.".to_owned(),
                (_, "into_inner") => format!(
                    " httpmock's `{side}` inside, to match or answer beyond what the spec allows."
                ),
                ("When", _) if method.sig.generics.params.is_empty() => {
                    format!(" The request's `{name}` must be `value`.")
                }
                ("When", _) => {
                    format!(" The request's `{name}` must be `value`; `None`: it must be absent.")
                }
                _ => match first_int(&method.block) {
                    Some(status) => format!(" Answers {status} with `value` as the JSON body."),
                    None => continue,
                },
            };
            method.attrs.push(syn::parse_quote!(#[doc = #doc]));
        }
        visit_mut::visit_item_impl_mut(self, item);
    }
}

/// The first integer literal in `block`: the status an answer sets.
fn first_int(block: &syn::Block) -> Option<u16> {
    struct First(Option<u16>);
    impl<'ast> Visit<'ast> for First {
        fn visit_lit_int(&mut self, literal: &'ast syn::LitInt) {
            if self.0.is_none() {
                self.0 = literal.base10_parse().ok();
            }
        }
    }
    let mut first = First(None);
    first.visit_block(block);
    first.0
}

/// The first string literal in `block`: the parameter's name in the generated matcher.
fn first_str(block: &syn::Block) -> Option<syn::LitStr> {
    struct First(Option<syn::LitStr>);
    impl<'ast> Visit<'ast> for First {
        fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
            self.0.get_or_insert_with(|| literal.clone());
        }
    }
    let mut first = First(None);
    first.visit_block(block);
    first.0
}
