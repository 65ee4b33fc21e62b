//! Who is calling, and what they may do.
//!
//! Callers authenticate with HTTP Basic (email and password) or a token from `signin`.
//! Every failure is the same `Unauthenticated`, so a caller cannot tell an unknown email
//! from a wrong password or an expired token from a forged one. Authorization is per
//! project: the caller's role in the project of the path, read fresh on every request
//! together with the user's credential version. A token and a cached Basic verification
//! carry the version they were issued or verified at, so a password change revokes them
//! at the next request, on every server, while argon2 still runs only on a cache miss.
//! Verified tokens are remembered the same way (`TokenCache`), so a client that sends
//! the same token on every request pays for its signature check once a minute; the
//! credential version a token carries is still checked against the database on every
//! request.

mod cache;
mod derived;
pub mod password;
pub mod token;
mod ttl;

pub use cache::{BasicCache, CacheKey, Verified};
pub use derived::DerivedKey;
pub use token::{Claims, TokenCache, TokenKeys};

use crate::store::{Access, Role, Store, StoreError, User};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::time::Duration;

/// The settings key of the generated token secret.
const SECRET_SETTING: &str = "jwt_secret";
/// The shortest configured secret accepted, in bytes (HS256 wants 256 bits).
pub const MIN_SECRET_LEN: usize = 32;
/// How long a successful Basic verification is remembered.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// How many Basic verifications are remembered at most.
const CACHE_CAPACITY: usize = 10_000;
/// What the key of list cursors is derived for; a new value invalidates every cursor.
const CURSOR_KEY_PURPOSE: &str = "leads-server list cursors v1";
/// How long a verified token is remembered, never past its expiry.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(60);
/// How many verified tokens are remembered at most.
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// Credentials as they arrive.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic: the user's email and password.
    Basic { email: String, password: String },
    /// A token from `signin`, sent as `JWT <token>` or `Bearer <token>`.
    Token(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { email, .. } => f
                .debug_struct("Basic")
                .field("email", email)
                .finish_non_exhaustive(),
            Credentials::Token(_) => f.write_str("Token(..)"),
        }
    }
}

/// An authenticated caller: who, and at which credential version. Whether that version
/// is still current is checked with the role, in the same query, on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: String,
    /// The credential version the token or password was issued or verified at.
    pub credential_version: i64,
    /// The cache entry the caller was found in, to forget it once it is stale.
    cached: Option<CacheKey>,
}

impl Principal {
    /// A principal at `credential_version`, for callers that authenticated elsewhere.
    pub fn new(user_id: impl Into<String>, credential_version: i64) -> Self {
        Principal {
            user_id: user_id.into(),
            credential_version,
            cached: None,
        }
    }
}

/// Authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The credentials are missing, malformed, wrong, expired or revoked.
    #[error("credentials are missing, malformed, wrong, expired or revoked")]
    Unauthenticated,
    /// Storage failed while checking them.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The check itself failed: a malformed stored hash, a failed verification.
    #[error(transparent)]
    Verify(#[from] password::VerifyError),
}

/// The server could not set up authentication.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configured token secret is too short to be safe.
    #[error("the token secret must be at least {MIN_SECRET_LEN} bytes long")]
    WeakSecret,
    /// The stored secret is not valid base64.
    #[error("the stored token secret is malformed")]
    MalformedSecret,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
}

/// Checks credentials and roles against the store.
#[derive(Debug)]
pub struct Authenticator {
    store: Store,
    keys: TokenKeys,
    /// Authenticates list cursors (see `api::cursor`).
    cursor_key: DerivedKey,
    cache: BasicCache,
    tokens: TokenCache,
    /// Verified against when the email is unknown, so the answer takes as long as for a
    /// known email with a wrong password.
    dummy_hash: String,
}

impl Authenticator {
    /// Sets up authentication. With `secret`, tokens are signed with it; without, with a
    /// random secret generated on first start and kept in the database, so tokens survive
    /// restarts and are shared by every server on the same database.
    pub async fn new(
        store: Store,
        secret: Option<&str>,
        token_ttl: Duration,
    ) -> Result<Self, SetupError> {
        let secret = match secret {
            Some(secret) if secret.len() < MIN_SECRET_LEN => return Err(SetupError::WeakSecret),
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                let fresh = STANDARD.encode(rand::random::<[u8; 32]>());
                let stored = store.init_setting(SECRET_SETTING, &fresh).await?;
                STANDARD
                    .decode(stored)
                    .map_err(|_| SetupError::MalformedSecret)?
            }
        };
        let dummy_hash = password::hash(STANDARD.encode(rand::random::<[u8; 16]>())).await?;
        Ok(Authenticator {
            store,
            keys: TokenKeys::new(&secret, token_ttl),
            cursor_key: DerivedKey::derive(&secret, CURSOR_KEY_PURPOSE),
            cache: BasicCache::new(CACHE_TTL, CACHE_CAPACITY),
            tokens: TokenCache::new(TOKEN_CACHE_TTL, TOKEN_CACHE_CAPACITY),
            dummy_hash,
        })
    }

    /// The token keys, to issue tokens.
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The key list cursors are authenticated with, derived from the token secret, so
    /// every server of a deployment accepts the cursors of the others.
    pub fn cursor_key(&self) -> &DerivedKey {
        &self.cursor_key
    }

    /// Who is calling. Costs no query for a token or a cached Basic verification: the
    /// credential version they carry is checked with the role (see [`role_in`](Self::role_in)).
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError> {
        match credentials {
            Credentials::Basic { email, password } => {
                let key = self.cache.key(email, password);
                if let Some(verified) = self.cache.get(&key) {
                    return Ok(Principal {
                        user_id: verified.user_id,
                        credential_version: verified.credential_version,
                        cached: Some(key),
                    });
                }
                let user = self
                    .verify_password(email, password)
                    .await?
                    .ok_or(AuthError::Unauthenticated)?;
                self.cache.insert(
                    key,
                    Verified {
                        user_id: user.id.clone(),
                        credential_version: user.credential_version,
                    },
                );
                Ok(Principal {
                    user_id: user.id,
                    credential_version: user.credential_version,
                    cached: Some(key),
                })
            }
            Credentials::Token(token) => {
                let claims = self.tokens.verify(&self.keys, token).map_err(|rejected| {
                    tracing::debug!(%rejected, "token rejected");
                    AuthError::Unauthenticated
                })?;
                Ok(Principal {
                    user_id: claims.sub,
                    credential_version: claims.ver,
                    cached: None,
                })
            }
        }
    }

    /// The user with this email (case-insensitive) and password, if they match: for
    /// `signin`, which answers the user and a token at the current credential version.
    pub async fn check_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, AuthError> {
        let key = self.cache.key(email, password);
        if let Some(verified) = self.cache.get(&key) {
            if let Some(user) = self.store.user_by_email(email).await? {
                if user.id == verified.user_id
                    && user.credential_version == verified.credential_version
                {
                    return Ok(Some(user));
                }
            }
            self.cache.remove(&key);
        }
        let user = self.verify_password(email, password).await?;
        if let Some(user) = &user {
            self.cache.insert(
                key,
                Verified {
                    user_id: user.id.clone(),
                    credential_version: user.credential_version,
                },
            );
        }
        Ok(user)
    }

    /// Runs argon2: the user when the password matches, `None` for an unknown email (after
    /// a verification as slow as a real one) or a wrong password.
    async fn verify_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, AuthError> {
        let Some(user) = self.store.user_by_email(email).await? else {
            password::verify(password.to_owned(), self.dummy_hash.clone()).await?;
            return Ok(None);
        };
        let matches = password::verify(password.to_owned(), user.password_hash.clone()).await?;
        Ok(matches.then_some(user))
    }

    /// Changes a user's password, which bumps the credential version and so revokes every
    /// token and cached verification issued before, here and on every other server.
    pub async fn set_password(&self, user_id: &str, password: &str) -> Result<bool, SetupError> {
        let hash = password::hash(password.to_owned()).await?;
        let changed = self.store.set_password_hash(user_id, &hash).await?;
        self.cache.clear();
        self.tokens.clear();
        Ok(changed)
    }

    /// The caller's role in the project, when its credentials are still current;
    /// [`AuthError::Unauthenticated`] when the user is gone or its credential version
    /// moved on (a changed password).
    pub async fn role_in(
        &self,
        principal: &Principal,
        project_id: &str,
    ) -> Result<Option<Role>, AuthError> {
        let access = self.store.access(&principal.user_id, project_id).await?;
        self.current(principal, access)
    }

    /// The role that `access` grants `principal`, checking that its credentials are
    /// current; forgets a stale cache entry.
    pub fn current(
        &self,
        principal: &Principal,
        access: Option<Access>,
    ) -> Result<Option<Role>, AuthError> {
        match access {
            Some(access) if access.credential_version == principal.credential_version => {
                Ok(access.role)
            }
            _ => {
                if let Some(key) = &principal.cached {
                    self.cache.remove(key);
                }
                Err(AuthError::Unauthenticated)
            }
        }
    }
}
