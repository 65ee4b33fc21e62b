//! The storage layer's own types: what a lead, a user and a membership are, independent of
//! both the database dialect and the HTTP models.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// A free-form JSON object (`attributes`, `properties`).
pub type JsonObject = Map<String, Value>;

/// Status of a normal lead.
pub const STATUS_NORMAL: i32 = 100;
/// Status of a soft-deleted lead.
pub const STATUS_DELETED: i32 = 1000;

/// A lead as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// The 24-hex `_id`.
    pub id: String,
    /// The project the lead belongs to.
    pub project_id: String,
    /// The external id; not unique.
    pub lead_id: String,
    pub fullname: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub note: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub zipcode: Option<String>,
    pub country: Option<String>,
    /// Tags in the order they were added, without duplicates.
    pub tags: Vec<String>,
    pub status: i32,
    pub attributes: JsonObject,
    /// `None` until something is merged into it, so a lead that never had properties
    /// answers without the field.
    pub properties: Option<JsonObject>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The revision, `__v`.
    pub version: i64,
}

impl Lead {
    /// The lower-cased email the `email` filter compares with; `None` for a missing or
    /// empty email, so that `with_email` treats both alike.
    pub(crate) fn email_key(&self) -> Option<String> {
        self.email
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(str::to_lowercase)
    }

    /// The words `full_text` searches, normalised in Rust so both backends see the same
    /// tokens (see [`crate::store::text`]).
    pub(crate) fn search_text(&self) -> String {
        super::text::search_text(self.fullname.as_deref(), self.email.as_deref())
    }
}

/// The fields of a new lead; the store fills in ids, dates, status and revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewLead {
    pub lead_id: String,
    pub fullname: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub note: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub zipcode: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    pub attributes: JsonObject,
    pub properties: Option<JsonObject>,
    /// The id of the user creating the lead.
    pub created_by: String,
}

/// What an update does to one optional text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    /// Leaves the field as it is.
    #[default]
    Keep,
    /// Removes the field's value.
    Clear,
    /// Sets the field to this value.
    Set(T),
}

/// The changes of an update. Text fields are kept, cleared or set; `tags` and
/// `attributes` are kept (`None`) or replaced whole, where clearing is replacing with
/// nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadChanges {
    pub fullname: Change<String>,
    pub email: Change<String>,
    pub phone: Change<String>,
    pub company: Change<String>,
    pub note: Change<String>,
    pub street_address: Change<String>,
    pub city: Change<String>,
    pub region: Change<String>,
    pub zipcode: Change<String>,
    pub country: Change<String>,
    pub status: Option<i32>,
    /// Replaces the tags whole (duplicates dropped).
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes whole.
    pub attributes: Option<JsonObject>,
}

/// One change to an existing lead. Every edit runs as read-modify-write under the row's
/// write lock, so concurrent edits of one lead are serialised and none is lost.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadEdit {
    Update(Box<LeadChanges>),
    AddTags(Vec<String>),
    RemoveTag(String),
    MergeAttributes(JsonObject),
    MergeProperties(JsonObject),
    SoftDelete,
}

impl LeadEdit {
    /// Applies the edit to `lead`; answers whether anything changed. An edit that changes
    /// nothing leaves the revision and `updatedAt` alone.
    pub(crate) fn apply(&self, lead: &mut Lead) -> bool {
        match self {
            LeadEdit::Update(changes) => apply_changes(changes, lead),
            LeadEdit::AddTags(tags) => {
                let before = lead.tags.len();
                for tag in tags {
                    if !lead.tags.contains(tag) {
                        lead.tags.push(tag.clone());
                    }
                }
                lead.tags.len() != before
            }
            LeadEdit::RemoveTag(tag) => {
                let before = lead.tags.len();
                lead.tags.retain(|t| t != tag);
                lead.tags.len() != before
            }
            LeadEdit::MergeAttributes(patch) => merge_patch(&mut lead.attributes, patch),
            LeadEdit::MergeProperties(patch) => {
                let properties = lead.properties.get_or_insert_with(JsonObject::new);
                merge_patch(properties, patch)
            }
            LeadEdit::SoftDelete => set(&mut lead.status, STATUS_DELETED),
        }
    }
}

fn apply_changes(c: &LeadChanges, lead: &mut Lead) -> bool {
    let mut changed = false;
    let fields: [(&Change<String>, &mut Option<String>); 10] = [
        (&c.fullname, &mut lead.fullname),
        (&c.email, &mut lead.email),
        (&c.phone, &mut lead.phone),
        (&c.company, &mut lead.company),
        (&c.note, &mut lead.note),
        (&c.street_address, &mut lead.street_address),
        (&c.city, &mut lead.city),
        (&c.region, &mut lead.region),
        (&c.zipcode, &mut lead.zipcode),
        (&c.country, &mut lead.country),
    ];
    for (change, stored) in fields {
        changed |= match change {
            Change::Keep => false,
            Change::Clear => set(stored, None),
            Change::Set(value) => set(stored, Some(value.clone())),
        };
    }
    if let Some(status) = c.status {
        changed |= set(&mut lead.status, status);
    }
    if let Some(tags) = &c.tags {
        changed |= set(&mut lead.tags, dedup(tags.clone()));
    }
    if let Some(attributes) = &c.attributes {
        changed |= set(&mut lead.attributes, attributes.clone());
    }
    changed
}

fn set<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}

/// Applies a JSON Merge Patch (RFC 7396) to `target`: `null` removes a key, an object
/// merges into the object under its key (replacing anything else there), and any other
/// value replaces. Answers whether `target` changed.
fn merge_patch(target: &mut JsonObject, patch: &JsonObject) -> bool {
    let mut changed = false;
    for (key, value) in patch {
        match value {
            Value::Null => changed |= target.remove(key).is_some(),
            Value::Object(inner) => {
                let mut merged = match target.get(key) {
                    Some(Value::Object(existing)) => existing.clone(),
                    _ => JsonObject::new(),
                };
                merge_patch(&mut merged, inner);
                changed |= replace(target, key, Value::Object(merged));
            }
            value => changed |= replace(target, key, value.clone()),
        }
    }
    changed
}

/// Stores `value` under `key`; answers whether that changed anything.
fn replace(target: &mut JsonObject, key: &str, value: Value) -> bool {
    if target.get(key) == Some(&value) {
        false
    } else {
        target.insert(key.to_owned(), value);
        true
    }
}

/// Drops repeated tags, keeping the first occurrence's position.
pub(crate) fn dedup(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// A field leads can be sorted by; a closed set, so no caller text reaches `ORDER BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Fullname,
    Email,
    LeadId,
}

impl SortField {
    /// Every field, in the spec's order.
    pub const ALL: [SortField; 5] = [
        SortField::CreatedAt,
        SortField::UpdatedAt,
        SortField::Fullname,
        SortField::Email,
        SortField::LeadId,
    ];

    /// The column this field is stored in.
    pub(crate) fn column(self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::Fullname => "fullname",
            SortField::Email => "email",
            SortField::LeadId => "lead_id",
        }
    }
}

/// Which leads a list or export covers by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this status.
    Is(i32),
    /// Every status below deleted: the export's default.
    NotDeleted,
}

/// The filters and order of a list or an export. Every filter narrows the result; they
/// combine with AND.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadQuery {
    /// Case-insensitive exact email.
    pub email: Option<String>,
    /// Whole words, any of which must appear in `fullname` or `email`.
    pub full_text: Option<String>,
    pub with_email: Option<bool>,
    pub with_fullname: Option<bool>,
    /// The lead must carry every one of these.
    pub tags: Vec<String>,
    pub status: StatusFilter,
    pub sort: SortField,
    pub ascending: bool,
}

impl Default for LeadQuery {
    fn default() -> Self {
        LeadQuery {
            email: None,
            full_text: None,
            with_email: None,
            with_fullname: None,
            tags: Vec::new(),
            status: StatusFilter::Is(STATUS_NORMAL),
            sort: SortField::CreatedAt,
            ascending: false,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPage {
    /// How many leads match the filters across all pages.
    pub count: i64,
    pub leads: Vec<Lead>,
    /// Where the next page starts: the position of this page's last row, when more rows
    /// follow it; `None` on the last page.
    pub next: Option<After>,
}

/// The value of a lead's sort field as stored, the first half of its position in a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortValue {
    /// `createdAt` or `updatedAt`, in milliseconds since the epoch.
    Millis(i64),
    /// `fullname`, `email` (either may be missing) or `lead_id`.
    Text(Option<String>),
}

/// A position in a list: the sort value and id of a row. A keyset page starts right
/// after it, in the list's order, whatever was inserted or deleted since.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct After {
    pub value: SortValue,
    pub id: String,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// After skipping this many rows: what page numbers mean, costing more the deeper.
    Offset(i64),
    /// Right after this row: a keyset page, costing what the first page costs.
    After(After),
}

impl SortField {
    /// Whether the field may be missing (stored as NULL). NULL sorts lowest on both
    /// backends: first ascending, last descending.
    pub(crate) fn nullable(self) -> bool {
        matches!(self, SortField::Fullname | SortField::Email)
    }

    /// Whether the field is stored as text rather than milliseconds.
    pub(crate) fn textual(self) -> bool {
        matches!(
            self,
            SortField::Fullname | SortField::Email | SortField::LeadId
        )
    }

    /// The position of `lead` in a list sorted by this field.
    pub fn position_of(self, lead: &Lead) -> After {
        let value = match self {
            SortField::CreatedAt => SortValue::Millis(lead.created_at.timestamp_millis()),
            SortField::UpdatedAt => SortValue::Millis(lead.updated_at.timestamp_millis()),
            SortField::Fullname => SortValue::Text(lead.fullname.clone()),
            SortField::Email => SortValue::Text(lead.email.clone()),
            SortField::LeadId => SortValue::Text(Some(lead.lead_id.clone())),
        };
        After {
            value,
            id: lead.id.clone(),
        }
    }
}

/// A member's role, lowest first; the derived order is the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Guest,
    User,
    Teammate,
    Agent,
    Supervisor,
    Admin,
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 7] = [
        Role::Guest,
        Role::User,
        Role::Teammate,
        Role::Agent,
        Role::Supervisor,
        Role::Admin,
        Role::Owner,
    ];

    /// The role's name as stored and as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::User => "user",
            Role::Teammate => "teammate",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not on the ladder.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "unknown role `{0}`; expected one of guest, user, teammate, agent, supervisor, admin, owner"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A user account with its password hash (the hash never leaves the server).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    /// Bumped by every password change; tokens and cached verifications of an older
    /// version are refused.
    pub credential_version: i64,
}

/// A project.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
}

/// A user's role in one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub project_id: String,
    pub role: Role,
}
