//! The live contract: every operation, driven to every documented status it can reach.
//!
//! Requests the generated client can express go through the client; malformed ones it
//! refuses to build (a bad id, an unknown field, broken JSON) go out raw. Either way they
//! pass the recording proxy, and every response is checked against the spec: a documented
//! status, the documented content type, a body the schema accepts, the `Error` body on
//! errors and `WWW-Authenticate` on 401. Then the `state` checks read back what the writes
//! stored, and what each filter selects.

mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use leads_client::{types, Auth, Client, ClientBuilder};
use serde_json::{json, Value};

use super::proxy::{Exchange, Proxy};
use super::spec::SpecIndex;

/// Who the contract runs as, and against which project.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The project under test.
    pub project: String,
    /// A member with the role `agent` or higher: the main caller.
    pub agent: Auth,
    /// An email and password that sign in (for `signin`).
    pub signin: Option<(String, String)>,
    /// The project's owner, for physical deletion.
    pub owner: Option<Auth>,
    /// A member below `agent`, for 403.
    pub low_role: Option<Auth>,
    /// A member of another project only, with that project's id.
    pub outsider: Option<(Auth, String)>,
}

/// A failed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The operationId.
    pub operation: String,
    /// The case, e.g. `absent lead`.
    pub case: String,
    /// The status the case expected.
    pub expected: u16,
    /// The spec pointer of the operation.
    pub pointer: String,
    /// What went wrong.
    pub detail: String,
}

/// The result of a contract run.
#[derive(Debug, Default)]
pub struct Report {
    /// Failed expectations.
    pub failures: Vec<Failure>,
    /// `(operation, status)` pairs reached as documented.
    pub covered: BTreeSet<(String, u16)>,
    /// Cases skipped for want of a fixture, with the reason.
    pub skipped: Vec<String>,
    /// How many cases ran.
    pub cases: usize,
}

const ABSENT: &str = "0123456789abcdef01234567";

/// Drives the contract through `proxy`.
pub struct Runner<'a> {
    spec: &'a SpecIndex,
    proxy: &'a Proxy,
    fixture: Fixture,
    report: Report,
    raw: reqwest::Client,
}

type ClientResult<T> = Result<leads_client::ResponseValue<T>, leads_client::Error<types::Error>>;

impl<'a> Runner<'a> {
    /// A runner for `fixture`, through `proxy`.
    pub fn new(spec: &'a SpecIndex, proxy: &'a Proxy, fixture: Fixture) -> Self {
        Self {
            spec,
            proxy,
            fixture,
            report: Report::default(),
            raw: reqwest::Client::new(),
        }
    }

    fn client(&self, auth: Option<&Auth>) -> Client {
        let builder = ClientBuilder::new(&self.proxy.base_url);
        let builder = match auth {
            Some(auth) => builder.auth(auth.clone()),
            None => builder,
        };
        builder
            .build()
            .unwrap_or_else(|_| Client::anonymous(&self.proxy.base_url))
    }

    fn fail(&mut self, operation: &str, case: &str, expected: u16, detail: String) {
        let pointer = self
            .spec
            .operation(operation)
            .map(|op| op.pointer.clone())
            .unwrap_or_default();
        self.report.failures.push(Failure {
            operation: operation.to_owned(),
            case: case.to_owned(),
            expected,
            pointer,
            detail,
        });
    }

    /// Checks the one exchange a case caused against the spec and the expected status.
    fn judge(&mut self, operation: &str, case: &str, expected: u16) -> Option<Exchange> {
        self.report.cases += 1;
        let mut exchanges = self.proxy.take();
        if exchanges.len() != 1 {
            self.fail(
                operation,
                case,
                expected,
                format!("expected one request, {} were sent", exchanges.len()),
            );
            return None;
        }
        let exchange = exchanges.remove(0);
        let mut problems = Vec::new();
        if exchange.status != expected {
            problems.push(format!(
                "status {} where {expected} was expected",
                exchange.status
            ));
        }
        problems.extend(self.spec.validate(
            operation,
            exchange.status,
            exchange.content_type.as_deref(),
            &exchange.body,
        ));
        if exchange.status == 401 && exchange.www_authenticate.is_none() {
            problems.push("a 401 without `WWW-Authenticate`".to_owned());
        }
        if problems.is_empty() {
            self.report.covered.insert((operation.to_owned(), expected));
        }
        for problem in problems {
            let shown = String::from_utf8_lossy(&exchange.body);
            let shown: String = shown.chars().take(200).collect();
            self.fail(
                operation,
                case,
                expected,
                format!(
                    "{problem}; {} {} answered: {shown}",
                    exchange.method, exchange.path_and_query
                ),
            );
        }
        Some(exchange)
    }

    /// Runs a call through the generated client and judges it.
    async fn call<T>(
        &mut self,
        operation: &str,
        case: &str,
        expected: u16,
        call: impl Future<Output = ClientResult<T>>,
    ) -> Option<T> {
        let result = call.await;
        let exchange = self.judge(operation, case, expected);
        match result {
            Ok(value) if (200..300).contains(&expected) => Some(value.into_inner()),
            Ok(_) => None,
            Err(leads_client::Error::ErrorResponse(body)) if expected >= 400 => {
                if body.msg.trim().is_empty() {
                    self.fail(
                        operation,
                        case,
                        expected,
                        "the error's `msg` is empty".to_owned(),
                    );
                }
                None
            }
            Err(error) => {
                // A status mismatch is already reported; only report what the client saw
                // when the exchange itself looked right.
                if exchange.is_some_and(|e| e.status == expected) {
                    self.fail(
                        operation,
                        case,
                        expected,
                        format!("the generated client could not read the response: {error}"),
                    );
                }
                None
            }
        }
    }

    /// Sends a request the client cannot express, and judges it.
    async fn raw(
        &mut self,
        operation: &str,
        case: &str,
        expected: u16,
        request: RawRequest<'_>,
    ) -> Option<Exchange> {
        let documented = self.spec.operation(operation)?;
        let url = format!("{}{}", self.proxy.base_url, request.path);
        let method = reqwest::Method::from_bytes(documented.method.as_bytes()).ok()?;
        let mut builder = self.raw.request(method, url);
        if let Some(auth) = request.auth {
            if let Ok(value) = auth.header_value() {
                builder = builder.header("authorization", value);
            }
        }
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let _ = builder.send().await;
        let exchange = self.judge(operation, case, expected);
        if let Some(exchange) = &exchange {
            if expected >= 400 && exchange.status == expected {
                let body: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
                if body
                    .get("msg")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    self.fail(
                        operation,
                        case,
                        expected,
                        "the error has no `msg`".to_owned(),
                    );
                }
            }
        }
        exchange
    }

    fn skip(&mut self, what: &str) {
        self.report.skipped.push(what.to_owned());
    }

    /// Runs every case and returns the report, with uncovered statuses as failures.
    pub async fn run(mut self) -> Report {
        let lead = self.setup().await;
        let Some(lead) = lead else {
            return self.report;
        };
        self.signin().await;
        self.list().await;
        self.export().await;
        self.by_id(&lead).await;
        self.mutations(&lead).await;
        self.cross_project(&lead).await;
        self.state().await;
        self.coverage();
        self.report
    }

    async fn setup(&mut self) -> Option<String> {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let project = self.fixture.project.clone();
        let body: types::LeadCreate = constant(json!({
            "lead_id": "contract-lead",
            "fullname": "Andrea Contract",
            "email": "andrea.contract@example.com",
            "zipcode": "00144"
        }));
        let created = self
            .call(
                "createLead",
                "a new lead",
                200,
                agent.create_lead().project_id(&*project).body(body).send(),
            )
            .await;
        if created.is_none() {
            self.fail(
                "createLead",
                "a new lead",
                200,
                "cannot create the lead every other case needs; stopping".to_owned(),
            );
        }
        created.map(|lead| lead.id.to_string())
    }

    async fn signin(&mut self) {
        let anonymous = self.client(None);
        match self.fixture.signin.clone() {
            Some((email, password)) => {
                let body = types::SigninRequest::builder()
                    .email(email.as_str())
                    .password(password.as_str());
                self.call(
                    "signin",
                    "valid credentials",
                    200,
                    anonymous.signin().body(body).send(),
                )
                .await;
                let wrong = types::SigninRequest::builder()
                    .email(email.as_str())
                    .password("a wrong password");
                self.call(
                    "signin",
                    "a wrong password",
                    401,
                    anonymous.signin().body(wrong).send(),
                )
                .await;
            }
            None => self.skip("signin 200/401: no email and password given"),
        }
        for (case, body) in [
            ("broken JSON", "{\"email\":"),
            ("no password", "{\"email\":\"a@b.c\"}"),
            (
                "an unknown field",
                "{\"email\":\"a@b.c\",\"password\":\"x\",\"admin\":true}",
            ),
        ] {
            self.raw(
                "signin",
                case,
                400,
                RawRequest::json("/auth/signin", None, body),
            )
            .await;
        }
        self.raw(
            "signin",
            "a 2 MiB body",
            413,
            RawRequest::json("/auth/signin", None, &oversized_json()),
        )
        .await;
    }

    async fn list(&mut self) {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let project = self.fixture.project.clone();
        let page = self
            .call(
                "listLeads",
                "the first page",
                200,
                agent.list_leads().project_id(&*project).send(),
            )
            .await;
        if let Some(page) = page {
            if page.count < 1 || page.leads.is_empty() {
                self.fail(
                    "listLeads",
                    "the first page",
                    200,
                    format!("the lead just created is not listed (count {})", page.count),
                );
            }
        }
        let path = format!("/{project}/leads");
        for (case, query) in [
            ("a limit above the maximum", "limit=1000"),
            ("a negative page", "page=-1"),
            ("an unknown sort field", "sortField=password"),
            ("a direction of 2", "direction=2"),
            ("an operator-injection filter", "status[$gte]=0"),
        ] {
            let auth = self.fixture.agent.clone();
            self.raw(
                "listLeads",
                case,
                400,
                RawRequest::get(&format!("{path}?{query}"), Some(&auth)),
            )
            .await;
        }
        self.unauthenticated("listLeads", &path).await;
        self.forbidden("listLeads", &path).await;
    }

    async fn export(&mut self) {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let project = self.fixture.project.clone();
        self.call(
            "exportLeadsCsv",
            "every lead",
            200,
            agent.export_leads_csv().project_id(&*project).send(),
        )
        .await;
        let path = format!("/{project}/leads/csv");
        let auth = self.fixture.agent.clone();
        self.raw(
            "exportLeadsCsv",
            "an unknown status",
            400,
            RawRequest::get(&format!("{path}?status=7"), Some(&auth)),
        )
        .await;
        self.unauthenticated("exportLeadsCsv", &path).await;
        self.forbidden("exportLeadsCsv", &path).await;
    }

    /// 401 without credentials and with wrong ones, for a GET or DELETE `path`.
    async fn unauthenticated(&mut self, operation: &str, path: &str) {
        self.raw(
            operation,
            "no credentials",
            401,
            RawRequest::get(path, None),
        )
        .await;
        let wrong = Auth::basic("nobody@example.com", "wrong password");
        self.raw(
            operation,
            "wrong credentials",
            401,
            RawRequest::get(path, Some(&wrong)),
        )
        .await;
        let forged = Auth::jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        self.raw(
            operation,
            "an unsigned token",
            401,
            RawRequest::get(path, Some(&forged)),
        )
        .await;
    }

    /// 403 for a member below agent and for a member of another project.
    async fn forbidden(&mut self, operation: &str, path: &str) {
        match self.fixture.low_role.clone() {
            Some(low) => {
                self.raw(
                    operation,
                    "a role below agent",
                    403,
                    RawRequest::get(path, Some(&low)),
                )
                .await;
            }
            None => self.skip(&format!(
                "{operation} 403 (low role): no low-role member given"
            )),
        }
        if let Some((outsider, _)) = self.fixture.outsider.clone() {
            self.raw(
                operation,
                "a member of another project",
                403,
                RawRequest::get(path, Some(&outsider)),
            )
            .await;
        }
    }

    async fn by_id(&mut self, lead: &str) {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let project = self.fixture.project.clone();
        let got = self
            .call(
                "getLead",
                "the lead",
                200,
                agent.get_lead().project_id(&*project).id(lead).send(),
            )
            .await;
        if let Some(got) = got {
            if got.zipcode.as_deref() != Some("00144") {
                self.fail(
                    "getLead",
                    "the lead",
                    200,
                    format!("zipcode {:?}, not \"00144\"", got.zipcode),
                );
            }
        }
        self.call(
            "getLead",
            "an absent lead",
            404,
            agent.get_lead().project_id(&*project).id(ABSENT).send(),
        )
        .await;
        let auth = self.fixture.agent.clone();
        for (operation, suffix) in [
            ("getLead", ""),
            ("deleteLead", ""),
            ("deleteLeadPhysically", "/physical"),
            ("removeLeadTag", "/tag/vip"),
        ] {
            let bad = format!("/{project}/leads/not-an-id{suffix}");
            self.raw(
                operation,
                "a malformed id",
                400,
                RawRequest::get(&bad, Some(&auth)),
            )
            .await;
            let path = format!("/{project}/leads/{lead}{suffix}");
            self.unauthenticated(operation, &path).await;
            match self.fixture.low_role.clone() {
                Some(low) => {
                    self.raw(
                        operation,
                        "a role below agent",
                        403,
                        RawRequest::get(&path, Some(&low)),
                    )
                    .await;
                }
                None => self.skip(&format!("{operation} 403: no low-role member given")),
            }
            let absent = format!("/{project}/leads/{ABSENT}{suffix}");
            if operation != "getLead" {
                let who = if operation == "deleteLeadPhysically" {
                    self.fixture.owner.clone()
                } else {
                    Some(auth.clone())
                };
                match who {
                    Some(who) => {
                        self.raw(
                            operation,
                            "an absent lead",
                            404,
                            RawRequest::get(&absent, Some(&who)),
                        )
                        .await;
                    }
                    None => self.skip(&format!("{operation} 404: no owner given")),
                }
            }
        }
        // Physical deletion needs the owner: an agent gets 403.
        if self.fixture.owner.is_some() {
            let path = format!("/{project}/leads/{lead}/physical");
            self.raw(
                "deleteLeadPhysically",
                "an agent, not the owner",
                403,
                RawRequest::get(&path, Some(&auth)),
            )
            .await;
        }
    }

    async fn mutations(&mut self, lead: &str) {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let auth = self.fixture.agent.clone();
        let project = self.fixture.project.clone();

        let update: types::LeadUpdate = constant(json!({"company": "Frontiere21"}));
        self.call(
            "updateLead",
            "a new company",
            200,
            agent
                .update_lead()
                .project_id(&*project)
                .id(lead)
                .body(update)
                .send(),
        )
        .await;
        let tags: types::TagList = constant(json!(["tag1"]));
        self.call(
            "addLeadTags",
            "one tag",
            200,
            agent
                .add_lead_tags()
                .project_id(&*project)
                .id(lead)
                .body(tags)
                .send(),
        )
        .await;
        self.call(
            "removeLeadTag",
            "a carried tag",
            200,
            agent
                .remove_lead_tag()
                .project_id(&*project)
                .id(lead)
                .tag("tag1")
                .send(),
        )
        .await;
        let object = types::FreeForm(json_object(json!({"plan": "premium"})));
        self.call(
            "mergeLeadAttributes",
            "one key",
            200,
            agent
                .merge_lead_attributes()
                .project_id(&*project)
                .id(lead)
                .body(object.clone())
                .send(),
        )
        .await;
        self.call(
            "mergeLeadProperties",
            "one key",
            200,
            agent
                .merge_lead_properties()
                .project_id(&*project)
                .id(lead)
                .body(object.clone())
                .send(),
        )
        .await;
        self.call(
            "addLeadProperties",
            "one key",
            200,
            agent
                .add_lead_properties()
                .project_id(&*project)
                .id(lead)
                .body(object.clone())
                .send(),
        )
        .await;

        // Body operations: malformed, oversized, unauthenticated, forbidden, absent.
        let bodies: [(&str, &str, &str, &str); 5] = [
            ("updateLead", "", "{\"status\": 7}", "{\"fullname\":\"x\"}"),
            ("addLeadTags", "/tag", "[]", "[\"vip\"]"),
            ("mergeLeadAttributes", "/attributes", "[1,2]", "{\"a\":1}"),
            (
                "mergeLeadProperties",
                "/properties",
                "\"text\"",
                "{\"a\":1}",
            ),
            ("addLeadProperties", "/properties", "{\"a\":", "{\"a\":1}"),
        ];
        for (operation, suffix, malformed, valid) in bodies {
            let path = format!("/{project}/leads/{lead}{suffix}");
            self.raw(
                operation,
                "a malformed body",
                400,
                RawRequest::json(&path, Some(&auth), malformed),
            )
            .await;
            self.raw(
                operation,
                "a 2 MiB body",
                413,
                RawRequest::json(&path, Some(&auth), &oversized_json()),
            )
            .await;
            self.raw(
                operation,
                "no credentials",
                401,
                RawRequest::json(&path, None, valid),
            )
            .await;
            match self.fixture.low_role.clone() {
                Some(low) => {
                    self.raw(
                        operation,
                        "a role below agent",
                        403,
                        RawRequest::json(&path, Some(&low), valid),
                    )
                    .await;
                }
                None => self.skip(&format!("{operation} 403: no low-role member given")),
            }
            let absent = format!("/{project}/leads/{ABSENT}{suffix}");
            self.raw(
                operation,
                "an absent lead",
                404,
                RawRequest::json(&absent, Some(&auth), valid),
            )
            .await;
        }
        let create = format!("/{project}/leads");
        for (case, body) in [
            (
                "an unknown field",
                "{\"lead_id\":\"1\",\"fullanem\":\"andrea\"}",
            ),
            ("no lead_id", "{\"fullname\":\"andrea\"}"),
            ("broken JSON", "{\"lead_id\":"),
        ] {
            self.raw(
                "createLead",
                case,
                400,
                RawRequest::json(&create, Some(&auth), body),
            )
            .await;
        }
        self.raw(
            "createLead",
            "a 2 MiB body",
            413,
            RawRequest::json(&create, Some(&auth), &oversized_json()),
        )
        .await;
        self.raw(
            "createLead",
            "no credentials",
            401,
            RawRequest::json(&create, None, "{\"lead_id\":\"1\"}"),
        )
        .await;
        match self.fixture.low_role.clone() {
            Some(low) => {
                self.raw(
                    "createLead",
                    "a role below agent",
                    403,
                    RawRequest::json(&create, Some(&low), "{\"lead_id\":\"1\"}"),
                )
                .await;
            }
            None => self.skip("createLead 403: no low-role member given"),
        }
        // One Idempotency-Key, first with one body, then with another.
        let key = format!(
            "contract-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let keyed =
            |lead_id: &str| -> types::LeadCreate { constant(json!({ "lead_id": lead_id })) };
        self.call(
            "createLead",
            "a new Idempotency-Key",
            200,
            agent
                .create_lead()
                .project_id(&*project)
                .idempotency_key(&*key)
                .body(keyed("keyed-once"))
                .send(),
        )
        .await;
        self.call(
            "createLead",
            "an Idempotency-Key reused with another body",
            409,
            agent
                .create_lead()
                .project_id(&*project)
                .idempotency_key(&*key)
                .body(keyed("keyed-twice"))
                .send(),
        )
        .await;

        // Soft and physical deletion, on leads of their own.
        let doomed = self.throwaway(&agent, &project).await;
        if let Some(doomed) = doomed {
            self.call(
                "deleteLead",
                "a lead",
                200,
                agent
                    .delete_lead()
                    .project_id(&*project)
                    .id(&*doomed)
                    .send(),
            )
            .await;
            match self.fixture.owner.clone() {
                Some(owner) => {
                    let owner = self.client(Some(&owner));
                    self.call(
                        "deleteLeadPhysically",
                        "a lead, by the owner",
                        200,
                        owner
                            .delete_lead_physically()
                            .project_id(&*project)
                            .id(&*doomed)
                            .send(),
                    )
                    .await;
                }
                None => self.skip("deleteLeadPhysically 200: no owner given"),
            }
        }
    }

    async fn throwaway(&mut self, agent: &Client, project: &str) -> Option<String> {
        let body: types::LeadCreate = constant(json!({"lead_id": "contract-throwaway"}));
        let lead = self
            .call(
                "createLead",
                "a throwaway lead",
                200,
                agent.create_lead().project_id(project).body(body).send(),
            )
            .await?;
        Some(lead.id.to_string())
    }

    /// A member of another project, aimed at this project's lead through its own project's
    /// path, gets 404 for every operation and changes nothing.
    async fn cross_project(&mut self, lead: &str) {
        let Some((outsider, their_project)) = self.fixture.outsider.clone() else {
            self.skip("cross-project 404s: no member of another project given");
            return;
        };
        let before = self.snapshot(lead).await;
        let base = format!("/{their_project}/leads/{lead}");
        let cases: [(&str, &str, Option<&str>); 9] = [
            ("getLead", "", None),
            ("updateLead", "", Some("{\"fullname\":\"stolen\"}")),
            ("deleteLead", "", None),
            ("deleteLeadPhysically", "/physical", None),
            ("addLeadTags", "/tag", Some("[\"stolen\"]")),
            ("removeLeadTag", "/tag/tag1", None),
            (
                "mergeLeadAttributes",
                "/attributes",
                Some("{\"stolen\":true}"),
            ),
            (
                "mergeLeadProperties",
                "/properties",
                Some("{\"stolen\":true}"),
            ),
            (
                "addLeadProperties",
                "/properties",
                Some("{\"stolen\":true}"),
            ),
        ];
        for (operation, suffix, body) in cases {
            let path = format!("{base}{suffix}");
            let request = match body {
                Some(body) => RawRequest::json(&path, Some(&outsider), body),
                None => RawRequest::get(&path, Some(&outsider)),
            };
            self.raw(operation, "another project's lead", 404, request)
                .await;
        }
        let after = self.snapshot(lead).await;
        if before != after {
            self.fail(
                "getLead",
                "another project's lead is unchanged",
                200,
                format!("the lead changed under cross-project calls: {before:?} became {after:?}"),
            );
        }
    }

    async fn snapshot(&mut self, lead: &str) -> Option<types::Lead> {
        let agent = self.client(Some(&self.fixture.agent.clone()));
        let project = self.fixture.project.clone();
        self.call(
            "getLead",
            "the lead, for comparison",
            200,
            agent.get_lead().project_id(&*project).id(lead).send(),
        )
        .await
    }

    /// Every documented status but 500 and 503 must have been reached, unless its fixture
    /// was missing: a healthy server answers neither on purpose.
    fn coverage(&mut self) {
        let mut missing: BTreeMap<String, Vec<u16>> = BTreeMap::new();
        for operation in self.spec.operation_ids() {
            let Some(documented) = self.spec.operation(operation) else {
                continue;
            };
            for status in documented
                .responses
                .keys()
                .copied()
                .filter(|s| *s != 500 && *s != 503)
            {
                if !self
                    .report
                    .covered
                    .contains(&(operation.to_owned(), status))
                {
                    missing
                        .entry(operation.to_owned())
                        .or_default()
                        .push(status);
                }
            }
        }
        let skipped_any = !self.report.skipped.is_empty();
        for (operation, statuses) in missing {
            for status in statuses {
                let excused = skipped_any
                    && self.report.skipped.iter().any(|s| {
                        s.starts_with(&format!("{operation} {status}"))
                            || (status == 403 && s.contains("403"))
                            || (status == 404 && s.starts_with("cross-project"))
                    });
                if !excused {
                    self.fail(
                        &operation,
                        "coverage",
                        status,
                        format!(
                            "status {status} is documented but no case reached it as documented"
                        ),
                    );
                }
            }
        }
    }
}

/// A request the generated client would refuse to send.
struct RawRequest<'r> {
    path: String,
    auth: Option<&'r Auth>,
    content_type: Option<&'static str>,
    body: Option<String>,
}

impl<'r> RawRequest<'r> {
    fn get(path: &str, auth: Option<&'r Auth>) -> Self {
        Self {
            path: path.to_owned(),
            auth,
            content_type: None,
            body: None,
        }
    }

    fn json(path: &str, auth: Option<&'r Auth>, body: &str) -> Self {
        Self {
            path: path.to_owned(),
            auth,
            content_type: Some("application/json"),
            body: Some(body.to_owned()),
        }
    }
}

fn oversized_json() -> String {
    format!("{{\"padding\":\"{}\"}}", "x".repeat(2 * 1024 * 1024))
}

fn json_object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// A request body written here as a constant, valid under the spec.
fn constant<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a constant request body of the contract is valid")
}
