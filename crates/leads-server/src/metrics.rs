//! What `/metrics` reports, in the Prometheus text format: requests by operation and
//! status, latency by operation, requests in flight, the connection pools, group commit and
//! the Basic verification cache.
//!
//! One registry per process ([`global`]): the store and the auth cache record into it
//! without being handed anything, and the figures of the pools are read when scraped.
//! Labels are bounded: an operation is one of the spec's `operationId`s, an operational
//! endpoint's name, or `other`.

use crate::store::Store;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Duration;

/// The `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolStateLabels {
    pool: &'static str,
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds, from 1 ms to about 33 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms<OperationLabels>,
    in_flight: Gauge,
    pool_connections: Family<PoolStateLabels, Gauge>,
    pool_max: Family<PoolLabels, Gauge>,
    pool_timeouts: Counter,
    batch_size: Histogram,
    batch_wait: Histogram,
    auth_cache: Family<CacheLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("leads");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by operation and status",
            requests.clone(),
        );
        let latency: Histograms<OperationLabels> =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by operation",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        let pool_connections = Family::<PoolStateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections open, by pool and state (idle or in use)",
            pool_connections.clone(),
        );
        let pool_max = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections each pool opens",
            pool_max.clone(),
        );
        let pool_timeouts = Counter::default();
        registry.register(
            "db_pool_timeouts",
            "Requests answered 503 because no database connection was free in time",
            pool_timeouts.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        registry.register(
            "group_commit_batch_size",
            "Creates written by one group-commit transaction",
            batch_size.clone(),
        );
        let batch_wait = latency_histogram();
        registry.register(
            "group_commit_wait_seconds",
            "Time a create waits for the writer before its transaction starts",
            batch_wait.clone(),
        );
        let auth_cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "auth_cache_lookups",
            "Basic verifications looked up in the cache, by result (hit or miss)",
            auth_cache.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            pool_connections,
            pool_max,
            pool_timeouts,
            batch_size,
            batch_wait,
            auth_cache,
        }
    }

    /// A request began; the guard records its end.
    pub fn request_started(&'static self) -> InFlight {
        self.in_flight.inc();
        InFlight { metrics: self }
    }

    /// A request was answered with `status` after `elapsed`.
    pub fn request_finished(&self, operation: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { operation, status })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    /// A query found no free connection in time.
    pub fn pool_timeout(&self) {
        self.pool_timeouts.inc();
    }

    /// A group commit wrote `creates` in one transaction.
    pub fn group_commit_batch(&self, creates: usize) {
        self.batch_size.observe(creates as f64);
    }

    /// A create waited `waited` for its group commit to start.
    pub fn group_commit_wait(&self, waited: Duration) {
        self.batch_wait.observe(waited.as_secs_f64());
    }

    /// A Basic verification was found in the cache (`hit`) or not.
    pub fn auth_cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.auth_cache.get_or_create(&CacheLabels { result }).inc();
    }

    /// The text of `/metrics`, with the pools of `store` (when it is open) read now.
    pub fn render(&self, store: Option<&Store>) -> String {
        if let Some(store) = store {
            for pool in store.pool_stats() {
                let in_use = pool.size.saturating_sub(pool.idle);
                for (state, value) in [("idle", pool.idle), ("in_use", in_use)] {
                    self.pool_connections
                        .get_or_create(&PoolStateLabels {
                            pool: pool.name,
                            state,
                        })
                        .set(i64::from(value));
                }
                self.pool_max
                    .get_or_create(&PoolLabels { pool: pool.name })
                    .set(i64::from(pool.max));
            }
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts a request in flight until dropped, so a request cut short (a closed
/// connection, a timeout) still leaves the gauge.
#[derive(Debug)]
pub struct InFlight {
    metrics: &'static Metrics,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.metrics.in_flight.dec();
    }
}
