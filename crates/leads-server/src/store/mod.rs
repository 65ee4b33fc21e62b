//! Storage: users, projects, memberships, leads and settings, on SQLite or PostgreSQL.
//!
//! [`Store`] is an enum over the two backends rather than a trait object: the set is
//! closed, and an enum keeps `async fn`s plain. Both backends keep the same rules:
//!
//! * every lead query is scoped by project id; a lead of another project is not found;
//! * nothing is upserted: edits and deletes of an unknown lead report `None`;
//! * every edit is a read-modify-write under the row's write lock, so concurrent tag
//!   appends and merges never lose each other's changes, and the rules (tag de-dup,
//!   shallow merge, revision bump) live once, in [`model::LeadEdit`];
//! * exports stream rows from the database through a bounded channel.

mod access;
mod free_form;
mod group_commit;
mod model;
mod object_id;
mod pg_batch;
mod pg_pool;
mod postgres;
mod query;
mod row;
mod sqlite;
mod stream;
pub mod text;

pub use access::{Access, KeyRecord, KeyedInsert, PoolStats, StoredKey};
pub use model::{
    After, Change, JsonObject, Lead, LeadChanges, LeadEdit, LeadPage, LeadQuery, Membership,
    NewLead, Project, Role, SortField, SortValue, Start, StatusFilter, UnknownRole, User,
    STATUS_DELETED, STATUS_NORMAL,
};
pub use object_id::{is_object_id, new_object_id};
pub use postgres::{PgStore, MIGRATION_LOCK};
pub use sqlite::SqliteStore;

use chrono::{DateTime, TimeZone, Utc};
use futures::stream::BoxStream;
use std::time::Duration;

/// A storage failure. The messages are for logs and operators, never for API callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An SQLite read failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A schema migration failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (e.g. malformed JSON).
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// Another account already has this email.
    #[error("an account with the email `{0}` already exists")]
    DuplicateEmail(String),
    /// No project has this id.
    #[error("no project has the id `{0}`")]
    UnknownProject(String),
    /// No user has this email or id.
    #[error("no user `{0}`")]
    UnknownUser(String),
    /// The transaction holding a batch of writes failed, so none of them was written.
    #[error("a batched write failed: {0}")]
    Batch(std::sync::Arc<sqlx::Error>),
    /// The database URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL; use sqlite://PATH or postgres://…")]
    UnsupportedUrl,
    /// The operation exists for the other backend only.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl StoreError {
    /// Whether the failure is transient: the pool had no connection free in time, the
    /// database was busy, unreachable or shutting down. Callers answer 503 and a retry
    /// may succeed; anything else is a fault.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(error) => is_transient(error),
            StoreError::Batch(error) => is_transient(error),
            StoreError::Sqlite(error) => matches!(
                error.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }

    /// Whether no connection was free within the acquire timeout.
    pub fn is_pool_timeout(&self) -> bool {
        match self {
            StoreError::Database(error) => matches!(error, sqlx::Error::PoolTimedOut),
            StoreError::Batch(error) => matches!(**error, sqlx::Error::PoolTimedOut),
            _ => false,
        }
    }
}

fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(e) => matches!(
            e.code().as_deref(),
            // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with or without an extended code.
            Some("5" | "6" | "261" | "262" | "517" | "518" | "773")
            // PostgreSQL: too many connections, shutting down, cannot connect now.
            | Some("53300" | "57P01" | "57P02" | "57P03")
        ),
        _ => false,
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// The most connections a pool opens (PostgreSQL's pool, SQLite's readers); the
    /// backend's default when `None`.
    pub max_connections: Option<u32>,
    /// How long a query waits for a free connection before it fails as transient.
    pub acquire_timeout: Duration,
    /// How much of an SQLite database file each reader maps into memory (0: none).
    ///
    /// Without a mapping, every page a read misses in its connection's 2 MB page cache
    /// is copied in by a `pread`: at a million leads, a list that visits thousands of
    /// rows spent most of its time in the kernel copying pages. Mapped, a read uses the
    /// operating system's page cache in place. The mapped pages count in the process's
    /// RSS (once per connection that touched them) though they are the page cache, shared
    /// and reclaimable. SQLite caps the size at its compile-time maximum, 2 GiB unless
    /// built with a larger `SQLITE_MAX_MMAP_SIZE` (this workspace's `.cargo/config.toml`
    /// sets 1 TiB); the file is never truncated while open (no `VACUUM`, no auto-vacuum),
    /// which is what would make a mapped read fault.
    pub sqlite_map_bytes: u64,
}

/// The SQLite mapping unless configured: 64 GiB of address space, so that a large
/// project's whole file is mapped (SQLite maps no more than the file holds).
pub const SQLITE_MAP_BYTES: u64 = 64 << 30;

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: None,
            acquire_timeout: Duration::from_secs(5),
            sqlite_map_bytes: SQLITE_MAP_BYTES,
        }
    }
}

/// The store, on one of the two backends.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Calls the same method on whichever backend this is.
macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite://PATH`
    /// (or `sqlite:PATH`) for the embedded backend, `postgres://…` or `postgresql://…`
    /// for PostgreSQL.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// [`open`](Self::open) with pool settings.
    pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(SqliteStore::open_with(url, options).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PgStore::open_with(url, options).await?))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    /// Whether the database answers and has every migration this build knows: what
    /// `/readyz` reports.
    pub async fn ready(&self) -> Result<bool, StoreError> {
        dispatch!(self, s => s.ready().await)
    }

    /// The connection pools' figures, for `/metrics`.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        dispatch!(self, s => s.pool_stats())
    }

    /// Writes a consistent copy of an embedded database to `path` while it is in use.
    /// PostgreSQL has its own tools (`pg_dump`), so this is SQLite only.
    pub async fn backup(&self, path: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.backup(path).await,
            Store::Postgres(_) => Err(StoreError::Unsupported(
                "`admin backup` copies an SQLite database; back PostgreSQL up with pg_dump",
            )),
        }
    }

    /// The backend's name, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Answers whether the database is reachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// Closes the connections, waiting for them to finish.
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }

    // ---- settings ----

    /// The stored value of a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.setting(key).await)
    }

    /// Stores `value` under `key` unless a value is already there; answers the value that
    /// is stored afterwards, so concurrent first starts agree on one.
    pub async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        dispatch!(self, s => s.init_setting(key, value).await)
    }

    // ---- users, projects, memberships ----

    /// Creates a user; the email must be new (compared case-insensitively).
    pub async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError> {
        dispatch!(self, s => s.create_user(email, password_hash).await)
    }

    /// The user with this email, compared case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        dispatch!(self, s => s.user_by_email(email).await)
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        dispatch!(self, s => s.user_by_id(id).await)
    }

    /// Replaces a user's password hash and bumps the credential version, which revokes
    /// every token and cached verification issued before; answers false for an unknown
    /// user.
    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_password_hash(user_id, hash).await)
    }

    /// The user's credential version and role in the project, in one query; `None` when
    /// the user does not exist.
    pub async fn access(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Access>, StoreError> {
        dispatch!(self, s => s.access(user_id, project_id).await)
    }

    /// Ends a membership; answers false when there was none.
    pub async fn remove_membership(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.remove_membership(project_id, user_id).await)
    }

    /// Changes the role of an existing membership; answers false when there is none.
    pub async fn change_role(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.change_role(project_id, user_id, role).await)
    }

    /// How many users exist.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.count_users().await)
    }

    /// Creates a project.
    pub async fn create_project(&self, name: &str) -> Result<Project, StoreError> {
        dispatch!(self, s => s.create_project(name).await)
    }

    /// Gives `user_id` the `role` in `project_id`, adding the membership or changing its
    /// role.
    pub async fn set_membership(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_membership(project_id, user_id, role).await)
    }

    /// The user's role in the project, if a member.
    pub async fn role_of(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Role>, StoreError> {
        dispatch!(self, s => s.role_of(user_id, project_id).await)
    }

    /// Every project the user is a member of, with the role in each.
    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        dispatch!(self, s => s.memberships(user_id).await)
    }

    // ---- leads ----

    /// Creates a lead in the project: status 100, revision 0, fresh `_id`.
    pub async fn create_lead(&self, project_id: &str, new: NewLead) -> Result<Lead, StoreError> {
        let lead = new_lead(project_id, new);
        dispatch!(self, s => s.insert_lead(&lead).await)?;
        Ok(lead)
    }

    /// The lead [`create_lead`](Self::create_lead) would write, not yet written: for a
    /// create whose answer must be known before the write (an idempotent one).
    pub fn prepare_lead(project_id: &str, new: NewLead) -> Lead {
        new_lead(project_id, new)
    }

    /// Writes a prepared lead and its idempotency key in one transaction, or nothing when
    /// the key is already live in the lead's project.
    pub async fn insert_lead_with_key(
        &self,
        lead: &Lead,
        key: &KeyRecord,
    ) -> Result<KeyedInsert, StoreError> {
        dispatch!(self, s => s.insert_lead_with_key(lead, key).await)
    }

    /// The live idempotency key `key` of the project: recorded at or after
    /// `expired_before` (milliseconds since the epoch).
    pub async fn idempotency_key(
        &self,
        project_id: &str,
        key: &str,
        expired_before: i64,
    ) -> Result<Option<StoredKey>, StoreError> {
        dispatch!(self, s => s.idempotency_key(project_id, key, expired_before).await)
    }

    /// Removes the idempotency keys recorded before `expired_before`; answers how many.
    pub async fn purge_idempotency_keys(&self, expired_before: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.purge_idempotency_keys(expired_before).await)
    }

    /// Inserts ready-made leads in bulk, in one transaction per call: for seeding, not for
    /// the API (no group commit, no per-lead answer).
    pub async fn insert_leads(&self, leads: &[Lead]) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_leads(leads).await)
    }

    /// Refreshes the query planner's statistics, e.g. after a bulk load: without them a
    /// planner may scan a sort index instead of using the selective one for a filter.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.analyze().await)
    }

    /// The lead with this id in this project, whatever its status.
    pub async fn get_lead(&self, project_id: &str, id: &str) -> Result<Option<Lead>, StoreError> {
        dispatch!(self, s => s.get_lead(project_id, id).await)
    }

    /// What a user finds at a lead's address: their access to the project (credential
    /// version and role) and the lead, if the project has it and the user is a member;
    /// `None` when the user does not exist. One query, so a read by id costs one round trip
    /// with its credential and role check.
    pub async fn lead_for_member(
        &self,
        user_id: &str,
        project_id: &str,
        id: &str,
    ) -> Result<Option<(Access, Option<Lead>)>, StoreError> {
        dispatch!(self, s => s.lead_for_member(user_id, project_id, id).await)
    }

    /// Applies `edit` to the lead atomically; `None` when the project has no such lead.
    pub async fn edit_lead(
        &self,
        project_id: &str,
        id: &str,
        edit: &LeadEdit,
    ) -> Result<Option<Lead>, StoreError> {
        dispatch!(self, s => s.edit_lead(project_id, id, edit).await)
    }

    /// Removes the lead for good, answering it as it was; `None` when there is none.
    pub async fn delete_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        dispatch!(self, s => s.delete_lead(project_id, id).await)
    }

    /// One page of the leads matching `query`, `offset` rows in, with the count across
    /// all pages.
    pub async fn list_leads(
        &self,
        project_id: &str,
        query: &LeadQuery,
        offset: i64,
        limit: i64,
    ) -> Result<LeadPage, StoreError> {
        self.list_page(project_id, query, &Start::Offset(offset), limit)
            .await
    }

    /// One page of the leads matching `query` from `start`, with the count across all
    /// pages. A page after a position ([`Start::After`]) walks the sort index from that
    /// position, so it costs what the first page costs at any depth.
    pub async fn list_page(
        &self,
        project_id: &str,
        query: &LeadQuery,
        start: &Start,
        limit: i64,
    ) -> Result<LeadPage, StoreError> {
        dispatch!(self, s => s.list_leads(project_id, query, start, limit).await)
    }

    /// Every lead matching `query`, in order, streamed from the database. The stream
    /// holds a bounded number of rows at a time and stops reading when dropped.
    pub fn export_leads(
        &self,
        project_id: &str,
        query: LeadQuery,
    ) -> BoxStream<'static, Result<Lead, StoreError>> {
        dispatch!(self, s => s.export_leads(project_id.to_owned(), query))
    }
}

/// Now, truncated to milliseconds: the precision stored and shown.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    from_millis(now.timestamp_millis()).unwrap_or(now)
}

/// A stored millisecond timestamp as a date; one outside the dates the API can show is
/// corrupt data, never silently 1970.
pub(crate) fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("the timestamp {ms} is out of range")))
}

fn new_lead(project_id: &str, new: NewLead) -> Lead {
    let now = now();
    Lead {
        id: new_object_id(),
        project_id: project_id.to_owned(),
        lead_id: new.lead_id,
        fullname: new.fullname,
        email: new.email,
        phone: new.phone,
        company: new.company,
        note: new.note,
        street_address: new.street_address,
        city: new.city,
        region: new.region,
        zipcode: new.zipcode,
        country: new.country,
        tags: model::dedup(new.tags),
        status: STATUS_NORMAL,
        attributes: new.attributes,
        properties: new.properties,
        created_by: new.created_by,
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

/// Applies `edit` to `lead`, bumping revision and `updatedAt` when anything changed.
/// Answers whether the stored row must be written.
pub(crate) fn apply_edit(lead: &mut Lead, edit: &LeadEdit) -> bool {
    if !edit.apply(lead) {
        return false;
    }
    lead.version += 1;
    lead.updated_at = now().max(lead.updated_at);
    true
}
