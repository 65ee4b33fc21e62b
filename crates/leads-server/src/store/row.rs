//! Reading stored rows into the store's types, once for every driver.
//!
//! A lead is read from three kinds of row: rusqlite's (SQLite reads), sqlx's SQLite row
//! (the writer's read-modify-write) and sqlx's PostgreSQL row. Each implements
//! [`Columns`], the few typed getters a lead needs; the mapping itself is written once.

use super::access::Access;
use super::free_form;
use super::model::{After, Lead, Role, SortField, SortValue, User};
use super::{from_millis, StoreError};
use sqlx::Row as _;

/// Declares [`LEAD_COLUMNS`] and [`LEAD_COLUMN_NAMES`] from one list, so that the two
/// cannot drift apart.
macro_rules! lead_columns {
    ($first:literal $(, $name:literal)* $(,)?) => {
        /// The columns every lead query selects, from the leads table aliased `l`.
        pub(crate) const LEAD_COLUMNS: &str = concat!("l.", $first $(, ", l.", $name)*);

        /// The names of [`LEAD_COLUMNS`], in their order.
        const LEAD_COLUMN_NAMES: &[&str] = &[$first $(, $name)*];
    };
}

lead_columns!(
    "id",
    "project_id",
    "lead_id",
    "fullname",
    "email",
    "phone",
    "company",
    "note",
    "street_address",
    "city",
    "region",
    "zipcode",
    "country",
    "tags",
    "status",
    "attributes",
    "properties",
    "created_by",
    "created_at",
    "updated_at",
    "version",
);

/// Typed access to a row's columns by name.
pub(crate) trait Columns {
    fn text(&self, name: &str) -> Result<String, StoreError>;
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, name: &str) -> Result<i32, StoreError>;
    fn bigint(&self, name: &str) -> Result<i64, StoreError>;
    /// The tags column: JSON text on SQLite, `text[]` on PostgreSQL.
    fn tags(&self, name: &str) -> Result<Vec<String>, StoreError>;
}

/// A lead of a list or an export. A row that cannot be read as a lead is left out, with a
/// log line naming it, so one bad row never takes its project's list or export down with
/// it; a read of that lead by id still answers the error.
pub(crate) fn listed(row: &impl Columns) -> Option<Lead> {
    match lead(row) {
        Ok(lead) => Some(lead),
        Err(error) => {
            let id = row.text("id").unwrap_or_default();
            tracing::error!(lead = %id, %error, "a stored lead cannot be read; lists and exports leave it out");
            None
        }
    }
}

/// The position of a listed row in a list sorted by `sort`, read from its id and sort
/// column alone, so that even a row [`listed`] leaves out still marks where its page ends.
pub(crate) fn position(row: &impl Columns, sort: SortField) -> Result<After, StoreError> {
    let value = match sort {
        SortField::CreatedAt | SortField::UpdatedAt => {
            SortValue::Millis(row.bigint(sort.column())?)
        }
        SortField::Fullname | SortField::Email => {
            SortValue::Text(row.optional_text(sort.column())?)
        }
        SortField::LeadId => SortValue::Text(Some(row.text(sort.column())?)),
    };
    Ok(After {
        value,
        id: row.text("id")?,
    })
}

/// A lead from a row holding [`LEAD_COLUMNS`].
pub(crate) fn lead(row: &impl Columns) -> Result<Lead, StoreError> {
    let attributes = free_form::from_text(&row.text("attributes")?, "attributes")?;
    let properties = row
        .optional_text("properties")?
        .map(|text| free_form::from_text(&text, "properties"))
        .transpose()?;
    Ok(Lead {
        id: row.text("id")?,
        project_id: row.text("project_id")?,
        lead_id: row.text("lead_id")?,
        fullname: row.optional_text("fullname")?,
        email: row.optional_text("email")?,
        phone: row.optional_text("phone")?,
        company: row.optional_text("company")?,
        note: row.optional_text("note")?,
        street_address: row.optional_text("street_address")?,
        city: row.optional_text("city")?,
        region: row.optional_text("region")?,
        zipcode: row.optional_text("zipcode")?,
        country: row.optional_text("country")?,
        tags: row.tags("tags")?,
        status: row.int("status")?,
        attributes,
        properties,
        created_by: row.text("created_by")?,
        created_at: from_millis(row.bigint("created_at")?)?,
        updated_at: from_millis(row.bigint("updated_at")?)?,
        version: row.bigint("version")?,
    })
}

/// A lead from a row of a `LEFT JOIN`, `None` when the join found none.
pub(crate) fn optional_lead(row: &impl Columns) -> Result<Option<Lead>, StoreError> {
    match row.optional_text("id")? {
        Some(_) => lead(row).map(Some),
        None => Ok(None),
    }
}

/// A user from `id, email, password_hash, credential_version`.
pub(crate) fn user(row: &impl Columns) -> Result<User, StoreError> {
    Ok(User {
        id: row.text("id")?,
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        credential_version: row.bigint("credential_version")?,
    })
}

/// An access from `credential_version, member_role`.
pub(crate) fn access(row: &impl Columns) -> Result<Access, StoreError> {
    Ok(Access {
        credential_version: row.bigint("credential_version")?,
        role: row
            .optional_text("member_role")?
            .map(|r| role(&r))
            .transpose()?,
    })
}

/// A stored role name; one off the ladder is corrupt data.
pub(crate) fn role(role: &str) -> Result<Role, StoreError> {
    role.parse()
        .map_err(|e: super::UnknownRole| StoreError::Corrupt(e.to_string()))
}

/// Tags stored as a JSON array of strings (SQLite).
fn tags_from_json(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("the stored `tags` are malformed: {error}")))
}

/// Where the column `name` is in a rusqlite row. rusqlite's own lookup by name reads and
/// compares every column's name until it matches, for every value: about 200 name reads
/// for one lead, more than the rest of a point read. A row that starts with
/// [`LEAD_COLUMNS`] has each of them where that list puts it, which one name read
/// confirms; any other column is looked up by rusqlite.
fn column_index(row: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<usize> {
    let statement = row.as_ref();
    if let Some(at) = LEAD_COLUMN_NAMES.iter().position(|column| *column == name) {
        if statement.column_name(at).is_ok_and(|column| column == name) {
            return Ok(at);
        }
    }
    statement.column_index(name)
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.get(column_index(self, name)?)?)
    }
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(column_index(self, name)?)?)
    }
    fn int(&self, name: &str) -> Result<i32, StoreError> {
        Ok(self.get(column_index(self, name)?)?)
    }
    fn bigint(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.get(column_index(self, name)?)?)
    }
    fn tags(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let text = self
            .get_ref(column_index(self, name)?)?
            .as_str()
            .map_err(|error| {
                StoreError::Corrupt(format!("the stored `tags` are not text: {error}"))
            })?;
        tags_from_json(text)
    }
}

impl Columns for sqlx::sqlite::SqliteRow {
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn int(&self, name: &str) -> Result<i32, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn bigint(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn tags(&self, name: &str) -> Result<Vec<String>, StoreError> {
        tags_from_json(self.try_get(name)?)
    }
}

impl Columns for sqlx::postgres::PgRow {
    fn text(&self, name: &str) -> Result<String, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn int(&self, name: &str) -> Result<i32, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn bigint(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn tags(&self, name: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.try_get(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_columns_are_the_names_in_order() {
        assert_eq!(
            LEAD_COLUMNS,
            "l.id, l.project_id, l.lead_id, l.fullname, l.email, l.phone, l.company, l.note, \
             l.street_address, l.city, l.region, l.zipcode, l.country, l.tags, l.status, \
             l.attributes, l.properties, l.created_by, l.created_at, l.updated_at, l.version"
        );
        assert_eq!(LEAD_COLUMN_NAMES.len(), 21);
    }
}
