//! HTTP adapters for real public registers, each implementing one port:
//!
//! | adapter | port | register |
//! |---|---|---|
//! | [`HaalCentraalBrp`] | [`PersonRegistry`](crate::PersonRegistry) | NL Haal Centraal BRP API Personen (BRP bevragen v2) |
//! | [`RdwOpenData`] | [`VehicleRegistry`](crate::VehicleRegistry) | NL RDW Open Data (Socrata), datasets `m9d7-ebf2` + `8ys7-d773` |
//! | [`CvrDistribution`] | [`BusinessRegistry`](crate::BusinessRegistry) | DK CVR system-to-system (Elasticsearch `cvr-permanent`) |
//! | [`PdokLocatieserver`] | [`AddressRegistry`](crate::AddressRegistry) | NL PDOK Locatieserver v3.1 `free` + the council's zones |
//!
//! They are meant to sit behind [`Resilient`](crate::Resilient), so they only *classify* what
//! went wrong, the same way everywhere ([`HttpClient`] does it for all four):
//!
//! * no answer in time, connection refused, 5xx, 429 → [`RegistryError::Unavailable`] naming
//!   the register and saying "try again later" (retried and counted by the breaker);
//! * 401/403 → [`RegistryError::Unavailable`] saying the register refused civicpay's
//!   credentials, logged at error level: an operator has to fix the key or the certificate;
//! * 400/422 and other 4xx, or an answer that is not the documented JSON →
//!   [`RegistryError::Invalid`] naming the register and what was missing;
//! * 404, or an empty result list → `Ok(None)`.
//!
//! No message and no log line contains a national id: the person's number is only in the
//! body sent to the BRP, never in a URL, and any run of six or more digits in text that
//! comes back from a register (a problem document, a JSON parse error) is replaced by `…`
//! before it is put in a message.

pub mod brp;
pub mod cvr;
pub mod pdok;
pub mod rdw;

pub use brp::HaalCentraalBrp;
pub use cvr::CvrDistribution;
pub use pdok::PdokLocatieserver;
pub use rdw::RdwOpenData;

use crate::ports::RegistryError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// A credential (API key, password). `Debug` never shows it; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for putting it in a request header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Where a register is and how long one HTTP request to it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The register's base URL without the operation path, e.g.
    /// `https://proefomgeving.haalcentraal.nl/haalcentraal/api/brp`, `https://opendata.rdw.nl`,
    /// `http://distribution.virk.dk`, `https://api.pdok.nl` (each adapter's `DEFAULT_BASE_URL`).
    pub base_url: String,
    /// Sent as the register's key header where it has one: `X-API-KEY` for the BRP,
    /// `X-App-Token` for RDW (optional there: only raises the rate limit). Unused by PDOK and
    /// CVR (CVR takes a user and password, see [`CvrDistribution::new`]).
    pub api_key: Option<Secret>,
    /// The whole request — connect, send, wait, read the body. Default 3 s. Keep it at or
    /// below [`ResilienceConfig::timeout`](crate::ResilienceConfig::timeout).
    pub timeout: Duration,
}

impl HttpConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

    /// No key, the default timeout.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    pub fn with_api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// One register's HTTP client: a reqwest client (rustls, the request timeout, default headers
/// marked sensitive) and the register's name for messages.
#[derive(Debug, Clone)]
pub struct HttpClient {
    register: &'static str,
    base: String,
    timeout: Duration,
    http: reqwest::Client,
}

impl HttpClient {
    /// `register` names the register in messages: "person register (Haal Centraal BRP)".
    /// `headers` are sent with every request; pass a key with [`sensitive`] so it never
    /// shows in reqwest's debug output.
    pub fn new(
        register: &'static str,
        config: &HttpConfig,
        headers: HeaderMap,
    ) -> Result<Self, RegistryError> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base).map_err(|e| {
            RegistryError::Invalid(format!(
                "the {register}'s base URL {base:?} is not a URL ({e})"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(RegistryError::Invalid(format!(
                "the {register}'s base URL {base:?} must start with http:// or https://"
            )));
        }
        if config.timeout.is_zero() {
            return Err(RegistryError::Invalid(format!(
                "the {register}'s request timeout must be more than zero"
            )));
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .default_headers(headers)
            .user_agent(concat!("civicpay-registries/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| {
                RegistryError::Invalid(format!(
                    "cannot set up the HTTP client for the {register} (TLS initialisation failed)"
                ))
            })?;
        Ok(Self {
            register,
            base,
            timeout: config.timeout,
            http,
        })
    }

    pub fn register(&self) -> &'static str {
        self.register
    }

    /// The base URL joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> Result<Url, RegistryError> {
        Url::parse(&format!("{}{path}", self.base)).map_err(|e| {
            RegistryError::Invalid(format!(
                "the {} URL for {path} is not valid ({e})",
                self.register
            ))
        })
    }

    /// The host of the base URL, for a fact's `source`.
    pub fn host(&self) -> String {
        Url::parse(&self.base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| self.base.clone())
    }

    pub fn get(&self, url: Url) -> RequestBuilder {
        self.http.get(url)
    }

    pub fn post(&self, url: Url) -> RequestBuilder {
        self.http.post(url)
    }

    /// Sends `request` and reads a JSON body of type `T`: `Ok(None)` on 404, the error
    /// classification of this module otherwise. `what` names the answer in messages
    /// ("the search result").
    pub async fn fetch_json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        what: &str,
    ) -> Result<Option<T>, RegistryError> {
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(self.register, &e, self.timeout))?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            // None of the four registers answers 404 for an unknown key (they answer an empty
            // list), so a 404 may well be a wrong base URL: say so to the operator.
            tracing::warn!(
                register = self.register,
                "HTTP 404 taken as not found; if every look-up says so, check the base URL"
            );
            return Ok(None);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(self.register, &e, self.timeout))?;
        if !status.is_success() {
            return Err(status_error(self.register, status, &body));
        }
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            // serde's message may quote a value from the body: redact numbers.
            self.malformed(format!(
                "{what} is not the documented JSON ({})",
                redact_numbers(&e.to_string())
            ))
        })
    }

    /// [`RegistryError::Invalid`] for an answer whose content is not what the register
    /// documents: "the person register (Haal Centraal BRP) answered with data civicpay cannot
    /// use: personen[0] has no naam.volledigeNaam". `problem` is written by the adapter and
    /// must not contain a national id (company and production unit numbers are public).
    pub fn malformed(&self, problem: impl fmt::Display) -> RegistryError {
        tracing::warn!(register = self.register, %problem, "register answered malformed data");
        RegistryError::Invalid(format!(
            "the {} answered with data civicpay cannot use: {problem}",
            self.register
        ))
    }
}

/// A header value that reqwest never prints, e.g. an API key.
pub fn sensitive(
    register: &str,
    name: &'static str,
    secret: &Secret,
) -> Result<(HeaderName, HeaderValue), RegistryError> {
    let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
        RegistryError::Invalid(format!(
            "the {register}'s API key contains characters that cannot be sent in an HTTP header"
        ))
    })?;
    value.set_sensitive(true);
    Ok((HeaderName::from_static(name), value))
}

/// Classifies a failed request (no status code): timeouts and refused connections are
/// "try again later"; a body that could not be decoded is invalid data. The reqwest error
/// itself is not put in the message (its text contains the URL, which may hold a plate or an
/// address).
pub fn transport_error(register: &str, error: &reqwest::Error, timeout: Duration) -> RegistryError {
    if error.is_timeout() {
        tracing::warn!(register, "register timed out");
        RegistryError::Unavailable(format!(
            "the {register} did not answer within {}; try again later",
            human(timeout)
        ))
    } else if error.is_connect() {
        tracing::warn!(register, "register cannot be reached");
        RegistryError::Unavailable(format!("the {register} cannot be reached; try again later"))
    } else if error.is_decode() {
        RegistryError::Invalid(format!(
            "the {register} sent an answer civicpay cannot read"
        ))
    } else {
        tracing::warn!(register, "register request failed");
        RegistryError::Unavailable(format!(
            "the {register} is not answering properly (the connection failed); try again later"
        ))
    }
}

/// Classifies an HTTP error status. `body` may be a problem document (RFC 7807), a Socrata
/// or an Elasticsearch error; its title or message is quoted (numbers redacted) for 4xx.
pub fn status_error(register: &str, status: StatusCode, body: &[u8]) -> RegistryError {
    let code = status.as_u16();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            tracing::error!(
                register,
                status = code,
                "the register refused civicpay's credentials; check the configured key, user or certificate"
            );
            RegistryError::Unavailable(format!(
                "the {register} refused civicpay's credentials (HTTP {code}): an administrator has to renew or correct them; try again later"
            ))
        }
        StatusCode::TOO_MANY_REQUESTS => {
            tracing::warn!(register, status = code, "register rate limit reached");
            RegistryError::Unavailable(format!(
                "the {register} is busy (too many requests); try again later"
            ))
        }
        s if s.is_server_error() => {
            tracing::warn!(register, status = code, "register server error");
            RegistryError::Unavailable(format!(
                "the {register} has a problem of its own (HTTP {code}); try again later"
            ))
        }
        s if s.is_client_error() => {
            let detail = error_detail(body)
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            tracing::warn!(register, status = code, "register rejected the question");
            RegistryError::Invalid(format!(
                "the {register} rejected the question (HTTP {code}){detail}"
            ))
        }
        _ => {
            tracing::warn!(
                register,
                status = code,
                "register answered an unexpected status"
            );
            RegistryError::Unavailable(format!(
                "the {register} answered unexpectedly (HTTP {code}); try again later"
            ))
        }
    }
}

/// The title of a problem document, a Socrata `message` or an Elasticsearch `error`, with
/// numbers redacted and at most 200 characters.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = ["/title", "/message", "/error/reason", "/error"]
        .iter()
        .find_map(|p| value.pointer(p).and_then(serde_json::Value::as_str))?;
    let mut text = redact_numbers(text.trim());
    if text.chars().count() > 200 {
        text = text.chars().take(200).collect::<String>() + "…";
    }
    (!text.is_empty()).then_some(text)
}

/// Replaces every run of six or more digits with `…`, so a national id a register echoes
/// back (in a problem document or a parse error) never reaches a message or a log.
pub fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 6 {
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `3 s`, `1.5 s`, `200 ms`.
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{}.{} s", d.as_secs(), d.subsec_millis() / 100)
    }
}

/// A JSON scalar as text: strings as they are, numbers printed (`104` → `"104"`).
pub(crate) fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_are_redacted() {
        assert_eq!(
            redact_numbers("invalid type: string \"999993653\", expected u32 at line 1"),
            "invalid type: string \"…\", expected u32 at line 1"
        );
        assert_eq!(redact_numbers("211062-5629"), "…-5629");
        assert_eq!(
            redact_numbers("HTTP 400 at column 12345"),
            "HTTP 400 at column 12345"
        );
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let config = HttpConfig::new("https://example.test").with_api_key("s3cr3t-key");
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn status_codes_are_classified() {
        let unavailable = |code: u16| {
            StatusCode::from_u16(code)
                .map(|s| status_error("test register", s, b"").is_unavailable())
                .unwrap_or(false)
        };
        for code in [401, 403, 429, 500, 502, 503, 504] {
            assert!(unavailable(code), "{code}");
        }
        for code in [400, 406, 415, 422] {
            assert!(!unavailable(code), "{code}");
        }
        let problem = br#"{"type":"https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1","title":"Een of meerdere parameters zijn niet correct.","status":400,"detail":"burgerservicenummer 999993653"}"#;
        let Some(status) = StatusCode::from_u16(400).ok() else {
            panic!("400 is a status");
        };
        let message = status_error("person register", status, problem).to_string();
        assert!(
            message.contains("Een of meerdere parameters zijn niet correct."),
            "{message}"
        );
        assert!(!message.contains("999993653"), "{message}");
    }

    #[test]
    fn timeouts_print_readably() {
        assert_eq!(human(Duration::from_millis(300)), "300 ms");
        assert_eq!(human(Duration::from_secs(3)), "3 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
    }
}
