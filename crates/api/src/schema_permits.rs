//! Permits in GraphQL: staff apply for a permit on a person's behalf (at the counter) and
//! search permits by plate, person or status.

use crate::error::{ApiError, ApiResult};
use crate::permits;
use crate::schema_eligibility::caller_label;
use crate::types::request;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::Permission;
use civicpay_store::PermitRecord;

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

/// One rule of the decision and how it went.
#[derive(SimpleObject)]
pub struct PermitRule {
    pub rule_id: String,
    pub passed: bool,
    /// The council's reason, in the language of the application.
    pub message: String,
}

pub struct Permit(PermitRecord);

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
    async fn zone_code(&self) -> Option<&str> {
        self.0.zone_code.as_deref()
    }
    async fn valid_from(&self) -> Option<NaiveDate> {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.valid_to
    }
    /// The holder's national id, masked.
    async fn holder(&self) -> &str {
        &self.0.holder_display
    }
    /// The payment request the permit waits for (or was paid with).
    async fn payment_request_id(&self) -> Option<ID> {
        self.0.payment_request_id.map(|id| ID(id.to_string()))
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
}

#[derive(SimpleObject)]
pub struct PermitApplication {
    pub permit: Permit,
    /// The link the payer follows; set only when the permit waits for its payment.
    pub pay_url: Option<String>,
}

#[derive(Default)]
pub struct PermitQuery;

#[Object]
impl PermitQuery {
    /// Permits of the council by plate, person (national id; the search is logged as a person
    /// look-up with purpose "permit search") and/or status, newest first. Staff
    /// (`CheckEligibility`).
    async fn permits(
        &self,
        ctx: &Context<'_>,
        plate: Option<String>,
        national_id: Option<String>,
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
            plate.as_deref(),
            national_id.as_deref(),
            status.map(Into::into),
            u64::from(limit),
        )
        .await?
        .into_iter()
        .map(Permit)
        .collect())
    }
}

#[derive(Default)]
pub struct PermitMutation;

#[Object]
impl PermitMutation {
    /// Applies for permit `sku` on behalf of the person `nationalId` (and the vehicle
    /// `plate`), at the counter: the council's rules decide — REJECTED (stored with the
    /// reasons, no payment), WAITING_REVIEW (no payment yet) or PENDING_PAYMENT with `payUrl`.
    /// The person look-up is logged with `purpose`. Staff (`CheckEligibility`).
    async fn apply_for_permit(
        &self,
        ctx: &Context<'_>,
        sku: String,
        national_id: String,
        plate: Option<String>,
        purpose: String,
    ) -> ApiResult<PermitApplication> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let applied = permits::apply_for_permit(
            req,
            &scope,
            &caller_label(&req.caller),
            &sku,
            &national_id,
            plate.as_deref(),
            &purpose,
            &req.caller.actor(),
        )
        .await?;
        Ok(PermitApplication {
            permit: Permit(applied.permit),
            pay_url: applied.pay_url,
        })
    }
}
