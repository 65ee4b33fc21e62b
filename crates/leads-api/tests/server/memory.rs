//! An in-memory backend: the test double a real backend is checked against.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use leads_api::auth::{Credentials, Unauthenticated};
use leads_api::runtime::ByteStream;
use leads_api::{params, responses, types, LeadsApi};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub email: String,
}

/// Leads by id, with the next id to hand out.
#[derive(Default)]
pub struct Memory {
    leads: Mutex<BTreeMap<String, types::Lead>>,
    next_id: Mutex<u64>,
}

fn not_found() -> types::Error {
    types::Error::new("Object not found.")
}

fn object_id(n: u64) -> types::ObjectId {
    types::ObjectId::try_from(format!("{n:024x}")).expect("24 hex digits")
}

impl Memory {
    /// Runs `change` on the lead `id` of `project`, if there is one.
    fn with_lead<T>(
        &self,
        project: &types::ObjectId,
        id: &types::ObjectId,
        change: impl FnOnce(&mut types::Lead) -> T,
    ) -> Option<T> {
        let mut leads = self.leads.lock().expect("lock");
        leads
            .get_mut(id.as_str())
            .filter(|lead| lead.id_project == *project)
            .map(change)
    }

    fn touch(lead: &mut types::Lead) -> types::Lead {
        lead.v += 1;
        lead.updated_at = chrono::Utc::now();
        lead.clone()
    }

    fn matching(
        &self,
        project: &types::ObjectId,
        tags: &[types::Tag],
        status: Option<i32>,
        email: Option<&str>,
    ) -> Vec<types::Lead> {
        self.leads
            .lock()
            .expect("lock")
            .values()
            .filter(|lead| lead.id_project == *project)
            .filter(|lead| {
                tags.iter()
                    .all(|tag| lead.tags.iter().any(|t| t == tag.as_str()))
            })
            .filter(|lead| match status {
                Some(status) => lead.status.as_deref() == Some(&status),
                None => lead.status.as_deref() != Some(&1000),
            })
            .filter(|lead| {
                email.is_none_or(|e| {
                    lead.email
                        .as_deref()
                        .is_some_and(|l| l.eq_ignore_ascii_case(e))
                })
            })
            .cloned()
            .collect()
    }
}

fn merge(into: &mut serde_json::Map<String, serde_json::Value>, from: types::FreeForm) {
    into.extend(serde_json::Map::from(from));
}

#[async_trait::async_trait]
impl LeadsApi for Memory {
    type Principal = Caller;

    async fn authenticate(&self, credentials: Credentials) -> Result<Caller, Unauthenticated> {
        match credentials {
            Credentials::Basic { username, password }
                if username.eq_ignore_ascii_case(super::EMAIL) && password == super::PASSWORD =>
            {
                Ok(Caller { email: username })
            }
            Credentials::Jwt(token) | Credentials::Bearer(token) if token == super::TOKEN => {
                Ok(Caller {
                    email: super::EMAIL.to_owned(),
                })
            }
            _ => Err(Unauthenticated::new("wrong credentials")),
        }
    }

    async fn signin(&self, body: types::SigninRequest) -> responses::Signin {
        if !body.email.eq_ignore_ascii_case(super::EMAIL) || *body.password != super::PASSWORD {
            return responses::Signin::Unauthorized(types::Error::new("wrong email or password"));
        }
        responses::Signin::Ok(types::SigninResponse {
            success: true,
            token: format!("JWT {}", super::TOKEN),
            user: types::User {
                id: object_id(0xabc),
                email: super::EMAIL.to_owned(),
                projects: vec![types::Membership {
                    id_project: super::PROJECT.try_into().expect("id"),
                    role: types::Role::Owner,
                }],
            },
        })
    }

    async fn list_leads(
        &self,
        _: Caller,
        path: params::ListLeadsPath,
        query: params::ListLeadsQuery,
    ) -> responses::ListLeads {
        let status = Some(query.status.map_or(100, |s| *s));
        let matching = self.matching(
            &path.project_id,
            &query.tags,
            status,
            query.email.as_deref().map(String::as_str),
        );
        let limit = usize::try_from(query.limit).expect("limit is 1..=100");
        let page = usize::try_from(query.page).expect("page is 0..");
        responses::ListLeads::Ok(types::LeadList {
            per_page: NonZeroU32::new(query.limit.unsigned_abs()).expect("limit is at least 1"),
            count: matching.len() as u64,
            leads: matching
                .into_iter()
                .skip(page * limit)
                .take(limit)
                .collect(),
            next: None,
        })
    }

    async fn create_lead(
        &self,
        caller: Caller,
        path: params::CreateLeadPath,
        _headers: params::CreateLeadHeaders,
        body: types::LeadCreate,
    ) -> responses::CreateLead {
        let id = {
            let mut next = self.next_id.lock().expect("lock");
            *next += 1;
            object_id(*next)
        };
        let now = chrono::Utc::now();
        let mut tags: Vec<String> = Vec::new();
        for tag in body.tags {
            if !tags.iter().any(|t| t == tag.as_str()) {
                tags.push(tag.to_string());
            }
        }
        let lead = types::Lead {
            id: id.clone(),
            id_project: path.project_id,
            lead_id: body.lead_id.to_string(),
            fullname: body.fullname.map(String::from),
            email: body.email.map(String::from),
            phone: body.phone.map(String::from),
            company: body.company.map(String::from),
            note: body.note.map(String::from),
            street_address: body.street_address.map(String::from),
            city: body.city.map(String::from),
            region: body.region.map(String::from),
            zipcode: body.zipcode.map(String::from),
            country: body.country.map(String::from),
            tags,
            status: Some(types::LeadStatus::try_from(100).expect("100 is a status")),
            attributes: body.attributes,
            properties: body.properties,
            created_by: caller.email,
            created_at: now,
            updated_at: now,
            v: 0,
        };
        self.leads
            .lock()
            .expect("lock")
            .insert(id.to_string(), lead.clone());
        responses::CreateLead::Ok(lead)
    }

    async fn export_leads_csv(
        &self,
        _: Caller,
        path: params::ExportLeadsCsvPath,
        query: params::ExportLeadsCsvQuery,
    ) -> responses::ExportLeadsCsv {
        let status = query.status.map(|s| *s);
        let rows = self.matching(
            &path.project_id,
            &query.tags,
            status,
            query.email.as_deref().map(String::as_str),
        );
        let chunks = std::iter::once("_id;lead_id\r\n".to_owned())
            .chain(
                rows.into_iter()
                    .map(|lead| format!("{};{}\r\n", lead.id.as_str(), lead.lead_id)),
            )
            .map(|row| Ok(bytes::Bytes::from(row)));
        responses::ExportLeadsCsv::Ok(
            ByteStream::new(futures::stream::iter(chunks)).with_file_name("leads.csv"),
        )
    }

    async fn get_lead(&self, _: Caller, path: params::GetLeadPath) -> responses::GetLead {
        match self.with_lead(&path.project_id, &path.id, |lead| lead.clone()) {
            Some(lead) => responses::GetLead::Ok(lead),
            None => responses::GetLead::NotFound(not_found()),
        }
    }

    async fn update_lead(
        &self,
        _: Caller,
        path: params::UpdateLeadPath,
        body: types::LeadUpdate,
    ) -> responses::UpdateLead {
        let updated = self.with_lead(&path.project_id, &path.id, |lead| {
            apply(&mut lead.fullname, body.fullname);
            apply(&mut lead.email, body.email);
            apply(&mut lead.zipcode, body.zipcode);
            if let Some(status) = body.status {
                lead.status = Some(status);
            }
            Self::touch(lead)
        });
        match updated {
            Some(lead) => responses::UpdateLead::Ok(lead),
            None => responses::UpdateLead::NotFound(not_found()),
        }
    }

    async fn delete_lead(&self, _: Caller, path: params::DeleteLeadPath) -> responses::DeleteLead {
        let deleted = self.with_lead(&path.project_id, &path.id, |lead| {
            lead.status = Some(types::LeadStatus::try_from(1000).expect("1000 is a status"));
            Self::touch(lead)
        });
        match deleted {
            Some(lead) => responses::DeleteLead::Ok(lead),
            None => responses::DeleteLead::NotFound(not_found()),
        }
    }

    async fn delete_lead_physically(
        &self,
        _: Caller,
        path: params::DeleteLeadPhysicallyPath,
    ) -> responses::DeleteLeadPhysically {
        let mut leads = self.leads.lock().expect("lock");
        match leads.get(path.id.as_str()) {
            Some(lead) if lead.id_project == path.project_id => {
                let lead = leads.remove(path.id.as_str()).expect("present");
                responses::DeleteLeadPhysically::Ok(lead)
            }
            _ => responses::DeleteLeadPhysically::NotFound(not_found()),
        }
    }

    async fn add_lead_tags(
        &self,
        _: Caller,
        path: params::AddLeadTagsPath,
        body: types::TagList,
    ) -> responses::AddLeadTags {
        let updated = self.with_lead(&path.project_id, &path.id, |lead| {
            for tag in body.0 {
                if !lead.tags.iter().any(|t| t == tag.as_str()) {
                    lead.tags.push(tag.to_string());
                }
            }
            Self::touch(lead)
        });
        match updated {
            Some(lead) => responses::AddLeadTags::Ok(lead),
            None => responses::AddLeadTags::NotFound(not_found()),
        }
    }

    async fn remove_lead_tag(
        &self,
        _: Caller,
        path: params::RemoveLeadTagPath,
    ) -> responses::RemoveLeadTag {
        let updated = self.with_lead(&path.project_id, &path.id, |lead| {
            lead.tags.retain(|t| t != path.tag.as_str());
            Self::touch(lead)
        });
        match updated {
            Some(lead) => responses::RemoveLeadTag::Ok(lead),
            None => responses::RemoveLeadTag::NotFound(not_found()),
        }
    }

    async fn merge_lead_attributes(
        &self,
        _: Caller,
        path: params::MergeLeadAttributesPath,
        body: types::FreeForm,
    ) -> responses::MergeLeadAttributes {
        match self.with_lead(&path.project_id, &path.id, |lead| {
            merge(&mut lead.attributes, body);
            Self::touch(lead)
        }) {
            Some(lead) => responses::MergeLeadAttributes::Ok(lead),
            None => responses::MergeLeadAttributes::NotFound(not_found()),
        }
    }

    async fn merge_lead_properties(
        &self,
        _: Caller,
        path: params::MergeLeadPropertiesPath,
        body: types::FreeForm,
    ) -> responses::MergeLeadProperties {
        match self.with_lead(&path.project_id, &path.id, |lead| {
            merge(&mut lead.properties, body);
            Self::touch(lead)
        }) {
            Some(lead) => responses::MergeLeadProperties::Ok(lead),
            None => responses::MergeLeadProperties::NotFound(not_found()),
        }
    }

    async fn add_lead_properties(
        &self,
        _: Caller,
        path: params::AddLeadPropertiesPath,
        body: types::FreeForm,
    ) -> responses::AddLeadProperties {
        match self.with_lead(&path.project_id, &path.id, |lead| {
            merge(&mut lead.properties, body);
            Self::touch(lead)
        }) {
            Some(lead) => responses::AddLeadProperties::Ok(lead),
            None => responses::AddLeadProperties::NotFound(not_found()),
        }
    }
}

/// Applies one three-state text property: absent keeps, `null` clears, a value sets.
fn apply<T: Into<String>>(field: &mut Option<String>, property: types::Nullable<T>) {
    match property {
        types::Nullable::Absent => {}
        types::Nullable::Null => *field = None,
        types::Nullable::Value(value) => *field = Some(value.into()),
    }
}
