//! The registry re-match in GraphQL: start a run (or a dry run), watch its progress, read its
//! findings; the letters it wrote are on each permit (`Permit.letters`) and downloadable as
//! PDF from `/t/{slug}/letters/{id}.pdf`.

use crate::error::{ApiError, ApiResult};
use crate::rematch;
use crate::schema_payments::parse_uuid;
use crate::types::request;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use civicpay_domain::Permission;
use civicpay_store::{LetterRecord, RematchFindingRecord, RematchRunRecord};

/// A re-match run and how far it has got.
#[derive(SimpleObject)]
pub struct RematchRun {
    pub id: ID,
    /// Only reports what it would do.
    pub dry_run: bool,
    /// running, completed, failed
    pub status: String,
    /// Active permits when it started.
    pub total: i64,
    pub processed: i64,
    pub unchanged: i64,
    pub updated: i64,
    /// Deactivated (or, in a dry run, would be).
    pub deactivated: i64,
    /// A register did not answer for these; they are left as they are.
    pub unavailable: i64,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl From<RematchRunRecord> for RematchRun {
    fn from(r: RematchRunRecord) -> Self {
        Self {
            id: ID(r.id.to_string()),
            dry_run: r.dry_run,
            status: r.status,
            total: r.total,
            processed: r.processed,
            unchanged: r.unchanged,
            updated: r.updated,
            deactivated: r.deactivated,
            unavailable: r.unavailable,
            started_by: r.started_by,
            started_at: r.started_at,
            heartbeat_at: r.heartbeat_at,
            finished_at: r.finished_at,
            error: r.error,
        }
    }
}

/// What a run found for one permit (unchanged permits are not listed).
#[derive(SimpleObject)]
pub struct RematchFinding {
    pub permit_id: ID,
    /// update, deactivate, unavailable
    pub action: String,
    /// The new name/address, the failing rules and reason, or why it could not be checked.
    pub detail: async_graphql::Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<RematchFindingRecord> for RematchFinding {
    fn from(f: RematchFindingRecord) -> Self {
        Self {
            permit_id: ID(f.permit_id.to_string()),
            action: f.action,
            detail: async_graphql::Json(f.detail),
            created_at: f.created_at,
        }
    }
}

/// A letter written to a permit's holder.
#[derive(SimpleObject)]
pub struct PermitLetter {
    pub id: ID,
    /// deactivation
    pub kind: String,
    pub locale: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub subject: String,
    pub body: String,
    /// Where the PDF is: `/t/{slug}/letters/{id}.pdf` (staff session).
    pub pdf_path: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn letter(slug: &str, l: LetterRecord) -> PermitLetter {
    PermitLetter {
        pdf_path: format!("/t/{slug}/letters/{}.pdf", l.id),
        id: ID(l.id.to_string()),
        kind: l.kind,
        locale: l.locale,
        recipient_name: l.recipient_name,
        recipient_address: l.recipient_address,
        subject: l.subject,
        body: l.body,
        created_at: l.created_at,
    }
}

#[derive(Default)]
pub struct RematchQuery;

#[Object]
impl RematchQuery {
    /// One re-match run with its progress. Staff (`CheckEligibility`).
    async fn rematch_run(&self, ctx: &Context<'_>, id: ID) -> ApiResult<RematchRun> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        Ok(req
            .scope()?
            .rematch_run(parse_uuid("id", &id)?)
            .await?
            .into())
    }

    /// The council's re-match runs, newest first. Staff (`CheckEligibility`).
    async fn rematch_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] limit: u32,
    ) -> ApiResult<Vec<RematchRun>> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        if !(1..=200).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 200"));
        }
        Ok(req
            .scope()?
            .rematch_runs(u64::from(limit))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// What a run found (everything but unchanged permits), in order. Staff
    /// (`CheckEligibility`).
    async fn rematch_findings(
        &self,
        ctx: &Context<'_>,
        run_id: ID,
        #[graphql(default = 500)] limit: u32,
    ) -> ApiResult<Vec<RematchFinding>> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        if !(1..=5000).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 5000"));
        }
        Ok(req
            .scope()?
            .rematch_findings(parse_uuid("runId", &run_id)?, u64::from(limit))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct RematchMutation;

#[Object]
impl RematchMutation {
    /// Starts re-matching every active permit against the registers (`dryRun`: only report
    /// what it would do). It runs in the background; follow it with `rematchRun(id)`. One run
    /// at a time per council (CONFLICT otherwise). Staff (`CheckEligibility`).
    async fn start_rematch(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] dry_run: bool,
    ) -> ApiResult<RematchRun> {
        let req = request(ctx)?;
        req.require(Permission::CheckEligibility)?;
        let scope = req.scope()?;
        let run = rematch::start_rematch(&req.state, &scope, dry_run, &req.caller.actor()).await?;
        let state = req.state.clone();
        let id = run.id;
        tokio::spawn(async move {
            if let Err(e) = rematch::run_rematch(&state, &scope, id, |_| {}).await {
                tracing::error!(run = %id, error = %e.message, "re-match run failed");
            }
        });
        Ok(run.into())
    }
}
