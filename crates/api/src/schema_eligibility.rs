//! Eligibility checks in GraphQL: staff check a person (and a vehicle) against a product's
//! rules; council admins read the log of person look-ups.

use crate::context::Caller;
use crate::eligibility;
use crate::error::{ApiError, ApiResult};
use crate::types::request;
use async_graphql::{Context, Enum, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use civicpay_domain::Permission;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_rules::Decision")]
pub enum EligibilityDecision {
    Approved,
    NeedsReview,
    Rejected,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_rules::Outcome")]
pub enum RuleOutcome {
    Reject,
    Review,
}

/// One rule of the product and how it went.
#[derive(SimpleObject)]
pub struct RuleResult {
    pub rule_id: String,
    pub passed: bool,
    /// What happens when the rule fails: rejection, or review by a caseworker.
    pub outcome: RuleOutcome,
    /// The council's reason, in the request's language.
    pub message: String,
    /// Set when the rule could not be evaluated (counts as failed).
    pub error: Option<String>,
}

/// Where a fact came from and when it was fetched.
#[derive(SimpleObject)]
pub struct FactSource {
    /// `person`, `address` or `vehicle`.
    pub register: String,
    pub source: String,
    pub fetched_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct EligibilityResult {
    pub decision: EligibilityDecision,
    /// Every rule of the product, passed or not.
    pub rules: Vec<RuleResult>,
    /// The facts the rules saw (national ids masked only).
    pub facts: Json<serde_json::Value>,
    pub sources: Vec<FactSource>,
}

impl EligibilityResult {
    pub(crate) fn from_check(check: eligibility::EligibilityCheck) -> ApiResult<Self> {
        let facts = serde_json::to_value(&check.facts).map_err(ApiError::internal)?;
        Ok(EligibilityResult {
            decision: check.evaluation.decision.into(),
            rules: check
                .evaluation
                .results
                .into_iter()
                .map(|r| RuleResult {
                    rule_id: r.rule_id,
                    passed: r.passed,
                    outcome: r.outcome.into(),
                    message: r.message,
                    error: r.error,
                })
                .collect(),
            facts: Json(facts),
            sources: check
                .sources
                .into_iter()
                .map(|s| FactSource {
                    register: s.register.to_owned(),
                    source: s.source,
                    fetched_at: s.fetched_at,
                })
                .collect(),
        })
    }
}

/// One recorded person look-up.
#[derive(SimpleObject)]
pub struct PersonLookupEntry {
    /// The staff member (e-mail) or system that looked up.
    pub who: String,
    /// A keyed pseudonym of the national id (the same person gives the same value).
    pub subject: String,
    pub purpose: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn caller_label(caller: &Caller) -> String {
    match caller {
        Caller::Anonymous => "anonymous".to_owned(),
        Caller::Staff { session, .. } => session.email.clone(),
        Caller::ApiKey(key) => format!("api-key:{}", key.name),
        Caller::Citizen { session, .. } => format!("citizen:{}", session.masked_id),
    }
}

#[derive(Default)]
pub struct EligibilityQuery;

#[Object]
impl EligibilityQuery {
    /// Checks a person (and optionally a vehicle) against the rules of product `sku`; with
    /// `companyId`, the company the person applies for (the business register is asked too).
    /// The person look-up is recorded with `purpose`. Staff only (`CheckEligibility`).
    async fn check_eligibility(
        &self,
        ctx: &Context<'_>,
        sku: String,
        national_id: String,
        plate: Option<String>,
        purpose: String,
        company_id: Option<String>,
    ) -> ApiResult<EligibilityResult> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let check = eligibility::check_eligibility(
            req,
            &scope,
            &caller_label(&req.caller),
            &sku,
            &national_id,
            plate.as_deref(),
            &purpose,
            company_id.as_deref(),
        )
        .await?;
        EligibilityResult::from_check(check)
    }

    /// The council's newest person look-ups, newest first (council admins: `ReadAuditLog`).
    async fn person_lookups(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] limit: u32,
    ) -> ApiResult<Vec<PersonLookupEntry>> {
        let req = request(ctx)?;
        req.require(Permission::ReadAuditLog)?;
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 500"));
        }
        Ok(req
            .scope()?
            .person_lookups(u64::from(limit))
            .await?
            .into_iter()
            .map(|r| PersonLookupEntry {
                who: r.who,
                subject: r.subject,
                purpose: r.purpose,
                created_at: r.created_at,
            })
            .collect())
    }
}
