//! The citizen's own pages: permits (active and past, with renew, extend, change vehicle,
//! cancel, the permit and its receipt as PDF), bills from every department (pay one or
//! several; paid ones with receipts) and payments. Everything through the same services as
//! GraphQL; another person's permit, bill or payment is NOT_FOUND.

use crate::Shop;
use crate::basket::{bill_view, my_debtor};
use crate::page::{Form, Page};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Months, NaiveDate, Utc};
use civicpay_api::permits::{self, CorrectionInput};
use civicpay_api::{ApiError, ErrorCode, documents, shop};
use civicpay_domain::PermitStatus;
use civicpay_store::{PermitFilter, PermitRecord};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Serialize)]
struct PermitView {
    id: String,
    name: String,
    status: String,
    plate: Option<String>,
    zone: Option<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
    reason: Option<String>,
    active: bool,
    has_document: bool,
    /// The receipt of the payment that paid it.
    receipt: Option<String>,
    renewable: bool,
}

/// What the pages show of `permit`, named `name` (its product's name, else its SKU).
fn permit_view(
    page: &Page,
    permit: &PermitRecord,
    name: Option<String>,
    receipt: Option<String>,
) -> PermitView {
    let name = name.unwrap_or_else(|| permit.sku.clone());
    let today = page.tenant.today(Utc::now());
    PermitView {
        id: permit.id.to_string(),
        name,
        status: permit.status.as_str().to_owned(),
        plate: permit.plate.as_deref().map(|p| page.plate(p)),
        zone: permit.zone_code.clone(),
        valid_from: permit.valid_from.map(|d| page.date(d)),
        valid_to: permit.valid_to.map(|d| page.date(d)),
        reason: permit.decision_reason.clone(),
        active: permit.status == PermitStatus::Active,
        has_document: matches!(permit.status, PermitStatus::Active | PermitStatus::Expired),
        receipt,
        // Renewal opens in the last two months of a permit's period.
        renewable: permit.status == PermitStatus::Active
            && permit.valid_to.is_some_and(|to| {
                to.checked_sub_months(Months::new(2))
                    .is_some_and(|o| o <= today)
            }),
    }
}

/// The council's product names in the page's language, by product id: the whole catalogue in
/// one read (retired products too, so old permits keep their names) instead of one read per
/// permit. A permit whose product cannot be read shows its SKU.
async fn product_names(page: &Page) -> HashMap<Uuid, String> {
    match page.scope().products(true).await {
        Ok(products) => products
            .into_iter()
            .map(|p| {
                let name = p
                    .name
                    .get(&page.locale, &page.tenant.default_locale)
                    .to_owned();
                (p.id, name)
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "product names for the citizen's permits");
            HashMap::new()
        }
    }
}

/// The receipt link of each of the bills `bills` that a payment paid (captured, or since
/// refunded), by bill id: one query however many bills. The bills are the citizen's already
/// (their permits' or addressed to them); the receipt itself checks again. Without the
/// register the page still shows, without receipt links.
async fn receipts_of(page: &Page, bills: &[Uuid]) -> HashMap<Uuid, String> {
    match page.scope().captured_payments_of(bills).await {
        Ok(paid) => paid
            .into_iter()
            .map(|(bill, payment)| {
                let link = format!("{}/payments/{payment}/receipt.pdf", page.base());
                (bill, link)
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "receipts of the citizen's bills");
            HashMap::new()
        }
    }
}

/// My permits: applications, active and past.
pub(crate) async fn permits(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut page = match Page::load_citizen(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let holder_key = page.citizen().map(|c| c.holder_key.clone());
    let found = page
        .scope()
        .permits(PermitFilter {
            holder_key,
            limit: 200,
            ..Default::default()
        })
        .await;
    let found = match found {
        Ok(f) => f,
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    // The list links each permit to its page, where the receipt is: no receipts looked up here.
    let names = product_names(&page).await;
    let mut current = Vec::new();
    let mut past = Vec::new();
    for permit in &found {
        let name = names.get(&permit.product_id).cloned();
        let view = permit_view(&page, permit, name, None);
        match permit.status {
            PermitStatus::Active | PermitStatus::PendingPayment | PermitStatus::WaitingReview => {
                current.push(view);
            }
            _ => past.push(view),
        }
    }
    let title = page.t("my-permits-title");
    page.render(StatusCode::OK, "my_permits.html", &title, |ctx| {
        ctx.insert("current", &current);
        ctx.insert("past", &past);
    })
}

/// The permit `raw_id` if the logged-in citizen holds it; NOT_FOUND otherwise.
async fn own(page: &Page, raw_id: &str) -> Result<PermitRecord, HttpResponse> {
    let not_found = || page.api_error(&ApiError::not_found(format!("permit {raw_id} not found")));
    let (Some(citizen), Ok(id)) = (page.citizen(), Uuid::parse_str(raw_id)) else {
        return Err(not_found());
    };
    match page.scope().permit(id).await {
        Ok(p) if p.holder_key == citizen.holder_key => Ok(p),
        Ok(_) | Err(civicpay_store::StoreError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(page.api_error(&ApiError::from(e))),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

/// One permit with what can be done with it.
pub(crate) async fn permit(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let mut page = match Page::load_citizen(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let record = match own(&page, &raw_id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = page.scope().product(record.product_id).await.ok().map(|p| {
        p.name
            .get(&page.locale, &page.tenant.default_locale)
            .to_owned()
    });
    let bills: Vec<Uuid> = record.payment_request_id.into_iter().collect();
    let receipt = receipts_of(&page, &bills).await.into_values().next();
    let view = permit_view(&page, &record, name, receipt);
    let today = page.tenant.today(Utc::now());
    let extend_default = record
        .valid_to
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let notice = query
        .notice
        .as_deref()
        .filter(|n| ["extended", "vehicle", "cancelled", "renewed"].contains(n))
        .map(|n| page.t(&format!("notice-{n}")));
    let title = view.name.clone();
    let min_date = today.to_string();
    page.render(StatusCode::OK, "my_permit.html", &title, |ctx| {
        ctx.insert("permit", &view);
        ctx.insert("extend_default", &extend_default);
        ctx.insert("min_date", &min_date);
        ctx.insert("notice", &notice);
    })
}

/// Renews a permit for another period: the rules run again; the bill goes to the basket.
pub(crate) async fn renew(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let form = Form(form.into_inner());
    let mut page = match Page::load_citizen_form(shop, req, &slug, &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let record = match own(&page, &raw_id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let context = page.context();
    let result = match shop::citizen(&context) {
        Ok((session, id)) => {
            permits::renew_permit(
                &context,
                &page.scope(),
                &shop::who(session),
                record.id,
                id.expose_digits(),
                None,
                &context.caller.actor(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(applied) => match applied.permit.payment_request_id {
            Some(bill) if applied.permit.status == PermitStatus::PendingPayment => {
                page.add_and_show_basket(bill)
            }
            _ => {
                let to = format!(
                    "{}/my/permits/{}?notice=renewed",
                    page.base(),
                    applied.permit.id
                );
                page.redirect(&to)
            }
        },
        Err(e) => page.api_error(&e),
    }
}

fn parse_day(raw: Option<&str>) -> Option<NaiveDate> {
    raw.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// Extend, change vehicle (for good or a temporary one) or cancel. What costs something goes
/// to the basket; what is given back is refunded to the card it was paid with.
pub(crate) async fn correct(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let form = Form(form.into_inner());
    let mut page = match Page::load_citizen_form(shop, req, &slug, &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let record = match own(&page, &raw_id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let back = format!("{}/my/permits/{}", page.base(), record.id);
    let invalid = |page: &Page, key: &str| {
        page.error_page(StatusCode::UNPROCESSABLE_ENTITY, &page.t(key), Some(&back))
    };
    let plate = form.get("plate").unwrap_or_default().to_owned();
    let reason = form
        .get("reason")
        .unwrap_or("cancelled by the holder")
        .to_owned();
    let (input, notice) = match form.get("kind") {
        Some("extend") => match parse_day(form.get("valid_to")) {
            Some(valid_to) => (CorrectionInput::Extend { valid_to }, "extended"),
            None => return invalid(&page, "correct-date-invalid"),
        },
        Some("replace_vehicle") if !plate.is_empty() => {
            (CorrectionInput::ReplaceVehicle { plate: &plate }, "vehicle")
        }
        Some("temporary_vehicle") if !plate.is_empty() => match parse_day(form.get("until")) {
            Some(until) => (
                CorrectionInput::TemporaryVehicle {
                    plate: &plate,
                    until,
                },
                "vehicle",
            ),
            None => return invalid(&page, "correct-date-invalid"),
        },
        Some("replace_vehicle" | "temporary_vehicle") => {
            return invalid(&page, "apply-plate-missing");
        }
        Some("cancel") => (CorrectionInput::Cancel { reason: &reason }, "cancelled"),
        _ => return invalid(&page, "correct-kind-invalid"),
    };
    let context = page.context();
    let result = match shop::citizen(&context) {
        Ok((session, id)) => {
            permits::correct_permit(
                &context,
                &page.scope(),
                &shop::who(session),
                record.id,
                Some(id.expose_digits()),
                input,
                &context.caller.actor(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => match outcome.correction.payment_request_id {
            Some(bill) if outcome.correction.status == "pending_payment" => {
                page.add_and_show_basket(bill)
            }
            _ => {
                let to = format!("{back}?notice={notice}");
                page.redirect(&to)
            }
        },
        Err(e) if e.code == ErrorCode::Unauthenticated => page.login_redirect(),
        Err(e) => page.error_page(
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::CONFLICT),
            &e.message,
            Some(&back),
        ),
    }
}

/// My bills: open ones (pay one or several) and settled ones.
pub(crate) async fn bills(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut page = match Page::load_citizen(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let debtor = match my_debtor(&mut page) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let all = match page.scope().bills_of(&debtor, 200).await {
        Ok(b) => b,
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    let paid: Vec<Uuid> = all
        .iter()
        .filter(|b| b.status == "paid")
        .map(|b| b.id)
        .collect();
    let mut receipts = receipts_of(&page, &paid).await;
    let mut open = Vec::new();
    let mut settled = Vec::new();
    for bill in &all {
        let mut view = bill_view(&page, bill);
        if bill.status == "open" {
            open.push(view);
        } else {
            // A settled bill's `id` is its receipt link ("" when it has none).
            view.id = receipts.remove(&bill.id).unwrap_or_default();
            settled.push(view);
        }
    }
    let title = page.t("my-bills-title");
    page.render(StatusCode::OK, "my_bills.html", &title, |ctx| {
        ctx.insert("open", &open);
        ctx.insert("settled", &settled);
    })
}

#[derive(Serialize)]
struct PaymentView {
    id: String,
    reference: String,
    created: String,
    status: String,
    status_text: String,
    amount: String,
    paid: bool,
}

/// My payments: every attempt with its status, receipts for the paid ones.
pub(crate) async fn payments(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut page = match Page::load_citizen(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let debtor = match my_debtor(&mut page) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let found = match page.scope().payments_of(&debtor, 200).await {
        Ok(p) => p,
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    let views: Vec<PaymentView> = found
        .iter()
        .map(|p| {
            use civicpay_domain::PaymentStatus as S;
            let paid = matches!(p.status, S::Captured | S::PartiallyRefunded | S::Refunded);
            PaymentView {
                id: p.id.to_string(),
                reference: p.reference.clone(),
                created: page.date(
                    p.created_at
                        .with_timezone(&page.tenant.timezone)
                        .date_naive(),
                ),
                status: p.status.to_string(),
                status_text: page.t(&format!("payment-status-{}", p.status)),
                amount: page.money(p.amount),
                paid,
            }
        })
        .collect();
    let title = page.t("my-payments-title");
    page.render(StatusCode::OK, "my_payments.html", &title, |ctx| {
        ctx.insert("payments", &views);
    })
}

/// The receipt of a paid payment as PDF, for the citizen whose bills it paid (or staff).
pub(crate) async fn receipt(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let page = match Page::load(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&raw_id) else {
        return page.api_error(&ApiError::not_found(format!("payment {raw_id} not found")));
    };
    let context = page.context();
    let scope = page.scope();
    let pdf = async {
        let detail = shop::visible_payment(&context, &scope, id).await?;
        documents::receipt_pdf(&scope, &detail, &page.locale)
            .await
            .map(|pdf| (pdf, detail.payment.reference))
    };
    match pdf.await {
        Ok((pdf, reference)) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"receipt-{reference}.pdf\""),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(pdf),
        Err(e) => page.api_error(&e),
    }
}
