//! Typed [httpmock] mocks of the Tiledesk leads API, for testing code built on
//! [`leads_client`].
//!
//! The mocks are generated at build time by progenitor's httpmock generator from the
//! OpenAPI document this crate ships, `openapi/leads.yaml`, with the client's settings:
//! [`MockServerExt`] gives `httpmock::MockServer` one method per operation, whose `when`
//! matches the operation's method and path and offers a typed matcher per parameter and
//! body, and whose `then` offers one typed answer per documented status
//! (`ok(&Lead)`, `not_found(&Error)`, ...). A mock that the spec no longer allows stops
//! compiling.
//!
//! Point the client at [`MockServer::base_url`](httpmock::MockServer::base_url): the
//! mocks match the spec's paths as they are, without the `/v1` of a real deployment.
//!
//! # Example: a service's test, with the lead missing
//!
//! ```
//! use leads_client::{types, Client};
//! use leads_client_mock::httpmock::MockServer;
//! use leads_client_mock::MockServerExt;
//!
//! /// The service under test: a lead's display name, or `None` when there is no such lead.
//! async fn display_name(
//!     client: &Client,
//!     project: &str,
//!     id: &str,
//! ) -> Result<Option<String>, leads_client::Error<types::Error>> {
//!     match client.get_lead().project_id(project).id(id).send().await {
//!         Ok(lead) => Ok(Some(lead.fullname.clone().unwrap_or_else(|| lead.lead_id.clone()))),
//!         Err(error) if error.status().is_some_and(|s| s.as_u16() == 404) => Ok(None),
//!         Err(error) => Err(error),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let project: types::ObjectId = "5b55e806c93dde00143163dd".parse().unwrap();
//! let id: types::ObjectId = "5c81593adf767b0017d1aa66".parse().unwrap();
//! let server = MockServer::start_async().await;
//! let get_lead = server.get_lead(|when, then| {
//!     when.project_id(&project).id(&id);
//!     then.not_found(&types::Error {
//!         success: false,
//!         msg: "Object not found.".to_owned(),
//!     });
//! });
//!
//! let client = Client::with_basic_auth(&server.base_url(), "agent@example.com", "secret").unwrap();
//! let name = display_name(&client, &project, &id).await.expect("a 404 is not an error");
//!
//! assert_eq!(name, None);
//! get_lead.assert_async().await; // The service asked once, for that lead.
//! # }
//! ```
//!
//! `generated.rs` beside this crate's manifest is a committed copy of the generated code,
//! for review; a test fails when it is stale, and `cargo xtask codegen` refreshes it.
//!
//! [httpmock]: https://docs.rs/httpmock
#![deny(missing_docs)]

/// The mock server, re-exported so that tests use the version the mocks are generated for.
pub use httpmock;

/// The generated mocks.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/leads_client_mock.rs"));
}

pub use generated::*;
