//! civicpay-auth: who is calling. Staff passwords (argon2id, lockout policy), sessions of staff
//! and citizens (in process or in Redis behind one trait), and API keys for council systems (checksummed so
//! garbage is refused before any look-up, stored as a SHA-256 digest). It knows nothing of
//! HTTP or the database schema: the app wires it to the store and the web layer.

pub mod api_key;
pub mod password;
pub mod session;

pub use api_key::{ApiKeyError, GeneratedApiKey, generate_api_key, parse_api_key};
pub use password::{
    LOCKOUT_DURATION, MAX_FAILED_LOGINS, PasswordError, check_password_policy, dummy_verify,
    hash_password, lock_after_failure, verify_password,
};
pub use session::{
    CitizenSession, InMemorySessions, RedisSessions, SESSION_TTL, Session, SessionData,
    SessionError, SessionStore,
};
