//! The sender against a real HTTP server (wiremock) on loopback.

use std::time::Duration;

use chrono::{DateTime, Utc};
use civicpay_notify::{
    Delivery, EVENT_ID_HEADER, SIGNATURE_HEADER, VerifyError, WebhookSecret, WebhookSender, verify,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn secret(s: &str) -> WebhookSecret {
    WebhookSecret::new(s.to_owned()).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": "0190a7e4-5b1c-7c3e-9a51-4f1f2d3e4a5b",
        "type": "payment_request.paid",
        "created_at": "2025-06-15T14:26:40Z",
        "tenant": "aarhus",
        "data": {"payment_request": {
            "id": "0190a7e4-0000-7000-8000-000000000001",
            "reference": "PR-2025-000123",
            "external_reference": "SAG-42",
            "status": "paid",
            "amount": {"amount": "123.45", "currency": "DKK"},
            "paid_at": "2025-06-15T14:26:38Z"
        }}
    }))
    .unwrap_or_else(|e| panic!("json: {e}"))
}

fn delivery(url: String) -> Delivery {
    Delivery {
        event_id: uuid::Uuid::now_v7(),
        url,
        body: body(),
    }
}

#[tokio::test]
async fn delivers_signed_request_that_the_receiver_can_verify() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/civicpay/hook"))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", "civicpay-webhooks/1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let (old, new) = (
        secret("whsec_0123456789abcdefghijABCDEFGHIJ01"),
        secret("whsec_ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvuts99"),
    );
    let d = delivery(format!("{}/civicpay/hook", server.uri()));
    let now = Utc::now();
    let outcome = WebhookSender::new()
        .send(&d, &[old.clone(), new.clone()], now)
        .await;
    assert!(outcome.succeeded, "{outcome:?}");
    assert_eq!(outcome.status, Some(204));
    assert_eq!(outcome.error, None);

    let requests = server
        .received_requests()
        .await
        .unwrap_or_else(|| panic!("request recording is on"));
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.body, d.body);
    let header_text = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_owned()
    };
    assert_eq!(header_text(EVENT_ID_HEADER), d.event_id.to_string());
    let signature = header_text(SIGNATURE_HEADER);
    assert!(
        signature.starts_with(&format!("t={},v1=", now.timestamp())),
        "{signature}"
    );

    // The receiver's side: each secret of the rotation verifies; a stranger's does not.
    assert_eq!(verify(&old, &signature, &request.body, Utc::now()), Ok(()));
    assert_eq!(verify(&new, &signature, &request.body, Utc::now()), Ok(()));
    assert_eq!(
        verify(
            &WebhookSecret::generate(),
            &signature,
            &request.body,
            Utc::now()
        ),
        Err(VerifyError::SignatureMismatch)
    );
}

#[tokio::test]
async fn server_error_is_a_failure_with_status_and_excerpt() {
    let server = MockServer::start().await;
    let long_body = format!("database down {}", "x".repeat(4000));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string(long_body))
        .mount(&server)
        .await;
    let outcome = WebhookSender::new()
        .send(
            &delivery(server.uri()),
            &[WebhookSecret::generate()],
            Utc::now(),
        )
        .await;
    assert!(!outcome.succeeded);
    assert_eq!(outcome.status, Some(500));
    assert_eq!(outcome.error, None);
    assert!(outcome.response_excerpt.starts_with("database down "));
    assert_eq!(outcome.response_excerpt.len(), 1024);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "http://127.0.0.1:1/"))
        .mount(&server)
        .await;
    let outcome = WebhookSender::new()
        .send(
            &delivery(server.uri()),
            &[WebhookSecret::generate()],
            Utc::now(),
        )
        .await;
    assert!(!outcome.succeeded);
    assert_eq!(outcome.status, Some(302));
}

#[tokio::test]
async fn connection_refused_is_a_failure_with_error() {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"))
        .port();
    drop(listener);

    let outcome = WebhookSender::new()
        .send(
            &delivery(format!("http://127.0.0.1:{port}/hook")),
            &[WebhookSecret::generate()],
            Utc::now(),
        )
        .await;
    assert!(!outcome.succeeded);
    assert_eq!(outcome.status, None);
    let error = outcome
        .error
        .unwrap_or_else(|| panic!("an error is recorded"));
    assert!(error.starts_with("connection failed"), "{error}");
}

#[tokio::test]
async fn slow_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(11)))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let outcome = WebhookSender::with_timeout(Duration::from_secs(1))
        .send(
            &delivery(server.uri()),
            &[WebhookSecret::generate()],
            Utc::now(),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!outcome.succeeded);
    assert_eq!(outcome.status, None);
    let error = outcome
        .error
        .unwrap_or_else(|| panic!("an error is recorded"));
    assert!(error.contains("timed out"), "{error}");
    assert!(outcome.duration_ms >= 1000, "{}", outcome.duration_ms);
}

#[tokio::test]
async fn invalid_url_is_a_failure_without_a_request() {
    let outcome = WebhookSender::new()
        .send(
            &delivery("ftp://example.dk/hook".into()),
            &[WebhookSecret::generate()],
            DateTime::<Utc>::UNIX_EPOCH,
        )
        .await;
    assert!(!outcome.succeeded);
    assert_eq!(outcome.status, None);
    assert!(outcome.error.is_some_and(|e| e.contains("http or https")));
}
