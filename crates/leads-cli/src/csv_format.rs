//! The server's CSV format, as `exportLeadsCsv` documents it: `;`-separated, fixed
//! columns, tags joined by `,`, and a `'` before cells a spreadsheet would run.

/// The columns of the export, in order, as the client crate states the spec's format.
pub use leads_client::csv::COLUMNS;

/// The separator.
pub use leads_client::csv::DELIMITER;

/// The text columns that become fields of a new lead, named as in the API.
pub const TEXT_FIELDS: [&str; 11] = [
    "lead_id",
    "fullname",
    "email",
    "phone",
    "company",
    "note",
    "streetAddress",
    "city",
    "region",
    "zipcode",
    "country",
];

/// Columns the server writes and an import leaves to the server of the new project.
pub const SERVER_COLUMNS: [&str; 4] = ["_id", "createdBy", "createdAt", "updatedAt"];

/// The column an import report adds, holding why the row failed.
pub const ERROR_COLUMN: &str = "error";

/// Undoes the export's formula guard: a `'` the server put before a cell beginning with
/// `=`, `+`, `-`, `@`, a tab or a carriage return.
///
/// A value that itself began with `'` and one of those characters comes back without
/// the `'`: the format cannot tell the two apart.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(leads_client::csv::FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Counts the rows of a CSV stream as it passes, outside quoted cells, so that a note
/// with line breaks counts once.
#[derive(Debug, Default)]
pub struct RowCounter {
    in_quotes: bool,
    line_ends: u64,
    pending: bool,
}

impl RowCounter {
    /// Feeds the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            match byte {
                b'"' => {
                    self.in_quotes = !self.in_quotes;
                    self.pending = true;
                }
                b'\n' if !self.in_quotes => {
                    self.line_ends += 1;
                    self.pending = false;
                }
                b'\r' if !self.in_quotes => {}
                _ => self.pending = true,
            }
        }
    }

    /// Data rows so far, the header not counted.
    pub fn rows(&self) -> u64 {
        (self.line_ends + u64::from(self.pending)).saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unguards_only_what_the_server_guards() {
        assert_eq!(unguard("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unguard("'+39 06 123"), "+39 06 123");
        assert_eq!(unguard("'-1"), "-1");
        assert_eq!(unguard("'@handle"), "@handle");
        assert_eq!(unguard("'\tx"), "\tx");
        assert_eq!(unguard("'\rx"), "\rx");
        assert_eq!(unguard("'quoted'"), "'quoted'");
        assert_eq!(unguard("O'Brien"), "O'Brien");
        assert_eq!(unguard("'"), "'");
        assert_eq!(unguard(""), "");
    }

    #[test]
    fn counts_rows_across_chunks_and_quoted_line_breaks() {
        let csv = b"_id;note\r\n1;\"two\r\nlines\"\r\n2;plain\r\n3;\"a \"\"quote\"\"\"";
        for split in [1, 3, 7, csv.len()] {
            let mut counter = RowCounter::default();
            for chunk in csv.chunks(split) {
                counter.feed(chunk);
            }
            assert_eq!(counter.rows(), 3, "chunks of {split}");
        }
        let mut counter = RowCounter::default();
        counter.feed(b"_id;note\r\n");
        assert_eq!(counter.rows(), 0);
    }
}
