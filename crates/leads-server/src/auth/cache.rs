//! A short-lived cache of successful Basic verifications, so a client that sends Basic on
//! every request pays for argon2 once a minute instead of on every call.
//!
//! Entries are keyed by an HMAC of the user id, the stored password hash and the password
//! offered, under a key that lives only in this process's memory. Nothing in the cache
//! reveals a password, a wrong password can never match an entry (it yields another key,
//! and only successful verifications are inserted), and a changed password changes the
//! stored hash, so the old entries stop matching at once, even when another process
//! changed it. Memberships are never cached: roles are read on every request.

use super::ttl::TtlSet;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

type Key = [u8; 32];

/// The verification cache.
pub struct BasicCache {
    secret: [u8; 32],
    verified: TtlSet<Key>,
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
            verified: TtlSet::new(ttl, capacity),
        }
    }

    fn key(&self, user_id: &str, stored_hash: &str, password: &str) -> Key {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        for part in [user_id, stored_hash, password] {
            // Length-prefixed, so no two different triples feed the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether this password was verified against this stored hash within the TTL.
    pub fn hit(&self, user_id: &str, stored_hash: &str, password: &str) -> bool {
        self.verified
            .contains(&self.key(user_id, stored_hash, password))
    }

    /// Records a successful verification.
    pub fn insert(&self, user_id: &str, stored_hash: &str, password: &str) {
        self.verified
            .insert(self.key(user_id, stored_hash, password));
    }

    /// Forgets every entry (e.g. after a password change in this process).
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

    #[test]
    fn only_the_same_password_and_hash_hit() {
        let cache = BasicCache::new(Duration::from_secs(60), 10);
        cache.insert("u", "hash1", "pw");
        assert!(cache.hit("u", "hash1", "pw"));
        assert!(!cache.hit("u", "hash1", "wrong"));
        assert!(!cache.hit("u", "hash2", "pw"), "a changed password misses");
        assert!(!cache.hit("v", "hash1", "pw"));
    }

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = BasicCache::new(Duration::from_millis(0), 3);
        cache.insert("u", "h", "pw");
        assert!(!cache.hit("u", "h", "pw"));
        let cache = BasicCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            cache.insert(&format!("u{i}"), "h", "pw");
            assert!(cache.len() <= 3);
        }
        assert!(cache.hit("u9", "h", "pw"));
    }
}
