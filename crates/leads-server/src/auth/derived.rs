//! Keys derived from the token secret, one per purpose, so that every server of a
//! deployment holds the same keys without a second secret to configure, and no purpose
//! can stand in for another: a cursor's MAC is never a valid token signature.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A 256-bit key derived from the token secret for one purpose. `Debug` never shows it.
#[derive(Clone)]
pub struct DerivedKey([u8; 32]);

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(..)")
    }
}

impl DerivedKey {
    /// HMAC-SHA256 of `purpose` under `secret`: a pseudo-random function of the secret,
    /// so the derived key reveals nothing of it.
    pub fn derive(secret: &[u8], purpose: &str) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        DerivedKey(mac.finalize().into_bytes().into())
    }

    /// The key's bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_secrets_give_different_keys() {
        let secret = b"a secret of at least thirty-two bytes....";
        let cursors = DerivedKey::derive(secret, "cursors");
        assert_eq!(
            cursors.bytes(),
            DerivedKey::derive(secret, "cursors").bytes()
        );
        assert_ne!(cursors.bytes(), DerivedKey::derive(secret, "other").bytes());
        assert_ne!(
            cursors.bytes(),
            DerivedKey::derive(b"another secret, just as long.......", "cursors").bytes()
        );
        assert_eq!(format!("{cursors:?}"), "DerivedKey(..)");
    }
}
