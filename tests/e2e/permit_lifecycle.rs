//! The permit lifecycle's staff side through HTTP, on Copenhagen's demo council: the
//! caseworker's review of car-share applications with authorize-only payments (approve
//! captures, reject voids), prices explained line by line (emission class, registered letter),
//! corrections of an active permit (extend, temporary vehicle, replace, cancel with a refund),
//! renewal, the free garage tag, revocation, and what other councils and roles may not do.

use crate::eligibility::GOOD_ID;
use chrono::{Datelike, Months, NaiveDate, Utc};
use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;

/// Sofie Jensen, Nyhavn 18 (zone K1), owner of the electric EF34567.
const SOFIE_ID: &str = "250990-2006";
/// A plate in nobody's register: a substitute (loan) car.
const LOAN_PLATE: &str = "ZZ11223";
/// Karen Pedersen's car: not the applicants'.
const SOMEONE_ELSES_PLATE: &str = "JK56789";
/// The sandbox's success card.
const CARD: &str = "4242424242424242";

const CASEWORKER: &str = "sag@kk.example";
const FINANCE: &str = "finans@kk.example";

/// Every field of a permit the tests look at; queries use it as `...P`.
const PERMIT: &str = r#"fragment P on Permit {
  id sku status plate temporaryPlate temporaryUntil zoneCode validFrom validTo startsOn holder
  delivery paymentRequestId decisionReason reviewedBy reviewedAt renewsPermitId
  price { lines { kind sku text amount periodFrom periodTo } total currency }
  corrections { id kind status paymentRequestId refundId appliedAt
                price { lines { kind sku amount periodFrom periodTo } total currency } }
}"#;

const APPLY: &str = r#"mutation($sku: String!, $id: String!, $plate: String, $delivery: Delivery) {
  applyForPermit(sku: $sku, nationalId: $id, plate: $plate, delivery: $delivery,
                 purpose: "application at the counter") { permit { ...P } payUrl } }"#;

const GET_PERMIT: &str = r#"query($id: ID!) { permit(id: $id) { ...P } }"#;

const SEARCH: &str = r#"query($plate: String) { permits(plate: $plate) { ...P } }"#;

const QUEUE: &str = r#"{ reviewQueue { permit { ...P } requestStatus paymentStatus
  authorizationExpiresAt authorizationExpiring } }"#;

const APPROVE: &str = r#"mutation($id: ID!) { approvePermit(id: $id) { ...P } }"#;

const REJECT: &str =
    r#"mutation($id: ID!, $reason: String!) { rejectPermit(id: $id, reason: $reason) { ...P } }"#;

const REVOKE: &str =
    r#"mutation($id: ID!, $reason: String!) { revokePermit(id: $id, reason: $reason) { ...P } }"#;

const CORRECT: &str = r#"mutation($id: ID!, $c: CorrectionRequest!, $nid: String) {
  correctPermit(id: $id, correction: $c, nationalId: $nid) {
    correction { id kind status paymentRequestId refundId appliedAt
                 price { lines { kind sku amount periodFrom periodTo } total currency } }
    permit { ...P } payUrl refunded } }"#;

const RENEW: &str = r#"mutation($id: ID!, $nid: String!) {
  renewPermit(id: $id, nationalId: $nid) { permit { ...P } payUrl } }"#;

const REQUEST: &str = r#"query($id: ID!) { paymentRequest(id: $id) {
  status amount { amount } paid { amount }
  lines { sku unitPrice { amount } lineTotal { amount } }
  payments { id status amount { amount } captured { amount } refunded { amount } flaggedReason } } }"#;

const PAYMENT: &str = r#"query($id: ID!) { payment(id: $id) {
  status amount { amount } captured { amount } refunded { amount } flaggedReason
  refunds { amount { amount } reason status } } }"#;

// --- Shared helpers -------------------------------------------------------------------------

/// Posts `query` (with the permit fragment when it uses it) as `client` on council `slug`.
async fn gql_as(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    query: &str,
    variables: Value,
) -> Value {
    let query = if query.contains("...P") {
        format!("{query}\n{PERMIT}")
    } else {
        query.to_owned()
    };
    app.gql_with(client, Some(slug), &query, variables).await
}

/// Copenhagen with a caseworker and a finance officer logged in.
struct Kk {
    app: TestApp,
    staff: reqwest::Client,
    finance: reqwest::Client,
}

impl Kk {
    async fn start() -> Self {
        let app = spawn_app().await;
        app.create_user(Some("kobenhavn"), CASEWORKER, Role::Caseworker)
            .await;
        app.create_user(Some("kobenhavn"), FINANCE, Role::Finance)
            .await;
        let staff = app.logged_in(Some("kobenhavn"), CASEWORKER).await;
        let finance = app.logged_in(Some("kobenhavn"), FINANCE).await;
        Self {
            app,
            staff,
            finance,
        }
    }

    /// As the caseworker.
    async fn gql(&self, query: &str, variables: Value) -> Value {
        gql_as(&self.app, &self.staff, "kobenhavn", query, variables).await
    }

    /// The council's business date.
    async fn today(&self) -> NaiveDate {
        let body = self
            .app
            .gql(Some("kobenhavn"), "{ tenant { today } }")
            .await;
        date(&body["data"]["tenant"]["today"])
    }

    async fn apply_raw(
        &self,
        sku: &str,
        id: &str,
        plate: Option<&str>,
        delivery: Option<&str>,
    ) -> Value {
        self.gql(
            APPLY,
            json!({ "sku": sku, "id": id, "plate": plate, "delivery": delivery }),
        )
        .await
    }

    /// Applies and returns the permit and its pay link (panics on an error).
    async fn apply(
        &self,
        sku: &str,
        id: &str,
        plate: Option<&str>,
        delivery: Option<&str>,
    ) -> (Value, Option<String>) {
        let body = self.apply_raw(sku, id, plate, delivery).await;
        let applied = &body["data"]["applyForPermit"];
        assert!(applied["permit"]["id"].is_string(), "{body}");
        (
            applied["permit"].clone(),
            applied["payUrl"].as_str().map(str::to_owned),
        )
    }

    async fn permit(&self, id: &str) -> Value {
        let body = self.gql(GET_PERMIT, json!({ "id": id })).await;
        assert!(body["data"]["permit"]["id"].is_string(), "{body}");
        body["data"]["permit"].clone()
    }

    /// Polls the permit until `check` holds, or fails after 15 s.
    async fn wait_permit(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..150 {
            last = self.permit(id).await;
            if check(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("permit {id} never got {what}: {last}");
    }

    async fn wait_status(&self, id: &str, status: &str) -> Value {
        self.wait_permit(id, status, |p| p["status"] == status)
            .await
    }

    /// A payment request as finance sees it.
    async fn request(&self, id: &str) -> Value {
        let body = gql_as(
            &self.app,
            &self.finance,
            "kobenhavn",
            REQUEST,
            json!({ "id": id }),
        )
        .await;
        assert!(body["data"]["paymentRequest"].is_object(), "{body}");
        body["data"]["paymentRequest"].clone()
    }

    /// One payment as finance sees it.
    async fn payment(&self, id: &str) -> Value {
        let body = gql_as(
            &self.app,
            &self.finance,
            "kobenhavn",
            PAYMENT,
            json!({ "id": id }),
        )
        .await;
        assert!(body["data"]["payment"].is_object(), "{body}");
        body["data"]["payment"].clone()
    }

    async fn queue(&self) -> Vec<Value> {
        let body = self.gql(QUEUE, json!({})).await;
        body["data"]["reviewQueue"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .clone()
    }

    /// Polls the review queue until the permit's item satisfies `check`.
    async fn wait_queue_item(&self, id: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Vec::new();
        for _ in 0..150 {
            last = self.queue().await;
            if let Some(item) = last.iter().find(|i| i["permit"]["id"] == id)
                && check(item)
            {
                return item.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("review item for {id} never got there: {last:?}");
    }

    async fn correct(&self, id: &str, correction: Value, national_id: Option<&str>) -> Value {
        self.gql(
            CORRECT,
            json!({ "id": id, "c": correction, "nid": national_id }),
        )
        .await
    }

    /// Applies, pays with the success card and waits until the permit is active.
    async fn active(&self, sku: &str, id: &str, plate: &str) -> Value {
        let (permit, pay_url) = self.apply(sku, id, Some(plate), None).await;
        assert_eq!(permit["status"], "PENDING_PAYMENT", "{permit}");
        pay(&pay_url.unwrap()).await;
        self.wait_status(permit["id"].as_str().unwrap(), "ACTIVE")
            .await
    }
}

/// Pays a pay link with the sandbox's success card.
async fn pay(pay_url: &str) {
    crate::payments::pay_with_card(pay_url, CARD).await;
}

fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"))
        .parse()
        .unwrap()
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The last day of a one-year permit from `from`.
fn year_end(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(Months::new(12))
        .unwrap()
        .pred_opt()
        .unwrap()
}

/// `(kind, sku, amount)` of each price line.
fn lines(price: &Value) -> Vec<(String, String, String)> {
    price["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no price lines: {price}"))
        .iter()
        .map(|l| {
            (
                str_of(&l["kind"]).to_owned(),
                l["sku"].as_str().unwrap_or_default().to_owned(),
                str_of(&l["amount"]).to_owned(),
            )
        })
        .collect()
}

fn line(kind: &str, sku: &str, amount: &str) -> (String, String, String) {
    (kind.to_owned(), sku.to_owned(), amount.to_owned())
}

/// "1620.00" → 162000.
fn minor(amount: &str) -> i64 {
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, "00"));
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().unwrap();
    let frac: i64 = format!("{frac:0<2}")[..2].parse().unwrap();
    sign * (whole * 100 + frac)
}

/// 162000 → "1620.00" (non-negative).
fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Copenhagen's resident permit price on `on` (products.toml / pricing.toml): the petrol
/// price (the product's own price) and the electric emission-class price.
fn resident_prices(on: NaiveDate) -> (&'static str, &'static str) {
    if on < NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() {
        ("1620.00", "465.00")
    } else {
        ("1740.00", "500.00")
    }
}

/// The month rule of docs/tenant-config.md ("pricing.toml"): period months anchored at the
/// permit's first day; a cancellation on `on` gives back the months not started before `on`,
/// computed as paid − the charge for the used months (half-up).
fn expected_refund(paid_minor: i64, from: NaiveDate, on: NaiveDate) -> i64 {
    let started = (0..12u32)
        .filter(|k| from.checked_add_months(Months::new(*k)).unwrap() < on)
        .count() as i64;
    let used = (paid_minor * started * 2 + 12) / 24;
    paid_minor - used
}

/// Moves an active permit's validity back to `from..from + 1 year - 1 day`, as if it had been
/// paid for earlier (the API never backdates a permit; this lets a cancellation fall in a
/// later period month).
async fn backdate(app: &TestApp, permit_id: &str, from: NaiveDate) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let id = uuid::Uuid::parse_str(permit_id).unwrap();
    let mut update = Query::update();
    update
        .table(Alias::new("permits"))
        .value(Alias::new("valid_from"), from)
        .value(Alias::new("valid_to"), year_end(from))
        .and_where(Expr::col(Alias::new("id")).eq(id));
    let done = app
        .platform
        .store
        .connection()
        .execute(&update)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

// --- 1-3: the caseworker's review ------------------------------------------------------------

#[tokio::test]
async fn review_with_an_authorize_only_payment_captured_on_approval() {
    let kk = Kk::start().await;
    let (permit, pay_url) = kk.apply("P-CARSHARE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(permit["status"], "WAITING_REVIEW", "{permit}");
    assert!(permit["validFrom"].is_null(), "{permit}");
    assert_eq!(permit["price"]["total"], "3200.00", "{permit}");
    assert_eq!(
        lines(&permit["price"]),
        [line("base", "P-CARSHARE", "3200.00")]
    );
    let id = str_of(&permit["id"]).to_owned();
    let request_id = str_of(&permit["paymentRequestId"]).to_owned();

    // In the queue before the applicant has paid: an open bill, no payment yet.
    let queue = kk.queue().await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["permit"]["id"], id.as_str());
    assert_eq!(queue[0]["requestStatus"], "open");
    assert!(queue[0]["paymentStatus"].is_null(), "{queue:?}");
    assert!(queue[0]["authorizationExpiresAt"].is_null(), "{queue:?}");

    // The applicant pays: the money is only reserved.
    pay(&pay_url.expect("a payUrl for the authorize-only bill")).await;
    let item = kk
        .wait_queue_item(&id, |i| i["paymentStatus"] == "AUTHORIZED")
        .await;
    let paid_at = Utc::now();
    assert_eq!(item["requestStatus"], "open", "{item}");
    assert_eq!(item["authorizationExpiring"], false, "{item}");
    let expires: chrono::DateTime<Utc> = str_of(&item["authorizationExpiresAt"]).parse().unwrap();
    let ahead = expires - paid_at;
    assert!(
        ahead > chrono::Duration::days(7) - chrono::Duration::minutes(2)
            && ahead <= chrono::Duration::days(7) + chrono::Duration::seconds(5),
        "authorization expires {expires}, {ahead} ahead"
    );
    // Give a wrong capture a moment to happen: it must not.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(kk.permit(&id).await["status"], "WAITING_REVIEW");
    let request = kk.request(&request_id).await;
    assert_eq!(request["status"], "open", "{request}");
    let payment = &request["payments"][0];
    assert_eq!(payment["status"], "AUTHORIZED", "{request}");
    assert_eq!(payment["amount"]["amount"], "3200.00");
    assert_eq!(payment["captured"]["amount"], "0.00", "{request}");
    let payment_id = str_of(&payment["id"]).to_owned();

    // Approval captures it and the permit is active from today.
    let today = kk.today().await;
    let body = kk.gql(APPROVE, json!({ "id": id })).await;
    let approved = &body["data"]["approvePermit"];
    assert_eq!(approved["status"], "ACTIVE", "{body}");
    assert_eq!(date(&approved["validFrom"]), today);
    assert_eq!(date(&approved["validTo"]), year_end(today));
    assert_eq!(approved["reviewedBy"], format!("staff:{CASEWORKER}"));
    assert!(approved["reviewedAt"].is_string(), "{body}");
    let payment = kk.payment(&payment_id).await;
    assert_eq!(payment["status"], "CAPTURED", "{payment}");
    assert_eq!(payment["captured"]["amount"], "3200.00");
    assert_eq!(kk.request(&request_id).await["status"], "paid");
    assert!(kk.queue().await.is_empty());
    // The applicant is told by e-mail, at the address given when paying (S0-6).
    let mails = kk.app.emails(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: citizen@example.org"), "{}", mails[0]);
    assert!(
        mails[0].contains("Reply-To: parkering@kobenhavn.example"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains(&id.replace('-', "")),
        "the permit number: {}",
        mails[0]
    );
    // The PSP's own "captured" notice arrives afterwards: stale, nothing is flagged.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let payment = kk.payment(&payment_id).await;
    assert_eq!(payment["status"], "CAPTURED", "{payment}");
    assert!(payment["flaggedReason"].is_null(), "{payment}");
}

#[tokio::test]
async fn rejecting_an_application_voids_the_authorization_and_cancels_the_bill() {
    let kk = Kk::start().await;
    let (permit, pay_url) = kk.apply("P-CARSHARE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(permit["status"], "WAITING_REVIEW", "{permit}");
    let id = str_of(&permit["id"]).to_owned();
    let request_id = str_of(&permit["paymentRequestId"]).to_owned();
    pay(&pay_url.unwrap()).await;
    kk.wait_queue_item(&id, |i| i["paymentStatus"] == "AUTHORIZED")
        .await;

    let reason = "No car-share agreement on file";
    let body = kk.gql(REJECT, json!({ "id": id, "reason": reason })).await;
    let rejected = &body["data"]["rejectPermit"];
    assert_eq!(rejected["status"], "REJECTED", "{body}");
    assert_eq!(rejected["decisionReason"], reason);
    assert_eq!(rejected["reviewedBy"], format!("staff:{CASEWORKER}"));
    assert!(rejected["validFrom"].is_null());
    let request = kk.request(&request_id).await;
    assert_eq!(request["status"], "cancelled", "{request}");
    assert_eq!(request["payments"][0]["status"], "VOIDED", "{request}");
    assert_eq!(request["payments"][0]["captured"]["amount"], "0.00");
    assert!(kk.queue().await.is_empty());

    // Once decided, it cannot be rejected again (nor approved).
    let again = kk.gql(REJECT, json!({ "id": id, "reason": "again" })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    let approve = kk.gql(APPROVE, json!({ "id": id })).await;
    assert_eq!(error_code(&approve), "CONFLICT", "{approve}");
    assert_eq!(kk.permit(&id).await["decisionReason"], reason);
    // The applicant is told, with the reason.
    let mails = kk.app.emails(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("No car-share agreement on file"),
        "{}",
        mails[0]
    );
}

#[tokio::test]
async fn approved_before_paying_is_captured_when_paid() {
    let kk = Kk::start().await;
    let (permit, pay_url) = kk.apply("P-CARSHARE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(permit["status"], "WAITING_REVIEW", "{permit}");
    let id = str_of(&permit["id"]).to_owned();
    let request_id = str_of(&permit["paymentRequestId"]).to_owned();

    let body = kk.gql(APPROVE, json!({ "id": id })).await;
    let approved = &body["data"]["approvePermit"];
    assert_eq!(approved["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(approved["reviewedBy"], format!("staff:{CASEWORKER}"));
    assert!(approved["validFrom"].is_null(), "{body}");
    assert!(kk.queue().await.is_empty());

    // Paid afterwards: captured at once, no manual capture.
    pay(&pay_url.unwrap()).await;
    let today = kk.today().await;
    let active = kk.wait_status(&id, "ACTIVE").await;
    assert_eq!(date(&active["validFrom"]), today);
    assert_eq!(date(&active["validTo"]), year_end(today));
    let request = kk.request(&request_id).await;
    assert_eq!(request["status"], "paid", "{request}");
    assert_eq!(request["payments"][0]["status"], "CAPTURED", "{request}");
    assert_eq!(request["payments"][0]["captured"]["amount"], "3200.00");
}

// --- 4-5: prices explained -------------------------------------------------------------------

#[tokio::test]
async fn a_resident_permit_is_priced_by_the_cars_emission_class() {
    let kk = Kk::start().await;
    let today = kk.today().await;
    let (petrol, electric) = resident_prices(today);

    // Sofie Jensen lives in K1 (Nyhavn) and owns the electric EF34567.
    let (permit, pay_url) = kk.apply("P-RES-K1", SOFIE_ID, Some("EF34567"), None).await;
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{permit}");
    assert!(pay_url.is_some());
    assert_eq!(permit["zoneCode"], "K1");
    let emission = format!("-{}", major(minor(petrol) - minor(electric)));
    assert_eq!(
        lines(&permit["price"]),
        [
            line("base", "P-RES-K1", petrol),
            line("emission", "P-RES-K1", &emission),
        ],
        "{permit}"
    );
    assert_eq!(permit["price"]["total"], electric);
    assert_eq!(permit["price"]["currency"], "DKK");
    if today.year() == 2026 {
        assert_eq!(emission, "-1155.00");
        assert_eq!(electric, "465.00");
    }
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], electric, "{request}");
    // One bill line per SKU: the base and its emission adjustment make one line.
    let request_lines = request["lines"].as_array().unwrap();
    assert_eq!(request_lines.len(), 1, "{request}");
    assert_eq!(request_lines[0]["sku"], "P-RES-K1");
    assert_eq!(request_lines[0]["lineTotal"]["amount"], electric);

    // Mette Sørensen's AB12345 runs on petrol: the permit's own price.
    let (permit, _) = kk.apply("P-RES-K1", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{permit}");
    assert_eq!(permit["price"]["total"], petrol, "{permit}");
    let petrol_lines = lines(&permit["price"]);
    assert_eq!(petrol_lines[0], line("base", "P-RES-K1", petrol));
    assert!(
        petrol_lines[1..].iter().all(|(_, _, a)| minor(a) == 0),
        "{permit}"
    );
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], petrol, "{request}");
}

#[tokio::test]
async fn a_registered_letter_is_added_for_valuable_cards_sent_by_post() {
    let kk = Kk::start().await;
    let card = if kk.today().await.year() < 2027 {
        "1000.00"
    } else {
        "1050.00"
    };

    // A month card (over 500.00) sent by post: the registered letter is added.
    let (permit, pay_url) = kk
        .apply("PC-MONTH", GOOD_ID, Some("AB12345"), Some("POST"))
        .await;
    assert_eq!(permit["status"], "PENDING_PAYMENT", "{permit}");
    assert!(pay_url.is_some());
    assert_eq!(permit["delivery"], "POST");
    assert_eq!(
        lines(&permit["price"]),
        [
            line("base", "PC-MONTH", card),
            line("delivery_fee", "F-REG-LETTER", "60.00"),
        ],
        "{permit}"
    );
    let total = major(minor(card) + 6000);
    assert_eq!(permit["price"]["total"], total.as_str());
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], total.as_str(), "{request}");
    let skus: Vec<&str> = request["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| str_of(&l["sku"]))
        .collect();
    assert_eq!(skus, ["PC-MONTH", "F-REG-LETTER"], "{request}");

    // Collected at the counter: no letter.
    let (permit, _) = kk
        .apply("PC-MONTH", GOOD_ID, Some("AB12345"), Some("PICKUP"))
        .await;
    assert_eq!(permit["delivery"], "PICKUP");
    assert_eq!(
        lines(&permit["price"]),
        [line("base", "PC-MONTH", card)],
        "{permit}"
    );
    assert_eq!(permit["price"]["total"], card);

    // A day scratch ticket (150.00) by post: below the threshold, no letter.
    let (permit, _) = kk
        .apply("ST-DAY", GOOD_ID, Some("AB12345"), Some("POST"))
        .await;
    assert_eq!(
        lines(&permit["price"]),
        [line("base", "ST-DAY", "150.00")],
        "{permit}"
    );
    assert_eq!(permit["price"]["total"], "150.00");
}

// --- 6: corrections --------------------------------------------------------------------------

#[tokio::test]
async fn corrections_extend_and_temporary_vehicle_are_paid_then_applied() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();
    let valid_from = date(&permit["validFrom"]);
    let valid_to = date(&permit["validTo"]);
    let today = kk.today().await;

    // (a) Extend by three months: three period months of the year after the current end, at
    // the price in force then (petrol: the product's own), plus C-EXTEND.
    let new_to = valid_to.checked_add_months(Months::new(3)).unwrap();
    let body = kk
        .correct(&id, json!({ "extendTo": new_to.to_string() }), None)
        .await;
    let result = &body["data"]["correctPermit"];
    let correction = &result["correction"];
    assert_eq!(correction["kind"], "extend", "{body}");
    assert_eq!(correction["status"], "pending_payment", "{body}");
    assert!(correction["paymentRequestId"].is_string(), "{body}");
    let (annual, _) = resident_prices(valid_to.succ_opt().unwrap());
    let extension = major(minor(annual) * 3 / 12);
    assert_eq!(
        lines(&correction["price"]),
        [
            line("proration", "P-RES-K1", &extension),
            line("correction_fee", "C-EXTEND", "50.00"),
        ],
        "{body}"
    );
    let proration = &correction["price"]["lines"][0];
    assert_eq!(date(&proration["periodFrom"]), valid_to.succ_opt().unwrap());
    assert_eq!(date(&proration["periodTo"]), new_to);
    let total = major(minor(&extension) + 5000);
    assert_eq!(correction["price"]["total"], total.as_str());
    // Not applied until paid.
    assert_eq!(date(&result["permit"]["validTo"]), valid_to);
    assert!(result["refunded"].is_null());
    let request = kk.request(str_of(&correction["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], total.as_str(), "{request}");
    // One correction at a time: another one waits for this one's payment.
    let busy = kk
        .correct(
            &id,
            json!({ "temporaryPlate": LOAN_PLATE, "temporaryUntil": (today + chrono::Days::new(5)).to_string() }),
            None,
        )
        .await;
    assert_eq!(error_code(&busy), "CONFLICT", "{busy}");

    pay(str_of(&result["payUrl"])).await;
    let extended = kk
        .wait_permit(&id, "the new end", |p| p["validTo"] == new_to.to_string())
        .await;
    assert_eq!(extended["status"], "ACTIVE");
    assert_eq!(date(&extended["validFrom"]), valid_from);
    assert_eq!(
        extended["corrections"][0]["status"], "applied",
        "{extended}"
    );
    assert!(extended["corrections"][0]["appliedAt"].is_string());

    // (b) A loan car for two weeks: the C-TEMP fee only.
    let until = today + chrono::Days::new(14);
    let body = kk
        .correct(
            &id,
            json!({ "temporaryPlate": LOAN_PLATE, "temporaryUntil": until.to_string() }),
            None,
        )
        .await;
    let result = &body["data"]["correctPermit"];
    assert_eq!(result["correction"]["kind"], "temporary_vehicle", "{body}");
    assert_eq!(result["correction"]["status"], "pending_payment");
    assert_eq!(
        lines(&result["correction"]["price"]),
        [line("correction_fee", "C-TEMP", "75.00")],
        "{body}"
    );
    assert_eq!(result["correction"]["price"]["total"], "75.00");
    assert!(result["permit"]["temporaryPlate"].is_null());
    pay(str_of(&result["payUrl"])).await;
    let covered = kk
        .wait_permit(&id, "the loan car", |p| p["temporaryPlate"] == LOAN_PLATE)
        .await;
    assert_eq!(date(&covered["temporaryUntil"]), until);
    assert_eq!(covered["plate"], "AB12345");
    assert_eq!(covered["status"], "ACTIVE");
    // The warden's search by the loan car's plate finds the permit.
    let found = kk.gql(SEARCH, json!({ "plate": LOAN_PLATE })).await;
    let found = found["data"]["permits"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], id.as_str());

    // More than 30 days is refused.
    let body = kk
        .correct(
            &id,
            json!({ "temporaryPlate": LOAN_PLATE, "temporaryUntil": (today + chrono::Days::new(60)).to_string() }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    let corrections = &kk.permit(&id).await["corrections"];
    let kinds: Vec<(&str, &str)> = corrections
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (str_of(&c["kind"]), str_of(&c["status"])))
        .collect();
    assert_eq!(
        kinds,
        [("extend", "applied"), ("temporary_vehicle", "applied")],
        "{corrections}"
    );
}

#[tokio::test]
async fn refused_corrections_replace_with_someone_elses_car_and_two_at_once() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();

    // (d) A car Mette neither owns nor uses: the ownership rule refuses it.
    let body = kk
        .correct(
            &id,
            json!({ "replacePlate": SOMEONE_ELSES_PLATE }),
            Some(GOOD_ID),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let message = str_of(&body["errors"][0]["message"]);
    assert!(
        message.contains("Du skal være registreret som ejer eller bruger af køretøjet."),
        "{message}"
    );
    // Without the holder's national id the registers cannot be asked.
    let body = kk
        .correct(&id, json!({ "replacePlate": SOMEONE_ELSES_PLATE }), None)
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    // (e) Two corrections at once.
    let valid_to = date(&permit["validTo"]);
    let body = kk
        .correct(
            &id,
            json!({
                "extendTo": valid_to.checked_add_months(Months::new(1)).unwrap().to_string(),
                "cancelReason": "moving away",
            }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = kk.correct(&id, json!({}), None).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    // Nothing was recorded or changed.
    let after = kk.permit(&id).await;
    assert_eq!(after["corrections"], json!([]), "{after}");
    assert_eq!(after["plate"], "AB12345");
    assert_eq!(after["status"], "ACTIVE");
    assert_eq!(after["validTo"], permit["validTo"]);
}

/// Cancels the active permit `permit` (paid `paid`) today and checks the refund against the
/// month rule; returns the refunded amount.
async fn cancel_and_check_refund(kk: &Kk, permit: &Value, paid: &str) -> String {
    let id = str_of(&permit["id"]);
    let from = date(&permit["validFrom"]);
    let today = kk.today().await;
    let expected = major(expected_refund(minor(paid), from, today));
    let reason = "The holder sold the car";
    let body = kk
        .correct(id, json!({ "cancelReason": reason }), None)
        .await;
    let result = &body["data"]["correctPermit"];
    assert_eq!(result["permit"]["status"], "CANCELLED", "{body}");
    assert_eq!(result["permit"]["decisionReason"], reason);
    assert_eq!(result["correction"]["kind"], "cancel");
    assert_eq!(result["correction"]["status"], "applied", "{body}");
    assert!(result["payUrl"].is_null(), "{body}");
    assert!(result["correction"]["refundId"].is_string(), "{body}");
    let refunded = str_of(&result["refunded"]).to_owned();
    assert_eq!(refunded, expected, "{body}");
    assert!(minor(&refunded) > 0 && minor(&refunded) <= minor(paid));
    let price = &result["correction"]["price"];
    assert_eq!(price["total"], format!("-{refunded}"), "{body}");
    assert_eq!(
        lines(price),
        [line("credit", "P-RES-K1", &format!("-{refunded}"))]
    );
    // The credit covers the period months not started before today, to the permit's end.
    assert_eq!(
        date(&price["lines"][0]["periodTo"]),
        date(&permit["validTo"])
    );
    assert_eq!(kk.permit(id).await["status"], "CANCELLED");
    refunded
}

#[tokio::test]
async fn cancelling_on_the_first_day_refunds_every_month() {
    let kk = Kk::start().await;
    let (paid, _) = resident_prices(kk.today().await);
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    // Cancelled on its first day, the permit was never valid (it is valid up to the day
    // before the cancellation): no period month has started, all of it comes back.
    let refunded = cancel_and_check_refund(&kk, &permit, paid).await;
    assert_eq!(refunded, paid);
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    let payment = kk.payment(str_of(&request["payments"][0]["id"])).await;
    assert_eq!(payment["status"], "REFUNDED", "{payment}");
    assert_eq!(payment["refunded"]["amount"], paid);
    assert_eq!(payment["refunds"][0]["status"], "succeeded", "{payment}");
}

#[tokio::test]
async fn cancelling_later_refunds_the_months_not_started() {
    let kk = Kk::start().await;
    let today = kk.today().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    let paid = str_of(&request["payments"][0]["captured"]["amount"]).to_owned();
    let payment_id = str_of(&request["payments"][0]["id"]).to_owned();
    // As if paid 40 days ago: two period months have started.
    let from = today - chrono::Days::new(40);
    backdate(&kk.app, str_of(&permit["id"]), from).await;
    let permit = kk.permit(str_of(&permit["id"])).await;
    assert_eq!(date(&permit["validFrom"]), from);

    let refunded = cancel_and_check_refund(&kk, &permit, &paid).await;
    assert_eq!(
        minor(&refunded),
        minor(&paid) - (minor(&paid) * 2 * 2 + 12) / 24,
        "ten of twelve months back"
    );
    assert!(minor(&refunded) < minor(&paid));
    let payment = kk.payment(&payment_id).await;
    assert_eq!(payment["status"], "PARTIALLY_REFUNDED", "{payment}");
    assert_eq!(payment["refunded"]["amount"], refunded.as_str());
    assert_eq!(payment["captured"]["amount"], paid.as_str());
    assert_eq!(payment["refunds"][0]["amount"]["amount"], refunded.as_str());
    assert_eq!(payment["refunds"][0]["status"], "succeeded", "{payment}");
}

#[tokio::test]
async fn extending_an_electric_cars_permit_charges_the_emission_class_price() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", SOFIE_ID, "EF34567").await;
    let valid_to = date(&permit["validTo"]);
    let new_to = valid_to.checked_add_months(Months::new(3)).unwrap();
    let body = kk
        .correct(
            str_of(&permit["id"]),
            json!({ "extendTo": new_to.to_string() }),
            None,
        )
        .await;
    let correction = &body["data"]["correctPermit"]["correction"];
    // docs/tenant-config.md: "the annual price (in force, with the emission class, when the
    // extension starts)": 3/12 of the electric price.
    let (_, electric) = resident_prices(valid_to.succ_opt().unwrap());
    let extension = major(minor(electric) * 3 / 12);
    assert_eq!(
        lines(&correction["price"]),
        [
            line("proration", "P-RES-K1", &extension),
            line("correction_fee", "C-EXTEND", "50.00"),
        ],
        "{body}"
    );
}

// --- 7: renewal ------------------------------------------------------------------------------

#[tokio::test]
async fn renewal_starts_the_day_after_the_old_permit_ends() {
    let kk = Kk::start().await;
    let old = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let old_id = str_of(&old["id"]).to_owned();
    let starts = date(&old["validTo"]).succ_opt().unwrap();

    // Someone else's national id is refused.
    let body = kk
        .gql(RENEW, json!({ "id": old_id, "nid": SOFIE_ID }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    let body = kk.gql(RENEW, json!({ "id": old_id, "nid": GOOD_ID })).await;
    let renewal = &body["data"]["renewPermit"]["permit"];
    assert_eq!(renewal["status"], "PENDING_PAYMENT", "{body}");
    assert_ne!(renewal["id"], old_id.as_str());
    assert_eq!(renewal["renewsPermitId"], old_id.as_str());
    assert_eq!(date(&renewal["startsOn"]), starts);
    assert_eq!(renewal["plate"], "AB12345");
    // The price in force on the new first day (petrol: the product's own) plus C-RENEW.
    let (annual, _) = resident_prices(starts);
    let renewal_lines = lines(&renewal["price"]);
    assert_eq!(renewal_lines[0], line("base", "P-RES-K1", annual), "{body}");
    assert_eq!(
        renewal_lines.last().unwrap(),
        &line("correction_fee", "C-RENEW", "50.00"),
        "{body}"
    );
    let total = major(minor(annual) + 5000);
    assert_eq!(renewal["price"]["total"], total.as_str(), "{body}");
    let request = kk.request(str_of(&renewal["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], total.as_str(), "{request}");

    pay(str_of(&body["data"]["renewPermit"]["payUrl"])).await;
    let renewed = kk.wait_status(str_of(&renewal["id"]), "ACTIVE").await;
    assert_eq!(date(&renewed["validFrom"]), starts);
    assert_eq!(date(&renewed["validTo"]), year_end(starts));
    // The old permit runs to its end.
    let old_now = kk.permit(&old_id).await;
    assert_eq!(old_now["status"], "ACTIVE");
    assert_eq!(old_now["validTo"], old["validTo"]);
}

// --- 8: garage tags --------------------------------------------------------------------------

#[tokio::test]
async fn the_first_garage_tag_is_free_and_active_at_once() {
    let kk = Kk::start().await;
    kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let today = kk.today().await;
    let (tag, pay_url) = kk.apply("T-GARAGE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(tag["status"], "ACTIVE", "{tag}");
    assert!(pay_url.is_none(), "{tag}");
    assert!(tag["paymentRequestId"].is_null(), "{tag}");
    assert_eq!(tag["price"]["total"], "0.00");
    assert_eq!(date(&tag["validFrom"]), today);
    assert_eq!(date(&tag["validTo"]), year_end(today));
}

#[tokio::test]
async fn a_twin_garage_tag_is_paid_and_needs_a_resident_permit() {
    let kk = Kk::start().await;
    // Without a resident permit for K1: no tag.
    let (refused, pay_url) = kk.apply("T-GARAGE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(refused["status"], "REJECTED", "{refused}");
    assert!(pay_url.is_none());

    kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let (first, pay_url) = kk.apply("T-GARAGE", GOOD_ID, Some("AB12345"), None).await;
    assert_ne!(first["status"], "REJECTED", "{first}");
    assert!(pay_url.is_none(), "the first tag is free: {first}");
    assert!(first["paymentRequestId"].is_null(), "{first}");

    let (twin, pay_url) = kk
        .apply("T-GARAGE-TWIN", GOOD_ID, Some("AB12345"), None)
        .await;
    assert_eq!(twin["status"], "PENDING_PAYMENT", "{twin}");
    assert!(pay_url.is_some(), "{twin}");
    assert_eq!(twin["price"]["total"], "250.00");
    assert_eq!(
        lines(&twin["price"]),
        [line("base", "T-GARAGE-TWIN", "250.00")]
    );
    let request = kk.request(str_of(&twin["paymentRequestId"])).await;
    assert_eq!(request["amount"]["amount"], "250.00", "{request}");
}

// --- 9: revocation ---------------------------------------------------------------------------

#[tokio::test]
async fn revoking_an_active_permit_needs_a_reason_and_refunds_nothing() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();

    for reason in ["", "   "] {
        let body = kk.gql(REVOKE, json!({ "id": id, "reason": reason })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert_eq!(kk.permit(&id).await["status"], "ACTIVE");

    let reason = "Permit used on another car";
    let body = kk.gql(REVOKE, json!({ "id": id, "reason": reason })).await;
    let revoked = &body["data"]["revokePermit"];
    assert_eq!(revoked["status"], "CANCELLED", "{body}");
    assert_eq!(revoked["decisionReason"], reason);
    assert_eq!(revoked["reviewedBy"], format!("staff:{CASEWORKER}"));
    let request = kk.request(str_of(&permit["paymentRequestId"])).await;
    assert_eq!(request["status"], "paid", "{request}");
    assert_eq!(request["payments"][0]["status"], "CAPTURED", "{request}");
    assert_eq!(request["payments"][0]["refunded"]["amount"], "0.00");
    // Once ended, it cannot be revoked again nor corrected.
    let again = kk.gql(REVOKE, json!({ "id": id, "reason": "again" })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    let body = kk
        .correct(&id, json!({ "cancelReason": "too late" }), None)
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
}

// --- 10: other councils and roles ------------------------------------------------------------

#[tokio::test]
async fn other_councils_and_cashiers_cannot_decide_on_permits() {
    let kk = Kk::start().await;
    let (permit, _) = kk.apply("P-CARSHARE", GOOD_ID, Some("AB12345"), None).await;
    assert_eq!(permit["status"], "WAITING_REVIEW", "{permit}");
    let id = str_of(&permit["id"]).to_owned();
    let app = &kk.app;

    app.create_user(Some("odense"), "sag@odense.example", Role::Caseworker)
        .await;
    let odense = app.logged_in(Some("odense"), "sag@odense.example").await;
    let as_odense = |query: &'static str, variables: Value| {
        let odense = odense.clone();
        async move { gql_as(app, &odense, "odense", query, variables).await }
    };
    let body = as_odense(GET_PERMIT, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = as_odense(APPROVE, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = as_odense(REJECT, json!({ "id": id, "reason": "not ours" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = as_odense(
        CORRECT,
        json!({ "id": id, "c": { "cancelReason": "not ours" } }),
    )
    .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = as_odense(QUEUE, json!({})).await;
    assert_eq!(body["data"]["reviewQueue"], json!([]), "{body}");

    app.create_user(Some("kobenhavn"), "kasse@kk.example", Role::Cashier)
        .await;
    let cashier = app.logged_in(Some("kobenhavn"), "kasse@kk.example").await;
    let body = gql_as(app, &cashier, "kobenhavn", APPROVE, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = gql_as(app, &cashier, "kobenhavn", QUEUE, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // Untouched by all of that.
    let after = kk.permit(&id).await;
    assert_eq!(after["status"], "WAITING_REVIEW", "{after}");
    assert!(after["reviewedBy"].is_null());
    assert_eq!(kk.queue().await.len(), 1);
}

#[tokio::test]
async fn cancelling_an_extended_permit_refunds_the_extension_from_its_own_payment() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();
    let first_payment =
        str_of(&kk.request(str_of(&permit["paymentRequestId"])).await["payments"][0]["id"])
            .to_owned();
    let valid_to = date(&permit["validTo"]);
    let new_to = valid_to.checked_add_months(Months::new(3)).unwrap();
    let body = kk
        .correct(&id, json!({ "extendTo": new_to.to_string() }), None)
        .await;
    let extension = &body["data"]["correctPermit"];
    let extension_request = str_of(&extension["correction"]["paymentRequestId"]).to_owned();
    let added = lines(&extension["correction"]["price"])[0].2.clone();
    pay(str_of(&extension["payUrl"])).await;
    kk.wait_permit(&id, "extended", |p| date(&p["validTo"]) == new_to)
        .await;
    let extension_payment =
        str_of(&kk.request(&extension_request).await["payments"][0]["id"]).to_owned();

    // Cancelled on its first day: the whole year back from the first payment, the whole
    // extension from the second; the fees stay.
    let body = kk
        .correct(&id, json!({ "cancelReason": "moving abroad" }), None)
        .await;
    let result = &body["data"]["correctPermit"];
    assert_eq!(result["permit"]["status"], "CANCELLED", "{body}");
    let paid = str_of(&kk.payment(&first_payment).await["captured"]["amount"]).to_owned();
    assert_eq!(
        minor(str_of(&result["refunded"])),
        minor(&paid) + minor(&added),
        "{body}"
    );
    let first = kk.payment(&first_payment).await;
    assert_eq!(first["status"], "REFUNDED", "{first}");
    let second = kk.payment(&extension_payment).await;
    assert_eq!(second["refunded"]["amount"], added.as_str(), "{second}");
    assert_eq!(
        second["status"], "PARTIALLY_REFUNDED",
        "the fee stays: {second}"
    );
}

#[tokio::test]
async fn a_change_of_address_stays_a_resident_permit_and_a_loan_car_must_not_be_stolen() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();
    // Not a way to swap a resident permit for a cheap loan-car permit and a refund.
    let body = kk
        .correct(&id, json!({ "changeToSku": "P-LOAN" }), Some(GOOD_ID))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.to_string().contains("changeToSku"), "{body}");
    // RS89012 is reported stolen: no cover as a temporary vehicle.
    let until = (kk.today().await + chrono::Days::new(5)).to_string();
    let body = kk
        .correct(
            &id,
            json!({ "temporaryPlate": "RS89012", "temporaryUntil": until }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(body.to_string().contains("stolen"), "{body}");
    assert_eq!(kk.permit(&id).await["status"], "ACTIVE");
}

#[tokio::test]
async fn a_renewal_and_the_permit_it_continues_hold_one_permit_for_the_rematch() {
    let kk = Kk::start().await;
    let permit = kk.active("P-RES-K1", GOOD_ID, "AB12345").await;
    let id = str_of(&permit["id"]).to_owned();
    let body = kk
        .gql(
            r#"mutation($id: ID!, $nid: String!) { renewPermit(id: $id, nationalId: $nid) { permit { id status } payUrl } }"#,
            json!({ "id": id, "nid": GOOD_ID }),
        )
        .await;
    let renewal = str_of(&body["data"]["renewPermit"]["permit"]["id"]).to_owned();
    pay(str_of(&body["data"]["renewPermit"]["payUrl"])).await;
    kk.wait_status(&renewal, "ACTIVE").await;
    // The re-match sees two active permits of one holder and vehicle — a permit and its
    // renewal, one holding — and leaves both.
    let tenant = kk
        .app
        .platform
        .store
        .tenant_by_slug("kobenhavn")
        .await
        .unwrap()
        .unwrap();
    let scope = kk.app.platform.store.scope(tenant);
    let (state, _) = civicpay::api_state(&kk.app.platform, kk.app.address.clone()).unwrap();
    let run = civicpay_api::rematch::start_rematch(
        &state,
        &scope,
        false,
        &civicpay_domain::audit::Actor::System,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    let done = civicpay_api::rematch::run_rematch(&state, &scope, run.id, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        (done.total, done.unchanged, done.deactivated),
        (2, 2, 0),
        "{done:?}"
    );
    assert_eq!(kk.permit(&id).await["status"], "ACTIVE");
    assert_eq!(kk.permit(&renewal).await["status"], "ACTIVE");
}
