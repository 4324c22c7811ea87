//! The register under faults: concurrent identical requests, parallel refunds, lost PSP
//! webhooks, crashes between the PSP and our commit, wrong amounts, other councils.

use crate::payments::{payments_key, request_input, with_key};
use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use sea_orm::{ConnectionTrait, Statement, Value as DbValue};
use serde_json::{Value, json};
use std::time::Duration;

const CREATE: &str = r#"mutation($input: PaymentRequestInput!, $key: String!) {
  createPaymentRequest(input: $input, idempotencyKey: $key) { id payUrl status } }"#;

/// Runs SQL written with `$n` placeholders on either database.
async fn sql(app: &TestApp, text: &str, values: Vec<DbValue>) {
    let db = app.platform.store.connection();
    let backend = db.get_database_backend();
    let text = if civicpay_tests::on_postgres() {
        text.to_owned()
    } else {
        text.replace('$', "?")
    };
    db.execute_raw(Statement::from_sql_and_values(backend, text, values))
        .await
        .unwrap();
}

/// The API state the server runs with, for calling the background jobs directly.
fn api_state(app: &TestApp) -> civicpay_api::ApiState {
    civicpay::api_state(&app.platform, app.address.clone())
        .unwrap()
        .0
}

async fn create_request(app: &TestApp, key: &str, external: &str) -> (String, String) {
    let body = with_key(
        app,
        "odense",
        key,
        CREATE,
        json!({ "input": request_input(external, None), "key": external }),
    )
    .await;
    let r = &body["data"]["createPaymentRequest"];
    (
        r["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned(),
        r["payUrl"].as_str().unwrap().to_owned(),
    )
}

/// Starts the payment (the browser reaches the PSP's page) without paying; returns the
/// payment id and its PSP reference.
async fn start_only(app: &TestApp, key: &str, request_id: &str, pay_url: &str) -> (String, String) {
    let r = crate::payments::start_pay_link(&crate::payments::browser(), pay_url, "").await;
    assert_eq!(r.status(), 303);
    let body = with_key(
        app,
        "odense",
        key,
        r#"query($id: ID!) { paymentRequest(id: $id) { payments { id pspReference status } } }"#,
        json!({ "id": request_id }),
    )
    .await;
    let p = &body["data"]["paymentRequest"]["payments"][0];
    assert_eq!(p["status"], "PENDING", "{body}");
    (
        p["id"].as_str().unwrap().to_owned(),
        p["pspReference"].as_str().unwrap().to_owned(),
    )
}

async fn payment(app: &TestApp, key: &str, request_id: &str) -> Value {
    let body = with_key(
        app,
        "odense",
        key,
        r#"query($id: ID!) { paymentRequest(id: $id) { status paid { amount } payments { id status flaggedReason captured { amount } events { event } } } }"#,
        json!({ "id": request_id }),
    )
    .await;
    body["data"]["paymentRequest"].clone()
}

fn count(events: &Value, name: &str) -> usize {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == name)
        .count()
}

#[tokio::test]
async fn a_hundred_concurrent_identical_requests_make_one_payment_request() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    let input = request_input("SAME-1", None);
    let calls = (0..100).map(|_| {
        with_key(
            &app,
            "odense",
            &key,
            CREATE,
            json!({ "input": input, "key": "same-key" }),
        )
    });
    let answers = futures::future::join_all(calls).await;
    let mut ids = std::collections::BTreeSet::new();
    for a in &answers {
        match a["data"]["createPaymentRequest"]["id"].as_str() {
            Some(id) => {
                ids.insert(id.to_owned());
            }
            None => assert_eq!(error_code(a), "CONFLICT", "{a}"),
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let tenant = app
        .platform
        .store
        .tenant_by_slug("odense")
        .await
        .unwrap()
        .unwrap();
    let bills = app
        .platform
        .store
        .scope(tenant)
        .open_bills(&civicpay_store::Debtor::parse("national_id", "0101901234").unwrap())
        .await
        .unwrap();
    assert_eq!(bills.len(), 1, "exactly one request in the database");
}

#[tokio::test]
async fn parallel_partial_refunds_never_exceed_the_capture() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    app.create_user(Some("odense"), "finance@odense.test", Role::Finance)
        .await;
    let (id, pay_url) = create_request(&app, &key, "REFUND-RACE").await;
    crate::payments::pay_with_card(&pay_url, "4242424242424242").await;
    crate::payments::wait_for_request(&app, "odense", &key, &id, |r| r["status"] == "paid").await;
    let payment_id = payment(&app, &key, &id).await["payments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let finance = app.logged_in(Some("odense"), "finance@odense.test").await;
    // 50 refunds of 13.20 = 660.00, three times the 220.00 captured.
    let refunds = (0..50).map(|i| {
        app.gql_with(
            &finance,
            Some("odense"),
            r#"mutation($p: ID!, $k: String!) { refundPayment(paymentId: $p, amount: "13.20", reason: "race", idempotencyKey: $k) { status } }"#,
            json!({ "p": payment_id, "k": format!("race-{i}") }),
        )
    });
    let answers = futures::future::join_all(refunds).await;
    let succeeded = answers
        .iter()
        .filter(|a| a["data"]["refundPayment"]["status"] == "succeeded")
        .count();
    for a in answers
        .iter()
        .filter(|a| a["data"]["refundPayment"].is_null())
    {
        assert_eq!(error_code(a), "CONFLICT", "{a}");
    }
    // 220.00 / 13.20 = 16.67: at most 16 fit, and with nothing else in the way all 16 do.
    assert_eq!(succeeded, 16, "{answers:?}");
    let detail = app
        .gql_with(&finance, Some("odense"), r#"query($p: ID!) { payment(id: $p) { refunded { amount } captured { amount } refunds { status } } }"#, json!({ "p": payment_id }))
        .await;
    assert_eq!(
        detail["data"]["payment"]["refunded"]["amount"], "211.20",
        "{detail}"
    );
    // The database itself refuses more, whatever the code says.
    let db = app.platform.store.connection();
    let over = db
        .execute_unprepared(&format!(
            "UPDATE payments SET refunded_minor = captured_minor + 1 WHERE id = '{payment_id}'"
        ))
        .await;
    if civicpay_tests::on_postgres() {
        assert!(
            over.is_err(),
            "the CHECK constraint must refuse over-refunding"
        );
    }
}

#[tokio::test]
async fn a_capture_whose_webhook_was_lost_is_recorded_once_after_restart() {
    let app = spawn_app_without_jobs().await;
    let key = payments_key(&app, "odense").await;
    let (id, pay_url) = create_request(&app, &key, "LOST-HOOK").await;
    let (payment_id, psp_reference) = start_only(&app, &key, &id, &pay_url).await;
    // The PSP captured, but the process died before its webhook reached us.
    sql(&app, "UPDATE sandbox_payments SET status = 'captured', captured_minor = amount_minor WHERE psp_reference = $1", vec![psp_reference.clone().into()]).await;
    sql(
        &app,
        "UPDATE payments SET expires_at = $1 WHERE id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(5)).into(),
            uuid::Uuid::parse_str(&payment_id).unwrap().into(),
        ],
    )
    .await;
    // After the restart, two nodes' recovery jobs run at once.
    let state = api_state(&app);
    let (a, b) = tokio::join!(
        civicpay_api::payments::recover_stuck_payments(&state),
        civicpay_api::payments::recover_stuck_payments(&state)
    );
    assert!(a.is_ok() && b.is_ok());
    let now = payment(&app, &key, &id).await;
    assert_eq!(now["status"], "paid", "{now}");
    let events = &now["payments"][0]["events"];
    assert_eq!(count(events, "captured"), 1, "{now}");
    assert_eq!(count(events, "fulfilled"), 1, "{now}");
    // The lost webhook finally arrives: stale, nothing changes.
    let secret = civicpay_notify::WebhookSecret::new(
        "whsec_civicpay-sandbox-development-secret-0001".into(),
    )
    .unwrap();
    let body = json!({ "id": "sbxevt_late", "psp_reference": psp_reference, "event": { "kind": "captured" }, "amount_minor": 22000, "currency": "DKK" }).to_string();
    let signature = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let late = reqwest::Client::new()
        .post(format!("{}/psp/sandbox/webhook", app.address))
        .header("sandbox-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 200);
    let after = payment(&app, &key, &id).await;
    assert_eq!(
        count(&after["payments"][0]["events"], "fulfilled"),
        1,
        "{after}"
    );
}

#[tokio::test]
async fn an_abandoned_checkout_expires_and_the_bill_stays_open() {
    let app = spawn_app_without_jobs().await;
    let key = payments_key(&app, "odense").await;
    let (id, pay_url) = create_request(&app, &key, "TIMEOUT").await;
    crate::payments::pay_with_card(&pay_url, "4000000000000259").await;
    let pending = payment(&app, &key, &id).await;
    assert_eq!(pending["payments"][0]["status"], "PENDING", "{pending}");
    let payment_id = pending["payments"][0]["id"].as_str().unwrap();
    sql(
        &app,
        "UPDATE payments SET expires_at = $1 WHERE id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(1)).into(),
            uuid::Uuid::parse_str(payment_id).unwrap().into(),
        ],
    )
    .await;
    civicpay_api::payments::recover_stuck_payments(&api_state(&app))
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    let after = payment(&app, &key, &id).await;
    assert_eq!(after["payments"][0]["status"], "EXPIRED", "{after}");
    assert_eq!(after["status"], "open");
}

#[tokio::test]
async fn a_capture_of_the_wrong_amount_is_flagged_not_fulfilled() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    let (id, pay_url) = create_request(&app, &key, "WRONG-AMOUNT").await;
    let (_, psp_reference) = start_only(&app, &key, &id, &pay_url).await;
    let secret = civicpay_notify::WebhookSecret::new(
        "whsec_civicpay-sandbox-development-secret-0001".into(),
    )
    .unwrap();
    let body = json!({ "id": "sbxevt_wrong", "psp_reference": psp_reference, "event": { "kind": "captured" }, "amount_minor": 100, "currency": "DKK" }).to_string();
    let signature = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/psp/sandbox/webhook", app.address))
        .header("sandbox-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let now = payment(&app, &key, &id).await;
    let p = &now["payments"][0];
    assert_eq!(p["status"], "CAPTURED");
    assert!(
        p["flaggedReason"].as_str().unwrap().contains("1.00 DKK"),
        "{now}"
    );
    assert_eq!(count(&p["events"], "fulfilled"), 0);
    assert_eq!(count(&p["events"], "flagged"), 1);
    assert_eq!(now["status"], "open", "the bill is not marked paid");
}

#[tokio::test]
async fn another_council_cannot_see_payments_or_requests() {
    let app = spawn_app().await;
    let odense_key = payments_key(&app, "odense").await;
    let kbh_key = payments_key(&app, "kobenhavn").await;
    let (id, pay_url) = create_request(&app, &odense_key, "PRIVATE").await;
    let (payment_id, _) = start_only(&app, &odense_key, &id, &pay_url).await;
    for (query, var) in [
        (r#"query($id: ID!) { paymentRequest(id: $id) { id } }"#, &id),
        (
            r#"query($id: ID!) { payment(id: $id) { id } }"#,
            &payment_id,
        ),
    ] {
        let body = with_key(&app, "kobenhavn", &kbh_key, query, json!({ "id": var })).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    }
    let listed = with_key(
        &app,
        "kobenhavn",
        &kbh_key,
        "{ payments { totals { count } nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(listed["data"]["payments"]["totals"]["count"], 0, "{listed}");
    let bills = with_key(
        &app,
        "kobenhavn",
        &kbh_key,
        r#"{ bills(debtor: {kind: NATIONAL_ID, value: "010190-1234"}) { id } }"#,
        json!({}),
    )
    .await;
    assert_eq!(bills["data"]["bills"], json!([]), "{bills}");
    // Odense's key on Copenhagen's endpoint does not authenticate at all.
    let foreign = with_key(
        &app,
        "kobenhavn",
        &odense_key,
        "{ payments { totals { count } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&foreign), "UNAUTHENTICATED");
    // Copenhagen's pages do not show Odense's request either.
    let page = reqwest::get(format!("{}/t/kobenhavn/pay/{id}", app.address))
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let csv = reqwest::Client::new()
        .get(format!("{}/t/kobenhavn/payments.csv", app.address))
        .bearer_auth(&kbh_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "header only: {csv}");
    let _ = Duration::from_secs(0);
}

async fn spawn_app_without_jobs() -> TestApp {
    civicpay_tests::spawn_app_with(|c| c.run_jobs = false).await
}

#[tokio::test]
async fn an_expired_request_tells_its_system_and_can_no_longer_be_paid() {
    let app = spawn_app_without_jobs().await;
    let key = payments_key(&app, "odense").await;
    let council_system = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&council_system)
        .await;
    let mut input = request_input("EXPIRES", Some(format!("{}/cb", council_system.uri())));
    input["expiresAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    let body = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": input, "key": "exp-1" }),
    )
    .await;
    let id = body["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let mut past = request_input("EXPIRED-ALREADY", None);
    past["expiresAt"] = json!("2020-01-01T00:00:00Z");
    let refused = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": past, "key": "exp-2" }),
    )
    .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    // A payer opens the pay page in a tab while the bill is still open.
    let pay_url = format!("{}/t/odense/pay/{id}", app.address);
    let browser = crate::payments::browser();
    let open_tab = browser
        .get(&pay_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::shop::csrf_of(&open_tab);
    assert!(!csrf.is_empty(), "{open_tab}");

    sql(
        &app,
        "UPDATE payment_requests SET expires_at = $1 WHERE id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(1)).into(),
            uuid::Uuid::parse_str(&id).unwrap().into(),
        ],
    )
    .await;
    let state = api_state(&app);
    civicpay_api::payments::recover_stuck_payments(&state)
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    let now = payment(&app, &key, &id).await;
    assert_eq!(now["status"], "expired", "{now}");
    // The callback is queued in the outbox; deliver it as the dispatcher would.
    civicpay_api::payments::dispatch_outbox(
        &app.platform.store,
        &civicpay_notify::WebhookSender::new(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    let received = council_system.received_requests().await.unwrap_or_default();
    assert_eq!(received.len(), 1);
    let event: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(event["type"], "payment_request.expired");
    // Its pay page no longer offers to pay, and starting a payment is refused.
    let page = browser
        .get(&pay_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-status=\"expired\""), "{page}");
    assert!(page.contains("id=\"not-payable\""), "{page}");
    assert!(!page.contains("id=\"pay\""), "no pay button: {page}");
    // The form of the tab opened before it expired is refused.
    let start = browser
        .post(&pay_url)
        .form(&[("csrf", csrf.as_str()), ("email", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 409);
}

#[tokio::test]
async fn a_late_capture_after_expiry_is_flagged_never_lost() {
    let app = spawn_app_without_jobs().await;
    let key = payments_key(&app, "odense").await;
    let (id, pay_url) = create_request(&app, &key, "LATE").await;
    let (payment_id, psp_reference) = start_only(&app, &key, &id, &pay_url).await;
    sql(
        &app,
        "UPDATE payments SET expires_at = $1 WHERE id = $2",
        vec![
            (chrono::Utc::now() - chrono::Duration::minutes(5)).into(),
            uuid::Uuid::parse_str(&payment_id).unwrap().into(),
        ],
    )
    .await;
    civicpay_api::payments::recover_stuck_payments(&api_state(&app))
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        payment(&app, &key, &id).await["payments"][0]["status"],
        "EXPIRED"
    );
    // The abandoned checkout was cancelled at the PSP too: the card form no longer takes money.
    let secret = civicpay_notify::WebhookSecret::new(
        "whsec_civicpay-sandbox-development-secret-0001".into(),
    )
    .unwrap();
    // A PSP that captured anyway (its own race) reports it: flagged for finance, not swallowed.
    let body = json!({ "id": "sbxevt_after_expiry", "psp_reference": psp_reference, "event": { "kind": "captured" }, "amount_minor": 22000, "currency": "DKK" }).to_string();
    let signature = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let r = reqwest::Client::new()
        .post(format!("{}/psp/sandbox/webhook", app.address))
        .header("sandbox-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let now = payment(&app, &key, &id).await;
    let p = &now["payments"][0];
    assert_eq!(p["status"], "EXPIRED");
    assert!(
        p["flaggedReason"]
            .as_str()
            .unwrap_or("")
            .contains("money taken"),
        "{now}"
    );
    assert_eq!(count(&p["events"], "flagged"), 1);
}

#[tokio::test]
async fn a_process_killed_right_after_the_commit_loses_no_webhook() {
    // The first process commits the payment and its outbox row, then dies before dispatching
    // (it runs no jobs: as if killed right after the commit).
    let first = spawn_app_without_jobs().await;
    let key = payments_key(&first, "odense").await;
    let council_system = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&council_system)
        .await;
    let input = request_input("KILLED", Some(format!("{}/cb", council_system.uri())));
    let body = with_key(
        &first,
        "odense",
        &key,
        CREATE,
        json!({ "input": input, "key": "killed" }),
    )
    .await;
    let id = body["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay_url = body["data"]["createPaymentRequest"]["payUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::payments::pay_with_card(&pay_url, "4242424242424242").await;
    crate::payments::wait_for_request(&first, "odense", &key, &id, |r| r["status"] == "paid").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        council_system
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // After the restart the dispatcher finds the committed event and delivers it, once.
    let _second = civicpay_tests::restart_on(&first, |_| {}).await;
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = council_system.received_requests().await.unwrap_or_default();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered.len(), 1, "exactly one delivery after the restart");
    let event: Value = serde_json::from_slice(&delivered[0].body).unwrap();
    assert_eq!(event["type"], "payment_request.paid");
}

/// Starts a payment that only reserves the money (staff approval first) and authorizes it on
/// the sandbox; returns the payment id once it is AUTHORIZED.
async fn authorized_payment(
    app: &TestApp,
    key: &str,
    staff: &reqwest::Client,
    external: &str,
) -> (String, String) {
    let (request_id, _) = create_request(app, key, external).await;
    let started = app
        .gql_with(
            staff,
            Some("odense"),
            r#"mutation($id: ID!) { startPayment(paymentRequestIds: [$id], captureLater: true) { redirectUrl payment { id } } }"#,
            json!({ "id": request_id }),
        )
        .await;
    let redirect = started["data"]["startPayment"]["redirectUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    let payment_id = started["data"]["startPayment"]["payment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let paid = browser
        .post(&redirect)
        .form(&[("card_number", "4242424242424242")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 303);
    for _ in 0..100 {
        if payment(app, key, &request_id).await["payments"][0]["status"] == "AUTHORIZED" {
            return (request_id, payment_id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("payment {payment_id} was never authorized");
}

#[tokio::test]
async fn two_concurrent_captures_call_the_psp_once() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    app.create_user(
        Some("odense"),
        "sagsbehandler@odense.test",
        Role::Caseworker,
    )
    .await;
    let staff = app
        .logged_in(Some("odense"), "sagsbehandler@odense.test")
        .await;
    let (request_id, payment_id) = authorized_payment(&app, &key, &staff, "APPROVE").await;
    let capture = |k: &'static str| {
        app.gql_with(
            &staff,
            Some("odense"),
            r#"mutation($p: ID!, $k: String!) { capturePayment(paymentId: $p, idempotencyKey: $k) { status } }"#,
            json!({ "p": payment_id, "k": k }),
        )
    };
    let (a, b) = tokio::join!(capture("approve-a"), capture("approve-b"));
    let statuses: Vec<String> = [&a, &b]
        .iter()
        .map(|r| {
            r["data"]["capturePayment"]["status"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| error_code(r))
        })
        .collect();
    assert!(
        statuses.contains(&"CAPTURED".to_owned()),
        "{statuses:?} {a} {b}"
    );
    assert!(
        statuses.contains(&"CONFLICT".to_owned()),
        "{statuses:?} {a} {b}"
    );
    let now = payment(&app, &key, &request_id).await;
    assert_eq!(now["status"], "paid", "{now}");
    let events = &now["payments"][0]["events"];
    assert_eq!(count(events, "capture_requested"), 1, "{now}");
    assert_eq!(count(events, "captured"), 1, "{now}");
    assert_eq!(count(events, "fulfilled"), 1, "{now}");
}

#[tokio::test]
async fn a_rejected_order_releases_the_money() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    app.create_user(
        Some("odense"),
        "sagsbehandler@odense.test",
        Role::Caseworker,
    )
    .await;
    let staff = app
        .logged_in(Some("odense"), "sagsbehandler@odense.test")
        .await;
    let (request_id, payment_id) = authorized_payment(&app, &key, &staff, "REJECT").await;
    let voided = app
        .gql_with(
            &staff,
            Some("odense"),
            r#"mutation($p: ID!) { voidPayment(paymentId: $p, reason: "not entitled", idempotencyKey: "reject-1") { status } }"#,
            json!({ "p": payment_id }),
        )
        .await;
    assert_eq!(
        voided["data"]["voidPayment"]["status"], "VOIDED",
        "{voided}"
    );
    let now = payment(&app, &key, &request_id).await;
    assert_eq!(now["status"], "open", "{now}");
    assert_eq!(count(&now["payments"][0]["events"], "void_requested"), 1);
    // A voided payment cannot be captured afterwards.
    let late = app
        .gql_with(
            &staff,
            Some("odense"),
            r#"mutation($p: ID!) { capturePayment(paymentId: $p, idempotencyKey: "late") { status } }"#,
            json!({ "p": payment_id }),
        )
        .await;
    assert_eq!(error_code(&late), "CONFLICT", "{late}");
}
