//! A complete backend kept in memory: every operation of [`LeadsApi`], with users, roles
//! and projects as the spec describes them. A starting point for a backend of your own,
//! and a target for the conformance suite:
//!
//! ```sh
//! cargo run -p leads-api --example memory -- --addr 127.0.0.1:3000
//! cargo xtask contract --base-url http://127.0.0.1:3000/v1 --project P --email E --password P
//! ```
//!
//! It prints its demo credentials as `name: value` lines: the agent the contract runs as
//! (`email`, `password`, `project`), the members its other cases need (`owner-…`,
//! `low-role-…`, `outsider-…`), and last the `base-url`. Passwords are new at every start.
//!
//! The router has already authenticated, parsed and checked every request against the
//! spec when a method runs; what is left is roles, project scoping and the leads.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use leads_api::auth::{Credentials, Unauthenticated};
use leads_api::params::*;
use leads_api::responses::*;
use leads_api::runtime::ByteStream;
use leads_api::types::{self, Lead, Nullable, ObjectId, Role, SortField};
use leads_api::LeadsApi;
use rand::Rng;
use serde_json::{Map, Value};

const TEMPORARY: i32 = 50;
const NORMAL: i32 = 100;
const DELETED: i32 = 1000;
/// How long an `Idempotency-Key` replays its first create.
const KEY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a token from `signin` is accepted, in seconds.
const TOKEN_LIFETIME: u64 = 60 * 60;

/// A user and its role in each project it belongs to.
struct User {
    id: ObjectId,
    email: String,
    password: String,
    roles: Vec<(ObjectId, Role)>,
}

/// The leads of every project, and the idempotency keys of recent creates.
#[derive(Default)]
struct Store {
    leads: BTreeMap<ObjectId, Lead>,
    /// By project and key: the body first sent, the lead answered, and when.
    keys: HashMap<(ObjectId, String), (Value, Lead, Instant)>,
    /// Every list cursor answered, by its text: the project and the list it continues
    /// (see [`Filter::list_key`]) and the lead it continues after. A random token, kept
    /// for the life of the process, is all a backend in memory needs to make a cursor
    /// that cannot be forged; a database backend would rather sign the position itself.
    cursors: HashMap<String, (ObjectId, String, Lead)>,
}

struct Memory {
    users: Vec<User>,
    secret: [u8; 32],
    store: Mutex<Store>,
}

/// A token's claims: the user's id and the expiry.
#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

/// Why a lead operation is refused; each is one documented status.
enum Refusal {
    /// 403: below this role in the project, or no member of it.
    Forbidden(Role),
    /// 404: no such lead in this project.
    NotFound,
}

impl Refusal {
    fn error(&self) -> types::Error {
        match self {
            Self::Forbidden(role) => types::Error::new(format!(
                "this operation requires the role `{role}` or higher in the project"
            )),
            Self::NotFound => types::Error::new("Object not found."),
        }
    }
}

/// Answers a lead, or a refusal, as the operation's response enum.
macro_rules! answer {
    ($response:ident, $result:expr) => {
        match $result {
            Ok(lead) => $response::Ok(lead),
            Err(refusal @ Refusal::Forbidden(_)) => $response::Forbidden(refusal.error()),
            Err(refusal @ Refusal::NotFound) => $response::NotFound(refusal.error()),
        }
    };
}

/// What a list or an export selects, and in which order; built from either's query.
struct Filter {
    email: Option<String>,
    words: Option<Vec<String>>,
    with_email: Option<bool>,
    with_fullname: Option<bool>,
    tags: Vec<types::Tag>,
    statuses: Vec<i32>,
    sort: SortField,
    ascending: bool,
}

macro_rules! filter {
    ($query:expr, $default_statuses:expr) => {{
        let query = $query;
        Filter {
            email: query.email.map(|email| email.to_lowercase()),
            words: query.full_text.map(|text| words(&text)),
            with_email: query.with_email,
            with_fullname: query.with_fullname,
            tags: query.tags,
            statuses: query
                .status
                .map_or($default_statuses, |status| vec![*status]),
            // `sort` wins over `sortField`, as the spec says.
            sort: query
                .sort
                .or(query.sort_field)
                .unwrap_or(SortField::CreatedAt),
            ascending: query.direction.is_some_and(|direction| *direction == 1),
        }
    }};
}

impl Filter {
    /// What makes two requests one list: the same key selects the same leads in the same
    /// order, whatever the aliases, tag order or `email` case.
    fn list_key(&self) -> String {
        let mut words = self.words.clone();
        if let Some(words) = &mut words {
            words.sort();
            words.dedup();
        }
        let mut tags: Vec<&str> = self.tags.iter().map(|tag| tag.as_str()).collect();
        tags.sort_unstable();
        tags.dedup();
        format!(
            "{:?}|{words:?}|{:?}|{:?}|{tags:?}|{:?}|{:?}|{}",
            self.email,
            self.with_email,
            self.with_fullname,
            self.statuses,
            self.sort,
            self.ascending
        )
    }

    fn keeps(&self, lead: &Lead) -> bool {
        let present = |field: &Option<String>, wanted: Option<bool>| {
            wanted.is_none_or(|wanted| field.is_some() == wanted)
        };
        let own_words = || -> Vec<String> {
            [&lead.fullname, &lead.email]
                .into_iter()
                .flatten()
                .flat_map(|t| words(t))
                .collect()
        };
        lead.status
            .as_deref()
            .is_some_and(|status| self.statuses.contains(status))
            && self.email.as_ref().is_none_or(|email| {
                lead.email
                    .as_ref()
                    .is_some_and(|own| own.to_lowercase() == *email)
            })
            && self.words.as_ref().is_none_or(|wanted| {
                let own = own_words();
                wanted.iter().any(|word| own.contains(word))
            })
            && present(&lead.email, self.with_email)
            && present(&lead.fullname, self.with_fullname)
            && self
                .tags
                .iter()
                .all(|tag| lead.tags.iter().any(|own| own == tag.as_str()))
    }

    fn order(&self, a: &Lead, b: &Lead) -> Ordering {
        let order = match self.sort {
            SortField::CreatedAt => a.created_at.cmp(&b.created_at),
            SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            SortField::Fullname => a.fullname.cmp(&b.fullname),
            SortField::Email => a.email.cmp(&b.email),
            SortField::LeadId => a.lead_id.cmp(&b.lead_id),
        }
        .then_with(|| a.id.cmp(&b.id));
        if self.ascending {
            order
        } else {
            order.reverse()
        }
    }
}

/// The whole words of `text`, lower-cased: what `full_text` matches.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// RFC 7396: `patch` merged into `target`; `null` removes a key, objects merge deeply.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => drop(target.remove(&key)),
            Value::Object(patch) => {
                let slot = target.entry(key).or_insert(Value::Null);
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(slot) = slot {
                    merge(slot, patch);
                }
            }
            value => drop(target.insert(key, value)),
        }
    }
}

/// Appends the tags a lead does not carry yet, in order.
fn add_tags(tags: &mut Vec<String>, new: impl IntoIterator<Item = types::Tag>) {
    for tag in new {
        if !tags.iter().any(|own| own == tag.as_str()) {
            tags.push(tag.into());
        }
    }
}

/// One three-state field of `updateLead`: absent keeps, `null` clears, a value sets.
fn set<T: Into<String>>(field: &mut Option<String>, update: Nullable<T>) {
    match update {
        Nullable::Absent => {}
        Nullable::Null => *field = None,
        Nullable::Value(value) => *field = Some(value.into()),
    }
}

fn status(code: i32) -> types::LeadStatus {
    types::LeadStatus::try_from(code).expect("a status the spec documents")
}

fn random_id() -> ObjectId {
    let bits = rand::rng().random::<u128>() >> 32;
    ObjectId::try_from(format!("{bits:024x}")).expect("24 lower-case hex digits")
}

/// One CSV line: `'` before a would-be formula, RFC 4180 quoting, `;` and `\r\n`.
fn csv_line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let separator = char::from(leads_client::csv::DELIMITER);
    let cells: Vec<String> = cells
        .into_iter()
        .map(|cell| {
            let cell = cell.as_ref();
            let mut cell = if cell.starts_with(leads_client::csv::FORMULA_STARTS) {
                format!("'{cell}")
            } else {
                cell.to_owned()
            };
            if cell.contains([separator, '"', '\r', '\n']) {
                cell = format!("\"{}\"", cell.replace('"', "\"\""));
            }
            cell
        })
        .collect();
    cells.join(&separator.to_string()) + "\r\n"
}

fn csv_record(lead: &Lead) -> [String; 17] {
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    let date = |at: &DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    [
        lead.id.to_string(),
        lead.lead_id.clone(),
        text(&lead.fullname),
        text(&lead.email),
        text(&lead.phone),
        text(&lead.company),
        text(&lead.note),
        text(&lead.street_address),
        text(&lead.city),
        text(&lead.region),
        text(&lead.zipcode),
        text(&lead.country),
        lead.tags
            .join(&leads_client::csv::TAG_SEPARATOR.to_string()),
        lead.status
            .as_deref()
            .map(i32::to_string)
            .unwrap_or_default(),
        lead.created_by.clone(),
        date(&lead.created_at),
        date(&lead.updated_at),
    ]
}

impl Memory {
    /// One project with an agent, its owner and a member below agent, and the owner of
    /// another project; with the `name: value` lines that introduce them.
    fn demo() -> (Self, Vec<(String, String)>) {
        let (project, other) = (random_id(), random_id());
        let user = |email: &str, project: &ObjectId, role| {
            let password = rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(20)
                .map(char::from)
                .collect();
            User {
                id: random_id(),
                email: email.to_owned(),
                password,
                roles: vec![(project.clone(), role)],
            }
        };
        let users = vec![
            user("agent@example.com", &project, Role::Agent),
            user("owner@example.com", &project, Role::Owner),
            user("teammate@example.com", &project, Role::Teammate),
            user("outsider@example.com", &other, Role::Owner),
        ];
        let mut lines = Vec::new();
        for (user, prefix) in users.iter().zip(["", "owner-", "low-role-", "outsider-"]) {
            lines.push((format!("{prefix}email"), user.email.clone()));
            lines.push((format!("{prefix}password"), user.password.clone()));
        }
        lines.insert(2, ("project".to_owned(), project.to_string()));
        lines.push(("outsider-project".to_owned(), other.to_string()));
        let store = Mutex::default();
        (
            Self {
                users,
                secret: rand::rng().random(),
                store,
            },
            lines,
        )
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user with this email (matched case-insensitively) and password.
    fn find(&self, email: &str, password: &str) -> Option<usize> {
        let email = email.to_lowercase();
        self.users
            .iter()
            .position(|u| u.email.to_lowercase() == email && u.password == password)
    }

    /// The caller must hold `least` or a higher role in `project`.
    fn allow(&self, who: usize, project: &ObjectId, least: Role) -> Result<(), Refusal> {
        let role = self.users[who]
            .roles
            .iter()
            .find(|(p, _)| p == project)
            .map(|(_, role)| *role);
        role.filter(|role| *role >= least)
            .map(|_| ())
            .ok_or(Refusal::Forbidden(least))
    }

    /// Runs `change` on lead `id` of `project` for an agent or higher; a change bumps
    /// `__v` and `updatedAt`, a call that changes nothing answers the lead as it is.
    fn change(
        &self,
        who: usize,
        project: &ObjectId,
        id: &ObjectId,
        change: impl FnOnce(&mut Lead),
    ) -> Result<Lead, Refusal> {
        self.allow(who, project, Role::Agent)?;
        let mut store = self.store();
        let lead = store
            .leads
            .get_mut(id)
            .filter(|lead| lead.id_project == *project)
            .ok_or(Refusal::NotFound)?;
        let before = lead.clone();
        change(lead);
        if *lead != before {
            lead.v += 1;
            lead.updated_at = Utc::now();
        }
        Ok(lead.clone())
    }

    /// The leads of `project` that `filter` keeps, in its order.
    fn select(&self, project: &ObjectId, filter: &Filter) -> Vec<Lead> {
        let store = self.store();
        let mut leads: Vec<Lead> = store
            .leads
            .values()
            .filter(|l| l.id_project == *project && filter.keeps(l))
            .cloned()
            .collect();
        leads.sort_by(|a, b| filter.order(a, b));
        leads
    }
}

#[async_trait::async_trait]
impl LeadsApi for Memory {
    /// The index of the calling user.
    type Principal = usize;

    async fn authenticate(&self, credentials: Credentials) -> Result<usize, Unauthenticated> {
        let who = match credentials {
            Credentials::Basic { username, password } => self.find(&username, &password),
            Credentials::Jwt(token) | Credentials::Bearer(token) => {
                let key = DecodingKey::from_secret(&self.secret);
                let claims = jsonwebtoken::decode::<Claims>(
                    &token,
                    &key,
                    &Validation::new(Algorithm::HS256),
                );
                claims
                    .ok()
                    .and_then(|data| self.users.iter().position(|u| *u.id == data.claims.sub))
            }
        };
        who.ok_or_else(|| Unauthenticated::new("wrong credentials"))
    }

    async fn signin(&self, body: types::SigninRequest) -> Signin {
        let Some(who) = self.find(&body.email, &body.password) else {
            return Signin::Unauthorized(types::Error::new("wrong email or password"));
        };
        let user = &self.users[who];
        let claims = Claims {
            sub: user.id.to_string(),
            exp: jsonwebtoken::get_current_timestamp() + TOKEN_LIFETIME,
        };
        let Ok(token) = jsonwebtoken::encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        ) else {
            return Signin::InternalServerError(types::Error::new("internal error"));
        };
        let projects = user
            .roles
            .iter()
            .map(|(id_project, role)| types::Membership {
                id_project: id_project.clone(),
                role: *role,
            });
        let user = types::User {
            id: user.id.clone(),
            email: user.email.clone(),
            projects: projects.collect(),
        };
        Signin::Ok(types::SigninResponse {
            success: true,
            token: format!("JWT {token}"),
            user,
        })
    }

    async fn list_leads(
        &self,
        who: usize,
        path: ListLeadsPath,
        mut query: ListLeadsQuery,
    ) -> ListLeads {
        if let Err(refusal) = self.allow(who, &path.project_id, Role::Agent) {
            return ListLeads::Forbidden(refusal.error());
        }
        // The router has checked both bounds: `page` is 0 or more, `limit` 1 to 100.
        let (page, limit) = (query.page.unsigned_abs(), query.limit.unsigned_abs());
        let limit = limit as usize;
        let cursor = query.cursor.take();
        let filter = filter!(query, vec![NORMAL]);
        let matching = self.select(&path.project_id, &filter);
        // With a cursor, `page` is ignored: the page starts right after the cursor's lead,
        // wherever that lead is now, or whether it still exists.
        let start = match cursor {
            None => page as usize * limit,
            Some(cursor) => match self.store().cursors.get(cursor.as_str()) {
                Some((project, list, last))
                    if *project == path.project_id && *list == filter.list_key() =>
                {
                    matching
                        .iter()
                        .position(|lead| filter.order(lead, last) == Ordering::Greater)
                        .unwrap_or(matching.len())
                }
                Some(_) => {
                    return ListLeads::BadRequest(types::Error::new(
                        "`cursor` belongs to a list with other filters, another sort or \
                         another project",
                    ))
                }
                None => {
                    return ListLeads::BadRequest(types::Error::new(
                        "`cursor` is not a cursor this server issued",
                    ))
                }
            },
        };
        let leads: Vec<Lead> = matching.iter().skip(start).take(limit).cloned().collect();
        let next = match leads.last() {
            Some(last) if start + limit < matching.len() => {
                let bits: (u128, u64) = rand::rng().random();
                let text = format!("{:032x}{:016x}", bits.0, bits.1);
                let list = (path.project_id.clone(), filter.list_key(), last.clone());
                self.store().cursors.insert(text.clone(), list);
                Some(types::Cursor::try_from(text).expect("48 hex digits are a cursor"))
            }
            _ => None,
        };
        ListLeads::Ok(types::LeadList {
            per_page: NonZeroU32::new(limit as u32).unwrap_or(NonZeroU32::MIN),
            count: matching.len() as u64,
            leads,
            next,
        })
    }

    async fn create_lead(
        &self,
        who: usize,
        path: CreateLeadPath,
        headers: CreateLeadHeaders,
        body: types::LeadCreate,
    ) -> CreateLead {
        if let Err(refusal) = self.allow(who, &path.project_id, Role::Agent) {
            return CreateLead::Forbidden(refusal.error());
        }
        let sent = serde_json::to_value(&body).unwrap_or_default();
        let key = headers
            .idempotency_key
            .map(|key| (path.project_id.clone(), key.to_string()));
        let mut store = self.store();
        if let Some((first, lead, at)) = key.as_ref().and_then(|key| store.keys.get(key)) {
            if at.elapsed() < KEY_WINDOW {
                if *first == sent {
                    return CreateLead::Ok(lead.clone());
                }
                return CreateLead::Conflict(types::Error::new(
                    "the Idempotency-Key was already used with a different body",
                ));
            }
        }
        let now = Utc::now();
        let mut lead = Lead {
            id: random_id(),
            id_project: path.project_id,
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
            tags: Vec::new(),
            status: Some(status(NORMAL)),
            attributes: body.attributes,
            properties: body.properties,
            created_by: self.users[who].id.to_string(),
            created_at: now,
            updated_at: now,
            v: 0,
        };
        add_tags(&mut lead.tags, body.tags);
        store.leads.insert(lead.id.clone(), lead.clone());
        if let Some(key) = key {
            store.keys.insert(key, (sent, lead.clone(), Instant::now()));
        }
        CreateLead::Ok(lead)
    }

    async fn export_leads_csv(
        &self,
        who: usize,
        path: ExportLeadsCsvPath,
        query: ExportLeadsCsvQuery,
    ) -> ExportLeadsCsv {
        if let Err(refusal) = self.allow(who, &path.project_id, Role::Agent) {
            return ExportLeadsCsv::Forbidden(refusal.error());
        }
        let leads = self.select(&path.project_id, &filter!(query, vec![TEMPORARY, NORMAL]));
        let mut csv = csv_line(leads_client::csv::COLUMNS);
        for lead in &leads {
            csv.push_str(&csv_line(csv_record(lead)));
        }
        ExportLeadsCsv::Ok(ByteStream::from_bytes(csv).with_file_name("leads.csv"))
    }

    async fn get_lead(&self, who: usize, path: GetLeadPath) -> GetLead {
        answer!(
            GetLead,
            self.change(who, &path.project_id, &path.id, |_| {})
        )
    }

    async fn update_lead(
        &self,
        who: usize,
        path: UpdateLeadPath,
        body: types::LeadUpdate,
    ) -> UpdateLead {
        answer!(
            UpdateLead,
            self.change(who, &path.project_id, &path.id, |lead| {
                set(&mut lead.fullname, body.fullname);
                set(&mut lead.email, body.email);
                set(&mut lead.phone, body.phone);
                set(&mut lead.company, body.company);
                set(&mut lead.note, body.note);
                set(&mut lead.street_address, body.street_address);
                set(&mut lead.city, body.city);
                set(&mut lead.region, body.region);
                set(&mut lead.zipcode, body.zipcode);
                set(&mut lead.country, body.country);
                // `status: null` never gets here: the router refuses it.
                if let Some(status) = body.status {
                    lead.status = Some(status);
                }
                if !body.tags.is_absent() {
                    lead.tags.clear();
                }
                if let Nullable::Value(tags) = body.tags {
                    add_tags(&mut lead.tags, tags);
                }
                match body.attributes {
                    Nullable::Absent => {}
                    Nullable::Null => lead.attributes.clear(),
                    Nullable::Value(attributes) => lead.attributes = attributes,
                }
            })
        )
    }

    async fn delete_lead(&self, who: usize, path: DeleteLeadPath) -> DeleteLead {
        answer!(
            DeleteLead,
            self.change(who, &path.project_id, &path.id, |lead| lead.status =
                Some(status(DELETED)))
        )
    }

    async fn delete_lead_physically(
        &self,
        who: usize,
        path: DeleteLeadPhysicallyPath,
    ) -> DeleteLeadPhysically {
        let removed = self
            .allow(who, &path.project_id, Role::Owner)
            .and_then(|()| {
                let mut store = self.store();
                match store.leads.get(&path.id) {
                    Some(lead) if lead.id_project == path.project_id => {
                        store.leads.remove(&path.id).ok_or(Refusal::NotFound)
                    }
                    _ => Err(Refusal::NotFound),
                }
            });
        answer!(DeleteLeadPhysically, removed)
    }

    async fn add_lead_tags(
        &self,
        who: usize,
        path: AddLeadTagsPath,
        body: types::TagList,
    ) -> AddLeadTags {
        answer!(
            AddLeadTags,
            self.change(who, &path.project_id, &path.id, |lead| add_tags(
                &mut lead.tags,
                body.0
            ))
        )
    }

    async fn remove_lead_tag(&self, who: usize, path: RemoveLeadTagPath) -> RemoveLeadTag {
        answer!(
            RemoveLeadTag,
            self.change(who, &path.project_id, &path.id, |lead| lead
                .tags
                .retain(|tag| tag != path.tag.as_str()))
        )
    }

    async fn merge_lead_attributes(
        &self,
        who: usize,
        path: MergeLeadAttributesPath,
        body: types::FreeForm,
    ) -> MergeLeadAttributes {
        answer!(
            MergeLeadAttributes,
            self.change(who, &path.project_id, &path.id, |lead| merge(
                &mut lead.attributes,
                body.0
            ))
        )
    }

    async fn add_lead_properties(
        &self,
        who: usize,
        path: AddLeadPropertiesPath,
        body: types::FreeForm,
    ) -> AddLeadProperties {
        answer!(
            AddLeadProperties,
            self.change(who, &path.project_id, &path.id, |lead| merge(
                &mut lead.properties,
                body.0
            ))
        )
    }

    async fn merge_lead_properties(
        &self,
        who: usize,
        path: MergeLeadPropertiesPath,
        body: types::FreeForm,
    ) -> MergeLeadProperties {
        answer!(
            MergeLeadProperties,
            self.change(who, &path.project_id, &path.id, |lead| merge(
                &mut lead.properties,
                body.0
            ))
        )
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:3000".to_owned();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => return Err("usage: memory [--addr HOST:PORT]".into()),
        }
    }
    let (memory, lines) = Memory::demo();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    for (name, value) in lines {
        println!("{name}: {value}");
    }
    println!("base-url: http://{}/v1", listener.local_addr()?);
    let app = axum::Router::new().nest("/v1", leads_api::router(Arc::new(memory)));
    axum::serve(listener, app).await?;
    Ok(())
}
