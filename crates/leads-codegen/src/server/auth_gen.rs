//! The `auth` module: `Credentials`, one variant per security scheme, read from the
//! `Authorization` header; and the `WWW-Authenticate` challenge naming every scheme.

use proc_macro2::TokenStream;
use quote::quote;

use super::ir::{Api, Scheme, SchemeKind};
use super::names::{doc, ident};

/// The `auth` module.
pub fn tokens(api: &Api) -> TokenStream {
    let runtime = super::runtime();
    let variants = api.schemes.iter().map(variant);
    let debug_arms = api.schemes.iter().map(|scheme| {
        let variant = ident(&scheme.variant);
        let name = &scheme.variant;
        match scheme.kind {
            SchemeKind::Basic => quote! {
                Self::#variant { username, .. } => f
                    .debug_struct(#name)
                    .field("username", username)
                    .field("password", &"<redacted>")
                    .finish()
            },
            SchemeKind::Token => {
                let text = format!("{name}(<redacted>)");
                quote!(Self::#variant(_) => f.write_str(#text))
            }
        }
    });
    let parsers = api.schemes.iter().map(|scheme| {
        let variant = ident(&scheme.variant);
        let word = &scheme.word;
        match scheme.kind {
            SchemeKind::Basic => quote! {
                if word.eq_ignore_ascii_case(#word) {
                    let (username, password) = #runtime::auth::basic(rest)?;
                    return Ok(Self::#variant { username, password });
                }
            },
            SchemeKind::Token => quote! {
                if word.eq_ignore_ascii_case(#word) {
                    return #runtime::auth::token(rest).map(Self::#variant);
                }
            },
        }
    });
    let realm: String = api
        .title
        .chars()
        .filter(|c| (c.is_ascii_graphic() || *c == ' ') && *c != '"' && *c != '\\')
        .collect();
    let challenge = api
        .schemes
        .iter()
        .map(|scheme| format!("{} realm=\"{realm}\"", scheme.word))
        .collect::<Vec<_>>()
        .join(", ");
    let words = api
        .schemes
        .iter()
        .map(|s| format!("`{}`", s.word))
        .collect::<Vec<_>>()
        .join(", ");
    let parse_doc = format!(
        " Reads credentials from an `Authorization` header value. The scheme word ({words}) is matched case-insensitively."
    );
    quote! {
        /// Credentials, as the security schemes of the spec define them.
        pub mod auth {
            pub use #runtime::Unauthenticated;

            /// The `WWW-Authenticate` challenge sent with every 401: one per security scheme.
            pub const WWW_AUTHENTICATE: &str = #challenge;

            /// The credentials of a request, read from its `Authorization` header: one
            /// variant per security scheme. `Debug` never prints a password or a token.
            #[derive(Clone, PartialEq, Eq)]
            pub enum Credentials {
                #(#variants),*
            }

            impl ::std::fmt::Debug for Credentials {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        #(#debug_arms),*
                    }
                }
            }

            impl Credentials {
                #[doc = #parse_doc]
                pub fn from_authorization(value: &str) -> ::std::result::Result<Self, Unauthenticated> {
                    let (word, rest) = #runtime::auth::split(value)?;
                    #(#parsers)*
                    Err(#runtime::auth::unknown_scheme())
                }
            }
        }
    }
}

fn variant(scheme: &Scheme) -> TokenStream {
    let name = ident(&scheme.variant);
    let mut text = format!("`{}`: ", scheme.key);
    text.push_str(match scheme.kind {
        SchemeKind::Basic => "`Authorization: Basic base64(username:password)`.",
        SchemeKind::Token => "",
    });
    if scheme.kind == SchemeKind::Token {
        text.push_str(&format!(
            "`Authorization: {} <token>`; holds the token.",
            scheme.word
        ));
    }
    if let Some(description) = &scheme.description {
        text.push_str("\n\n");
        text.push_str(description.trim());
    }
    let docs = doc(Some(&text));
    match scheme.kind {
        SchemeKind::Basic => quote! {
            #docs
            #name {
                /// The user name.
                username: ::std::string::String,
                /// The password.
                password: ::std::string::String,
            }
        },
        SchemeKind::Token => quote! {
            #docs
            #name(::std::string::String)
        },
    }
}
