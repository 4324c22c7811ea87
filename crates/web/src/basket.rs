//! The basket (permits, products and bills of any department, paid together in one checkout;
//! S2-2), the checkout to the council's PSP, and the return page that follows the payment live
//! (pending, paid, failed, cancelled) with the next steps and a retry (S2-5).

use crate::Shop;
use crate::i18n::format_percent;
use crate::page::{BASKET_LIMIT, Form, Page};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use civicpay_api::{ApiError, ErrorCode, shop};
use civicpay_domain::PaymentStatus;
use civicpay_money::{Currency, Money};
use civicpay_store::{Debtor, PaymentRequestLineRecord, PaymentRequestRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Serialize)]
pub(crate) struct BillLine {
    description: String,
    quantity: i32,
    amount: String,
    vat: String,
    /// The line's VAT rate, as the language writes it ("21%", "25 %").
    rate: String,
}

/// The VAT of one rate in a bill or the basket.
#[derive(Serialize)]
pub(crate) struct VatAtRate {
    rate: String,
    vat: String,
}

#[derive(Serialize)]
pub(crate) struct BillView {
    pub id: String,
    pub reference: String,
    pub description: String,
    pub status: String,
    pub amount: String,
    pub outstanding: String,
    pub due: Option<String>,
    pub paid_at: Option<String>,
    pub lines: Vec<BillLine>,
    /// The VAT in the bill: the sum of its lines' VAT.
    pub vat: String,
    /// The VAT per rate, highest first, when the lines carry more than one non-zero rate
    /// (as a receipt states it); empty otherwise, when `vat` says it all.
    pub vat_by_rate: Vec<VatAtRate>,
    pub in_basket: bool,
    pub capture_later: bool,
}

/// The VAT of `lines` per rate in basis points, in minor units.
fn vat_per_rate<'a>(
    lines: impl IntoIterator<Item = &'a PaymentRequestLineRecord>,
) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for line in lines {
        *out.entry(line.vat_rate_basis_points).or_insert(0) += line.vat.amount_minor();
    }
    out
}

/// The breakdown of `per_rate` to show: every non-zero rate, highest first, when there are at
/// least two of them (with one, or none, the sum is the whole story).
fn vat_by_rate(page: &Page, per_rate: &BTreeMap<i32, i64>, currency: Currency) -> Vec<VatAtRate> {
    let taxed: Vec<(i32, i64)> = per_rate
        .iter()
        .rev()
        .filter(|(rate, _)| **rate > 0)
        .map(|(rate, vat)| (*rate, *vat))
        .collect();
    if taxed.len() < 2 {
        return Vec::new();
    }
    taxed
        .into_iter()
        .map(|(rate, vat)| VatAtRate {
            rate: format_percent(rate, &page.lang),
            vat: page.money(Money::new(vat, currency)),
        })
        .collect()
}

pub(crate) fn bill_view(page: &Page, bill: &PaymentRequestRecord) -> BillView {
    let currency = bill.amount.currency();
    let per_rate = vat_per_rate(&bill.lines);
    BillView {
        id: bill.id.to_string(),
        reference: bill.reference.clone(),
        description: bill.description.clone(),
        status: bill.status.clone(),
        amount: page.money(bill.amount),
        outstanding: page.money(Money::new(bill.outstanding(), currency)),
        due: bill.due_date.map(|d| page.date(d)),
        paid_at: bill
            .paid_at
            .map(|t| page.date(t.with_timezone(&page.tenant.timezone).date_naive())),
        lines: bill
            .lines
            .iter()
            .map(|l| BillLine {
                description: l.description.clone(),
                quantity: l.quantity,
                amount: page.money(l.line_total),
                vat: page.money(l.vat),
                rate: format_percent(l.vat_rate_basis_points, &page.lang),
            })
            .collect(),
        vat: page.money(Money::new(per_rate.values().sum(), currency)),
        vat_by_rate: vat_by_rate(page, &per_rate, currency),
        in_basket: page.basket.contains(&bill.id),
        capture_later: bill.capture_later,
    }
}

/// Whom the citizen's bills are addressed to (the company the session acts for, else the
/// person), or the login page.
pub(crate) fn my_debtor(page: &mut Page) -> Result<Debtor, HttpResponse> {
    let context = page.context();
    match shop::my_debtor(&context) {
        Ok(d) => Ok(d),
        Err(_) => Err(page.login_redirect()),
    }
}

/// The basket's bills that are still open and the citizen's; the cookie is rewritten when
/// some were paid or went away meanwhile.
async fn open_bills(page: &mut Page, debtor: &Debtor) -> Vec<PaymentRequestRecord> {
    let scope = page.scope();
    let mut kept = Vec::new();
    for id in page.basket.clone() {
        if let Ok(bill) = shop::my_bill(&scope, debtor, id).await
            && bill.status == "open"
        {
            kept.push(bill);
        }
    }
    if kept.len() != page.basket.len() {
        page.basket = kept.iter().map(|b| b.id).collect();
        page.save_basket();
    }
    kept
}

/// The basket: every item with its lines, the total and the VAT in it — per bill the sum of
/// its lines' VAT, and per rate when the lines carry several.
pub(crate) async fn show(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut page = match Page::load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let debtor = match my_debtor(&mut page) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let bills = open_bills(&mut page, &debtor).await;
    let currency = page.tenant.currency;
    let total: i64 = bills.iter().map(PaymentRequestRecord::outstanding).sum();
    let per_rate = vat_per_rate(bills.iter().flat_map(|b| b.lines.iter()));
    let views: Vec<BillView> = bills.iter().map(|b| bill_view(&page, b)).collect();
    let any_review = bills.iter().any(|b| b.capture_later);
    let total = page.money(Money::new(total, currency));
    let vat = page.money(Money::new(per_rate.values().sum(), currency));
    let vat_by_rate = vat_by_rate(&page, &per_rate, currency);
    let title = page.t("basket-title");
    page.render(StatusCode::OK, "basket.html", &title, |ctx| {
        ctx.insert("bills", &views);
        ctx.insert("total", &total);
        ctx.insert("vat", &vat);
        ctx.insert("vat_by_rate", &vat_by_rate);
        ctx.insert("any_review", &any_review);
    })
}

/// Puts bills (`bill` fields, from "My bills") in the basket.
pub(crate) async fn add(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let mut page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let debtor = match my_debtor(&mut page) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let scope = page.scope();
    for raw in form.all("bill") {
        let Ok(id) = Uuid::parse_str(raw) else {
            return page.api_error(&ApiError::bad_input(format!("bill {raw:?} is not an id")));
        };
        match shop::my_bill(&scope, &debtor, id).await {
            Ok(bill) if bill.status == "open" => {
                if !page.basket.contains(&id) {
                    if page.basket.len() >= BASKET_LIMIT {
                        return page.error_page(
                            StatusCode::CONFLICT,
                            &page.t("basket-full"),
                            Some(&format!("{}/basket", page.base())),
                        );
                    }
                    page.basket.push(id);
                }
            }
            Ok(bill) => {
                return page.api_error(&ApiError::conflict(format!(
                    "{} ({}) is {}",
                    bill.description, bill.reference, bill.status
                )));
            }
            Err(e) => return page.api_error(&e),
        }
    }
    page.save_basket();
    let to = format!("{}/basket", page.base());
    page.redirect(&to)
}

/// Takes a bill out of the basket (it stays open in "My bills").
pub(crate) async fn remove(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let mut page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let gone: Vec<Uuid> = form
        .all("bill")
        .filter_map(|raw| Uuid::parse_str(raw).ok())
        .collect();
    page.basket.retain(|id| !gone.contains(id));
    page.save_basket();
    let to = format!("{}/basket", page.base());
    page.redirect(&to)
}

/// Pays the basket (or, on a retry, the `bill` fields) in one checkout at the council's PSP.
pub(crate) async fn checkout(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let mut page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if page.citizen().is_none() {
        return page.login_redirect();
    }
    let mut bills: Vec<Uuid> = form
        .all("bill")
        .filter_map(|raw| Uuid::parse_str(raw).ok())
        .collect();
    if bills.is_empty() {
        bills = page.basket.clone();
    }
    let email = match form.get("email") {
        Some(raw) => match civicpay_domain::Email::parse(raw) {
            Ok(e) => Some(e.to_string()),
            Err(e) => {
                return page.error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page.t_with("basket-email-invalid", &[("detail", &e.to_string())]),
                    Some(&format!("{}/basket", page.base())),
                );
            }
        },
        None => None,
    };
    let context = page.context();
    match shop::checkout_my_bills(&context, &page.scope(), &bills, email).await {
        Ok((_, psp_page)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, psp_page))
            .finish(),
        Err(e) if e.code == ErrorCode::Unauthenticated => page.login_redirect(),
        Err(e) => page.api_error(&e),
    }
}

/// `(text key, waiting, failed)` of a payment's status.
fn status_kind(status: PaymentStatus) -> (&'static str, bool, bool) {
    match status {
        PaymentStatus::Created | PaymentStatus::Pending | PaymentStatus::CaptureRequested => {
            ("status-pending", true, false)
        }
        // Authorized and not captured: an application under review waits for the caseworker.
        PaymentStatus::Authorized => ("status-authorized", false, false),
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            ("status-paid", false, false)
        }
        PaymentStatus::Failed => ("status-failed", false, true),
        PaymentStatus::VoidRequested | PaymentStatus::Voided => ("status-cancelled", false, true),
        PaymentStatus::Expired => ("status-expired", false, true),
    }
}

/// Where the PSP sends the payer back: the payment's status, followed live while pending,
/// with what to do next. Anyone with the link sees the status; the lines and the retry are
/// for the citizen whose bills they are.
pub(crate) async fn status(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let mut page = match Page::load(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let not_found = ApiError::not_found(format!("payment {raw_id} not found"));
    let Ok(id) = Uuid::parse_str(&raw_id) else {
        return page.api_error(&not_found);
    };
    let scope = page.scope();
    let detail = match scope.payment(id).await {
        Ok(d) => d,
        Err(civicpay_store::StoreError::NotFound(_)) => return page.api_error(&not_found),
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    let payment = &detail.payment;
    let (key, waiting, failed) = status_kind(payment.status);
    let mine = page.citizen().is_some()
        && shop::visible_payment(&page.context(), &scope, id)
            .await
            .is_ok();
    let bills: Vec<Uuid> = detail
        .lines
        .iter()
        .filter(|l| l.subject_type == "payment_request")
        .filter_map(|l| l.subject_id)
        .collect();
    // Paid bills leave the basket.
    if key == "status-paid" && bills.iter().any(|b| page.basket.contains(b)) {
        page.basket.retain(|b| !bills.contains(b));
        page.save_basket();
    }
    let mut retry_bills = Vec::new();
    let mut pay_link = None;
    let mut back_to_service = None;
    for bill_id in &bills {
        if let Ok(bill) = scope.payment_request(*bill_id).await {
            if bill.status == "open" && failed {
                retry_bills.push(bill.id.to_string());
            }
            if let Some(url) = &bill.return_url {
                back_to_service = Some(url.clone());
            }
        }
    }
    if !mine && !retry_bills.is_empty() {
        // A pay link's payer (not logged in) tries again on the pay page.
        pay_link = payment
            .payment_request_id
            .map(|r| format!("{}/pay/{r}", page.base()));
        retry_bills.clear();
    }
    let reason = detail.events.iter().rev().find_map(|e| {
        e.detail
            .as_ref()
            .and_then(|d| d["reason"].as_str().map(str::to_owned))
    });
    let lines: Vec<(String, String)> = if mine {
        detail
            .lines
            .iter()
            .map(|l| (l.description.clone(), page.money(l.line_total)))
            .collect()
    } else {
        Vec::new()
    };
    let text = page.t(key);
    let amount = page.money(payment.amount);
    let title = page.t("status-title");
    let status_name = payment.status.to_string();
    let receipt = (key == "status-paid" && mine)
        .then(|| format!("{}/payments/{}/receipt.pdf", page.base(), payment.id));
    page.render(StatusCode::OK, "status.html", &title, |ctx| {
        ctx.insert("status_name", &status_name);
        ctx.insert("status_key", key);
        ctx.insert("text", &text);
        ctx.insert("waiting", &waiting);
        ctx.insert("failed", &failed);
        ctx.insert("reference", &payment.reference);
        ctx.insert("amount", &amount);
        ctx.insert("lines", &lines);
        ctx.insert("retry_bills", &retry_bills);
        ctx.insert("pay_link", &pay_link);
        ctx.insert("back_to_service", &back_to_service);
        ctx.insert("reason", &reason);
        ctx.insert("receipt", &receipt);
        ctx.insert("payment_id", &payment.id.to_string());
    })
}

/// The payment's status for the return page's live update.
pub(crate) async fn status_json(
    shop: web::Data<Shop>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let tenant = match shop.api.store.tenant_by_slug(&slug).await {
        Ok(Some(t)) => t,
        _ => return HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" })),
    };
    let Ok(id) = Uuid::parse_str(&raw_id) else {
        return HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }));
    };
    match shop.api.store.scope(tenant).payment(id).await {
        Ok(detail) => {
            let (_, waiting, _) = status_kind(detail.payment.status);
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({
                    "status": detail.payment.status.to_string(),
                    "final": !waiting,
                }))
        }
        Err(_) => HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" })),
    }
}
