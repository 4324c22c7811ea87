//! The citizen's side of permits in GraphQL: log in (the embedded default's development
//! log-in, through `citizen_login`; the national eID over OpenID Connect is the shop's pages'
//! two routes, also `citizen_login`), see one's own permits,
//! check eligibility, apply, correct and renew — through the same services as the counter,
//! with the person's own national id from the session. A citizen only ever sees permits held
//! under their own pseudonym; anyone else's is NOT_FOUND.

use crate::context::{Caller, RequestContext};
use crate::eligibility;
use crate::error::{ApiError, ApiResult};
use crate::permits::{self, ApplyInput};
use crate::schema::session_cookie;
use crate::schema_eligibility::EligibilityResult;
use crate::schema_payments::parse_uuid;
use crate::schema_permits::{
    CorrectionRequest, CorrectionResult, Delivery, Permit, PermitApplication,
};
use crate::types::request;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::NaiveDate;
use civicpay_auth::CitizenSession;
use civicpay_registries::NationalId;
use civicpay_store::{PermitFilter, PermitRecord, TenantScope};

/// The logged-in citizen.
#[derive(SimpleObject)]
pub struct Citizen {
    pub name: String,
    /// The national id, masked.
    pub masked_id: String,
    /// `development` or `oidc`.
    pub login_method: String,
    /// The company the person logged in for (its permits and bills are the session's), or
    /// null when they act for themselves.
    pub company_name: Option<String>,
    /// That company's registration number (public).
    pub company_id: Option<String>,
}

fn citizen_of(session: &CitizenSession) -> Citizen {
    Citizen {
        name: session.name.clone(),
        masked_id: session.masked_id.clone(),
        login_method: session.method.clone(),
        company_name: session.company.as_ref().map(|c| c.name.clone()),
        company_id: session.company.as_ref().map(|c| c.company_id.clone()),
    }
}

/// The company number the session acts for, if any: what applications and eligibility checks
/// are made for.
pub fn acting_company_id(session: &CitizenSession) -> Option<&str> {
    session.company.as_ref().map(|c| c.company_id.as_str())
}

/// The citizen of the request and their national id, or UNAUTHENTICATED.
pub fn citizen(req: &RequestContext) -> ApiResult<(&CitizenSession, NationalId)> {
    let Caller::Citizen { session, .. } = &req.caller else {
        return Err(ApiError::unauthenticated(
            "log in to the council's shop to see and apply for your permits",
        ));
    };
    let slug = req.tenant()?.slug.to_string();
    let council = req
        .state
        .eligibility
        .council(&slug)
        .ok_or_else(|| ApiError::conflict("permits are not configured for this council"))?;
    let id = req
        .state
        .eligibility
        .unseal(council.country, &session.national_id_sealed)
        .map_err(|_| ApiError::unauthenticated("your session has expired; log in again"))?;
    Ok((session, id))
}

/// The permit `id` if the citizen holds it; NOT_FOUND otherwise (whoever holds it).
pub async fn own_permit(
    scope: &TenantScope,
    session: &CitizenSession,
    id: &ID,
) -> ApiResult<PermitRecord> {
    let permit_id = parse_uuid("id", id)?;
    match scope.permit(permit_id).await {
        Ok(permit) if permit.holder_key == session.holder_key => Ok(permit),
        Ok(_) => Err(ApiError::not_found(format!("permit {permit_id} not found"))),
        Err(e) => Err(e.into()),
    }
}

pub fn who(session: &CitizenSession) -> String {
    format!("citizen:{}", session.masked_id)
}

#[derive(Default)]
pub struct CitizenQuery;

#[Object]
impl CitizenQuery {
    /// The logged-in citizen, or null.
    async fn my_profile(&self, ctx: &Context<'_>) -> ApiResult<Option<Citizen>> {
        let req = request(ctx)?;
        Ok(match &req.caller {
            Caller::Citizen { session, .. } => Some(citizen_of(session)),
            _ => None,
        })
    }

    /// The citizen's own permits, newest first (applications, active, past).
    async fn my_permits(&self, ctx: &Context<'_>) -> ApiResult<Vec<Permit>> {
        let req = request(ctx)?;
        let (session, _) = citizen(req)?;
        Ok(req
            .scope()?
            .permits(PermitFilter {
                holder_key: Some(session.holder_key.clone()),
                limit: 200,
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(Permit)
            .collect())
    }

    /// One of the citizen's own permits.
    async fn my_permit(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Permit> {
        let req = request(ctx)?;
        let (session, _) = citizen(req)?;
        Ok(Permit(own_permit(&req.scope()?, session, &id).await?))
    }

    /// Whether the citizen (and the vehicle `plate`) may have product `sku`: every rule with
    /// pass/fail and the reason, in the citizen's language.
    async fn check_my_eligibility(
        &self,
        ctx: &Context<'_>,
        sku: String,
        plate: Option<String>,
    ) -> ApiResult<EligibilityResult> {
        let req = request(ctx)?;
        let (session, id) = citizen(req)?;
        let scope = req.scope()?;
        let check = eligibility::check_eligibility(
            req,
            &scope,
            &who(session),
            &sku,
            id.expose_digits(),
            plate.as_deref(),
            "citizen's own eligibility check",
            acting_company_id(session),
        )
        .await?;
        EligibilityResult::from_check(check)
    }
}

#[derive(Default)]
pub struct CitizenMutation;

#[Object]
impl CitizenMutation {
    /// The embedded default's development log-in: become one of the council's synthetic demo
    /// people (by national id, as the register knows them), acting for the demo company
    /// `companyId` when given. Refused unless the platform runs with `development_login`
    /// (never in production). The look-up is logged.
    async fn development_login(
        &self,
        ctx: &Context<'_>,
        national_id: String,
        company_id: Option<String>,
    ) -> ApiResult<Citizen> {
        let req = request(ctx)?;
        // Refused before anything else, as it always was.
        crate::citizen_login::require_development_login(&req.state)?;
        let scope = req.scope()?;
        let (session, token) = crate::citizen_login::development_login(
            req,
            &scope,
            &national_id,
            company_id.as_deref(),
        )
        .await?;
        let me = citizen_of(&session);
        ctx.append_http_header(
            "set-cookie",
            session_cookie(&token, req.state.secure_cookies, false),
        );
        Ok(me)
    }

    /// Applies for permit `sku` for the logged-in citizen (and the vehicle `plate`): the
    /// council's rules decide at once, as at the counter.
    async fn apply_for_my_permit(
        &self,
        ctx: &Context<'_>,
        sku: String,
        plate: Option<String>,
        delivery: Option<Delivery>,
        starts_on: Option<NaiveDate>,
    ) -> ApiResult<PermitApplication> {
        let req = request(ctx)?;
        let (session, id) = citizen(req)?;
        let scope = req.scope()?;
        let applied = permits::apply_for_permit(
            req,
            &scope,
            &who(session),
            ApplyInput {
                sku: &sku,
                national_id: id.expose_digits(),
                plate: plate.as_deref(),
                purpose: "citizen's own application",
                delivery: delivery.map(Into::into),
                starts_on,
                manual_reason: None,
                company_id: acting_company_id(session),
            },
            &req.caller.actor(),
        )
        .await?;
        Ok(PermitApplication {
            permit: Permit(applied.permit),
            pay_url: applied.pay_url,
        })
    }

    /// Corrects one of the citizen's own active permits (extend, replace or lend a vehicle,
    /// change of address, cancel), priced and explained as at the counter.
    async fn correct_my_permit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        correction: CorrectionRequest,
    ) -> ApiResult<CorrectionResult> {
        let req = request(ctx)?;
        let (session, national_id) = citizen(req)?;
        let scope = req.scope()?;
        let permit = own_permit(&scope, session, &id).await?;
        let outcome = permits::correct_permit(
            req,
            &scope,
            &who(session),
            permit.id,
            Some(national_id.expose_digits()),
            correction.parse()?,
            &req.caller.actor(),
        )
        .await?;
        Ok(CorrectionResult::from(outcome))
    }

    /// Renews one of the citizen's own permits for another year.
    async fn renew_my_permit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        delivery: Option<Delivery>,
    ) -> ApiResult<PermitApplication> {
        let req = request(ctx)?;
        let (session, national_id) = citizen(req)?;
        let scope = req.scope()?;
        let permit = own_permit(&scope, session, &id).await?;
        let applied = permits::renew_permit(
            req,
            &scope,
            &who(session),
            permit.id,
            national_id.expose_digits(),
            delivery.map(Into::into),
            &req.caller.actor(),
        )
        .await?;
        Ok(PermitApplication {
            permit: Permit(applied.permit),
            pay_url: applied.pay_url,
        })
    }
}
