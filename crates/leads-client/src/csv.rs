//! The CSV format of `exportLeadsCsv`, as the spec fixes it, for code that reads or writes
//! exports: the column list and the characters the format gives a meaning.

/// The export's columns, in order; the header row names them so.
pub const COLUMNS: [&str; 17] = [
    "_id",
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
    "tags",
    "status",
    "createdBy",
    "createdAt",
    "updatedAt",
];

/// The cell separator.
pub const DELIMITER: u8 = b';';

/// What joins the tags in the `tags` cell (which is why a tag cannot contain it).
pub const TAG_SEPARATOR: char = ',';

/// The first characters that make a spreadsheet run a cell as a formula; the export puts
/// a `'` before a cell that begins with one.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
