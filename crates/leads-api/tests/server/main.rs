//! The generated router over a real socket, with an in-memory backend, driven by the
//! generated client and, for requests the client cannot make, by reqwest.

mod memory;
mod rejections;
mod round_trip;

use std::sync::Arc;

use leads_api::LeadsApi;

/// The project every test lead lives in.
pub const PROJECT: &str = "5b55e806c93dde00143163dd";
/// Another project, whose leads must stay invisible.
pub const OTHER_PROJECT: &str = "5b55e806c93dde00143163de";
/// The test user's email and password.
pub const EMAIL: &str = "agent@example.com";
pub const PASSWORD: &str = "secret";
/// The token `signin` hands out.
pub const TOKEN: &str = "token-1";

/// Serves `api` on 127.0.0.1 on a free port; returns the base URL.
pub async fn serve(api: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, api).await });
    format!("http://{address}")
}

/// The in-memory backend behind `Arc<dyn LeadsApi>`, which also proves the trait is object safe.
pub async fn serve_memory() -> String {
    let api: Arc<dyn LeadsApi<Principal = memory::Caller>> = Arc::new(memory::Memory::default());
    serve(leads_api::router(api)).await
}

/// A client that signs every request with HTTP Basic.
pub fn client(base: &str) -> leads_client::Client {
    leads_client::Client::with_basic_auth(base, EMAIL, PASSWORD).expect("client")
}
