//! A bounded map of keys to values, each remembered for a fixed time: the shape of the
//! Basic verification cache.
//!
//! Bounded because a cache an attacker can fill must not grow the server: when full of live
//! entries it starts over, which costs the honest callers one slow check each.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Entries remembered until their time is up.
pub struct TtlMap<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> std::fmt::Debug for TtlMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys: they derive from credentials.
        f.debug_struct("TtlMap")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V: Clone> TtlMap<K, V> {
    /// Holds at most `capacity` entries, each for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlMap {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic elsewhere cannot leave a map of instants and values half-written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of `key`, if inserted within the TTL.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries();
        match entries.get(key) {
            Some((expires, value)) if *expires > Instant::now() => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers `key` with `value` for the TTL from now.
    pub fn insert(&self, key: K, value: V) {
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (now + self.ttl, value));
    }

    /// Forgets `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries().remove(key);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries().clear();
    }

    /// How many entries are held, live or expired.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let map = TtlMap::new(Duration::ZERO, 3);
        map.insert("u".to_owned(), 1);
        assert_eq!(map.get("u"), None, "expired at once");
        let map = TtlMap::new(Duration::from_secs(60), 3);
        assert_eq!(map.get("u"), None);
        for i in 0..10 {
            map.insert(format!("u{i}"), i);
            assert!(map.len() <= 3);
        }
        assert_eq!(map.get("u9"), Some(9));
        map.remove("u9");
        assert_eq!(map.get("u9"), None);
        map.clear();
        assert!(map.is_empty());
    }
}
