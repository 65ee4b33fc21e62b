//! The embedded backend: one SQLite file in WAL mode.
//!
//! One writer connection serialises every write (SQLite allows one writer anyway; doing it
//! in the pool avoids lock retries), and a small pool of readers runs lists, lookups and
//! exports concurrently with it. `synchronous=FULL` makes a commit durable before it is
//! acknowledged.

use super::access::{Access, KeyRecord, KeyedInsert, PoolStats, StoredKey};
use super::group_commit::GroupCommit;
use super::model::{Lead, LeadEdit, LeadPage, LeadQuery, Membership, Project, Role, User};
use super::query::{count_query, insert_leads, push_order, push_where, Dialect};
use super::stream::spawn_rows;
use super::{apply_edit, free_form, from_millis, new_object_id, now, StoreError, StoreOptions};
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::str::FromStr;
use std::time::Duration;

const LEAD_COLUMNS: &str = "l.id, l.project_id, l.lead_id, l.fullname, l.email, l.phone, \
    l.company, l.note, l.street_address, l.city, l.region, l.zipcode, l.country, l.tags, \
    l.status, l.attributes, l.properties, l.created_by, l.created_at, l.updated_at, l.version";

/// Readers alongside the writer.
const READERS: u32 = 4;

/// The embedded schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        let pending = pending_migrations(&write).await?;
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
        let read = SqlitePoolOptions::new()
            .max_connections(pool.max_connections.unwrap_or(READERS))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.read_only(true))
            .await?;
        let creates = GroupCommit::start(write.clone());
        Ok(SqliteStore {
            write,
            read,
            creates,
        })
    }

    pub(super) async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(&self.write).await?;
        Ok(())
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Whether the database answers and has every migration this build knows.
    pub(super) async fn ready(&self) -> Result<bool, StoreError> {
        Ok(pending_migrations(&self.read).await? == 0)
    }

    pub(super) fn pool_stats(&self) -> Vec<PoolStats> {
        [("read", &self.read), ("write", &self.write)]
            .into_iter()
            .map(|(name, pool)| PoolStats {
                name,
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
            .collect()
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
        let row = sqlx::query(
            "SELECT id, email, password_hash, credential_version FROM users WHERE email_key = ?",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub(super) async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, credential_version FROM users WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
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
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?)
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
        let row = sqlx::query(
            "SELECT u.credential_version AS credential_version, m.role AS member_role \
             FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = ? \
             WHERE u.id = ?",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| access_from_row(&r)).transpose()
    }

    pub(super) async fn idempotency_key(
        &self,
        project_id: &str,
        key: &str,
        expired_before: i64,
    ) -> Result<Option<StoredKey>, StoreError> {
        let row = sqlx::query(
            "SELECT fingerprint, response FROM idempotency_keys \
             WHERE project_id = ? AND key = ? AND created_at >= ?",
        )
        .bind(project_id)
        .bind(key)
        .bind(expired_before)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(StoredKey {
                fingerprint: r.try_get("fingerprint")?,
                response: r.try_get("response")?,
            })
        })
        .transpose()
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
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE project_id = ? AND user_id = ?")
                .bind(project_id)
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?;
        role.map(|r| parse_role(&r)).transpose()
    }

    pub(super) async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query(
            "SELECT project_id, role FROM memberships WHERE user_id = ? ORDER BY project_id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    project_id: r.try_get("project_id")?,
                    role: parse_role(&r.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    /// Inserts through the group commit: acknowledged once durable, sharing the sync
    /// with whatever other creates are waiting.
    pub(super) async fn insert_lead(&self, lead: &Lead) -> Result<(), StoreError> {
        self.creates.insert(lead.clone()).await
    }

    pub(super) async fn insert_leads(&self, leads: &[Lead]) -> Result<(), StoreError> {
        // 23 parameters a row; SQLite takes at most 32,766 in one statement.
        const ROWS_PER_STATEMENT: usize = 1_000;
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in leads.chunks(ROWS_PER_STATEMENT) {
            insert_leads::<Sqlite, _>(chunk, |lead| Json(&lead.tags))
                .build()
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn get_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = ? AND l.id = ?"
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| lead_from_row(&r)).transpose()
    }

    pub(super) async fn lead_for_member(
        &self,
        user_id: &str,
        project_id: &str,
        id: &str,
    ) -> Result<Option<(Access, Option<Lead>)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT u.credential_version AS credential_version, m.role AS member_role, \
             {LEAD_COLUMNS} FROM users u \
             LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = ? \
             LEFT JOIN leads l ON l.project_id = m.project_id AND l.id = ? \
             WHERE u.id = ?"
        )))
        .bind(project_id)
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let access = access_from_row(&row)?;
        let lead = match row.try_get::<Option<String>, _>("id")? {
            Some(_) => Some(lead_from_row(&row)?),
            None => None,
        };
        Ok(Some((access, lead)))
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
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = ? AND l.id = ?"
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut lead = lead_from_row(&row)?;
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
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM leads WHERE project_id = ? AND id = ? RETURNING {}",
            LEAD_COLUMNS.replace("l.", "")
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.write)
        .await?;
        row.map(|r| lead_from_row(&r)).transpose()
    }

    pub(super) async fn list_leads(
        &self,
        project_id: &str,
        query: &LeadQuery,
        offset: i64,
        limit: i64,
    ) -> Result<LeadPage, StoreError> {
        // One snapshot for both queries, so `count` agrees with the page under
        // concurrent writes.
        let mut tx = self.read.begin().await?;
        let mut count = count_query::<Sqlite>(Dialect::Sqlite, project_id, query);
        let count: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;

        let mut page = QueryBuilder::<Sqlite>::new(format!("SELECT {LEAD_COLUMNS} FROM leads l"));
        push_where(&mut page, Dialect::Sqlite, project_id, query);
        push_order(&mut page, Dialect::Sqlite, query);
        page.push(" LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = page.build().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let leads = rows.iter().map(lead_from_row).collect::<Result<_, _>>()?;
        Ok(LeadPage { count, leads })
    }

    pub(super) fn export_leads(
        &self,
        project_id: String,
        query: LeadQuery,
    ) -> BoxStream<'static, Result<Lead, StoreError>> {
        let pool = self.read.clone();
        spawn_rows(move |tx| async move {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {LEAD_COLUMNS} FROM leads l"));
            push_where(&mut qb, Dialect::Sqlite, &project_id, &query);
            push_order(&mut qb, Dialect::Sqlite, &query);
            let mut rows = qb.build().fetch(&pool);
            while let Some(row) = rows.try_next().await? {
                if tx.send(lead_from_row(&row)).await.is_err() {
                    break; // The reader went away.
                }
            }
            Ok(())
        })
    }
}

/// Inserts one lead on `conn` (the group commit's open transaction).
pub(super) async fn insert_lead(
    conn: &mut sqlx::SqliteConnection,
    lead: &Lead,
) -> Result<(), StoreError> {
    insert_leads::<Sqlite, _>(std::slice::from_ref(lead), |lead| Json(&lead.tags))
        .build()
        .execute(conn)
        .await?;
    Ok(())
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

fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        credential_version: row.try_get("credential_version")?,
    })
}

fn access_from_row(row: &SqliteRow) -> Result<Access, StoreError> {
    Ok(Access {
        credential_version: row.try_get("credential_version")?,
        role: row
            .try_get::<Option<String>, _>("member_role")?
            .map(|r| parse_role(&r))
            .transpose()?,
    })
}

/// How many of this build's migrations the database has not applied yet.
async fn pending_migrations(pool: &SqlitePool) -> Result<usize, StoreError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    let applied: Vec<i64> = if exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    Ok(MIGRATOR
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count())
}

fn parse_role(role: &str) -> Result<Role, StoreError> {
    role.parse()
        .map_err(|e: super::UnknownRole| StoreError::Corrupt(e.to_string()))
}

fn lead_from_row(row: &SqliteRow) -> Result<Lead, StoreError> {
    let Json(tags): Json<Vec<String>> = row.try_get("tags")?;
    let attributes = free_form::from_text(row.try_get("attributes")?, "attributes")?;
    let properties: Option<&str> = row.try_get("properties")?;
    let properties = properties
        .map(|text| free_form::from_text(text, "properties"))
        .transpose()?;
    Ok(Lead {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        lead_id: row.try_get("lead_id")?,
        fullname: row.try_get("fullname")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        company: row.try_get("company")?,
        note: row.try_get("note")?,
        street_address: row.try_get("street_address")?,
        city: row.try_get("city")?,
        region: row.try_get("region")?,
        zipcode: row.try_get("zipcode")?,
        country: row.try_get("country")?,
        tags,
        status: row.try_get("status")?,
        attributes,
        properties,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
        version: row.try_get("version")?,
    })
}
