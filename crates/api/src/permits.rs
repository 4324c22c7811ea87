//! The permit lifecycle, first slice: apply → the council's rules → rejected | waiting for
//! review | pending payment; a captured payment then activates the permit (in the store's
//! `fulfil`, in the transaction that marks the request paid).

use crate::context::RequestContext;

/// How long an approved application waits for its payment before it is cancelled.
pub const PENDING_PAYMENT_HOLD: chrono::Duration = chrono::Duration::hours(24);

use crate::eligibility::{self, EligibilityCheck};
use crate::error::{ApiError, ApiResult};
use crate::payments;
use civicpay_domain::PermitStatus;
use civicpay_domain::audit::Actor;
use civicpay_registries::Plate;
use civicpay_rules::Decision;
use civicpay_store::{Debtor, NewPaymentRequest, NewPaymentRequestLine, NewPermit, PermitRecord};
use civicpay_store::{PermitFilter, TenantScope};

/// What an application gives back: the stored permit and, when it waits for its payment, the
/// link the payer follows.
pub struct PermitApplication {
    pub permit: PermitRecord,
    pub pay_url: Option<String>,
    pub check: EligibilityCheck,
}

/// Applies for product `sku` for the person `national_id` (and the vehicle `plate`), as staff
/// member `caller_label` for `purpose` (the person look-up is logged with it).
///
/// The facts are gathered as for an eligibility check, with the person's and the vehicle's
/// real held permits. Rejected → a rejected permit with the evaluation, no payment; needs
/// review → waiting for review, no payment yet; approved → a payment request for the
/// product's current price (external reference `permit-<id>`) and the permit pending payment.
/// The hold check is repeated inside the write transaction that stores the permit, so of two
/// concurrent applications for one resident permit only one ends up holding (the other is
/// CONFLICT "already holds an active or pending resident permit").
#[allow(clippy::too_many_arguments)]
pub async fn apply_for_permit(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    sku: &str,
    national_id: &str,
    plate: Option<&str>,
    purpose: &str,
    actor: &Actor,
) -> ApiResult<PermitApplication> {
    let check = eligibility::parse_check(req, scope, sku, national_id, plate, purpose).await?;
    let holder_key = check.holder_key(&req.state);
    let plate = check.plate.as_ref().map(Plate::as_str);
    let held = scope.held_permits(&holder_key, plate).await?;
    let result = eligibility::evaluate_check(
        req,
        scope,
        caller_label,
        &check,
        eligibility::permit_facts(&held),
    )
    .await?;
    let product = &check.product;
    let status = match result.evaluation.decision {
        Decision::Rejected => PermitStatus::Rejected,
        Decision::NeedsReview => PermitStatus::WaitingReview,
        Decision::Approved => PermitStatus::PendingPayment,
    };
    let payment = if status == PermitStatus::PendingPayment {
        let today = scope.tenant().today(chrono::Utc::now());
        let price = product
            .prices
            .iter()
            .filter(|p| p.effective_from <= today)
            .max_by_key(|p| p.effective_from)
            .ok_or_else(|| {
                ApiError::conflict(format!("product {} has no price today", product.sku))
            })?;
        let tenant = scope.tenant();
        let name = product
            .name
            .get(&tenant.default_locale, &tenant.default_locale)
            .to_owned();
        let debtor =
            Debtor::parse("national_id", check.id.expose_digits()).map_err(ApiError::internal)?;
        Some(NewPaymentRequest {
            // Set by the store to `permit-<permit id>`.
            external_reference: None,
            description: name.clone(),
            lines: vec![NewPaymentRequestLine {
                sku: Some(product.sku.clone()),
                description: name,
                quantity: 1,
                unit_price: price.amount,
                vat_code: price.vat_code.clone(),
            }],
            due_date: None,
            // Unpaid, the application stops holding the applicant's one permit after this:
            // the request expires and its pending permit is cancelled.
            expires_at: Some(chrono::Utc::now() + PENDING_PAYMENT_HOLD),
            debtor: Some(debtor),
            callback_url: None,
            return_url: None,
            allow_partial: false,
            capture_later: false,
        })
    } else {
        None
    };
    let evaluation = serde_json::to_value(&result.evaluation).map_err(ApiError::internal)?;
    let (permit, request) = scope
        .insert_permit_if_allowed(
            NewPermit {
                product_id: product.id,
                sku: product.sku.to_string(),
                kind: product.kind.as_str().to_owned(),
                zone_code: product.zone_code.clone(),
                status,
                holder_key,
                holder_display: check.id.masked(),
                plate: plate.map(str::to_owned),
                evaluation,
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

/// Staff search of permits by plate and/or person (the national id is turned into its
/// pseudonym, and the search is logged as a person look-up with purpose "permit search").
pub async fn search_permits(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    plate: Option<&str>,
    national_id: Option<&str>,
    status: Option<PermitStatus>,
    limit: u64,
) -> ApiResult<Vec<PermitRecord>> {
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
    Ok(scope
        .permits(PermitFilter {
            plate: plate.map(|p| p.as_str().to_owned()),
            holder_key,
            status,
            limit,
        })
        .await?)
}
