//! The citizen shop over plain HTTP (the browser tests drive the same pages in Chromium): the
//! whole journey from the development log-in to the receipt, the security headers and CSRF,
//! field errors, and isolation between citizens and between councils.

use crate::eligibility::GOOD_ID;
use civicpay_tests::{TestApp, spawn_app};
use reqwest::redirect::Policy;

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn page(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(crate) fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(url).form(form).send().await.unwrap()
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Logs in as demo person `id` of council `slug`; the client and its CSRF token.
pub(crate) async fn log_in(app: &TestApp, slug: &str, id: &str) -> (reqwest::Client, String) {
    let client = browser();
    let (status, html) = page(&client, &format!("{}/t/{slug}/login", app.address)).await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    let r = post(
        &client,
        &format!("{}/t/{slug}/login/development", app.address),
        &[
            ("csrf", &csrf),
            ("national_id", id),
            ("back", &format!("/t/{slug}/my/permits")),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), format!("/t/{slug}/my/permits"));
    (client, csrf)
}

#[tokio::test]
async fn a_resident_applies_pays_in_the_basket_and_gets_the_permit_and_receipt() {
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    let (mette, csrf) = log_in(&app, "kobenhavn", GOOD_ID).await;

    let (status, home) = page(&mette, &format!("{base}/")).await;
    assert_eq!(status, 200);
    assert!(home.contains("/products/P-RES-K1"), "{home}");
    assert!(
        home.contains("Mette Sørensen"),
        "the header names who is logged in"
    );

    // The pre-check on the product page says yes, and where the address is.
    let (_, product) = page(
        &mette,
        &format!("{base}/products/P-RES-K1?check=1&plate=AB12345"),
    )
    .await;
    assert!(product.contains("id=\"check-result\""), "{product}");
    assert!(product.contains("notice ok"), "{product}");

    // A missing plate is an error tied to its field, and nothing is applied.
    let r = post(
        &mette,
        &format!("{base}/products/P-RES-K1/apply"),
        &[("csrf", &csrf), ("plate", "")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"plate-error\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");

    let r = post(
        &mette,
        &format!("{base}/products/P-RES-K1/apply"),
        &[("csrf", &csrf), ("plate", "AB 12 345"), ("starts_on", "")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        location(&r).starts_with("/t/kobenhavn/basket"),
        "{}",
        location(&r)
    );
    let (_, basket) = page(&mette, &format!("{base}/basket")).await;
    assert!(basket.contains("1.620,00"), "{basket}");

    let r = post(
        &mette,
        &format!("{base}/checkout"),
        &[("csrf", &csrf), ("email", "mette@example.dk")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let psp = location(&r);
    assert!(psp.contains("/sandbox/checkout/"), "{psp}");
    let r = post(&mette, &psp, &[("card_number", "4242424242424242")]).await;
    let back = location(&r);
    assert!(back.contains("/t/kobenhavn/payments/"), "{back}");
    let mut status_page = String::new();
    for _ in 0..50 {
        status_page = page(&mette, &back).await.1;
        if status_page.contains("data-status=\"captured\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        status_page.contains("data-status=\"captured\""),
        "{status_page}"
    );
    let receipt = status_page
        .split("id=\"receipt\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&#x2F;", "/");
    let r = mette
        .get(format!("{}{receipt}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // Compressed on request, the receipt is the same PDF.
    let r = mette
        .get(format!("{}{receipt}", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(gunzip(&r.bytes().await.unwrap()), pdf);

    let (_, mine) = page(&mette, &format!("{base}/my/permits")).await;
    assert!(mine.contains("data-status=\"active\""), "{mine}");
    assert!(
        mine.contains("AB 12 345"),
        "the plate is written the Danish way: {mine}"
    );
    // The permit's page and "My bills" link the same receipt.
    let permit_id = mine
        .split("/my/permits/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let (_, permit) = page(&mette, &format!("{base}/my/permits/{permit_id}")).await;
    let permit = permit.replace("&#x2F;", "/");
    assert!(
        permit.contains(&format!("id=\"receipt\" href=\"{receipt}\"")),
        "{receipt} in {permit}"
    );
    let (_, bills) = page(&mette, &format!("{base}/my/bills")).await;
    let bills = bills.replace("&#x2F;", "/");
    assert!(
        bills.contains(&format!("<a href=\"{receipt}\">")),
        "{receipt} in {bills}"
    );
    let (_, paid) = page(&mette, &format!("{base}/my/payments")).await;
    assert!(paid.contains("data-status=\"captured\""), "{paid}");
    // The basket emptied itself once paid.
    let (_, basket) = page(&mette, &format!("{base}/basket")).await;
    assert!(!basket.contains("id=\"basket\""), "{basket}");
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_forms_without_the_token_are_refused() {
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    let client = browser();
    let r = client.get(format!("{base}/")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style=\""),
        "no inline script or style"
    );

    let (mette, csrf) = log_in(&app, "kobenhavn", GOOD_ID).await;
    let r = post(
        &mette,
        &format!("{base}/products/P-RES-K1/apply"),
        &[("csrf", "0".repeat(64).as_str()), ("plate", "AB12345")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = mette
        .post(format!("{base}/products/P-RES-K1/apply"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("plate", "AB12345")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "a form from another origin");
    let (_, mine) = page(&mette, &format!("{base}/my/permits")).await;
    assert!(
        !mine.contains("pending_payment"),
        "nothing was applied: {mine}"
    );
}

#[tokio::test]
async fn a_citizen_sees_nothing_of_another_citizen_or_at_another_council() {
    let app = spawn_app().await;
    let base = format!("{}/t/kobenhavn", app.address);
    let (mette, csrf) = log_in(&app, "kobenhavn", GOOD_ID).await;
    let r = post(
        &mette,
        &format!("{base}/products/P-RES-K1/apply"),
        &[("csrf", &csrf), ("plate", "AB12345")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, mine) = page(&mette, &format!("{base}/my/permits")).await;
    let permit_link = mine
        .split("/my/permits/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let (_, basket) = page(&mette, &format!("{base}/basket")).await;
    let bill = basket
        .split("name=\"bill\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    // Another citizen of the same council: the permit is not found, the bill cannot be taken.
    let (lars, lars_csrf) = log_in(&app, "kobenhavn", "030772-0000").await;
    let (status, _) = page(&lars, &format!("{base}/my/permits/{permit_link}")).await;
    assert_eq!(status, 404);
    let r = post(
        &lars,
        &format!("{base}/basket/add"),
        &[("csrf", &lars_csrf), ("bill", &bill)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);
    let r = post(
        &lars,
        &format!("{base}/checkout"),
        &[("csrf", &lars_csrf), ("bill", &bill)],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        404,
        "paying someone else's bill is refused"
    );

    // Mette's session does not count at Rotterdam: its pages ask her to log in.
    let r = mette
        .get(format!("{}/t/rotterdam/my/permits", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        location(&r).starts_with("/t/rotterdam/login"),
        "{}",
        location(&r)
    );
    let (_, home) = page(&mette, &format!("{}/t/rotterdam/", app.address)).await;
    assert!(!home.contains("Mette"), "not logged in at another council");
}

/// The `<tr>` of the basket that holds `needle`.
fn basket_row<'a>(html: &'a str, needle: &str) -> &'a str {
    html.split("<tr>")
        .find(|row| row.contains(needle))
        .unwrap_or_else(|| panic!("no basket row with {needle}: {html}"))
}

#[tokio::test]
async fn the_basket_shows_each_bills_vat_over_all_its_lines_and_per_rate() {
    let app = spawn_app().await;
    let key = crate::payments::payments_key(&app, "rotterdam").await;
    let create = "mutation($input: PaymentRequestInput!, $key: String!) { createPaymentRequest(input: $input, idempotencyKey: $key) { id status } }";
    let debtor = serde_json::json!({ "kind": "NATIONAL_ID", "value": "999990019" });
    // A permit with its fee: one line at 21 % (VAT 21.00), one at 9 % (VAT 0.90).
    let mixed = crate::payments::with_key(
        &app,
        "rotterdam",
        &key,
        create,
        serde_json::json!({ "key": "mixed", "input": {
            "description": "Parkeervergunning bewoners", "externalReference": "RTM-VAT-1",
            "debtor": debtor,
            "lines": [
                { "description": "Vergunning", "unitPrice": "121.00", "vatCode": "hoog" },
                { "description": "Leges", "unitPrice": "10.90", "vatCode": "laag" }
            ] } }),
    )
    .await;
    let mixed = mixed["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{mixed}"))
        .to_owned();
    let exempt = crate::payments::with_key(
        &app,
        "rotterdam",
        &key,
        create,
        serde_json::json!({ "key": "exempt", "input": {
            "description": "Bibliotheek: boete", "externalReference": "RTM-VAT-2",
            "debtor": debtor,
            "lines": [{ "description": "Boete", "unitPrice": "7.50", "vatCode": "vrij" }] } }),
    )
    .await;
    let exempt = exempt["data"]["createPaymentRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{exempt}"))
        .to_owned();

    let base = format!("{}/t/rotterdam", app.address);
    let (daan, csrf) = log_in(&app, "rotterdam", "999990019").await;
    let r = post(
        &daan,
        &format!("{base}/basket/add"),
        &[("csrf", &csrf), ("bill", &mixed), ("bill", &exempt)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (status, basket) = page(&daan, &format!("{base}/basket")).await;
    assert_eq!(status, 200, "{basket}");

    let nb = '\u{a0}';
    // The bill's VAT is its two lines' (not the first line's 21.00), stated per rate.
    let row = basket_row(&basket, "Parkeervergunning bewoners");
    assert!(
        row.contains(&format!("id=\"vat-{mixed}\">€{nb}21,90<")),
        "{row}"
    );
    assert!(row.contains(&format!("21%: €{nb}21,00")), "{row}");
    assert!(row.contains(&format!("9%: €{nb}0,90")), "{row}");
    assert!(
        row.contains(&format!("€{nb}131,90")),
        "the bill's amount: {row}"
    );
    // One rate only: the sum says it all.
    let row = basket_row(&basket, "Bibliotheek: boete");
    assert!(
        row.contains(&format!("id=\"vat-{exempt}\">€{nb}0,00<")),
        "{row}"
    );
    assert!(!row.contains("%:"), "{row}");
    // The basket: the total, the VAT in it, and the VAT per rate.
    assert!(
        basket.contains(&format!("id=\"basket-total\"><strong>€{nb}139,40<")),
        "{basket}"
    );
    assert!(
        basket.contains(&format!("id=\"basket-vat\">€{nb}21,90<")),
        "{basket}"
    );
    assert!(
        basket.contains(&format!(
            "21%</small></td><td></td><td class=\"amount\"><small>€{nb}21,00"
        )),
        "{basket}"
    );
}

/// `bytes` gzip-decoded.
pub(crate) fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn pages_and_api_answers_come_compressed_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let home = format!("{}/t/kobenhavn/", app.address);
    // One cookie jar, so both answers carry the same CSRF token and are the same page.
    let client = browser();
    let first = client.get(&home).send().await.unwrap();
    assert!(
        first.headers().get("content-encoding").is_none(),
        "nothing asked, nothing compressed"
    );
    let plain = client.get(&home).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();

    let r = client
        .get(&home)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(
        r.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding"),
        "{:?}",
        r.headers()
    );
    // The page's own headers survive the compression.
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let sent = r.bytes().await.unwrap();
    assert!(
        sent.len() < plain.len() / 2,
        "{} of {}",
        sent.len(),
        plain.len()
    );
    assert_eq!(String::from_utf8(gunzip(&sent)).unwrap(), plain);

    // Browsers ask for brotli first and get it.
    let r = client
        .get(&home)
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert!(r.bytes().await.unwrap().len() < plain.len() / 2);

    // The stylesheet, and a GraphQL answer, decode to what they were.
    let r = client
        .get(format!("{}/assets/shop.css", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let css = String::from_utf8(gunzip(&r.bytes().await.unwrap())).unwrap();
    assert!(css.contains('{'), "{css}");
    let r = client
        .post(app.endpoint(Some("kobenhavn")))
        .header("accept-encoding", "gzip")
        .json(&serde_json::json!({ "query": "{ tenant { slug } products { sku } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let body: serde_json::Value =
        serde_json::from_slice(&gunzip(&r.bytes().await.unwrap())).unwrap();
    assert_eq!(body["data"]["tenant"]["slug"], "kobenhavn", "{body}");
}
