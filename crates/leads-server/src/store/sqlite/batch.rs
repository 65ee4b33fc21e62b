//! How SQLite writes a batch of the group commit: on the store's single write
//! connection, in one `BEGIN IMMEDIATE` transaction.
//!
//! Creates without a key go in multi-row statements: each statement is a hop to sqlx's
//! connection thread, and the hops, not SQLite's work per row, were what bounded a
//! batch. SQLite undoes a statement that breaks a constraint by itself, so a plain
//! insert needs no savepoint. A create with an idempotency key writes the key and the
//! lead in a savepoint of its own.

use super::super::access::{KeyRecord, KeyedInsert};
use super::super::group_commit::{
    committed, failed_all, own, write_in_order, BatchStatements, Create, Outcome, WriteBatch,
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
        // Any failure but a broken constraint fails the batch: SQLite may already have
        // ended the transaction (SQLITE_FULL, SQLITE_IOERR), and the statements after it
        // would run outside it. Dropping `tx` rolls back the rest.
        let outcomes = match write_in_order(&mut Statements(&mut tx), creates).await {
            Ok(outcomes) => outcomes,
            Err(error) => return failed_all(creates, error),
        };
        match tx.commit().await {
            Ok(()) => committed(outcomes),
            Err(error) => failed_all(creates, error),
        }
    }
}

/// The statements of a batch, on the write connection inside its transaction.
struct Statements<'c>(&'c mut SqliteConnection);

impl BatchStatements for Statements<'_> {
    async fn insert(&mut self, leads: &[&Lead]) -> Result<Result<(), sqlx::Error>, sqlx::Error> {
        own(write::insert(&mut *self.0, leads).await)
    }

    /// Inserts the key, then the lead, in a savepoint that is undone whole when either
    /// fails or the key is taken.
    async fn insert_keyed(&mut self, lead: &Lead, key: &KeyRecord) -> Result<Outcome, sqlx::Error> {
        let conn = &mut *self.0;
        sqlx::query("SAVEPOINT keyed_create")
            .execute(&mut *conn)
            .await?;
        let written = own(insert_keyed(&mut *conn, lead, key).await)?;
        let close = match written {
            Ok(KeyedInsert::Inserted) => "RELEASE keyed_create",
            _ => "ROLLBACK TO keyed_create; RELEASE keyed_create",
        };
        sqlx::raw_sql(close).execute(&mut *conn).await?;
        Ok(written)
    }
}

/// Inserts the key, then the lead when the key was free.
async fn insert_keyed(
    conn: &mut SqliteConnection,
    lead: &Lead,
    key: &KeyRecord,
) -> Result<KeyedInsert, sqlx::Error> {
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
