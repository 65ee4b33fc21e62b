//! The PostgreSQL backend.
//!
//! Edits lock the lead's row (`SELECT … FOR UPDATE`) inside a transaction, so concurrent
//! edits of one lead queue up instead of overwriting each other. On engines that run
//! every transaction SERIALIZABLE (several distributed Postgres-compatible ones do), a
//! conflicting edit fails with SQLSTATE 40001 instead; it is retried a few times.

use super::access::{Access, KeyRecord, KeyedInsert, PoolStats, StoredKey};
use super::model::{Lead, LeadEdit, LeadPage, LeadQuery, Membership, Project, Role, User};
use super::query::{count_query, insert_leads, push_order, push_where, Dialect};
use super::stream::spawn_rows;
use super::{apply_edit, free_form, from_millis, new_object_id, now, StoreError, StoreOptions};
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::str::FromStr;

const LEAD_COLUMNS: &str = "l.id, l.project_id, l.lead_id, l.fullname, l.email, l.phone, \
    l.company, l.note, l.street_address, l.city, l.region, l.zipcode, l.country, l.tags, \
    l.status, l.attributes, l.properties, l.created_by, l.created_at, l.updated_at, l.version";

/// How often an edit is tried when the engine reports a serialization failure.
const ATTEMPTS: usize = 5;

/// The embedded schema migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The advisory lock servers take to migrate one at a time ("leadsmig" in ASCII); another
/// key than the migrator's own, so holding it says "a leads server is migrating".
pub const MIGRATION_LOCK: i64 = 0x6c65_6164_736d_6967;

/// Connections a server opens at most, unless configured.
const CONNECTIONS: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
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
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections.unwrap_or(CONNECTIONS))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Whether the database answers and has every migration this build knows.
    pub(super) async fn ready(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(pending_migrations(&mut conn).await? == 0)
    }

    pub(super) fn pool_stats(&self) -> Vec<PoolStats> {
        vec![PoolStats {
            name: "main",
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }]
    }

    pub(super) async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE leads").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    pub(super) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn init_setting(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let inserted = sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await;
        match inserted {
            Ok(_) => Ok(value.to_owned()),
            // Someone else stored one first: theirs wins.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => self
                .setting(key)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("setting `{key}` vanished"))),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn create_user(&self, email: &str, hash: &str) -> Result<User, StoreError> {
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
        .execute(&self.pool)
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
            "SELECT id, email, password_hash, credential_version FROM users WHERE email_key = $1",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub(super) async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, password_hash, credential_version FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub(super) async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, credential_version = credential_version + 1 \
             WHERE id = $2",
        )
        .bind(hash)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    pub(super) async fn create_project(&self, name: &str) -> Result<Project, StoreError> {
        let project = Project {
            id: new_object_id(),
            name: name.to_owned(),
        };
        sqlx::query("INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&project.id)
            .bind(&project.name)
            .bind(now().timestamp_millis())
            .execute(&self.pool)
            .await?;
        Ok(project)
    }

    pub(super) async fn set_membership(
        &self,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let project: Option<String> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
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
        let updated =
            sqlx::query("UPDATE memberships SET role = $1 WHERE project_id = $2 AND user_id = $3")
                .bind(role.as_str())
                .bind(project_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)")
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
        let done = sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&self.pool)
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
            sqlx::query("UPDATE memberships SET role = $1 WHERE project_id = $2 AND user_id = $3")
                .bind(role.as_str())
                .bind(project_id)
                .bind(user_id)
                .execute(&self.pool)
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
             FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = $1 \
             WHERE u.id = $2",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
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
             WHERE project_id = $1 AND key = $2 AND created_at >= $3",
        )
        .bind(project_id)
        .bind(key)
        .bind(expired_before)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredKey {
                fingerprint: r.try_get("fingerprint")?,
                response: r.try_get("response")?,
            })
        })
        .transpose()
    }

    /// Inserts the key and the lead in one transaction; a live key of the same name makes
    /// it write nothing. A concurrent insert of the same key waits on the key's unique
    /// index until the first commits, then finds it taken.
    pub(super) async fn insert_lead_with_key(
        &self,
        lead: &Lead,
        key: &KeyRecord,
    ) -> Result<KeyedInsert, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE project_id = $1 AND key = $2 AND created_at < $3",
        )
        .bind(&lead.project_id)
        .bind(&key.key)
        .bind(key.expired_before)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (project_id, key, fingerprint, lead, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, key) DO NOTHING",
        )
        .bind(&lead.project_id)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(&lead.id)
        .bind(&key.response)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(KeyedInsert::KeyTaken);
        }
        insert_leads::<Postgres, _>(std::slice::from_ref(lead), |lead| &lead.tags)
            .build()
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(KeyedInsert::Inserted)
    }

    pub(super) async fn purge_idempotency_keys(
        &self,
        expired_before: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(expired_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn role_of(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM memberships WHERE project_id = $1 AND user_id = $2",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        role.map(|r| parse_role(&r)).transpose()
    }

    pub(super) async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query(
            "SELECT project_id, role FROM memberships WHERE user_id = $1 ORDER BY project_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
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

    pub(super) async fn insert_lead(&self, lead: &Lead) -> Result<(), StoreError> {
        insert_leads::<Postgres, _>(std::slice::from_ref(lead), |lead| &lead.tags)
            .build()
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn insert_leads(&self, leads: &[Lead]) -> Result<(), StoreError> {
        // 23 parameters a row; PostgreSQL takes at most 65,535 in one statement.
        const ROWS_PER_STATEMENT: usize = 2_000;
        let mut tx = self.pool.begin().await?;
        for chunk in leads.chunks(ROWS_PER_STATEMENT) {
            insert_leads::<Postgres, _>(chunk, |lead| &lead.tags)
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
            "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = $1 AND l.id = $2"
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.pool)
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
             LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = $1 \
             LEFT JOIN leads l ON l.project_id = m.project_id AND l.id = $2 \
             WHERE u.id = $3"
        )))
        .bind(project_id)
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.pool)
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
        let mut attempt = 1;
        loop {
            let mut tx = self.pool.begin().await?;
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
    }

    pub(super) async fn delete_lead(
        &self,
        project_id: &str,
        id: &str,
    ) -> Result<Option<Lead>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM leads AS l WHERE l.project_id = $1 AND l.id = $2 RETURNING {LEAD_COLUMNS}"
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.pool)
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
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let mut count = count_query::<Postgres>(Dialect::Postgres, project_id, query);
        let count: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;

        let mut page = QueryBuilder::<Postgres>::new(format!("SELECT {LEAD_COLUMNS} FROM leads l"));
        push_where(&mut page, Dialect::Postgres, project_id, query);
        push_order(&mut page, Dialect::Postgres, query);
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
        let pool = self.pool.clone();
        spawn_rows(move |tx| async move {
            let mut qb =
                QueryBuilder::<Postgres>::new(format!("SELECT {LEAD_COLUMNS} FROM leads l"));
            push_where(&mut qb, Dialect::Postgres, &project_id, &query);
            push_order(&mut qb, Dialect::Postgres, &query);
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

/// Reads the lead under a row lock, applies the edit and writes it back.
async fn edit_in(
    conn: &mut PgConnection,
    project_id: &str,
    id: &str,
    edit: &LeadEdit,
) -> Result<Option<Lead>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {LEAD_COLUMNS} FROM leads l WHERE l.project_id = $1 AND l.id = $2 FOR UPDATE"
    )))
    .bind(project_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut lead = lead_from_row(&row)?;
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

fn user_from_row(row: &PgRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        credential_version: row.try_get("credential_version")?,
    })
}

fn access_from_row(row: &PgRow) -> Result<Access, StoreError> {
    Ok(Access {
        credential_version: row.try_get("credential_version")?,
        role: row
            .try_get::<Option<String>, _>("member_role")?
            .map(|r| parse_role(&r))
            .transpose()?,
    })
}

/// Migrates the schema, one server at a time: the first to take [`MIGRATION_LOCK`]
/// migrates, and every other waits for it, then finds nothing to do. Logs which it was.
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
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
        let pending = pending_migrations(&mut conn).await?;
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

fn parse_role(role: &str) -> Result<Role, StoreError> {
    role.parse()
        .map_err(|e: super::UnknownRole| StoreError::Corrupt(e.to_string()))
}

fn lead_from_row(row: &PgRow) -> Result<Lead, StoreError> {
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
        tags: row.try_get("tags")?,
        status: row.try_get("status")?,
        attributes,
        properties,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
        version: row.try_get("version")?,
    })
}
