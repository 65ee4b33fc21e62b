//! Password hashing with argon2id (memory-hard, the OWASP recommendation). Hashing and
//! verifying are deliberately slow, so both run on the blocking pool, off the async
//! workers, and only as many at once as there are cores: each takes 19 MiB, and a burst
//! of Basic requests (or of wrong passwords sent on purpose) must queue for the CPU
//! rather than allocate 19 MiB per request.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{LazyLock, Mutex};
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

/// A verification could not be carried out: the stored hash is broken, or the
/// verification itself failed. A fault of the server, never a wrong password.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The stored hash is not a PHC string argon2 can check.
    #[error("the stored password hash is malformed: {0}")]
    Malformed(&'static str),
    /// The verification task panicked or was cancelled.
    #[error("the password verification failed: {0}")]
    Failed(String),
}

/// Whether `password` matches the stored `hash`.
pub async fn verify(password: String, hash: String) -> Result<bool, VerifyError> {
    run_bounded(move || verify_now(&password, &hash))
        .await
        .map_err(|e| VerifyError::Failed(e.to_string()))?
}

/// Argon2 working memory kept for the next verification. Freed and reallocated on every
/// run, 19 MiB blocks stay in the C allocator's arenas (its mmap threshold rises to fit
/// them), and a burst grew the server by hundreds of MiB; reused, the memory is bounded by
/// the runs in flight, at most one per core.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` with `blocks` of reusable argon2 memory.
fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let spare = MEMORY.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut memory = spare.unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let result = work(&mut memory[..blocks]);
    MEMORY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(memory);
    result
}

/// What `PasswordVerifier::verify_password` does, on reusable memory: recompute the hash
/// with the stored parameters and salt, and compare in constant time.
fn verify_now(password: &str, hash: &str) -> Result<bool, VerifyError> {
    use VerifyError::Malformed;
    let parsed = PasswordHash::new(hash).map_err(|_| Malformed("not a PHC string"))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(Malformed("no salt or no hash"));
    };
    let algorithm =
        Algorithm::try_from(parsed.algorithm).map_err(|_| Malformed("not an argon2 hash"))?;
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .map_err(|_| Malformed("unknown argon2 version"))?;
    let params = Params::try_from(&parsed).map_err(|_| Malformed("bad argon2 parameters"))?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|_| Malformed("bad salt"))?;
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    let hashed = with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, memory)
    });
    if hashed.is_err() {
        return Err(Malformed("the parameters cannot be run"));
    }
    // `Output`'s equality is constant-time.
    Ok(Output::new(&computed).is_ok_and(|computed| computed == expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip() {
        let h = hash("s3cret".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("s3cret".into(), h.clone()).await.unwrap());
        assert!(!verify("S3cret".into(), h).await.unwrap());
        assert!(
            matches!(
                verify("s3cret".into(), "not a hash".into()).await,
                Err(VerifyError::Malformed(_))
            ),
            "a malformed hash is a fault, not a wrong password"
        );
        assert!(matches!(
            verify(
                "s3cret".into(),
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA".into()
            )
            .await,
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn hashes_with_other_parameters_and_variants_verify() {
        for (algorithm, m_cost) in [
            (Algorithm::Argon2id, 8 * 1024),
            (Algorithm::Argon2i, 32 * 1024),
            (Algorithm::Argon2d, 4 * 1024),
        ] {
            let params = Params::new(m_cost, 1, 1, None).unwrap();
            let salt = SaltString::generate(&mut OsRng);
            let stored = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"pa55word", &salt)
                .unwrap()
                .to_string();
            assert!(verify_now("pa55word", &stored).unwrap(), "{stored}");
            assert!(!verify_now("pa55worD", &stored).unwrap(), "{stored}");
        }
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
