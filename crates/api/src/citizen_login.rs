//! Citizens logging in to a council's shop: the embedded default's development log-in, and the
//! national eID over OpenID Connect (`login.toml`), so that the pages need only two thin
//! routes — one that calls [`begin_oidc_login`] (sets the pending-login cookie, redirects to
//! the provider) and the callback that calls [`finish_oidc_login`] (sets the session cookie,
//! redirects back to where the citizen was).
//!
//! The login between the two is kept server-side, in the session store, as a
//! [`Session::PendingLogin`] under its own random token: it counts as nobody's session
//! (`resolve_caller` sees an anonymous caller), is taken — read and deleted in one step — at
//! the callback so it is used once, and is refused after [`civicpay_auth::PENDING_LOGIN_TTL`].
//! Each council's provider is discovered on its first log-in and kept ([`OidcLogins`]).
//!
//! Nothing here puts the national id, the code or a token in an error or the log.

use crate::context::{ApiState, Caller, RequestContext};
use crate::eligibility;
use crate::error::{ApiError, ApiResult};
use chrono::{Duration, Utc};
use civicpay_auth::{
    ActingCompany, CitizenSession, OidcConfig, OidcError, OidcProvider, PENDING_LOGIN_TTL,
    PendingCitizenLogin, Session,
};
use civicpay_domain::Locale;
use civicpay_registries::{CompanyId, IdCountry, NationalId};
use civicpay_store::{TenantRecord, TenantScope};
use civicpay_tenant_config::LoginConfig;
use secrecy::SecretString;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

pub use crate::schema::session_cookie;

/// The cookie holding the pending-login token between the start of an eID log-in and its
/// callback (see [`pending_login_cookie`]).
pub const PENDING_LOGIN_COOKIE: &str = "civicpay_login";

/// A provider's metadata is fetched again after this long, to follow endpoint changes (its
/// signing keys are followed without that).
const REDISCOVER_AFTER: Duration = Duration::hours(24);

/// The callback path of a council's eID log-in, `/t/{slug}/login/callback`: what the provider
/// redirects to unless `login.toml` gives `redirect_url`.
pub fn callback_path(slug: &str) -> String {
    format!("/t/{slug}/login/callback")
}

/// Where a finished log-in goes when the start gave no (usable) `return_to`: the council's shop.
pub fn default_return_to(slug: &str) -> String {
    format!("/t/{slug}/")
}

/// The pending-login cookie: HttpOnly, SameSite=Lax (the provider's redirect back is a
/// top-level GET, which Lax lets through), only sent to `/t/{slug}/login`, gone after the
/// pending login's lifetime; `clear` deletes it (at the callback).
pub fn pending_login_cookie(slug: &str, token: &str, secure: bool, clear: bool) -> String {
    let max_age = if clear {
        0
    } else {
        PENDING_LOGIN_TTL.num_seconds()
    };
    let mut cookie = format!(
        "{PENDING_LOGIN_COOKIE}={token}; Path=/t/{slug}/login; HttpOnly; SameSite=Lax; Max-Age={max_age}"
    );
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// `raw` if it is a local path inside the council's shop (`/t/{slug}/…`, no `//`, no `\`, no
/// dot segments, printable ASCII, at most 1024 bytes); `None` otherwise, so a crafted link
/// cannot send a citizen elsewhere after logging in (no open redirect).
pub fn safe_return_to(slug: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw?;
    let prefix = format!("/t/{slug}/");
    let lower = raw.to_ascii_lowercase();
    let dot_segment = lower
        .split(['/', '?', '#'])
        .any(|segment| segment == "." || segment == "..")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c");
    let ok = raw.starts_with(&prefix)
        && raw.len() <= 1024
        && raw.bytes().all(|b| b.is_ascii_graphic())
        && !raw.contains("//")
        && !raw.contains('\\')
        && !dot_segment;
    ok.then(|| raw.to_owned())
}

type SecretSource = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Reads a secret from the environment variable `name`, or from the file `$name_FILE` names.
fn secret_from_env(name: &str) -> Option<String> {
    if let Ok(value) = std::env::var(name) {
        return Some(value);
    }
    let path = std::env::var(format!("{name}_FILE")).ok()?;
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim_end_matches(['\r', '\n']).to_owned())
}

/// Every council's eID log-in as its `login.toml` gives it, and each council's provider once
/// discovered. Part of [`ApiState`] (`state.oidc`).
pub struct OidcLogins {
    configs: BTreeMap<String, LoginConfig>,
    providers: RwLock<HashMap<String, Arc<OidcProvider>>>,
    secrets: Box<SecretSource>,
}

impl std::fmt::Debug for OidcLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcLogins")
            .field("councils", &self.configs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for OidcLogins {
    fn default() -> Self {
        Self::empty()
    }
}

impl OidcLogins {
    /// No council has an eID log-in.
    pub fn empty() -> Self {
        Self::from_configs([])
    }

    /// The `login.toml` of every council folder of `tenants_dir` that loads (a folder that
    /// does not load is logged, as `Eligibility::load` does, and has no eID log-in). Nothing is
    /// fetched yet: each provider is discovered at its council's first log-in.
    pub fn load(tenants_dir: &Path) -> Self {
        let mut configs = Vec::new();
        for (dir, loaded) in civicpay_tenant_config::load_all(tenants_dir) {
            match loaded {
                Ok(config) => {
                    if let Some(login) = config.login {
                        configs.push((config.slug.to_string(), login));
                    }
                }
                Err(e) => {
                    tracing::error!(dir = %dir.display(), error = %e, "council folder does not load; no eID log-in for it");
                }
            }
        }
        Self::from_configs(configs)
    }

    /// [`OidcLogins::load`], ready for [`ApiState::oidc`].
    pub fn load_shared(tenants_dir: &Path) -> Arc<Self> {
        Arc::new(Self::load(tenants_dir))
    }

    /// The given councils' log-ins (by slug); client secrets are read from the environment.
    pub fn from_configs(configs: impl IntoIterator<Item = (String, LoginConfig)>) -> Self {
        Self {
            configs: configs.into_iter().collect(),
            providers: RwLock::new(HashMap::new()),
            secrets: Box::new(secret_from_env),
        }
    }

    /// Reads client secrets with `source` (by the variable name `client_secret_env` gives)
    /// instead of from the environment: for tests.
    pub fn with_secrets(
        mut self,
        source: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.secrets = Box::new(source);
        self
    }

    /// The council's eID log-in, if it has one.
    pub fn config(&self, slug: &str) -> Option<&LoginConfig> {
        self.configs.get(slug)
    }

    /// The council's provider: discovered on first use (and again after a day), then shared.
    async fn provider(
        &self,
        slug: &str,
        config: &LoginConfig,
        base_url: &str,
    ) -> ApiResult<Arc<OidcProvider>> {
        if let Some(provider) = self.cached(slug)
            && Utc::now() - provider.discovered_at() < REDISCOVER_AFTER
        {
            return Ok(provider);
        }
        let client_secret = match &config.client_secret_env {
            Some(name) => match (self.secrets)(name) {
                Some(secret) if !secret.is_empty() => Some(SecretString::from(secret)),
                _ => {
                    tracing::error!(council = %slug, variable = %name, "the eID log-in's client secret is read from this environment variable, which is not set");
                    return Err(misconfigured());
                }
            },
            None => None,
        };
        let redirect_url = match &config.redirect_url {
            Some(url) if url.starts_with('/') => format!("{base_url}{url}"),
            Some(url) => url.clone(),
            None => format!("{base_url}{}", callback_path(slug)),
        };
        let discovered = OidcProvider::discover(OidcConfig {
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            client_secret,
            redirect_url,
            scopes: config.scopes.clone(),
            national_id_claim: config.national_id_claim.clone(),
            name_claim: config.name_claim.clone(),
        })
        .await
        .map(|provider| provider.with_company_id_claim(config.company_id_claim.as_deref()));
        match discovered {
            Ok(provider) => {
                let provider = Arc::new(provider);
                self.providers
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(slug.to_owned(), provider.clone());
                Ok(provider)
            }
            Err(e) => {
                // A stale provider still works better than none while the broker is away.
                if let Some(stale) = self.cached(slug) {
                    tracing::warn!(council = %slug, error = %e, "eID provider discovery failed; using the metadata from before");
                    return Ok(stale);
                }
                Err(provider_error(slug, &e))
            }
        }
    }

    fn cached(&self, slug: &str) -> Option<Arc<OidcProvider>> {
        self.providers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(slug)
            .cloned()
    }
}

fn misconfigured() -> ApiError {
    ApiError::conflict(
        "the eID log-in is not set up correctly for this council; it has been logged — try again later",
    )
}

/// A provider that cannot be used (configuration, discovery): CONFLICT, logged.
fn provider_error(slug: &str, e: &OidcError) -> ApiError {
    tracing::error!(council = %slug, error = %e, "the council's eID log-in cannot be used");
    match e {
        OidcError::Config(_) => misconfigured(),
        other => ApiError::conflict(format!(
            "the eID log-in is not available right now; try again later ({other})"
        )),
    }
}

fn login_failed(detail: impl std::fmt::Display) -> ApiError {
    ApiError::unauthenticated(format!("the eID log-in failed: {detail}"))
}

/// The council's eID log-in button label in `locale` (else the council's default language),
/// or `None` when the council has no eID log-in (`login.toml`).
pub fn oidc_label(state: &ApiState, tenant: &TenantRecord, locale: &Locale) -> Option<String> {
    state
        .oidc
        .config(tenant.slug.as_str())
        .map(|c| c.label_for(locale, &tenant.default_locale).to_owned())
}

/// Whether the council has an eID log-in configured.
pub fn has_oidc_login(state: &ApiState, tenant: &TenantRecord) -> bool {
    state.oidc.config(tenant.slug.as_str()).is_some()
}

/// FORBIDDEN unless the platform runs with `development_login` (never in production).
pub fn require_development_login(state: &ApiState) -> ApiResult<()> {
    if state.development_login {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the development log-in is off on this platform; log in with your national eID",
        ))
    }
}

/// The company `raw` (a company number of the council's `country`) as a session acts for it,
/// with the pseudonym its permits are held under. The name comes from the council's business
/// register (company numbers are public: no look-up is logged); a company the register does
/// not know is refused when `must_exist` (the development log-in), else named by its number
/// (the eID vouched for it; the register may be away or lag behind).
async fn acting_company(
    state: &ApiState,
    slug: &str,
    country: IdCountry,
    raw: &str,
    must_exist: bool,
) -> ApiResult<(ActingCompany, String)> {
    let id = CompanyId::parse(country, raw)
        .map_err(|e| ApiError::bad_input(format!("companyId: {e}")))?;
    let name = match eligibility::look_up_company(state, slug, &id).await {
        Ok(found) => found.map(|company| company.name),
        Err(e) if must_exist => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e.message, "the business register gave no name for the company log-in");
            None
        }
    };
    let name = match name {
        Some(name) => name,
        None if must_exist => {
            return Err(ApiError::not_found(
                "no such company in this council's demo business register",
            ));
        }
        None => {
            let scheme = match id.kind() {
                civicpay_registries::CompanyIdKind::Cvr => "CVR",
                civicpay_registries::CompanyIdKind::Kvk => "KvK",
                civicpay_registries::CompanyIdKind::Nip => "NIP",
            };
            format!("{scheme} {}", id.as_str())
        }
    };
    let holder_key = state.eligibility.company_pseudonym(&id);
    Ok((
        ActingCompany {
            company_id: id.as_str().to_owned(),
            name,
        },
        holder_key,
    ))
}

/// The embedded default's development log-in: the council's demo person with `national_id`
/// (as its register knows them) becomes the session's citizen — acting for the demo company
/// `company_id` when one is given (as a business eID would vouch). Refused (FORBIDDEN) unless
/// the platform runs with `development_login`; the person look-up is logged. Returns the
/// session and its token for the cookie.
#[tracing::instrument(skip_all, fields(tenant = %scope.tenant().slug))]
pub async fn development_login(
    req: &RequestContext,
    scope: &TenantScope,
    national_id: &str,
    company_id: Option<&str>,
) -> ApiResult<(CitizenSession, String)> {
    require_development_login(&req.state)?;
    let slug = scope.tenant().slug.to_string();
    let council = req
        .state
        .eligibility
        .council(&slug)
        .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
    let id = NationalId::parse(council.country, national_id)
        .map_err(|e| ApiError::bad_input(format!("nationalId: {e}")))?;
    let person =
        eligibility::look_up_person(req, scope, "development log-in", "development log-in", &id)
            .await?
            .ok_or_else(|| ApiError::not_found("no such person in this council's demo register"))?;
    let (company, holder_key) = match company_id.map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => {
            let (company, key) =
                acting_company(&req.state, &slug, council.country, raw, true).await?;
            (Some(company), key)
        }
        None => (None, req.state.eligibility.pseudonym(&id)),
    };
    let session = CitizenSession {
        tenant_id: scope.tenant_id(),
        national_id_sealed: req.state.eligibility.seal(&id),
        holder_key,
        masked_id: id.masked(),
        name: person.name,
        method: "development".into(),
        created_at: Utc::now(),
        company,
    };
    let token = req
        .state
        .sessions
        .create(Session::Citizen(session.clone()))
        .await
        .map_err(ApiError::internal)?;
    Ok((session, token))
}

/// Starts an eID log-in at `tenant`: its provider (discovered on first use), a fresh pending
/// login stored under its own token, and where to send the browser. `return_to` is kept only
/// when it is a local path of this council's shop ([`safe_return_to`]).
///
/// Returns `(pending-login token for the cookie, the provider's authorize URL)`. NOT_FOUND when
/// the council has no eID log-in; CONFLICT when its provider cannot be used right now.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn begin_oidc_login(
    state: &ApiState,
    tenant: &TenantRecord,
    return_to: Option<&str>,
) -> ApiResult<(String, String)> {
    let slug = tenant.slug.as_str();
    let config = state
        .oidc
        .config(slug)
        .ok_or_else(|| ApiError::not_found("this council has no eID log-in"))?;
    let provider = state.oidc.provider(slug, config, &state.base_url).await?;
    let start = provider.begin();
    let token = state
        .sessions
        .create(Session::PendingLogin(PendingCitizenLogin {
            tenant_id: tenant.id,
            login: start.pending,
            return_to: safe_return_to(slug, return_to),
        }))
        .await
        .map_err(ApiError::internal)?;
    Ok((token, start.authorize_url))
}

/// Ends the pending login of `pending_token` without a log-in: the provider sent the person
/// back with an error (they cancelled, or it failed). It is used up as a finished one would be,
/// so its state cannot be replayed afterwards. A token of anything else is left alone.
pub async fn abandon_oidc_login(state: &ApiState, pending_token: &str) {
    if let Err(e) = state.sessions.take_pending_login(pending_token).await {
        tracing::warn!(error = %e, "an abandoned eID log-in could not be cleared");
    }
}

/// Finishes an eID log-in at the callback of `tenant`: takes the pending login of
/// `pending_token` (deleted before the provider is asked, so it works once), refuses one
/// started at another council, trades `code` for the ID token and checks it (state, signature,
/// issuer, audience, expiry, nonce), parses the national id for the council's country, takes
/// the name from the token or else from the council's person register (the look-up logged),
/// and creates the citizen's session (method `oidc`).
///
/// Returns `(the session, its token for the cookie, the local path to send the browser to)`.
/// Every refusal is UNAUTHENTICATED "the eID log-in failed: …"; a provider that cannot be used
/// is CONFLICT.
#[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
pub async fn finish_oidc_login(
    state: &ApiState,
    tenant: &TenantRecord,
    pending_token: &str,
    code: &str,
    returned_state: &str,
) -> ApiResult<(CitizenSession, String, String)> {
    let slug = tenant.slug.as_str();
    let pending = state
        .sessions
        .take_pending_login(pending_token)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            login_failed(
                "it was not started in this browser, was already used, or is too old; start again",
            )
        })?;
    if pending.tenant_id != tenant.id {
        tracing::warn!("an eID log-in started at another council came back here; refused");
        return Err(login_failed(
            "it was started for another council; start again",
        ));
    }
    let config = state
        .oidc
        .config(slug)
        .ok_or_else(|| ApiError::not_found("this council has no eID log-in"))?;
    let provider = state.oidc.provider(slug, config, &state.base_url).await?;
    let identity = match provider.finish(&pending.login, code, returned_state).await {
        Ok(identity) => identity,
        Err(e @ (OidcError::Config(_) | OidcError::Discovery(_))) => {
            return Err(provider_error(slug, &e));
        }
        Err(e) => {
            tracing::warn!(error = %e, "eID log-in refused");
            return Err(login_failed(e));
        }
    };
    let country = IdCountry::from_iso(tenant.country.as_str()).map_err(|e| {
        tracing::error!(error = %e, "no national ids for the council's country");
        misconfigured()
    })?;
    let id = NationalId::parse(country, &identity.national_id).map_err(|e| {
        tracing::warn!(error = %e, "the eID provider's national id does not parse");
        login_failed(format!(
            "the eID provider did not give a national id of this council's country ({e})"
        ))
    })?;

    let tenant = Arc::new(tenant.clone());
    let scope = state.store.scope(tenant.clone());
    let name = match identity.name {
        Some(name) => name,
        None => person_name(state, &tenant, &scope, &id)
            .await
            .unwrap_or_else(|| id.masked()),
    };
    // A business eID: the person logs in for the company its claim names.
    let (company, holder_key) = match &identity.company_id {
        Some(raw) => {
            let (company, key) = acting_company(state, slug, country, raw, false)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e.message, "the eID provider's company number does not parse");
                    login_failed(format!(
                        "the eID provider did not give a company number of this council's country ({})",
                        e.message
                    ))
                })?;
            (Some(company), key)
        }
        None => (None, state.eligibility.pseudonym(&id)),
    };
    let session = CitizenSession {
        tenant_id: tenant.id,
        national_id_sealed: state.eligibility.seal(&id),
        holder_key,
        masked_id: id.masked(),
        name,
        method: "oidc".into(),
        created_at: Utc::now(),
        company,
    };
    let token = state
        .sessions
        .create(Session::Citizen(session.clone()))
        .await
        .map_err(ApiError::internal)?;
    let return_to = pending.return_to.unwrap_or_else(|| default_return_to(slug));
    Ok((session, token, return_to))
}

/// The person's name from the council's register when the eID gave none (the look-up is
/// logged); `None` when the council has no register, the person is not in it, or it did not
/// answer — the log-in goes on without a name.
async fn person_name(
    state: &ApiState,
    tenant: &Arc<TenantRecord>,
    scope: &TenantScope,
    id: &NationalId,
) -> Option<String> {
    state
        .eligibility
        .council(tenant.slug.as_str())
        .and_then(|c| c.registries.as_ref())?;
    let req = RequestContext {
        state: state.clone(),
        tenant: Some(tenant.clone()),
        caller: Caller::Anonymous,
        locale: tenant.default_locale.clone(),
        request_id: "eid-login".into(),
    };
    match eligibility::look_up_person(&req, scope, "eID log-in", "eID log-in: the name", id).await {
        Ok(person) => person.map(|p| p.name),
        Err(e) => {
            tracing::warn!(error = %e.message, "the person register gave no name for the eID log-in");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_is_a_local_path_of_the_council() {
        let ok = |raw: &str| safe_return_to("kobenhavn", Some(raw));
        assert_eq!(
            ok("/t/kobenhavn/permits?sku=P-RES-K1").as_deref(),
            Some("/t/kobenhavn/permits?sku=P-RES-K1")
        );
        assert_eq!(ok("/t/kobenhavn/").as_deref(), Some("/t/kobenhavn/"));
        for bad in [
            "https://evil.example/t/kobenhavn/",
            "//evil.example/t/kobenhavn/",
            "/t/kobenhavn//evil.example",
            "/t/kobenhavn/\\evil.example",
            "/t/kobenhavn/../../evil",
            "/t/kobenhavn/%2e%2e/evil",
            "/t/kobenhavnx/",
            "/t/odense/permits",
            "/t/kobenhavn/a b",
            "/t/kobenhavn/x?next=https://evil.example",
            "/t/kobenhavn",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
        assert_eq!(safe_return_to("kobenhavn", None), None);
    }

    #[test]
    fn the_pending_login_cookie_is_scoped_to_the_login_routes() {
        let cookie = pending_login_cookie("kobenhavn", "tok", true, false);
        assert!(cookie.starts_with("civicpay_login=tok;"), "{cookie}");
        assert!(cookie.contains("Path=/t/kobenhavn/login;"), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Max-Age=600") && cookie.ends_with("; Secure"));
        assert!(pending_login_cookie("kobenhavn", "", false, true).contains("Max-Age=0"));
        assert_eq!(callback_path("aarhus"), "/t/aarhus/login/callback");
    }
}
