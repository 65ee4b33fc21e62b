//! JSON Web Tokens: HS256 only, with an expiry that is always checked.
//!
//! The verifier accepts exactly one algorithm, so `alg: none` and algorithm-confusion
//! tokens fail, as do tokens with a wrong signature, a missing or past `exp`, or a
//! malformed body.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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
        validation.leeway = 5;
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
}
