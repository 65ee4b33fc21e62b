//! The `WHERE` and `ORDER BY` of lists and exports, built once for both backends.
//!
//! Every caller value goes in as a bound parameter; only fixed SQL fragments chosen from
//! closed enums are pasted into the text, so no filter value can act as an operator.

use super::free_form;
use super::model::{Lead, LeadQuery, SortField, StatusFilter, STATUS_DELETED};
use super::text::query_words;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// The SQL that differs between the backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The `INSERT` of whole leads as one statement, one row per lead, for both backends: a
/// create is the one-row case, a bulk load the many-row one. `tags` binds the tags column
/// (JSON text on SQLite, `text[]` on PostgreSQL). Each row takes 23 parameters.
pub(crate) fn insert_leads<'a, DB, Tags>(
    leads: &'a [Lead],
    tags: impl Fn(&'a Lead) -> Tags,
) -> QueryBuilder<DB>
where
    DB: Database,
    &'a String: Encode<'a, DB> + Type<DB>,
    &'a Option<String>: Encode<'a, DB> + Type<DB>,
    String: Encode<'a, DB> + Type<DB>,
    Option<String>: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    Tags: Encode<'a, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::new(
        "INSERT INTO leads (id, project_id, lead_id, fullname, email, phone, company, note, \
         street_address, city, region, zipcode, country, tags, status, attributes, properties, \
         created_by, created_at, updated_at, version, email_key, search) ",
    );
    qb.push_values(leads, |mut row, lead| {
        row.push_bind(&lead.id)
            .push_bind(&lead.project_id)
            .push_bind(&lead.lead_id)
            .push_bind(&lead.fullname)
            .push_bind(&lead.email)
            .push_bind(&lead.phone)
            .push_bind(&lead.company)
            .push_bind(&lead.note)
            .push_bind(&lead.street_address)
            .push_bind(&lead.city)
            .push_bind(&lead.region)
            .push_bind(&lead.zipcode)
            .push_bind(&lead.country)
            .push_bind(tags(lead))
            .push_bind(lead.status)
            .push_bind(free_form::to_text(&lead.attributes))
            .push_bind(free_form::to_optional_text(lead.properties.as_ref()))
            .push_bind(&lead.created_by)
            .push_bind(lead.created_at.timestamp_millis())
            .push_bind(lead.updated_at.timestamp_millis())
            .push_bind(lead.version)
            .push_bind(lead.email_key())
            .push_bind(lead.search_text());
    });
    qb
}

/// Builds the query answering how many leads match `query` in `project_id`.
///
/// A query that filters on the status alone (the default first page) is answered from
/// the per-status counters the triggers maintain, so its cost does not grow with the
/// project; any other filter counts the matching rows.
pub(crate) fn count_query<DB>(
    dialect: Dialect,
    project_id: &str,
    query: &LeadQuery,
) -> QueryBuilder<DB>
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
{
    let status_only = query.email.is_none()
        && query.full_text.is_none()
        && query.with_email.is_none()
        && query.with_fullname.is_none()
        && query.tags.is_empty();
    if !status_only {
        let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM leads l");
        push_where(&mut qb, dialect, project_id, query);
        return qb;
    }
    let mut qb = QueryBuilder::new(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM lead_counts WHERE project_id = ",
    );
    qb.push_bind(project_id.to_owned());
    match query.status {
        StatusFilter::Is(status) => qb.push(" AND status = ").push_bind(status),
        StatusFilter::NotDeleted => qb.push(" AND status < ").push_bind(STATUS_DELETED),
    };
    qb
}

/// Appends ` WHERE …` for `query` in `project_id` to `qb` (the leads table is aliased `l`).
pub(crate) fn push_where<DB>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    project_id: &str,
    query: &LeadQuery,
) where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE l.project_id = ")
        .push_bind(project_id.to_owned());
    match query.status {
        StatusFilter::Is(status) => {
            qb.push(" AND l.status = ").push_bind(status);
        }
        StatusFilter::NotDeleted => {
            qb.push(" AND l.status < ").push_bind(STATUS_DELETED);
        }
    }
    if let Some(email) = &query.email {
        qb.push(" AND l.email_key = ")
            .push_bind(email.to_lowercase());
    }
    match query.with_email {
        Some(true) => {
            qb.push(" AND l.email_key IS NOT NULL");
        }
        Some(false) => {
            qb.push(" AND l.email_key IS NULL");
        }
        None => {}
    }
    match query.with_fullname {
        Some(true) => {
            qb.push(" AND l.fullname IS NOT NULL AND l.fullname <> ''");
        }
        Some(false) => {
            qb.push(" AND (l.fullname IS NULL OR l.fullname = '')");
        }
        None => {}
    }
    for tag in &query.tags {
        match dialect {
            Dialect::Sqlite => {
                qb.push(" AND l.seq IN (SELECT lead_seq FROM lead_tags WHERE project_id = ")
                    .push_bind(project_id.to_owned())
                    .push(" AND tag = ")
                    .push_bind(tag.clone())
                    .push(")");
            }
            Dialect::Postgres => {
                qb.push(" AND l.tags @> ARRAY[")
                    .push_bind(tag.clone())
                    .push("]::text[]");
            }
        }
    }
    if let Some(full_text) = &query.full_text {
        let words = query_words(full_text);
        if words.is_empty() {
            // Nothing searchable (only punctuation): no lead holds such a word.
            qb.push(" AND 1 = 0");
        } else {
            match dialect {
                Dialect::Sqlite => {
                    let expr = words
                        .iter()
                        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    qb.push(" AND l.seq IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")
                        .push_bind(expr)
                        .push(")");
                }
                Dialect::Postgres => {
                    let expr = words
                        .iter()
                        .map(|w| format!("'{}'", w.replace('\'', "''")))
                        .collect::<Vec<_>>()
                        .join(" | ");
                    qb.push(" AND to_tsvector('simple', l.search) @@ to_tsquery('simple', ")
                        .push_bind(expr)
                        .push(")");
                }
            }
        }
    }
}

/// Appends ` ORDER BY …` for `query`. The id breaks ties, so pages never overlap;
/// missing values sort first ascending and last descending on both backends.
pub(crate) fn push_order<DB: Database>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    query: &LeadQuery,
) {
    let direction = if query.ascending { "ASC" } else { "DESC" };
    let nullable = matches!(query.sort, SortField::Fullname | SortField::Email);
    let nulls = match (dialect, nullable, query.ascending) {
        (Dialect::Postgres, true, true) => " NULLS FIRST",
        (Dialect::Postgres, true, false) => " NULLS LAST",
        // SQLite already orders NULL lowest; non-null columns need no clause.
        _ => "",
    };
    qb.push(format_args!(
        " ORDER BY l.{column} {direction}{nulls}, l.id {direction}",
        column = query.sort.column()
    ));
}
