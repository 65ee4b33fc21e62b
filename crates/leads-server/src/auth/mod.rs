//! Who is calling, and what they may do.
//!
//! Callers authenticate with HTTP Basic (email and password) or a token from `signin`.
//! Every failure is the same `Unauthenticated`, so a caller cannot tell an unknown email
//! from a wrong password or an expired token from a forged one. Authorization is per
//! project: the caller's role in the project of the path, read fresh on every request.

mod cache;
pub mod password;
pub mod token;
mod ttl;

pub use cache::BasicCache;
pub use token::{Claims, TokenKeys};
use ttl::TtlSet;

use crate::store::{Role, Store, StoreError, User};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::time::Duration;

/// The settings key of the generated token secret.
const SECRET_SETTING: &str = "jwt_secret";
/// The shortest configured secret accepted, in bytes (HS256 wants 256 bits).
pub const MIN_SECRET_LEN: usize = 32;
/// How long a successful Basic verification, or a token subject's existence, is
/// remembered.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// How many Basic verifications, and token subjects, are remembered at most.
const CACHE_CAPACITY: usize = 10_000;

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

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: String,
}

/// Authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The credentials are missing, malformed, wrong or expired.
    #[error("credentials are missing, malformed, wrong or expired")]
    Unauthenticated,
    /// Storage failed while checking them.
    #[error(transparent)]
    Store(#[from] StoreError),
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
    cache: BasicCache,
    /// Token subjects recently found to exist, so a token on every request does not cost a
    /// user lookup on every request. Only existence, never a role: roles are read on every
    /// request, and a deleted user's memberships go with it.
    subjects: TtlSet<String>,
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
            cache: BasicCache::new(CACHE_TTL, CACHE_CAPACITY),
            subjects: TtlSet::new(CACHE_TTL, CACHE_CAPACITY),
            dummy_hash,
        })
    }

    /// The token keys, to issue tokens.
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// Who is calling.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError> {
        match credentials {
            Credentials::Basic { email, password } => self
                .check_password(email, password)
                .await?
                .map(|user| Principal { user_id: user.id })
                .ok_or(AuthError::Unauthenticated),
            Credentials::Token(token) => {
                let claims = self.keys.verify(token).map_err(|rejected| {
                    tracing::debug!(%rejected, "token rejected");
                    AuthError::Unauthenticated
                })?;
                // A token outlives nothing: the user must still exist (checked at most
                // once a TTL; roles, read on every request, go with the user).
                if !self.subjects.contains(&claims.sub) {
                    if self.store.user_by_id(&claims.sub).await?.is_none() {
                        return Err(AuthError::Unauthenticated);
                    }
                    self.subjects.insert(claims.sub.clone());
                }
                Ok(Principal {
                    user_id: claims.sub,
                })
            }
        }
    }

    /// The user with this email (case-insensitive) and password, if they match.
    pub async fn check_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let Some(user) = self.store.user_by_email(email).await? else {
            password::verify(password.to_owned(), self.dummy_hash.clone()).await;
            return Ok(None);
        };
        if self.cache.hit(&user.id, &user.password_hash, password) {
            return Ok(Some(user));
        }
        if password::verify(password.to_owned(), user.password_hash.clone()).await {
            self.cache.insert(&user.id, &user.password_hash, password);
            Ok(Some(user))
        } else {
            Ok(None)
        }
    }

    /// Changes a user's password and forgets cached verifications.
    pub async fn set_password(&self, user_id: &str, password: &str) -> Result<bool, SetupError> {
        let hash = password::hash(password.to_owned()).await?;
        let changed = self.store.set_password_hash(user_id, &hash).await?;
        self.cache.clear();
        Ok(changed)
    }

    /// The caller's role in the project, if a member.
    pub async fn role_in(
        &self,
        principal: &Principal,
        project_id: &str,
    ) -> Result<Option<Role>, StoreError> {
        self.store.role_of(&principal.user_id, project_id).await
    }
}
