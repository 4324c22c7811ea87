//! Sessions — of staff and of citizens — behind one trait: in process on the embedded default,
//! in Redis when `REDIS_URL` is set so that any node can serve any request.
//!
//! The cookie carries a random token; stores keep only its SHA-256 digest, so a dump of Redis
//! does not hand out live sessions.

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
}

/// What a session cookie stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Session {
    Staff(SessionData),
    Citizen(CitizenSession),
}

impl Session {
    /// The council the session is bound to (`None`: vendor staff).
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Session::Staff(s) => s.tenant_id,
            Session::Citizen(c) => Some(c.tenant_id),
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
        sessions.insert(token_key(&token), (data, now + SESSION_TTL));
        Ok(token)
    }

    async fn get(&self, token: &str) -> Result<Option<Session>, SessionError> {
        let mut sessions = self.sessions.write().await;
        let now = Utc::now();
        match sessions.get_mut(&token_key(token)) {
            Some((data, expires)) if *expires > now => {
                *expires = now + SESSION_TTL;
                Ok(Some(data.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, token: &str) -> Result<(), SessionError> {
        self.sessions.write().await.remove(&token_key(token));
        Ok(())
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

fn ttl_seconds() -> u64 {
    u64::try_from(SESSION_TTL.num_seconds()).unwrap_or(28_800)
}

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
            .arg(ttl_seconds())
            .query_async::<()>(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(token)
    }

    async fn get(&self, token: &str) -> Result<Option<Session>, SessionError> {
        let mut con = self.connection.clone();
        // GETEX reads and renews the idle timeout in one round trip. A value this version
        // cannot read (written by an older one) is no session: the user logs in again.
        let value: Option<String> = redis::cmd("GETEX")
            .arg(token_key(token))
            .arg("EX")
            .arg(ttl_seconds())
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
        })
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
        assert_eq!(store.get(&citizen_token).await.ok().flatten(), Some(c));
        assert_ne!(token, citizen_token);
        assert_eq!(store.get("not-a-token").await.ok().flatten(), None);
        store.delete(&token).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get(&token).await.ok().flatten(), None);
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
