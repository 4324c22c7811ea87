//! Who is asking, for which council, in which language.

use crate::error::{ApiError, ApiResult};
use civicpay_auth::{CitizenSession, Session, SessionData, SessionStore, parse_api_key};
use civicpay_domain::{ApiScope, Locale, Permission, Role};
use civicpay_store::{ApiKeyRecord, Store, TenantRecord, TenantScope};
use std::sync::Arc;

/// What every request shares: the store and the session store.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub sessions: Arc<dyn SessionStore>,
    /// Whether cookies are marked `Secure` (served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// The PSPs this platform runs.
    pub gateways: civicpay_psp::Gateways,
    /// The platform's public base URL (pay links, PSP return URLs), without a trailing slash.
    pub base_url: String,
    /// Let councils configured for a PSP this platform does not run use the sandbox
    /// (the embedded default); off in production, where that is an error.
    pub sandbox_fallback: bool,
    /// Every council's compiled eligibility rules and registers, built at start.
    pub eligibility: Arc<crate::eligibility::Eligibility>,
    /// Sends the outbox's e-mails; `None`: e-mails wait in the outbox until one is configured.
    pub mailer: Option<Arc<civicpay_notify::Mailer>>,
    /// The embedded default's development log-in for citizens (pick a demo person); never in
    /// production (the server refuses to start with it there).
    pub development_login: bool,
    /// Every council's eID log-in (`login.toml`), its provider discovered on first use.
    pub oidc: Arc<crate::citizen_login::OidcLogins>,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    /// A staff member with a session cookie (`token` is needed to log out).
    Staff {
        session: SessionData,
        token: String,
    },
    /// A council system with an API key.
    ApiKey(ApiKeyRecord),
    /// A citizen logged in to the council's shop; no staff permission ever.
    Citizen {
        session: CitizenSession,
        token: String,
    },
}

impl Caller {
    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Caller::Anonymous => false,
            Caller::Staff { session, .. } => session.role.allows(permission),
            Caller::ApiKey(key) => key.scopes.iter().any(|s| s.allows(permission)),
            Caller::Citizen { .. } => false,
        }
    }

    pub fn has_scope(&self, scope: ApiScope) -> bool {
        matches!(self, Caller::ApiKey(key) if key.scopes.contains(&scope))
    }

    pub fn actor(&self) -> civicpay_domain::audit::Actor {
        use civicpay_domain::audit::Actor;
        match self {
            Caller::Anonymous => Actor::System,
            Caller::Staff { session, .. } => Actor::Staff {
                user_id: session.user_id,
                email: session.email.clone(),
            },
            Caller::ApiKey(key) => Actor::ApiKey {
                key_id: key.id,
                name: key.name.clone(),
            },
            Caller::Citizen { session, .. } => Actor::Citizen {
                masked_id: session.masked_id.clone(),
            },
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Staff { session, .. } => Some(session.role),
            _ => None,
        }
    }
}

/// Everything a resolver needs to know about its request, built by the HTTP layer.
#[derive(Clone)]
pub struct RequestContext {
    pub state: ApiState,
    /// The council of the request (`/t/{slug}` or its host name); `None` on the platform
    /// endpoint `/graphql`.
    pub tenant: Option<Arc<TenantRecord>>,
    pub caller: Caller,
    /// The language negotiated from `Accept-Language`, or the council's default.
    pub locale: Locale,
    pub request_id: String,
}

impl RequestContext {
    /// The council's scope, or BAD_USER_INPUT on the platform endpoint.
    pub fn scope(&self) -> ApiResult<TenantScope> {
        match &self.tenant {
            Some(t) => Ok(self.state.store.scope(t.clone())),
            None => Err(ApiError::bad_input(
                "this field needs a council: use /t/{slug}/graphql or the council's host name",
            )),
        }
    }

    pub fn tenant(&self) -> ApiResult<&Arc<TenantRecord>> {
        self.tenant.as_ref().ok_or_else(|| {
            ApiError::bad_input(
                "this field needs a council: use /t/{slug}/graphql or the council's host name",
            )
        })
    }

    /// UNAUTHENTICATED for an anonymous caller, FORBIDDEN for one without the permission.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.caller.allows(permission) {
            return Ok(());
        }
        match self.caller {
            Caller::Anonymous => Err(ApiError::unauthenticated(
                "log in or send an API key (Authorization: Bearer …) to do this",
            )),
            _ => Err(ApiError::forbidden(format!(
                "your role or key scopes do not allow {permission:?}"
            ))),
        }
    }

    /// The language's fallback: the council's default, or English on the platform endpoint.
    pub fn fallback_locale(&self) -> Locale {
        self.tenant
            .as_ref()
            .map(|t| t.default_locale.clone())
            .unwrap_or_else(|| self.locale.clone())
    }
}

/// Resolves the caller from a session cookie and/or a bearer key. A session or key of another
/// council does not authenticate here: it is as if none was sent (the key case is refused
/// outright, since a system that sends a key expects it to work). The token of a pending eID
/// log-in is nobody's session: anonymous.
pub async fn resolve_caller(
    state: &ApiState,
    tenant: Option<&Arc<TenantRecord>>,
    session_token: Option<&str>,
    bearer: Option<&str>,
) -> ApiResult<Caller> {
    if let Some(bearer) = bearer {
        let digest = parse_api_key(bearer).map_err(|e| ApiError::unauthenticated(e.to_string()))?;
        let Some(tenant) = tenant else {
            return Err(ApiError::unauthenticated(
                "API keys belong to a council: call /t/{slug}/graphql",
            ));
        };
        let key = state
            .store
            .scope(tenant.clone())
            .api_key_by_digest(&digest)
            .await?
            .ok_or_else(|| {
                ApiError::unauthenticated("unknown or revoked API key for this council")
            })?;
        return Ok(Caller::ApiKey(key));
    }
    if let Some(token) = session_token {
        let session = state
            .sessions
            .get(token)
            .await
            .map_err(ApiError::internal)?;
        if let Some(session) = session
            && session.tenant_id() == tenant.map(|t| t.id)
        {
            return Ok(match session {
                Session::Staff(session) => Caller::Staff {
                    session,
                    token: token.to_owned(),
                },
                Session::Citizen(session) => Caller::Citizen {
                    session,
                    token: token.to_owned(),
                },
                Session::PendingLogin(_) => Caller::Anonymous,
            });
        }
    }
    Ok(Caller::Anonymous)
}

pub use civicpay_domain::negotiate as negotiate_locale;
