//! MongoDB-style ObjectIds: 4 bytes of seconds since the epoch, 5 random bytes chosen once
//! per process, and a 3-byte counter. Ids sort by creation time across processes and are
//! unique within one, which is what Tiledesk clients expect of `_id`.

use rand::Rng;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

struct Generator {
    process: [u8; 5],
    counter: AtomicU32,
}

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| {
        let mut rng = rand::rng();
        Generator {
            process: rng.random(),
            counter: AtomicU32::new(rng.random::<u32>() & 0x00ff_ffff),
        }
    })
}

/// A fresh ObjectId as 24 lower-case hex characters.
pub fn new_object_id() -> String {
    let g = generator();
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as u32;
    let count = g.counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..9].copy_from_slice(&g.process);
    bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` has the shape of an ObjectId.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_24_hex_and_unique() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_object_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| is_object_id(id)));
    }

    #[test]
    fn ids_start_with_the_time() {
        let id = new_object_id();
        let secs = u32::from_str_radix(&id[..8], 16).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as u32;
        assert!(now - secs <= 1);
    }
}
