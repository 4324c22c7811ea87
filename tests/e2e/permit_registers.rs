//! Permits and the registers behind them: a company's business permit (the business register
//! and the council's municipality code), and a register that does not answer — the clerk is
//! told to try again or continue manually, and a manual continuation goes to a caseworker with
//! the reason on record, never a silent pass.

use crate::eligibility::GOOD_ID;
use civicpay_domain::Role;
use civicpay_tests::{error_code, spawn_app, spawn_app_with};
use serde_json::json;

const APPLY: &str = r#"mutation($sku: String!, $id: String!, $plate: String, $company: String, $manual: String) {
  applyForPermit(sku: $sku, nationalId: $id, plate: $plate, purpose: "counter",
                 companyId: $company, manualReason: $manual) {
    permit { id status holder manualReason rules { ruleId passed } price { total } } payUrl } }"#;

#[tokio::test]
async fn a_business_permit_needs_an_active_company_with_a_unit_in_the_city() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let apply = |company: &'static str, plate: &'static str| {
        let (app, staff) = (&app, &staff);
        async move {
            app.gql_with(
                staff,
                Some("kobenhavn"),
                APPLY,
                json!({ "sku": "P-BUS", "id": GOOD_ID, "plate": plate, "company": company }),
            )
            .await
        }
    };
    // Nørrebro Blomster ApS: a production unit in København N (kommunekode 0101), outside the
    // paid zones — in the city all the same.
    let body = apply("31022142", "EF87654").await;
    let permit = &body["data"]["applyForPermit"]["permit"];
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(permit["holder"], "31022142", "the company holds it");
    assert_eq!(permit["price"]["total"], "5400.00");
    assert!(body["data"]["applyForPermit"]["payUrl"].is_string());
    let search = app
        .gql_with(
            &staff,
            Some("kobenhavn"),
            r#"query($c: String) { permits(companyId: $c) { sku holder } }"#,
            json!({ "c": "31022142" }),
        )
        .await;
    assert_eq!(
        search["data"]["permits"],
        json!([{ "sku": "P-BUS", "holder": "31022142" }]),
        "{search}"
    );
    // Roskilde Transport I/S: every unit outside the city.
    let body = apply("37471909", "TU90123").await;
    let permit = &body["data"]["applyForPermit"]["permit"];
    assert_eq!(permit["status"], "REJECTED", "{body}");
    assert_eq!(
        permit["rules"],
        json!([{ "ruleId": "business-unit-in-city", "passed": false }])
    );
    // Kongens Café ApS is dissolved (its unit is in K1): not a present company.
    let body = apply("21449016", "").await;
    assert_eq!(
        body["data"]["applyForPermit"]["permit"]["status"], "REJECTED",
        "{body}"
    );
    // A CVR number with a bad check digit is bad input.
    let body = apply("31022143", "").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.to_string().contains("companyId"), "{body}");
}

#[tokio::test]
async fn a_register_that_does_not_answer_is_never_a_pass() {
    // Copenhagen with its vehicle register pointed at a port nobody listens on.
    let tenants = tempfile::tempdir().unwrap();
    civicpay_tests::copy_dir(&civicpay_tests::tenants_dir(), tenants.path());
    std::fs::write(
        tenants.path().join("kobenhavn/registry.toml"),
        "municipality_codes = [\"0101\"]\n\
         [vehicle]\nadapter = \"rdw_open_data\"\nbase_url = \"http://127.0.0.1:9\"\ntimeout_ms = 300\n",
    )
    .unwrap();
    let dir = tenants.path().to_path_buf();
    let app = spawn_app_with(|c| c.tenants_dir = dir).await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    let staff = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let vars = json!({ "sku": "P-RES-K1", "id": GOOD_ID, "plate": "AB12345" });
    let body = app
        .gql_with(&staff, Some("kobenhavn"), APPLY, vars.clone())
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("vehicle register did not answer")
            && message.contains("continue manually with a reason"),
        "{message}"
    );
    // Nothing was stored: the queue is empty.
    let queue = app
        .gql_with(
            &staff,
            Some("kobenhavn"),
            "{ reviewQueue { permit { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(queue["data"]["reviewQueue"], json!([]), "{queue}");

    // The clerk continues manually: a caseworker decides, the reason is on record, and the
    // payment is only authorized until then.
    let mut manual = vars.clone();
    manual["manual"] = json!("registration certificate checked at the counter");
    let body = app.gql_with(&staff, Some("kobenhavn"), APPLY, manual).await;
    let applied = &body["data"]["applyForPermit"];
    assert_eq!(applied["permit"]["status"], "WAITING_REVIEW", "{body}");
    assert_eq!(
        applied["permit"]["manualReason"],
        "registration certificate checked at the counter"
    );
    assert_eq!(applied["permit"]["rules"], json!([]));
    assert!(applied["payUrl"].is_string());
    let queue = app
        .gql_with(
            &staff,
            Some("kobenhavn"),
            "{ reviewQueue { permit { id manualReason } requestStatus } }",
            json!({}),
        )
        .await;
    let items = queue["data"]["reviewQueue"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    assert_eq!(items[0]["permit"]["id"], applied["permit"]["id"]);
    assert_eq!(items[0]["requestStatus"], "open");
    // An empty reason is no reason.
    let mut blank = vars;
    blank["manual"] = json!("   ");
    let body = app.gql_with(&staff, Some("kobenhavn"), APPLY, blank).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
}
