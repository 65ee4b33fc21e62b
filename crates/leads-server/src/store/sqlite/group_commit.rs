//! Group commit for SQLite creates: concurrent inserts share one transaction, so one
//! `fsync` acknowledges many leads.
//!
//! SQLite has one writer and `synchronous=FULL` syncs the WAL on every commit, so a commit
//! per create caps creates at the disk's sync rate. Here a single task takes whatever
//! creates are waiting, inserts them in one `BEGIN IMMEDIATE` transaction and answers each
//! caller only after that transaction is committed: nothing is acknowledged before it is
//! durable. Creates without a key go in multi-row statements, a statement per run
//! rather than per lead: the writer's time per statement, not SQLite's per row, is what
//! bounded the batch. A create that breaks a constraint is rolled back alone (SQLite
//! undoes just the failed statement, whose leads are then written one by one, or a
//! create's savepoint when it carries an idempotency key) and reported to its own caller;
//! any other failure, and a failed commit, is reported to every caller of the batch.

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

/// What one create came to inside a batch: written, its key already live, or a
/// constraint it broke (SQLite undid just that statement, and the batch goes on).
type Outcome = Result<KeyedInsert, sqlx::Error>;

/// Writes `creates` in one transaction; answers one result per create, in order. A create
/// that breaks a constraint fails alone; any other failure fails the whole batch, rolled
/// back, since SQLite may already have ended the transaction.
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
    let mut outcomes = Vec::with_capacity(creates.len());
    let mut rest = creates;
    while let Some(((lead, key), after)) = rest.split_first() {
        // Keyed creates one by one, each in its savepoint; a run of unkeyed ones in bulk.
        let written = match key {
            Some(key) => {
                rest = after;
                own(insert_keyed(&mut tx, lead, key).await).map(|outcome| vec![outcome])
            }
            None => {
                let run = rest.iter().take_while(|(_, key)| key.is_none()).count();
                let (unkeyed, after) = rest.split_at(run);
                rest = after;
                insert_unkeyed(&mut tx, unkeyed).await
            }
        };
        match written {
            Ok(written) => outcomes.extend(written),
            Err(error) => return failed_all(error),
        }
    }
    match tx.commit().await {
        Ok(()) => outcomes
            .into_iter()
            .map(|outcome| outcome.map_err(StoreError::Database))
            .collect(),
        Err(error) => failed_all(error),
    }
}

/// Inserts a run of creates without keys in multi-row statements, so the batch costs a
/// few statements rather than one per lead. Statement sizes are powers of two, so only a
/// handful of statement shapes is ever prepared. When a statement breaks a constraint,
/// SQLite undoes that statement alone, and its leads are inserted one by one so that
/// only the offending ones fail.
async fn insert_unkeyed(
    conn: &mut SqliteConnection,
    creates: &[(Lead, Option<KeyRecord>)],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes = Vec::with_capacity(creates.len());
    let mut rest = creates;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(1 << rest.len().ilog2());
        rest = after;
        let leads: Vec<&Lead> = chunk.iter().map(|(lead, _)| lead).collect();
        match own(write::insert(&mut *conn, &leads).await)? {
            Ok(()) => outcomes.extend(chunk.iter().map(|_| Ok(KeyedInsert::Inserted))),
            Err(broken) if chunk.len() == 1 => outcomes.push(Err(broken)),
            Err(_) => {
                for lead in leads {
                    let written = write::insert(&mut *conn, &[lead]).await;
                    outcomes.push(own(written)?.map(|()| KeyedInsert::Inserted));
                }
            }
        }
    }
    Ok(outcomes)
}

/// Sorts a statement's failure: a broken constraint is the create's own outcome (the
/// inner error); anything else fails the batch (the outer one).
fn own<T>(result: Result<T, sqlx::Error>) -> Result<Result<T, sqlx::Error>, sqlx::Error> {
    /// SQLite's primary result code for a broken constraint; extended codes add to it.
    const SQLITE_CONSTRAINT: i32 = 19;
    match result {
        Err(sqlx::Error::Database(error))
            if error
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == SQLITE_CONSTRAINT) =>
        {
            Ok(Err(sqlx::Error::Database(error)))
        }
        Err(error) => Err(error),
        Ok(value) => Ok(Ok(value)),
    }
}

/// Inserts the key, then the lead, in a savepoint that is undone whole when either fails.
async fn insert_keyed(
    conn: &mut SqliteConnection,
    lead: &Lead,
    key: &KeyRecord,
) -> Result<KeyedInsert, sqlx::Error> {
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
        write::insert(&mut *conn, &[lead]).await?;
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
