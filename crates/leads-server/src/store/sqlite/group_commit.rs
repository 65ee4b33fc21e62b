//! Group commit for SQLite creates: concurrent inserts share one transaction, so one
//! `fsync` acknowledges many leads.
//!
//! SQLite has one writer and `synchronous=FULL` syncs the WAL on every commit, so a commit
//! per create caps creates at the disk's sync rate. Here a single task takes whatever
//! creates are waiting, inserts them in one `BEGIN IMMEDIATE` transaction and answers each
//! caller only after that transaction is committed: nothing is acknowledged before it is
//! durable. A failing insert is rolled back alone (SQLite undoes just the failed
//! statement, or a create's savepoint when it carries an idempotency key) and reported to
//! its own caller; a failed commit is reported to every caller of the batch.

use super::super::access::{KeyRecord, KeyedInsert};
use super::super::model::Lead;
use super::super::StoreError;
use super::write;
use crate::metrics;
use sqlx::sqlite::SqlitePool;
use sqlx::SqliteConnection;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// The most creates one transaction takes; bounds the time a batch holds the write lock.
const MAX_BATCH: usize = 512;

/// Creates waiting for the writer; when full, callers wait (backpressure, not buffering).
const QUEUE: usize = 4096;

/// One create waiting to be written.
struct Pending {
    lead: Lead,
    key: Option<KeyRecord>,
    queued: Instant,
    done: oneshot::Sender<Result<KeyedInsert, StoreError>>,
}

/// The handle the store inserts through; the writer task stops when every handle is gone.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("id", &self.lead.id)
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer task on `pool` (the store's single write connection).
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(pool, waiting));
        GroupCommit { queue }
    }

    /// Inserts `lead`, answering once the transaction holding it is committed.
    pub(super) async fn insert(&self, lead: Lead) -> Result<(), StoreError> {
        self.insert_with_key(lead, None).await.map(|_| ())
    }

    /// Inserts `lead` and, when given, its idempotency key, in one savepoint; answers
    /// once the transaction holding them is committed, or [`KeyedInsert::KeyTaken`]
    /// (nothing written) when the key is already live.
    pub(super) async fn insert_with_key(
        &self,
        lead: Lead,
        key: Option<KeyRecord>,
    ) -> Result<KeyedInsert, StoreError> {
        let (done, answer) = oneshot::channel();
        let pending = Pending {
            lead,
            key,
            queued: Instant::now(),
            done,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

async fn write_batches(pool: SqlitePool, mut waiting: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let pending = std::mem::take(&mut batch);
        let metrics = metrics::global();
        metrics.group_commit_batch(pending.len());
        for p in &pending {
            metrics.group_commit_wait(p.queued.elapsed());
        }
        let (creates, callers): (Vec<(Lead, Option<KeyRecord>)>, Vec<_>) = pending
            .into_iter()
            .map(|p| ((p.lead, p.key), p.done))
            .unzip();
        let results = write_batch(&pool, &creates).await;
        for (caller, result) in callers.into_iter().zip(results) {
            // A caller that went away still had its lead written; nobody to tell.
            let _ = caller.send(result);
        }
    }
}

/// Writes `creates` in one transaction; answers one result per create, in order.
async fn write_batch(
    pool: &SqlitePool,
    creates: &[(Lead, Option<KeyRecord>)],
) -> Vec<Result<KeyedInsert, StoreError>> {
    let failed_all = |error: sqlx::Error| {
        let shared = Arc::new(error);
        creates
            .iter()
            .map(|_| Err(StoreError::Batch(shared.clone())))
            .collect()
    };
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => return failed_all(error),
    };
    let mut results = Vec::with_capacity(creates.len());
    for (lead, key) in creates {
        let result = match key {
            None => write::insert(&mut tx, std::slice::from_ref(lead))
                .await
                .map(|()| KeyedInsert::Inserted),
            Some(key) => insert_keyed(&mut tx, lead, key).await,
        };
        results.push(result);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(error) => failed_all(error),
    }
}

/// Inserts the key, then the lead, in a savepoint that is undone whole when either fails.
async fn insert_keyed(
    conn: &mut SqliteConnection,
    lead: &Lead,
    key: &KeyRecord,
) -> Result<KeyedInsert, StoreError> {
    sqlx::query("SAVEPOINT keyed_create")
        .execute(&mut *conn)
        .await?;
    let outcome = async {
        sqlx::query("DELETE FROM idempotency_keys WHERE project_id = ? AND key = ? AND created_at < ?")
            .bind(&lead.project_id)
            .bind(&key.key)
            .bind(key.expired_before)
            .execute(&mut *conn)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (project_id, key, fingerprint, lead, response, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, key) DO NOTHING",
        )
        .bind(&lead.project_id)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(&lead.id)
        .bind(&key.response)
        .bind(key.created_at)
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(KeyedInsert::KeyTaken);
        }
        write::insert(&mut *conn, std::slice::from_ref(lead)).await?;
        Ok(KeyedInsert::Inserted)
    }
    .await;
    let close = match outcome {
        Ok(KeyedInsert::Inserted) => "RELEASE keyed_create",
        _ => "ROLLBACK TO keyed_create",
    };
    sqlx::query(close).execute(&mut *conn).await?;
    if close.starts_with("ROLLBACK") {
        sqlx::query("RELEASE keyed_create")
            .execute(&mut *conn)
            .await?;
    }
    outcome
}
