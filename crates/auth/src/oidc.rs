//! Citizen log-in with the national eID: the OpenID Connect relying party (authorization code
//! flow with PKCE S256, state and nonce) that every council's eID broker speaks (MitID /
//! NemLog-in brokers, DigiD brokers, login.gov.pl).
//!
//! One [`OidcProvider`] per council, made once by [`OidcProvider::discover`] (which fetches the
//! discovery document and the signing keys and keeps both). [`OidcProvider::begin`] gives the
//! URL to send the browser to and a [`PendingLogin`] the app keeps server-side until the
//! callback; [`OidcProvider::finish`] trades the code for an ID token, checks it, and returns
//! the [`Identity`] with the national id read from the claim the council configured.
//!
//! `openidconnect` is the engine; its type-state client (17 type parameters, endpoints tracked
//! in the type) stays inside this module.
//!
//! Nothing here puts the national id, a code or a token into an error message or a `Debug`
//! output.

use std::sync::RwLock;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, Client, ClientId,
    ClientSecret, CsrfToken, DiscoveryError, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IdTokenFields, IdTokenVerifier, IssuerUrl,
    JsonWebKeySet, JsonWebKeySetUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    StandardTokenResponse, TokenResponse, reqwest,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A login not finished within this long is refused ([`OidcError::Expired`]); the app may drop
/// stored [`PendingLogin`]s after it too.
pub const PENDING_LOGIN_TTL: Duration = Duration::minutes(10);

/// Leeway for the ID token's `exp` against this machine's clock.
const CLOCK_LEEWAY: Duration = Duration::seconds(60);
/// Every call to the provider (discovery, keys, token) gives up after this long.
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// A token signed with an unknown key makes us fetch the provider's keys again (it may have
/// rotated them), but not more often than this, so forged tokens cannot make us hammer it.
const KEY_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Signature algorithms accepted for ID tokens: asymmetric only. HMAC with the client secret
/// (HS256…) and `none` are refused even if the provider offers them.
const ASYMMETRIC_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A council's eID log-in, as its tenant configuration gives it.
#[derive(Clone, Debug, Deserialize)]
pub struct OidcConfig {
    /// The issuer identifier; the discovery document is read from
    /// `{issuer}/.well-known/openid-configuration`. Must be `https` (plain `http` only for
    /// loopback addresses, for tests).
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone). Sent with HTTP Basic, or in the form body when
    /// the provider accepts only `client_secret_post`.
    pub client_secret: Option<SecretString>,
    /// The council's callback, e.g. `https://pay.example/t/aarhus/login/callback`, exactly as
    /// registered with the broker.
    pub redirect_url: String,
    /// Scopes besides `openid` (always asked for), e.g. `["mitid", "ssn"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The ID token claim holding the national id: `cpr`,
    /// `dk:gov:saml:attribute:CprNumberIdentifier`, `bsn`, `pesel`, …
    pub national_id_claim: String,
    /// The claim holding the person's name; `None`: the standard `name` claim.
    #[serde(default)]
    pub name_claim: Option<String>,
}

/// What the callback needs to finish a login; [`OidcProvider::begin`] makes it. Keep it
/// server-side (or sealed), bound to the browser that started the login, for at most
/// [`PENDING_LOGIN_TTL`], and delete it when the callback comes so it is used once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &self.state)
            .field("nonce", &"<redacted>")
            .field("pkce_verifier", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Where to send the browser, and what to keep until it comes back.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub authorize_url: String,
    pub pending: PendingLogin,
}

/// Who the eID said the person is. `Debug` does not show the national id.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// The ID token's `sub`.
    pub subject: String,
    /// The national id as the claim carried it (trimmed); parse and validate it for the
    /// council's country before use.
    pub national_id: String,
    pub name: Option<String>,
    /// The company number the person logged in for, when the provider has a company claim
    /// ([`OidcProvider::with_company_id_claim`]) and the token carries it (a business eID
    /// such as MitID Erhverv); parse it for the council's country before use.
    pub company_id: Option<String>,
    pub issuer: String,
    /// The `acr` claim (level of assurance), if the provider sent one.
    pub acr: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("subject", &self.subject)
            .field("national_id", &"<redacted>")
            .field("name", &self.name)
            .field("company_id", &self.company_id)
            .field("issuer", &self.issuer)
            .field("acr", &self.acr)
            .finish()
    }
}

/// Why an ID token was refused. The details name issuers, audiences, times and algorithms,
/// never claim values or the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenRejection {
    #[error("bad signature: {0}")]
    BadSignature(String),
    #[error("wrong audience: {0}")]
    WrongAudience(String),
    #[error("expired: {0}")]
    Expired(String),
    #[error("wrong nonce: {0}")]
    WrongNonce(String),
    #[error("wrong issuer: {0}")]
    WrongIssuer(String),
    #[error("the token response carried no ID token")]
    Missing,
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The council's OIDC settings are unusable (a URL that does not parse, an empty claim…).
    #[error("the eID log-in is misconfigured: {0}")]
    Config(String),
    /// The provider's discovery document or keys could not be fetched or used.
    #[error("the eID provider could not be discovered: {0}")]
    Discovery(String),
    #[error("the log-in's state does not match the one this browser started; start again")]
    StateMismatch,
    #[error("the log-in was started more than 10 minutes ago; start again")]
    Expired,
    /// The token endpoint refused the code or could not be reached.
    #[error("the eID provider's token endpoint refused the log-in: {0}")]
    TokenEndpoint(String),
    #[error("the eID provider's ID token was refused: {0}")]
    InvalidIdToken(IdTokenRejection),
    /// The ID token lacks the claim (or it is empty, or neither a string nor a number).
    #[error("the eID provider's ID token has no usable `{0}` claim")]
    MissingClaim(String),
}

/// All the ID token's claims beyond the standard ones, by name (the national id's claim is
/// configured at run time, so it cannot be a field).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ExtraClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

type Claims = IdTokenClaims<ExtraClaims, CoreGenderClaim>;
type RpIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type RpTokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
/// The client, its token endpoint's presence tracked in the type: `EndpointMaybeSet` as
/// discovery makes it, `EndpointSet` ([`RpClient`]) once we checked there is one.
type RpClientWith<HasTokenUrl> = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    RpTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
    EndpointMaybeSet,
>;
type RpClient = RpClientWith<EndpointSet>;

struct Keys {
    jwks: CoreJsonWebKeySet,
    /// When an unknown key last made us fetch the keys again.
    refreshed_at: Option<Instant>,
}

/// One council's eID provider: its discovered metadata and signing keys, cached. Cheap to
/// share (`Arc`) between requests.
pub struct OidcProvider {
    client: RpClient,
    http: reqwest::Client,
    client_id: ClientId,
    issuer: IssuerUrl,
    jwks_uri: JsonWebKeySetUrl,
    allowed_algs: Vec<CoreJwsSigningAlgorithm>,
    keys: RwLock<Keys>,
    scopes: Vec<String>,
    national_id_claim: String,
    name_claim: String,
    company_id_claim: Option<String>,
    discovered_at: DateTime<Utc>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .field("discovered_at", &self.discovered_at)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// Reads the provider's discovery document and signing keys. The document's `issuer` must
    /// equal `config.issuer` exactly.
    pub async fn discover(config: OidcConfig) -> Result<Self, OidcError> {
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer `{}`: {e}", config.issuer)))?;
        require_https(issuer.url(), "issuer").map_err(OidcError::Config)?;
        let redirect = RedirectUrl::new(config.redirect_url.clone()).map_err(|e| {
            OidcError::Config(format!("redirect URL `{}`: {e}", config.redirect_url))
        })?;
        if config.client_id.trim().is_empty() {
            return Err(OidcError::Config("the client id is empty".into()));
        }
        let national_id_claim = config.national_id_claim.trim().to_owned();
        if national_id_claim.is_empty() {
            return Err(OidcError::Config("the national id claim is empty".into()));
        }
        let name_claim = config
            .name_claim
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("name")
            .to_owned();

        let http = reqwest::Client::builder()
            // Following redirects would let a provider (or whoever edits its metadata) point
            // us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Discovery(format!("no HTTP client: {}", chain(&e))))?;

        let metadata = CoreProviderMetadata::discover_async(issuer.clone(), &http)
            .await
            .map_err(|e| OidcError::Discovery(describe_discovery(&e)))?;

        let token_url = metadata.token_endpoint().cloned().ok_or_else(|| {
            OidcError::Discovery("the provider advertises no token endpoint".into())
        })?;
        // The provider's own endpoints too: its document could point anywhere.
        require_https(token_url.url(), "token endpoint")
            .and_then(|()| {
                require_https(
                    metadata.authorization_endpoint().url(),
                    "authorization endpoint",
                )
            })
            .and_then(|()| require_https(metadata.jwks_uri().url(), "JWKS URI"))
            .map_err(OidcError::Discovery)?;

        let offered = metadata.id_token_signing_alg_values_supported();
        let allowed_algs: Vec<_> = ASYMMETRIC_ALGS
            .iter()
            .filter(|alg| offered.contains(alg))
            .cloned()
            .collect();
        if allowed_algs.is_empty() {
            return Err(OidcError::Discovery(format!(
                "the provider signs ID tokens only with {}; civicpay accepts asymmetric \
                 signatures only (RS256, PS256, ES256, EdDSA…)",
                names(offered)
            )));
        }

        let client_secret = config
            .client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose_secret().to_owned()));
        let auth_type = auth_type(
            client_secret.is_some(),
            metadata.token_endpoint_auth_methods_supported(),
        )?;
        let client_id = ClientId::new(config.client_id.clone());
        let jwks_uri = metadata.jwks_uri().clone();
        let jwks = metadata.jwks().clone();
        let client = RpClientWith::<EndpointMaybeSet>::from_provider_metadata(
            metadata,
            client_id.clone(),
            client_secret,
        )
        .set_token_uri(token_url)
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type);

        let mut scopes: Vec<String> = Vec::new();
        for scope in config.scopes.iter().map(|s| s.trim()) {
            if !scope.is_empty() && scope != "openid" && !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }

        Ok(Self {
            client,
            http,
            client_id,
            issuer,
            jwks_uri,
            allowed_algs,
            keys: RwLock::new(Keys {
                jwks,
                refreshed_at: None,
            }),
            scopes,
            national_id_claim,
            name_claim,
            company_id_claim: None,
            discovered_at: Utc::now(),
        })
    }

    /// Reads the company number from the ID token's claim `claim` too (business eIDs put the
    /// company the person logs in for there, e.g. `dk:gov:saml:attribute:CvrNumberIdentifier`).
    /// A token without the claim is a person acting for themselves. `None` or blank: no
    /// company log-in.
    pub fn with_company_id_claim(mut self, claim: Option<&str>) -> Self {
        self.company_id_claim = claim
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        self
    }

    /// The issuer, as configured and confirmed by discovery.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// When the metadata was fetched: the app may discover again after a day or so, to follow
    /// endpoint changes (signing-key rotation is followed without that).
    pub fn discovered_at(&self) -> DateTime<Utc> {
        self.discovered_at
    }

    /// Starts a login: the provider's authorize URL (response type `code`, `openid` plus the
    /// configured scopes, a fresh `state` and `nonce`, and a PKCE S256 challenge), and what to
    /// keep until the callback.
    pub fn begin(&self) -> LoginStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        LoginStart {
            authorize_url: url.to_string(),
            pending: PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                created_at: Utc::now(),
            },
        }
    }

    /// Finishes a login at the callback: checks `returned_state` against the pending login and
    /// its age, trades `code` (with the PKCE verifier) for tokens, checks the ID token
    /// (signature, issuer, audience, expiry, nonce) and reads the identity from it.
    pub async fn finish(
        &self,
        pending: &PendingLogin,
        code: &str,
        returned_state: &str,
    ) -> Result<Identity, OidcError> {
        // Compared as digests so the comparison's time says nothing about the state.
        if Sha256::digest(pending.state.as_bytes()) != Sha256::digest(returned_state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        if Utc::now() - pending.created_at > PENDING_LOGIN_TTL {
            return Err(OidcError::Expired);
        }

        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(describe_token_error)?;
        let id_token = response
            .id_token()
            .ok_or(OidcError::InvalidIdToken(IdTokenRejection::Missing))?;
        let claims = self
            .verified_claims(id_token, &Nonce::new(pending.nonce.clone()))
            .await?;

        // Every claim by name, standard or not, as the token carried it.
        let all = serde_json::to_value(&claims).map_err(|_| {
            OidcError::InvalidIdToken(IdTokenRejection::Malformed(
                "its claims could not be read".into(),
            ))
        })?;
        let national_id = claim_text(&all, &self.national_id_claim)
            .ok_or_else(|| OidcError::MissingClaim(self.national_id_claim.clone()))?;
        Ok(Identity {
            subject: claims.subject().as_str().to_owned(),
            national_id,
            name: claim_text(&all, &self.name_claim),
            company_id: self
                .company_id_claim
                .as_deref()
                .and_then(|claim| claim_text(&all, claim)),
            issuer: claims.issuer().as_str().to_owned(),
            acr: claims.auth_context_ref().map(|acr| acr.as_str().to_owned()),
        })
    }

    /// The verified claims; a token signed with a key we do not know makes us fetch the keys
    /// once more (rotation) before refusing it.
    async fn verified_claims(&self, token: &RpIdToken, nonce: &Nonce) -> Result<Claims, OidcError> {
        let jwks = self.read_keys().jwks.clone();
        match self.verify(token, nonce, jwks) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if self.may_refresh_keys() => {
                let fresh = JsonWebKeySet::fetch_async(&self.jwks_uri, &self.http)
                    .await
                    .map_err(|e| {
                        OidcError::InvalidIdToken(IdTokenRejection::BadSignature(format!(
                            "signed with an unknown key, and the provider's keys could not be \
                             fetched again: {}",
                            describe_discovery(&e)
                        )))
                    })?;
                self.write_keys().jwks = fresh.clone();
                self.verify(token, nonce, fresh)
            }
            other => other,
        }
        .map_err(|e| OidcError::InvalidIdToken(rejection(e)))
    }

    fn verify(
        &self,
        token: &RpIdToken,
        nonce: &Nonce,
        jwks: CoreJsonWebKeySet,
    ) -> Result<Claims, ClaimsVerificationError> {
        // A public-client verifier whatever the client type: it refuses HMAC-signed tokens.
        let verifier: IdTokenVerifier<'_, CoreJsonWebKey> =
            IdTokenVerifier::new_public_client(self.client_id.clone(), self.issuer.clone(), jwks)
                .set_allowed_algs(self.allowed_algs.clone())
                .set_time_fn(|| Utc::now() - CLOCK_LEEWAY);
        token.claims(&verifier, nonce).cloned()
    }

    fn may_refresh_keys(&self) -> bool {
        let mut keys = self.write_keys();
        let now = Instant::now();
        match keys.refreshed_at {
            Some(at) if now.duration_since(at) < KEY_REFRESH_INTERVAL => false,
            _ => {
                keys.refreshed_at = Some(now);
                true
            }
        }
    }

    fn read_keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_keys(&self) -> std::sync::RwLockWriteGuard<'_, Keys> {
        self.keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `https` everywhere, except plain `http` to a loopback address (tests, local fakes).
fn require_https(url: &openidconnect::url::Url, what: &str) -> Result<(), String> {
    let loopback = match url.host() {
        Some(openidconnect::url::Host::Domain(d)) => d == "localhost",
        Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(format!("the {what} `{url}` is not https"))
    }
}

/// How to present the client secret at the token endpoint: HTTP Basic unless the provider
/// says it takes only `client_secret_post`.
fn auth_type(
    has_secret: bool,
    supported: Option<&Vec<CoreClientAuthMethod>>,
) -> Result<AuthType, OidcError> {
    let Some(methods) = supported.filter(|_| has_secret) else {
        // No secret: the client id goes in the body. No list: Basic is the default (RFC 8414).
        return Ok(AuthType::BasicAuth);
    };
    if methods.contains(&CoreClientAuthMethod::ClientSecretBasic) {
        Ok(AuthType::BasicAuth)
    } else if methods.contains(&CoreClientAuthMethod::ClientSecretPost) {
        Ok(AuthType::RequestBody)
    } else {
        Err(OidcError::Discovery(format!(
            "the token endpoint accepts only {}; civicpay can send a client secret with \
             client_secret_basic or client_secret_post",
            names(methods)
        )))
    }
}

/// The claim as text: a non-empty string (trimmed) or a number.
fn claim_text(claims: &serde_json::Value, name: &str) -> Option<String> {
    match claims.get(name)? {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn rejection(e: ClaimsVerificationError) -> IdTokenRejection {
    match e {
        ClaimsVerificationError::SignatureVerification(e) => {
            IdTokenRejection::BadSignature(e.to_string())
        }
        ClaimsVerificationError::InvalidAudience(m) => IdTokenRejection::WrongAudience(m),
        ClaimsVerificationError::Expired(m) => IdTokenRejection::Expired(m),
        ClaimsVerificationError::InvalidNonce(m) => IdTokenRejection::WrongNonce(m),
        ClaimsVerificationError::InvalidIssuer(m) => IdTokenRejection::WrongIssuer(m),
        other => IdTokenRejection::Other(other.to_string()),
    }
}

fn describe_token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> OidcError {
    match e {
        // e.g. `invalid_grant: the code has expired`
        RequestTokenError::ServerResponse(response) => {
            OidcError::TokenEndpoint(response.to_string())
        }
        RequestTokenError::Request(e) => {
            OidcError::TokenEndpoint(format!("no answer: {}", chain(&e)))
        }
        // Neither the serde message nor the body: either may quote the token.
        RequestTokenError::Parse(e, _body) => {
            let path = e.path().to_string();
            if path.starts_with("id_token") {
                OidcError::InvalidIdToken(IdTokenRejection::Malformed(
                    "it is not a signed JWT with readable claims".into(),
                ))
            } else {
                OidcError::TokenEndpoint(format!("its answer could not be read (at `{path}`)"))
            }
        }
        RequestTokenError::Other(m) => OidcError::TokenEndpoint(m),
    }
}

fn describe_discovery<RE: std::error::Error + 'static>(e: &DiscoveryError<RE>) -> String {
    match e {
        // The message names the status and URL; the body is left out.
        DiscoveryError::Response(_, _, message) => message.clone(),
        DiscoveryError::Parse(e) => {
            format!("the document could not be read (at `{}`)", e.path())
        }
        DiscoveryError::Request(e) => format!("no answer: {}", chain(e)),
        DiscoveryError::UrlParse(e) => format!("bad URL: {e}"),
        DiscoveryError::Validation(m) | DiscoveryError::Other(m) => m.clone(),
        other => other.to_string(),
    }
}

/// An error and its sources, `: `-joined (reqwest's own message is only "client error").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn names<T: Serialize>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| {
            serde_json::to_value(i)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "?".into())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_as_text() {
        let claims = serde_json::json!({
            "cpr": " 0101701234 ", "bsn": 999993653, "empty": "", "list": ["a"]
        });
        assert_eq!(claim_text(&claims, "cpr").as_deref(), Some("0101701234"));
        assert_eq!(claim_text(&claims, "bsn").as_deref(), Some("999993653"));
        assert_eq!(claim_text(&claims, "empty"), None);
        assert_eq!(claim_text(&claims, "list"), None);
        assert_eq!(claim_text(&claims, "absent"), None);
    }

    #[test]
    fn only_https_or_loopback() {
        let url = |s: &str| openidconnect::url::Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert!(require_https(&url("https://broker.example/op"), "issuer").is_ok());
        assert!(require_https(&url("http://127.0.0.1:8080/op"), "issuer").is_ok());
        assert!(require_https(&url("http://localhost/op"), "issuer").is_ok());
        assert!(require_https(&url("http://broker.example/op"), "issuer").is_err());
    }

    #[test]
    fn secret_goes_by_basic_unless_only_post_is_offered() {
        use CoreClientAuthMethod::{ClientSecretBasic, ClientSecretPost, PrivateKeyJwt};
        let basic = |r: Result<AuthType, OidcError>| matches!(r, Ok(AuthType::BasicAuth));
        assert!(basic(auth_type(true, None)));
        assert!(basic(auth_type(
            true,
            Some(&vec![ClientSecretPost, ClientSecretBasic])
        )));
        assert!(matches!(
            auth_type(true, Some(&vec![ClientSecretPost])),
            Ok(AuthType::RequestBody)
        ));
        assert!(matches!(
            auth_type(true, Some(&vec![PrivateKeyJwt])),
            Err(OidcError::Discovery(_))
        ));
        assert!(basic(auth_type(false, Some(&vec![PrivateKeyJwt]))));
    }

    #[test]
    fn debug_hides_the_national_id_and_the_verifier() {
        let identity = Identity {
            subject: "s".into(),
            national_id: "0101701234".into(),
            name: None,
            company_id: Some("31022142".into()),
            issuer: "i".into(),
            acr: None,
        };
        assert!(!format!("{identity:?}").contains("0101701234"));
        assert!(
            format!("{identity:?}").contains("31022142"),
            "company numbers are public"
        );
        let pending = PendingLogin {
            state: "st".into(),
            nonce: "secret-nonce".into(),
            pkce_verifier: "secret-verifier".into(),
            created_at: Utc::now(),
        };
        let shown = format!("{pending:?}");
        assert!(!shown.contains("secret-nonce") && !shown.contains("secret-verifier"));
    }
}
