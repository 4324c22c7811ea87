//! Staff eligibility checks against Copenhagen's file-backed demo registers
//! (`tenants/kobenhavn/registry/`) and rules (`tenants/kobenhavn/rules.toml`), and the log of
//! person look-ups they leave.

use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};

const CHECK: &str = r#"query($sku: String!, $id: String!, $plate: String, $purpose: String!) {
  checkEligibility(sku: $sku, nationalId: $id, plate: $plate, purpose: $purpose) {
    decision
    rules { ruleId passed outcome message error }
    facts
    sources { register source fetchedAt }
  } }"#;

const LOOKUPS: &str = "{ personLookups { who subject purpose createdAt } }";

/// Mette Sørensen, Store Kongensgade 41 (zone K1), owner of AB12345.
pub const GOOD_ID: &str = "120485-1006";
/// Lars Holm, Hjertensfrydsvej 7 — a private road in K1; owner of CD23456.
pub const PRIVATE_ROAD_ID: &str = "030772-0000";
/// Jonas Madsen (K3), owner of RS89012, which is reported stolen.
const STOLEN_OWNER_ID: &str = "140388-1003";

/// Posts a GraphQL request with an `Accept-Language` header.
async fn gql_lang(
    app: &TestApp,
    client: &reqwest::Client,
    tenant: &str,
    lang: &str,
    query: &str,
    variables: Value,
) -> Value {
    client
        .post(app.endpoint(Some(tenant)))
        .header("Accept-Language", lang)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn check(
    app: &TestApp,
    client: &reqwest::Client,
    lang: &str,
    sku: &str,
    id: &str,
    plate: Option<&str>,
    purpose: &str,
) -> Value {
    gql_lang(
        app,
        client,
        "kobenhavn",
        lang,
        CHECK,
        json!({ "sku": sku, "id": id, "plate": plate, "purpose": purpose }),
    )
    .await
}

fn digits(id: &str) -> String {
    id.chars().filter(char::is_ascii_digit).collect()
}

fn assert_no_clear_id(body: &Value, id: &str) {
    let text = body.to_string();
    assert!(!text.contains(&digits(id)), "national id in clear: {text}");
    assert!(!text.contains(id), "national id in clear: {text}");
}

fn failed_rules(result: &Value) -> Vec<String> {
    result["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["ruleId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn caseworker_checks_eligibility_and_every_lookup_is_logged() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    app.create_user(Some("kobenhavn"), "admin@kk.example", Role::TenantAdmin)
        .await;
    let caseworker = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;

    // A good applicant for a resident permit in her zone: approved, every rule passed.
    let body = check(
        &app,
        &caseworker,
        "en",
        "P-RES-K1",
        GOOD_ID,
        Some("ab 12345"),
        "application at the counter",
    )
    .await;
    let result = &body["data"]["checkEligibility"];
    assert_eq!(result["decision"], "APPROVED", "{body}");
    let rules = result["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        8,
        "every resident-permit rule is listed: {body}"
    );
    assert!(rules.iter().all(|r| r["passed"] == true), "{body}");
    assert_eq!(result["facts"]["address"]["zone"], "K1");
    assert_eq!(result["facts"]["applicant"]["id_masked"], "120485****");
    assert_eq!(
        result["facts"]["vehicle"]["owned_or_used_by_applicant"],
        true
    );
    let registers: Vec<&str> = result["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["register"].as_str().unwrap())
        .collect();
    assert_eq!(registers, ["person", "address", "vehicle"], "{body}");
    assert!(result["sources"][0]["fetchedAt"].is_string());
    assert_no_clear_id(&body, GOOD_ID);

    // A private road: rejected with that rule's Danish message.
    let body = check(
        &app,
        &caseworker,
        "da",
        "P-RES-K1",
        PRIVATE_ROAD_ID,
        Some("CD23456"),
        "ansøgning i borgerservice",
    )
    .await;
    let result = &body["data"]["checkEligibility"];
    assert_eq!(result["decision"], "REJECTED", "{body}");
    assert_eq!(failed_rules(result), ["resident-private-road"], "{body}");
    let failed = result["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "resident-private-road")
        .unwrap();
    assert_eq!(
        failed["message"],
        "Der udstedes ikke beboerlicens til adresser på private fællesveje."
    );
    assert_eq!(failed["outcome"], "REJECT");
    assert_no_clear_id(&body, PRIVATE_ROAD_ID);

    // A stolen vehicle: rejected.
    let body = check(
        &app,
        &caseworker,
        "en",
        "P-RES-K3",
        STOLEN_OWNER_ID,
        Some("RS89012"),
        "application by phone",
    )
    .await;
    let result = &body["data"]["checkEligibility"];
    assert_eq!(result["decision"], "REJECTED", "{body}");
    assert_eq!(failed_rules(result), ["vehicle-not-stolen"], "{body}");
    assert_no_clear_id(&body, STOLEN_OWNER_ID);

    // A person the register does not know: no error, the rules reject with their messages.
    let body = check(
        &app,
        &caseworker,
        "en",
        "P-RES-K1",
        "010190-1234",
        Some("ZZ99999"),
        "unknown applicant",
    )
    .await;
    let result = &body["data"]["checkEligibility"];
    assert_eq!(result["decision"], "REJECTED", "{body}");
    assert!(failed_rules(result).contains(&"resident-zone".to_owned()));
    assert_eq!(result["facts"]["vehicle"]["present"], false);

    // A CPR number whose date does not exist: BAD_USER_INPUT, not looked up, not echoed.
    let body = check(
        &app,
        &caseworker,
        "en",
        "P-RES-K1",
        "311385-1006",
        None,
        "typo",
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("CPR"), "{message}");
    assert_no_clear_id(&body, "311385-1006");

    // The purpose is required.
    let body = check(&app, &caseworker, "en", "P-RES-K1", GOOD_ID, None, "  ").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    // Every check is in the log, with its purpose, and without the number in clear.
    let admin = app.logged_in(Some("kobenhavn"), "admin@kk.example").await;
    let body = app
        .gql_with(&admin, Some("kobenhavn"), LOOKUPS, json!({}))
        .await;
    let entries = body["data"]["personLookups"].as_array().unwrap();
    let purposes: Vec<&str> = entries
        .iter()
        .map(|e| e["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(
        purposes,
        [
            "unknown applicant",
            "application by phone",
            "ansøgning i borgerservice",
            "application at the counter",
        ],
        "newest first, failed inputs not logged: {body}"
    );
    assert!(entries.iter().all(|e| e["who"] == "sag@kk.example"));
    assert!(
        entries
            .iter()
            .all(|e| e["subject"].as_str().unwrap().len() == 64)
    );
    for id in [GOOD_ID, PRIVATE_ROAD_ID, STOLEN_OWNER_ID, "010190-1234"] {
        assert_no_clear_id(&body, id);
    }
    // Checking the same person again gives the same pseudonym.
    check(
        &app,
        &caseworker,
        "en",
        "P-RES-K1",
        GOOD_ID,
        None,
        "second look",
    )
    .await;
    let body = app
        .gql_with(&admin, Some("kobenhavn"), LOOKUPS, json!({}))
        .await;
    let entries = body["data"]["personLookups"].as_array().unwrap();
    assert_eq!(entries[0]["purpose"], "second look");
    assert_eq!(entries[0]["subject"], entries[4]["subject"]);

    // The caseworker may check but not read the log.
    let body = app
        .gql_with(&caseworker, Some("kobenhavn"), LOOKUPS, json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn only_permitted_staff_of_the_council_check_and_see_lookups() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "sag@kk.example", Role::Caseworker)
        .await;
    app.create_user(Some("kobenhavn"), "kasse@kk.example", Role::Cashier)
        .await;
    app.create_user(Some("rotterdam"), "admin@rdam.example", Role::TenantAdmin)
        .await;

    // Anonymous: UNAUTHENTICATED.
    let body = check(
        &app,
        &TestApp::client(),
        "da",
        "P-RES-K1",
        GOOD_ID,
        None,
        "curious",
    )
    .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    // A cashier: FORBIDDEN, and nothing is looked up.
    let cashier = app.logged_in(Some("kobenhavn"), "kasse@kk.example").await;
    let body = check(&app, &cashier, "da", "P-RES-K1", GOOD_ID, None, "curious").await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let caseworker = app.logged_in(Some("kobenhavn"), "sag@kk.example").await;
    let body = check(
        &app,
        &caseworker,
        "da",
        "P-RES-K1",
        GOOD_ID,
        Some("AB12345"),
        "application at the counter",
    )
    .await;
    assert_eq!(
        body["data"]["checkEligibility"]["decision"], "APPROVED",
        "{body}"
    );

    // Rotterdam's admin sees none of Copenhagen's look-ups, on their endpoint or Copenhagen's.
    let rotterdam = app.logged_in(Some("rotterdam"), "admin@rdam.example").await;
    let body = app
        .gql_with(&rotterdam, Some("rotterdam"), LOOKUPS, json!({}))
        .await;
    assert_eq!(body["data"]["personLookups"], json!([]), "{body}");
    let body = app
        .gql_with(&rotterdam, Some("kobenhavn"), LOOKUPS, json!({}))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    // And Copenhagen's log holds exactly the caseworker's one look-up.
    let count = app
        .platform
        .store
        .scope(
            app.platform
                .store
                .tenant_by_slug("kobenhavn")
                .await
                .unwrap()
                .unwrap(),
        )
        .person_lookups(50)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_council_without_registers_says_so() {
    let app = spawn_app().await;
    app.create_user(Some("odense"), "sag@odense.example", Role::Caseworker)
        .await;
    let client = app.logged_in(Some("odense"), "sag@odense.example").await;
    let sku = app.gql(Some("odense"), "{ products { sku } }").await["data"]["products"][0]["sku"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = gql_lang(
        &app,
        &client,
        "odense",
        "en",
        CHECK,
        json!({ "sku": sku, "id": GOOD_ID, "purpose": "counter" }),
    )
    .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("registers not configured"),
        "{body}"
    );
}
