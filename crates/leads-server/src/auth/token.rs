//! JSON Web Tokens: HS256 only, with an expiry that is always checked.
//!
//! The verifier accepts exactly one algorithm, so `alg: none` and algorithm-confusion
//! tokens fail, as do tokens with a wrong signature, a missing or past `exp`, or a
//! malformed body.

use super::ttl::TtlMap;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Seconds of clock skew allowed past a token's `exp`.
const LEEWAY: u64 = 5;

/// The claims the server issues and accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
    /// The user's credential version when issued; a password change bumps the stored one,
    /// and the token is refused from then on.
    #[serde(default)]
    pub ver: i64,
}

/// A token was not accepted. The reason is for logs only; callers all get the same 401.
#[derive(Debug, thiserror::Error)]
#[error("token rejected: {0}")]
pub struct Rejected(#[from] jsonwebtoken::errors::Error);

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys for `secret`; tokens issued live for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// How long issued tokens live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `user_id` at `credential_version`, expiring after the configured
    /// lifetime.
    pub fn issue(&self, user_id: &str, credential_version: i64) -> Result<String, Rejected> {
        let now = jsonwebtoken::get_current_timestamp();
        self.sign(&Claims {
            sub: user_id.to_owned(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            ver: credential_version,
        })
    }

    /// Signs arbitrary claims (tests use it for expired tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, Rejected> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token signed with this secret.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejected> {
        Ok(decode::<Claims>(token, &self.decoding, &self.validation)?.claims)
    }
}

/// Tokens whose signature and expiry were checked, remembered for a short while so that
/// a client sending the same token on every request is not checked again each time.
///
/// Only tokens that verified are inserted, keyed by their whole text: a token differing
/// in any byte misses and is verified in full. A hit is refused once the token's own
/// `exp` (with the same leeway) has passed, so the cache never extends a token's life.
/// It holds signatures, not authority: the credential version a token carries is still
/// compared with the database's on every request, so a password change revokes a cached
/// token as it does any other.
pub struct TokenCache {
    verified: TtlMap<Box<str>, Claims>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache of at most `capacity` tokens, each remembered for `ttl` at most.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TokenCache {
            verified: TtlMap::new(ttl, capacity),
        }
    }

    /// The claims of `token`, from the cache when it was verified recently, else checked
    /// with `keys` (and remembered when valid).
    pub fn verify(&self, keys: &TokenKeys, token: &str) -> Result<Claims, Rejected> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(claims) = self.verified.get(token) {
            if claims.exp.saturating_add(LEEWAY) >= now {
                return Ok(claims);
            }
            self.verified.remove(token);
        }
        let claims = keys.verify(token)?;
        self.verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    /// Forgets every token.
    pub fn clear(&self) {
        self.verified.clear();
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.verified.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = keys();
        let token = keys.issue("5b55e806c93dde00143163dc", 3).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, "5b55e806c93dde00143163dc");
        assert_eq!(claims.ver, 3);
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn bad_tokens_are_rejected() {
        let keys = keys();
        let token = keys.issue("u", 0).unwrap();
        let other = TokenKeys::new(b"another secret, just as long....", Duration::from_secs(60));
        assert!(other.verify(&token).is_err(), "wrong key");
        assert!(keys.verify(&token[..token.len() - 3]).is_err(), "truncated");
        assert!(keys.verify("").is_err());
        assert!(keys.verify("a.b.c").is_err());

        let parts: Vec<&str> = token.split('.').collect();
        let forged_body = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","iat":0,"exp":99999999999}"#);
        let tampered = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
        assert!(keys.verify(&tampered).is_err(), "tampered");

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            keys.verify(&format!("{none_header}.{}.", parts[1]))
                .is_err(),
            "alg none"
        );

        let now = jsonwebtoken::get_current_timestamp();
        let expired = keys
            .sign(&Claims {
                sub: "u".into(),
                iat: now - 7200,
                exp: now - 3600,
                ver: 0,
            })
            .unwrap();
        assert!(keys.verify(&expired).is_err(), "expired");
    }

    #[test]
    fn the_cache_answers_what_verification_would() {
        let keys = keys();
        let cache = TokenCache::new(Duration::from_secs(60), 2);
        let token = keys.issue("u", 1).unwrap();
        assert_eq!(cache.verify(&keys, &token).unwrap().sub, "u");
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.verify(&keys, &token).unwrap().ver, 1, "a hit");

        // A forged or truncated token misses and fails, and is never remembered.
        assert!(cache.verify(&keys, &token[..token.len() - 1]).is_err());
        let other = TokenKeys::new(b"another secret, just as long....", Duration::from_secs(60));
        assert!(cache.verify(&keys, &other.issue("u", 1).unwrap()).is_err());
        assert_eq!(cache.len(), 1);

        // A remembered token is refused once it expires.
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "u".into(),
            iat: now - 7200,
            exp: now - 3600,
            ver: 0,
        };
        let expired = keys.sign(&claims).unwrap();
        cache.verified.insert(expired.as_str().into(), claims);
        assert!(
            cache.verify(&keys, &expired).is_err(),
            "expired, cached or not"
        );

        // Bounded.
        for i in 0..5 {
            cache
                .verify(&keys, &keys.issue(&format!("u{i}"), 0).unwrap())
                .unwrap();
            assert!(cache.len() <= 2);
        }
        cache.clear();
        assert!(cache.is_empty());
    }
}
