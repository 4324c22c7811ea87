//! Permits in GraphQL: staff apply on a person's behalf (at the counter), the caseworker's
//! review queue (approve → capture, reject → void), corrections and renewals, revocation, and
//! the permit search by plate, person or status.

use crate::error::{ApiError, ApiResult};
use crate::permits::{self, ApplyInput, CorrectionInput};
use crate::schema_eligibility::caller_label;
use crate::schema_payments::parse_uuid;
use crate::types::request;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::Permission;
use civicpay_store::{CorrectionRecord, PermitRecord};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::PermitStatus")]
pub enum PermitStatus {
    Rejected,
    WaitingReview,
    PendingPayment,
    Active,
    Expired,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::pricing::Delivery")]
pub enum Delivery {
    Post,
    Pickup,
}

/// One rule of the decision and how it went.
#[derive(SimpleObject)]
pub struct PermitRule {
    pub rule_id: String,
    pub passed: bool,
    /// The council's reason, in the language of the application.
    pub message: String,
}

/// One line of a price, explained.
#[derive(SimpleObject)]
pub struct PriceLine {
    /// base, emission, proration, correction_fee, delivery_fee, credit
    pub kind: String,
    pub sku: Option<String>,
    /// What the line is, in the language of the application.
    pub text: String,
    /// Exact decimal; negative for money given back.
    pub amount: String,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
}

/// A price explained line by line, and its total.
#[derive(SimpleObject)]
pub struct PriceExplained {
    pub lines: Vec<PriceLine>,
    pub total: String,
    pub currency: String,
}

fn explained(price: &serde_json::Value) -> Option<PriceExplained> {
    let total = &price["total"];
    let amount = |m: &serde_json::Value| -> String {
        serde_json::from_value::<civicpay_money::Money>(m.clone())
            .map(|m| m.to_major_string())
            .unwrap_or_default()
    };
    Some(PriceExplained {
        lines: price["lines"]
            .as_array()?
            .iter()
            .map(|l| PriceLine {
                kind: l["kind"].as_str().unwrap_or_default().to_owned(),
                sku: l["sku"].as_str().map(str::to_owned),
                text: l["text"].as_str().unwrap_or_default().to_owned(),
                amount: amount(&l["amount"]),
                period_from: l["period"][0].as_str().and_then(|d| d.parse().ok()),
                period_to: l["period"][1].as_str().and_then(|d| d.parse().ok()),
            })
            .collect(),
        total: amount(total),
        currency: serde_json::from_value::<civicpay_money::Money>(total.clone())
            .map(|m| m.currency().code().to_owned())
            .unwrap_or_default(),
    })
}

pub struct Permit(pub PermitRecord);

#[Object]
impl Permit {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn status(&self) -> PermitStatus {
        self.0.status.into()
    }
    async fn plate(&self) -> Option<&str> {
        self.0.plate.as_deref()
    }
    /// A substitute vehicle covered until `temporaryUntil` (inclusive).
    async fn temporary_plate(&self) -> Option<&str> {
        self.0.temporary_plate.as_deref()
    }
    async fn temporary_until(&self) -> Option<NaiveDate> {
        self.0.temporary_until
    }
    async fn zone_code(&self) -> Option<&str> {
        self.0.zone_code.as_deref()
    }
    async fn valid_from(&self) -> Option<NaiveDate> {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.valid_to
    }
    /// The first day asked for (a renewal starts the day after the permit it renews).
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.0.starts_on
    }
    /// The holder's national id, masked.
    async fn holder(&self) -> &str {
        &self.0.holder_display
    }
    /// The holder's name as the person register gave it.
    async fn holder_name(&self) -> Option<&str> {
        self.0.holder_name.as_deref()
    }
    async fn holder_address(&self) -> Option<&str> {
        self.0.holder_address.as_deref()
    }
    async fn delivery(&self) -> Option<Delivery> {
        match self.0.delivery.as_deref() {
            Some("post") => Some(Delivery::Post),
            Some("pickup") => Some(Delivery::Pickup),
            _ => None,
        }
    }
    /// The price, explained line by line.
    async fn price(&self) -> Option<PriceExplained> {
        self.0.price.as_ref().and_then(explained)
    }
    /// The payment request the permit waits for (or was paid with).
    async fn payment_request_id(&self) -> Option<ID> {
        self.0.payment_request_id.map(|id| ID(id.to_string()))
    }
    /// Why a caseworker rejected it, staff revoked it, it was cancelled, or the re-match
    /// deactivated it.
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }
    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }
    /// The clerk's reason for continuing without a register's answer.
    async fn manual_reason(&self) -> Option<&str> {
        self.0.manual_reason.as_deref()
    }
    /// The permit this one renews.
    async fn renews_permit_id(&self) -> Option<ID> {
        self.0.replaces_permit_id.map(|id| ID(id.to_string()))
    }
    /// When the registry re-match last checked it.
    async fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Every rule of the decision, passed or not.
    async fn rules(&self) -> Vec<PermitRule> {
        self.0.evaluation["results"]
            .as_array()
            .map(|results| {
                results
                    .iter()
                    .map(|r| PermitRule {
                        rule_id: r["rule_id"].as_str().unwrap_or_default().to_owned(),
                        passed: r["passed"].as_bool().unwrap_or(false),
                        message: r["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The letters written to the holder (a deactivation by the re-match), newest first.
    async fn letters(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<crate::schema_rematch::PermitLetter>> {
        let req = request(ctx)?;
        let scope = req.scope()?;
        let slug = scope.tenant().slug.to_string();
        Ok(scope
            .letters(self.0.id)
            .await?
            .into_iter()
            .map(|l| crate::schema_rematch::letter(&slug, l))
            .collect())
    }
    /// The corrections asked for, oldest first.
    async fn corrections(&self, ctx: &Context<'_>) -> ApiResult<Vec<PermitCorrection>> {
        let req = request(ctx)?;
        Ok(req
            .scope()?
            .corrections(self.0.id)
            .await?
            .into_iter()
            .map(PermitCorrection)
            .collect())
    }
}

pub struct PermitCorrection(CorrectionRecord);

#[Object]
impl PermitCorrection {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// extend, replace_vehicle, temporary_vehicle, change_address, cancel
    async fn kind(&self) -> &str {
        self.0.correction.kind()
    }
    /// pending_payment, applied, cancelled
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// What it changes, as JSON.
    async fn detail(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(serde_json::to_value(&self.0.correction).unwrap_or_default())
    }
    async fn price(&self) -> Option<PriceExplained> {
        explained(&self.0.price)
    }
    async fn payment_request_id(&self) -> Option<ID> {
        self.0.payment_request_id.map(|id| ID(id.to_string()))
    }
    async fn refund_id(&self) -> Option<ID> {
        self.0.refund_id.map(|id| ID(id.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn applied_at(&self) -> Option<DateTime<Utc>> {
        self.0.applied_at
    }
}

#[derive(SimpleObject)]
pub struct PermitApplication {
    pub permit: Permit,
    /// The link the payer follows; set only when the permit waits for its payment.
    pub pay_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct CorrectionResult {
    pub correction: PermitCorrection,
    pub permit: Permit,
    /// The link the payer follows when the correction has something to pay.
    pub pay_url: Option<String>,
    /// Money given back (exact decimal), once the PSP agreed.
    pub refunded: Option<String>,
}

impl From<permits::CorrectionOutcome> for CorrectionResult {
    fn from(outcome: permits::CorrectionOutcome) -> Self {
        CorrectionResult {
            correction: PermitCorrection(outcome.correction),
            permit: Permit(outcome.permit),
            pay_url: outcome.pay_url,
            refunded: outcome.refunded.map(|m| m.to_major_string()),
        }
    }
}

/// One application waiting for a caseworker.
#[derive(SimpleObject)]
pub struct ReviewItem {
    pub permit: Permit,
    /// open, paid, cancelled, expired — of the permit's bill.
    pub request_status: Option<String>,
    /// The newest payment's status (AUTHORIZED when the applicant has paid and the money
    /// waits for the decision).
    pub payment_status: Option<String>,
    /// When the card authorization may lapse.
    pub authorization_expires_at: Option<DateTime<Utc>>,
    /// Less than two days left: decide now.
    pub authorization_expiring: bool,
}

/// The correction to make; exactly one field.
#[derive(InputObject)]
pub struct CorrectionRequest {
    /// Move the last day to this date (at most a year after the current end).
    pub extend_to: Option<NaiveDate>,
    /// From now on the permit is for this vehicle.
    pub replace_plate: Option<String>,
    /// A substitute vehicle, covered until `temporaryUntil` (at most 30 days).
    pub temporary_plate: Option<String>,
    pub temporary_until: Option<NaiveDate>,
    /// The holder moved: the product of the new address's zone (e.g. P-RES-K2).
    pub change_to_sku: Option<String>,
    /// End the permit today; the unused part is refunded.
    pub cancel_reason: Option<String>,
}

impl CorrectionRequest {
    pub(crate) fn parse(&self) -> ApiResult<CorrectionInput<'_>> {
        let mut given = Vec::new();
        if let Some(valid_to) = self.extend_to {
            given.push(CorrectionInput::Extend { valid_to });
        }
        if let Some(plate) = &self.replace_plate {
            given.push(CorrectionInput::ReplaceVehicle { plate });
        }
        match (&self.temporary_plate, self.temporary_until) {
            (Some(plate), Some(until)) => {
                given.push(CorrectionInput::TemporaryVehicle { plate, until })
            }
            (None, None) => {}
            _ => {
                return Err(ApiError::bad_input(
                    "correction: temporaryPlate and temporaryUntil go together",
                ));
            }
        }
        if let Some(sku) = &self.change_to_sku {
            given.push(CorrectionInput::ChangeAddress { sku });
        }
        if let Some(reason) = &self.cancel_reason {
            given.push(CorrectionInput::Cancel { reason });
        }
        match given.len() {
            1 => Ok(given.remove(0)),
            0 => Err(ApiError::bad_input("correction: give one correction")),
            _ => Err(ApiError::bad_input(
                "correction: give exactly one correction at a time",
            )),
        }
    }
}

#[derive(Default)]
pub struct PermitQuery;

#[Object]
impl PermitQuery {
    /// Permits of the council by plate (also a temporary vehicle's), person (national id; the
    /// search is logged as a person look-up with purpose "permit search") or company
    /// (`companyId`), and/or status, newest first. Staff (`CheckEligibility`).
    async fn permits(
        &self,
        ctx: &Context<'_>,
        plate: Option<String>,
        national_id: Option<String>,
        company_id: Option<String>,
        status: Option<PermitStatus>,
        #[graphql(default = 50)] limit: u32,
    ) -> ApiResult<Vec<Permit>> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 500"));
        }
        let scope = req.scope()?;
        Ok(permits::search_permits(
            req,
            &scope,
            &caller_label(&req.caller),
            permits::PermitSearch {
                plate: plate.as_deref(),
                national_id: national_id.as_deref(),
                company_id: company_id.as_deref(),
                status: status.map(Into::into),
                limit: u64::from(limit),
            },
        )
        .await?
        .into_iter()
        .map(Permit)
        .collect())
    }

    /// One permit of the council. Staff (`CheckEligibility`).
    async fn permit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Permit> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        Ok(Permit(req.scope()?.permit(parse_uuid("id", &id)?).await?))
    }

    /// The applications waiting for a caseworker, oldest first, with their payment's state;
    /// authorizations about to lapse are flagged. Staff (`CheckEligibility`).
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] limit: u32,
    ) -> ApiResult<Vec<ReviewItem>> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 500"));
        }
        Ok(permits::review_queue(&req.scope()?, u64::from(limit))
            .await?
            .into_iter()
            .map(|item| ReviewItem {
                request_status: item.request.map(|r| r.status),
                payment_status: item.payment.map(|p| p.status.as_str().to_ascii_uppercase()),
                authorization_expires_at: item.authorization_expires_at,
                authorization_expiring: item.authorization_expiring,
                permit: Permit(item.permit),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PermitMutation;

fn application(applied: permits::PermitApplication) -> PermitApplication {
    PermitApplication {
        permit: Permit(applied.permit),
        pay_url: applied.pay_url,
    }
}

#[Object]
impl PermitMutation {
    /// Applies for permit `sku` on behalf of the person `nationalId` (and the vehicle
    /// `plate`), at the counter: the council's rules decide — REJECTED (stored with the
    /// reasons, no payment), WAITING_REVIEW (an authorize-only bill, captured on approval),
    /// PENDING_PAYMENT with `payUrl`, or ACTIVE when free. The price is explained line by line
    /// (emission class, registered letter for `delivery: POST` where the council adds one).
    /// When a register does not answer, `manualReason` lets the clerk continue: the
    /// application goes to a caseworker with the reason on record. The person look-up is
    /// logged with `purpose`. Staff (`CheckEligibility`).
    #[allow(clippy::too_many_arguments)]
    async fn apply_for_permit(
        &self,
        ctx: &Context<'_>,
        sku: String,
        national_id: String,
        plate: Option<String>,
        purpose: String,
        delivery: Option<Delivery>,
        starts_on: Option<NaiveDate>,
        manual_reason: Option<String>,
        #[graphql(desc = "For a business permit: the company the person applies for.")]
        company_id: Option<String>,
    ) -> ApiResult<PermitApplication> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let applied = permits::apply_for_permit(
            req,
            &scope,
            &caller_label(&req.caller),
            ApplyInput {
                sku: &sku,
                national_id: &national_id,
                plate: plate.as_deref(),
                purpose: &purpose,
                delivery: delivery.map(Into::into),
                starts_on,
                manual_reason: manual_reason.as_deref(),
                company_id: company_id.as_deref(),
            },
            &req.caller.actor(),
        )
        .await?;
        Ok(application(applied))
    }

    /// A caseworker approves an application under review: an authorized payment is captured
    /// and the permit becomes active; an unpaid bill is captured when paid. Approving again
    /// after a failed capture retries it. Staff (`CheckEligibility` and `CapturePayments`).
    async fn approve_permit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Permit> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        req.require(Permission::CapturePayments)?;
        let scope = req.scope()?;
        Ok(Permit(
            permits::approve_permit(req, &scope, parse_uuid("id", &id)?, &req.caller.actor())
                .await?,
        ))
    }

    /// A caseworker rejects an application under review with a reason: an authorized payment
    /// is voided, the bill cancelled. Staff (`CheckEligibility` and `CapturePayments`).
    async fn reject_permit(&self, ctx: &Context<'_>, id: ID, reason: String) -> ApiResult<Permit> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        req.require(Permission::CapturePayments)?;
        let scope = req.scope()?;
        Ok(Permit(
            permits::reject_permit(
                req,
                &scope,
                parse_uuid("id", &id)?,
                &reason,
                &req.caller.actor(),
            )
            .await?,
        ))
    }

    /// Staff revoke an active (or unpaid) permit with a reason; nothing is refunded.
    /// Staff (`CheckEligibility`).
    async fn revoke_permit(&self, ctx: &Context<'_>, id: ID, reason: String) -> ApiResult<Permit> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        Ok(Permit(
            permits::revoke_permit(&scope, parse_uuid("id", &id)?, &reason, &req.caller.actor())
                .await?,
        ))
    }

    /// Corrects an active permit: extend, replace the vehicle, a temporary vehicle, change of
    /// address (another zone's product; the difference for the rest of the period is charged
    /// or refunded), or cancel (the unused part refunded). Each is priced and explained; one
    /// with something to pay gives `payUrl` and is applied when paid. `nationalId` (the
    /// holder's) is needed where the registers are asked again (vehicle, address).
    /// Staff (`CheckEligibility`).
    async fn correct_permit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        correction: CorrectionRequest,
        national_id: Option<String>,
    ) -> ApiResult<CorrectionResult> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let outcome = permits::correct_permit(
            req,
            &scope,
            &caller_label(&req.caller),
            parse_uuid("id", &id)?,
            national_id.as_deref(),
            correction.parse()?,
            &req.caller.actor(),
        )
        .await?;
        Ok(CorrectionResult::from(outcome))
    }

    /// Renews a permit for another year from the day after it ends: the rules run again, the
    /// price in force on the new first day plus the renewal fee. Staff (`CheckEligibility`).
    async fn renew_permit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        national_id: String,
        delivery: Option<Delivery>,
    ) -> ApiResult<PermitApplication> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let applied = permits::renew_permit(
            req,
            &scope,
            &caller_label(&req.caller),
            parse_uuid("id", &id)?,
            &national_id,
            delivery.map(Into::into),
            &req.caller.actor(),
        )
        .await?;
        Ok(application(applied))
    }
}
