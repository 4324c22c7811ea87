//! The citizen's side of money in the council's shop: their bills (from every department),
//! the payments that paid them, a basket paid in one checkout, and receipts. The pages call
//! these; permits go through [`crate::permits`] as at the counter. Another person's bill or
//! payment is NOT_FOUND, as another council's is.

use crate::context::{Caller, RequestContext};
use crate::error::{ApiError, ApiResult};
use crate::payments;
use civicpay_domain::{PaymentChannel, Permission};
use civicpay_registries::NationalId;
use civicpay_store::{Debtor, PaymentDetail, PaymentRecord, PaymentRequestRecord, TenantScope};
use uuid::Uuid;

pub use crate::schema_citizen::{acting_company_id, citizen, own_permit, who};

/// How councils' systems (and permit applications) address a bill to this person.
pub fn debtor_of(id: &NationalId) -> ApiResult<Debtor> {
    Debtor::parse("national_id", id.expose_digits()).map_err(ApiError::internal)
}

/// Whom the logged-in citizen's bills are addressed to: the company the session acts for
/// (its bills, by company number), else the person (by national id). UNAUTHENTICATED when
/// nobody is logged in.
pub fn my_debtor(req: &RequestContext) -> ApiResult<Debtor> {
    let (session, national_id) = citizen(req)?;
    match &session.company {
        Some(company) => {
            Debtor::parse("company_id", &company.company_id).map_err(ApiError::internal)
        }
        None => debtor_of(&national_id),
    }
}

/// The bill `id` if it is addressed to `debtor`; NOT_FOUND otherwise.
pub async fn my_bill(
    scope: &TenantScope,
    debtor: &Debtor,
    id: Uuid,
) -> ApiResult<PaymentRequestRecord> {
    match scope.payment_request(id).await {
        Ok(bill) if bill.is_billed_to(debtor) => Ok(bill),
        Ok(_) | Err(civicpay_store::StoreError::NotFound(_)) => {
            Err(ApiError::not_found(format!("bill {id} not found")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The payment `id` as the caller may see it: staff who read payments, or the citizen whose
/// bill it settles; NOT_FOUND for anyone else.
pub async fn visible_payment(
    req: &RequestContext,
    scope: &TenantScope,
    id: Uuid,
) -> ApiResult<PaymentDetail> {
    let not_found = || ApiError::not_found(format!("payment {id} not found"));
    let detail = match scope.payment(id).await {
        Ok(d) => d,
        Err(civicpay_store::StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    match &req.caller {
        Caller::Citizen { .. } => {
            let debtor = my_debtor(req)?;
            for line in &detail.lines {
                if line.subject_type == "payment_request"
                    && let Some(bill_id) = line.subject_id
                    && my_bill(scope, &debtor, bill_id).await.is_ok()
                {
                    return Ok(detail);
                }
            }
            Err(not_found())
        }
        Caller::Anonymous => Err(ApiError::unauthenticated(
            "log in to see your payments and receipts",
        )),
        caller if caller.allows(Permission::ReadPayments) => Ok(detail),
        _ => Err(not_found()),
    }
}

/// Pays the logged-in citizen's bills `bill_ids` (a basket: permits, products and bills of any
/// department) in one checkout at the council's PSP. Every bill must be addressed to the
/// citizen and still open; the answer is the payment and the PSP page to send the browser to.
pub async fn checkout_my_bills(
    req: &RequestContext,
    scope: &TenantScope,
    bill_ids: &[Uuid],
    customer_email: Option<String>,
) -> ApiResult<(PaymentRecord, String)> {
    let debtor = my_debtor(req)?;
    if bill_ids.is_empty() {
        return Err(ApiError::bad_input("the basket is empty"));
    }
    for id in bill_ids {
        let bill = my_bill(scope, &debtor, *id).await?;
        if bill.status != "open" {
            return Err(ApiError::conflict(format!(
                "{} ({}) is {}; remove it from the basket",
                bill.description, bill.reference, bill.status
            )));
        }
    }
    payments::start_checkout(
        &req.state,
        scope,
        bill_ids,
        None,
        customer_email,
        PaymentChannel::Web,
        civicpay_psp::CaptureMode::Automatic,
        &req.caller.actor(),
    )
    .await
}

/// Pays bill `bill_id` from its pay link (`payUrl`, sent by the council's system): whoever
/// holds the link may pay it, logged in or not, as with a giro slip. The bill must still be
/// open (CONFLICT otherwise); the answer is the payment and the PSP page to send the browser to.
pub async fn checkout_pay_link(
    req: &RequestContext,
    scope: &TenantScope,
    bill_id: Uuid,
    customer_email: Option<String>,
) -> ApiResult<(PaymentRecord, String)> {
    payments::start_checkout(
        &req.state,
        scope,
        &[bill_id],
        None,
        customer_email,
        PaymentChannel::ApiRequest,
        civicpay_psp::CaptureMode::Automatic,
        // An anonymous payer is recorded as the system, as for any pay link.
        &req.caller.actor(),
    )
    .await
}
