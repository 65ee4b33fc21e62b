//! A bounded set of keys, each remembered for a fixed time: the shape of both auth caches.
//!
//! Bounded because a cache an attacker can fill must not grow the server: when full of live
//! entries it starts over, which costs the honest callers one slow check each.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Keys remembered until their time is up.
pub struct TtlSet<K> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, Instant>>,
}

impl<K> std::fmt::Debug for TtlSet<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys: they derive from credentials.
        f.debug_struct("TtlSet")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq> TtlSet<K> {
    /// Holds at most `capacity` keys, each for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlSet {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, Instant>> {
        // A panic elsewhere cannot leave a map of instants half-written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `key` was inserted within the TTL.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries();
        match entries.get(key) {
            Some(expires) if *expires > Instant::now() => true,
            Some(_) => {
                entries.remove(key);
                false
            }
            None => false,
        }
    }

    /// Remembers `key` for the TTL from now.
    pub fn insert(&self, key: K) {
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.retain(|_, expires| *expires > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, now + self.ttl);
    }

    /// Forgets every key.
    pub fn clear(&self) {
        self.entries().clear();
    }

    /// How many keys are held, live or expired.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_expire_and_capacity_is_bounded() {
        let set = TtlSet::new(Duration::ZERO, 3);
        set.insert("u".to_owned());
        assert!(!set.contains("u"), "expired at once");
        let set = TtlSet::new(Duration::from_secs(60), 3);
        assert!(!set.contains("u"));
        for i in 0..10 {
            set.insert(format!("u{i}"));
            assert!(set.len() <= 3);
        }
        assert!(set.contains("u9"));
        set.clear();
        assert!(set.is_empty());
    }
}
