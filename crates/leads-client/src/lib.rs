//! Client for the Tiledesk leads API.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/leads_client.rs"));
}
pub use generated::*;
