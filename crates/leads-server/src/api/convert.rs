//! Conversions between the generated API models and the storage types. Inbound values
//! were validated by the router; outbound ones come from the store, so a failure here is
//! an internal fault (stored data the spec cannot express), never the caller's.

use crate::store::{
    self, Change, JsonObject, LeadChanges, LeadQuery, NewLead, SortField, StatusFilter,
};
use leads_api::types;

/// A stored value the API models reject.
#[derive(Debug, thiserror::Error)]
#[error("stored {field} cannot be answered: {reason}")]
pub struct Unrepresentable {
    field: &'static str,
    reason: String,
}

fn unrepresentable(
    field: &'static str,
) -> impl FnOnce(types::error::ConversionError) -> Unrepresentable {
    move |e| Unrepresentable {
        field,
        reason: e.to_string(),
    }
}

/// A stored lead as the API answers it.
pub fn lead(lead: store::Lead) -> Result<types::Lead, Unrepresentable> {
    Ok(types::Lead {
        id: types::ObjectId::try_from(lead.id).map_err(unrepresentable("_id"))?,
        id_project: types::ObjectId::try_from(lead.project_id)
            .map_err(unrepresentable("id_project"))?,
        lead_id: lead.lead_id,
        fullname: lead.fullname,
        email: lead.email,
        phone: lead.phone,
        company: lead.company,
        note: lead.note,
        street_address: lead.street_address,
        city: lead.city,
        region: lead.region,
        zipcode: lead.zipcode,
        country: lead.country,
        tags: lead.tags,
        status: Some(types::LeadStatus::try_from(lead.status).map_err(unrepresentable("status"))?),
        attributes: lead.attributes,
        properties: lead.properties.unwrap_or_default(),
        created_by: lead.created_by,
        created_at: lead.created_at,
        updated_at: lead.updated_at,
        v: u64::try_from(lead.version).map_err(|e| Unrepresentable {
            field: "__v",
            reason: e.to_string(),
        })?,
    })
}

/// The body of `createLead` as a new lead created by `user_id`.
pub fn new_lead(body: types::LeadCreate, user_id: String) -> NewLead {
    NewLead {
        lead_id: body.lead_id.into(),
        fullname: body.fullname.map(Into::into),
        email: body.email.map(Into::into),
        phone: body.phone.map(Into::into),
        company: body.company.map(Into::into),
        note: body.note.map(Into::into),
        street_address: body.street_address.map(Into::into),
        city: body.city.map(Into::into),
        region: body.region.map(Into::into),
        zipcode: body.zipcode.map(Into::into),
        country: body.country.map(Into::into),
        tags: tags(body.tags),
        attributes: body.attributes,
        properties: non_empty(body.properties),
        created_by: user_id,
    }
}

/// The body of `updateLead` as changes: a property left out keeps the field, `null`
/// clears it and a value sets it; clearing `tags` or `attributes` empties them.
pub fn changes(body: types::LeadUpdate) -> LeadChanges {
    LeadChanges {
        fullname: change(body.fullname),
        email: change(body.email),
        phone: change(body.phone),
        company: change(body.company),
        note: change(body.note),
        street_address: change(body.street_address),
        city: change(body.city),
        region: change(body.region),
        zipcode: change(body.zipcode),
        country: change(body.country),
        status: body.status.map(i32::from),
        tags: replacement(body.tags.map(tags)),
        attributes: replacement(body.attributes),
    }
}

/// A text property's three states as a change of the stored field.
fn change<T: Into<String>>(property: types::Nullable<T>) -> Change<String> {
    match property {
        types::Nullable::Absent => Change::Keep,
        types::Nullable::Null => Change::Clear,
        types::Nullable::Value(value) => Change::Set(value.into()),
    }
}

/// A collection property's three states as a replacement: `None` keeps the stored value,
/// `null` replaces it with an empty one.
fn replacement<T: Default>(property: types::Nullable<T>) -> Option<T> {
    match property {
        types::Nullable::Absent => None,
        types::Nullable::Null => Some(T::default()),
        types::Nullable::Value(value) => Some(value),
    }
}

/// Tags as plain strings.
pub fn tags(tags: Vec<types::Tag>) -> Vec<String> {
    tags.into_iter().map(String::from).collect()
}

fn non_empty(object: JsonObject) -> Option<JsonObject> {
    (!object.is_empty()).then_some(object)
}

/// A storage role as the API spells it.
pub fn role(role: store::Role) -> types::Role {
    match role {
        store::Role::Guest => types::Role::Guest,
        store::Role::User => types::Role::User,
        store::Role::Teammate => types::Role::Teammate,
        store::Role::Agent => types::Role::Agent,
        store::Role::Supervisor => types::Role::Supervisor,
        store::Role::Admin => types::Role::Admin,
        store::Role::Owner => types::Role::Owner,
    }
}

/// The filters and order shared by the list and the export.
pub struct Filters {
    pub sort_field: Option<types::SortField>,
    pub sort: Option<types::SortField>,
    pub direction: Option<types::Direction>,
    pub email: Option<String>,
    pub full_text: Option<String>,
    pub with_email: Option<bool>,
    pub with_fullname: Option<bool>,
    pub tags: Vec<types::Tag>,
    pub status: Option<types::LeadStatus>,
}

impl Filters {
    /// The storage query; `default_status` applies when no `status` is given.
    pub fn into_query(self, default_status: StatusFilter) -> LeadQuery {
        // Two names for one parameter; `sort` wins, as on Tiledesk's server, which reads
        // only `sort`.
        let field = self.sort.or(self.sort_field);
        LeadQuery {
            email: self.email,
            full_text: self.full_text,
            with_email: self.with_email,
            with_fullname: self.with_fullname,
            tags: tags(self.tags),
            status: self
                .status
                .map(|s| StatusFilter::Is(i32::from(s)))
                .unwrap_or(default_status),
            sort: match field {
                None | Some(types::SortField::CreatedAt) => SortField::CreatedAt,
                Some(types::SortField::UpdatedAt) => SortField::UpdatedAt,
                Some(types::SortField::Fullname) => SortField::Fullname,
                Some(types::SortField::Email) => SortField::Email,
                Some(types::SortField::LeadId) => SortField::LeadId,
            },
            ascending: self.direction.is_some_and(|d| *d == 1),
        }
    }
}

impl From<leads_api::params::ListLeadsQuery> for Filters {
    fn from(q: leads_api::params::ListLeadsQuery) -> Self {
        Filters {
            sort_field: q.sort_field,
            sort: q.sort,
            direction: q.direction,
            email: q.email.map(String::from),
            full_text: q.full_text.map(String::from),
            with_email: q.with_email,
            with_fullname: q.with_fullname,
            tags: q.tags,
            status: q.status,
        }
    }
}

impl From<leads_api::params::ExportLeadsCsvQuery> for Filters {
    fn from(q: leads_api::params::ExportLeadsCsvQuery) -> Self {
        Filters {
            sort_field: q.sort_field,
            sort: q.sort,
            direction: q.direction,
            email: q.email.map(String::from),
            full_text: q.full_text.map(String::from),
            with_email: q.with_email,
            with_fullname: q.with_fullname,
            tags: q.tags,
            status: q.status,
        }
    }
}
