//! Group commit for SQLite creates: concurrent inserts share one transaction, so one
//! `fsync` acknowledges many leads.
//!
//! SQLite has one writer and `synchronous=FULL` syncs the WAL on every commit, so a commit
//! per create caps creates at the disk's sync rate. Here a single task takes whatever
//! creates are waiting, inserts them in one `BEGIN IMMEDIATE` transaction and answers each
//! caller only after that transaction is committed: nothing is acknowledged before it is
//! durable. A failing insert is rolled back alone (SQLite undoes just the failed
//! statement) and reported to its own caller; a failed commit is reported to every caller
//! of the batch.

use super::model::Lead;
use super::StoreError;
use sqlx::sqlite::SqlitePool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most creates one transaction takes; bounds the time a batch holds the write lock.
const MAX_BATCH: usize = 512;

/// Creates waiting for the writer; when full, callers wait (backpressure, not buffering).
const QUEUE: usize = 4096;

/// One create waiting to be written.
struct Pending {
    lead: Lead,
    done: oneshot::Sender<Result<(), StoreError>>,
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
            .finish()
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
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { lead, done })
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
        let (leads, callers): (Vec<Lead>, Vec<_>) =
            pending.into_iter().map(|p| (p.lead, p.done)).unzip();
        let results = write_batch(&pool, &leads).await;
        for (caller, result) in callers.into_iter().zip(results) {
            // A caller that went away still had its lead written; nobody to tell.
            let _ = caller.send(result);
        }
    }
}

/// Writes `leads` in one transaction; answers one result per lead, in order.
async fn write_batch(pool: &SqlitePool, leads: &[Lead]) -> Vec<Result<(), StoreError>> {
    let failed_all = |error: sqlx::Error| {
        let shared = Arc::new(error);
        leads
            .iter()
            .map(|_| Err(StoreError::Batch(shared.clone())))
            .collect()
    };
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => return failed_all(error),
    };
    let mut results = Vec::with_capacity(leads.len());
    for lead in leads {
        results.push(super::sqlite::insert_lead(&mut tx, lead).await);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(error) => failed_all(error),
    }
}
