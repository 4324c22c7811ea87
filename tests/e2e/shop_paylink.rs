//! A bill's pay link (`payUrl`) as the shop's page: what is owed line by line with VAT, in the
//! council's language, paid without logging in; the form is protected like every other, an
//! e-mail that is not one is tied to its field, and the bill's own citizen may basket it.

use crate::eligibility::GOOD_ID;
use crate::payments::{CREATE, payments_key, request_input, start_pay_link, with_key};
use crate::shop::{browser, csrf_of, log_in, page, post};
use serde_json::json;

#[tokio::test]
async fn the_pay_link_shows_the_bill_and_pays_it_without_logging_in() {
    let app = civicpay_tests::spawn_app().await;
    let key = payments_key(&app, "kobenhavn").await;
    let mut input = request_input("LIB-7", None);
    input["debtor"] = json!({ "kind": "NATIONAL_ID", "value": GOOD_ID });
    let created = with_key(
        &app,
        "kobenhavn",
        &key,
        CREATE,
        json!({ "input": input, "key": "lib-7" }),
    )
    .await;
    let bill = &created["data"]["createPaymentRequest"];
    let pay_url = bill["payUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    let id = bill["id"].as_str().unwrap();

    let anonymous = browser();
    let (status, html) = page(&anonymous, pay_url).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html lang=\"da\""), "the council's language");
    assert!(html.contains("Replacement of lost book"), "{html}");
    assert!(html.contains(bill["reference"].as_str().unwrap()), "{html}");
    assert!(
        html.contains("id=\"bill-total\"><strong>220,00\u{a0}kr.</strong>"),
        "{html}"
    );
    // 2 × 20.00 at 25 % VAT included: 8.00 of VAT; the book is exempt.
    assert!(html.contains("id=\"bill-vat\">8,00\u{a0}kr.<"), "{html}");
    assert!(html.contains("data-status=\"open\""), "{html}");
    assert!(!html.contains("add-to-basket"), "not logged in: {html}");

    // No token, no payment.
    let r = post(&anonymous, pay_url, &[("email", "")]).await;
    assert_eq!(r.status().as_u16(), 403);
    // An e-mail that is not one comes back tied to its field, the entry kept.
    let csrf = csrf_of(&html);
    let r = post(&anonymous, pay_url, &[("csrf", &csrf), ("email", "mette@")]).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("value=\"mette@\""), "{html}");
    let payments = with_key(
        &app,
        "kobenhavn",
        &key,
        r#"query($id: ID!) { paymentRequest(id: $id) { payments { id } } }"#,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        payments["data"]["paymentRequest"]["payments"],
        json!([]),
        "nothing was started: {payments}"
    );

    // The bill's own citizen may put it in the basket; someone else may not.
    let (mette, _) = log_in(&app, "kobenhavn", GOOD_ID).await;
    let (_, html) = page(&mette, pay_url).await;
    assert!(html.contains("id=\"add-to-basket\""), "{html}");
    let (lars, _) = log_in(&app, "kobenhavn", "030772-0000").await;
    let (_, html) = page(&lars, pay_url).await;
    assert!(!html.contains("id=\"add-to-basket\""), "{html}");

    // Paying needs no log-in: to the PSP.
    let r = start_pay_link(&anonymous, pay_url, "").await;
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("/sandbox/checkout/"), "{to}");

    // Another council's pages do not know it.
    let (status, _) = page(&anonymous, &format!("{}/t/rotterdam/pay/{id}", app.address)).await;
    assert_eq!(status, 404);
}
