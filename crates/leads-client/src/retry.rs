//! Retries of transient failures, with bounded exponential backoff and jitter.
//!
//! Every request the generated client sends goes through `ClientHooks::exec`, here. A
//! request is retried when the server answered `503 Service Unavailable` (overloaded,
//! timed out or shutting down; the spec documents it with `Retry-After`) or when the
//! connection failed before an answer. Only methods that are safe to repeat are retried:
//! `GET`, `PUT` and `DELETE`. A `POST` is retried only when the caller opted in, and then
//! it carries an `Idempotency-Key`, the same on every attempt, so that `createLead` creates
//! at most one lead however many attempts reach the server.

use std::time::Duration;

use progenitor_client::ClientInfo;
use rand::Rng;
use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use crate::Client;

/// The header that makes a retried create safe.
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// How a [`Client`] retries transient failures.
///
/// The defaults: up to 3 retries, waits drawn at random from 0 up to
/// `100 ms × 2^attempt` (full jitter), never more than 5 s, and never less than the
/// server's `Retry-After` (a `Retry-After` beyond 30 s ends the retries instead). `POST`s
/// are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    retry_posts: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            retry_posts: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times a request is sent again at most, after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry, doubled for every later one (before jitter).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between two attempts, unless the server asks for longer.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` honoured; a longer one is answered to the caller at once.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Whether `POST`s are retried too. Each then carries an `Idempotency-Key` (the
    /// caller's, or a random one), the same on every attempt: `createLead` creates at most
    /// once; `signin` and the property merge are safe to repeat.
    pub fn retry_posts(mut self, retry: bool) -> Self {
        self.retry_posts = retry;
        self
    }

    fn retries(&self, method: &Method) -> bool {
        self.max_retries > 0
            && match *method {
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS => true,
                Method::POST => self.retry_posts,
                _ => false,
            }
    }

    /// The wait before retry number `attempt` (0 for the first), at least `retry_after`.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let jittered = if ceiling.is_zero() {
            Duration::ZERO
        } else {
            rand::rng().random_range(Duration::ZERO..=ceiling)
        };
        jittered.max(retry_after.unwrap_or_default())
    }
}

/// The `Retry-After` of an answer, in seconds (an HTTP date is not honoured).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Whether an error happened before the server could have answered: connecting, or the
/// connection closing before the response.
fn is_transient(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_request()
}

/// Sends `request` with `client`'s HTTP client, retrying as its policy says.
pub(crate) async fn execute(
    client: &Client,
    mut request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let policy = client.inner();
    if !policy.retries(request.method()) {
        return client.client().execute(request).await;
    }
    if request.method() == Method::POST && !request.headers().contains_key(&IDEMPOTENCY_KEY) {
        let key = format!("{:032x}", rand::random::<u128>());
        if let Ok(value) = HeaderValue::from_str(&key) {
            request.headers_mut().insert(IDEMPOTENCY_KEY, value);
        }
    }
    let mut attempt = 0;
    loop {
        // A streamed body cannot be sent twice; such a request gets one attempt.
        let again = (attempt < policy.max_retries)
            .then(|| request.try_clone())
            .flatten();
        let result = client.client().execute(request).await;
        let Some(next) = again else {
            return result;
        };
        let wait = match &result {
            Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                match retry_after(response) {
                    Some(asked) if asked > policy.max_retry_after => return result,
                    asked => policy.delay(attempt, asked),
                }
            }
            Err(error) if is_transient(error) => policy.delay(attempt, None),
            _ => return result,
        };
        drop(result);
        tokio::time::sleep(wait).await;
        request = next;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_are_bounded_and_honour_retry_after() {
        let policy = RetryPolicy::default();
        for attempt in 0..40 {
            let wait = policy.delay(attempt, None);
            assert!(wait <= Duration::from_secs(5), "{attempt}: {wait:?}");
            let ceiling = Duration::from_millis(100).saturating_mul(1 << attempt.min(20));
            assert!(wait <= ceiling, "{attempt}: {wait:?} over {ceiling:?}");
        }
        assert!(policy.delay(0, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
        let zero = RetryPolicy::default().base_delay(Duration::ZERO);
        assert_eq!(zero.delay(3, None), Duration::ZERO);
    }

    #[test]
    fn only_safe_methods_are_retried_unless_posts_are_asked_for() {
        let policy = RetryPolicy::default();
        assert!(policy.retries(&Method::GET));
        assert!(policy.retries(&Method::PUT));
        assert!(policy.retries(&Method::DELETE));
        assert!(!policy.retries(&Method::POST));
        assert!(!policy.retries(&Method::PATCH));
        assert!(policy.clone().retry_posts(true).retries(&Method::POST));
        assert!(!RetryPolicy::none().retries(&Method::GET));
    }
}
