//! The reference server's scenarios on one backend, measured with the generated client.
//!
//! One project is seeded in bulk (`leads-server admin seed`, not one HTTP call per lead)
//! to 10k, then 100k, then 1M leads; the first page is measured at each size, and every
//! other scenario at 1M. The server is the release build, started on port 0.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use leads_client::types::{LeadCreate, LeadUpdate, LeadUpdateFullname};
use leads_client::{Auth, Client};
use leads_e2e_tests::{admin, Backend, Database, Server};

use super::list_cases::{self, Aim};
use super::load::{self, Measurement};
use super::report::{Report, Row};
use super::{rss, Scenario, Settings};
use crate::XtaskError;

/// Project sizes at which the first page is measured; the last is the size of every
/// other scenario.
fn sizes(largest: u64) -> [u64; 3] {
    [largest / 100, largest / 10, largest]
}

/// Concurrent clients of the create scenario.
pub const CREATE_CLIENTS: usize = 64;

/// The page the deep-page scenario asks for: 40% of the way into `leads` leads.
fn deep_page(leads: u64) -> i32 {
    i32::try_from(leads / 100).unwrap_or(i32::MAX)
}

/// What every scenario on one backend shares.
struct Target {
    backend: &'static str,
    database: Database,
    server: Option<Server>,
    project: String,
    owner_email: String,
    password: String,
    token: String,
    jwt: Client,
    basic: Client,
    /// Ids of existing leads, for reads and updates.
    ids: Arc<Vec<String>>,
    /// The email of one existing lead, for the email filter.
    email: String,
}

/// What the ratios need from one backend's run; `None` (or empty) for what did not run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `/healthz`: the server's whole HTTP stack and one `SELECT 1`, no auth.
    pub health: Option<Measurement>,
    pub get_jwt: Option<Measurement>,
    pub get_basic: Option<Measurement>,
    /// The bare axum endpoint reading the same leads by primary key.
    pub bare_read: Option<Measurement>,
    /// The first page at each project size, smallest first.
    pub first_page: Vec<(u64, Measurement)>,
    /// The page that follows a cursor 40% of the way into the largest project: how deep
    /// (in leads) and its p50.
    pub cursor_page_p50_ms: Option<(u64, f64)>,
    /// The p50 of each list case at the largest size, by scenario.
    pub lists_p50_ms: Vec<(String, f64)>,
    pub creates_per_second: Option<f64>,
    /// Rows exported, and the server's RSS growth meanwhile, in MiB.
    pub export: Option<(u64, f64)>,
    /// The sustained run's windows, when it ran.
    pub sustained: Vec<Measurement>,
}

fn failed(what: &str, error: impl std::fmt::Display) -> XtaskError {
    XtaskError::Reference(format!("bench: {what}: {error}"))
}

/// Runs every server scenario on `backend`, adding rows to `report`. With
/// `sustained_share`, the mixed load also runs for `settings.sustained` at that share of the
/// throughput it reached.
pub async fn run(
    backend: Backend,
    settings: Settings,
    sustained_share: Option<f64>,
    report: &mut Report,
) -> Result<Outcome, XtaskError> {
    let only = settings.only;
    let mut target = Target::prepare(backend)?;
    let mut outcome = Outcome::default();
    let mut seeded = 0;
    for size in sizes(settings.largest) {
        target.seed(size - seeded)?;
        seeded = size;
        target.refresh_samples().await?;
        if only.has(Scenario::FirstPage) {
            let m = target
                .list_page(settings, report, "list first page", 0, size)
                .await;
            outcome.first_page.push((size, m));
        }
    }
    let leads = Some(seeded);

    if only.has(Scenario::Healthz) {
        outcome.health = Some(target.health(settings, report).await);
    }
    if only.has(Scenario::GetJwt) {
        outcome.get_jwt = Some(target.get_by_id(settings, report, "jwt", leads).await);
    }
    if only.has(Scenario::GetBasic) {
        outcome.get_basic = Some(target.get_by_id(settings, report, "basic", leads).await);
    }
    if only.has(Scenario::BareRead) {
        outcome.bare_read = Some(target.bare_read(settings, report, leads).await?);
    }
    if only.has(Scenario::Filters) {
        outcome.lists_p50_ms = target.lists(settings, report, leads).await?;
    }
    if only.has(Scenario::DeepPage) {
        let page = deep_page(seeded);
        let scenario = format!("list page {page}");
        target
            .list_page(settings, report, &scenario, page, seeded)
            .await;
        let (depth, m) = target.cursor_page(settings, report, page, seeded).await?;
        outcome.cursor_page_p50_ms = Some((depth, m.p50_ms));
    }
    let sustained_share = sustained_share.filter(|_| only.has(Scenario::Sustained));
    if only.has(Scenario::Mixed) || sustained_share.is_some() {
        let mixed = target.mixed(settings, report, leads).await?;
        if let Some(share) = sustained_share {
            let rate = (mixed.requests_per_second * share).max(1.0);
            outcome.sustained = target
                .sustained(rate, settings.sustained, report, leads)
                .await?;
        }
    }
    if only.has(Scenario::Export) {
        outcome.export = Some(target.export(report, leads).await?);
    }
    if only.has(Scenario::Create) {
        outcome.creates_per_second =
            Some(target.create(settings, report).await.requests_per_second);
    }
    Ok(outcome)
}

impl Target {
    /// A fresh database with one project and its owner; the server starts after seeding.
    fn prepare(backend: Backend) -> Result<Self, XtaskError> {
        let database = Database::create(backend).map_err(|e| failed("database", e))?;
        let run = |args: &[&str]| admin(&database, args).map_err(|e| failed("admin", e));
        let password = leads_e2e_tests::unique("bench-pw");
        let owner_email = "owner@bench.test".to_owned();
        run(&["user", "add", &owner_email, "--password", &password])?;
        let project = run(&["project", "add", "Bench"])?;
        run(&["member", "add", &project, &owner_email, "--role", "owner"])?;
        let token = run(&["token", &owner_email])?;
        let unstarted = Client::anonymous("http://127.0.0.1:9/v1");
        Ok(Target {
            backend: match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            },
            database,
            server: None,
            project,
            owner_email,
            password,
            token,
            jwt: unstarted.clone(),
            basic: unstarted,
            ids: Arc::default(),
            email: String::new(),
        })
    }

    /// Adds `count` leads in bulk, with the server stopped as an operator would, and
    /// starts it again so it plans with the statistics the seeding refreshed.
    fn seed(&mut self, count: u64) -> Result<(), XtaskError> {
        let started = Instant::now();
        if let Some(server) = self.server.take() {
            server.kill_hard();
        }
        admin(
            &self.database,
            &[
                "seed",
                &self.project,
                &self.owner_email,
                "--count",
                &count.to_string(),
            ],
        )
        .map_err(|e| failed("seed", e))?;
        eprintln!(
            "bench: {}: seeded {count} leads in {:.1} s",
            self.backend,
            started.elapsed().as_secs_f64()
        );
        self.start()
    }

    /// The running server's process id (0 while it is stopped for seeding).
    fn pid(&self) -> u32 {
        self.server.as_ref().map_or(0, Server::pid)
    }

    /// Starts the server and its clients.
    fn start(&mut self) -> Result<(), XtaskError> {
        let server = Server::start(&self.database, &[]).map_err(|e| failed("server", e))?;
        self.jwt = server.client(Auth::jwt(&self.token));
        self.basic = server.client(Auth::basic(&self.owner_email, &self.password));
        self.server = Some(server);
        Ok(())
    }

    /// Reads the first page's ids and an email to aim reads and filters at.
    async fn refresh_samples(&mut self) -> Result<(), XtaskError> {
        let page = self
            .jwt
            .list_leads()
            .project_id(self.project.as_str())
            .limit(std::num::NonZeroU32::new(100).unwrap_or(std::num::NonZeroU32::MIN))
            .send()
            .await
            .map_err(|e| failed("first page", e))?
            .into_inner();
        self.ids = Arc::new(page.leads.iter().map(|l| l.id.to_string()).collect());
        self.email = page
            .leads
            .iter()
            .find_map(|l| l.email.as_ref().map(|e| e.to_string()))
            .unwrap_or_default();
        Ok(())
    }

    /// Drives `request` and records a row with the server's peak RSS.
    #[allow(clippy::too_many_arguments)]
    async fn measure<F, Fut>(
        &self,
        settings: Settings,
        concurrency: usize,
        report: &mut Report,
        scenario: &str,
        auth: &str,
        leads: Option<u64>,
        request: F,
    ) -> Measurement
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        let sampler = rss::PeakSampler::start(self.pid());
        let m = load::drive(concurrency, settings.warmup, settings.duration, request).await;
        let peak = sampler.finish();
        eprintln!(
            "bench: {}: {scenario} ({auth}): {:.0} req/s, p50 {:.2} ms, {} errors",
            self.backend, m.requests_per_second, m.p50_ms, m.errors
        );
        report.rows.push(Row {
            scenario: scenario.to_owned(),
            backend: self.backend.to_owned(),
            auth: auth.to_owned(),
            leads,
            measurement: m.clone(),
            peak_rss_mib: Some(peak as f64 / 1_048_576.0),
        });
        m
    }

    /// Measures `/healthz`, the server's stack and one trivial query: the ceiling of any
    /// operation that needs the database, between the bare endpoint and a real operation.
    async fn health(&self, settings: Settings, report: &mut Report) -> Measurement {
        let url = self
            .server
            .as_ref()
            .map(|server| server.base_url.replace("/v1", "/healthz"))
            .unwrap_or_default();
        let http = reqwest::Client::new();
        let request = move |_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                match http.get(&url).send().await {
                    Ok(answer) => answer.status().is_success() && answer.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        };
        let concurrency = settings.concurrency;
        self.measure(
            settings,
            concurrency,
            report,
            "health check (SELECT 1)",
            "none",
            None,
            request,
        )
        .await
    }

    async fn get_by_id(
        &self,
        settings: Settings,
        report: &mut Report,
        auth: &str,
        leads: Option<u64>,
    ) -> Measurement {
        let client = if auth == "basic" {
            self.basic.clone()
        } else {
            self.jwt.clone()
        };
        let (project, ids) = (self.project.clone(), self.ids.clone());
        self.measure(
            settings,
            settings.concurrency,
            report,
            "get lead by id",
            auth,
            leads,
            move |n| {
                let (client, project, ids) = (client.clone(), project.clone(), ids.clone());
                async move {
                    let id = &ids[n as usize % ids.len()];
                    client
                        .get_lead()
                        .project_id(project.as_str())
                        .id(id.as_str())
                        .send()
                        .await
                        .is_ok()
                }
            },
        )
        .await
    }

    /// Measures the bare axum endpoint reading the same leads by primary key from this
    /// database, through the same generated client: the ceiling of a read by id.
    async fn bare_read(
        &self,
        settings: Settings,
        report: &mut Report,
        leads: Option<u64>,
    ) -> Result<Measurement, XtaskError> {
        let (mut child, base_url) = super::bare::spawn(Some(&self.database.url))
            .map_err(|e| failed("bare primary-key server", e))?;
        let client = Client::anonymous(&base_url);
        let (project, ids) = (self.project.clone(), self.ids.clone());
        let sampler = rss::PeakSampler::start(child.id());
        let m = load::drive(
            settings.concurrency,
            settings.warmup,
            settings.duration,
            move |n| {
                let (client, project, ids) = (client.clone(), project.clone(), ids.clone());
                async move {
                    let id = &ids[n as usize % ids.len()];
                    client
                        .get_lead()
                        .project_id(project.as_str())
                        .id(id.as_str())
                        .send()
                        .await
                        .is_ok()
                }
            },
        )
        .await;
        let peak = sampler.finish();
        let _ = child.kill();
        let _ = child.wait();
        eprintln!(
            "bench: {}: bare axum + primary-key read: {:.0} req/s, p50 {:.2} ms, {} errors",
            self.backend, m.requests_per_second, m.p50_ms, m.errors
        );
        report.rows.push(Row {
            scenario: "get lead by id (bare axum + primary-key read)".to_owned(),
            backend: self.backend.to_owned(),
            auth: "none".to_owned(),
            leads,
            measurement: m.clone(),
            peak_rss_mib: Some(peak as f64 / 1_048_576.0),
        });
        Ok(m)
    }

    /// Measures the first page of every list case of [`list_cases::all`], returning each
    /// scenario's p50.
    async fn lists(
        &self,
        settings: Settings,
        report: &mut Report,
        leads: Option<u64>,
    ) -> Result<Vec<(String, f64)>, XtaskError> {
        let aim = Arc::new(Aim {
            email: self.email.clone(),
            tag: "cohort-7".parse().map_err(|e| failed("tag", e))?,
        });
        let mut p50s = Vec::new();
        for case in list_cases::all() {
            let (client, project, aim) = (self.jwt.clone(), self.project.clone(), aim.clone());
            let (apply, matches) = (case.apply, case.matches);
            let m = self
                .measure(
                    settings,
                    settings.concurrency,
                    report,
                    case.scenario,
                    "jwt",
                    leads,
                    move |_| {
                        let (client, project, aim) = (client.clone(), project.clone(), aim.clone());
                        async move {
                            apply(client.list_leads().project_id(project.as_str()), &aim)
                                .send()
                                .await
                                .is_ok_and(|page| page.leads.is_empty() != matches)
                        }
                    },
                )
                .await;
            p50s.push((case.scenario.to_owned(), m.p50_ms));
        }
        Ok(p50s)
    }

    /// Measures reading page `page` (40 leads) of a project of `leads` leads.
    async fn list_page(
        &self,
        settings: Settings,
        report: &mut Report,
        scenario: &str,
        page: i32,
        leads: u64,
    ) -> Measurement {
        let (client, project) = (self.jwt.clone(), self.project.clone());
        let request = move |_| {
            let (client, project) = (client.clone(), project.clone());
            async move {
                client
                    .list_leads()
                    .project_id(project.as_str())
                    .page(page)
                    .send()
                    .await
                    .is_ok_and(|answer| answer.leads.len() == 40 && answer.count >= leads)
            }
        };
        let concurrency = settings.concurrency;
        self.measure(
            settings,
            concurrency,
            report,
            scenario,
            "jwt",
            Some(leads),
            request,
        )
        .await
    }

    /// Measures the page after a cursor `page` pages of 40 deep: the cursor is the `next`
    /// of that page, read once by its number, so the walk to it costs nothing here.
    /// Answers the depth in leads and the measurement.
    async fn cursor_page(
        &self,
        settings: Settings,
        report: &mut Report,
        page: i32,
        leads: u64,
    ) -> Result<(u64, Measurement), XtaskError> {
        let deep = self
            .jwt
            .list_leads()
            .project_id(self.project.as_str())
            .page(page)
            .send()
            .await
            .map_err(|e| failed("the deep page's cursor", e))?
            .into_inner();
        let cursor = deep
            .next
            .ok_or_else(|| failed("the deep page's cursor", "the page answered no `next`"))?;
        let depth = (u64::try_from(page).unwrap_or(0) + 1) * 40;
        let (client, project) = (self.jwt.clone(), self.project.clone());
        let request = move |_| {
            let (client, project, cursor) = (client.clone(), project.clone(), cursor.clone());
            async move {
                client
                    .list_leads()
                    .project_id(project.as_str())
                    .cursor(cursor)
                    .send()
                    .await
                    .is_ok_and(|answer| answer.leads.len() == 40 && answer.count >= leads)
            }
        };
        let concurrency = settings.concurrency;
        let scenario = format!("list cursor page {depth} deep");
        let m = self
            .measure(
                settings,
                concurrency,
                report,
                &scenario,
                "jwt",
                Some(leads),
                request,
            )
            .await;
        Ok((depth, m))
    }

    /// 80% reads (half by id, the rest first pages), 20% writes (creates and updates).
    async fn mixed(
        &self,
        settings: Settings,
        report: &mut Report,
        leads: Option<u64>,
    ) -> Result<Measurement, XtaskError> {
        let request = mixed_request(self)?;
        Ok(self
            .measure(
                settings,
                settings.concurrency,
                report,
                "mixed 80% read / 20% write",
                "jwt",
                leads,
                request,
            )
            .await)
    }

    async fn create(&self, settings: Settings, report: &mut Report) -> Measurement {
        let (client, project) = (self.jwt.clone(), self.project.clone());
        self.measure(
            settings,
            CREATE_CLIENTS,
            report,
            "create lead",
            "jwt",
            None,
            move |n| {
                let (client, project) = (client.clone(), project.clone());
                async move { create(&client, &project, n).await }
            },
        )
        .await
    }

    /// Streams the whole project as CSV once; answers the rows and the growth of the
    /// server's own memory over its level before the export, in MiB. Own memory, not
    /// RSS: SQLite readers map the database file, and the mapped pages an export reads
    /// are the page cache, not memory the export holds.
    async fn export(
        &self,
        report: &mut Report,
        leads: Option<u64>,
    ) -> Result<(u64, f64), XtaskError> {
        let pid = self.pid();
        let before = rss::owned(pid);
        let sampler = rss::PeakSampler::start_with(pid, rss::owned);
        let started = Instant::now();
        let body = self
            .jwt
            .export_leads_csv()
            .project_id(self.project.as_str())
            .send()
            .await
            .map_err(|e| failed("export", e))?
            .into_inner()
            .into_inner();
        let (bytes, newlines) = body
            .try_fold((0u64, 0u64), |(bytes, lines), chunk| async move {
                let newlines = chunk.iter().filter(|b| **b == b'\n').count() as u64;
                Ok((bytes + chunk.len() as u64, lines + newlines))
            })
            .await
            .map_err(|e| failed("export stream", e))?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = sampler.finish();
        let rows = newlines.saturating_sub(1);
        let growth = peak.saturating_sub(before) as f64 / 1_048_576.0;
        eprintln!(
            "bench: {}: CSV export: {rows} rows, {:.1} MiB in {seconds:.1} s, own memory +{growth:.1} MiB",
            self.backend,
            bytes as f64 / 1_048_576.0
        );
        let ms = seconds * 1000.0;
        report.rows.push(Row {
            scenario: "CSV export (rows/s)".to_owned(),
            backend: self.backend.to_owned(),
            auth: "jwt".to_owned(),
            leads,
            measurement: Measurement {
                ok: rows,
                errors: 0,
                seconds,
                requests_per_second: rows as f64 / seconds.max(f64::EPSILON),
                p50_ms: ms,
                p99_ms: ms,
            },
            peak_rss_mib: Some(peak as f64 / 1_048_576.0),
        });
        Ok((rows, growth))
    }
}

/// Creates one lead; answers whether it was acknowledged.
async fn create(client: &Client, project: &str, n: u64) -> bool {
    let body = LeadCreate::builder()
        .lead_id(format!("bench-{n}"))
        .fullname(format!("Bench Lead {n}").parse().ok())
        .email(format!("bench{n}@bench.test").parse().ok());
    client
        .create_lead()
        .project_id(project)
        .body(body)
        .send()
        .await
        .is_ok()
}

/// The mixed scenario's request: by `n % 10`, one create, one update, five reads by id
/// and three first pages.
fn mixed_request(
    target: &Target,
) -> Result<
    impl Fn(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
        + Send
        + Sync
        + 'static,
    XtaskError,
> {
    let fullname: LeadUpdateFullname = "Renamed Lead".parse().map_err(|e| failed("name", e))?;
    let (client, project, ids) = (
        target.jwt.clone(),
        target.project.clone(),
        target.ids.clone(),
    );
    Ok(move |n: u64| {
        let (client, project, ids, fullname) = (
            client.clone(),
            project.clone(),
            ids.clone(),
            fullname.clone(),
        );
        Box::pin(async move {
            let id = ids[n as usize % ids.len()].clone();
            match n % 10 {
                0 => create(&client, &project, n).await,
                1 => client
                    .update_lead()
                    .project_id(project.as_str())
                    .id(id.as_str())
                    .body(LeadUpdate::builder().fullname(fullname))
                    .send()
                    .await
                    .is_ok(),
                2..=6 => client
                    .get_lead()
                    .project_id(project.as_str())
                    .id(id.as_str())
                    .send()
                    .await
                    .is_ok(),
                _ => client
                    .list_leads()
                    .project_id(project.as_str())
                    .send()
                    .await
                    .is_ok(),
            }
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
    })
}

/// The windows the sustained run is measured in.
const SUSTAINED_WINDOW: Duration = Duration::from_secs(10);

impl Target {
    /// Runs the mixed load at a fixed `rate` for `duration`; answers each window's
    /// measurement.
    async fn sustained(
        &self,
        rate: f64,
        duration: Duration,
        report: &mut Report,
        leads: Option<u64>,
    ) -> Result<Vec<Measurement>, XtaskError> {
        let request = mixed_request(self)?;
        let sampler = rss::PeakSampler::start(self.pid());
        let windows = load::drive_at_rate(rate, duration, SUSTAINED_WINDOW, 256, request).await;
        let peak = sampler.finish() as f64 / 1_048_576.0;
        for (i, m) in windows.iter().enumerate() {
            let from = i as u64 * SUSTAINED_WINDOW.as_secs();
            let to = from + SUSTAINED_WINDOW.as_secs();
            eprintln!(
                "bench: {}: sustained {rate:.0}/s, {from}-{to} s: p50 {:.2} ms, p99 {:.2} ms, {} errors",
                self.backend, m.p50_ms, m.p99_ms, m.errors
            );
            report.rows.push(Row {
                scenario: format!("sustained mixed {rate:.0}/s, {from}-{to} s"),
                backend: self.backend.to_owned(),
                auth: "jwt".to_owned(),
                leads,
                measurement: m.clone(),
                peak_rss_mib: Some(peak),
            });
        }
        Ok(windows)
    }
}
