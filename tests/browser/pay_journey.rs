//! A citizen pays a council's payment request in a real browser: the pay page, the sandbox
//! PSP's hosted page with the success test card, and the status page until it says the payment
//! was received. Every page is screenshotted and checked with axe.

use crate::support::Browser;
use civicpay_tests::{TestApp, payments_key, spawn_app};
use serde_json::{Value, json};

/// Creates a payment request as a council system does, over the public GraphQL API.
async fn create_request(app: &TestApp, slug: &str) -> Value {
    let key = payments_key(app, slug).await;
    let body: Value = TestApp::client()
        .post(app.endpoint(Some(slug)))
        .bearer_auth(&key)
        .json(&json!({
            "query": "mutation($input: PaymentRequestInput!, $key: String!) {
                createPaymentRequest(input: $input, idempotencyKey: $key) { id reference payUrl status }
            }",
            "variables": {
                "key": "browser-1",
                "input": {
                    "description": "Library: lost book",
                    "externalReference": "LIB-BROWSER-1",
                    "lines": [
                        { "description": "Replacement of lost book", "unitPrice": "180.00", "vatCode": "exempt" },
                        { "description": "Handling fee", "unitPrice": "20.00", "quantity": 2, "vatCode": "standard" }
                    ],
                    "debtor": { "kind": "NATIONAL_ID", "value": "010190-1234" },
                    "dueDate": "2027-01-31",
                    "returnUrl": "https://library.example/back"
                }
            }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = body["data"]["createPaymentRequest"].clone();
    assert_eq!(request["status"], "open", "{body}");
    request
}

#[tokio::test]
async fn a_citizen_pays_a_payment_request_with_the_success_card() {
    let Some(browser) = Browser::start("pay_journey").await else {
        return;
    };
    let app = spawn_app().await;
    let request = create_request(&app, "odense").await;
    let id = request["id"].as_str().unwrap();
    let pay_url = format!("{}/t/odense/pay/{id}", app.address);
    assert_eq!(request["payUrl"], pay_url.as_str(), "{request}");

    // 1. The pay page: what is owed, and the button.
    browser.goto(&pay_url).await;
    browser.wait_for_text("Replacement of lost book").await;
    browser
        .wait_for_text(request["reference"].as_str().unwrap())
        .await;
    browser.screenshot("pay-page").await;
    browser.assert_accessible("pay-page").await;
    // The shop's page, in the council's language (Odense: Danish only).
    browser
        .fill("E-mail til kvitteringen", "citizen@example.org")
        .await;
    browser.click("Betal").await;

    // 2. The sandbox PSP's hosted page: the success test card.
    browser.wait_for_url("/sandbox/checkout/").await;
    browser.wait_for_text("Test cards").await;
    browser.screenshot("sandbox-checkout").await;
    browser.assert_accessible("sandbox-checkout").await;
    let success = civicpay_psp::TEST_CARDS
        .iter()
        .find(|card| card.outcome == "success")
        .unwrap();
    browser.fill("Card number", success.number).await;
    browser.click("Pay").await;

    // 3. Back on the council's status page, which refreshes itself until the PSP's webhook
    //    has arrived.
    browser.wait_for_url("/status").await;
    // The page speaks the council's language (Odense: Danish only); the status is in data-status.
    browser.wait_for("[data-status=captured]").await;
    browser.screenshot("status-received").await;
    browser.assert_accessible("status-received").await;
}
