//! Runs one storage test against a fresh database of each backend.

use futures::FutureExt;
use leads_server::store::{PgStore, SqliteStore, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;

/// The environment variable naming the PostgreSQL server for the suite.
pub const POSTGRES_URL: &str = "LEADS_TEST_POSTGRES_URL";

/// Runs `test` on a new SQLite file in a temporary folder.
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("leads.db").display());
    let store = Store::Sqlite(SqliteStore::open(&url).await.expect("open SQLite"));
    test(store.clone()).await;
    store.close().await;
}

/// Runs `test` in a schema of its own on the server named by `LEADS_TEST_POSTGRES_URL`,
/// dropping the schema afterwards, even when the test fails.
pub async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(url) = std::env::var(POSTGRES_URL) else {
        panic!("{POSTGRES_URL} was set when the tests were built but is not set now");
    };
    let schema = format!("leads_test_{}", leads_server::store::new_object_id());
    let mut admin = PgConnection::connect(&url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("create the test schema");
    let options = PgConnectOptions::from_str(&url)
        .expect("parse the URL")
        .options([("search_path", schema.as_str())]);
    let outcome = AssertUnwindSafe(async {
        let store = Store::Postgres(
            PgStore::with_options(options)
                .await
                .expect("open PostgreSQL"),
        );
        test(store.clone()).await;
        store.close().await;
    })
    .catch_unwind()
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .expect("drop the test schema");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Generates, for each named `async fn(Store)`, one test per backend.
#[macro_export]
macro_rules! storage_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::backends::with_sqlite(super::$name).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(leads_postgres_tests),
                    ignore = "set LEADS_TEST_POSTGRES_URL to run the PostgreSQL backend"
                )]
                async fn $name() {
                    $crate::backends::with_postgres(super::$name).await
                }
            )*
        }
    };
}
