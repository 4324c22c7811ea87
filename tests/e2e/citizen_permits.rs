//! A citizen's own permits through GraphQL: the development log-in, the eligibility pre-check
//! with the reason, applying, paying, seeing only one's own permits, correcting and renewing;
//! a citizen's session counts at no other council and gives no staff power; production
//! refuses the development log-in.

use crate::eligibility::GOOD_ID;
use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

const LOGIN: &str =
    r#"mutation($id: String!) { developmentLogin(nationalId: $id) { name maskedId loginMethod } }"#;
const CHECK: &str = r#"query($sku: String!, $plate: String) {
  checkMyEligibility(sku: $sku, plate: $plate) { decision rules { ruleId passed message } } }"#;
const APPLY: &str = r#"mutation($sku: String!, $plate: String) {
  applyForMyPermit(sku: $sku, plate: $plate) { permit { id status holder price { total } } payUrl } }"#;
const MINE: &str = "{ myProfile { name maskedId } myPermits { id status plate } }";

/// Lars Holm: lives on a private road (no resident permit), owns CD23456.
const LARS: &str = "030772-0000";

async fn citizen(app: &TestApp, slug: &str, id: &str) -> (reqwest::Client, Value) {
    let client = TestApp::client();
    let body = app
        .gql_with(&client, Some(slug), LOGIN, json!({ "id": id }))
        .await;
    (client, body)
}

#[tokio::test]
async fn a_citizen_applies_pays_and_sees_only_their_own_permits() {
    let app = spawn_app().await;
    let (mette, body) = citizen(&app, "kobenhavn", GOOD_ID).await;
    assert_eq!(
        body["data"]["developmentLogin"],
        json!({ "name": "Mette Sørensen", "maskedId": "120485****", "loginMethod": "development" }),
        "{body}"
    );

    // The pre-check says why not, in the council's language.
    let (lars, _) = citizen(&app, "kobenhavn", LARS).await;
    let body = app
        .gql_with(
            &lars,
            Some("kobenhavn"),
            CHECK,
            json!({ "sku": "P-RES-K1", "plate": "CD23456" }),
        )
        .await;
    let check = &body["data"]["checkMyEligibility"];
    assert_eq!(check["decision"], "REJECTED", "{body}");
    let failed: Vec<&Value> = check["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .collect();
    assert!(
        failed.iter().any(|r| r["message"]
            .as_str()
            .unwrap()
            .contains("private fællesveje")),
        "{body}"
    );

    // Mette applies for herself and pays; the permit is hers.
    let body = app
        .gql_with(
            &mette,
            Some("kobenhavn"),
            APPLY,
            json!({ "sku": "P-RES-K1", "plate": "AB12345" }),
        )
        .await;
    let applied = &body["data"]["applyForMyPermit"];
    assert_eq!(applied["permit"]["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(applied["permit"]["holder"], "120485****");
    let id = applied["permit"]["id"].as_str().unwrap().to_owned();
    crate::payments::pay_with_card(applied["payUrl"].as_str().unwrap(), "4242424242424242").await;
    let mut mine = Value::Null;
    for _ in 0..150 {
        mine = app
            .gql_with(&mette, Some("kobenhavn"), MINE, json!({}))
            .await;
        if mine["data"]["myPermits"][0]["status"] == "ACTIVE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mine["data"]["myPermits"][0]["id"], id.as_str(), "{mine}");
    assert_eq!(mine["data"]["myPermits"][0]["status"], "ACTIVE", "{mine}");

    // The permit as PDF: for Mette, not for Lars, not for nobody.
    let pdf_url = format!("{}/t/kobenhavn/permits/{id}.pdf", app.address);
    let pdf = mette.get(&pdf_url).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(lars.get(&pdf_url).send().await.unwrap().status(), 404);
    assert_eq!(reqwest::get(&pdf_url).await.unwrap().status(), 401);
    let elsewhere = format!("{}/t/odense/permits/{id}.pdf", app.address);
    assert_eq!(mette.get(&elsewhere).send().await.unwrap().status(), 401);

    // Lars sees none of it: not in his list, and by id it is NOT_FOUND — also for corrections.
    let body = app
        .gql_with(&lars, Some("kobenhavn"), MINE, json!({}))
        .await;
    assert_eq!(body["data"]["myPermits"], json!([]), "{body}");
    let body = app
        .gql_with(
            &lars,
            Some("kobenhavn"),
            "query($id: ID!) { myPermit(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let correct = r#"mutation($id: ID!) { correctMyPermit(id: $id, correction: { cancelReason: "mine now" }) { permit { status } } }"#;
    let body = app
        .gql_with(&lars, Some("kobenhavn"), correct, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");

    // Mette corrects her own: a temporary vehicle, priced and payable.
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(10)).to_string();
    let body = app
        .gql_with(
            &mette,
            Some("kobenhavn"),
            r#"mutation($id: ID!, $until: NaiveDate!) { correctMyPermit(id: $id, correction: { temporaryPlate: "EF34567", temporaryUntil: $until }) { correction { kind status price { total } } payUrl } }"#,
            json!({ "id": id, "until": until }),
        )
        .await;
    let corrected = &body["data"]["correctMyPermit"];
    assert_eq!(
        corrected["correction"]["kind"], "temporary_vehicle",
        "{body}"
    );
    assert_eq!(corrected["correction"]["price"]["total"], "75.00");
    assert!(corrected["payUrl"].is_string());
    // And asks for the renewal.
    let body = app
        .gql_with(
            &mette,
            Some("kobenhavn"),
            r#"mutation($id: ID!) { renewMyPermit(id: $id) { permit { status renewsPermitId } } }"#,
            json!({ "id": id }),
        )
        .await;
    let renewal = &body["data"]["renewMyPermit"]["permit"];
    assert_eq!(renewal["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(renewal["renewsPermitId"], id.as_str());

    // A citizen has no staff power, and the session counts at no other council.
    let body = app
        .gql_with(&mette, Some("kobenhavn"), "{ permits { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app.gql_with(&mette, Some("odense"), MINE, json!({})).await;
    assert!(body["data"]["myProfile"].is_null(), "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    // Staff logged in elsewhere are not citizens here either.
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let body = app
        .gql_with(&staff, Some("kobenhavn"), MINE, json!({}))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    // Logging out ends the citizen's session.
    app.gql_with(&mette, Some("kobenhavn"), "mutation { logout }", json!({}))
        .await;
    let body = app
        .gql_with(&mette, Some("kobenhavn"), MINE, json!({}))
        .await;
    assert!(body["data"]["myProfile"].is_null(), "{body}");
}

#[tokio::test]
async fn the_development_log_in_is_only_for_demo_people_and_never_in_production() {
    let app = spawn_app().await;
    // Someone the demo register does not know.
    let (_, body) = citizen(&app, "kobenhavn", "211062-5629").await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let (_, body) = citizen(&app, "kobenhavn", "not a cpr").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    // Switched off: refused.
    let off = spawn_app_with(|c| c.development_login = false).await;
    let (_, body) = citizen(&off, "kobenhavn", GOOD_ID).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // In production with it on, the server does not start.
    let platform = civicpay::connect(&civicpay::Config {
        database_url: app.database_url.clone(),
        environment: "production".into(),
        development_login: true,
        mail_url: String::new(),
        ..civicpay::Config::default()
    })
    .await
    .unwrap();
    let refused = civicpay::api_state(&platform, "http://127.0.0.1".into());
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("development_login is on in the production environment"),
        "{message}"
    );
}
