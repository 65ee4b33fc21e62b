//! SQLite reads through rusqlite: point lookups inline on the caller's thread, lists and
//! exports on a bounded number of blocking threads.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement over
//! through channels: about four context switches and 30 µs of CPU for a lookup that SQLite
//! answers in a few microseconds. Here a point read takes a read-only connection, runs a
//! statement prepared once on it (`prepare_cached`) and gives the connection back, without
//! leaving the thread. It waits for nothing but the page cache or the disk, so it runs
//! inline on the runtime's worker; a connection is kept per thread reading at the same
//! moment, so there are never more than the runtime has threads. A list or an export may
//! read many rows: it runs on a blocking thread, at most `max` at once, so a slow one never
//! stalls the runtime, and waits for a free reader no longer than the acquire timeout.
//!
//! Every statement is a read transaction of its own (a list's count and page share one),
//! begun after every commit that was acknowledged before it: in WAL mode a reader sees
//! every write acknowledged before its read began.

use super::super::query::Param;
use super::super::stream::{self, RowSender};
use super::super::{Lead, PoolStats, StoreError};
use futures::stream::BoxStream;
use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{Connection, OpenFlags, Row, ToSql};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Statements each connection keeps prepared: every point read and the list shapes.
const STATEMENTS: usize = 64;

/// How long a reader waits for the writer's checkpoint or a lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The read-only connections of one database file.
#[derive(Debug)]
pub(super) struct Readers {
    path: PathBuf,
    /// How much of the database file each connection maps (`PRAGMA mmap_size`).
    map_bytes: u64,
    /// Connections of inline reads, each used by one thread at a time.
    inline: Mutex<Vec<Connection>>,
    /// Connections of blocking reads.
    pooled: Mutex<Vec<Connection>>,
    /// Blocking reads running at most, and their count.
    permits: Arc<Semaphore>,
    max: u32,
    acquire_timeout: Duration,
    /// Connections opened for each kind, for `/metrics`.
    inline_open: AtomicU32,
    pooled_open: AtomicU32,
    closed: AtomicBool,
}

impl Readers {
    /// Readers of the database at `path`, which must exist; opens one to check it.
    pub(super) fn open(
        path: PathBuf,
        map_bytes: u64,
        max: u32,
        acquire_timeout: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let first = connect(&path, map_bytes)?;
        let readers = Readers {
            path,
            map_bytes,
            inline: Mutex::new(vec![first]),
            pooled: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max as usize)),
            max,
            acquire_timeout,
            inline_open: AtomicU32::new(1),
            pooled_open: AtomicU32::new(0),
            closed: AtomicBool::new(false),
        };
        Ok(Arc::new(readers))
    }

    /// Runs `read` on this thread, on a connection no other thread uses meanwhile.
    pub(super) fn inline<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take(&self.inline, &self.inline_open)?;
        let result = read(&conn);
        self.give_back(&self.inline, &self.inline_open, conn);
        result
    }

    /// Runs `read` on a blocking thread, once one of the `max` readers is free.
    pub(super) async fn blocking<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit =
            match tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
            {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => return Err(StoreError::Database(sqlx::Error::PoolClosed)),
                Err(_) => return Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
            };
        let readers = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = readers.take(&readers.pooled, &readers.pooled_open)?;
            let result = read(&conn);
            readers.give_back(&readers.pooled, &readers.pooled_open, conn);
            result
        });
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolClosed)),
        }
    }

    /// Streams what `produce` sends from a blocking reader; an error it returns becomes
    /// the stream's last item. `produce` stops when a send fails: the reader went away.
    pub(super) fn stream<F>(
        self: &Arc<Self>,
        produce: F,
    ) -> BoxStream<'static, Result<Lead, StoreError>>
    where
        F: FnOnce(&Connection, &RowSender) -> Result<(), StoreError> + Send + 'static,
    {
        let (tx, rows) = stream::channel();
        let readers = self.clone();
        tokio::spawn(async move {
            let sender = tx.clone();
            if let Err(error) = readers.blocking(move |conn| produce(conn, &sender)).await {
                let _ = tx.send(Err(error)).await;
            }
        });
        rows
    }

    /// Closes every idle connection; reads after this fail as closed.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.permits.close();
        for (idle, open) in [
            (&self.inline, &self.inline_open),
            (&self.pooled, &self.pooled_open),
        ] {
            let mut idle = idle.lock().unwrap_or_else(PoisonError::into_inner);
            open.fetch_sub(
                u32::try_from(idle.len()).unwrap_or(u32::MAX),
                Ordering::Relaxed,
            );
            idle.clear();
        }
    }

    /// The figures of both kinds of reader, for `/metrics`.
    pub(super) fn stats(&self) -> [PoolStats; 2] {
        let idle = |list: &Mutex<Vec<Connection>>| {
            u32::try_from(list.lock().unwrap_or_else(PoisonError::into_inner).len())
                .unwrap_or(u32::MAX)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        [
            PoolStats {
                name: "read",
                size: self.pooled_open.load(Ordering::Relaxed),
                idle: idle(&self.pooled),
                max: self.max,
            },
            PoolStats {
                name: "read_inline",
                size: self.inline_open.load(Ordering::Relaxed),
                idle: idle(&self.inline),
                max: u32::try_from(threads).unwrap_or(u32::MAX),
            },
        ]
    }

    fn take(
        &self,
        idle: &Mutex<Vec<Connection>>,
        open: &AtomicU32,
    ) -> Result<Connection, StoreError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        let reused = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match reused {
            Some(conn) => Ok(conn),
            None => {
                let conn = connect(&self.path, self.map_bytes)?;
                open.fetch_add(1, Ordering::Relaxed);
                Ok(conn)
            }
        }
    }

    fn give_back(&self, idle: &Mutex<Vec<Connection>>, open: &AtomicU32, conn: Connection) {
        // A connection left inside a transaction would keep reading an old snapshot.
        if self.closed.load(Ordering::SeqCst) || !conn.is_autocommit() {
            open.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        idle.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

/// A read-only connection, used by one thread at a time (hence no mutex of SQLite's own),
/// mapping up to `map_bytes` of the file.
fn connect(path: &std::path::Path, map_bytes: u64) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS);
    conn.pragma_update(
        None,
        "mmap_size",
        i64::try_from(map_bytes).unwrap_or(i64::MAX),
    )?;
    Ok(conn)
}

/// Runs the cached statement `sql` and maps its first row, if any.
pub(super) fn optional<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    match rows.next()? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

/// Runs the cached statement `sql` and maps every row.
pub(super) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(text) => ToSqlOutput::Borrowed(text.as_str().into()),
            Param::Int(n) => ToSqlOutput::Owned(Value::Integer(i64::from(*n))),
            Param::BigInt(n) => ToSqlOutput::Owned(Value::Integer(*n)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mapping each reader asks for, read back from a reader connection.
    fn mapped(map_bytes: u64) -> i64 {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("leads.db");
        Connection::open(&path)
            .and_then(|conn| conn.execute_batch("CREATE TABLE t (x)"))
            .expect("create a database");
        let readers = Readers::open(path, map_bytes, 1, Duration::from_secs(1)).expect("open");
        let size = readers
            .inline(|conn| {
                optional(conn, "PRAGMA mmap_size", [], |row| Ok(row.get(0)?))
                    .map(|size| size.expect("PRAGMA mmap_size answers a row"))
            })
            .expect("read the mapping");
        readers.close();
        size
    }

    #[test]
    fn readers_map_what_they_are_given() {
        assert_eq!(mapped(8 << 20), 8 << 20);
        assert_eq!(mapped(0), 0);
        // Past SQLite's own 2 GiB cap: the workspace builds it to map more
        // (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`).
        let default = crate::store::SQLITE_MAP_BYTES;
        assert_eq!(u64::try_from(mapped(default)), Ok(default));
    }
}
