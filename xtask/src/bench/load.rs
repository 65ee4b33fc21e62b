//! A closed-loop load generator: a fixed number of workers, each sending its next request
//! as soon as the last one is answered, for a fixed time.
//!
//! Closed-loop keeps the offered load bounded by the concurrency, so a slow server is
//! measured as slow rather than buried under a queue the generator itself built.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one scenario measured.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Measurement {
    /// Requests answered as expected.
    pub ok: u64,
    /// Requests that failed or got an unexpected status.
    pub errors: u64,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Answered requests per second.
    pub requests_per_second: f64,
    /// Median latency, in milliseconds.
    pub p50_ms: f64,
    /// 99th-percentile latency, in milliseconds.
    pub p99_ms: f64,
}

/// Runs `request` from `concurrency` workers for `duration` (after `warmup`), and measures.
///
/// `request` returns whether the answer was the expected one.
pub async fn drive<F, Fut>(
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    request: F,
) -> Measurement
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let warm_until = Instant::now() + warmup;
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = worker as u64;
            while Instant::now() < warm_until {
                request(n).await;
                n += concurrency as u64;
            }
            let end = Instant::now() + duration;
            while Instant::now() < end {
                let started = Instant::now();
                let ok = request(n).await;
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                if ok {
                    latencies.push(micros);
                } else {
                    errors += 1;
                }
                n += concurrency as u64;
            }
            (latencies, errors)
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        if let Ok((mut l, e)) = worker.await {
            latencies.append(&mut l);
            errors += e;
        }
    }
    let seconds = started
        .elapsed()
        .saturating_sub(warmup)
        .as_secs_f64()
        .max(duration.as_secs_f64());
    summarise(latencies, errors, seconds)
}

fn summarise(mut latencies: Vec<u32>, errors: u64, seconds: f64) -> Measurement {
    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies[index]) / 1000.0
    };
    let ok = latencies.len() as u64;
    Measurement {
        ok,
        errors,
        seconds,
        requests_per_second: if seconds > 0.0 {
            ok as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    }
}

/// Sends `request` at a fixed `rate` per second for `duration`, whatever the pace of the
/// answers, and measures each `window` apart, so a p99 creeping up over time shows.
///
/// Latency counts from when a request was due, not when it went out, so a stalled server
/// is not hidden by the generator waiting on it. A request due while `max_in_flight` are
/// still unanswered is not sent and counts as an error: the rate was not sustained.
pub async fn drive_at_rate<F, Fut>(
    rate: f64,
    duration: Duration,
    window: Duration,
    max_in_flight: usize,
    request: F,
) -> Vec<Measurement>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    type Window = (Vec<u32>, u64);
    let request = Arc::new(request);
    let windows = (duration.as_secs_f64() / window.as_secs_f64())
        .ceil()
        .max(1.0) as usize;
    let results: Arc<std::sync::Mutex<Vec<Window>>> =
        Arc::new(std::sync::Mutex::new(vec![(Vec::new(), 0); windows]));
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
    let record = move |results: &std::sync::Mutex<Vec<Window>>, w: usize, latency: Option<u32>| {
        if let Ok(mut results) = results.lock() {
            let slot = &mut results[w.min(windows - 1)];
            match latency {
                Some(micros) => slot.0.push(micros),
                None => slot.1 += 1,
            }
        }
    };
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0u64.. {
        let offset = Duration::from_secs_f64(n as f64 / rate);
        if offset >= duration {
            break;
        }
        let due = start + offset;
        tokio::time::sleep_until(due.into()).await;
        let w = (offset.as_secs_f64() / window.as_secs_f64()) as usize;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            record(&results, w, None);
            continue;
        };
        let (request, results) = (request.clone(), results.clone());
        tasks.spawn(async move {
            let ok = request(n).await;
            let micros = u32::try_from(due.elapsed().as_micros()).unwrap_or(u32::MAX);
            record(&results, w, ok.then_some(micros));
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    results
        .into_iter()
        .map(|(latencies, errors)| summarise(latencies, errors, window.as_secs_f64()))
        .collect()
}
