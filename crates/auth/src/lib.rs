//! civicpay-auth: who is calling. Staff passwords (argon2id, lockout policy), sessions of staff
//! and citizens (in process or in Redis behind one trait), API keys for council systems (checksummed so
//! garbage is refused before any look-up, stored as a SHA-256 digest), and the citizens' eID
//! log-in (OpenID Connect relying party, code flow with PKCE). It knows nothing of the web
//! layer or the database schema (its only HTTP is the eID log-in's calls to the council's
//! provider): the app wires it to the store and the web layer.

pub mod api_key;
pub mod oidc;
pub mod password;
pub mod session;

pub use api_key::{ApiKeyError, GeneratedApiKey, generate_api_key, parse_api_key};
pub use oidc::{
    IdTokenRejection, Identity, LoginStart, OidcConfig, OidcError, OidcProvider, PENDING_LOGIN_TTL,
    PendingLogin,
};
pub use password::{
    LOCKOUT_DURATION, MAX_FAILED_LOGINS, PasswordError, check_password_policy, dummy_verify,
    hash_password, lock_after_failure, verify_password,
};
pub use session::{
    ActingCompany, CitizenSession, InMemorySessions, PendingCitizenLogin, RedisSessions,
    SESSION_TTL, Session, SessionData, SessionError, SessionStore,
};
