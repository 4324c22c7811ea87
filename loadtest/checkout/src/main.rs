//! Load test "checkout with the sandbox gateway": a council system creates a payment request
//! with its API key → the payer opens the pay link and starts paying → pays on the sandbox's
//! hosted page with the success card → the sandbox's webhook reaches the platform → the
//! request is captured and fulfilled (polled through GraphQL). Each step is a named request,
//! so goose reports p50/p95/p99 per step; `completed` counts whole checkouts.
//!
//! Environment: LOADTEST_TENANT (default odense), LOADTEST_API_KEY (a key with the payments
//! scope). Host and users as goose flags: `-H http://127.0.0.1:8080 -u 16 -r 4 -t 30s`.

use goose::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;

fn tenant() -> String {
    std::env::var("LOADTEST_TENANT").unwrap_or_else(|_| "odense".into())
}

fn failed(_user: &mut GooseUser, what: &str) -> TransactionResult {
    Err(Box::new(TransactionError::Custom(what.to_owned())))
}

async fn checkout(user: &mut GooseUser) -> TransactionResult {
    let key = std::env::var("LOADTEST_API_KEY").unwrap_or_default();
    let slug = tenant();
    let graphql = format!("/t/{slug}/graphql");
    let external = format!("LOAD-{}-{}", user.weighted_users_index, user.get_iterations());
    // With LOADTEST_CALLBACK_URL the platform also sends its signed webhook for every paid
    // request, so the report can measure the commit-to-dispatch lag.
    let callback = std::env::var("LOADTEST_CALLBACK_URL").ok();
    let create = json!({
        "query": "mutation($input: PaymentRequestInput!, $key: String!) { createPaymentRequest(input: $input, idempotencyKey: $key) { id payUrl } }",
        "variables": { "key": external, "input": {
            "description": "Load test bill", "externalReference": external,
            "lines": [{ "description": "Fee", "unitPrice": "125.00" }],
            "callbackUrl": callback
        }}
    });
    let builder = user
        .get_request_builder(&GooseMethod::Post, &graphql)?
        .bearer_auth(&key)
        .json(&create);
    let request = GooseRequest::builder()
        .name("1 create payment request")
        .set_request_builder(builder)
        .build();
    let body: Value = match user.request(request).await?.response {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => return failed(user, "create failed"),
    };
    let Some(id) = body["data"]["createPaymentRequest"]["id"].as_str().map(str::to_owned) else {
        return failed(user, "create returned no id");
    };
    let pay_path = format!("/t/{slug}/pay/{id}");

    // Start paying: the 303 to the sandbox's hosted page is followed.
    let builder = user
        .get_request_builder(&GooseMethod::Post, &pay_path)?
        .form(&[("email", "")]);
    let request = GooseRequest::builder()
        .name("2 start payment (to hosted page)")
        .set_request_builder(builder)
        .build();
    let checkout_url = match user.request(request).await?.response {
        Ok(r) => r.url().to_string(),
        Err(_) => return failed(user, "start failed"),
    };

    // Pay with the success card; the 303 back to the status page is followed.
    let builder = user
        .get_request_builder(&GooseMethod::Post, &checkout_url)?
        .form(&[("card_number", "4242424242424242")]);
    let request = GooseRequest::builder()
        .name("3 pay on sandbox page")
        .set_request_builder(builder)
        .build();
    user.request(request).await?;

    // Wait for the asynchronous webhook: captured and fulfilled.
    let status = json!({
        "query": "query($id: ID!) { paymentRequest(id: $id) { status } }",
        "variables": { "id": id }
    });
    for _ in 0..200 {
        let builder = user
            .get_request_builder(&GooseMethod::Post, &graphql)?
            .bearer_auth(&key)
            .json(&status);
        let request = GooseRequest::builder()
            .name("4 poll until paid")
            .set_request_builder(builder)
            .build();
        let body: Value = match user.request(request).await?.response {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        if body["data"]["paymentRequest"]["status"] == "paid" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    failed(user, "not paid within 10 s")
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let metrics = GooseAttack::initialize()?
        .register_scenario(
            scenario!("CheckoutWithSandbox").register_transaction(transaction!(checkout).set_name("checkout")),
        )
        .execute()
        .await?;
    // One machine-readable line for the report script.
    let mut completed = 0;
    let mut failed_checkouts = 0;
    for scenario in &metrics.transactions {
        for t in scenario {
            completed += t.success_count;
            failed_checkouts += t.fail_count;
        }
    }
    println!(
        "CHECKOUT_SUMMARY completed={completed} failed={failed_checkouts} duration_s={}",
        metrics.duration
    );
    Ok(())
}
