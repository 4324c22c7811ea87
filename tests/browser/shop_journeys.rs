//! The citizen shop in headless Chromium, journeys (a)–(e) of the shop issue: every page is
//! screenshotted and must pass axe (no serious or critical WCAG 2.1 A/AA violation).

use crate::support::Browser;
use civicpay_tests::spawn_app;
use serde_json::json;

/// One journey at a time: several Chromiums at once on two cores made waits time out.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const METTE: &str = "Mette Sørensen"; // 120485-1006, zone K1, owns the petrol car AB12345
const SOFIE: &str = "Sofie Jensen"; // 250990-2006, owns EF34567 (not AB12345)

fn success_card() -> &'static str {
    civicpay_psp::TEST_CARDS
        .iter()
        .find(|c| c.outcome == "success")
        .unwrap()
        .number
}

#[tokio::test]
async fn a_resident_applies_pays_and_downloads_the_receipt() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("shop_resident_permit").await else {
        return;
    };
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);

    browser.goto(&format!("{base}/")).await;
    browser.wait_for(".cards").await;
    browser.checkpoint("home").await;

    browser
        .goto(&format!("{base}/login?back=/t/kobenhavn/products/P-RES-K1"))
        .await;
    browser.wait_for(".people").await;
    browser.checkpoint("login").await;
    browser.click(METTE).await;

    browser.wait_for_url("/products/P-RES-K1").await;
    browser.fill("Number plate", "AB12345").await;
    browser.click("Check with my details").await;
    browser.wait_for("#check-result.ok").await;
    browser.checkpoint("product-pre-check").await;
    browser.click("Apply").await;

    browser.wait_for_url("/apply").await;
    browser.wait_for("#zone-map[data-drawn]").await;
    browser.checkpoint("apply-with-map").await;
    browser.fill("Number plate", "AB12345").await;
    browser.click("Apply and go to the basket").await;

    browser.wait_for_url("/basket").await;
    browser.wait_for("#basket").await;
    browser.checkpoint("basket").await;
    browser.click("Pay").await;

    browser.wait_for_url("/sandbox/checkout/").await;
    browser.fill("Card number", success_card()).await;
    browser.click("Pay").await;

    browser.wait_for_url("/status").await;
    browser.wait_for("[data-status=captured]").await;
    browser.wait_for("#receipt").await;
    browser.checkpoint("paid").await;

    // The receipt downloads as a PDF with the browser's own session.
    let answer = browser
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('receipt').href)
               .then(r => r.arrayBuffer().then(b => done(r.status + ' ' + r.headers.get('content-type') + ' ' + b.byteLength)))
               .catch(e => done('error ' + e));",
            vec![],
        )
        .await
        .unwrap();
    let answer = answer.as_str().unwrap_or_default().to_owned();
    assert!(answer.starts_with("200 application/pdf "), "{answer}");

    browser.goto(&format!("{base}/my/permits")).await;
    browser.wait_for("[data-status=active]").await;
    browser.checkpoint("my-permits").await;
    browser.click("Resident permit").await;
    browser.wait_for("#permit-pdf").await;
    browser.checkpoint("my-permit").await;
}

#[tokio::test]
async fn someone_elses_car_is_refused_with_the_reason_in_danish() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("shop_refused_in_danish").await else {
        return;
    };
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    // The language switcher: Danish from now on in this browser.
    browser.goto(&format!("{base}/")).await;
    browser.click("Dansk").await;
    browser.wait_for("html[lang=da]").await;
    browser
        .goto(&format!(
            "{base}/login?back=/t/kobenhavn/products/P-RES-K1/apply"
        ))
        .await;
    browser.wait_for(".people").await;
    browser.click(SOFIE).await;
    browser.wait_for_url("/apply").await;
    browser.fill("plate", "AB12345").await;
    browser.wait_for("form button[type=submit]").await;
    browser
        .client()
        .execute(
            "document.querySelector('main form button[type=submit]').click()",
            vec![],
        )
        .await
        .unwrap();
    browser.wait_for("#refusal").await;
    browser
        .wait_for_text("Du skal være registreret som ejer eller bruger af køretøjet.")
        .await;
    browser.checkpoint("refused-da").await;
}

#[tokio::test]
async fn a_rotterdam_citizen_pays_two_bills_in_one_basket() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("shop_two_bills").await else {
        return;
    };
    let app = spawn_app().await;
    // Two bills from two departments, addressed to Daan de Vries (BSN 999990019).
    let tenant = app
        .platform
        .store
        .tenant_by_slug("rotterdam")
        .await
        .unwrap()
        .unwrap();
    let (key, _) = civicpay_api::service::create_api_key(
        &app.platform.store.scope(tenant),
        "city systems",
        vec![civicpay_domain::ApiScope::Payments],
        &civicpay_domain::audit::Actor::System,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    for (n, (what, price)) in [
        ("Afvalstoffenheffing 2027", "312.40"),
        ("Bibliotheek: boete", "7.50"),
    ]
    .iter()
    .enumerate()
    {
        let body: serde_json::Value = civicpay_tests::TestApp::client()
            .post(app.endpoint(Some("rotterdam")))
            .bearer_auth(&key)
            .json(&json!({
                "query": "mutation($input: PaymentRequestInput!, $key: String!) { createPaymentRequest(input: $input, idempotencyKey: $key) { id status } }",
                "variables": { "key": format!("bill-{n}"), "input": {
                    "description": what, "externalReference": format!("RTM-{n}"),
                    "lines": [{ "description": what, "unitPrice": price, "vatCode": "vrij" }],
                    "debtor": { "kind": "NATIONAL_ID", "value": "999990019" } } }
            }))
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(
            body["data"]["createPaymentRequest"]["status"], "open",
            "{body}"
        );
    }
    let base = format!("{}/t/rotterdam", app.address);
    browser
        .goto(&format!("{base}/login?back=/t/rotterdam/my/bills"))
        .await;
    browser.click("Daan de Vries").await;
    browser.wait_for("#open-bills").await;
    browser.checkpoint("my-bills").await;
    browser
        .client()
        .execute(
            "document.querySelectorAll('#open-bills input[type=checkbox]').forEach(c => { c.checked = true; });",
            vec![],
        )
        .await
        .unwrap();
    browser.click("Add the chosen bills to the basket").await;
    browser.wait_for_url("/basket").await;
    browser.wait_for_text("Afvalstoffenheffing 2027").await;
    browser.wait_for_text("Bibliotheek: boete").await;
    browser.wait_for_text("319").await;
    browser.checkpoint("basket-two-bills").await;
    browser.click("Pay").await;
    browser.wait_for_url("/sandbox/checkout/").await;
    browser.fill("Card number", success_card()).await;
    browser.click("Pay").await;
    browser.wait_for("[data-status=captured]").await;
    browser.checkpoint("two-bills-paid").await;
    browser.goto(&format!("{base}/my/bills")).await;
    browser.wait_for_text("Paid and closed").await;
    browser.checkpoint("my-bills-paid").await;
}

#[tokio::test]
async fn a_declined_card_explains_and_offers_a_retry() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start("shop_declined_retry").await else {
        return;
    };
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    browser
        .goto(&format!(
            "{base}/login?back=/t/kobenhavn/products/P-RES-K1/apply"
        ))
        .await;
    browser.click(METTE).await;
    browser.wait_for_url("/apply").await;
    browser.fill("Number plate", "AB12345").await;
    browser.click("Apply and go to the basket").await;
    browser.wait_for("#basket").await;
    browser.click("Pay").await;
    browser.wait_for_url("/sandbox/checkout/").await;
    let declined = civicpay_psp::TEST_CARDS
        .iter()
        .find(|c| c.outcome.contains("declined"))
        .unwrap();
    browser.fill("Card number", declined.number).await;
    browser.click("Pay").await;
    browser.wait_for_url("/status").await;
    browser.wait_for("[data-status=failed]").await;
    browser.wait_for("#retry").await;
    browser.checkpoint("declined").await;
    browser.click("Try again").await;
    browser.wait_for_url("/sandbox/checkout/").await;
    browser.fill("Card number", success_card()).await;
    browser.click("Pay").await;
    browser.wait_for("[data-status=captured]").await;
    browser.checkpoint("retry-paid").await;
}
