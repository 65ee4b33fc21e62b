//! The `small` fixture's trait, implemented in full: compiles and serves.

mod api {
    include!("../../../leads-codegen/tests/fixtures/small.rs");
}

include!("small_backend.rs");

fn main() {
    let _router: axum::Router = api::router(std::sync::Arc::new(Backend));
}
