//! Sessions — of staff and of citizens — behind one trait: in process on the embedded default,
//! in Redis when `REDIS_URL` is set so that any node can serve any request.
//!
//! The cookie carries a random token; stores keep only its SHA-256 digest, so a dump of Redis
//! does not hand out live sessions.

use crate::oidc::{PENDING_LOGIN_TTL, PendingLogin};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tokio::sync::RwLock;
use uuid::Uuid;

/// Idle sessions end after this long.
pub const SESSION_TTL: Duration = Duration::hours(8);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    pub user_id: Uuid,
    /// The council the session is bound to; `None` for the vendor's staff.
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub role: civicpay_domain::Role,
    pub created_at: DateTime<Utc>,
}

/// A citizen's (or a company's representative's) session in a council's shop: who the national
/// eID said they are. The national id is kept only sealed (the registers are asked with it) and
/// as the pseudonym permits are held under; never in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenSession {
    /// The council the log-in was for; the session counts nowhere else.
    pub tenant_id: Uuid,
    /// The national id, sealed with the platform's key.
    pub national_id_sealed: String,
    /// The keyed pseudonym of the national id (what the person's permits are held under).
    pub holder_key: String,
    /// The national id masked, for display.
    pub masked_id: String,
    /// The name as the register or the eID gave it.
    pub name: String,
    /// `development` (the embedded default's demo log-in) or `oidc`.
    pub method: String,
    pub created_at: DateTime<Utc>,
    /// The company the person logged in for (a business eID such as MitID Erhverv vouches
    /// that they may act for it); `None`: they act for themselves. When set, `holder_key` is
    /// the company's pseudonym (its permits are the company's) and bills are looked up by the
    /// company number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<ActingCompany>,
}

/// The company a session acts for. Company numbers (CVR, KvK, NIP) are public, so kept in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActingCompany {
    /// The registration number, digits only.
    pub company_id: String,
    /// The name as the business register (or the eID) gave it.
    pub name: String,
}

/// A citizen's eID log-in between leaving for the provider and coming back to the callback:
/// what [`crate::OidcProvider::finish`] needs, kept server-side under its own token (the
/// pending-login cookie). It is nobody's session: a caller presenting its token is anonymous.
/// Taken (read and deleted at once) by [`SessionStore::take_pending_login`], so it is used
/// once; it lives [`PENDING_LOGIN_TTL`] in the store, and `finish` refuses it when older.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCitizenLogin {
    /// The council the log-in was started at; the callback of another council refuses it.
    pub tenant_id: Uuid,
    pub login: PendingLogin,
    /// Where to send the browser afterwards: a local path of the council's shop, already
    /// checked when the log-in started.
    pub return_to: Option<String>,
}

/// What a session cookie stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Session {
    Staff(SessionData),
    Citizen(CitizenSession),
    /// Not a log-in yet (see [`PendingCitizenLogin`]).
    PendingLogin(PendingCitizenLogin),
}

/// How a pending login's serialised form starts (serde writes the tag first): what the Redis
/// store checks before it deletes an entry in [`SessionStore::take_pending_login`].
const PENDING_LOGIN_PREFIX: &str = r#"{"kind":"pending_login""#;

impl Session {
    /// The council the session is bound to (`None`: vendor staff).
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Session::Staff(s) => s.tenant_id,
            Session::Citizen(c) => Some(c.tenant_id),
            Session::PendingLogin(p) => Some(p.tenant_id),
        }
    }

    /// Whether the token stands for someone logged in (staff or citizen); a pending eID
    /// log-in does not.
    pub fn is_logged_in(&self) -> bool {
        !matches!(self, Session::PendingLogin(_))
    }

    /// How long the entry lives in the store when nobody uses it.
    pub fn ttl(&self) -> Duration {
        match self {
            Session::PendingLogin(_) => PENDING_LOGIN_TTL,
            _ => SESSION_TTL,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores the session and returns the token for the cookie.
    async fn create(&self, data: Session) -> Result<String, SessionError>;
    /// The live session for a token, renewing its idle timeout.
    async fn get(&self, token: &str) -> Result<Option<Session>, SessionError>;
    async fn delete(&self, token: &str) -> Result<(), SessionError>;
    /// The pending eID log-in stored under `token`, deleted in the same step so that two
    /// callbacks racing with one token cannot both have it. A token of anything else (a
    /// staff or citizen session) is left alone and answers `None`.
    ///
    /// The default reads then deletes (not atomic); both stores here override it.
    async fn take_pending_login(
        &self,
        token: &str,
    ) -> Result<Option<PendingCitizenLogin>, SessionError> {
        match self.get(token).await? {
            Some(Session::PendingLogin(pending)) => {
                self.delete(token).await?;
                Ok(Some(pending))
            }
            _ => Ok(None),
        }
    }
    /// A round trip to the backing service, for `/readyz`.
    async fn ping(&self) -> Result<(), SessionError>;
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_key(token: &str) -> String {
    format!("civicpay:session:{}", crate::api_key::digest(token))
}

/// Sessions in this process's memory: lost on restart, not shared between nodes.
#[derive(Default)]
pub struct InMemorySessions {
    sessions: RwLock<HashMap<String, (Session, DateTime<Utc>)>>,
}

#[async_trait]
impl SessionStore for InMemorySessions {
    async fn create(&self, data: Session) -> Result<String, SessionError> {
        let token = new_token();
        let mut sessions = self.sessions.write().await;
        let now = Utc::now();
        sessions.retain(|_, (_, expires)| *expires > now);
        let expires = now + data.ttl();
        sessions.insert(token_key(&token), (data, expires));
        Ok(token)
    }

    async fn get(&self, token: &str) -> Result<Option<Session>, SessionError> {
        let mut sessions = self.sessions.write().await;
        let now = Utc::now();
        match sessions.get_mut(&token_key(token)) {
            Some((data, expires)) if *expires > now => {
                // A pending log-in is not renewed by being looked at.
                if data.is_logged_in() {
                    *expires = now + data.ttl();
                }
                Ok(Some(data.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, token: &str) -> Result<(), SessionError> {
        self.sessions.write().await.remove(&token_key(token));
        Ok(())
    }

    async fn take_pending_login(
        &self,
        token: &str,
    ) -> Result<Option<PendingCitizenLogin>, SessionError> {
        let mut sessions = self.sessions.write().await;
        let key = token_key(token);
        let now = Utc::now();
        match sessions.get(&key) {
            Some((Session::PendingLogin(_), expires)) if *expires > now => {}
            _ => return Ok(None),
        }
        match sessions.remove(&key) {
            Some((Session::PendingLogin(pending), _)) => Ok(Some(pending)),
            _ => Ok(None),
        }
    }

    async fn ping(&self) -> Result<(), SessionError> {
        Ok(())
    }
}

/// Sessions in Redis with a sliding expiry, shared by every node.
pub struct RedisSessions {
    connection: redis::aio::ConnectionManager,
}

impl RedisSessions {
    /// Connects and checks the server answers, so a wrong `REDIS_URL` fails at start.
    pub async fn connect(url: &str) -> Result<Self, SessionError> {
        let client =
            redis::Client::open(url).map_err(|e| SessionError::Unavailable(e.to_string()))?;
        let connection = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            redis::aio::ConnectionManager::new(client),
        )
        .await
        .map_err(|_| SessionError::Unavailable(format!("no answer from {url} within 5 s")))?
        .map_err(|e| SessionError::Unavailable(e.to_string()))?;
        let store = Self { connection };
        store.ping().await?;
        Ok(store)
    }
}

fn unavailable(e: redis::RedisError) -> SessionError {
    SessionError::Unavailable(e.to_string())
}

fn ttl_seconds(ttl: Duration) -> u64 {
    u64::try_from(ttl.num_seconds()).unwrap_or(28_800).max(1)
}

/// Reads a pending login and deletes it, in one step on the server; anything else under the
/// key is left as it is.
const TAKE_PENDING_LOGIN: &str = r"
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return value
end
return false
";

#[async_trait]
impl SessionStore for RedisSessions {
    async fn create(&self, data: Session) -> Result<String, SessionError> {
        let token = new_token();
        let value =
            serde_json::to_string(&data).map_err(|e| SessionError::Unavailable(e.to_string()))?;
        let mut con = self.connection.clone();
        redis::cmd("SET")
            .arg(token_key(&token))
            .arg(value)
            .arg("EX")
            .arg(ttl_seconds(data.ttl()))
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(token)
    }

    async fn get(&self, token: &str) -> Result<Option<Session>, SessionError> {
        let mut con = self.connection.clone();
        // GETEX reads and renews the idle timeout in one round trip. A value this version
        // cannot read (written by an older one) is no session: the user logs in again. (A
        // pending log-in looked up here is renewed too; its own age still limits it.)
        let value: Option<String> = redis::cmd("GETEX")
            .arg(token_key(token))
            .arg("EX")
            .arg(ttl_seconds(SESSION_TTL))
            .query_async(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
    }

    async fn delete(&self, token: &str) -> Result<(), SessionError> {
        let mut con = self.connection.clone();
        redis::cmd("DEL")
            .arg(token_key(token))
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)
    }

    async fn take_pending_login(
        &self,
        token: &str,
    ) -> Result<Option<PendingCitizenLogin>, SessionError> {
        let mut con = self.connection.clone();
        let value: Option<String> = redis::cmd("EVAL")
            .arg(TAKE_PENDING_LOGIN)
            .arg(1)
            .arg(token_key(token))
            .arg(PENDING_LOGIN_PREFIX)
            .query_async(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(
            match value.and_then(|v| serde_json::from_str::<Session>(&v).ok()) {
                Some(Session::PendingLogin(pending)) => Some(pending),
                _ => None,
            },
        )
    }

    async fn ping(&self) -> Result<(), SessionError> {
        let mut con = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut con)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> SessionData {
        SessionData {
            user_id: Uuid::now_v7(),
            tenant_id: Some(Uuid::now_v7()),
            email: "a@b.dk".into(),
            role: civicpay_domain::Role::TenantAdmin,
            created_at: Utc::now(),
        }
    }

    fn citizen() -> Session {
        Session::Citizen(CitizenSession {
            tenant_id: Uuid::now_v7(),
            national_id_sealed: "00ff".into(),
            holder_key: "ab".repeat(32),
            masked_id: "120485-****".into(),
            name: "Mette Sørensen".into(),
            method: "development".into(),
            created_at: Utc::now(),
            company: None,
        })
    }

    #[test]
    fn a_session_stored_before_companies_reads_as_acting_for_oneself() {
        let Session::Citizen(mut session) = citizen() else {
            unreachable!()
        };
        let mut stored = serde_json::to_value(Session::Citizen(session.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(stored.get("company").is_none(), "{stored}");
        if let Some(fields) = stored.as_object_mut() {
            fields.remove("company");
        }
        let read: Session = serde_json::from_value(stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, Session::Citizen(session.clone()));

        session.company = Some(ActingCompany {
            company_id: "31022142".into(),
            name: "Nørrebro Blomster ApS".into(),
        });
        let text = serde_json::to_string(&Session::Citizen(session.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains(r#""company_id":"31022142""#), "{text}");
        let read: Session = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, Session::Citizen(session));
    }

    async fn round_trip(store: &dyn SessionStore) {
        let d = Session::Staff(data());
        let token = store
            .create(d.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get(&token).await.ok().flatten(), Some(d));
        let c = citizen();
        let citizen_token = store
            .create(c.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.get(&citizen_token).await.ok().flatten(),
            Some(c.clone())
        );
        assert_ne!(token, citizen_token);
        assert_eq!(store.get("not-a-token").await.ok().flatten(), None);
        store.delete(&token).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get(&token).await.ok().flatten(), None);

        // A pending log-in is taken once; a session's token is not a pending log-in and
        // taking it leaves the session alone.
        let p = pending();
        let pending_token = store
            .create(p.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.get(&pending_token).await.ok().flatten(),
            Some(p.clone())
        );
        let Session::PendingLogin(expected) = p else {
            panic!("not a pending login")
        };
        assert_eq!(
            store
                .take_pending_login(&pending_token)
                .await
                .ok()
                .flatten(),
            Some(expected)
        );
        assert_eq!(
            store
                .take_pending_login(&pending_token)
                .await
                .ok()
                .flatten(),
            None
        );
        assert_eq!(store.get(&pending_token).await.ok().flatten(), None);
        assert_eq!(
            store
                .take_pending_login(&citizen_token)
                .await
                .ok()
                .flatten(),
            None
        );
        assert_eq!(store.get(&citizen_token).await.ok().flatten(), Some(c));
        store
            .delete(&citizen_token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn pending() -> Session {
        Session::PendingLogin(PendingCitizenLogin {
            tenant_id: Uuid::now_v7(),
            login: PendingLogin {
                state: "st".into(),
                nonce: "no".into(),
                pkce_verifier: "ve".into(),
                created_at: Utc::now(),
            },
            return_to: Some("/t/kobenhavn/permits".into()),
        })
    }

    #[test]
    fn a_pending_login_is_not_logged_in_and_lives_briefly() {
        let p = pending();
        assert!(!p.is_logged_in() && citizen().is_logged_in());
        assert_eq!(p.ttl(), PENDING_LOGIN_TTL);
        let json = serde_json::to_string(&p).unwrap_or_else(|e| panic!("{e}"));
        assert!(json.starts_with(PENDING_LOGIN_PREFIX), "{json}");
        assert!(
            !format!("{p:?}").contains("\"ve\""),
            "Debug hides the verifier"
        );
    }

    #[tokio::test]
    async fn in_memory_round_trip() {
        round_trip(&InMemorySessions::default()).await;
    }

    /// Runs against the Redis named by `CIVICPAYTEST_REDIS_URL` (CI sets it); skipped, with a
    /// message, where none is configured.
    #[tokio::test]
    async fn redis_round_trip() {
        let Ok(url) = std::env::var("CIVICPAYTEST_REDIS_URL") else {
            eprintln!("CIVICPAYTEST_REDIS_URL not set: Redis session test not run");
            return;
        };
        let store = RedisSessions::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        round_trip(&store).await;
    }
}
