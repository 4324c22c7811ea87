//! The permit lifecycle's first slice through HTTP: a caseworker applies at the counter, the
//! council's rules decide, the payment activates the permit; held permits count for the
//! one-per-person rule, also under concurrent applications; councils do not see each other's.

use crate::eligibility::{GOOD_ID, PRIVATE_ROAD_ID};
use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;

const APPLY: &str = r#"mutation($sku: String!, $id: String!, $plate: String, $purpose: String!) {
  applyForPermit(sku: $sku, nationalId: $id, plate: $plate, purpose: $purpose) {
    permit { id sku status plate zoneCode validFrom validTo holder paymentRequestId createdAt
             rules { ruleId passed message } }
    payUrl
  } }"#;

const SEARCH: &str = r#"query($plate: String, $id: String, $status: PermitStatus) {
  permits(plate: $plate, nationalId: $id, status: $status) {
    id sku status plate validFrom validTo holder paymentRequestId } }"#;

/// Sofie Jensen, Nyhavn 18, owner of EF34567.
const FRESH_ID: &str = "250990-2006";

async fn apply(app: &TestApp, client: &reqwest::Client, sku: &str, id: &str, plate: &str) -> Value {
    app.gql_with(
        client,
        Some("kobenhavn"),
        APPLY,
        json!({ "sku": sku, "id": id, "plate": plate, "purpose": "application at the counter" }),
    )
    .await
}

fn failed_rules(permit: &Value) -> Vec<String> {
    permit["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["ruleId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn apply_pay_activate_and_the_one_permit_rules() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    app.create_user(Some("odense"), "sag@odense.example", Role::Caseworker)
        .await;
    let caseworker = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;

    // The good applicant: approved, waits for its payment.
    let body = apply(&app, &caseworker, "P-RES-K1", GOOD_ID, "AB12345").await;
    let applied = &body["data"]["applyForPermit"];
    let permit = &applied["permit"];
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(permit["holder"], "120485****");
    assert_eq!(permit["zoneCode"], "K1");
    assert!(permit["validFrom"].is_null());
    assert!(permit["paymentRequestId"].is_string());
    assert_eq!(permit["rules"].as_array().unwrap().len(), 8, "{body}");
    assert!(failed_rules(permit).is_empty(), "{body}");
    assert!(!body.to_string().contains("1204851006"), "id in clear");
    let pay_url = applied["payUrl"].as_str().unwrap().to_owned();
    let permit_id = permit["id"].as_str().unwrap().to_owned();

    // Paid with the sandbox's success card: the permit becomes active from today.
    crate::payments::pay_with_card(&pay_url, "4242424242424242").await;
    let mut active = Value::Null;
    for _ in 0..150 {
        let body = app
            .gql_with(
                &caseworker,
                Some("kobenhavn"),
                SEARCH,
                json!({ "plate": "AB 12345" }),
            )
            .await;
        let found = body["data"]["permits"][0].clone();
        if found["status"] == "ACTIVE" {
            active = found;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(active["id"], permit_id.as_str(), "never activated");
    // The council's today (Copenhagen); UTC's date or the day after.
    let utc = chrono::Utc::now().date_naive();
    let from: chrono::NaiveDate = active["validFrom"].as_str().unwrap().parse().unwrap();
    assert!(from == utc || from == utc.succ_opt().unwrap(), "{active}");
    let to = from
        .checked_add_months(chrono::Months::new(12))
        .unwrap()
        .pred_opt()
        .unwrap();
    assert_eq!(active["validTo"], to.to_string());

    // Searching by person finds it too (the search is a logged look-up).
    let body = app
        .gql_with(
            &caseworker,
            Some("kobenhavn"),
            SEARCH,
            json!({ "id": GOOD_ID, "status": "ACTIVE" }),
        )
        .await;
    assert_eq!(
        body["data"]["permits"].as_array().unwrap().len(),
        1,
        "{body}"
    );

    // A second application for the same person: the held permit now counts.
    let body = apply(&app, &caseworker, "P-RES-K1", GOOD_ID, "AB12345").await;
    let applied = &body["data"]["applyForPermit"];
    assert_eq!(applied["permit"]["status"], "REJECTED", "{body}");
    assert!(
        failed_rules(&applied["permit"]).contains(&"resident-one-per-person".to_owned()),
        "{body}"
    );
    assert!(applied["payUrl"].is_null());
    assert!(applied["permit"]["paymentRequestId"].is_null());

    // A private road: rejected, and no payment request.
    let body = apply(&app, &caseworker, "P-RES-K1", PRIVATE_ROAD_ID, "CD23456").await;
    let applied = &body["data"]["applyForPermit"];
    assert_eq!(applied["permit"]["status"], "REJECTED", "{body}");
    assert_eq!(failed_rules(&applied["permit"]), ["resident-private-road"]);
    assert!(applied["payUrl"].is_null());
    assert!(applied["permit"]["paymentRequestId"].is_null());

    // Another council sees none of it.
    let other = app.logged_in(Some("odense"), "sag@odense.example").await;
    let body = app
        .gql_with(
            &other,
            Some("odense"),
            SEARCH,
            json!({ "plate": "AB12345" }),
        )
        .await;
    assert_eq!(body["data"]["permits"], json!([]), "{body}");

    // A cashier may not apply.
    app.create_user(Some("kobenhavn"), "kasse@kk.example", Role::Cashier)
        .await;
    let cashier = app.logged_in(Some("kobenhavn"), "kasse@kk.example").await;
    let body = apply(&app, &cashier, "P-RES-K1", FRESH_ID, "EF34567").await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn two_concurrent_applications_hold_one_permit() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let caseworker = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let (a, b) = tokio::join!(
        apply(&app, &caseworker, "P-RES-K1", FRESH_ID, "EF34567"),
        apply(&app, &caseworker, "P-RES-K1", FRESH_ID, "EF34567"),
    );
    let outcome = |body: &Value| match body["data"]["applyForPermit"]["permit"]["status"].as_str() {
        Some(status) => status.to_owned(),
        None => error_code(body),
    };
    let mut outcomes = [outcome(&a), outcome(&b)];
    outcomes.sort();
    assert!(
        outcomes == ["CONFLICT", "PENDING_PAYMENT"] || outcomes == ["PENDING_PAYMENT", "REJECTED"],
        "{a} {b}"
    );
    let body = app
        .gql_with(
            &caseworker,
            Some("kobenhavn"),
            SEARCH,
            json!({ "id": FRESH_ID, "status": "PENDING_PAYMENT" }),
        )
        .await;
    assert_eq!(
        body["data"]["permits"].as_array().unwrap().len(),
        1,
        "{body}"
    );
}

#[tokio::test]
async fn an_unpaid_application_stops_holding_when_its_bill_is_cancelled() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let caseworker = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let first = apply(&app, &caseworker, "P-RES-K1", GOOD_ID, "AB12345").await;
    let permit = &first["data"]["applyForPermit"]["permit"];
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{first}");
    let request_id = permit["paymentRequestId"].as_str().unwrap().to_owned();
    // While it waits for payment, the applicant holds the one resident permit.
    let blocked = apply(&app, &caseworker, "P-RES-K1", GOOD_ID, "AB12345").await;
    assert_ne!(
        blocked["data"]["applyForPermit"]["permit"]["status"], "PENDING_PAYMENT",
        "{blocked}"
    );
    // The bill is cancelled: the pending permit is cancelled with it, in the same transaction.
    let cancelled = app
        .gql_with(
            &caseworker,
            Some("kobenhavn"),
            r#"mutation($id: ID!) { cancelPaymentRequest(id: $id) { status } }"#,
            json!({ "id": request_id }),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelPaymentRequest"]["status"], "cancelled",
        "{cancelled}"
    );
    let found = app
        .gql_with(
            &caseworker,
            Some("kobenhavn"),
            SEARCH,
            json!({ "plate": "AB12345", "status": "CANCELLED" }),
        )
        .await;
    assert_eq!(
        found["data"]["permits"].as_array().map(Vec::len),
        Some(1),
        "{found}"
    );
    // And the applicant may apply again.
    let again = apply(&app, &caseworker, "P-RES-K1", GOOD_ID, "AB12345").await;
    assert_eq!(
        again["data"]["applyForPermit"]["permit"]["status"], "PENDING_PAYMENT",
        "{again}"
    );
}
