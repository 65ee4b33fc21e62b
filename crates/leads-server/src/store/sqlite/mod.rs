//! The embedded backend: one SQLite file in WAL mode.
//!
//! One writer connection (sqlx) serialises every write (SQLite allows one writer anyway;
//! doing it in the pool avoids lock retries); creates share its transactions through the
//! group commit. Reads run beside it on read-only rusqlite connections (`read.rs`): point
//! lookups inline, lists and exports on a few blocking threads. `synchronous=FULL` makes a
//! commit durable before it is acknowledged, and a read begun after an acknowledgement
//! sees the write.

mod batch;
mod read;
mod write;

use super::access::{Access, KeyRecord, KeyedInsert, PoolStats, StoredKey};
use super::group_commit::GroupCommit;
use super::model::{Lead, LeadEdit, LeadPage, LeadQuery, Membership, Project, Role, Start, User};
use super::query::{self, Dialect, TermPlan};
use super::row::{self, LEAD_COLUMNS};
use super::{apply_edit, free_form, new_object_id, now, StoreError, StoreOptions};
use batch::SqliteBatches;
use futures::stream::BoxStream;
use read::Readers;
use rusqlite::params_from_iter;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Lists and exports running at once, unless configured.
const READERS: u32 = 4;

/// A lead by id in a project.
static GET_LEAD: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = ?1 AND l.id = ?2")
});

/// A user's credential version and role in a project. One table in the outer query and
/// a scalar subquery on the membership's key: SQLite plans both by their unique key alone.
/// A join would be planned with the index statistics (STAT4) of the bound values, and
/// SQLite re-prepares such a statement whenever those values change, which costs far
/// more than the lookup.
const ACCESS: &str = "SELECT credential_version, \
     (SELECT role FROM memberships WHERE project_id = ?1 AND user_id = ?2) AS member_role \
     FROM users WHERE id = ?2";

/// The embedded schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    readers: Arc<Readers>,
    creates: GroupCommit,
}

impl SqliteStore {
    /// Opens the database file named by `url` (`sqlite://PATH` or `sqlite:PATH`),
    /// creating and migrating it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// [`open`](Self::open) with pool settings.
    pub async fn open_with(url: &str, pool: &StoreOptions) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Self::with_pool_options(options, pool).await
    }

    /// Opens with explicit connection options (journal mode and durability are set here).
    pub async fn with_options(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        Self::with_pool_options(options, &StoreOptions::default()).await
    }

    async fn with_pool_options(
        options: SqliteConnectOptions,
        pool: &StoreOptions,
    ) -> Result<Self, StoreError> {
        // The one write connection is kept for the life of the store: reopening it would
        // gain nothing on a local file and lose its prepared statements. Without an idle
        // timeout or a lifetime sqlx runs no maintenance task for the pool; that task can
        // spin without yielding when the pool closes as the runtime shuts down, which
        // kept an admin command from exiting after its work was done.
        // Its temporary files stay in memory: inside a transaction that already wrote,
        // a statement that may fail midway copies the pages it changes to a statement
        // journal, and on a file that was a system call per page. Under creates at 1M
        // leads it made 47,000 such writes in ten seconds, beside 2,200 pages of WAL.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone().pragma("temp_store", "memory"))
            .await?;
        let pending = pending_migrations(applied_migrations(&write).await?);
        MIGRATOR.run(&write).await?;
        if pending > 0 {
            tracing::info!(applied = pending, "migrated the schema");
        } else {
            tracing::info!("the schema is up to date");
        }
        // Statistics for the planner, gathered where they are missing or stale; SQLite
        // asks long-lived connections to repeat this every few hours.
        sqlx::query("PRAGMA optimize=0x10002")
            .execute(&write)
            .await?;
        tokio::spawn(optimize_periodically(write.clone()));
        let readers = Readers::open(
            options.get_filename().to_owned(),
            pool.sqlite_map_bytes,
            pool.max_connections.unwrap_or(READERS).max(1),
            pool.acquire_timeout,
        )?;
        let creates = GroupCommit::start(SqliteBatches(write.clone()));
        Ok(SqliteStore {
            write,
            readers,
            creates,
        })
    }

    pub(super) async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        self.readers
            .inline(|conn| read::optional(conn, "SELECT 1", [], |_| Ok(())))?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.readers.close();
        self.write.close().await;
    }

    /// Whether the database answers and has every migration this build knows.
    pub(super) async fn ready(&self) -> Result<bool, StoreError> {
        let applied = self.readers.inline(|conn| {
            let table = read::optional(
                conn,
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                [],
                |_| Ok(()),
            )?;
            match table {
                Some(()) => read::all(
                    conn,
                    "SELECT version FROM _sqlx_migrations WHERE success",
                    [],
                    |row| Ok(row.get(0)?),
                ),
                None => Ok(Vec::new()),
            }
        })?;
        Ok(pending_migrations(applied) == 0)
    }

    pub(super) fn pool_stats(&self) -> Vec<PoolStats> {
        let mut stats = self.readers.stats().to_vec();
        stats.push(PoolStats {
            name: "write",
            size: self.write.size(),
            idle: u32::try_from(self.write.num_idle()).unwrap_or(u32::MAX),
            max: self.write.options().get_max_connections(),
        });
        stats
    }

    /// Writes a consistent copy of the database to `path` while it stays in use
    /// (`VACUUM INTO` reads one snapshot, as any reader does).
    pub(super) async fn backup(&self, path: &str) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub(super) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.write)
                .await?,
        )
    }

    pub(super) async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        let stored = match existing {
            Some(existing) => existing,
            None => {
                sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?)")
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                value.to_owned()
            }
        };
        tx.commit().await?;
        Ok(stored)
    }

    pub(super) async fn create_user(&self, email: &str, hash: &str) -> Result<User, StoreError> {
        let user = User {
            id: new_object_id(),
            email: email.to_owned(),
            password_hash: hash.to_owned(),
            credential_version: 0,
        };
        let result = sqlx::query(
            "INSERT INTO users (id, email, email_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(email.to_lowercase())
        .bind(&user.password_hash)
        .bind(now().timestamp_millis())
        .execute(&self.write)
        .await;
        match result {
            Ok(_) => Ok(user),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateEmail(email.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let key = email.to_lowercase();
        self.readers.inline(|conn| {
            read::optional(
                conn,
                "SELECT id, email, password_hash, credential_version FROM users \
                 WHERE email_key = ?1",
                [&key],
                |r| row::user(r),
            )
        })
    }

    pub(super) async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.readers.inline(|conn| {
            read::optional(
                conn,
                "SELECT id, email, password_hash, credential_version FROM users WHERE id = ?1",
                [id],
                |r| row::user(r),
            )
        })
    }

    pub(super) async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = ?, credential_version = credential_version + 1 \
             WHERE id = ?",
        )
        .bind(hash)
        .bind(user_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn count_users(&self) -> Result<i64, StoreError> {
        self.readers.inline(|conn| {
            let n = read::optional(conn, "SELECT COUNT(*) FROM users", [], |r| Ok(r.get(0)?))?;
            Ok(n.unwrap_or(0))
        })
    }

    pub(super) async fn create_project(&self, name: &str) -> Result<Project, StoreError> {
        let project = Project {
            id: new_object_id(),
            name: name.to_owned(),
        };
        sqlx::query("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)")
            .bind(&project.id)
            .bind(&project.name)
            .bind(now().timestamp_millis())
            .execute(&self.write)
            .await?;
        Ok(project)
    }

    pub(super) async fn set_membership(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let project: Option<String> = sqlx::query_scalar("SELECT id FROM projects WHERE id = ?")
            .bind(project_id)
            .fetch_optional(&mut *tx)
            .await?;
        if project.is_none() {
            return Err(StoreError::UnknownProject(project_id.to_owned()));
        }
        let user: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if user.is_none() {
            return Err(StoreError::UnknownUser(user_id.to_owned()));
        }
        let updated =
            sqlx::query("UPDATE memberships SET role = ? WHERE project_id = ? AND user_id = ?")
                .bind(role.as_str())
                .bind(project_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO memberships (project_id, user_id, role) VALUES (?, ?, ?)")
                .bind(project_id)
                .bind(user_id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn remove_membership(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM memberships WHERE project_id = ? AND user_id = ?")
            .bind(project_id)
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn change_role(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE memberships SET role = ? WHERE project_id = ? AND user_id = ?")
                .bind(role.as_str())
                .bind(project_id)
                .bind(user_id)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn access(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Access>, StoreError> {
        self.readers
            .inline(|conn| read::optional(conn, ACCESS, [project_id, user_id], |r| row::access(r)))
    }

    pub(super) async fn idempotency_key(
        &self,
        project_id: &str,
        key: &str,
        expired_before: i64,
    ) -> Result<Option<StoredKey>, StoreError> {
        self.readers.inline(|conn| {
            read::optional(
                conn,
                "SELECT fingerprint, lead FROM idempotency_keys \
                 WHERE project_id = ?1 AND key = ?2 AND created_at >= ?3",
                rusqlite::params![project_id, key, expired_before],
                |r| {
                    Ok(StoredKey {
                        fingerprint: r.get("fingerprint")?,
                        lead: r.get("lead")?,
                    })
                },
            )
        })
    }

    /// Inserts through the group commit, with the key in the same transaction.
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
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(expired_before)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn role_of(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = self.readers.inline(|conn| {
            read::optional(
                conn,
                "SELECT role FROM memberships WHERE project_id = ?1 AND user_id = ?2",
                [project_id, user_id],
                |r| Ok(r.get(0)?),
            )
        })?;
        role.map(|r| row::role(&r)).transpose()
    }

    pub(super) async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        self.readers.inline(|conn| {
            read::all(
                conn,
                "SELECT project_id, role FROM memberships WHERE user_id = ?1 ORDER BY project_id",
                [user_id],
                |r| {
                    Ok(Membership {
                        project_id: r.get("project_id")?,
                        role: row::role(r.get_ref("role")?.as_str().map_err(|e| {
                            StoreError::Corrupt(format!("a stored role is not text: {e}"))
                        })?)?,
                    })
                },
            )
        })
    }

    /// Inserts through the group commit: acknowledged once durable, sharing the sync
    /// with whatever other creates are waiting.
    pub(super) async fn insert_lead(&self, lead: &Lead) -> Result<(), StoreError> {
        self.creates.insert(lead.clone()).await
    }

    pub(super) async fn insert_leads(&self, leads: &[Lead]) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        write::insert(&mut tx, &leads.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn get_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        self.readers
            .inline(|conn| read::optional(conn, &GET_LEAD, [project_id, id], |r| row::lead(r)))
    }

    pub(super) async fn lead_for_member(
        &self,
        user_id: &str,
        project_id: &str,
        id: &str,
    ) -> Result<Option<(Access, Option<Lead>)>, StoreError> {
        // Two statements of one table each (see `ACCESS`) on one connection; the access
        // is read last, so a revocation committed before it is seen.
        self.readers.inline(|conn| {
            let lead = read::optional(conn, &GET_LEAD, [project_id, id], |r| row::lead(r))?;
            let access = read::optional(conn, ACCESS, [project_id, user_id], |r| row::access(r))?;
            Ok(access.map(|access| (access, lead.filter(|_| access.role.is_some()))))
        })
    }

    pub(super) async fn edit_lead(
        &self,
        project_id: &str,
        id: &str,
        edit: &LeadEdit,
    ) -> Result<Option<Lead>, StoreError> {
        // BEGIN IMMEDIATE takes the write lock before the read, so the row cannot change
        // between read and write even if another process writes the file.
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let found = sqlx::query(sqlx::AssertSqlSafe(GET_LEAD.as_str()))
            .bind(project_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let mut lead = row::lead(&found)?;
        if apply_edit(&mut lead, edit) {
            sqlx::query(
                "UPDATE leads SET fullname = ?, email = ?, phone = ?, company = ?, note = ?, \
                 street_address = ?, city = ?, region = ?, zipcode = ?, country = ?, tags = ?, \
                 status = ?, attributes = ?, properties = ?, updated_at = ?, version = ?, \
                 email_key = ?, search = ? WHERE project_id = ? AND id = ?",
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
            .bind(Json(&lead.tags))
            .bind(lead.status)
            .bind(free_form::to_text(&lead.attributes))
            .bind(free_form::to_optional_text(lead.properties.as_ref()))
            .bind(lead.updated_at.timestamp_millis())
            .bind(lead.version)
            .bind(lead.email_key())
            .bind(lead.search_text())
            .bind(project_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(lead))
    }

    pub(super) async fn delete_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM leads WHERE project_id = ? AND id = ? RETURNING {}",
            LEAD_COLUMNS.replace("l.", "")
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.write)
        .await?;
        deleted.map(|r| row::lead(&r)).transpose()
    }

    pub(super) async fn list_leads(
        &self,
        project_id: &str,
        query: &LeadQuery,
        start: &Start,
        limit: i64,
    ) -> Result<LeadPage, StoreError> {
        let (project_id, query, start) = (project_id.to_owned(), query.clone(), start.clone());
        self.readers
            .blocking(move |conn| list_in(conn, &project_id, &query, &start, limit))
            .await
    }

    pub(super) fn export_leads(
        &self,
        project_id: String,
        query: LeadQuery,
    ) -> BoxStream<'static, Result<Lead, StoreError>> {
        self.readers.stream(move |conn, tx| {
            let sql = query::export(Dialect::Sqlite, &project_id, &query);
            let mut statement = conn.prepare_cached(&sql.text)?;
            let mut rows = statement.query(params_from_iter(&sql.params))?;
            while let Some(found) = rows.next()? {
                let Some(lead) = row::listed(found) else {
                    continue;
                };
                if tx.blocking_send(Ok(lead)).is_err() {
                    break; // The reader went away.
                }
            }
            Ok(())
        })
    }
}

/// One page and the count, in one read transaction, so `count` agrees with the page under
/// concurrent writes.
fn list_in(
    conn: &rusqlite::Connection,
    project_id: &str,
    query: &LeadQuery,
    start: &Start,
    limit: i64,
) -> Result<LeadPage, StoreError> {
    let scalar = |sql: query::Sql| -> Result<i64, StoreError> {
        let found = read::optional(conn, &sql.text, params_from_iter(&sql.params), |r| {
            Ok(r.get(0)?)
        })?;
        Ok(found.unwrap_or(0))
    };
    conn.execute_batch("BEGIN")?;
    let outcome = (|| {
        let (query, driver, how) = query::rarest_first(project_id, query, scalar)?;
        let query = &query;
        let count = scalar(query::count(
            Dialect::Sqlite,
            project_id,
            query,
            driver,
            how,
        ))?;
        if let Some(empty) = query::page_past_the_end(count, start) {
            return Ok(empty);
        }
        let plan = if query::may_walk(query) {
            let total = scalar(query::status_total(
                Dialect::Sqlite,
                project_id,
                query.status,
            ))?;
            let skipped = match start {
                Start::Offset(offset) => *offset,
                Start::After(_) => 0,
            };
            term_plan(count, total, skipped + limit)
        } else {
            TermPlan::Matches
        };
        let sql = query::page(
            Dialect::Sqlite,
            project_id,
            query,
            start,
            limit,
            plan,
            driver,
        );
        let rows = read::all(conn, &sql.text, params_from_iter(&sql.params), |r| {
            Ok((row::listed(r), row::position(r, query.sort)))
        })?;
        query::cut_page(count, rows, limit)
    })();
    conn.execute_batch("COMMIT")?;
    outcome
}

/// Whether a page filtered by terms walks the sort index or sorts the matches: walking
/// reads about `wanted × total / matches` index entries and probes the terms for each;
/// sorting reads every match's term row, which holds the sort key, in one range. So the
/// walk wins where the terms are common.
fn term_plan(matches: i64, total: i64, wanted: i64) -> TermPlan {
    // An entry walked and probed costs about two term rows read in a range and sorted
    // (about 2 ms each way for 4,100 walked entries or 10,000 sorted rows, at 1M leads).
    const ROWS_PER_ENTRY: i64 = 2;
    if matches <= 0 {
        return TermPlan::Matches;
    }
    let walked = wanted.saturating_mul(total) / matches;
    if walked.saturating_mul(ROWS_PER_ENTRY) <= matches {
        TermPlan::SortIndex
    } else {
        TermPlan::Matches
    }
}

/// Runs `PRAGMA optimize` every few hours until the pool closes.
async fn optimize_periodically(pool: SqlitePool) {
    const EVERY: Duration = Duration::from_secs(3 * 60 * 60);
    loop {
        tokio::time::sleep(EVERY).await;
        if pool.is_closed() {
            return;
        }
        if let Err(error) = sqlx::query("PRAGMA optimize").execute(&pool).await {
            tracing::warn!(%error, "PRAGMA optimize failed");
        }
    }
}

/// The versions of the migrations applied to the database.
async fn applied_migrations(pool: &SqlitePool) -> Result<Vec<i64>, StoreError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?,
    )
}

/// How many of this build's migrations are not among `applied`.
fn pending_migrations(applied: Vec<i64>) -> usize {
    MIGRATOR
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count()
}
