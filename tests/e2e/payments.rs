//! The payment register through the public API only: payment requests from a council system,
//! the sandbox PSP's hosted page, signed callbacks, refunds, the CSV export, idempotency.

use civicpay_domain::Role;
pub use civicpay_tests::payments_key;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub async fn with_key(
    app: &TestApp,
    slug: &str,
    key: &str,
    query: &str,
    variables: Value,
) -> Value {
    TestApp::client()
        .post(app.endpoint(Some(slug)))
        .bearer_auth(key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub const CREATE: &str = r#"mutation($input: PaymentRequestInput!, $key: String!) {
  createPaymentRequest(input: $input, idempotencyKey: $key) { id reference referenceScheme payUrl status amount { amount currency } }
}"#;

pub fn request_input(external: &str, callback: Option<String>) -> Value {
    json!({
        "description": "Library: lost book",
        "externalReference": external,
        "lines": [
            { "description": "Replacement of lost book", "unitPrice": "180.00", "vatCode": "exempt" },
            { "description": "Handling fee", "unitPrice": "20.00", "quantity": 2, "vatCode": "standard" }
        ],
        "debtor": { "kind": "NATIONAL_ID", "value": "010190-1234" },
        "dueDate": "2027-01-31",
        "callbackUrl": callback,
        "returnUrl": "https://library.example/back"
    })
}

/// A browser that does not follow redirects, so each hop can be checked.
/// A browser without JavaScript: keeps cookies (the pay page's CSRF cookie), no redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Submits a pay link's form as a browser does: opens the page (its CSRF token and cookie),
/// then posts the e-mail for the receipt. The response is the redirect to the PSP.
pub async fn start_pay_link(
    browser: &reqwest::Client,
    pay_url: &str,
    email: &str,
) -> reqwest::Response {
    let page = browser
        .get(pay_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<form method=\"post\""), "{page}");
    let csrf = crate::shop::csrf_of(&page);
    browser
        .post(pay_url)
        .form(&[("csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Pays a pay link on the sandbox's hosted page with `card`, as a person would with a
/// browser without JavaScript. Returns the status page URL.
pub async fn pay_with_card(pay_url: &str, card: &str) -> String {
    let browser = browser();
    let to_psp = start_pay_link(&browser, pay_url, "citizen@example.org").await;
    assert_eq!(to_psp.status(), 303, "{:?}", to_psp.text().await);
    let checkout = location(&to_psp);
    assert!(checkout.contains("/sandbox/checkout/"), "{checkout}");
    let form = browser
        .get(&checkout)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"card_number\""), "{form}");
    assert!(
        form.contains("4242424242424242"),
        "test cards are listed on the page"
    );
    let back = browser
        .post(&checkout)
        .form(&[("card_number", card), ("expiry", "12/34"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    location(&back)
}

/// Polls until `check` holds for the payment request, or fails after 15 s.
pub async fn wait_for_request(
    app: &TestApp,
    slug: &str,
    key: &str,
    id: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let query = r#"query($id: ID!) { paymentRequest(id: $id) { status paid { amount }
        payments { id reference status captured { amount } refunded { amount } flaggedReason
                   events { sequence event fromStatus toStatus pspReference pspEventId actor } } } }"#;
    for _ in 0..150 {
        let body = with_key(app, slug, key, query, json!({ "id": id })).await;
        if check(&body["data"]["paymentRequest"]) {
            return body["data"]["paymentRequest"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("payment request {id} never reached the expected state");
}

#[tokio::test]
async fn the_whole_journey_through_the_public_api() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    app.create_user(Some("odense"), "admin@odense.test", Role::TenantAdmin)
        .await;
    app.create_user(Some("odense"), "finance@odense.test", Role::Finance)
        .await;
    let admin = app.logged_in(Some("odense"), "admin@odense.test").await;
    let secret = app
        .gql_with(
            &admin,
            Some("odense"),
            "mutation { rotateWebhookSecret }",
            json!({}),
        )
        .await["data"]["rotateWebhookSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let council_system = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/callback"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&council_system)
        .await;

    // 1. The council system creates a payment request with its API key.
    let input = request_input(
        "LIB-2026-0001",
        Some(format!("{}/callback", council_system.uri())),
    );
    let created = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": input, "key": "lib-1" }),
    )
    .await;
    let request = &created["data"]["createPaymentRequest"];
    assert_eq!(request["status"], "open", "{created}");
    assert_eq!(
        request["amount"],
        json!({ "amount": "220.00", "currency": "DKK" })
    );
    assert_eq!(request["referenceScheme"], "fik_plus71");
    let reference = request["reference"].as_str().unwrap();
    civicpay_domain::reference::PaymentReference::parse(
        civicpay_domain::reference::ReferenceScheme::FikPlus71,
        reference,
    )
    .unwrap_or_else(|e| panic!("{reference}: {e}"));
    let id = request["id"].as_str().unwrap().to_owned();
    let pay_url = request["payUrl"].as_str().unwrap().to_owned();

    // The same key and input replays the answer; other input under that key is a conflict.
    let again = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": input, "key": "lib-1" }),
    )
    .await;
    assert_eq!(again["data"]["createPaymentRequest"]["id"], id.as_str());
    let other = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": request_input("LIB-OTHER", None), "key": "lib-1" }),
    )
    .await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");

    // 2. The payer pays on the sandbox page with the success card.
    let status_url = pay_with_card(&pay_url, "4242424242424242").await;
    assert!(status_url.contains("/status"), "{status_url}");

    // 3. The PSP's webhook arrives asynchronously: captured, fulfilled, the bill paid.
    let paid = wait_for_request(&app, "odense", &key, &id, |r| r["status"] == "paid").await;
    let payment = &paid["payments"][0];
    assert_eq!(payment["status"], "CAPTURED", "{paid}");
    // The sandbox reports `authorized` and `captured`; they may arrive in either order, and an
    // `authorized` arriving after `captured` is stale and changes nothing.
    let events: Vec<&str> = payment["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .filter(|e| *e != "authorized")
        .collect();
    assert_eq!(
        events,
        ["created", "checkout_started", "captured", "fulfilled"],
        "{paid}"
    );
    let captured = payment["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "captured")
        .unwrap();
    assert!(
        captured["pspEventId"]
            .as_str()
            .unwrap()
            .starts_with("sbxevt_"),
        "{captured}"
    );
    assert_eq!(captured["actor"]["kind"], "system");
    let status_page = reqwest::get(&status_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        status_page.contains("data-status=\"captured\""),
        "{status_page}"
    );

    // 4. The council system receives the signed callback.
    let mut callback = None;
    for _ in 0..100 {
        if let Some(r) = council_system
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .next()
        {
            callback = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let callback = callback.expect("no callback arrived");
    let signature = callback
        .headers
        .get("civicpay-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let secret = civicpay_notify::WebhookSecret::new(secret).unwrap();
    civicpay_notify::verify(&secret, &signature, &callback.body, chrono::Utc::now())
        .unwrap_or_else(|e| panic!("callback signature: {e}"));
    let body: Value = serde_json::from_slice(&callback.body).unwrap();
    assert_eq!(body["type"], "payment_request.paid");
    assert_eq!(
        body["data"]["payment_request"]["external_reference"],
        "LIB-2026-0001"
    );
    assert_eq!(body["tenant"], "odense");

    // 5. Finance refunds half with a reason.
    let finance = app.logged_in(Some("odense"), "finance@odense.test").await;
    let payment_id = payment["id"].as_str().unwrap();
    let refund = app
        .gql_with(
            &finance,
            Some("odense"),
            r#"mutation($p: ID!) { refundPayment(paymentId: $p, amount: "110.00", reason: "book found", idempotencyKey: "r-1") { status amount { amount } } }"#,
            json!({ "p": payment_id }),
        )
        .await;
    assert_eq!(
        refund["data"]["refundPayment"]["status"], "succeeded",
        "{refund}"
    );
    let after = app
        .gql_with(
            &finance,
            Some("odense"),
            r#"query($p: ID!) { payment(id: $p) { status refunded { amount } events { event } lines { description lineTotal { amount } } } }"#,
            json!({ "p": payment_id }),
        )
        .await;
    assert_eq!(
        after["data"]["payment"]["status"], "PARTIALLY_REFUNDED",
        "{after}"
    );
    assert_eq!(after["data"]["payment"]["refunded"]["amount"], "110.00");

    // The register finds it by method, reference, SKU-less filters and amount range, with totals.
    let search = app
        .gql_with(
            &finance,
            Some("odense"),
            r#"query($ref: String!) {
                byMethod: payments(filter: { method: "card", statuses: [PARTIALLY_REFUNDED] }) { totals { count amount { amount } refunded { amount } } nodes { method } }
                byReference: payments(filter: { reference: $ref }) { totals { count } }
                byAmount: payments(filter: { amountMin: "300.00" }) { totals { count } }
            }"#,
            json!({ "ref": "LIB-2026-0001" }),
        )
        .await;
    assert_eq!(search["data"]["byMethod"]["totals"]["count"], 1, "{search}");
    assert_eq!(
        search["data"]["byMethod"]["totals"]["refunded"]["amount"],
        "110.00"
    );
    assert_eq!(search["data"]["byMethod"]["nodes"][0]["method"], "card");
    assert_eq!(search["data"]["byReference"]["totals"]["count"], 1);
    assert_eq!(search["data"]["byAmount"]["totals"]["count"], 0);

    // 6. The CSV export contains it.
    let csv = finance
        .get(format!(
            "{}/t/odense/payments.csv?status=partially_refunded",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("reference,created_at,status"), "{csv}");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains("partially_refunded")
            && lines[1].contains("220.00")
            && lines[1].contains("110.00"),
        "{csv}"
    );
    // The streamed export compressed on request: the same file.
    let gz = finance
        .get(format!(
            "{}/t/odense/payments.csv?status=partially_refunded",
            app.address
        ))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz = crate::shop::gunzip(&gz.bytes().await.unwrap());
    assert_eq!(String::from_utf8(gz).unwrap(), csv);
    // Anonymous callers get nothing.
    let anonymous = reqwest::get(format!("{}/t/odense/payments.csv", app.address))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_declined_card_ends_failed_with_nothing_fulfilled() {
    let app = spawn_app().await;
    let key = payments_key(&app, "odense").await;
    let council_system = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&council_system)
        .await;
    let created = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": request_input("LIB-DECLINE", Some(format!("{}/cb", council_system.uri()))), "key": "d-1" }),
    )
    .await;
    let request = &created["data"]["createPaymentRequest"];
    let id = request["id"].as_str().unwrap().to_owned();
    pay_with_card(request["payUrl"].as_str().unwrap(), "4000000000000002").await;
    let state = wait_for_request(&app, "odense", &key, &id, |r| {
        r["payments"][0]["status"] == "FAILED"
    })
    .await;
    assert_eq!(state["status"], "open", "the bill stays open: {state}");
    assert_eq!(state["paid"]["amount"], "0.00");
    let events: Vec<&str> = state["payments"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(!events.contains(&"fulfilled"), "{events:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        council_system
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "no callback for a failed payment"
    );
}

#[tokio::test]
async fn psp_webhooks_with_bad_signatures_are_refused_and_duplicates_ignored() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let forged = client
        .post(format!("{}/psp/sandbox/webhook", app.address))
        .header("sandbox-signature", "t=1,v1=00")
        .body(r#"{"id":"x","psp_reference":"y","event":{"kind":"captured"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // A correctly signed but replayed (old) event is refused too.
    let secret = civicpay_notify::WebhookSecret::new(
        "whsec_civicpay-sandbox-development-secret-0001".into(),
    )
    .unwrap();
    let body = r#"{"id":"sbxevt_old","psp_reference":"sbx_none","event":{"kind":"captured"}}"#;
    let old = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp() - 600,
        body.as_bytes(),
    );
    let replay = client
        .post(format!("{}/psp/sandbox/webhook", app.address))
        .header("sandbox-signature", old)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    // Fresh and signed, for an unknown payment: stored, reported as not found — and a retry
    // of that event is processed again rather than swallowed as a duplicate.
    let fresh = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    for _ in 0..2 {
        let attempt = client
            .post(format!("{}/psp/sandbox/webhook", app.address))
            .header("sandbox-signature", &fresh)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(attempt.status(), 404);
    }
    // An event that was processed is ignored when it comes again.
    let key = payments_key(&app, "odense").await;
    let created = with_key(
        &app,
        "odense",
        &key,
        CREATE,
        json!({ "input": request_input("DEDUP", None), "key": "dedup" }),
    )
    .await;
    let request_id = created["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay_url = created["data"]["createPaymentRequest"]["payUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = start_pay_link(&browser(), &pay_url, "").await;
    assert_eq!(started.status(), 303);
    let state = with_key(
        &app,
        "odense",
        &key,
        r#"query($id: ID!) { paymentRequest(id: $id) { payments { pspReference } } }"#,
        json!({ "id": request_id }),
    )
    .await;
    let psp_reference = state["data"]["paymentRequest"]["payments"][0]["pspReference"]
        .as_str()
        .unwrap()
        .to_owned();
    let authorized = json!({ "id": "sbxevt_dup", "psp_reference": psp_reference, "event": { "kind": "authorized" } }).to_string();
    let signature = civicpay_notify::sign(
        std::slice::from_ref(&secret),
        chrono::Utc::now().timestamp(),
        authorized.as_bytes(),
    );
    let mut notes = Vec::new();
    for _ in 0..2 {
        let answer: Value = client
            .post(format!("{}/psp/sandbox/webhook", app.address))
            .header("sandbox-signature", &signature)
            .body(authorized.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        notes.push(answer["note"].as_str().unwrap_or_default().to_owned());
    }
    assert!(notes[0].contains("Moved"), "{notes:?}");
    assert!(notes[1].contains("seen before"), "{notes:?}");
}
