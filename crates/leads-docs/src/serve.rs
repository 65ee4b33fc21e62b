//! The site under `/docs`, as an axum router.

use std::sync::LazyLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::pages;
use crate::site::{site_files, SiteFile};

/// The pages, built once: the reference at `/docs` (assets under `docs/`), the landing
/// page without the crate-docs links (the server does not serve rustdoc), then the files
/// of the static site under `/docs/`.
static SERVED: LazyLock<Served> = LazyLock::new(|| Served {
    reference: pages::reference_page("docs/"),
    landing: pages::landing_page(false),
    files: site_files(),
});

struct Served {
    reference: String,
    landing: String,
    files: Vec<SiteFile>,
}

/// The API reference and its assets under `/docs`, for merging into a server's router:
///
/// * `/docs`: the Redoc reference, with the spec embedded;
/// * `/docs/` and `/docs/index.html`: a landing page linking the reference and the raw spec;
/// * `/docs/reference.html`, `/docs/openapi.yaml`, `/docs/openapi.json`, `/docs/assets/…`.
///
/// Every page sends a same-origin `Content-Security-Policy`, so a browser refuses anything
/// from elsewhere even if a future Redoc tried. No route needs credentials.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let served = &*SERVED;
    let mut router = Router::new()
        .route(
            "/docs",
            get(|| async { page(pages_ct(), &SERVED.reference) }),
        )
        .route(
            "/docs/",
            get(|| async { page(pages_ct(), &SERVED.landing) }),
        )
        .route(
            "/docs/index.html",
            get(|| async { page(pages_ct(), &SERVED.landing) }),
        );
    for file in &served.files {
        if file.path == "index.html" {
            continue;
        }
        let path = format!("/docs/{}", file.path);
        router = router.route(
            &path,
            get(move || async move { page(file.content_type, file.body.as_ref()) }),
        );
    }
    router
}

fn pages_ct() -> &'static str {
    "text/html; charset=utf-8"
}

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CONTENT_SECURITY_POLICY, pages::CSP),
        ],
        body,
    )
}
