//! `cargo xtask bench`: throughput, latency and memory, as ratios against baselines measured
//! in the same run.
//!
//! Absolute numbers on a shared 2-core machine say little; ratios measured minutes apart on
//! the same machine say more. Every scenario therefore runs next to its baseline: the bare
//! axum ceiling for the server, hand-written reqwest for the generated client.

mod bare;
mod list_cases;
mod load;
mod report;
mod rss;
mod scenarios;

use std::time::Duration;

use crate::{project, XtaskError};
pub use leads_e2e_tests::Backend;
pub use load::Measurement;
pub use report::{Ratio, Report, Row};

/// A scenario, as `--only` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The first page at each project size.
    FirstPage,
    /// `/healthz`.
    Healthz,
    /// Get by id with a token.
    GetJwt,
    /// Get by id with Basic credentials.
    GetBasic,
    /// The bare primary-key read, the database's ceiling.
    BareRead,
    /// Every list of `list_cases`: each filter, combinations, each sort field.
    Filters,
    /// A page 40% of the way into the largest project, by page number and by cursor.
    DeepPage,
    /// The mixed load, closed-loop.
    Mixed,
    /// The mixed load at a fixed rate (runs the mixed load first, for its rate).
    Sustained,
    /// The CSV export of the largest project.
    Export,
    /// Durable creates.
    Create,
}

impl Scenario {
    /// Every scenario, in the order they run.
    pub const ALL: [Scenario; 11] = [
        Scenario::FirstPage,
        Scenario::Healthz,
        Scenario::GetJwt,
        Scenario::GetBasic,
        Scenario::BareRead,
        Scenario::Filters,
        Scenario::DeepPage,
        Scenario::Mixed,
        Scenario::Sustained,
        Scenario::Export,
        Scenario::Create,
    ];

    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::FirstPage => "first_page",
            Scenario::Healthz => "healthz",
            Scenario::GetJwt => "get_jwt",
            Scenario::GetBasic => "get_basic",
            Scenario::BareRead => "bare_read",
            Scenario::Filters => "filters",
            Scenario::DeepPage => "deep_page",
            Scenario::Mixed => "mixed",
            Scenario::Sustained => "sustained",
            Scenario::Export => "export",
            Scenario::Create => "create",
        }
    }

    /// The scenario `name` names; `get_by_id` stands for both authentications.
    pub fn parse(name: &str) -> Result<Vec<Scenario>, String> {
        if name == "get_by_id" {
            return Ok(vec![Scenario::GetJwt, Scenario::GetBasic]);
        }
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .map(|s| vec![s])
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown scenario `{name}`; one of get_by_id, {}",
                    names.join(", ")
                )
            })
    }
}

/// The scenarios a run measures: all by default. The ceilings they are compared with
/// always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection(u32);

impl Selection {
    /// Every scenario.
    pub fn all() -> Self {
        Selection(u32::MAX)
    }

    /// Only `scenarios`.
    pub fn only(scenarios: &[Scenario]) -> Self {
        Selection(scenarios.iter().fold(0, |bits, s| bits | 1 << *s as u32))
    }

    /// Whether `scenario` runs.
    pub fn has(self, scenario: Scenario) -> bool {
        self.0 & (1 << scenario as u32) != 0
    }
}

impl Default for Selection {
    fn default() -> Self {
        Selection::all()
    }
}

/// How long each scenario runs, and with how many workers.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Concurrent workers of the load generator.
    pub concurrency: usize,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Measured time per scenario.
    pub duration: Duration,
    /// Leads in the largest project.
    pub largest: u64,
    /// Length of the sustained fixed-rate run.
    pub sustained: Duration,
    /// The scenarios to run.
    pub only: Selection,
    /// The backend to run on; every available one when `None`.
    pub backend: Option<Backend>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            largest: 1_000_000,
            sustained: Duration::from_secs(60),
            only: Selection::all(),
            backend: None,
        }
    }
}

/// `cargo xtask bench --bare-server [--bare-database URL]`: a ceiling's process.
pub fn serve_bare(database: Option<&str>) -> Result<(), XtaskError> {
    bare::serve(database).map_err(|e| XtaskError::Reference(format!("bare server: {e}")))
}

/// Rounds of the client comparison: each client runs once per round, in turn.
const CLIENT_ROUNDS: usize = 3;

/// Measures the generated client against hand-written reqwest, on the bare endpoint, and
/// answers the generated client's figure: the ceiling the server's get-by-id is held to.
///
/// The two alternate over [`CLIENT_ROUNDS`] rounds and each keeps its best round: on a
/// small, shared machine one run of a few seconds can lose a third of its throughput to a
/// neighbour, and whichever client ran during that would carry the whole difference.
async fn client_overhead(
    settings: Settings,
    report: &mut Report,
) -> Result<Measurement, XtaskError> {
    let (mut child, base_url) = bare::spawn(None)
        .map_err(|e| XtaskError::Reference(format!("cannot start the bare server: {e}")))?;
    let pid = child.id();
    let project = "5b55e806c93dde00143163dd";
    let lead = "5c81593adf767b0017d1aa66";

    let sampler = rss::PeakSampler::start(pid);
    // The hand-written calls go through the generated client's own HTTP client, so both
    // carry its default timeouts (a timer armed per request): the ratio weighs the
    // generated layer (typed builders, checks, retries, typed answers), not a transport
    // setting.
    let client = leads_client::Client::anonymous(&base_url);
    let http = leads_client::ClientInfo::client(&client).clone();
    let url = format!("{base_url}/{project}/leads/{lead}");
    let (mut raw, mut generated): (Option<Measurement>, Option<Measurement>) = (None, None);
    for _ in 0..CLIENT_ROUNDS {
        let (http, url) = (http.clone(), url.clone());
        let round = load::drive(
            settings.concurrency,
            settings.warmup,
            settings.duration,
            move |_| {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    match http.get(&url).send().await {
                        Ok(response) if response.status().is_success() => response
                            .bytes()
                            .await
                            .ok()
                            .and_then(|body| {
                                serde_json::from_slice::<leads_client::types::Lead>(&body).ok()
                            })
                            .is_some(),
                        _ => false,
                    }
                }
            },
        )
        .await;
        raw = Some(best(raw, round));

        let client = client.clone();
        let round = load::drive(
            settings.concurrency,
            settings.warmup,
            settings.duration,
            move |_| {
                let client = client.clone();
                async move {
                    client
                        .get_lead()
                        .project_id(project)
                        .id(lead)
                        .send()
                        .await
                        .is_ok()
                }
            },
        )
        .await;
        generated = Some(best(generated, round));
    }
    let raw_rss = sampler.finish();
    let _ = child.kill();
    let _ = child.wait();
    let (Some(raw), Some(generated)) = (raw, generated) else {
        return Err(XtaskError::Reference(
            "the client comparison ran no round".to_owned(),
        ));
    };

    let overhead = if generated.requests_per_second > 0.0 {
        raw.requests_per_second / generated.requests_per_second
    } else {
        f64::INFINITY
    };
    report.rows.push(Row {
        scenario: "get lead by id (hand-written reqwest)".to_owned(),
        backend: "bare axum".to_owned(),
        auth: "none".to_owned(),
        leads: None,
        measurement: raw,
        peak_rss_mib: Some(raw_rss as f64 / 1_048_576.0),
    });
    report.rows.push(Row {
        scenario: "get lead by id (generated client)".to_owned(),
        backend: "bare axum".to_owned(),
        auth: "none".to_owned(),
        leads: None,
        measurement: generated.clone(),
        peak_rss_mib: None,
    });
    report.ratios.push(Ratio::at_most(
        "generated client time per call / hand-written reqwest",
        overhead,
        1.10,
    ));
    Ok(generated)
}

/// The round with the higher throughput.
fn best(kept: Option<Measurement>, round: Measurement) -> Measurement {
    match kept {
        Some(kept) if kept.requests_per_second >= round.requests_per_second => kept,
        _ => round,
    }
}

/// Share of the mixed load's closed-loop throughput the sustained run offers: one the
/// machine carries comfortably.
const SUSTAINED_SHARE: f64 = 0.5;

/// Runs the server scenarios on every available backend (or the one asked for) and states
/// the ratios of those that ran.
async fn server(
    settings: Settings,
    ceiling: &Measurement,
    report: &mut Report,
) -> Result<(), XtaskError> {
    let available = Backend::available();
    if !available.contains(&Backend::Postgres) {
        eprintln!(
            "bench: {} is not set; PostgreSQL is not measured",
            leads_e2e_tests::POSTGRES_ENV
        );
    }
    let backends: Vec<Backend> = match settings.backend {
        Some(backend) if available.contains(&backend) => vec![backend],
        Some(_) => {
            return Err(XtaskError::Reference(format!(
                "bench: PostgreSQL was asked for but {} is not set",
                leads_e2e_tests::POSTGRES_ENV
            )))
        }
        None => available,
    };
    for backend in backends {
        let sqlite = backend == Backend::Sqlite;
        let sustained = sqlite.then_some(SUSTAINED_SHARE);
        let outcome = scenarios::run(backend, settings, sustained, report).await?;
        let name = if sqlite { "SQLite" } else { "PostgreSQL" };
        let per_ceiling =
            |m: &Measurement| m.requests_per_second / ceiling.requests_per_second.max(f64::EPSILON);
        // One trivial query through the whole stack, no auth: what every operation that
        // reads the database pays before its own work.
        if let Some(health) = &outcome.health {
            report.ratios.push(Ratio::at_least(
                &format!("{name}: health check (SELECT 1) / bare axum, req/s"),
                per_ceiling(health),
                0.90,
            ));
        }
        if let Some(get_jwt) = &outcome.get_jwt {
            report.ratios.push(Ratio::at_least(
                &format!("{name}: get by id, JWT / bare axum, req/s"),
                per_ceiling(get_jwt),
                0.70,
            ));
        }
        if let Some(get_basic) = &outcome.get_basic {
            report.ratios.push(Ratio::at_least(
                &format!("{name}: get by id, Basic / bare axum, req/s"),
                per_ceiling(get_basic),
                0.50,
            ));
        }
        // The database's own ceiling: how much of a bare primary-key read the whole stack
        // keeps. Below one by what routing, authentication and the store's rules cost.
        if let Some(bare_read) = &outcome.bare_read {
            let per_read = |m: &Measurement| {
                m.requests_per_second / bare_read.requests_per_second.max(f64::EPSILON)
            };
            report.ratios.push(Ratio::reference(
                &format!("{name}: bare axum + primary-key read / bare axum, req/s"),
                per_ceiling(bare_read),
            ));
            if let Some(get_jwt) = &outcome.get_jwt {
                report.ratios.push(Ratio::at_least(
                    &format!("{name}: get by id, JWT / bare axum + primary-key read, req/s"),
                    per_read(get_jwt),
                    0.80,
                ));
            }
            if let Some(get_basic) = &outcome.get_basic {
                report.ratios.push(Ratio::reference(
                    &format!("{name}: get by id, Basic / bare axum + primary-key read, req/s"),
                    per_read(get_basic),
                ));
            }
        }
        if let Some((fewest, small)) = outcome.first_page.first() {
            // Not a target: how much of the ceiling the first page of 40 leads keeps.
            report.ratios.push(Ratio::reference(
                &format!("{name}: first page at {fewest} leads / bare axum, req/s"),
                per_ceiling(small),
            ));
        }
        if let (Some((fewest, small)), Some((most, large))) =
            (outcome.first_page.first(), outcome.first_page.last())
        {
            report.ratios.push(Ratio::at_most(
                &format!("{name}: first page p50, {most} / {fewest} leads"),
                large.p50_ms / small.p50_ms.max(f64::EPSILON),
                2.0,
            ));
            // Filters, combinations and sort fields at the largest size, each against the
            // unfiltered first page of the smallest project: indexes and counters must
            // keep a list from reading the leads it does not return.
            for (scenario, p50) in &outcome.lists_p50_ms {
                report.ratios.push(Ratio::at_most(
                    &format!("{name}: {scenario} p50, {most} leads / first page, {fewest}"),
                    p50 / small.p50_ms.max(f64::EPSILON),
                    3.0,
                ));
            }
        }
        if let (Some((depth, deep)), Some((most, first))) =
            (outcome.cursor_page_p50_ms, outcome.first_page.last())
        {
            report.ratios.push(Ratio::at_most(
                &format!(
                    "{name}: page after a cursor {depth} leads deep / first page, p50, {most} leads"
                ),
                deep / first.p50_ms.max(f64::EPSILON),
                2.0,
            ));
        }
        if let Some((rows, growth)) = outcome.export {
            report.ratios.push(Ratio::at_most(
                &format!("{name}: CSV export of {rows} leads, server memory growth (RssAnon), MiB"),
                growth,
                32.0,
            ));
        }
        // Both backends commit durably before acknowledging: SQLite's group commit shares
        // one WAL sync, PostgreSQL's own group commit shares one WAL flush among the
        // connections committing at once.
        if let Some(creates) = outcome.creates_per_second {
            report.ratios.push(Ratio::at_least(
                &format!(
                    "{name}: durable creates per second, {} clients",
                    scenarios::CREATE_CLIENTS
                ),
                creates,
                5000.0,
            ));
        }
        if let (Some(first), Some(worst)) = (
            outcome.sustained.first(),
            outcome
                .sustained
                .iter()
                .map(|m| m.p99_ms)
                .max_by(f64::total_cmp),
        ) {
            report.ratios.push(Ratio::at_most(
                &format!("{name}: sustained load, worst window p99 / first window p99"),
                worst / first.p99_ms.max(f64::EPSILON),
                2.0,
            ));
            report.ratios.push(Ratio::at_most(
                &format!("{name}: sustained load, errors"),
                outcome.sustained.iter().map(|m| m.errors).sum::<u64>() as f64,
                0.0,
            ));
        }
    }
    Ok(())
}

/// Re-runs this command from a release build: a debug load generator would measure itself.
fn rerun_in_release() -> Result<(), XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = std::process::Command::new(cargo)
        .current_dir(project::root())
        .args(["run", "--quiet", "--release", "--package", "xtask", "--"])
        .args(&args)
        .status()
        .map_err(|e| XtaskError::Reference(format!("cannot run cargo: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::Reference(
            "the release build of the bench failed".to_owned(),
        ))
    }
}

/// Runs every scenario, prints the table and writes the report under `target/bench/`.
pub fn run(settings: Settings) -> Result<(), XtaskError> {
    if cfg!(debug_assertions) {
        eprintln!(
            "bench: rebuilding in release mode, so the load generator is not what is measured"
        );
        return rerun_in_release();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| XtaskError::Reference(format!("cannot start a runtime: {e}")))?;
    let mut report = Report::default();
    runtime.block_on(async {
        let ceiling = client_overhead(settings, &mut report).await?;
        server(settings, &ceiling, &mut report).await
    })?;
    print!("{}", report.table());
    let dir = project::root().join("target").join("bench");
    report.write(&dir).map_err(|source| XtaskError::Write {
        path: "target/bench".to_owned(),
        source,
    })?;
    eprintln!("bench: wrote target/bench/report.json and target/bench/list-latency.svg");
    Ok(())
}
