//! PostgreSQL connections for the store, without a round trip of their own.
//!
//! sqlx's pool pings a connection when it is given back (a `Sync` and its answer), and by
//! default before it is handed out: two round trips beside the one query a read by id
//! needs. Here a connection is given back as it is, once the operation that held it
//! finished; one that an operation left in an unknown state (an I/O or protocol error,
//! or a future dropped midway, e.g. by a request timeout) is closed instead. A broken idle
//! connection shows as an I/O error on its next query: transient, answered 503 and retried.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::access::PoolStats;

/// A bounded set of PostgreSQL connections, opened on demand and kept.
#[derive(Debug, Clone)]
pub(super) struct PgConns {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: PgConnectOptions,
    idle: Mutex<Vec<PgConnection>>,
    permits: Arc<Semaphore>,
    max: u32,
    acquire_timeout: Duration,
    open: AtomicU32,
    closed: AtomicBool,
}

/// A connection held by one operation; given back when dropped after [`Lease::settle`]
/// found it reusable, closed otherwise.
#[derive(Debug)]
pub(super) struct Lease {
    conn: Option<PgConnection>,
    inner: Arc<Inner>,
    reusable: bool,
    _permit: OwnedSemaphorePermit,
}

impl PgConns {
    /// At most `max` connections with `options`; waits `acquire_timeout` for a free one.
    pub(super) fn new(options: PgConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        PgConns {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max as usize)),
                max,
                acquire_timeout,
                open: AtomicU32::new(0),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// A connection: an idle one, or a new one while fewer than `max` are open.
    pub(super) async fn acquire(&self) -> Result<Lease, sqlx::Error> {
        let inner = &self.inner;
        let waited = tokio::time::timeout(inner.acquire_timeout, async {
            let permit = inner
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| sqlx::Error::PoolClosed)?;
            let idle = inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let conn = match idle {
                Some(conn) => conn,
                None => {
                    let conn = inner.options.connect().await?;
                    inner.open.fetch_add(1, Ordering::Relaxed);
                    conn
                }
            };
            Ok::<_, sqlx::Error>((permit, conn))
        })
        .await;
        let (permit, conn) = waited.map_err(|_| sqlx::Error::PoolTimedOut)??;
        Ok(Lease {
            conn: Some(conn),
            inner: inner.clone(),
            reusable: false,
            _permit: permit,
        })
    }

    /// Refuses new leases and closes the idle connections.
    pub(super) async fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.permits.close();
        let idle: Vec<PgConnection> = std::mem::take(
            &mut *self
                .inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for conn in idle {
            self.inner.open.fetch_sub(1, Ordering::Relaxed);
            let _ = conn.close().await;
        }
    }

    /// The figures for `/metrics`.
    pub(super) fn stats(&self) -> PoolStats {
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        PoolStats {
            name: "main",
            size: self.inner.open.load(Ordering::Relaxed),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max: self.inner.max,
        }
    }
}

impl Lease {
    /// Marks the connection reusable after an operation that ended with `outcome`: a
    /// success or an error the server reported (the exchange completed); anything else
    /// leaves it in an unknown state, so it is closed.
    pub(super) fn settle<T, E>(&mut self, outcome: &Result<T, E>)
    where
        E: AsSqlxError,
    {
        self.reusable = match outcome {
            Ok(_) => true,
            Err(error) => error.as_sqlx().is_none_or(|error| {
                matches!(
                    error,
                    sqlx::Error::Database(_)
                        | sqlx::Error::RowNotFound
                        | sqlx::Error::ColumnDecode { .. }
                        | sqlx::Error::ColumnNotFound(_)
                        | sqlx::Error::Decode(_)
                )
            }),
        };
    }
}

/// The sqlx error inside an error, if any.
pub(super) trait AsSqlxError {
    fn as_sqlx(&self) -> Option<&sqlx::Error>;
}

impl AsSqlxError for sqlx::Error {
    fn as_sqlx(&self) -> Option<&sqlx::Error> {
        Some(self)
    }
}

impl AsSqlxError for super::StoreError {
    fn as_sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            super::StoreError::Database(error) => Some(error),
            super::StoreError::Migrate(sqlx::migrate::MigrateError::Execute(error)) => Some(error),
            _ => None,
        }
    }
}

impl std::ops::Deref for Lease {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.reusable && !self.inner.closed.load(Ordering::SeqCst) {
            self.inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        } else {
            // Dropping closes the socket; nothing more is owed to a connection in an
            // unknown state.
            self.inner.open.fetch_sub(1, Ordering::Relaxed);
            drop(conn);
        }
    }
}
