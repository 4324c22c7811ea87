//! The Stripe adapter against a local fake Stripe (wiremock) answering with the JSON shapes of
//! Stripe's API reference — never the internet.
// The Stripe objects below are big `json!` literals.
#![recursion_limit = "256"]

use chrono::{DateTime, Utc};
use civicpay_money::{Currency, Money};
use civicpay_psp::stripe::{
    HANDLED_EVENTS, SESSION_LIFETIME_SECONDS, StripeConfig, StripeGateway, session_expires_at,
    stripe_methods, supports_manual_capture, verify_signature,
};
use civicpay_psp::{
    CaptureMode, HostedPaymentRequest, PaymentGateway, PspError, PspEventKind, PspStatus,
};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WEBHOOK_SECRET: &str = "whsec_test_secret";
const SESSION: &str = "cs_test_a1b2c3";
const INTENT: &str = "pi_3MtwBwLkdIwHu7ix28a3tqPa";

fn dkk() -> Currency {
    Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"))
}

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap_or_else(|e| panic!("{e}"))
}

fn gateway(server: &MockServer) -> StripeGateway {
    StripeGateway::new(StripeConfig {
        secret_key: SecretString::from("sk_test_fake_key_for_wiremock"),
        webhook_secret: SecretString::from(WEBHOOK_SECRET),
        api_base: Some(server.uri()),
    })
    .unwrap_or_else(|e| panic!("gateway: {e}"))
}

/// A Checkout Session as `GET /v1/checkout/sessions/{id}` returns it (trimmed to the fields a
/// payment-mode session always has, plus the ones we read).
fn session(status: &str, payment_status: &str, payment_intent: Value) -> Value {
    let url = if status == "open" {
        json!(format!(
            "https://checkout.stripe.com/c/pay/{SESSION}#fidkdWxOYHwnPyd1blpxYHZxWjA0"
        ))
    } else {
        Value::Null
    };
    json!({
        "id": SESSION,
        "object": "checkout.session",
        "after_expiration": null,
        "allow_promotion_codes": null,
        "amount_subtotal": 12550,
        "amount_total": 12550,
        "automatic_tax": { "enabled": false, "liability": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": "https://pay.example.dk/t/aarhus/payments/1/status",
        "client_reference_id": "0190a7e4-0000-7000-8000-000000000001",
        "consent": null,
        "consent_collection": null,
        "created": 1_750_000_000,
        "currency": "dkk",
        "custom_fields": [],
        "custom_text": {
            "after_submit": null,
            "shipping_address": null,
            "submit": null,
            "terms_of_service_acceptance": null
        },
        "customer": null,
        "customer_creation": "if_required",
        "customer_details": null,
        "customer_email": null,
        "expires_at": 1_750_086_400,
        "invoice": null,
        "invoice_creation": null,
        "livemode": false,
        "locale": null,
        "metadata": {
            "civicpay_payment_id": "0190a7e4-0000-7000-8000-000000000001",
            "civicpay_capture": "manual"
        },
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_link": null,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": ["card", "mobilepay"],
        "payment_status": payment_status,
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": status,
        "submit_type": null,
        "subscription": null,
        "success_url": "https://pay.example.dk/t/aarhus/payments/1/status",
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted",
        "url": url
    })
}

/// A PaymentIntent as the API returns it.
fn intent(status: &str, amount_received: i64, extra: Value) -> Value {
    let mut pi = json!({
        "id": INTENT,
        "object": "payment_intent",
        "amount": 12550,
        "amount_capturable": if status == "requires_capture" { 12550 } else { 0 },
        "amount_details": { "tip": {} },
        "amount_received": amount_received,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "manual",
        "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "confirmation_method": "automatic",
        "created": 1_750_000_100,
        "currency": "dkk",
        "customer": null,
        "description": null,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": { "civicpay_payment_id": "0190a7e4-0000-7000-8000-000000000001" },
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": "pm_1MtwBwLkdIwHu7ixmTmgH4oj",
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": null,
        "receipt_email": null,
        "review": null,
        "setup_future_usage": null,
        "shipping": null,
        "source": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": status,
        "transfer_data": null,
        "transfer_group": null
    });
    if let (Some(pi), Some(extra)) = (pi.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            pi.insert(k.clone(), v.clone());
        }
    }
    pi
}

fn charge(amount_refunded: i64) -> Value {
    json!({
        "id": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
        "object": "charge",
        "amount": 12550,
        "amount_captured": 12550,
        "amount_refunded": amount_refunded,
        "billing_details": { "address": null, "email": null, "name": null, "phone": null },
        "captured": true,
        "created": 1_750_000_200,
        "currency": "dkk",
        "disputed": false,
        "livemode": false,
        "metadata": {},
        "paid": true,
        "payment_intent": INTENT,
        "refunded": amount_refunded == 12550,
        "status": "succeeded"
    })
}

fn stripe_error(code: &str, decline_code: Option<&str>, message: &str, kind: &str) -> Value {
    json!({
        "error": {
            "code": code,
            "decline_code": decline_code,
            "doc_url": format!("https://stripe.com/docs/error-codes/{code}"),
            "message": message,
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_xyz",
            "type": kind
        }
    })
}

/// Decodes an `application/x-www-form-urlencoded` body into (key, value) pairs.
fn form(request: &Request) -> BTreeMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 3 <= bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    let body = String::from_utf8_lossy(&request.body).into_owned();
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn requests_to(server: &MockServer, verb: &str, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == path)
        .collect()
}

fn request(capture: CaptureMode, amount: Money) -> HostedPaymentRequest {
    HostedPaymentRequest {
        methods: Vec::new(),
        payment_id: Uuid::parse_str("0190a7e4-0000-7000-8000-000000000001")
            .unwrap_or_else(|e| panic!("{e}")),
        amount,
        description: "Parking permit, zone A".into(),
        return_url: "https://pay.example.dk/t/aarhus/payments/0190a7e4/status".into(),
        capture,
        idempotency_key: "0190a7e4000070008000000000000001".into(),
    }
}

async fn mount_session(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/checkout/sessions/{SESSION}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

// ---------------------------------------------------------------- create_hosted_payment

#[tokio::test]
async fn creates_a_checkout_session_with_manual_capture() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header(
            "idempotency-key",
            "0190a7e4000070008000000000000001",
        ))
        .and(header(
            "authorization",
            "Bearer sk_test_fake_key_for_wiremock",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(session(
            "open",
            "unpaid",
            Value::Null,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let hosted = gateway(&server)
        .create_hosted_payment(&request(CaptureMode::Manual, Money::new(12550, dkk())))
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    assert_eq!(hosted.psp_reference, SESSION);
    assert!(
        hosted
            .redirect_url
            .starts_with("https://checkout.stripe.com/c/pay/cs_test_a1b2c3"),
        "{}",
        hosted.redirect_url
    );

    let sent = requests_to(&server, "POST", "/v1/checkout/sessions").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    let f = form(&sent[0]);
    let get = |k: &str| f.get(k).map(String::as_str);
    assert_eq!(get("mode"), Some("payment"));
    assert_eq!(get("line_items[0][price_data][currency]"), Some("dkk"));
    assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("12550"));
    assert_eq!(
        get("line_items[0][price_data][product_data][name]"),
        Some("Parking permit, zone A")
    );
    assert_eq!(get("line_items[0][quantity]"), Some("1"));
    assert_eq!(get("payment_intent_data[capture_method]"), Some("manual"));
    assert_eq!(
        get("payment_intent_data[metadata][civicpay_payment_id]"),
        Some("0190a7e4-0000-7000-8000-000000000001")
    );
    assert_eq!(
        get("metadata[civicpay_payment_id]"),
        Some("0190a7e4-0000-7000-8000-000000000001")
    );
    assert_eq!(get("metadata[civicpay_capture]"), Some("manual"));
    assert_eq!(
        get("client_reference_id"),
        Some("0190a7e4-0000-7000-8000-000000000001")
    );
    let back = "https://pay.example.dk/t/aarhus/payments/0190a7e4/status";
    assert_eq!(get("success_url"), Some(back));
    assert_eq!(get("cancel_url"), Some(back));
    assert_eq!(get("allowed_payment_method_types[0]"), Some("card"));
    assert_eq!(get("allowed_payment_method_types[1]"), Some("mobilepay"));
    assert_eq!(get("allowed_payment_method_types[2]"), None);
    assert_eq!(get("payment_method_types[0]"), None);
    // The fixed test payment id is from 2024, so the session gets Stripe's minimum lifetime.
    let expires: i64 = get("expires_at")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("expires_at missing"));
    let ahead = expires - Utc::now().timestamp();
    assert!(
        (30 * 60..=32 * 60).contains(&ahead),
        "expires_at {ahead} s ahead"
    );
}

#[test]
fn session_expiry_follows_the_payment_id() {
    let id = Uuid::now_v7();
    let created = Utc::now();
    let expires = session_expires_at(id, created);
    assert!((expires - created.timestamp() - SESSION_LIFETIME_SECONDS).abs() <= 1);
    // A retry 10 minutes later sends the same expires_at (same idempotent parameters)…
    assert_eq!(
        session_expires_at(id, created + chrono::Duration::minutes(10)),
        expires
    );
    // …but never less than Stripe's 30 minutes ahead.
    let late = created + chrono::Duration::minutes(40);
    assert_eq!(session_expires_at(id, late), late.timestamp() + 31 * 60);
}

#[tokio::test]
async fn automatic_capture_and_local_methods_per_currency() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session(
            "open",
            "unpaid",
            Value::Null,
        )))
        .mount(&server)
        .await;
    let gw = gateway(&server);
    gw.create_hosted_payment(&request(
        CaptureMode::Automatic,
        Money::new(2500, cur("EUR")),
    ))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    gw.create_hosted_payment(&request(
        CaptureMode::Automatic,
        Money::new(4900, cur("PLN")),
    ))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // Manual capture in PLN: BLIK and Przelewy24 cannot hold funds, so card only.
    gw.create_hosted_payment(&request(CaptureMode::Manual, Money::new(4900, cur("PLN"))))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A council that offers only card and BLIK gets only those, whatever the currency allows.
    let mut council = request(CaptureMode::Automatic, Money::new(4900, cur("PLN")));
    council.methods = vec!["card".into(), "blik".into(), "cash".into()];
    council.idempotency_key = "0190a7e4000070008000000000000002".into();
    gw.create_hosted_payment(&council)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = requests_to(&server, "POST", "/v1/checkout/sessions").await;
    let forms: Vec<_> = sent.iter().map(form).collect();
    let methods = |f: &BTreeMap<String, String>| -> Vec<String> {
        (0..5)
            .filter_map(|i| {
                f.get(&format!("allowed_payment_method_types[{i}]"))
                    .cloned()
            })
            .collect()
    };
    assert_eq!(forms[0]["payment_intent_data[capture_method]"], "automatic");
    assert_eq!(forms[0]["line_items[0][price_data][currency]"], "eur");
    assert_eq!(methods(&forms[0]), ["card", "ideal"]);
    assert_eq!(forms[1]["line_items[0][price_data][currency]"], "pln");
    assert_eq!(forms[1]["line_items[0][price_data][unit_amount]"], "4900");
    assert_eq!(methods(&forms[1]), ["card", "blik", "p24"]);
    assert_eq!(forms[2]["payment_intent_data[capture_method]"], "manual");
    assert_eq!(methods(&forms[2]), ["card"]);
    assert_eq!(methods(&forms[3]), ["card", "blik"]);
}

#[test]
fn method_mapping() {
    assert_eq!(stripe_methods(cur("DKK")), ["card", "mobilepay"]);
    assert_eq!(stripe_methods(cur("EUR")), ["card", "ideal"]);
    assert_eq!(stripe_methods(cur("PLN")), ["card", "blik", "p24"]);
    assert_eq!(stripe_methods(cur("SEK")), ["card"]);
    assert!(supports_manual_capture("card") && supports_manual_capture("mobilepay"));
    assert!(!supports_manual_capture("ideal") && !supports_manual_capture("blik"));
}

#[tokio::test]
async fn stripe_refusing_the_session_says_why() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "message": "Invalid currency: xyz",
                "param": "line_items[0][price_data][currency]",
                "type": "invalid_request_error"
            }
        })))
        .mount(&server)
        .await;
    let e = gateway(&server)
        .create_hosted_payment(&request(CaptureMode::Automatic, Money::new(100, dkk())))
        .await
        .err();
    match e {
        Some(PspError::Rejected(text)) => {
            assert!(text.contains("Invalid currency: xyz"), "{text}");
            assert!(text.contains("invalid_request_error"), "{text}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn stripe_outage_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(500).set_body_json(stripe_error(
            "api_error",
            None,
            "An unknown error occurred",
            "api_error",
        )))
        .mount(&server)
        .await;
    let e = gateway(&server)
        .create_hosted_payment(&request(CaptureMode::Automatic, Money::new(100, dkk())))
        .await
        .err();
    assert!(
        matches!(&e, Some(PspError::Unavailable(t)) if t.contains("An unknown error occurred")),
        "{e:?}"
    );
}

#[test]
fn config_is_checked() {
    let config = |key: &str, hook: &str| StripeConfig {
        secret_key: SecretString::from(key),
        webhook_secret: SecretString::from(hook),
        api_base: None,
    };
    assert!(StripeGateway::new(config("pk_test_publishable", WEBHOOK_SECRET)).is_err());
    assert!(StripeGateway::new(config("sk_test_x", "not-a-whsec")).is_err());
    assert!(StripeGateway::new(config("sk_test_x", WEBHOOK_SECRET)).is_ok());
    assert!(StripeGateway::new(config("rk_live_x", WEBHOOK_SECRET)).is_ok());
    let e = civicpay_psp::stripe::read_secret_file(std::path::Path::new(
        "/etc/civicpay/tenants/aarhus/stripe.key",
    ))
    .err();
    assert!(
        matches!(&e, Some(PspError::Unavailable(t)) if t.contains("tenants/")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- capture / void / refund

#[tokio::test]
async fn capture_captures_the_sessions_payment_intent() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session(
            "complete",
            "unpaid",
            intent("requires_capture", 0, json!({})),
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT}/capture")))
        .and(header("idempotency-key", "cap-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent(
            "succeeded",
            10000,
            json!({ "metadata": { "civicpay_checkout_session": SESSION } }),
        )))
        .expect(1)
        .mount(&server)
        .await;
    gateway(&server)
        .capture(SESSION, Money::new(10000, dkk()), "cap-1")
        .await
        .unwrap_or_else(|e| panic!("capture: {e}"));
    let get = requests_to(&server, "GET", &format!("/v1/checkout/sessions/{SESSION}")).await;
    let query = get[0].url.query().unwrap_or_default().to_owned();
    assert!(query.contains("payment_intent"), "expand missing: {query}");
    let sent = requests_to(
        &server,
        "POST",
        &format!("/v1/payment_intents/{INTENT}/capture"),
    )
    .await;
    let f = form(&sent[0]);
    assert_eq!(
        f.get("amount_to_capture").map(String::as_str),
        Some("10000")
    );
    assert_eq!(
        f.get("metadata[civicpay_checkout_session]")
            .map(String::as_str),
        Some(SESSION)
    );
}

#[tokio::test]
async fn capture_declined_is_declined() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session(
            "complete",
            "unpaid",
            intent("requires_capture", 0, json!({})),
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT}/capture")))
        .respond_with(ResponseTemplate::new(402).set_body_json(stripe_error(
            "card_declined",
            Some("generic_decline"),
            "Your card was declined.",
            "card_error",
        )))
        .mount(&server)
        .await;
    let e = gateway(&server)
        .capture(SESSION, Money::new(12550, dkk()), "cap-2")
        .await
        .err();
    match e {
        Some(PspError::Declined(text)) => {
            assert!(text.contains("Your card was declined."), "{text}");
            assert!(text.contains("card_declined"), "{text}");
            assert!(text.contains("generic_decline"), "{text}");
            assert!(text.contains("402"), "{text}");
        }
        other => panic!("expected Declined, got {other:?}"),
    }
}

#[tokio::test]
async fn capture_before_payment_or_in_another_currency_is_refused_locally() {
    let server = MockServer::start().await;
    mount_session(&server, session("open", "unpaid", Value::Null)).await;
    let gw = gateway(&server);
    let e = gw.capture(SESSION, Money::new(100, dkk()), "k").await.err();
    assert!(
        matches!(&e, Some(PspError::Rejected(t)) if t.contains("not paid")),
        "{e:?}"
    );

    let server = MockServer::start().await;
    mount_session(
        &server,
        session(
            "complete",
            "unpaid",
            intent("requires_capture", 0, json!({})),
        ),
    )
    .await;
    let e = gateway(&server)
        .capture(SESSION, Money::new(100, cur("EUR")), "k")
        .await
        .err();
    assert!(
        matches!(&e, Some(PspError::Rejected(t)) if t.contains("currency")),
        "{e:?}"
    );
    assert!(
        requests_to(
            &server,
            "POST",
            &format!("/v1/payment_intents/{INTENT}/capture")
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn unknown_session_is_unknown_payment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions/cs_test_nope"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {
                "code": "resource_missing",
                "message": "No such checkout.session: 'cs_test_nope'",
                "param": "session",
                "type": "invalid_request_error"
            }
        })))
        .mount(&server)
        .await;
    let e = gateway(&server).fetch("cs_test_nope").await.err();
    assert!(
        matches!(&e, Some(PspError::UnknownPayment(t)) if t.contains("No such checkout.session")),
        "{e:?}"
    );
    let e = gateway(&server).fetch("sbx_abc").await.err();
    assert!(matches!(e, Some(PspError::UnknownPayment(_))), "{e:?}");
}

#[tokio::test]
async fn void_stamps_and_cancels_the_payment_intent() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session(
            "complete",
            "unpaid",
            intent("requires_capture", 0, json!({})),
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT}")))
        .and(header("idempotency-key", "void-1-stamp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent(
            "requires_capture",
            0,
            json!({}),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/payment_intents/{INTENT}/cancel")))
        .and(header("idempotency-key", "void-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent(
            "canceled",
            0,
            json!({ "cancellation_reason": "requested_by_customer", "canceled_at": 1_750_000_500 }),
        )))
        .expect(1)
        .mount(&server)
        .await;
    gateway(&server)
        .void(SESSION, "void-1")
        .await
        .unwrap_or_else(|e| panic!("void: {e}"));
    let stamp = requests_to(&server, "POST", &format!("/v1/payment_intents/{INTENT}")).await;
    assert_eq!(
        form(&stamp[0])
            .get("metadata[civicpay_checkout_session]")
            .map(String::as_str),
        Some(SESSION)
    );
}

#[tokio::test]
async fn void_of_an_unpaid_session_expires_it() {
    let server = MockServer::start().await;
    mount_session(&server, session("open", "unpaid", Value::Null)).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/checkout/sessions/{SESSION}/expire")))
        .respond_with(ResponseTemplate::new(200).set_body_json(session(
            "expired",
            "unpaid",
            Value::Null,
        )))
        .expect(1)
        .mount(&server)
        .await;
    gateway(&server)
        .void(SESSION, "void-2")
        .await
        .unwrap_or_else(|e| panic!("void: {e}"));
}

#[tokio::test]
async fn void_of_an_open_session_after_a_failed_attempt_expires_it() {
    // A declined attempt leaves a PaymentIntent on the still-open session; Stripe cancels it
    // when the session expires (it does not let Checkout's PaymentIntent be cancelled).
    let server = MockServer::start().await;
    mount_session(
        &server,
        session(
            "open",
            "unpaid",
            intent("requires_payment_method", 0, json!({})),
        ),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/checkout/sessions/{SESSION}/expire")))
        .and(header("idempotency-key", "expire-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session(
            "expired",
            "unpaid",
            Value::Null,
        )))
        .expect(1)
        .mount(&server)
        .await;
    gateway(&server)
        .void(SESSION, "expire-1")
        .await
        .unwrap_or_else(|e| panic!("void: {e}"));
    assert!(
        requests_to(
            &server,
            "POST",
            &format!("/v1/payment_intents/{INTENT}/cancel")
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn void_of_an_expired_session_is_done_already() {
    let server = MockServer::start().await;
    mount_session(&server, session("expired", "unpaid", Value::Null)).await;
    gateway(&server)
        .void(SESSION, "void-4")
        .await
        .unwrap_or_else(|e| panic!("void: {e}"));
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
}

#[tokio::test]
async fn void_of_a_captured_payment_is_refused() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session("complete", "paid", intent("succeeded", 12550, json!({}))),
    )
    .await;
    let e = gateway(&server).void(SESSION, "void-3").await.err();
    assert!(
        matches!(&e, Some(PspError::Rejected(t)) if t.contains("refund")),
        "{e:?}"
    );
}

#[tokio::test]
async fn refund_refunds_the_payment_intent() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session("complete", "paid", intent("succeeded", 12550, json!({}))),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .and(header("idempotency-key", "refund-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            "object": "refund",
            "amount": 5000,
            "balance_transaction": "txn_1Nispe2eZvKYlo2CYezqFhEx",
            "charge": "ch_3MtwBwLkdIwHu7ix28a3tqPa",
            "created": 1_750_001_000,
            "currency": "dkk",
            "destination_details": null,
            "metadata": { "civicpay_checkout_session": SESSION },
            "payment_intent": INTENT,
            "reason": null,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let id = gateway(&server)
        .refund(SESSION, Money::new(5000, dkk()), "refund-1")
        .await
        .unwrap_or_else(|e| panic!("refund: {e}"));
    assert_eq!(id, "re_1Nispe2eZvKYlo2Cd31jOCgZ");
    let sent = requests_to(&server, "POST", "/v1/refunds").await;
    let f = form(&sent[0]);
    assert_eq!(f.get("payment_intent").map(String::as_str), Some(INTENT));
    assert_eq!(f.get("amount").map(String::as_str), Some("5000"));
    assert_eq!(
        f.get("metadata[civicpay_checkout_session]")
            .map(String::as_str),
        Some(SESSION)
    );
}

#[tokio::test]
async fn refund_beyond_the_charge_is_rejected_with_stripes_words() {
    let server = MockServer::start().await;
    mount_session(
        &server,
        session("complete", "paid", intent("succeeded", 12550, json!({}))),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "code": "amount_too_large",
                "message": "Refund amount (kr.200.00) is greater than charge amount (kr.125.50)",
                "param": "amount",
                "type": "invalid_request_error"
            }
        })))
        .mount(&server)
        .await;
    let e = gateway(&server)
        .refund(SESSION, Money::new(20000, dkk()), "refund-2")
        .await
        .err();
    assert!(
        matches!(&e, Some(PspError::Rejected(t)) if t.contains("amount_too_large") && t.contains("greater than charge amount")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- fetch

#[tokio::test]
async fn fetch_maps_states() {
    let cases: Vec<(Value, PspStatus, i64, i64)> = vec![
        (
            session("open", "unpaid", Value::Null),
            PspStatus::Pending,
            0,
            0,
        ),
        (
            session("expired", "unpaid", Value::Null),
            PspStatus::Expired,
            0,
            0,
        ),
        (
            session(
                "open",
                "unpaid",
                intent("requires_payment_method", 0, json!({})),
            ),
            PspStatus::Pending,
            0,
            0,
        ),
        (
            session(
                "expired",
                "unpaid",
                intent("requires_payment_method", 0, json!({})),
            ),
            PspStatus::Expired,
            0,
            0,
        ),
        (
            session(
                "complete",
                "unpaid",
                intent("requires_capture", 0, json!({})),
            ),
            PspStatus::Authorized,
            0,
            0,
        ),
        (
            session(
                "complete",
                "paid",
                intent("succeeded", 12550, json!({ "latest_charge": charge(2550) })),
            ),
            PspStatus::Captured,
            12550,
            2550,
        ),
        (
            session(
                "complete",
                "unpaid",
                intent(
                    "canceled",
                    0,
                    json!({ "cancellation_reason": "requested_by_customer" }),
                ),
            ),
            PspStatus::Voided,
            0,
            0,
        ),
        (
            session(
                "complete",
                "unpaid",
                intent("canceled", 0, json!({ "cancellation_reason": "automatic" })),
            ),
            PspStatus::Expired,
            0,
            0,
        ),
    ];
    for (body, status, captured, refunded) in cases {
        let server = MockServer::start().await;
        mount_session(&server, body.clone()).await;
        let view = gateway(&server)
            .fetch(SESSION)
            .await
            .unwrap_or_else(|e| panic!("fetch {body}: {e}"));
        assert_eq!(view.status, status, "{body}");
        assert_eq!(view.psp_reference, SESSION);
        assert_eq!(view.amount, Money::new(12550, dkk()));
        assert_eq!(view.captured_minor, captured);
        assert_eq!(view.refunded_minor, refunded);
    }
}

#[tokio::test]
async fn payment_intent_maps_back_to_its_session() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list",
            "data": [session("complete", "paid", json!(INTENT))],
            "has_more": false,
            "url": "/v1/checkout/sessions"
        })))
        .mount(&server)
        .await;
    let found = gateway(&server)
        .checkout_session_for(INTENT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found, SESSION);
    let sent = requests_to(&server, "GET", "/v1/checkout/sessions").await;
    assert!(
        sent[0]
            .url
            .query()
            .unwrap_or_default()
            .contains(&format!("payment_intent={INTENT}"))
    );
}

// ---------------------------------------------------------------- webhooks

fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_else(|| panic!("timestamp"))
}

const NOW: i64 = 1_750_000_600;

fn headers(value: String) -> BTreeMap<String, String> {
    BTreeMap::from([("stripe-signature".to_owned(), value)])
}

fn event(kind: &str, object: Value) -> String {
    json!({
        "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": NOW,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind
    })
    .to_string()
}

async fn offline_gateway() -> StripeGateway {
    // parse_webhook makes no call; any base will do.
    StripeGateway::new(StripeConfig {
        secret_key: SecretString::from("sk_test_x"),
        webhook_secret: SecretString::from(WEBHOOK_SECRET),
        api_base: Some("http://127.0.0.1:9".into()),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn standards_vector_verifies() {
    // STANDARDS §9.1: secret whsec_test_secret, t=1492774577, this body → this v1.
    let body = br#"{"id":"evt_test_webhook","object":"event"}"#;
    let header = "t=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a";
    verify_signature("whsec_test_secret", header, body, Utc::now(), None)
        .unwrap_or_else(|e| panic!("vector: {e}"));
    assert_eq!(
        sign(
            "whsec_test_secret",
            1_492_774_577,
            r#"{"id":"evt_test_webhook","object":"event"}"#
        ),
        "88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a"
    );
    // With the default tolerance the 2017 timestamp is far too old.
    let e = verify_signature("whsec_test_secret", header, body, Utc::now(), Some(300)).err();
    assert!(
        matches!(&e, Some(PspError::BadSignature(t)) if t.contains("old")),
        "{e:?}"
    );
}

#[tokio::test]
async fn webhook_signatures() {
    let gw = offline_gateway().await;
    let body = event(
        "checkout.session.expired",
        session("expired", "unpaid", Value::Null),
    );
    let good = format!("t={NOW},v1={}", sign(WEBHOOK_SECRET, NOW, &body));

    // Valid, also with the header's other schemes and a second (rotated-out) v1 around it.
    assert!(
        gw.parse_webhook(&headers(good.clone()), body.as_bytes(), at(NOW))
            .is_ok()
    );
    let rotated = format!(
        "t={NOW},v1={},v1={},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
        sign("whsec_old_secret", NOW, &body),
        sign(WEBHOOK_SECRET, NOW, &body)
    );
    assert!(
        gw.parse_webhook(&headers(rotated), body.as_bytes(), at(NOW))
            .is_ok()
    );
    // Within tolerance either way.
    assert!(
        gw.parse_webhook(&headers(good.clone()), body.as_bytes(), at(NOW + 300))
            .is_ok()
    );
    assert!(
        gw.parse_webhook(&headers(good.clone()), body.as_bytes(), at(NOW - 300))
            .is_ok()
    );

    let refused = |h: BTreeMap<String, String>, b: &str, now: i64| match gw.parse_webhook(
        &h,
        b.as_bytes(),
        at(now),
    ) {
        Err(PspError::BadSignature(text)) => text,
        other => panic!("expected BadSignature, got {other:?}"),
    };
    // Tampered body.
    let tampered = body.replace("\"expired\"", "\"complete\"");
    assert!(refused(headers(good.clone()), &tampered, NOW).contains("no v1 signature matches"));
    // Wrong secret.
    let wrong = format!("t={NOW},v1={}", sign("whsec_someone_else", NOW, &body));
    assert!(refused(headers(wrong), &body, NOW).contains("no v1 signature matches"));
    // Old and future timestamps.
    assert!(refused(headers(good.clone()), &body, NOW + 301).contains("old"));
    assert!(refused(headers(good.clone()), &body, NOW - 301).contains("future"));
    // Timestamp changed without re-signing.
    let moved = good.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
    assert!(refused(headers(moved), &body, NOW).contains("no v1 signature matches"));
    // Missing / malformed headers.
    assert!(refused(BTreeMap::new(), &body, NOW).contains("missing"));
    assert!(refused(headers(format!("t={NOW}")), &body, NOW).contains("no v1"));
    assert!(
        refused(
            headers(format!("v1={}", sign(WEBHOOK_SECRET, NOW, &body))),
            &body,
            NOW
        )
        .contains("no t=")
    );
    assert!(refused(headers("garbage".into()), &body, NOW).contains("key=value"));
    // v0 alone is not accepted.
    assert!(
        refused(
            headers(format!("t={NOW},v0={}", sign(WEBHOOK_SECRET, NOW, &body))),
            &body,
            NOW
        )
        .contains("no v1")
    );
}

async fn parsed(kind: &str, object: Value) -> Result<civicpay_psp::PspWebhook, PspError> {
    let gw = offline_gateway().await;
    let body = event(kind, object);
    let h = headers(format!("t={NOW},v1={}", sign(WEBHOOK_SECRET, NOW, &body)));
    gw.parse_webhook(&h, body.as_bytes(), at(NOW))
}

#[tokio::test]
async fn checkout_session_events() {
    let mut manual = session("complete", "unpaid", json!(INTENT));
    let w = parsed("checkout.session.completed", manual.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.event_id, "evt_1NG8Du2eZvKYlo2CUI79vXWy");
    assert_eq!(w.psp_reference, SESSION);
    assert_eq!(w.kind, PspEventKind::Authorized);
    assert_eq!(w.amount, Some(Money::new(12550, dkk())));
    assert_eq!(w.payload["type"], "checkout.session.completed");

    manual["metadata"]["civicpay_capture"] = json!("automatic");
    manual["payment_status"] = json!("paid");
    let w = parsed("checkout.session.completed", manual)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (w.psp_reference.as_str(), &w.kind),
        (SESSION, &PspEventKind::Captured)
    );
    assert_eq!(w.amount, Some(Money::new(12550, dkk())));

    let w = parsed(
        "checkout.session.async_payment_succeeded",
        session("complete", "paid", json!(INTENT)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (w.psp_reference.as_str(), &w.kind),
        (SESSION, &PspEventKind::Captured)
    );

    let w = parsed(
        "checkout.session.async_payment_failed",
        session("complete", "unpaid", json!(INTENT)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(w.kind, PspEventKind::Failed { .. }));
    assert_eq!(w.psp_reference, SESSION);

    let w = parsed(
        "checkout.session.expired",
        session("expired", "unpaid", Value::Null),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (w.psp_reference.as_str(), &w.kind, w.amount),
        (SESSION, &PspEventKind::Expired, None)
    );
}

#[tokio::test]
async fn payment_intent_events() {
    let stamped = json!({ "metadata": {
        "civicpay_payment_id": "0190a7e4-0000-7000-8000-000000000001",
        "civicpay_checkout_session": SESSION
    }});

    // Authorization: not stamped yet, so it carries the PaymentIntent id.
    let w = parsed(
        "payment_intent.amount_capturable_updated",
        intent("requires_capture", 0, json!({})),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.psp_reference, INTENT);
    assert_eq!(w.kind, PspEventKind::Authorized);
    assert_eq!(w.amount, Some(Money::new(12550, dkk())));

    // After our capture: stamped, resolves to the session.
    let w = parsed(
        "payment_intent.succeeded",
        intent("succeeded", 10000, stamped.clone()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.psp_reference, SESSION);
    assert_eq!(w.kind, PspEventKind::Captured);
    assert_eq!(w.amount, Some(Money::new(10000, dkk())));

    let mut failed = intent(
        "requires_payment_method",
        0,
        json!({ "last_payment_error": {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "type": "card_error"
        }}),
    );
    let w = parsed("payment_intent.payment_failed", failed.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.psp_reference, INTENT);
    match &w.kind {
        PspEventKind::Failed { reason } => {
            assert!(reason.contains("insufficient funds"), "{reason}");
            assert!(reason.contains("card_declined") && reason.contains("insufficient_funds"));
        }
        other => panic!("{other:?}"),
    }
    failed["metadata"] = stamped["metadata"].clone();
    let w = parsed("payment_intent.payment_failed", failed)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.psp_reference, SESSION);
    assert_eq!(w.amount, None);

    let mut cancelled = intent(
        "canceled",
        0,
        json!({ "cancellation_reason": "requested_by_customer" }),
    );
    cancelled["metadata"] = stamped["metadata"].clone();
    let w = parsed("payment_intent.canceled", cancelled.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (w.psp_reference.as_str(), &w.kind),
        (SESSION, &PspEventKind::Voided)
    );
    cancelled["cancellation_reason"] = json!("automatic");
    let w = parsed("payment_intent.canceled", cancelled)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.kind, PspEventKind::Expired);
}

#[tokio::test]
async fn charge_refunded_event() {
    let w = parsed("charge.refunded", charge(5000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.kind, PspEventKind::Refunded);
    assert_eq!(w.amount, Some(Money::new(5000, dkk())));
    assert_eq!(w.psp_reference, INTENT);
    let mut stamped = charge(12550);
    stamped["metadata"] = json!({ "civicpay_checkout_session": SESSION });
    let w = parsed("charge.refunded", stamped)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.psp_reference, SESSION);
}

#[tokio::test]
async fn unhandled_and_broken_events_are_rejected() {
    let e = parsed(
        "customer.created",
        json!({ "id": "cus_1", "object": "customer" }),
    )
    .await
    .err();
    assert!(
        matches!(&e, Some(PspError::Rejected(t)) if t.contains("customer.created") && t.contains("checkout.session.completed")),
        "{e:?}"
    );
    assert_eq!(HANDLED_EVENTS.len(), 9);

    // Signed but not JSON.
    let gw = offline_gateway().await;
    let body = "not json";
    let h = headers(format!("t={NOW},v1={}", sign(WEBHOOK_SECRET, NOW, body)));
    assert!(matches!(
        gw.parse_webhook(&h, body.as_bytes(), at(NOW)),
        Err(PspError::Rejected(_))
    ));
}

#[test]
fn name_is_stripe() {
    let gw = StripeGateway::new(StripeConfig {
        secret_key: SecretString::from("sk_test_x"),
        webhook_secret: SecretString::from(WEBHOOK_SECRET),
        api_base: None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gw.name(), "stripe");
}
