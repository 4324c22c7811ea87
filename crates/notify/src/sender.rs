//! Sending one webhook attempt over HTTP and validating callback URLs.

use std::error::Error as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, WebhookSecret, sign};

/// Whole-request timeout (connect, send, response headers and the excerpt of the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// `User-Agent` of every webhook request.
pub const USER_AGENT: &str = "civicpay-webhooks/1";
/// How much of the receiver's response body is kept in the delivery log.
pub const RESPONSE_EXCERPT_LEN: usize = 1024;
/// Longest accepted callback URL.
pub const MAX_URL_LEN: usize = 2048;

/// One event to deliver to one callback URL. The body is the JSON event, sent byte for byte as
/// it is signed; keep it stored so that every attempt (and a staff re-send) sends the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: uuid::Uuid,
    pub url: String,
    pub body: Vec<u8>,
}

/// What happened on one attempt, for the delivery log. `succeeded` (a 2xx status) is what
/// decides whether to retry; `error` explains a failure without a status (invalid URL,
/// connection refused, timeout) and is also set if a 2xx response's body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptOutcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The first [`RESPONSE_EXCERPT_LEN`] bytes of the response body (lossy UTF-8).
    pub response_excerpt: String,
    pub duration_ms: u64,
    pub succeeded: bool,
}

/// Sends signed webhook requests: POST, no redirects followed (a 3xx is a failure), rustls,
/// 10 s timeout unless [`WebhookSender::with_timeout`] says otherwise. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    // Building a client only fails if the TLS backend cannot start; that is reported on every
    // `send` rather than panicking.
    client: Result<reqwest::Client, String>,
    timeout: Duration,
}

impl Default for WebhookSender {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookSender {
    pub fn new() -> Self {
        Self::with_timeout(DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("cannot build HTTP client: {}", error_chain(&e)));
        Self { client, timeout }
    }

    /// Makes one attempt: signs `delivery.body` with every secret at `now` and POSTs it. Never
    /// panics; every failure is described in the outcome.
    pub async fn send(
        &self,
        delivery: &Delivery,
        secrets: &[WebhookSecret],
        now: DateTime<Utc>,
    ) -> AttemptOutcome {
        let started = Instant::now();
        let mut outcome = self.attempt(delivery, secrets, now).await;
        outcome.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match (&outcome.status, &outcome.error) {
            (Some(status), _) => tracing::info!(
                event_id = %delivery.event_id,
                status,
                duration_ms = outcome.duration_ms,
                succeeded = outcome.succeeded,
                "webhook attempt"
            ),
            (None, error) => tracing::warn!(
                event_id = %delivery.event_id,
                error = error.as_deref().unwrap_or_default(),
                duration_ms = outcome.duration_ms,
                "webhook attempt failed"
            ),
        }
        outcome
    }

    async fn attempt(
        &self,
        delivery: &Delivery,
        secrets: &[WebhookSecret],
        now: DateTime<Utc>,
    ) -> AttemptOutcome {
        let failed = |error: String| AttemptOutcome {
            status: None,
            error: Some(error),
            response_excerpt: String::new(),
            duration_ms: 0,
            succeeded: false,
        };
        let client = match &self.client {
            Ok(client) => client,
            Err(e) => return failed(e.clone()),
        };
        if let Err(e) = validate_callback_url(&delivery.url) {
            return failed(e);
        }
        let signature = sign(secrets, now.timestamp(), &delivery.body);
        let request = client
            .post(&delivery.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, delivery.event_id.hyphenated().to_string())
            .body(delivery.body.clone());

        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return failed(self.describe(&e)),
        };
        let status = response.status();
        let mut excerpt = Vec::new();
        let mut error = None;
        while excerpt.len() < RESPONSE_EXCERPT_LEN {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = RESPONSE_EXCERPT_LEN.saturating_sub(excerpt.len());
                    excerpt.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
                }
                Ok(None) => break,
                Err(e) => {
                    error = Some(format!("reading response body: {}", self.describe(&e)));
                    break;
                }
            }
        }
        AttemptOutcome {
            status: Some(status.as_u16()),
            error,
            response_excerpt: lossy_utf8_prefix(&excerpt),
            duration_ms: 0,
            succeeded: status.is_success(),
        }
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("timed out after {} ms", self.timeout.as_millis())
        } else if e.is_connect() {
            // The top-level "error sending request" says nothing the prefix does not.
            let causes = source_chain(e);
            let causes = if causes.is_empty() {
                error_chain(e)
            } else {
                causes
            };
            format!("connection failed: {causes}")
        } else {
            error_chain(e)
        }
    }
}

/// `e` and its sources, without the URL (the log has it already, and it may carry a token).
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "<url>");
    }
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The sources of `e`, joined with ": ", skipping repeats.
fn source_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// UTF-8 text of `bytes`, with a character cut off at the end dropped rather than shown as �.
fn lossy_utf8_prefix(bytes: &[u8]) -> String {
    let end = match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => bytes.len(),
    };
    String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes)).into_owned()
}

/// Checks a council's callback URL before it is stored: `http` or `https`, a host, no user name
/// or password, at most [`MAX_URL_LEN`] characters. Loopback and private addresses are allowed
/// (tests, and council systems on the same network).
pub fn validate_callback_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!(
            "callback URL is {} characters long, at most {MAX_URL_LEN} are allowed",
            url.len()
        ));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("callback URL is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "callback URL must use http or https, not {:?}",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("callback URL has no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("callback URL must not contain a user name or password".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_urls() {
        for url in [
            "https://council.example.dk/civicpay/webhook",
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://intranet.local/hook?token=abc",
        ] {
            assert_eq!(validate_callback_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_bad_urls() {
        let long = format!("https://example.dk/{}", "a".repeat(MAX_URL_LEN));
        for (url, says) in [
            ("not a url", "not a valid URL"),
            ("/relative/path", "not a valid URL"),
            ("ftp://example.dk/hook", "http or https"),
            ("file:///etc/passwd", "http or https"),
            ("https://user:pw@example.dk/hook", "user name or password"),
            ("https://user@example.dk/hook", "user name or password"),
            (long.as_str(), "at most 2048"),
        ] {
            match validate_callback_url(url) {
                Err(e) => assert!(e.contains(says), "{url}: {e}"),
                Ok(()) => panic!("{url} was accepted"),
            }
        }
    }

    #[test]
    fn excerpt_drops_a_cut_character() {
        let text = "æøå";
        let bytes = text.as_bytes();
        assert_eq!(lossy_utf8_prefix(&bytes[..3]), "æ");
        assert_eq!(lossy_utf8_prefix(bytes), "æøå");
        assert_eq!(lossy_utf8_prefix(b"a\xffb"), "a\u{fffd}b");
    }
}
