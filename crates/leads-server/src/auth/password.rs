//! Password hashing with argon2id (memory-hard, the OWASP recommendation). Hashing and
//! verifying are deliberately slow, so both run on the blocking pool, off the async
//! workers, and only as many at once as there are cores: each takes 19 MiB, and a burst
//! of Basic requests (or of wrong passwords sent on purpose) must queue for the CPU
//! rather than allocate 19 MiB per request.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Bounds the argon2 runs in flight to the cores that can run them.
static IN_FLIGHT: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs `work` on the blocking pool once a core is free for it.
async fn run_bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    // The semaphore is never closed, so acquiring cannot fail; without a permit the
    // work would still be correct, only unbounded.
    let _permit = IN_FLIGHT.acquire().await.ok();
    tokio::task::spawn_blocking(work).await
}

/// Hashing failed (only on a broken random source or absurd parameters).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC-format argon2id hash of `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, HashError> {
    run_bounded(move || hash_now(&password))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored `hash`. A malformed hash matches nothing.
pub async fn verify(password: String, hash: String) -> bool {
    run_bounded(move || verify_now(&password, &hash))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip() {
        let h = hash("s3cret".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("s3cret".into(), h.clone()).await);
        assert!(!verify("S3cret".into(), h).await);
        assert!(!verify("s3cret".into(), "not a hash".into()).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_runs_no_more_than_the_cores_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (running, busiest) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let burst: Vec<_> = (0..4 * cores)
            .map(|_| {
                let (running, busiest) = (running.clone(), busiest.clone());
                tokio::spawn(run_bounded(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    busiest.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in burst {
            task.await.unwrap().unwrap();
        }
        let busiest = busiest.load(Ordering::SeqCst);
        assert!(
            busiest <= cores,
            "{busiest} argon2 runs at once on {cores} cores"
        );
    }
}
