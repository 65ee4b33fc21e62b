//! Turning a database row cursor into a `'static` stream a response body can own.
//!
//! sqlx's row streams borrow their pool; the export body must outlive the handler. A task
//! owns the cursor and feeds a small bounded channel: memory stays constant whatever the
//! row count, a slow client slows the cursor down, and a client that goes away drops the
//! receiver, which ends the task.

use super::{Lead, StoreError};
use futures::stream::{BoxStream, StreamExt};
use std::future::Future;
use tokio::sync::mpsc;

/// Rows buffered between the database and the response.
const BUFFER: usize = 256;

/// Where a producer sends rows.
pub(crate) type RowSender = mpsc::Sender<Result<Lead, StoreError>>;

/// A bounded channel of rows and the stream that reads it.
pub(crate) fn channel() -> (RowSender, BoxStream<'static, Result<Lead, StoreError>>) {
    let (tx, rx) = mpsc::channel(BUFFER);
    let rows = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed();
    (tx, rows)
}

/// Runs `produce` on its own task and answers the stream of what it sends; an error it
/// returns becomes the stream's last item.
pub(crate) fn spawn_rows<F, Fut>(produce: F) -> BoxStream<'static, Result<Lead, StoreError>>
where
    F: FnOnce(RowSender) -> Fut,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let (tx, rows) = channel();
    let task = produce(tx.clone());
    tokio::spawn(async move {
        if let Err(error) = task.await {
            let _ = tx.send(Err(error)).await;
        }
    });
    rows
}
