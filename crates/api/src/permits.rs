//! The permit lifecycle (S0-1..S0-3, S0-6, S0-7): apply → the council's rules → rejected |
//! waiting for a caseworker's review | pending payment (or active at once when free); a
//! captured payment activates the permit (in the store's `fulfil`, in the transaction that
//! marks the request paid). An application under review takes an authorize-only payment: the
//! caseworker's approval captures it, a rejection voids it. Corrections (extend, replace the
//! vehicle, temporary vehicle, change of address, cancel with a pro-rata refund) and renewals
//! are priced and explained line by line.

use crate::context::RequestContext;
use crate::eligibility::{self, EligibilityCheck};
use crate::error::{ApiError, ApiResult};
use crate::i18n;
use crate::payments;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use civicpay_domain::audit::Actor;
use civicpay_domain::pricing::{self, Delivery, PriceQuote, PricedItem, QuoteLineKind, labels};
use civicpay_domain::{Locale, PaymentStatus, PermitStatus, ProductKind, Sku};
use civicpay_money::Money;
use civicpay_registries::Plate;
use civicpay_rules::Decision;
use civicpay_store::{
    Correction, CorrectionRecord, Debtor, NewPaymentRequest, NewPaymentRequestLine, NewPermit,
    PaymentRecord, PaymentRequestRecord, PermitEnding, PermitFilter, PermitRecord, ProductRecord,
    TenantScope,
};
use uuid::Uuid;

/// How long an approved application waits for its payment before it is cancelled.
pub const PENDING_PAYMENT_HOLD: Duration = Duration::hours(24);
/// How long an application under review keeps its bill open (the caseworker's time to decide).
pub const REVIEW_HOLD: Duration = Duration::days(14);
/// How long a card authorization stands before the card issuer may release it; the review
/// queue flags those with less than [`AUTHORIZATION_WARNING`] left.
pub const AUTHORIZATION_VALIDITY: Duration = Duration::days(7);
pub const AUTHORIZATION_WARNING: Duration = Duration::days(2);
/// The longest a temporary (substitute) vehicle may be covered.
pub const TEMPORARY_VEHICLE_MAX_DAYS: i64 = 30;

/// What an application gives back: the stored permit and, when it waits for its payment, the
/// link the payer follows.
pub struct PermitApplication {
    pub permit: PermitRecord,
    pub pay_url: Option<String>,
    /// `None` when the clerk continued manually without the registers.
    pub check: Option<EligibilityCheck>,
}

/// An application's input, as staff (or later the citizen's shop) give it.
pub struct ApplyInput<'a> {
    pub sku: &'a str,
    pub national_id: &'a str,
    pub plate: Option<&'a str>,
    pub purpose: &'a str,
    pub delivery: Option<Delivery>,
    /// The first day wanted; today when not given. Never in the past.
    pub starts_on: Option<NaiveDate>,
    /// When a register does not answer: the clerk's reason to continue; the application then
    /// goes to a caseworker with the reason on record (never a silent pass).
    pub manual_reason: Option<&'a str>,
    /// A company's application (business permit), made by the person `national_id`.
    pub company_id: Option<&'a str>,
}

/// The price lines' labels (`price.*` keys of the domain's quotes) and their texts' keys in
/// `prices.ftl`.
const PRICE_LABELS: [(&str, &str); 8] = [
    (labels::BASE, "price-base"),
    (labels::EMISSION, "price-emission"),
    (labels::DELIVERY_FEE, "price-delivery-fee"),
    (labels::CORRECTION_FEE, "price-correction-fee"),
    (labels::EXTENSION, "price-extension"),
    (labels::REFUND_UNUSED, "price-refund-unused"),
    (labels::ZONE_CHANGE_OLD, "price-zone-change-old-zone"),
    (labels::ZONE_CHANGE_NEW, "price-zone-change-new-zone"),
];

/// The localized text of a price line's label; an unknown label as it is.
fn price_label(key: &str, locale: &Locale) -> String {
    match PRICE_LABELS.iter().find(|(label, _)| *label == key) {
        Some((_, text)) => i18n::text(locale.as_str(), text, &[]),
        None => key.to_owned(),
    }
}

/// The quote as stored with a permit or correction: every line with its localized label.
fn quote_json(quote: &PriceQuote, locale: &Locale) -> serde_json::Value {
    let mut value = serde_json::to_value(quote).unwrap_or_default();
    if let Some(lines) = value["lines"].as_array_mut() {
        for line in lines {
            let key = line["label"].as_str().unwrap_or_default().to_owned();
            line["text"] = serde_json::Value::String(price_label(&key, locale));
        }
    }
    value
}

fn price_on(product: &ProductRecord, on: NaiveDate) -> ApiResult<PricedItem> {
    product
        .prices
        .iter()
        .filter(|p| p.effective_from <= on)
        .max_by_key(|p| p.effective_from)
        .map(|p| PricedItem::new(product.sku.clone(), p.amount))
        .ok_or_else(|| ApiError::conflict(format!("product {} has no price on {on}", product.sku)))
}

/// The annual price of `product` on `on` for the vehicle `plate`: its emission class's price
/// where the council has a table for it, else the product's own price.
async fn annual_price(
    council: &eligibility::CouncilEligibility,
    product: &ProductRecord,
    plate: Option<&str>,
    on: NaiveDate,
) -> ApiResult<PricedItem> {
    let base = price_on(product, on)?;
    let Some(plate) = plate else {
        return Ok(base);
    };
    let fuel_class = eligibility::fuel_class(council, plate).await?;
    Ok(pricing::emission_price(
        &council.pricing.emission_tables,
        &product.sku,
        &fuel_class,
        on,
    )
    .map(|amount| PricedItem::new(product.sku.clone(), amount))
    .unwrap_or(base))
}

fn vat_code_on(product: &ProductRecord, on: NaiveDate) -> String {
    product
        .prices
        .iter()
        .filter(|p| p.effective_from <= on)
        .max_by_key(|p| p.effective_from)
        .map(|p| p.vat_code.clone())
        .unwrap_or_else(|| "exempt".into())
}

fn pricing_error(e: civicpay_domain::pricing::PricingError) -> ApiError {
    ApiError::bad_input(e.to_string())
}

/// The payment request lines for a quote: one line per SKU with the sum of its quote lines (a
/// base price and its emission-class adjustment make one line of the emission price), and only
/// lines with something to pay — a bill has no negative lines; credits are refunded instead.
fn request_lines(
    quote: &PriceQuote,
    products: &[&ProductRecord],
    on: NaiveDate,
    locale: &Locale,
    title: &str,
) -> Vec<NewPaymentRequestLine> {
    let mut by_sku: Vec<(Option<Sku>, String, i64)> = Vec::new();
    for line in quote.lines() {
        match by_sku.iter_mut().find(|(sku, _, _)| sku == &line.sku) {
            Some((_, _, sum)) => *sum = sum.saturating_add(line.amount.amount_minor()),
            None => by_sku.push((
                line.sku.clone(),
                line.label.clone(),
                line.amount.amount_minor(),
            )),
        }
    }
    by_sku
        .into_iter()
        .filter(|(_, _, sum)| *sum > 0)
        .map(|(sku, label, sum)| {
            let product = sku
                .as_ref()
                .and_then(|sku| products.iter().find(|p| &p.sku == sku));
            NewPaymentRequestLine {
                sku: sku.clone(),
                description: format!("{title}: {}", price_label(&label, locale)),
                quantity: 1,
                unit_price: Money::new(sum, quote.currency()),
                vat_code: product
                    .map(|p| vat_code_on(p, on))
                    .unwrap_or_else(|| "exempt".into()),
            }
        })
        .collect()
}

fn product_name(scope: &TenantScope, product: &ProductRecord) -> String {
    let tenant = scope.tenant();
    product
        .name
        .get(&tenant.default_locale, &tenant.default_locale)
        .to_owned()
}

/// The council's fee product for a correction, by convention `C-<KIND>` (Copenhagen's
/// C-RENEW, C-EXTEND, C-REPLACE, C-TEMP, C-ADDRESS); a council without one charges no fee.
async fn correction_fee(
    scope: &TenantScope,
    sku: &str,
    on: NaiveDate,
) -> ApiResult<Option<(ProductRecord, PricedItem)>> {
    let Ok(sku) = Sku::parse(sku) else {
        return Ok(None);
    };
    match scope.product_by_sku(&sku).await? {
        Some(product) if product.kind == ProductKind::PermitCorrection => {
            let item = price_on(&product, on)?;
            if item.amount.amount_minor() > 0 {
                Ok(Some((product, item)))
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

fn new_request(
    description: String,
    lines: Vec<NewPaymentRequestLine>,
    debtor: Option<Debtor>,
    hold: Duration,
    capture_later: bool,
) -> NewPaymentRequest {
    NewPaymentRequest {
        // Set by the store (`permit-<id>` / `permit-correction-<id>`).
        external_reference: None,
        description,
        lines,
        due_date: None,
        // Unpaid, the application stops holding after this: the request expires and its
        // pending permit (or correction) is cancelled.
        expires_at: Some(Utc::now() + hold),
        debtor,
        callback_url: None,
        return_url: None,
        allow_partial: false,
        capture_later,
    }
}

/// Applies for a product for the person `input.national_id` (and the vehicle), as staff
/// member `caller_label` (the person look-up is logged with `input.purpose`).
///
/// The facts are gathered as for an eligibility check, with the person's and the vehicle's
/// real held permits. Rejected → a rejected permit with the evaluation, no payment; needs
/// review → waiting for review with an authorize-only payment request; approved → a payment
/// request for the price explained line by line (base, emission class, registered letter),
/// or active at once when it costs nothing. The hold check is repeated inside the write
/// transaction, so of two concurrent applications for one resident permit only one ends up
/// holding (the other is CONFLICT "already holds an active or pending resident permit").
pub async fn apply_for_permit(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    input: ApplyInput<'_>,
    actor: &Actor,
) -> ApiResult<PermitApplication> {
    apply_inner(req, scope, caller_label, input, None, actor).await
}

async fn apply_inner(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    input: ApplyInput<'_>,
    renews: Option<&PermitRecord>,
    actor: &Actor,
) -> ApiResult<PermitApplication> {
    let check = eligibility::parse_check(
        req,
        scope,
        input.sku,
        input.national_id,
        input.plate,
        input.purpose,
        input.company_id,
    )
    .await?;
    let today = scope.tenant().today(Utc::now());
    if let Some(start) = input.starts_on
        && start < today
    {
        return Err(ApiError::bad_input(format!(
            "startsOn: {start} is in the past (today is {today})"
        )));
    }
    let manual_reason = input
        .manual_reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            if r.chars().count() > 500 {
                Err(ApiError::bad_input("manualReason: at most 500 characters"))
            } else {
                Ok(r.to_owned())
            }
        })
        .transpose()?;
    let holder_key = check.holder_key(&req.state);
    let plate = check.plate.as_ref().map(Plate::as_str);
    let held = scope
        .held_permits(&holder_key, plate, renews.map(|p| p.id))
        .await?;
    let result = eligibility::evaluate_check(
        req,
        scope,
        caller_label,
        &check,
        eligibility::permit_facts(&held),
    )
    .await;
    let (result, status, evaluation, manual_reason) = match result {
        Ok(result) => {
            let status = match result.evaluation.decision {
                Decision::Rejected => PermitStatus::Rejected,
                Decision::NeedsReview => PermitStatus::WaitingReview,
                Decision::Approved => PermitStatus::PendingPayment,
            };
            let mut evaluation =
                serde_json::to_value(&result.evaluation).map_err(ApiError::internal)?;
            if check.company.is_some() {
                evaluation["applicant_kind"] = serde_json::json!("company");
            }
            (Some(result), status, evaluation, None)
        }
        // A register that does not answer: only with the clerk's reason, and then a
        // caseworker decides — never a silent pass.
        Err(e) if eligibility::is_register_unavailable(&e) => match manual_reason {
            Some(reason) => {
                let evaluation = serde_json::json!({
                    "decision": "needs_review",
                    "results": [],
                    "manual": { "reason": reason, "register": e.message },
                    "applicant_kind": if check.company.is_some() { "company" } else { "person" },
                });
                (None, PermitStatus::WaitingReview, evaluation, Some(reason))
            }
            None => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let product = &check.product;
    let start = input.starts_on.unwrap_or(today);

    // The price, explained: base (or the emission class's price), registered letter.
    let fuel_class = result
        .as_ref()
        .map(|r| r.facts.vehicle.fuel_class.clone())
        .unwrap_or_default();
    let council = check.council;
    let emission = pricing::emission_price(
        &council.pricing.emission_tables,
        &product.sku,
        &fuel_class,
        start,
    );
    let base = price_on(product, start)?;
    let mut letter_product = None;
    if let (Some(delivery), Some(rule)) = (input.delivery, &council.pricing.registered_letter)
        && pricing::registered_letter_applies(
            rule,
            delivery,
            &[(product.kind, emission.unwrap_or(base.amount))],
        )
        .map_err(pricing_error)?
    {
        let fee_product = scope
            .product_by_sku(&rule.fee_sku)
            .await?
            .ok_or_else(|| ApiError::conflict(format!("fee product {} missing", rule.fee_sku)))?;
        let fee = price_on(&fee_product, start)?;
        letter_product = Some((fee_product, fee));
    }
    let mut quote = match renews {
        Some(_) => {
            let fee = correction_fee(scope, "C-RENEW", start).await?;
            pricing::quote_renewal(&base, emission, fee.as_ref().map(|(_, f)| f))
                .map_err(pricing_error)?
        }
        None => pricing::quote_new_permit(&base, emission, letter_product.as_ref().map(|(_, f)| f))
            .map_err(pricing_error)?,
    };
    if renews.is_some()
        && let Some((_, fee)) = &letter_product
    {
        // A renewal sent by post pays the letter too.
        let mut builder = pricing::QuoteBuilder::new(quote.currency());
        for line in quote.lines() {
            builder.push(line.clone()).map_err(pricing_error)?;
        }
        builder
            .push(pricing::QuoteLine::new(
                QuoteLineKind::DeliveryFee,
                Some(fee.sku.clone()),
                labels::DELIVERY_FEE,
                fee.amount,
            ))
            .map_err(pricing_error)?;
        quote = builder.build();
    }

    let status = if status == PermitStatus::PendingPayment && quote.total().amount_minor() <= 0 {
        // Approved and free (the first garage tag): active at once.
        PermitStatus::Active
    } else {
        status
    };
    let payment = if matches!(
        status,
        PermitStatus::PendingPayment | PermitStatus::WaitingReview
    ) && quote.total().amount_minor() > 0
    {
        let mut products = vec![product];
        if let Some((p, _)) = &letter_product {
            products.push(p);
        }
        let renew_fee = if renews.is_some() {
            correction_fee(scope, "C-RENEW", start).await?
        } else {
            None
        };
        if let Some((p, _)) = &renew_fee {
            products.push(p);
        }
        let name = product_name(scope, product);
        let debtor = match &check.company {
            Some(company) => Debtor::parse("company_id", company.as_str()),
            None => Debtor::parse("national_id", check.id.expose_digits()),
        }
        .map_err(ApiError::internal)?;
        let review = status == PermitStatus::WaitingReview;
        Some(new_request(
            name.clone(),
            request_lines(
                &quote,
                &products,
                start,
                &scope.tenant().default_locale,
                &name,
            ),
            Some(debtor),
            if review {
                REVIEW_HOLD
            } else {
                PENDING_PAYMENT_HOLD
            },
            review,
        ))
    } else {
        None
    };
    let (permit, request) = scope
        .insert_permit_if_allowed(
            NewPermit {
                product_id: product.id,
                sku: product.sku.to_string(),
                kind: product.kind.as_str().to_owned(),
                zone_code: product.zone_code.clone(),
                status,
                holder_key,
                holder_display: check.holder_display(),
                plate: plate.map(str::to_owned),
                evaluation,
                holder_id_sealed: Some(req.state.eligibility.seal(&check.id)),
                holder_name: result.as_ref().and_then(|r| r.person_name.clone()),
                holder_address: result.as_ref().and_then(|r| r.person_address.clone()),
                delivery: input.delivery.map(|d| {
                    match d {
                        Delivery::Post => "post",
                        Delivery::Pickup => "pickup",
                    }
                    .to_owned()
                }),
                price: Some(quote_json(&quote, &req.locale)),
                starts_on: match renews {
                    Some(old) => old.valid_to.and_then(|d| d.succ_opt()),
                    None => input.starts_on,
                },
                manual_reason,
                replaces_permit_id: renews.map(|p| p.id),
            },
            payment,
            actor,
        )
        .await?;
    Ok(PermitApplication {
        pay_url: request.map(|r| payments::pay_url(&req.state, scope, r.id)),
        permit,
        check: result,
    })
}

/// One application in the caseworker's queue, with its payment's state.
pub struct ReviewItem {
    pub permit: PermitRecord,
    pub request: Option<PaymentRequestRecord>,
    /// The newest payment of its bill, if the applicant has paid (authorized) already.
    pub payment: Option<PaymentRecord>,
    /// When an authorization may lapse (authorized + [`AUTHORIZATION_VALIDITY`]).
    pub authorization_expires_at: Option<DateTime<Utc>>,
    /// Less than [`AUTHORIZATION_WARNING`] left: decide now.
    pub authorization_expiring: bool,
}

async fn review_item(scope: &TenantScope, permit: PermitRecord) -> ApiResult<ReviewItem> {
    let (request, payment) = match permit.payment_request_id {
        Some(id) => {
            let request = scope.payment_request(id).await?;
            let payment = scope.payments_of_request(id).await?.into_iter().next();
            (Some(request), payment)
        }
        None => (None, None),
    };
    // The payment's status has not changed since it was authorized, so `updated_at` is when.
    let authorization_expires_at = payment
        .as_ref()
        .filter(|p| p.status == PaymentStatus::Authorized)
        .map(|p| p.updated_at + AUTHORIZATION_VALIDITY);
    Ok(ReviewItem {
        authorization_expiring: authorization_expires_at
            .is_some_and(|at| at - Utc::now() < AUTHORIZATION_WARNING),
        authorization_expires_at,
        permit,
        request,
        payment,
    })
}

/// The applications waiting for a caseworker, oldest first, each with its payment's state
/// and a flag on authorizations about to lapse.
pub async fn review_queue(scope: &TenantScope, limit: u64) -> ApiResult<Vec<ReviewItem>> {
    let mut waiting = scope
        .permits(PermitFilter {
            status: Some(PermitStatus::WaitingReview),
            limit,
            ..Default::default()
        })
        .await?;
    waiting.reverse();
    let mut items = Vec::with_capacity(waiting.len());
    for permit in waiting {
        items.push(review_item(scope, permit).await?);
    }
    Ok(items)
}

fn authorized(payment: &Option<PaymentRecord>) -> Option<Uuid> {
    payment
        .as_ref()
        .filter(|p| p.status == PaymentStatus::Authorized)
        .map(|p| p.id)
}

/// A caseworker approves an application (S0-6): an authorized payment is captured at once
/// (the permit becomes active with the capture); a bill not paid yet is captured when paid.
/// A failed capture leaves the permit approved with the authorization standing: approving
/// again retries the capture.
pub async fn approve_permit(
    req: &RequestContext,
    scope: &TenantScope,
    permit_id: Uuid,
    actor: &Actor,
) -> ApiResult<PermitRecord> {
    let current = scope.permit(permit_id).await?;
    let approved_already =
        current.status == PermitStatus::PendingPayment && current.reviewed_at.is_some();
    let payment = newest_payment(scope, &current).await?;
    if !approved_already {
        let email = decision_email(scope, &current, &payment, None);
        scope.approve_permit(permit_id, email, actor).await?;
    }
    // Read again after the approval committed: an authorization that arrived meanwhile was
    // made as "capture later" and must be captured now.
    let payment = newest_payment(scope, &current).await?;
    if let Some(payment_id) = authorized(&payment) {
        payments::capture_payment(
            &req.state,
            scope,
            payment_id,
            &format!("permit-approve-{}", permit_id.simple()),
            actor,
        )
        .await?;
    }
    Ok(scope.permit(permit_id).await?)
}

/// A caseworker rejects an application with a reason: an authorized payment is voided first
/// (a refused void leaves everything as it was), then the permit is rejected and its bill
/// cancelled.
pub async fn reject_permit(
    req: &RequestContext,
    scope: &TenantScope,
    permit_id: Uuid,
    reason: &str,
    actor: &Actor,
) -> ApiResult<PermitRecord> {
    let current = scope.permit(permit_id).await?;
    if current.status != PermitStatus::WaitingReview {
        return Err(ApiError::conflict(format!(
            "the permit is {}; only an application waiting for review can be rejected",
            current.status
        )));
    }
    let payment = newest_payment(scope, &current).await?;
    if let Some(payment_id) = authorized(&payment) {
        payments::void_payment(
            &req.state,
            scope,
            payment_id,
            reason,
            &format!("permit-reject-{}", permit_id.simple()),
            actor,
        )
        .await?;
    }
    Ok(scope
        .end_permit(
            permit_id,
            PermitEnding {
                from: &[PermitStatus::WaitingReview],
                to: PermitStatus::Rejected,
                reason,
                action: "permit.reject",
                email: decision_email(scope, &current, &payment, Some(reason)),
            },
            actor,
        )
        .await?)
}

/// The newest payment of a permit's bill, if any.
async fn newest_payment(
    scope: &TenantScope,
    permit: &PermitRecord,
) -> ApiResult<Option<PaymentRecord>> {
    Ok(match permit.payment_request_id {
        Some(request_id) => scope
            .payments_of_request(request_id)
            .await?
            .into_iter()
            .next(),
        None => None,
    })
}

/// The e-mail telling the applicant of a caseworker's decision (S0-6), to the address given
/// when paying; `None` without one. `rejected_because`: the rejection's reason.
fn decision_email(
    scope: &TenantScope,
    permit: &PermitRecord,
    payment: &Option<PaymentRecord>,
    rejected_because: Option<&str>,
) -> Option<civicpay_store::NewEmail> {
    let to = payment.as_ref()?.customer_email.clone()?;
    let (subject, body) = decision_text(
        scope.tenant().default_locale.as_str(),
        permit.sku.as_str(),
        &permit.id.simple().to_string(),
        rejected_because,
    );
    Some(civicpay_store::NewEmail {
        to,
        subject,
        body,
        letter_id: None,
    })
}

/// The decision e-mail's subject and body in `lang` (`emails.ftl`) for the permit `sku` with
/// the number `number`; `rejected_because`: the rejection's reason.
fn decision_text(
    lang: &str,
    sku: &str,
    number: &str,
    rejected_because: Option<&str>,
) -> (String, String) {
    match rejected_because {
        None => (
            i18n::text(lang, "email-approved-subject", &[]),
            i18n::text(
                lang,
                "email-approved-body",
                &[("sku", sku), ("number", number)],
            ),
        ),
        Some(reason) => (
            i18n::text(lang, "email-rejected-subject", &[]),
            i18n::text(
                lang,
                "email-rejected-body",
                &[("sku", sku), ("number", number), ("reason", reason)],
            ),
        ),
    }
}

/// Staff revoke a permit with a reason (no refund: a holder's cancellation refunds).
pub async fn revoke_permit(
    scope: &TenantScope,
    permit_id: Uuid,
    reason: &str,
    actor: &Actor,
) -> ApiResult<PermitRecord> {
    Ok(scope
        .end_permit(
            permit_id,
            PermitEnding {
                from: &[PermitStatus::Active, PermitStatus::PendingPayment],
                to: PermitStatus::Cancelled,
                reason,
                action: "permit.revoke",
                email: None,
            },
            actor,
        )
        .await?)
}

/// A correction asked for, as staff or the holder give it.
pub enum CorrectionInput<'a> {
    Extend { valid_to: NaiveDate },
    ReplaceVehicle { plate: &'a str },
    TemporaryVehicle { plate: &'a str, until: NaiveDate },
    ChangeAddress { sku: &'a str },
    Cancel { reason: &'a str },
}

/// What a correction gives back.
pub struct CorrectionOutcome {
    pub correction: CorrectionRecord,
    pub permit: PermitRecord,
    pub pay_url: Option<String>,
    /// Money given back (cancel; a cheaper zone), once the PSP has agreed.
    pub refunded: Option<Money>,
}

/// The captured payment a permit was paid with.
async fn paid_with(scope: &TenantScope, permit: &PermitRecord) -> ApiResult<Option<PaymentRecord>> {
    let Some(request_id) = permit.payment_request_id else {
        return Ok(None);
    };
    Ok(scope
        .payments_of_request(request_id)
        .await?
        .into_iter()
        .find(|p| {
            matches!(
                p.status,
                PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
            )
        }))
}

fn validity(permit: &PermitRecord) -> ApiResult<(NaiveDate, NaiveDate)> {
    match (permit.valid_from, permit.valid_to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(ApiError::conflict("the permit has no validity period yet")),
    }
}

/// Re-runs the council's rules for a corrected permit (a new vehicle, a new zone's product)
/// and refuses the correction with the failing rules' reasons.
async fn recheck(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    permit: &PermitRecord,
    national_id: &str,
    sku: &str,
    plate: Option<&str>,
) -> ApiResult<(ProductRecord, EligibilityCheck)> {
    let check = eligibility::parse_check(
        req,
        scope,
        sku,
        national_id,
        plate,
        "permit correction",
        company_of(permit),
    )
    .await?;
    let held = scope
        .held_permits(
            &check.holder_key(&req.state),
            check.plate.as_ref().map(Plate::as_str),
            Some(permit.id),
        )
        .await?;
    if check.holder_key(&req.state) != permit.holder_key {
        return Err(ApiError::bad_input(
            "nationalId: is not the permit's holder",
        ));
    }
    let result = eligibility::evaluate_check(
        req,
        scope,
        caller_label,
        &check,
        eligibility::permit_facts(&held),
    )
    .await?;
    if result.evaluation.decision == Decision::Rejected {
        let reasons: Vec<String> = result
            .evaluation
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.message.clone())
            .collect();
        return Err(ApiError::conflict(format!(
            "the correction is refused: {}",
            reasons.join(" ")
        )));
    }
    if result.evaluation.decision == Decision::NeedsReview {
        return Err(ApiError::conflict(
            "the correction needs a caseworker's review; apply for it at the counter",
        ));
    }
    Ok((check.product, result))
}

/// The company a company's permit is held by (its number is the holder shown).
fn company_of(permit: &PermitRecord) -> Option<&str> {
    (permit.evaluation["applicant_kind"] == "company").then_some(permit.holder_display.as_str())
}

/// Corrects an active permit (S0-2). Each correction is priced and explained: extend (the
/// extra months or days of the annual price + fee), replace the vehicle (rules re-run for the
/// new vehicle + fee), temporary vehicle (fee; at most 30 days), change of address (rules
/// re-run for the new zone's product; the difference for the rest of the period charged or
/// refunded + fee), cancel (the unused part refunded to the card it was paid with). A
/// correction with something to pay waits for its bill; otherwise it is applied at once.
/// `national_id` is the holder's, for the rules' look-ups (and must be the holder).
#[allow(clippy::too_many_arguments)]
pub async fn correct_permit(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    permit_id: Uuid,
    national_id: Option<&str>,
    input: CorrectionInput<'_>,
    actor: &Actor,
) -> ApiResult<CorrectionOutcome> {
    let permit = scope.permit(permit_id).await?;
    if permit.status != PermitStatus::Active {
        return Err(ApiError::conflict(format!(
            "the permit is {}; only an active permit can be corrected",
            permit.status
        )));
    }
    let (from, to) = validity(&permit)?;
    let today = scope.tenant().today(Utc::now());
    let slug = scope.tenant().slug.to_string();
    let council = req
        .state
        .eligibility
        .council(&slug)
        .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
    let unit = council.pricing.proration;
    let product = scope.product(permit.product_id).await?;
    let need_id = || {
        national_id.ok_or_else(|| {
            ApiError::bad_input("nationalId: required to check the registers for this correction")
        })
    };
    let locale = &req.locale;
    // Money back, by the payment it goes back to (credits are negative).
    let mut refund_from: Vec<(Uuid, Money)> = Vec::new();
    let (correction, quote, fee_sku, new_product) = match input {
        CorrectionInput::Extend { valid_to } => {
            // The annual price in force when the extension starts, for the car's class.
            let starts = to.succ_opt().unwrap_or(to);
            let annual = annual_price(council, &product, permit.plate.as_deref(), starts).await?;
            let fee = correction_fee(scope, "C-EXTEND", today).await?;
            let quote = pricing::quote_extension(
                &annual,
                from,
                to,
                valid_to,
                unit,
                fee.as_ref().map(|(_, f)| f),
            )
            .map_err(|e| ApiError::bad_input(format!("extendTo: {e}")))?;
            (Correction::Extend { valid_to }, quote, fee, None)
        }
        CorrectionInput::ReplaceVehicle { plate } => {
            let plate =
                Plate::parse(plate).map_err(|e| ApiError::bad_input(format!("plate: {e}")))?;
            recheck(
                req,
                scope,
                caller_label,
                &permit,
                need_id()?,
                product.sku.as_str(),
                Some(plate.as_str()),
            )
            .await?;
            let fee = correction_fee(scope, "C-REPLACE", today).await?;
            let quote = fee_only(scope, fee.as_ref().map(|(_, f)| f))?;
            (
                Correction::ReplaceVehicle {
                    plate: plate.as_str().to_owned(),
                },
                quote,
                fee,
                None,
            )
        }
        CorrectionInput::TemporaryVehicle { plate, until } => {
            let plate =
                Plate::parse(plate).map_err(|e| ApiError::bad_input(format!("plate: {e}")))?;
            if until < today || (until - today).num_days() >= TEMPORARY_VEHICLE_MAX_DAYS {
                return Err(ApiError::bad_input(format!(
                    "until: a temporary vehicle is covered from today for at most {TEMPORARY_VEHICLE_MAX_DAYS} days (today is {today})"
                )));
            }
            if until > to {
                return Err(ApiError::bad_input(format!(
                    "until: after the permit's last day {to}"
                )));
            }
            // A loan car need not be the holder's, but it must not be reported stolen nor
            // already hold a resident permit of its own.
            if eligibility::vehicle(council, plate.as_str())
                .await?
                .is_some_and(|v| v.stolen)
            {
                return Err(ApiError::conflict(
                    "temporaryPlate: the vehicle is reported stolen or wanted",
                ));
            }
            if scope
                .held_permits("", Some(plate.as_str()), Some(permit.id))
                .await?
                .vehicle_has_resident
            {
                return Err(ApiError::conflict(format!(
                    "temporaryPlate: {}",
                    civicpay_store::VEHICLE_HOLDS_RESIDENT
                )));
            }
            let fee = correction_fee(scope, "C-TEMP", today).await?;
            let quote = fee_only(scope, fee.as_ref().map(|(_, f)| f))?;
            (
                Correction::TemporaryVehicle {
                    plate: plate.as_str().to_owned(),
                    until,
                },
                quote,
                fee,
                None,
            )
        }
        CorrectionInput::ChangeAddress { sku } => {
            // A change of address moves a resident permit to the new address's zone: the
            // same kind of product, with a zone — never to another kind of permit.
            let wanted =
                Sku::parse(sku).map_err(|e| ApiError::bad_input(format!("changeToSku: {e}")))?;
            let same_kind = scope.product_by_sku(&wanted).await?.is_some_and(|p| {
                p.kind == product.kind && p.zone_code.is_some() && product.zone_code.is_some()
            });
            if !same_kind {
                return Err(ApiError::bad_input(format!(
                    "changeToSku: {sku} is not a zone's {} like {}; a change of address moves the permit to the new zone's",
                    product.kind.as_str(),
                    product.sku
                )));
            }
            let (new_product, check) = recheck(
                req,
                scope,
                caller_label,
                &permit,
                need_id()?,
                sku,
                permit.plate.as_deref(),
            )
            .await?;
            if new_product.id == product.id {
                return Err(ApiError::bad_input(format!(
                    "sku: the permit is already {sku}"
                )));
            }
            let old = annual_price(council, &product, permit.plate.as_deref(), today).await?;
            let new = annual_price(council, &new_product, permit.plate.as_deref(), today).await?;
            let fee = correction_fee(scope, "C-ADDRESS", today).await?;
            let quote = pricing::quote_zone_change(
                &old,
                &new,
                from,
                to,
                today,
                unit,
                fee.as_ref().map(|(_, f)| f),
            )
            .map_err(pricing_error)?;
            (
                Correction::ChangeAddress {
                    product_id: new_product.id,
                    sku: new_product.sku.to_string(),
                    zone_code: new_product.zone_code.clone(),
                    holder_address: check.person_address.clone(),
                },
                quote,
                fee,
                Some(new_product),
            )
        }
        CorrectionInput::Cancel { reason } => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(ApiError::bad_input("reason: 1-500 characters"));
            }
            // Each payment is refunded for its own period: the permit's for its first year,
            // each paid extension for the months it added (fees are not refunded).
            let currency = scope.tenant().currency;
            let mut builder = pricing::QuoteBuilder::new(currency);
            if let Some(paid) = paid_with(scope, &permit).await? {
                let remaining = paid
                    .captured
                    .checked_sub(paid.refunded)
                    .map_err(ApiError::internal)?;
                let priced = permit
                    .price
                    .as_ref()
                    .map(|p| quote_sum(p, &["base", "emission"]))
                    .unwrap_or(remaining.amount_minor());
                let amount = Money::new(priced.min(remaining.amount_minor()), currency);
                let first_year_end = civicpay_store::one_year_from(from)?.1.min(to);
                let quote = pricing::quote_cancellation_refund(
                    &PricedItem::new(product.sku.clone(), amount),
                    from,
                    first_year_end,
                    today,
                    unit,
                )
                .map_err(pricing_error)?;
                refund_from.push((paid.id, quote.total()));
                for line in quote.lines() {
                    builder.push(line.clone()).map_err(pricing_error)?;
                }
            }
            for extension in scope.corrections(permit.id).await? {
                if extension.status != "applied"
                    || !matches!(extension.correction, Correction::Extend { .. })
                {
                    continue;
                }
                let Some(request_id) = extension.payment_request_id else {
                    continue;
                };
                let Some(line) = extension.price["lines"]
                    .as_array()
                    .and_then(|lines| lines.iter().find(|l| l["kind"] == "proration"))
                else {
                    continue;
                };
                let period: Option<(NaiveDate, NaiveDate)> =
                    serde_json::from_value(line["period"].clone()).ok();
                let Some((ext_from, ext_to)) = period else {
                    continue;
                };
                let Some(paid) = scope
                    .payments_of_request(request_id)
                    .await?
                    .into_iter()
                    .find(|p| {
                        matches!(
                            p.status,
                            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
                        )
                    })
                else {
                    continue;
                };
                let remaining = paid
                    .captured
                    .checked_sub(paid.refunded)
                    .map_err(ApiError::internal)?;
                let added = serde_json::from_value::<Money>(line["amount"].clone())
                    .map(|m| m.amount_minor())
                    .unwrap_or(0)
                    .min(remaining.amount_minor());
                let quote = pricing::quote_cancellation_refund(
                    &PricedItem::new(product.sku.clone(), Money::new(added, currency)),
                    ext_from,
                    ext_to,
                    today,
                    unit,
                )
                .map_err(pricing_error)?;
                refund_from.push((paid.id, quote.total()));
                for line in quote.lines() {
                    builder.push(line.clone()).map_err(pricing_error)?;
                }
            }
            let quote = builder.build();
            (
                Correction::Cancel {
                    on: today,
                    reason: reason.to_owned(),
                },
                quote,
                None,
                None,
            )
        }
    };
    let total = quote.total();
    let payment = if total.amount_minor() > 0 {
        let mut products: Vec<&ProductRecord> = vec![&product];
        if let Some(p) = &new_product {
            products.push(p);
        }
        if let Some((p, _)) = &fee_sku {
            products.push(p);
        }
        let title = format!("{} ({})", product_name(scope, &product), correction.kind());
        // A zone change nets the old zone's credit against the new zone's price: one line
        // for the difference (a bill has no negative lines), then the fee.
        let lines = if matches!(correction, Correction::ChangeAddress { .. }) {
            let fee_amount = fee_sku
                .as_ref()
                .map(|(_, f)| f.amount)
                .unwrap_or_else(|| Money::zero(total.currency()));
            let difference = total.checked_sub(fee_amount).map_err(ApiError::internal)?;
            // A credit smaller than the fee is netted against it: the bill is the total.
            let fee_amount = if difference.is_negative() {
                total
            } else {
                fee_amount
            };
            let mut lines = Vec::new();
            if difference.amount_minor() > 0 {
                let p = new_product.as_ref().unwrap_or(&product);
                lines.push(NewPaymentRequestLine {
                    sku: Some(p.sku.clone()),
                    description: format!(
                        "{title}: {}",
                        price_label(labels::ZONE_CHANGE_NEW, locale)
                    ),
                    quantity: 1,
                    unit_price: difference,
                    vat_code: vat_code_on(p, today),
                });
            }
            if let Some((p, _)) = &fee_sku {
                lines.push(NewPaymentRequestLine {
                    sku: Some(p.sku.clone()),
                    description: format!(
                        "{title}: {}",
                        price_label(labels::CORRECTION_FEE, locale)
                    ),
                    quantity: 1,
                    unit_price: fee_amount,
                    vat_code: vat_code_on(p, today),
                });
            }
            lines
        } else {
            request_lines(&quote, &products, today, locale, &title)
        };
        Some(new_request(title, lines, None, PENDING_PAYMENT_HOLD, false))
    } else {
        None
    };
    let (record, permit, request) = scope
        .insert_correction(
            permit_id,
            correction,
            quote_json(&quote, locale),
            payment,
            actor,
        )
        .await?;
    // Money back (cancel; a cheaper zone) after the correction is on record: each refund is
    // retried with the same key, so it is asked for at most once.
    if total.is_negative() && refund_from.is_empty() {
        // A cheaper zone: the difference goes back to the permit's payment.
        if let Some(paid) = paid_with(scope, &permit).await? {
            refund_from.push((paid.id, total));
        }
    }
    let mut refunded = None;
    for (n, (payment_id, credit)) in refund_from.into_iter().enumerate() {
        let refund = Money::zero(credit.currency())
            .checked_sub(credit)
            .map_err(ApiError::internal)?;
        if refund.amount_minor() <= 0 {
            continue;
        }
        let outcome = payments::refund_payment(
            &req.state,
            scope,
            payment_id,
            refund,
            &format!("permit {} {}", record.correction.kind(), permit.id),
            &format!("permit-correction-refund-{}-{n}", record.id.simple()),
            actor,
        )
        .await?;
        if n == 0 {
            scope
                .set_correction_refund(record.id, outcome.refund.id)
                .await?;
        }
        refunded = Some(match refunded {
            Some(sum) => Money::checked_add(sum, refund).map_err(ApiError::internal)?,
            None => refund,
        });
    }
    Ok(CorrectionOutcome {
        pay_url: request.map(|r| payments::pay_url(&req.state, scope, r.id)),
        correction: scope
            .corrections(permit.id)
            .await?
            .into_iter()
            .find(|c| c.id == record.id)
            .unwrap_or(record),
        permit,
        refunded,
    })
}

/// The sum (minor units) of a stored quote's lines of the given kinds.
fn quote_sum(price: &serde_json::Value, kinds: &[&str]) -> i64 {
    price["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter(|l| kinds.iter().any(|k| l["kind"] == *k))
                .filter_map(|l| serde_json::from_value::<Money>(l["amount"].clone()).ok())
                .map(|m| m.amount_minor())
                .sum()
        })
        .unwrap_or(0)
}

fn fee_only(scope: &TenantScope, fee: Option<&PricedItem>) -> ApiResult<PriceQuote> {
    let mut builder = pricing::QuoteBuilder::new(scope.tenant().currency);
    if let Some(fee) = fee {
        builder
            .push(pricing::QuoteLine::new(
                QuoteLineKind::CorrectionFee,
                Some(fee.sku.clone()),
                labels::CORRECTION_FEE,
                fee.amount,
            ))
            .map_err(pricing_error)?;
    }
    Ok(builder.build())
}

/// Renews an active (or just expired) permit for another year from the day after it ends:
/// the council's rules run again as for a new application (the renewed permit itself does not
/// count as held), the price is the one in force on the new first day plus the renewal fee.
pub async fn renew_permit(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    permit_id: Uuid,
    national_id: &str,
    delivery: Option<Delivery>,
    actor: &Actor,
) -> ApiResult<PermitApplication> {
    let permit = scope.permit(permit_id).await?;
    if !matches!(permit.status, PermitStatus::Active | PermitStatus::Expired) {
        return Err(ApiError::conflict(format!(
            "the permit is {}; only an active or expired permit can be renewed",
            permit.status
        )));
    }
    // A company's permit is renewed by a person for the company; anyone else's only by its
    // holder.
    if company_of(&permit).is_none() {
        let slug = scope.tenant().slug.to_string();
        let council = req
            .state
            .eligibility
            .council(&slug)
            .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
        let key = civicpay_registries::NationalId::parse(council.country, national_id)
            .map(|id| req.state.eligibility.pseudonym(&id))
            .map_err(|e| ApiError::bad_input(format!("nationalId: {e}")))?;
        if key != permit.holder_key {
            return Err(ApiError::bad_input(
                "nationalId: is not the permit's holder",
            ));
        }
    }
    let today = scope.tenant().today(Utc::now());
    let starts_on = permit
        .valid_to
        .and_then(|d| d.succ_opt())
        .map(|d| d.max(today));
    apply_inner(
        req,
        scope,
        caller_label,
        ApplyInput {
            sku: &permit.sku,
            national_id,
            plate: permit.plate.as_deref(),
            purpose: "permit renewal",
            delivery,
            starts_on,
            manual_reason: None,
            company_id: company_of(&permit),
        },
        Some(&permit),
        actor,
    )
    .await
}

/// Staff search of permits by plate (also a temporary vehicle's) and/or person (the national
/// id is turned into its pseudonym, and the search is logged as a person look-up with purpose
/// "permit search").
/// What staff search permits by; every filter given must match.
#[derive(Default)]
pub struct PermitSearch<'a> {
    pub plate: Option<&'a str>,
    pub national_id: Option<&'a str>,
    pub company_id: Option<&'a str>,
    pub status: Option<PermitStatus>,
    pub limit: u64,
}

pub async fn search_permits(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    search: PermitSearch<'_>,
) -> ApiResult<Vec<PermitRecord>> {
    let PermitSearch {
        plate,
        national_id,
        company_id,
        status,
        limit,
    } = search;
    let plate = plate
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Plate::parse)
        .transpose()
        .map_err(|e| ApiError::bad_input(format!("plate: {e}")))?;
    let holder_key = match national_id.map(str::trim).filter(|n| !n.is_empty()) {
        Some(raw) => {
            let slug = scope.tenant().slug.to_string();
            let council = req.state.eligibility.council(&slug).ok_or_else(|| {
                ApiError::conflict("eligibility checks are not configured for this council")
            })?;
            let id = civicpay_registries::NationalId::parse(council.country, raw)
                .map_err(|e| ApiError::bad_input(format!("nationalId: {e}")))?;
            let key = req.state.eligibility.pseudonym(&id);
            scope
                .record_person_lookup(caller_label, &key, "permit search")
                .await?;
            Some(key)
        }
        None => None,
    };
    // A company's permits are held under its pseudonym (company numbers are public: no
    // look-up is logged).
    let holder_key = match company_id.map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => {
            if holder_key.is_some() {
                return Err(ApiError::bad_input(
                    "companyId: search by a person or by a company, not both",
                ));
            }
            let slug = scope.tenant().slug.to_string();
            let council = req.state.eligibility.council(&slug).ok_or_else(|| {
                ApiError::conflict("eligibility checks are not configured for this council")
            })?;
            let company = civicpay_registries::CompanyId::parse(council.country, raw)
                .map_err(|e| ApiError::bad_input(format!("companyId: {e}")))?;
            Some(req.state.eligibility.company_pseudonym(&company))
        }
        None => holder_key,
    };
    Ok(scope
        .permits(PermitFilter {
            plate: plate.map(|p| p.as_str().to_owned()),
            holder_key,
            status,
            limit,
        })
        .await?)
}

/// Active permits past their last day become expired, in every council. Returns how many.
pub async fn expire_permits(state: &crate::context::ApiState) -> ApiResult<u64> {
    let mut expired = 0;
    for tenant in state.store.tenants().await? {
        expired += state.store.scope(tenant).expire_permits().await?;
    }
    Ok(expired)
}

/// Every price label and decision e-mail in `lang`, for the tests of `i18n`.
#[cfg(test)]
pub(crate) fn all_texts(lang: &str) -> Vec<String> {
    let Ok(locale) = Locale::parse(lang) else {
        panic!("{lang} is not a locale");
    };
    let mut texts: Vec<String> = PRICE_LABELS
        .iter()
        .map(|(label, _)| price_label(label, &locale))
        .collect();
    let (subject, body) = decision_text(lang, "P-K1", "0190", None);
    texts.extend([subject, body]);
    let (subject, body) = decision_text(lang, "P-K1", "0190", Some("no agreement"));
    texts.extend([subject, body]);
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_labels_and_decision_e_mails_speak_the_language() {
        let (Ok(da), Ok(en_gb)) = (Locale::parse("da"), Locale::parse("en-GB")) else {
            panic!("locales");
        };
        assert_eq!(price_label(labels::DELIVERY_FEE, &da), "Anbefalet brev");
        assert_eq!(price_label("price.unknown", &da), "price.unknown");
        assert_eq!(
            price_label(labels::EMISSION, &en_gb),
            "Adjustment for the vehicle's emission class"
        );
        assert_eq!(
            decision_text("da", "P-K1", "0190", None),
            (
                "Din ansøgning er godkendt".to_owned(),
                "Din ansøgning om P-K1 (nr. 0190) er godkendt. Beløbet trækkes nu på dit kort, og licensen gælder fra i dag.".to_owned()
            )
        );
        assert_eq!(
            decision_text(
                "en",
                "P-K1",
                "0190",
                Some("No car-share agreement on file.")
            )
            .1,
            "Your application for P-K1 (no. 0190) is rejected: No car-share agreement on file.\nNothing was charged; the reservation on your card is released."
        );
    }
}
