//! The PostgreSQL backend.
//!
//! Edits lock the lead's row (`SELECT … FOR UPDATE`) inside a transaction, so concurrent
//! edits of one lead queue up instead of overwriting each other. On engines that run
//! every transaction SERIALIZABLE (several distributed Postgres-compatible ones do), a
//! conflicting edit fails with SQLSTATE 40001 instead; it is retried a few times.

use super::access::{Access, KeyRecord, KeyedInsert, PoolStats, StoredKey};
use super::group_commit::GroupCommit;
use super::model::{Lead, LeadEdit, LeadPage, LeadQuery, Membership, Project, Role, Start, User};
use super::pg_batch::PgBatches;
use super::pg_pool::PgConns;
use super::query::{self, insert_leads, Dialect, Driver, Param, Sql, TermCount, TermPlan};
use super::row::{self, LEAD_COLUMNS};
use super::stream::spawn_rows;
use super::{apply_edit, free_form, new_object_id, now, StoreError, StoreOptions};
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::postgres::{PgArguments, PgConnectOptions};
use sqlx::query::Query;
use sqlx::{Connection, PgConnection, Postgres, Row};
use std::str::FromStr;
use std::sync::LazyLock;

/// A lead by id in a project.
static GET_LEAD: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = $1 AND l.id = $2")
});

/// A user's access to a project and the lead at an address of it, in one query.
static LEAD_FOR_MEMBER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.credential_version AS credential_version, m.role AS member_role, \
         {LEAD_COLUMNS} FROM users u \
         LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = $1 \
         LEFT JOIN leads l ON l.project_id = m.project_id AND l.id = $2 \
         WHERE u.id = $3"
    )
});

/// Runs `$body` with `$conn` a leased connection (`&mut PgConnection`), and gives the
/// connection back unless the body left it in an unknown state.
macro_rules! leased {
    ($self:ident, |$conn:ident| $body:block) => {{
        let mut lease = $self.conns.acquire().await?;
        let outcome: Result<_, StoreError> = async {
            let $conn: &mut PgConnection = &mut lease;
            $body
        }
        .await;
        lease.settle(&outcome);
        outcome
    }};
}

/// `sql` with its parameters bound, prepared once per connection like every query.
fn bound(sql: &Sql) -> Query<'_, Postgres, PgArguments> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.text.as_str()));
    for param in &sql.params {
        query = match param {
            Param::Text(text) => query.bind(text.as_str()),
            Param::Int(n) => query.bind(*n),
            Param::BigInt(n) => query.bind(*n),
        };
    }
    query
}

/// How often an edit is tried when the engine reports a serialization failure.
const ATTEMPTS: usize = 5;

/// The embedded schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The advisory lock servers take to migrate one at a time ("leadsmig" in ASCII); another
/// key than the migrator's own, so holding it says "a leads server is migrating".
pub const MIGRATION_LOCK: i64 = 0x6c65_6164_736d_6967;

/// Connections a server opens at most, unless configured: a few per core of this machine.
/// A query spends most of its time in PostgreSQL and on the wire, so more connections than
/// cores keep both busy; many more only queue inside the database.
fn default_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    u32::try_from(cores * 4).unwrap_or(u32::MAX).clamp(8, 64)
}

/// Prepared statements each connection keeps: every fixed query and the common list
/// shapes, so a request sends Bind and Execute only, never Parse.
const STATEMENT_CACHE: usize = 256;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    conns: PgConns,
    creates: GroupCommit,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and migrates the schema.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// [`open`](Self::open) with pool settings.
    pub async fn open_with(url: &str, pool: &StoreOptions) -> Result<Self, StoreError> {
        Self::with_pool_options(PgConnectOptions::from_str(url)?, pool).await
    }

    /// Connects with explicit options (e.g. a `search_path` for an isolated schema) and
    /// migrates the schema.
    pub async fn with_options(options: PgConnectOptions) -> Result<Self, StoreError> {
        Self::with_pool_options(options, &StoreOptions::default()).await
    }

    async fn with_pool_options(
        options: PgConnectOptions,
        pool: &StoreOptions,
    ) -> Result<Self, StoreError> {
        // No ping when a connection is handed out or given back (see `pg_pool.rs`): every
        // query reports a broken connection as an I/O error (transient, so a 503 the
        // client retries), and a ping costs a round trip per query.
        let conns = PgConns::new(
            options.statement_cache_capacity(STATEMENT_CACHE),
            pool.max_connections
                .unwrap_or_else(default_connections)
                .max(1),
            pool.acquire_timeout,
        );
        let creates = GroupCommit::start(PgBatches(conns.clone()));
        let store = PgStore { conns, creates };
        leased!(store, |conn| { migrate(conn).await })?;
        Ok(store)
    }

    /// Whether the database answers and has every migration this build knows.
    pub(super) async fn ready(&self) -> Result<bool, StoreError> {
        leased!(self, |conn| { Ok(pending_migrations(conn).await? == 0) })
    }

    pub(super) fn pool_stats(&self) -> Vec<PoolStats> {
        vec![self.conns.stats()]
    }

    pub(super) async fn analyze(&self) -> Result<(), StoreError> {
        leased!(self, |conn| {
            sqlx::query("ANALYZE leads").execute(&mut *conn).await?;
            Ok(())
        })
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        leased!(self, |conn| {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            Ok(())
        })
    }

    pub(super) async fn close(&self) {
        self.conns.close().await;
    }

    pub(super) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        leased!(self, |conn| {
            Ok(
                sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await?,
            )
        })
    }

    pub(super) async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        leased!(self, |conn| {
            let inserted = sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value)
                .execute(&mut *conn)
                .await;
            match inserted {
                Ok(_) => Ok(value.to_owned()),
                // Someone else stored one first: theirs wins.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    let stored: Option<String> =
                        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                            .bind(key)
                            .fetch_optional(&mut *conn)
                            .await?;
                    stored.ok_or_else(|| StoreError::Corrupt(format!("setting `{key}` vanished")))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    pub(super) async fn create_user(&self, email: &str, hash: &str) -> Result<User, StoreError> {
        leased!(self, |conn| {
            let user = User {
                id: new_object_id(),
                email: email.to_owned(),
                password_hash: hash.to_owned(),
                credential_version: 0,
            };
            let result = sqlx::query(
                "INSERT INTO users (id, email, email_key, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&user.id)
            .bind(&user.email)
            .bind(email.to_lowercase())
            .bind(&user.password_hash)
            .bind(now().timestamp_millis())
            .execute(&mut *conn)
            .await;
            match result {
                Ok(_) => Ok(user),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Err(StoreError::DuplicateEmail(email.to_owned()))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    pub(super) async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        leased!(self, |conn| {
            let row = sqlx::query(
                "SELECT id, email, password_hash, credential_version FROM users WHERE email_key = $1",
            )
            .bind(email.to_lowercase())
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| row::user(&r)).transpose()
        })
    }

    pub(super) async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        leased!(self, |conn| {
            let row = sqlx::query(
                "SELECT id, email, password_hash, credential_version FROM users WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| row::user(&r)).transpose()
        })
    }

    pub(super) async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        leased!(self, |conn| {
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, credential_version = credential_version + 1 \
                 WHERE id = $2",
            )
            .bind(hash)
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub(super) async fn count_users(&self) -> Result<i64, StoreError> {
        leased!(self, |conn| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *conn)
                .await?)
        })
    }

    pub(super) async fn create_project(&self, name: &str) -> Result<Project, StoreError> {
        leased!(self, |conn| {
            let project = Project {
                id: new_object_id(),
                name: name.to_owned(),
            };
            sqlx::query("INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(&project.id)
                .bind(&project.name)
                .bind(now().timestamp_millis())
                .execute(&mut *conn)
                .await?;
            Ok(project)
        })
    }

    pub(super) async fn set_membership(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        leased!(self, |conn| {
            let mut tx = conn.begin().await?;
            let project: Option<String> =
                sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
                    .bind(project_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if project.is_none() {
                return Err(StoreError::UnknownProject(project_id.to_owned()));
            }
            let user: Option<String> =
                sqlx::query_scalar("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if user.is_none() {
                return Err(StoreError::UnknownUser(user_id.to_owned()));
            }
            let updated = sqlx::query(
                "UPDATE memberships SET role = $1 WHERE project_id = $2 AND user_id = $3",
            )
            .bind(role.as_str())
            .bind(project_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)",
                )
                .bind(project_id)
                .bind(user_id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub(super) async fn remove_membership(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        leased!(self, |conn| {
            let done =
                sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
                    .bind(project_id)
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub(super) async fn change_role(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<bool, StoreError> {
        leased!(self, |conn| {
            let done = sqlx::query(
                "UPDATE memberships SET role = $1 WHERE project_id = $2 AND user_id = $3",
            )
            .bind(role.as_str())
            .bind(project_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub(super) async fn access(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Access>, StoreError> {
        leased!(self, |conn| {
            let row = sqlx::query(
                "SELECT u.credential_version AS credential_version, m.role AS member_role \
                 FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = $1 \
                 WHERE u.id = $2",
            )
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| row::access(&r)).transpose()
        })
    }

    pub(super) async fn idempotency_key(
        &self,
        project_id: &str,
        key: &str,
        expired_before: i64,
    ) -> Result<Option<StoredKey>, StoreError> {
        leased!(self, |conn| {
            let row = sqlx::query(
                "SELECT fingerprint, lead FROM idempotency_keys \
                 WHERE project_id = $1 AND key = $2 AND created_at >= $3",
            )
            .bind(project_id)
            .bind(key)
            .bind(expired_before)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| {
                Ok(StoredKey {
                    fingerprint: r.try_get("fingerprint")?,
                    lead: r.try_get("lead")?,
                })
            })
            .transpose()
        })
    }

    /// Inserts the key and the lead together through the group commit; a live key of the
    /// same name makes it write nothing.
    pub(super) async fn insert_lead_with_key(
        &self,
        lead: &Lead,
        key: &KeyRecord,
    ) -> Result<KeyedInsert, StoreError> {
        self.creates
            .insert_with_key(lead.clone(), Some(key.clone()))
            .await
    }

    pub(super) async fn purge_idempotency_keys(
        &self,
        expired_before: i64,
    ) -> Result<u64, StoreError> {
        leased!(self, |conn| {
            let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(expired_before)
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected())
        })
    }

    pub(super) async fn role_of(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Role>, StoreError> {
        leased!(self, |conn| {
            let role: Option<String> = sqlx::query_scalar(
                "SELECT role FROM memberships WHERE project_id = $1 AND user_id = $2",
            )
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
            role.map(|r| row::role(&r)).transpose()
        })
    }

    pub(super) async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        leased!(self, |conn| {
            let rows = sqlx::query(
                "SELECT project_id, role FROM memberships WHERE user_id = $1 ORDER BY project_id",
            )
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Membership {
                        project_id: r.try_get("project_id")?,
                        role: row::role(r.try_get("role")?)?,
                    })
                })
                .collect()
        })
    }

    /// Inserts `lead` through the group commit: in one transaction with whatever other
    /// creates are waiting.
    pub(super) async fn insert_lead(&self, lead: &Lead) -> Result<(), StoreError> {
        self.creates.insert(lead.clone()).await
    }

    pub(super) async fn insert_leads(&self, leads: &[Lead]) -> Result<(), StoreError> {
        leased!(self, |conn| {
            // 23 parameters a row; PostgreSQL takes at most 65,535 in one statement.
            const ROWS_PER_STATEMENT: usize = 2_000;
            let mut tx = conn.begin().await?;
            for chunk in leads.chunks(ROWS_PER_STATEMENT) {
                insert_leads::<Postgres, _>(chunk, |lead| &lead.tags)
                    .build()
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub(super) async fn get_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        leased!(self, |conn| {
            let found = sqlx::query(sqlx::AssertSqlSafe(GET_LEAD.as_str()))
                .bind(project_id)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            found.map(|r| row::lead(&r)).transpose()
        })
    }

    pub(super) async fn lead_for_member(
        &self,
        user_id: &str,
        project_id: &str,
        id: &str,
    ) -> Result<Option<(Access, Option<Lead>)>, StoreError> {
        leased!(self, |conn| {
            let found = sqlx::query(sqlx::AssertSqlSafe(LEAD_FOR_MEMBER.as_str()))
                .bind(project_id)
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
            found
                .map(|r| Ok((row::access(&r)?, row::optional_lead(&r)?)))
                .transpose()
        })
    }

    pub(super) async fn edit_lead(
        &self,
        project_id: &str,
        id: &str,
        edit: &LeadEdit,
    ) -> Result<Option<Lead>, StoreError> {
        leased!(self, |conn| {
            let mut attempt = 1;
            loop {
                let mut tx = conn.begin().await?;
                match edit_in(&mut tx, project_id, id, edit).await {
                    Ok(lead) => match tx.commit().await {
                        Ok(()) => return Ok(lead),
                        Err(e) if is_serialization_failure(&e) && attempt < ATTEMPTS => {}
                        Err(e) => return Err(e.into()),
                    },
                    Err(StoreError::Database(e))
                        if is_serialization_failure(&e) && attempt < ATTEMPTS => {}
                    Err(e) => return Err(e),
                }
                attempt += 1;
            }
        })
    }

    pub(super) async fn delete_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        leased!(self, |conn| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM leads AS l WHERE l.project_id = $1 AND l.id = $2 RETURNING {LEAD_COLUMNS}"
            )))
            .bind(project_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|r| row::lead(&r)).transpose()
        })
    }

    pub(super) async fn list_leads(
        &self,
        project_id: &str,
        query: &LeadQuery,
        start: &Start,
        limit: i64,
    ) -> Result<LeadPage, StoreError> {
        leased!(self, |conn| {
            // One snapshot for both queries, so `count` agrees with the page under
            // concurrent writes.
            let mut tx = conn
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            let count = query::count(
                Dialect::Postgres,
                project_id,
                query,
                Driver::FirstTag,
                TermCount::Probe,
            );
            let count: i64 = bound(&count).fetch_one(&mut *tx).await?.try_get(0)?;
            if let Some(empty) = query::page_past_the_end(count, start) {
                tx.commit().await?;
                return Ok(empty);
            }
            let page = query::page(
                Dialect::Postgres,
                project_id,
                query,
                start,
                limit,
                TermPlan::Matches,
                Driver::FirstTag,
            );
            let rows = bound(&page).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            let rows = rows
                .iter()
                .map(|r| (row::listed(r), row::position(r, query.sort)))
                .collect();
            query::cut_page(count, rows, limit)
        })
    }

    pub(super) fn export_leads(
        &self,
        project_id: String,
        query: LeadQuery,
    ) -> BoxStream<'static, Result<Lead, StoreError>> {
        let conns = self.conns.clone();
        spawn_rows(move |tx| async move {
            let sql = query::export(Dialect::Postgres, &project_id, &query);
            let mut lease = conns.acquire().await?;
            let mut rows = bound(&sql).fetch(&mut *lease);
            let mut outcome = Ok(());
            loop {
                match rows.try_next().await {
                    Ok(Some(found)) => {
                        let Some(lead) = row::listed(&found) else {
                            continue;
                        };
                        if tx.send(Ok(lead)).await.is_err() {
                            // The reader went away, with rows unread: the connection
                            // is closed rather than given back mid-answer.
                            return Ok(());
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        outcome = Err(StoreError::from(error));
                        break;
                    }
                }
            }
            drop(rows);
            lease.settle(&outcome);
            outcome
        })
    }
}

/// Reads the lead under a row lock, applies the edit and writes it back.
async fn edit_in(
    conn: &mut PgConnection,
    project_id: &str,
    id: &str,
    edit: &LeadEdit,
) -> Result<Option<Lead>, StoreError> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!("{} FOR UPDATE", *GET_LEAD)))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let mut lead = row::lead(&found)?;
    if apply_edit(&mut lead, edit) {
        sqlx::query(
            "UPDATE leads SET fullname = $1, email = $2, phone = $3, company = $4, note = $5, \
             street_address = $6, city = $7, region = $8, zipcode = $9, country = $10, tags = $11, \
             status = $12, attributes = $13, properties = $14, updated_at = $15, version = $16, \
             email_key = $17, search = $18 WHERE project_id = $19 AND id = $20",
        )
        .bind(&lead.fullname)
        .bind(&lead.email)
        .bind(&lead.phone)
        .bind(&lead.company)
        .bind(&lead.note)
        .bind(&lead.street_address)
        .bind(&lead.city)
        .bind(&lead.region)
        .bind(&lead.zipcode)
        .bind(&lead.country)
        .bind(&lead.tags)
        .bind(lead.status)
        .bind(free_form::to_text(&lead.attributes))
        .bind(free_form::to_optional_text(lead.properties.as_ref()))
        .bind(lead.updated_at.timestamp_millis())
        .bind(lead.version)
        .bind(lead.email_key())
        .bind(lead.search_text())
        .bind(project_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(lead))
}

fn is_serialization_failure(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("40001"))
}

/// Migrates the schema, one server at a time: the first to take [`MIGRATION_LOCK`]
/// migrates, and every other waits for it, then finds nothing to do. Logs which it was.
async fn migrate(conn: &mut PgConnection) -> Result<(), StoreError> {
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .fetch_one(&mut *conn)
        .await?;
    if !free {
        tracing::info!("another server is migrating the schema; waiting for it");
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let outcome = async {
        let pending = pending_migrations(&mut *conn).await?;
        MIGRATOR.run(&mut *conn).await?;
        Ok::<_, StoreError>(pending)
    }
    .await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    let pending = outcome?;
    unlocked?;
    if pending > 0 {
        tracing::info!(applied = pending, "migrated the schema");
    } else {
        tracing::info!(waited = !free, "the schema is up to date");
    }
    Ok(())
}

/// How many of this build's migrations the database has not applied yet.
async fn pending_migrations(conn: &mut PgConnection) -> Result<usize, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count())
}
