//! How PostgreSQL writes a batch of the group commit: on one leased connection, in one
//! transaction, so that one WAL flush acknowledges the whole batch.
//!
//! A failed statement aborts a PostgreSQL transaction, so each statement that may break
//! a constraint runs in a savepoint: a multi-row statement for a run of creates without
//! a key (written again lead by lead when it breaks one, so only the offending create
//! fails), and a key with its lead. A batch that fails as a whole on a deadlock or a
//! serialization failure wrote nothing, and is tried again.

use super::access::{KeyRecord, KeyedInsert};
use super::group_commit::{
    committed, failed_all, own, write_in_order, BatchStatements, Create, Outcome, WriteBatch,
};
use super::model::Lead;
use super::pg_pool::PgConns;
use super::query::{delete_expired_key, insert_key, insert_leads};
use super::StoreError;
use sqlx::{Connection, PgConnection, Postgres};
use std::future::Future;

/// How often a batch is tried when the engine aborts it on a deadlock or a
/// serialization failure.
const ATTEMPTS: usize = 5;

/// Writes batches on a connection of the store's pool.
pub(super) struct PgBatches(pub(super) PgConns);

impl WriteBatch for PgBatches {
    async fn write(&self, creates: &[Create]) -> Vec<Result<KeyedInsert, StoreError>> {
        let conns = &self.0;
        let written = retried(|| async move {
            let mut lease = conns.acquire().await?;
            let outcome = write_batch(&mut lease, creates).await;
            lease.settle(&outcome);
            outcome
        })
        .await;
        match written {
            Ok(outcomes) => committed(outcomes),
            Err(error) => failed_all(creates, error),
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has run [`ATTEMPTS`] times. A
/// transaction the engine aborted for a conflict wrote nothing, so running it again is
/// safe.
async fn retried<T, F, Fut>(mut attempt: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut made = 1;
    loop {
        match attempt().await {
            Err(error) if is_retryable(&error) && made < ATTEMPTS => made += 1,
            outcome => return outcome,
        }
    }
}

/// Whether the engine aborted the transaction for a conflict with another one: a
/// deadlock (40P01) or a serialization failure (40001).
fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40P01" | "40001")))
}

async fn write_batch(
    conn: &mut PgConnection,
    creates: &[Create],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let outcomes = write_in_order(&mut Statements(&mut tx), creates).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// The statements of a batch, each in a savepoint, on the connection inside its
/// transaction.
struct Statements<'c>(&'c mut PgConnection);

impl BatchStatements for Statements<'_> {
    async fn insert(&mut self, leads: &[&Lead]) -> Result<Result<(), sqlx::Error>, sqlx::Error> {
        savepoint(self.0).await?;
        let written = insert(self.0, leads).await;
        close(self.0, written, |()| true).await
    }

    async fn insert_keyed(&mut self, lead: &Lead, key: &KeyRecord) -> Result<Outcome, sqlx::Error> {
        savepoint(self.0).await?;
        let written = insert_keyed(self.0, lead, key).await;
        close(self.0, written, |o| *o == KeyedInsert::Inserted).await
    }
}

/// Opens the savepoint one statement (or one keyed create) runs in.
async fn savepoint(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("SAVEPOINT one_create")
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Closes the savepoint around `written`: kept when `keep` says so, undone otherwise
/// (a broken constraint, or a key already taken). Answers the create's own outcome; any
/// failure but a broken constraint fails the batch.
async fn close<T>(
    conn: &mut PgConnection,
    written: Result<T, sqlx::Error>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<Result<T, sqlx::Error>, sqlx::Error> {
    let written = own(written)?;
    let sql = match &written {
        Ok(value) if keep(value) => "RELEASE SAVEPOINT one_create",
        _ => "ROLLBACK TO SAVEPOINT one_create; RELEASE SAVEPOINT one_create",
    };
    sqlx::raw_sql(sql).execute(&mut *conn).await?;
    Ok(written)
}

/// Inserts `leads` in one statement.
async fn insert(conn: &mut PgConnection, leads: &[&Lead]) -> Result<(), sqlx::Error> {
    let mut statement = insert_leads::<Postgres, _>(leads.iter().copied(), |lead| &lead.tags);
    statement.build().execute(&mut *conn).await.map(drop)
}

/// Inserts the key and the lead, or nothing when a live key of the same name exists. A
/// concurrent insert of the same key (another server) waits on the key's unique index
/// until the first commits, then finds it taken.
async fn insert_keyed(
    conn: &mut PgConnection,
    lead: &Lead,
    key: &KeyRecord,
) -> Result<KeyedInsert, sqlx::Error> {
    let mut expired = delete_expired_key::<Postgres>(lead, key);
    expired.build().execute(&mut *conn).await?;
    let mut record = insert_key::<Postgres>(lead, key);
    let inserted = record.build().execute(&mut *conn).await?;
    if inserted.rows_affected() == 0 {
        return Ok(KeyedInsert::KeyTaken);
    }
    insert(conn, &[lead]).await?;
    Ok(KeyedInsert::Inserted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A database error with only a SQLSTATE code.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }

        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }

        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn coded(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Coded(code)))
    }

    /// How many attempts `retried` makes when every attempt fails with `error()`.
    async fn attempts_on(error: fn() -> sqlx::Error) -> usize {
        let made = AtomicUsize::new(0);
        let outcome: Result<(), _> = retried(|| async {
            made.fetch_add(1, Ordering::SeqCst);
            Err(error())
        })
        .await;
        assert!(outcome.is_err());
        made.into_inner()
    }

    #[tokio::test]
    async fn conflicts_are_tried_again_a_bounded_number_of_times() {
        assert_eq!(attempts_on(|| coded("40P01")).await, ATTEMPTS);
        assert_eq!(attempts_on(|| coded("40001")).await, ATTEMPTS);
    }

    #[tokio::test]
    async fn other_failures_are_answered_at_once() {
        assert_eq!(attempts_on(|| coded("23505")).await, 1);
        assert_eq!(attempts_on(|| sqlx::Error::PoolTimedOut).await, 1);
        assert_eq!(
            attempts_on(|| sqlx::Error::Protocol("broken".to_owned())).await,
            1
        );
    }

    #[tokio::test]
    async fn a_conflict_then_a_success_answers_the_success() {
        let made = AtomicUsize::new(0);
        let outcome = retried(|| async {
            match made.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(coded("40P01")),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(outcome.expect("the third attempt"), 2);
    }
}
