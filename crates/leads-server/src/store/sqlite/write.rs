//! SQL the SQLite writer runs inside a transaction it holds: shared by the store's own
//! writes and the group commit, so neither depends on the other.

use super::super::model::Lead;
use super::super::query::insert_leads;
use sqlx::types::Json;
use sqlx::{Sqlite, SqliteConnection};

/// Most rows in one `INSERT`: 23 parameters a row, and SQLite takes at most 32,766.
pub(super) const ROWS_PER_STATEMENT: usize = 1_000;

/// Inserts `leads` on `conn` (in the caller's transaction), in statements of at most
/// [`ROWS_PER_STATEMENT`] rows.
pub(super) async fn insert(
    conn: &mut SqliteConnection,
    leads: &[&Lead],
) -> Result<(), sqlx::Error> {
    for chunk in leads.chunks(ROWS_PER_STATEMENT) {
        let mut statement =
            insert_leads::<Sqlite, _>(chunk.iter().copied(), |lead| Json(&lead.tags));
        statement.build().execute(&mut *conn).await?;
    }
    Ok(())
}
