//! Companies in the shop: a person logs in *for* a company (the development log-in here, a
//! business eID's company claim in production), applies for the company's business permit,
//! sees the company's bills — and none of it is theirs as a private person, nor the
//! company's at another council.

use crate::eligibility::GOOD_ID;
use crate::payments::{payments_key, with_key};
use crate::shop::{browser, csrf_of, location, page, post};
use civicpay_tests::{TestApp, spawn_app};
use serde_json::json;

const BLOMSTER: &str = "31022142"; // Nørrebro Blomster ApS: a unit in København N, owns EF87654
const ROSKILDE: &str = "37471909"; // Roskilde Transport I/S: every unit outside the city

/// Logs in as demo person `id` acting for demo company `company`; the client and its token.
async fn log_in_for(app: &TestApp, id: &str, company: &str) -> (reqwest::Client, String) {
    let client = browser();
    let (status, html) = page(&client, &format!("{}/t/kobenhavn/login", app.address)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("data-company=\"{company}\"")),
        "the development log-in lists the demo company: {html}"
    );
    let csrf = csrf_of(&html);
    let r = post(
        &client,
        &format!("{}/t/kobenhavn/login/development", app.address),
        &[
            ("csrf", &csrf),
            ("national_id", id),
            ("company_id", company),
            ("back", "/t/kobenhavn/my/permits"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.text().await);
    (client, csrf)
}

/// A bill from a council system to `debtor` (`{kind, value}`); its id.
async fn bill_to(app: &TestApp, key: &str, external: &str, debtor: serde_json::Value) -> String {
    let created = with_key(
        app,
        "kobenhavn",
        key,
        r#"mutation($input: PaymentRequestInput!, $key: String!) {
            createPaymentRequest(input: $input, idempotencyKey: $key) { id status } }"#,
        json!({
            "key": external,
            "input": {
                "description": format!("Building permit fee {external}"),
                "externalReference": external,
                "lines": [{ "description": "Case handling", "unitPrice": "850.00", "vatCode": "exempt" }],
                "debtor": debtor,
                "dueDate": "2027-01-31",
            }
        }),
    )
    .await;
    created["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned()
}

#[tokio::test]
async fn a_person_logged_in_for_a_company_applies_for_its_permit_and_sees_its_bills() {
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    let key = payments_key(&app, "kobenhavn").await;
    let company_bill = bill_to(
        &app,
        &key,
        "BYG-1",
        json!({ "kind": "COMPANY_ID", "value": BLOMSTER }),
    )
    .await;
    let personal_bill = bill_to(
        &app,
        &key,
        "BYG-2",
        json!({ "kind": "NATIONAL_ID", "value": GOOD_ID }),
    )
    .await;

    let (firm, csrf) = log_in_for(&app, GOOD_ID, BLOMSTER).await;
    let (_, home) = page(&firm, &format!("{base}/")).await;
    assert!(
        home.contains("Mette Sørensen for Nørrebro Blomster ApS"),
        "the header says whom the person acts for: {home}"
    );

    // The company's pre-check for the business permit passes (a unit in the city).
    let (_, product) = page(
        &firm,
        &format!("{base}/products/P-BUS?check=1&plate=EF87654"),
    )
    .await;
    assert!(product.contains("notice ok"), "{product}");
    let r = post(
        &firm,
        &format!("{base}/products/P-BUS/apply"),
        &[("csrf", &csrf), ("plate", "EF87654")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.text().await);
    let (_, mine) = page(&firm, &format!("{base}/my/permits")).await;
    assert!(mine.contains("EF 87 654"), "the company's permit: {mine}");
    let permit_id = mine
        .split("/my/permits/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    // The company's bills, not the person's own.
    let (_, bills) = page(&firm, &format!("{base}/my/bills")).await;
    assert!(
        bills.contains("BYG-1") || bills.contains(&company_bill),
        "{bills}"
    );
    assert!(!bills.contains(&personal_bill), "{bills}");
    let r = post(
        &firm,
        &format!("{base}/basket/add"),
        &[("csrf", &csrf), ("bill", &personal_bill)],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        404,
        "the person's own bill is not the company's"
    );
    let r = post(
        &firm,
        &format!("{base}/basket/add"),
        &[("csrf", &csrf), ("bill", &company_bill)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, basket) = page(&firm, &format!("{base}/basket")).await;
    assert!(
        basket.contains("5.400,00") && basket.contains("850,00"),
        "the permit and the company's bill together: {basket}"
    );

    // The same person logged in for themselves sees neither the company's permit nor its bill.
    let (mette, mette_csrf) = crate::shop::log_in(&app, "kobenhavn", GOOD_ID).await;
    let (status, _) = page(&mette, &format!("{base}/my/permits/{permit_id}")).await;
    assert_eq!(status, 404);
    let (_, own_bills) = page(&mette, &format!("{base}/my/bills")).await;
    assert!(!own_bills.contains(&company_bill), "{own_bills}");
    let r = post(
        &mette,
        &format!("{base}/checkout"),
        &[("csrf", &mette_csrf), ("bill", &company_bill)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);
    // Nor does the company's session count at another council.
    let r = firm
        .get(format!("{}/t/rotterdam/my/bills", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).starts_with("/t/rotterdam/login"));
}

#[tokio::test]
async fn a_company_outside_the_city_is_told_why_and_unknown_companies_cannot_log_in() {
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    let (firm, _) = log_in_for(&app, GOOD_ID, ROSKILDE).await;
    let (_, product) = page(
        &firm,
        &format!("{base}/products/P-BUS?check=1&plate=TU90123"),
    )
    .await;
    assert!(
        product.contains("Virksomheden skal have en produktionsenhed i Københavns Kommune."),
        "{product}"
    );

    // A company number the demo register does not know (valid CVR check digits) is refused.
    let client = browser();
    let (_, html) = page(&client, &format!("{base}/login")).await;
    let csrf = csrf_of(&html);
    let r = post(
        &client,
        &format!("{base}/login/development"),
        &[
            ("csrf", &csrf),
            ("national_id", GOOD_ID),
            ("company_id", "10000009"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 404, "an unknown company");
    let r = post(
        &client,
        &format!("{base}/login/development"),
        &[
            ("csrf", &csrf),
            ("national_id", GOOD_ID),
            ("company_id", "12345678"),
        ],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        400,
        "a number that fails the CVR check"
    );
    let text = r.text().await.unwrap();
    assert!(text.contains("CVR"), "says what is wrong: {text}");
    let (_, home) = page(&client, &format!("{base}/")).await;
    assert!(!home.contains("Mette"), "nobody is logged in");
}
