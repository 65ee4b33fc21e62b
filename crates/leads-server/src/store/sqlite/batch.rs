//! How SQLite writes a batch of the group commit: on the store's single write
//! connection, in one `BEGIN IMMEDIATE` transaction.
//!
//! Creates without a key go in multi-row statements: each statement is a hop to sqlx's
//! connection thread, and the hops, not SQLite's work per row, were what bounded a
//! batch. When a statement breaks a constraint, SQLite undoes that statement alone and
//! its leads are written one by one, so only the offending create fails. A create with
//! an idempotency key writes the key and the lead in a savepoint of its own.

use super::super::access::{KeyRecord, KeyedInsert};
use super::super::group_commit::{
    committed, failed_all, own, statements, steps, Create, Outcome, Step, WriteBatch,
};
use super::super::model::Lead;
use super::super::query::{delete_expired_key, insert_key};
use super::super::StoreError;
use super::write;
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, SqliteConnection};

/// Writes batches on the store's write connection.
pub(super) struct SqliteBatches(pub(super) SqlitePool);

impl WriteBatch for SqliteBatches {
    async fn write(&self, creates: &[Create]) -> Vec<Result<KeyedInsert, StoreError>> {
        let mut tx = match self.0.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(error) => return failed_all(creates, error),
        };
        let mut outcomes = Vec::with_capacity(creates.len());
        for step in steps(creates) {
            // Any failure but a broken constraint fails the batch: SQLite may already
            // have ended the transaction (SQLITE_FULL, SQLITE_IOERR), and the statements
            // after it would run outside it. Dropping `tx` rolls back the rest.
            let written = match step {
                Step::Keyed(lead, key) => {
                    own(insert_keyed(&mut tx, lead, key).await).map(|o| vec![o])
                }
                Step::Unkeyed(run) => insert_unkeyed(&mut tx, run).await,
            };
            match written {
                Ok(written) => outcomes.extend(written),
                Err(error) => return failed_all(creates, error),
            }
        }
        match tx.commit().await {
            Ok(()) => committed(outcomes),
            Err(error) => failed_all(creates, error),
        }
    }
}

/// Inserts a run of creates without keys, a statement per power-of-two chunk; a chunk
/// that breaks a constraint is undone by SQLite and written again lead by lead.
async fn insert_unkeyed(
    conn: &mut SqliteConnection,
    run: &[Create],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut outcomes = Vec::with_capacity(run.len());
    for leads in statements(run) {
        match own(write::insert(&mut *conn, &leads).await)? {
            Ok(()) => outcomes.extend(leads.iter().map(|_| Ok(KeyedInsert::Inserted))),
            Err(broken) if leads.len() == 1 => outcomes.push(Err(broken)),
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
        let mut expired = delete_expired_key::<Sqlite>(lead, key);
        expired.build().execute(&mut *conn).await?;
        let mut record = insert_key::<Sqlite>(lead, key);
        let inserted = record.build().execute(&mut *conn).await?;
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
