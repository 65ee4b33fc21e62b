//! What the server needs to know about a caller on every request, and what the operational
//! commands and endpoints read: credential versions, idempotency keys, pool figures.

use super::model::Role;

/// A user's standing in one project, read in one query on every authorised request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The user's current credential version; a token or cached verification of another
    /// version is refused.
    pub credential_version: i64,
    /// The user's role in the project; `None` when not a member.
    pub role: Option<Role>,
}

/// An idempotency key to record with a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key, as the caller sent it.
    pub key: String,
    /// A hash of the request body, so a reuse with another body can be told apart.
    pub fingerprint: String,
    /// The lead as first answered, as JSON: a record of the first answer. A retry is
    /// answered the lead as it is now (see [`StoredKey::lead`]); servers of earlier
    /// releases, during an upgrade, replay this.
    pub response: String,
    /// When the key was used, in milliseconds since the epoch.
    pub created_at: i64,
    /// Keys recorded before this instant (milliseconds) are expired: ignored and replaced.
    pub expired_before: i64,
}

/// A live idempotency key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The hash of the body it was first used with.
    pub fingerprint: String,
    /// The id of the lead it created, in the key's project: a retry is answered that
    /// lead as a read would find it now.
    pub lead: String,
}

/// What became of a create under an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedInsert {
    /// The lead and its key were written together.
    Inserted,
    /// The key was already live in the project; nothing was written.
    KeyTaken,
}

/// One connection pool's figures, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// The pool's name: `read` and `write` on SQLite, `main` on PostgreSQL.
    pub name: &'static str,
    /// Connections open.
    pub size: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}
