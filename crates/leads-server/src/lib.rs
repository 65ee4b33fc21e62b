//! The reference server of the Tiledesk leads API, on SQLite or PostgreSQL.

pub mod store;
