//! The same backend against the `small_extra` fixture, which adds `ping`: no longer compiles.

mod api {
    include!("../../../leads-codegen/tests/fixtures/small_extra.rs");
}

include!("small_backend.rs");

fn main() {
    let _router: axum::Router = api::router(std::sync::Arc::new(Backend));
}
