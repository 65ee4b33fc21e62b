//! `cargo xtask bench`: throughput, latency and memory, as ratios against baselines measured
//! in the same run.
//!
//! Absolute numbers on a shared 2-core machine say little; ratios measured minutes apart on
//! the same machine say more. Every scenario therefore runs next to its baseline: the bare
//! axum ceiling for the server, hand-written reqwest for the generated client.

mod bare;
mod load;
mod report;
mod rss;

use std::time::Duration;

use crate::{project, XtaskError};
pub use load::Measurement;
pub use report::{Ratio, Report, Row};

/// How long each scenario runs, and with how many workers.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Concurrent workers of the load generator.
    pub concurrency: usize,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Measured time per scenario.
    pub duration: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
        }
    }
}

/// `cargo xtask bench --bare-server`: the ceiling's process.
pub fn serve_bare() -> Result<(), XtaskError> {
    bare::serve().map_err(|e| XtaskError::Reference(format!("bare server: {e}")))
}

/// Measures the generated client against hand-written reqwest, on the bare endpoint.
async fn client_overhead(settings: Settings, report: &mut Report) -> Result<(), XtaskError> {
    let (mut child, base_url) = bare::spawn()
        .map_err(|e| XtaskError::Reference(format!("cannot start the bare server: {e}")))?;
    let pid = child.id();
    let project = "5b55e806c93dde00143163dd";
    let lead = "5c81593adf767b0017d1aa66";

    let sampler = rss::PeakSampler::start(pid);
    let http = reqwest::Client::new();
    let url = format!("{base_url}/{project}/leads/{lead}");
    let raw = load::drive(
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
    let raw_rss = sampler.finish();

    let client = leads_client::Client::new(&base_url);
    let generated = load::drive(
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
    let _ = child.kill();
    let _ = child.wait();

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
        measurement: generated,
        peak_rss_mib: None,
    });
    report.ratios.push(Ratio::at_most(
        "generated client time per call / hand-written reqwest",
        overhead,
        1.10,
    ));
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
    runtime.block_on(client_overhead(settings, &mut report))?;
    print!("{}", report.table());
    let dir = project::root().join("target").join("bench");
    report.write(&dir).map_err(|source| XtaskError::Write {
        path: "target/bench".to_owned(),
        source,
    })?;
    eprintln!("bench: wrote target/bench/report.json and target/bench/list-latency.svg");
    Ok(())
}
