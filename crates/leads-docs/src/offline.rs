//! Finds references that would make a browser fetch something from another host.
//!
//! Used by the tests over every file of the site and by `cargo xtask docs`, so a renderer
//! update or a template edit that goes online is caught before anyone publishes it.

/// A spot in a text that would load something from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLoad {
    /// Byte offset in the text.
    pub offset: usize,
    /// The surrounding text, for the report.
    pub excerpt: String,
}

/// What loads a URL when it precedes it (after quotes and spaces are skipped), in HTML,
/// CSS and JavaScript (minified or not): `src="…"`, `{src:"…"}`, `import … from "…"`,
/// `import("…")`, `url(…)`, `@import "…"`, `importScripts(…)`, `fetch(…)`, `new Worker(…)`.
const LOADERS: &[&str] = &[
    "src=",
    "src:",
    "srcset=",
    "srcset:",
    "href=",
    "href:",
    "from",
    "import",
    "import(",
    "url(",
    "@import",
    "importscripts(",
    "fetch(",
    "worker(",
    "sharedworker(",
    "eventsource(",
    "websocket(",
    "poster=",
    "data=",
    "action=",
];

/// Resource hints that make a browser open connections or fetch ahead, whatever the URL:
/// reported when they follow `rel=` or `rel:` (`modulepreload` anywhere).
const HINTS: &[&str] = &["preconnect", "dns-prefetch", "prefetch", "preload"];

/// Loaders that take the URL as a quoted string literal (`from "…"`), never bare text, so
/// that prose such as "an idea from https://…" in a comment is not a load.
const QUOTED_ONLY: &[&str] = &["from", "import"];

/// Every remote load in `text`: an absolute `http://`, `https://` or protocol-relative `//`
/// URL in a loading position, and any `modulepreload`, `preconnect` or prefetch hint.
///
/// A plain link (`<a href>` in HTML, `createElement("a", {href})` in a bundle) is not a
/// load: it goes somewhere only when a reader clicks it. URLs that are mere text, such as
/// the spec's documented server URLs, are not in a loading position and are not reported.
pub fn remote_loads(text: &str) -> Vec<RemoteLoad> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for (offset, _) in lower.match_indices("modulepreload") {
        found.push(report(text, offset));
    }
    for (offset, _) in lower.match_indices("rel") {
        let rest = lower[offset + 3..].trim_start();
        let Some(value) = rest.strip_prefix(['=', ':']) else {
            continue;
        };
        let value =
            value.trim_start_matches(|c: char| matches!(c, '"' | '\'' | '`') || c.is_whitespace());
        if HINTS.iter().any(|hint| value.starts_with(hint)) {
            found.push(report(text, offset));
        }
    }
    for scheme in ["https://", "http://", "//"] {
        for (offset, _) in lower.match_indices(scheme) {
            if scheme == "//"
                && (lower[..offset].ends_with("http:") || lower[..offset].ends_with("https:"))
            {
                continue;
            }
            if let Some(loader) = loader_before(&lower, offset) {
                if scheme == "//" && !quoted_before(&lower, offset) {
                    // `//` outside a quoted URL is a comment or a path, not a URL.
                    continue;
                }
                if loader.starts_with("href") && in_anchor(&lower, offset) {
                    continue;
                }
                found.push(report(text, offset));
            }
        }
    }
    found.sort_by_key(|load| load.offset);
    found.dedup_by_key(|load| load.offset);
    found
}

/// The loader word just before `offset`, skipping quotes and whitespace.
fn loader_before(lower: &str, offset: usize) -> Option<&'static str> {
    let quoted = lower[..offset].ends_with(['"', '\'', '`']);
    let before = lower[..offset]
        .trim_end_matches(|c: char| matches!(c, '"' | '\'' | '`') || c.is_whitespace());
    if before.ends_with("new url(") {
        // The URL constructor parses; it does not fetch.
        return None;
    }
    LOADERS.iter().copied().find(|loader| {
        (quoted || !QUOTED_ONLY.contains(loader))
            && before.ends_with(loader)
            && (loader.starts_with(|c: char| !c.is_ascii_alphabetic())
                || !before[..before.len() - loader.len()].ends_with(|c: char| {
                    c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-'
                }))
    })
}

fn quoted_before(lower: &str, offset: usize) -> bool {
    lower[..offset].ends_with(['"', '\'', '`', '(', '='])
}

/// Whether the `href` at `offset` belongs to an anchor: the nearest element opened before
/// it, within the same tag or `createElement` call, is `<a` or `createElement("a"`.
fn in_anchor(lower: &str, offset: usize) -> bool {
    let start = offset.saturating_sub(300);
    let start = (start..offset)
        .find(|i| lower.is_char_boundary(*i))
        .unwrap_or(offset);
    let window = &lower[start..offset];
    let html = window.rfind('<').map(|i| {
        let tag = &window[i + 1..];
        !tag.contains('>')
            && (tag.starts_with("a ") || tag.starts_with("a\n") || tag.starts_with("a\t"))
    });
    let js = window.rfind("createelement(").map(|i| {
        let call = &window[i + "createelement(".len()..];
        !call.contains("createelement(") && (call.starts_with("\"a\"") || call.starts_with("'a'"))
    });
    match (window.rfind('<'), window.rfind("createelement(")) {
        (Some(h), Some(j)) if j > h => js.unwrap_or(false),
        (Some(_), _) => html.unwrap_or(false),
        (None, Some(_)) => js.unwrap_or(false),
        (None, None) => false,
    }
}

fn report(text: &str, offset: usize) -> RemoteLoad {
    let boundary = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = boundary(offset.saturating_sub(60));
    let end = boundary((offset + 80).min(text.len()));
    RemoteLoad {
        offset,
        excerpt: text[start..end].replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::remote_loads;

    #[test]
    fn finds_every_kind_of_remote_load() {
        for bad in [
            r#"<script src="https://cdn.example/redoc.js"></script>"#,
            r#"<script src=//cdn.example/redoc.js></script>"#,
            r#"<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">"#,
            r#"<link rel="modulepreload" href="/x.js">"#,
            r#"<link rel="preconnect" href="/">"#,
            r#"<link href="/" rel=dns-prefetch>"#,
            r#"n.createElement("link",{rel:"preload",href:"/font.woff2"})"#,
            r#"import { init } from "https://esm.example/redoc.js";"#,
            r#"import "https://esm.example/side-effect.js";"#,
            r#"const m = await import('https://esm.example/m.js');"#,
            r#"body { background: url(https://img.example/bg.png) }"#,
            r#"@import "http://fonts.example/font.css";"#,
            r#"n.createElement("img",{alt:"logo",src:"https://cdn.example/logo.svg"})"#,
            r#"fetch("https://telemetry.example/v1")"#,
            r#"importScripts("https://cdn.example/worker.js")"#,
            r#"<img srcset="https://img.example/a.png 2x">"#,
        ] {
            assert_eq!(remote_loads(bad).len(), 1, "missed: {bad}");
        }
    }

    #[test]
    fn leaves_links_and_text_alone() {
        for good in [
            r#"<a href="https://github.com/Redocly/redoc">Redoc</a>"#,
            r#"n.createElement("a",{target:"_blank",rel:"noopener noreferrer",href:"https://redocly.com/redoc/"},"API docs")"#,
            r#"{"url":"https://api.tiledesk.com/v1","description":"Tiledesk cloud."}"#,
            r#"xmlns:"http://www.w3.org/2000/svg""#,
            r#"<script src="assets/redoc.standalone.js"></script>"#,
            r#"// a comment with a path // like this"#,
            r#"see https://example.com for details"#,
            r#"e.imports=1;var srcx="https://x""#,
            r#"r.parsed=new URL("https://"+n+e)"#,
            r#"// hide separator on new lines: idea from https://stackoverflow.com/a/1"#,
            r#"{integrity:{type:"string"},prefetch:{type:"string"},rel:{type:"string"}}"#,
        ] {
            assert_eq!(remote_loads(good), vec![], "flagged: {good}");
        }
    }
}
