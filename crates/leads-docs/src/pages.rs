//! The HTML pages, built from the templates in `templates/` and the embedded spec.

/// The Redoc release vendored in `assets/`. `cargo xtask docs --update-renderer` fetches
/// exactly this version from the npm registry; change it there to upgrade.
pub const REDOC_VERSION: &str = "2.5.4";

/// Redoc's standalone bundle with the offline patches applied (by the build script).
pub const REDOC_BUNDLE: &str = include_str!(concat!(env!("OUT_DIR"), "/redoc.offline.js"));

/// Redoc's licence (MIT), shipped next to the bundle.
pub(crate) const REDOC_LICENSE: &str = include_str!("../assets/redoc.LICENSE");

/// The licences of the third-party code inside the bundle, as published with it.
pub(crate) const REDOC_THIRD_PARTY: &str =
    include_str!("../assets/redoc.standalone.js.LICENSE.txt");

/// The script that hands the embedded spec to Redoc.
pub(crate) const INIT_SCRIPT: &str = include_str!("../assets/leads-docs.js");

const REFERENCE_TEMPLATE: &str = include_str!("../templates/reference.html");
const LANDING_TEMPLATE: &str = include_str!("../templates/index.html");

/// The crates whose rustdoc the static site's landing page links, as
/// `(crate name, one-line role)`; `cargo doc` writes them to `target/doc/<name>/`.
pub const CRATE_DOCS: &[(&str, &str)] = &[
    (
        "leads_client",
        "the typed async client, generated from the spec",
    ),
    (
        "leads_api",
        "the server trait, models and validating router",
    ),
    ("leads_docs", "this site, as files or as an axum router"),
];

/// Same-origin only: a second line of defence behind the vendored bundle and the grep
/// test. Styles are inline because Redoc injects them; its search runs in a `blob:` worker.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; \
     object-src 'none'; base-uri 'none'; form-action 'none'";

/// The Redoc page. `prefix` leads from the page's URL to the site's root folder: empty for
/// `reference.html`, `docs/` for the page served at `/docs`.
pub(crate) fn reference_page(prefix: &str) -> String {
    // `<` never occurs in JSON outside strings, and `\u003c` means the same inside them, so
    // the spec cannot close the script element early.
    let spec = crate::SPEC_JSON.replace('<', "\\u003c");
    fill(REFERENCE_TEMPLATE)
        .replace("{{spec_json}}", &spec)
        .replace("{{prefix}}", prefix)
}

/// The landing page. The static site links the crate docs beside it; the server, which
/// does not serve them, leaves the section out.
pub(crate) fn landing_page(crate_docs: bool) -> String {
    let section = if crate_docs {
        let items: String = CRATE_DOCS
            .iter()
            .map(|(name, role)| {
                format!(
                    "  <li><a href=\"../doc/{name}/index.html\"><code>{}</code></a>: {}.</li>\n",
                    name.replace('_', "-"),
                    escape(role)
                )
            })
            .collect();
        format!(
            "<h2>Rust crates</h2>\n<ul>\n{items}</ul>\n\
             <p>Built with <code>cargo xtask docs</code> into <code>target/doc/</code>.</p>"
        )
    } else {
        String::new()
    };
    fill(LANDING_TEMPLATE).replace("{{crate_docs}}", &section)
}

fn fill(template: &str) -> String {
    template
        .replace("{{csp}}", CSP)
        .replace("{{title}}", &escape(crate::info::TITLE))
        .replace("{{version}}", &escape(crate::info::VERSION))
        .replace("{{summary}}", &escape(crate::info::SUMMARY))
        .replace("{{redoc_version}}", REDOC_VERSION)
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn every_template_placeholder_is_filled() {
        for page in [
            reference_page(""),
            reference_page("docs/"),
            landing_page(true),
        ] {
            assert!(!page.contains("{{"), "unfilled placeholder in {page:.200}");
        }
    }

    #[test]
    fn the_served_reference_page_reaches_its_assets_under_docs() {
        let page = reference_page("docs/");
        assert!(page.contains(r#"src="docs/assets/redoc.standalone.js""#));
        assert!(page.contains(r#"src="docs/assets/leads-docs.js""#));
    }

    #[test]
    fn the_vendored_bundle_is_patched() {
        assert!(!REDOC_BUNDLE.contains("cdn.redoc.ly"));
    }
}
