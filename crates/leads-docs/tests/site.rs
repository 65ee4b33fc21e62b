//! The written site and the router: offline, complete, and the same pages.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// Every operation of the spec as `(operationId, summary)`, read independently of the crate.
fn operations() -> Vec<(String, String)> {
    let spec_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/leads.yaml");
    let text = std::fs::read_to_string(spec_file).expect("spec readable");
    let spec: serde_json::Value = serde_yaml_ng::from_str(&text).expect("spec parses");
    let mut out = Vec::new();
    for (_, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.push((
                    op["operationId"].as_str().expect("operationId").to_owned(),
                    op["summary"].as_str().expect("summary").to_owned(),
                ));
            }
        }
    }
    assert!(
        out.len() >= 12,
        "the spec has fewer operations than expected"
    );
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// The absolute URLs the spec documents (servers, contact, licence): text, never loaded.
fn spec_urls() -> Vec<String> {
    let spec: serde_json::Value = serde_json::from_str(leads_docs::SPEC_JSON).expect("json");
    let mut urls: Vec<String> = spec["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["url"].as_str().expect("url").to_owned())
        .collect();
    urls.push(
        spec["info"]["contact"]["url"]
            .as_str()
            .expect("contact")
            .to_owned(),
    );
    urls.push(
        spec["info"]["license"]["url"]
            .as_str()
            .expect("license")
            .to_owned(),
    );
    urls
}

#[test]
fn no_file_of_the_written_site_loads_anything_from_the_network() {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = leads_docs::write_site(dir.path()).expect("site written");
    let mut files = Vec::new();
    walk(dir.path(), &mut files);
    assert_eq!(files.len(), written.len(), "write_site reports every file");
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("site files are text");
        for load in leads_docs::remote_loads(&text) {
            problems.push(format!("{}: …{}…", file.display(), load.excerpt));
        }
    }
    assert!(
        problems.is_empty(),
        "remote loads:\n{}",
        problems.join("\n")
    );

    // The spec's own URLs are there, as text only: the raw documents carry no other.
    for name in ["openapi.yaml", "openapi.json"] {
        let text = std::fs::read_to_string(dir.path().join(name)).expect("spec file");
        let allowed = spec_urls();
        for (offset, _) in text.match_indices("://") {
            let start = text[..offset]
                .rfind(|c: char| c.is_whitespace() || c == '"')
                .map_or(0, |i| i + 1);
            let end = offset
                + text[offset..]
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(text.len() - offset);
            let url = &text[start..end];
            assert!(
                allowed.iter().any(|a| a == url),
                "{name} holds {url}, which is not one of the spec's documented URLs"
            );
        }
    }
}

#[test]
fn the_grep_would_catch_the_unpatched_bundle() {
    let upstream = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/redoc.standalone.js"),
    )
    .expect("vendored bundle");
    let loads = leads_docs::remote_loads(&upstream);
    assert!(
        loads.iter().any(|l| l.excerpt.contains("cdn.redoc.ly")),
        "the upstream bundle loads its logo from a CDN; the detector must see it: {loads:?}"
    );
    let patched = leads_docs::offline_bundle(&upstream).expect("patches apply");
    assert_eq!(patched, leads_docs::REDOC_BUNDLE);
    assert!(leads_docs::remote_loads(&patched).is_empty());
}

/// The spec Redoc receives, taken out of the reference page the way the page's script does.
fn embedded_spec(page: &str) -> serde_json::Value {
    let open = r#"<script id="leads-spec" type="application/json">"#;
    let start = page.find(open).expect("spec element") + open.len();
    let end = start
        + page[start..]
            .find("</script>")
            .expect("end of spec element");
    serde_json::from_str(&page[start..end]).expect("embedded spec is JSON")
}

#[test]
fn redoc_receives_every_operation_and_its_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    leads_docs::write_site(dir.path()).expect("site written");
    let page = std::fs::read_to_string(dir.path().join("reference.html")).expect("page");
    let spec = embedded_spec(&page);

    let yaml: serde_json::Value =
        serde_yaml_ng::from_str(leads_docs::SPEC_YAML).expect("yaml parses");
    assert_eq!(spec, yaml, "the embedded spec is the YAML document, whole");

    let mut embedded = Vec::new();
    for (_, item) in spec["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("item") {
            if let Some(summary) = op.get("summary").and_then(|s| s.as_str()) {
                embedded.push(summary.to_owned());
            }
        }
    }
    for (id, summary) in operations() {
        assert!(
            embedded.contains(&summary),
            "{id}: summary {summary:?} missing"
        );
    }
    assert!(page.contains(r#"<script src="assets/redoc.standalone.js"></script>"#));
}

#[test]
fn the_landing_page_links_the_reference_the_raw_spec_and_the_crate_docs() {
    let dir = tempfile::tempdir().expect("temp dir");
    leads_docs::write_site(dir.path()).expect("site written");
    let index = std::fs::read_to_string(dir.path().join("index.html")).expect("index");
    for link in [
        "reference.html",
        "openapi.yaml",
        "openapi.json",
        "../doc/leads_client/index.html",
        "../doc/leads_api/index.html",
    ] {
        assert!(
            index.contains(&format!("href=\"{link}\"")),
            "no link to {link}"
        );
    }
    for file in [
        "reference.html",
        "openapi.yaml",
        "openapi.json",
        "assets/redoc.LICENSE",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} not written");
    }
}

async fn get(uri: &str) -> (StatusCode, String, String) {
    let app: axum::Router = leads_docs::router();
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[tokio::test]
async fn the_router_serves_the_reference_at_docs_with_reachable_assets() {
    let (status, content_type, page) = get("/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(leads_docs::remote_loads(&page).is_empty());
    let spec = embedded_spec(&page);
    assert_eq!(spec["info"]["title"], "Tiledesk Leads API");
    // Relative to `/docs`, `docs/assets/x` is `/docs/assets/x`.
    for asset in ["assets/redoc.standalone.js", "assets/leads-docs.js"] {
        assert!(page.contains(&format!("src=\"docs/{asset}\"")));
        let (status, content_type, _) = get(&format!("/docs/{asset}")).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(content_type.starts_with("text/javascript"), "{asset}");
    }
}

#[tokio::test]
async fn the_router_serves_every_file_of_the_site() {
    for file in leads_docs::site_files() {
        let (status, content_type, body) = get(&format!("/docs/{}", file.path)).await;
        assert_eq!(status, StatusCode::OK, "{}", file.path);
        assert_eq!(content_type, file.content_type, "{}", file.path);
        if file.path != "index.html" {
            assert_eq!(body, file.body, "{}", file.path);
        }
    }
    let (status, _, landing) = get("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(landing.contains("href=\"reference.html\""));
    assert!(
        !landing.contains("../doc/"),
        "the server does not serve rustdoc"
    );
}
