//! Token subjects recently found to exist, so a token on every request does not cost a
//! user lookup on every request.
//!
//! Only existence is remembered, for a short time; never a role. Roles are read on every
//! request, and deleting a user deletes the memberships with it, so a token whose user
//! vanished within the TTL still reaches no project.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The remembered subjects.
#[derive(Debug)]
pub struct KnownSubjects {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, Instant>>,
}

impl KnownSubjects {
    /// Remembers at most `capacity` subjects, each for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        KnownSubjects {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user_id` was found to exist within the TTL.
    pub fn contains(&self, user_id: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(user_id)
            .is_some_and(|expires| *expires > Instant::now())
    }

    /// Records that `user_id` exists.
    pub fn insert(&self, user_id: &str) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, expires| *expires > now);
            if entries.len() >= self.capacity {
                // Still full of live entries: start over rather than grow.
                entries.clear();
            }
        }
        entries.insert(user_id.to_owned(), now + self.ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_expire_and_capacity_is_bounded() {
        let known = KnownSubjects::new(Duration::ZERO, 3);
        known.insert("u");
        assert!(!known.contains("u"), "expired at once");
        let known = KnownSubjects::new(Duration::from_secs(60), 3);
        assert!(!known.contains("u"));
        for i in 0..10 {
            known.insert(&format!("u{i}"));
            assert!(known.entries.lock().unwrap().len() <= 3);
        }
        assert!(known.contains("u9"));
    }
}
