//! The SQL of lists, counts and exports, built once for both backends.
//!
//! Every caller value goes in as a bound parameter; only fixed SQL fragments chosen from
//! closed enums are pasted into the text, so no filter value can act as an operator.
//!
//! A page selects the keys of its rows first (an index-only walk where the filters allow)
//! and reads the 40 rows by key afterwards, so skipping to a deep page never reads the
//! rows it skips. On SQLite a `tags` filter walks the tag table, which holds each lead's
//! status and creation date: the default list by tag, and its count, never touch a lead
//! that does not carry the tag.

use super::free_form;
use super::model::{
    After, Lead, LeadPage, LeadQuery, SortField, SortValue, Start, StatusFilter, STATUS_DELETED,
};
use super::row::LEAD_COLUMNS;
use super::text::query_words;
use super::StoreError;
use sqlx::{Database, Encode, QueryBuilder, Type};
use std::fmt::Write as _;

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

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i32),
    BigInt(i64),
}

/// SQL text with its parameters, numbered in the dialect's style.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    dialect: Dialect,
    pub(crate) text: String,
    pub(crate) params: Vec<Param>,
}

impl Sql {
    fn new(dialect: Dialect, text: &str) -> Self {
        Sql {
            dialect,
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        let n = self.params.len();
        let _ = match self.dialect {
            Dialect::Sqlite => write!(self.text, "?{n}"),
            Dialect::Postgres => write!(self.text, "${n}"),
        };
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.bind(Param::Text(value.to_owned()))
    }

    /// Appends `other`, renumbering its parameters after this one's.
    fn append(&mut self, other: Sql) -> &mut Self {
        let offset = self.params.len();
        let mut rest = other.text.as_str();
        let marker = match self.dialect {
            Dialect::Sqlite => '?',
            Dialect::Postgres => '$',
        };
        while let Some(at) = rest.find(marker) {
            self.text.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let n: usize = rest[..digits].parse().unwrap_or(0);
            let _ = write!(self.text, "{}", n + offset);
            rest = &rest[digits..];
        }
        self.text.push_str(rest);
        self.params.extend(other.params);
        self
    }
}

/// How an SQLite page with `full_text` finds its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextPlan {
    /// Read every match from the full-text index, then sort them: for rare words.
    Matches,
    /// Walk the sort field's index in order, keeping the matches: for common words,
    /// where the page fills long before the matches run out.
    SortIndex,
}

/// The conditions a query leaves to the driving table: what [`push_conditions`] skips.
#[derive(Debug, Clone, Copy, Default)]
struct Driven {
    /// Project, status and the first tag come from the tag table.
    by_tag: bool,
    /// The words come from the full-text table.
    by_text: bool,
}

/// Whether the query filters on nothing but what the counters are kept by: the status and
/// the presence of an email and of a full name.
fn counted(query: &LeadQuery) -> bool {
    query.email.is_none() && query.full_text.is_none() && query.tags.is_empty()
}

/// Whether an SQLite query is driven by its first tag: then the tag table yields the
/// page in creation order and the count without reading other leads.
fn tag_driven(dialect: Dialect, query: &LeadQuery) -> bool {
    dialect == Dialect::Sqlite && !query.tags.is_empty()
}

/// Whether the SQLite query filters on `full_text` with at least one word.
pub(crate) fn has_words(query: &LeadQuery) -> bool {
    query
        .full_text
        .as_deref()
        .is_some_and(|text| !query_words(text).is_empty())
}

/// How many leads match `query` in `project_id`.
///
/// A query that filters on nothing but the status, `with_email` and `with_fullname` (the
/// default first page among them) is answered from the counters the triggers maintain, so
/// its cost does not grow with the project; a tag is counted in the tag table's index
/// (SQLite), words from the matches of the full-text index (SQLite); anything else counts
/// the matching rows.
pub(crate) fn count(dialect: Dialect, project_id: &str, query: &LeadQuery) -> Sql {
    if counted(query) {
        return counted_total(dialect, project_id, query);
    }
    if dialect == Dialect::Sqlite && held_by_tag_table(query) {
        return tag_total(project_id, &query.tags[0], query);
    }
    let mut sql = Sql::new(dialect, "SELECT COUNT(*)");
    push_from(&mut sql, dialect, project_id, query, false);
    sql
}

/// How many leads of `project_id` have the status, whatever else they hold, from the
/// counters.
pub(crate) fn status_total(dialect: Dialect, project_id: &str, status: StatusFilter) -> Sql {
    let query = LeadQuery {
        status,
        ..LeadQuery::default()
    };
    counted_total(dialect, project_id, &query)
}

/// How many leads of `project_id` carry `tag` and match the status and presence filters
/// of `query`, from the SQLite tag counters.
fn tag_total(project_id: &str, tag: &str, query: &LeadQuery) -> Sql {
    let mut sql = Sql::new(
        Dialect::Sqlite,
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM lead_tag_counts WHERE project_id = ",
    );
    sql.text(project_id).push(" AND tag = ").text(tag);
    push_counted_filters(&mut sql, query);
    sql
}

/// The sum of the counter rows that match the status and presence filters of `query`.
fn counted_total(dialect: Dialect, project_id: &str, query: &LeadQuery) -> Sql {
    let mut sql = Sql::new(
        dialect,
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM lead_counts WHERE project_id = ",
    );
    sql.text(project_id);
    push_counted_filters(&mut sql, query);
    sql
}

/// The conditions on a counter table's `status`, `has_email` and `has_fullname` (or the
/// tag table's) that `query` asks for, unqualified or with `table.` before each column.
fn push_counted_filters(sql: &mut Sql, query: &LeadQuery) {
    push_presence(sql, "", query);
    match query.status {
        StatusFilter::Is(status) => sql.push(" AND status = ").bind(Param::Int(status)),
        StatusFilter::NotDeleted => sql.push(" AND status < ").bind(Param::Int(STATUS_DELETED)),
    };
}

/// The conditions on `has_email` and `has_fullname` that `query` asks for, on the columns
/// of `table` (a prefix such as `t.`, or empty).
fn push_presence(sql: &mut Sql, table: &str, query: &LeadQuery) {
    // Literals, not parameters: the columns are INTEGER on SQLite and BOOLEAN on
    // PostgreSQL, and both read `TRUE` and `FALSE`.
    let presence = |present: bool| if present { "TRUE" } else { "FALSE" };
    if let Some(present) = query.with_email {
        sql.push(&format!(" AND {table}has_email = "))
            .push(presence(present));
    }
    if let Some(present) = query.with_fullname {
        sql.push(&format!(" AND {table}has_fullname = "))
            .push(presence(present));
    }
}

/// Appends the `FROM … WHERE …` of `query`: the tag table, the full-text table or the
/// leads (aliased `l`) in front, whichever yields the fewest rows to look at. `walk` asks
/// SQLite to walk the sort index (see [`TextPlan::SortIndex`]).
fn push_from(sql: &mut Sql, dialect: Dialect, project_id: &str, query: &LeadQuery, walk: bool) {
    if tag_driven(dialect, query) {
        let joined = !held_by_tag_table(query) || query.sort != SortField::CreatedAt;
        sql.push(" FROM lead_tags t");
        if joined {
            sql.push(" CROSS JOIN leads l ON l.seq = t.lead_seq");
        }
        sql.push(" WHERE t.project_id = ").text(project_id);
        sql.push(" AND t.tag = ").text(&query.tags[0]);
        match query.status {
            StatusFilter::Is(status) => sql.push(" AND t.status = ").bind(Param::Int(status)),
            StatusFilter::NotDeleted => sql
                .push(" AND t.status < ")
                .bind(Param::Int(STATUS_DELETED)),
        };
        let driven = Driven {
            by_tag: true,
            by_text: false,
        };
        push_conditions(sql, dialect, project_id, query, driven);
    } else if dialect == Dialect::Sqlite && has_words(query) && !walk {
        sql.push(
            " FROM leads_fts CROSS JOIN leads l ON l.seq = leads_fts.rowid WHERE leads_fts MATCH ",
        );
        sql.text(&fts_expression(query));
        sql.push(" AND l.project_id = ").text(project_id);
        push_status(sql, query.status);
        let driven = Driven {
            by_tag: false,
            by_text: true,
        };
        push_conditions(sql, dialect, project_id, query, driven);
    } else {
        sql.push(" FROM leads l");
        if walk {
            sql.push(" INDEXED BY ").push(sort_index(query.sort));
        }
        sql.push(" WHERE l.project_id = ").text(project_id);
        push_status(sql, query.status);
        push_conditions(sql, dialect, project_id, query, Driven::default());
    }
}

/// Whether the query filters on exactly one tag and nothing the tag table does not hold:
/// the status, `with_email` and `with_fullname`.
fn held_by_tag_table(query: &LeadQuery) -> bool {
    query.tags.len() == 1 && query.email.is_none() && query.full_text.is_none()
}

/// The SQLite index that lists a project's leads of one status in `sort` order.
fn sort_index(sort: SortField) -> &'static str {
    match sort {
        SortField::CreatedAt => "leads_by_created",
        SortField::UpdatedAt => "leads_by_updated",
        SortField::Fullname => "leads_by_fullname",
        SortField::Email => "leads_by_email",
        SortField::LeadId => "leads_by_lead_id",
    }
}

/// The rows of one page of `query`, in order, and one row more when more follow: the
/// caller tells the last page by it.
///
/// The keys of the page come first from the narrowest walk (the tag table, the sort
/// index or the full-text matches); only those rows are read whole. A page after a
/// position (see [`keyset`]) starts its walk at that position, so no row before it is
/// read or skipped.
pub(crate) fn page(
    dialect: Dialect,
    project_id: &str,
    query: &LeadQuery,
    start: &Start,
    limit: i64,
    plan: TextPlan,
) -> Sql {
    let key = match dialect {
        Dialect::Sqlite => "seq",
        Dialect::Postgres => "id",
    };
    let walk = dialect == Dialect::Sqlite
        && has_words(query)
        && !tag_driven(dialect, query)
        && plan == TextPlan::SortIndex
        && matches!(query.status, StatusFilter::Is(_));
    let by_tag_table = tag_driven(dialect, query) && query.sort == SortField::CreatedAt;
    let keys_of = |segment: Option<&Segment>| {
        let mut keys = Sql::new(dialect, "");
        if tag_driven(dialect, query) {
            keys.push("SELECT t.lead_seq");
        } else {
            keys.push(&format!("SELECT l.{key}"));
        }
        push_from(&mut keys, dialect, project_id, query, walk);
        if let Some(segment) = segment {
            let table = if by_tag_table { "t" } else { "l" };
            push_segment(&mut keys, table, query, segment);
        }
        if by_tag_table {
            let direction = if query.ascending { "ASC" } else { "DESC" };
            keys.push(&format!(
                " ORDER BY t.created_at {direction}, t.id {direction}"
            ));
        } else {
            push_order(&mut keys, dialect, query);
        }
        keys.push(" LIMIT ").bind(Param::BigInt(limit + 1));
        keys
    };
    let keys = match start {
        Start::Offset(offset) => {
            let mut keys = keys_of(None);
            keys.push(" OFFSET ").bind(Param::BigInt(*offset));
            keys
        }
        Start::After(after) => {
            let segments = keyset(query, after);
            if let [only] = segments.as_slice() {
                keys_of(Some(only))
            } else {
                // Each segment is one index range, walked in order; their union holds the
                // page, which the outer query orders and cuts.
                let mut union = Sql::new(dialect, "");
                for (n, segment) in segments.iter().enumerate() {
                    if n > 0 {
                        union.push(" UNION ALL ");
                    }
                    union.push("SELECT * FROM (");
                    union.append(keys_of(Some(segment)));
                    union.push(&format!(") AS segment{n}"));
                }
                union
            }
        }
    };

    let mut sql = Sql::new(
        dialect,
        &format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.{key} IN ("),
    );
    sql.append(keys).push(")");
    push_order(&mut sql, dialect, query);
    sql.push(" LIMIT ").bind(Param::BigInt(limit + 1));
    sql
}

/// The page of a [`page`] query's rows, each read as a lead (`None` when unreadable)
/// and as a position: the first `limit`, and, when one more came, the position of the
/// last of them, where the next page starts.
pub(crate) fn cut_page(
    count: i64,
    mut rows: Vec<(Option<Lead>, Result<After, StoreError>)>,
    limit: i64,
) -> Result<LeadPage, StoreError> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let (leads, positions): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    let next = if more {
        positions.into_iter().last().transpose()?
    } else {
        None
    };
    let leads = leads.into_iter().flatten().collect();
    Ok(LeadPage { count, leads, next })
}

/// One index range of the rows after a position: a keyset page is one or two of them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `(column, id)` after the position's, in the list's direction; a row whose column
    /// is NULL never compares, which is right where NULLs lie behind the position.
    Past(Param, String),
    /// Rows whose column is NULL, with an id after the position's.
    NullPast(String),
    /// Every row whose column has a value.
    NotNull,
    /// Every row whose column is NULL.
    Null,
}

/// The segments of the rows after `after`, in the list's order.
///
/// NULL sorts lowest on both backends (SQLite by nature, PostgreSQL by the `NULLS FIRST`
/// / `NULLS LAST` of [`push_order`]): ascending, the NULLs come first, so after a NULL
/// come the NULLs of higher id, then every value; descending, they come last, so after a
/// value come the lower values, then every NULL.
fn keyset(query: &LeadQuery, after: &After) -> Vec<Segment> {
    let id = after.id.clone();
    let value = match &after.value {
        SortValue::Millis(ms) => Some(Param::BigInt(*ms)),
        SortValue::Text(text) => text.clone().map(Param::Text),
    };
    match (value, query.ascending) {
        (Some(value), false) if query.sort.nullable() => {
            vec![Segment::Past(value, id), Segment::Null]
        }
        (Some(value), _) => vec![Segment::Past(value, id)],
        (None, true) => vec![Segment::NullPast(id), Segment::NotNull],
        (None, false) => vec![Segment::NullPast(id)],
    }
}

/// Appends ` AND …` restricting `table`'s rows to `segment`.
fn push_segment(sql: &mut Sql, table: &str, query: &LeadQuery, segment: &Segment) {
    let column = query.sort.column();
    let past = if query.ascending { ">" } else { "<" };
    match segment {
        Segment::Past(value, id) => {
            sql.push(&format!(" AND ({table}.{column}, {table}.id) {past} ("))
                .bind(value.clone())
                .push(", ")
                .text(id)
                .push(")");
        }
        Segment::NullPast(id) => {
            sql.push(&format!(
                " AND {table}.{column} IS NULL AND {table}.id {past} "
            ))
            .text(id);
        }
        Segment::NotNull => {
            sql.push(&format!(" AND {table}.{column} IS NOT NULL"));
        }
        Segment::Null => {
            sql.push(&format!(" AND {table}.{column} IS NULL"));
        }
    }
}

/// Every lead matching `query`, in order: what an export streams.
pub(crate) fn export(dialect: Dialect, project_id: &str, query: &LeadQuery) -> Sql {
    let mut sql = Sql::new(dialect, &format!("SELECT {LEAD_COLUMNS} FROM leads l"));
    sql.push(" WHERE l.project_id = ").text(project_id);
    push_status(&mut sql, query.status);
    push_conditions(&mut sql, dialect, project_id, query, Driven::default());
    push_order(&mut sql, dialect, query);
    sql
}

fn push_status(sql: &mut Sql, status: StatusFilter) {
    match status {
        StatusFilter::Is(status) => sql.push(" AND l.status = ").bind(Param::Int(status)),
        StatusFilter::NotDeleted => sql
            .push(" AND l.status < ")
            .bind(Param::Int(STATUS_DELETED)),
    };
}

/// The FTS5 query of the `full_text` words: any of them, each as a quoted string.
fn fts_expression(query: &LeadQuery) -> String {
    query_words(query.full_text.as_deref().unwrap_or_default())
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The conditions on a lead's email and full name that `query`'s presence filters ask
/// for.
fn push_lead_presence(sql: &mut Sql, query: &LeadQuery) {
    match query.with_email {
        Some(true) => {
            sql.push(" AND l.email_key IS NOT NULL");
        }
        Some(false) => {
            sql.push(" AND l.email_key IS NULL");
        }
        None => {}
    }
    match query.with_fullname {
        Some(true) => {
            sql.push(" AND l.fullname IS NOT NULL AND l.fullname <> ''");
        }
        Some(false) => {
            sql.push(" AND (l.fullname IS NULL OR l.fullname = '')");
        }
        None => {}
    }
}

/// Appends ` AND …` for every filter of `query` but the project and status, and but what
/// the driving table already checks.
fn push_conditions(
    sql: &mut Sql,
    dialect: Dialect,
    project_id: &str,
    query: &LeadQuery,
    driven: Driven,
) {
    if let Some(email) = &query.email {
        sql.push(" AND l.email_key = ").text(&email.to_lowercase());
    }
    if driven.by_tag {
        // The tag table holds both presences, so its range is filtered without a lead.
        push_presence(sql, "t.", query);
    } else {
        push_lead_presence(sql, query);
    }
    let skip = usize::from(driven.by_tag);
    for tag in query.tags.iter().skip(skip) {
        match dialect {
            Dialect::Sqlite => {
                sql.push(" AND l.seq IN (SELECT lead_seq FROM lead_tags WHERE project_id = ")
                    .text(project_id)
                    .push(" AND tag = ")
                    .text(tag)
                    .push(")");
            }
            Dialect::Postgres => {
                sql.push(" AND l.tags @> ARRAY[")
                    .text(tag)
                    .push("]::text[]");
            }
        }
    }
    if driven.by_text {
        return;
    }
    if let Some(full_text) = &query.full_text {
        let words = query_words(full_text);
        if words.is_empty() {
            // Nothing searchable (only punctuation): no lead holds such a word.
            sql.push(" AND 1 = 0");
        } else {
            match dialect {
                Dialect::Sqlite => {
                    sql.push(" AND l.seq IN (SELECT rowid FROM leads_fts WHERE leads_fts MATCH ")
                        .text(&fts_expression(query))
                        .push(")");
                }
                Dialect::Postgres => {
                    let expr = words
                        .iter()
                        .map(|w| format!("'{}'", w.replace('\'', "''")))
                        .collect::<Vec<_>>()
                        .join(" | ");
                    sql.push(" AND to_tsvector('simple', l.search) @@ to_tsquery('simple', ")
                        .text(&expr)
                        .push(")");
                }
            }
        }
    }
}

/// Appends ` ORDER BY …` for `query`. The id breaks ties, so pages never overlap;
/// missing values sort first ascending and last descending on both backends.
fn push_order(sql: &mut Sql, dialect: Dialect, query: &LeadQuery) {
    let direction = if query.ascending { "ASC" } else { "DESC" };
    let nulls = match (dialect, query.sort.nullable(), query.ascending) {
        (Dialect::Postgres, true, true) => " NULLS FIRST",
        (Dialect::Postgres, true, false) => " NULLS LAST",
        // SQLite already orders NULL lowest; non-null columns need no clause.
        _ => "",
    };
    sql.push(&format!(
        " ORDER BY l.{column} {direction}{nulls}, l.id {direction}",
        column = query.sort.column()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_parameters_are_renumbered() {
        let mut outer = Sql::new(Dialect::Postgres, "SELECT ");
        outer.text("a").push(" IN (");
        let mut inner = Sql::new(Dialect::Postgres, "SELECT ");
        inner.text("b").push(", ").text("c");
        outer.append(inner).push(")");
        assert_eq!(outer.text, "SELECT $1 IN (SELECT $2, $3)");
        assert_eq!(
            outer.params,
            [
                Param::Text("a".into()),
                Param::Text("b".into()),
                Param::Text("c".into())
            ]
        );
    }

    #[test]
    fn a_tag_page_in_creation_order_reads_the_tag_table_alone() {
        let query = LeadQuery {
            tags: vec!["vip".into()],
            ..LeadQuery::default()
        };
        let count = count(Dialect::Sqlite, "p", &query);
        assert!(
            count.text.contains("FROM lead_tag_counts"),
            "a single tag counts from its counters: {}",
            count.text
        );
        let page = page(
            Dialect::Sqlite,
            "p",
            &query,
            &Start::Offset(0),
            40,
            TextPlan::Matches,
        );
        assert!(
            page.text
                .contains("ORDER BY t.created_at DESC, t.id DESC LIMIT"),
            "{}",
            page.text
        );
    }
}
