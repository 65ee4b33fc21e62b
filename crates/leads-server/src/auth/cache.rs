//! A short-lived cache of successful Basic verifications, so a client that sends Basic on
//! every request pays for argon2 once a minute instead of on every call.
//!
//! Entries are keyed by an HMAC of the email (as matched, lower-cased) and the password
//! offered, under a key that lives only in this process's memory, and hold the user and
//! the credential version the password was verified for. Nothing in the cache reveals a
//! password, and a wrong password can never match an entry (it yields another key, and
//! only successful verifications are inserted). A password change bumps the version in
//! the database; every request reads the current version with the caller's role, so an
//! entry of the old password is refused at once, even when another process changed it.
//! Memberships are never cached: roles are read on every request.

use super::ttl::TtlMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The cache key of one email and password.
pub type CacheKey = [u8; 32];

/// A verified user: the id and the credential version the password was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The user's id.
    pub user_id: String,
    /// The credential version at verification.
    pub credential_version: i64,
}

/// The verification cache.
pub struct BasicCache {
    secret: [u8; 32],
    verified: TtlMap<CacheKey, Verified>,
}

impl std::fmt::Debug for BasicCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCache")
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl BasicCache {
    /// A cache holding at most `capacity` entries, each for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        BasicCache {
            secret: rand::random(),
            verified: TtlMap::new(ttl, capacity),
        }
    }

    /// The key of `email` (any case) and `password`.
    pub fn key(&self, email: &str, password: &str) -> CacheKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        let email = email.to_lowercase();
        for part in [email.as_str(), password] {
            // Length-prefixed, so no two different pairs feed the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The user this key was verified as within the TTL, if any.
    pub fn get(&self, key: &CacheKey) -> Option<Verified> {
        let hit = self.verified.get(key);
        crate::metrics::global().auth_cache(hit.is_some());
        hit
    }

    /// Records a successful verification.
    pub fn insert(&self, key: CacheKey, verified: Verified) {
        self.verified.insert(key, verified);
    }

    /// Forgets one entry, e.g. one whose credential version is no longer current.
    pub fn remove(&self, key: &CacheKey) {
        self.verified.remove(key);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.verified.clear();
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.verified.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(user_id: &str) -> Verified {
        Verified {
            user_id: user_id.to_owned(),
            credential_version: 0,
        }
    }

    #[test]
    fn only_the_same_email_and_password_hit() {
        let cache = BasicCache::new(Duration::from_secs(60), 10);
        cache.insert(cache.key("A@x.test", "pw"), verified("u"));
        assert_eq!(cache.get(&cache.key("a@X.test", "pw")), Some(verified("u")));
        assert_eq!(cache.get(&cache.key("a@x.test", "wrong")), None);
        assert_eq!(cache.get(&cache.key("b@x.test", "pw")), None);
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(cache.key("ab", "c"), cache.key("a", "bc"));
        cache.remove(&cache.key("a@x.test", "pw"));
        assert_eq!(cache.get(&cache.key("a@x.test", "pw")), None);
    }

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = BasicCache::new(Duration::from_millis(0), 3);
        cache.insert(cache.key("u", "pw"), verified("u"));
        assert_eq!(cache.get(&cache.key("u", "pw")), None);
        let cache = BasicCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            cache.insert(cache.key(&format!("u{i}"), "pw"), verified("u"));
            assert!(cache.len() <= 3);
        }
        assert!(cache.get(&cache.key("u9", "pw")).is_some());
    }
}
