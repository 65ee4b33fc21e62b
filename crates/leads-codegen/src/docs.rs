//! Fills in the doc comments that progenitor and typify leave out.
//!
//! The client crate denies `missing_docs`, so that every public item a user meets has a
//! line of documentation. progenitor documents operations and typify documents schemas,
//! but builder setters, enum variants and `$ref` fields come out bare; this pass gives each
//! a short, mechanical description derived from its name.

use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Fields, ImplItemFn, ItemEnum, ItemImpl, ItemStruct, Visibility};

/// Adds a doc comment to every public item of `file` that has none.
pub fn fill_missing(file: &mut syn::File) {
    DocFiller { impl_of: None }.visit_file_mut(file);
}

struct DocFiller {
    /// The type whose `impl` block is being visited.
    impl_of: Option<String>,
}

impl VisitMut for DocFiller {
    fn visit_item_struct_mut(&mut self, item: &mut ItemStruct) {
        if is_public(&item.vis) {
            add_doc(&mut item.attrs, || format!("`{}`.", item.ident));
        }
        if let Fields::Named(fields) = &mut item.fields {
            for field in &mut fields.named {
                if is_public(&field.vis) {
                    let name = serde_name(&field.attrs).unwrap_or_else(|| {
                        field
                            .ident
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    });
                    let ty = field.ty.to_token_stream().to_string().replace(' ', "");
                    add_doc(&mut field.attrs, || format!("The `{name}` field (`{ty}`)."));
                }
            }
        }
        visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut ItemEnum) {
        if is_public(&item.vis) {
            add_doc(&mut item.attrs, || format!("`{}`.", item.ident));
        }
        for variant in &mut item.variants {
            let name = serde_name(&variant.attrs).unwrap_or_else(|| variant.ident.to_string());
            add_doc(&mut variant.attrs, || format!("`{name}`."));
        }
        visit_mut::visit_item_enum_mut(self, item);
    }

    fn visit_item_impl_mut(&mut self, item: &mut ItemImpl) {
        let outer = self
            .impl_of
            .replace(item.self_ty.to_token_stream().to_string());
        visit_mut::visit_item_impl_mut(self, item);
        self.impl_of = outer;
    }

    fn visit_impl_item_fn_mut(&mut self, item: &mut ImplItemFn) {
        fix_lists(&mut item.attrs);
        if is_public(&item.vis) {
            let name = item.sig.ident.to_string();
            let owner = self.impl_of.clone().unwrap_or_default();
            add_doc(&mut item.attrs, || match name.as_str() {
                "builder" => format!("Starts a builder for `{owner}`."),
                "new" => format!("Creates an empty `{owner}`."),
                "send" => "Sends the request.".to_owned(),
                _ => format!("Sets `{name}`."),
            });
        }
        visit_mut::visit_impl_item_fn_mut(self, item);
    }
}

/// Indents the continuation lines of `- item` paragraphs.
///
/// progenitor lists an operation's arguments as `- name: description` and wraps long
/// descriptions without indenting them, which markdown (and clippy) read as the end of the
/// list item.
fn indent_list_continuations(text: &str) -> Option<String> {
    let mut changed = false;
    let mut in_item = false;
    let mut lines = Vec::new();
    for line in text.split('\n') {
        if line.starts_with("- ") {
            in_item = true;
            lines.push(line.to_owned());
        } else if line.trim().is_empty() || line.starts_with("```") {
            in_item = false;
            lines.push(line.to_owned());
        } else if in_item && !line.starts_with(' ') {
            changed = true;
            lines.push(format!("  {line}"));
        } else {
            lines.push(line.to_owned());
        }
    }
    changed.then(|| lines.join("\n"))
}

/// Rewrites the doc attributes of `attrs` with [`indent_list_continuations`].
fn fix_lists(attrs: &mut [Attribute]) {
    for attr in attrs.iter_mut().filter(|attr| attr.path().is_ident("doc")) {
        let syn::Meta::NameValue(meta) = &attr.meta else {
            continue;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &meta.value
        else {
            continue;
        };
        if let Some(fixed) = indent_list_continuations(&text.value()) {
            *attr = syn::parse_quote!(#[doc = #fixed]);
        }
    }
}

fn is_public(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn has_doc(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("doc"))
}

fn add_doc(attrs: &mut Vec<Attribute>, text: impl FnOnce() -> String) {
    if !has_doc(attrs) {
        let text = text();
        attrs.insert(0, syn::parse_quote!(#[doc = #text]));
    }
}

/// The name in `#[serde(rename = "...")]`, which is the spec's spelling.
pub(crate) fn serde_name(attrs: &[Attribute]) -> Option<String> {
    let mut name = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                name = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    name
}
