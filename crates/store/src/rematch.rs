//! The registry re-match (S0-8): every active permit checked again against fresh register
//! facts, in batches in permit-id order. A batch's outcomes — findings, name and address
//! updates, deactivations with their letters, the run's counters and its cursor — commit in
//! one transaction, guarded by the cursor the batch started from: a run that crashed resumes
//! after its last committed batch and never acts on a permit twice (one finding per run and
//! permit is also a unique index). A dry run records the findings and changes nothing.

use crate::entity::{letter, permit, rematch_finding, rematch_run};
use crate::error::StoreError;
use crate::permits::PermitRecord;
use crate::scope::TenantScope;
use chrono::{DateTime, Utc};
use civicpay_domain::PermitStatus;
use civicpay_domain::audit::Actor;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

/// `rematch_runs.status` values.
pub const RUN_RUNNING: &str = "running";
pub const RUN_COMPLETED: &str = "completed";
pub const RUN_FAILED: &str = "failed";

#[derive(Debug, Clone, Serialize)]
pub struct RematchRunRecord {
    pub id: Uuid,
    pub dry_run: bool,
    pub status: String,
    /// Active permits when the run started.
    pub total: i64,
    pub processed: i64,
    pub unchanged: i64,
    pub updated: i64,
    pub deactivated: i64,
    /// Permits whose register did not answer (left as they are; the next run tries again).
    pub unavailable: i64,
    pub cursor: Option<Uuid>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl From<rematch_run::Model> for RematchRunRecord {
    fn from(m: rematch_run::Model) -> Self {
        Self {
            id: m.id,
            dry_run: m.dry_run,
            status: m.status,
            total: m.total,
            processed: m.processed,
            unchanged: m.unchanged,
            updated: m.updated,
            deactivated: m.deactivated,
            unavailable: m.unavailable,
            cursor: m.cursor,
            started_by: m.started_by,
            started_at: m.started_at,
            heartbeat_at: m.heartbeat_at,
            finished_at: m.finished_at,
            error: m.error,
        }
    }
}

/// What the re-match decided for one permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RematchAction {
    /// Still entitled; nothing to do.
    Unchanged,
    /// Still entitled; the register has another name or address.
    Update {
        name: Option<String>,
        address: Option<String>,
    },
    /// No longer entitled: the failing rules and their reasons.
    Deactivate {
        rule_ids: Vec<String>,
        reason: String,
    },
    /// A register did not answer (or the holder's id is not on record): left as it is.
    Unavailable { detail: String },
}

impl RematchAction {
    fn name(&self) -> &'static str {
        match self {
            RematchAction::Unchanged => "unchanged",
            RematchAction::Update { .. } => "update",
            RematchAction::Deactivate { .. } => "deactivate",
            RematchAction::Unavailable { .. } => "unavailable",
        }
    }
}

/// A letter to a holder, rendered by the caller (PDF).
#[derive(Debug, Clone)]
pub struct NewLetter {
    pub kind: String,
    pub locale: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub subject: String,
    pub body: String,
    pub pdf: Vec<u8>,
    pub email: Option<String>,
}

pub struct RematchOutcome {
    pub permit_id: Uuid,
    pub action: RematchAction,
    /// Written (not in a dry run) with a deactivation.
    pub letter: Option<NewLetter>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RematchFindingRecord {
    pub permit_id: Uuid,
    pub action: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LetterRecord {
    pub id: Uuid,
    pub permit_id: Uuid,
    pub run_id: Option<Uuid>,
    pub kind: String,
    pub locale: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub subject: String,
    pub body: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Only when asked for ([`TenantScope::letter_pdf`]).
    #[serde(skip)]
    pub pdf: Option<Vec<u8>>,
}

fn letter_record(m: letter::Model, with_pdf: bool) -> LetterRecord {
    LetterRecord {
        id: m.id,
        permit_id: m.permit_id,
        run_id: m.run_id,
        kind: m.kind,
        locale: m.locale,
        recipient_name: m.recipient_name,
        recipient_address: m.recipient_address,
        subject: m.subject,
        body: m.body,
        email: m.email,
        created_at: m.created_at,
        pdf: with_pdf.then_some(m.pdf),
    }
}

impl TenantScope {
    /// Starts a re-match of every active permit (`dry_run`: report only). One run at a time
    /// per council: CONFLICT while one is running (an interrupted one is resumed, not
    /// started again).
    pub async fn start_rematch(
        &self,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<RematchRunRecord, StoreError> {
        let txn = self.begin().await?;
        if let Some(running) = rematch_run::Entity::find()
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .filter(rematch_run::Column::Status.eq(RUN_RUNNING))
            .one(&txn)
            .await?
        {
            return Err(StoreError::Conflict(format!(
                "re-match run {} is running (or was interrupted and will be resumed); wait for it",
                running.id
            )));
        }
        let total = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::Status.eq(PermitStatus::Active.as_str()))
            .count(&txn)
            .await?;
        let now = Utc::now();
        let row = rematch_run::Model {
            id: Uuid::now_v7(),
            tenant_id: self.tenant_id(),
            dry_run,
            status: RUN_RUNNING.to_owned(),
            total: i64::try_from(total).unwrap_or(i64::MAX),
            processed: 0,
            unchanged: 0,
            updated: 0,
            deactivated: 0,
            unavailable: 0,
            cursor: None,
            started_by: actor.label(),
            started_at: now,
            heartbeat_at: now,
            finished_at: None,
            error: None,
        };
        rematch_run::Entity::insert(rematch_run::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        crate::platform::write_audit(
            &txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "rematch.start",
                entity_type: "rematch_run",
                entity_id: row.id.to_string(),
                before: None,
                after: Some(serde_json::json!({ "dryRun": dry_run, "total": row.total })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    pub async fn rematch_run(&self, id: Uuid) -> Result<RematchRunRecord, StoreError> {
        let txn = self.begin_read().await?;
        let row = rematch_run::Entity::find_by_id(id)
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("re-match run {id}")))?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// The council's runs, newest first.
    pub async fn rematch_runs(&self, limit: u64) -> Result<Vec<RematchRunRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = rematch_run::Entity::find()
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .order_by_desc(rematch_run::Column::StartedAt)
            .limit(limit.max(1))
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The next `limit` active permits after the run's cursor, in id order, each with its
    /// holder's sealed id.
    pub async fn rematch_batch(
        &self,
        run: &RematchRunRecord,
        limit: u64,
    ) -> Result<Vec<(PermitRecord, Option<String>)>, StoreError> {
        let txn = self.begin_read().await?;
        let mut query = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::Status.eq(PermitStatus::Active.as_str()));
        if let Some(cursor) = run.cursor {
            query = query.filter(permit::Column::Id.gt(cursor));
        }
        let rows = query
            .order_by_asc(permit::Column::Id)
            .limit(limit.max(1))
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter()
            .map(|row| {
                let sealed = row.holder_id_sealed.clone();
                Ok((row.try_into()?, sealed))
            })
            .collect()
    }

    /// Commits one batch of a run: its findings, and — unless a dry run — the updates,
    /// deactivations (with reason and letter) and `checked_at`; then the counters and the
    /// cursor (`next_cursor`, the batch's last permit). Guarded by `from_cursor`: when the
    /// run's cursor is no longer where this batch started (another worker resumed it), the
    /// batch is refused with CONFLICT and nothing of it is written.
    pub async fn commit_rematch_batch(
        &self,
        run_id: Uuid,
        from_cursor: Option<Uuid>,
        next_cursor: Uuid,
        outcomes: Vec<RematchOutcome>,
    ) -> Result<RematchRunRecord, StoreError> {
        let txn = self.begin().await?;
        let run = rematch_run::Entity::find_by_id(run_id)
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("re-match run {run_id}")))?;
        if run.status != RUN_RUNNING || run.cursor != from_cursor {
            return Err(StoreError::Conflict(format!(
                "re-match run {run_id} moved on (status {}, cursor {:?}); this batch is not applied",
                run.status, run.cursor
            )));
        }
        let now = Utc::now();
        let actor = Actor::System;
        let (mut unchanged, mut updated, mut deactivated, mut unavailable) = (0i64, 0, 0, 0);
        let mut checked = Vec::new();
        let processed = i64::try_from(outcomes.len()).unwrap_or(i64::MAX);
        for outcome in outcomes {
            match &outcome.action {
                RematchAction::Unchanged => {
                    unchanged += 1;
                    checked.push(outcome.permit_id);
                    continue;
                }
                RematchAction::Update { .. } => updated += 1,
                RematchAction::Deactivate { .. } => deactivated += 1,
                RematchAction::Unavailable { .. } => unavailable += 1,
            }
            rematch_finding::Entity::insert(rematch_finding::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.tenant_id()),
                run_id: Set(run_id),
                permit_id: Set(outcome.permit_id),
                action: Set(outcome.action.name().to_owned()),
                detail: Set(serde_json::to_value(&outcome.action).map_err(StoreError::corrupt)?),
                created_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                StoreError::conflict_on_unique(
                    e,
                    format!(
                        "permit {} was already handled by this run",
                        outcome.permit_id
                    ),
                )
            })?;
            if run.dry_run {
                continue;
            }
            match outcome.action {
                RematchAction::Update { name, address } => {
                    let mut patch = permit::ActiveModel {
                        checked_at: Set(Some(now)),
                        ..Default::default()
                    };
                    if name.is_some() {
                        patch.holder_name = Set(name.clone());
                    }
                    if address.is_some() {
                        patch.holder_address = Set(address.clone());
                    }
                    self.transition_permit(&txn, outcome.permit_id, &[PermitStatus::Active], patch)
                        .await?;
                    self.permit_audit(
                        &txn,
                        &actor,
                        "permit.rematch.update",
                        outcome.permit_id,
                        None,
                        serde_json::json!({ "runId": run_id, "name": name, "address": address }),
                    )
                    .await?;
                }
                RematchAction::Deactivate { rule_ids, reason } => {
                    self.transition_permit(
                        &txn,
                        outcome.permit_id,
                        &[PermitStatus::Active],
                        permit::ActiveModel {
                            status: Set(PermitStatus::Cancelled.as_str().to_owned()),
                            decision_reason: Set(Some(format!(
                                "deactivated by the registry re-match: {reason}"
                            ))),
                            checked_at: Set(Some(now)),
                            ..Default::default()
                        },
                    )
                    .await?;
                    self.cancel_pending_corrections_in(&txn, outcome.permit_id, &actor, false)
                        .await?;
                    self.permit_audit(
                        &txn,
                        &actor,
                        "permit.rematch.deactivate",
                        outcome.permit_id,
                        Some(serde_json::json!({ "status": "active" })),
                        serde_json::json!({
                            "status": "cancelled",
                            "runId": run_id,
                            "rules": rule_ids,
                            "reason": reason,
                        }),
                    )
                    .await?;
                    if let Some(l) = outcome.letter {
                        let letter_id = Uuid::now_v7();
                        // Where an address is known, the letter goes by e-mail too (PDF attached).
                        if let Some(to) = &l.email {
                            crate::payments::queue_email(
                                &txn,
                                self.tenant_id(),
                                &crate::payments::NewEmail {
                                    to: to.clone(),
                                    subject: l.subject.clone(),
                                    body: l.body.clone(),
                                    letter_id: Some(letter_id),
                                },
                            )
                            .await?;
                        }
                        letter::Entity::insert(letter::ActiveModel {
                            id: Set(letter_id),
                            tenant_id: Set(self.tenant_id()),
                            permit_id: Set(outcome.permit_id),
                            run_id: Set(Some(run_id)),
                            kind: Set(l.kind),
                            locale: Set(l.locale),
                            recipient_name: Set(l.recipient_name),
                            recipient_address: Set(l.recipient_address),
                            subject: Set(l.subject),
                            body: Set(l.body),
                            pdf: Set(l.pdf),
                            email: Set(l.email),
                            created_at: Set(now),
                        })
                        .exec_without_returning(&txn)
                        .await?;
                    }
                }
                RematchAction::Unchanged | RematchAction::Unavailable { .. } => {}
            }
        }
        if !run.dry_run && !checked.is_empty() {
            permit::Entity::update_many()
                .set(permit::ActiveModel {
                    checked_at: Set(Some(now)),
                    ..Default::default()
                })
                .filter(permit::Column::TenantId.eq(self.tenant_id()))
                .filter(permit::Column::Id.is_in(checked))
                .exec(&txn)
                .await?;
        }
        rematch_run::Entity::update_many()
            .set(rematch_run::ActiveModel {
                processed: Set(run.processed.saturating_add(processed)),
                unchanged: Set(run.unchanged.saturating_add(unchanged)),
                updated: Set(run.updated.saturating_add(updated)),
                deactivated: Set(run.deactivated.saturating_add(deactivated)),
                unavailable: Set(run.unavailable.saturating_add(unavailable)),
                cursor: Set(Some(next_cursor)),
                heartbeat_at: Set(now),
                ..Default::default()
            })
            .filter(rematch_run::Column::Id.eq(run_id))
            .exec(&txn)
            .await?;
        let updated_run = rematch_run::Entity::find_by_id(run_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("re-match run {run_id}")))?;
        txn.commit().await?;
        Ok(updated_run.into())
    }

    /// Ends a run: completed, or failed with the error.
    pub async fn finish_rematch(
        &self,
        run_id: Uuid,
        error: Option<&str>,
    ) -> Result<RematchRunRecord, StoreError> {
        let txn = self.begin().await?;
        rematch_run::Entity::update_many()
            .set(rematch_run::ActiveModel {
                status: Set(if error.is_some() {
                    RUN_FAILED
                } else {
                    RUN_COMPLETED
                }
                .to_owned()),
                finished_at: Set(Some(Utc::now())),
                error: Set(error.map(|e| e.chars().take(2000).collect())),
                ..Default::default()
            })
            .filter(rematch_run::Column::Id.eq(run_id))
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .filter(rematch_run::Column::Status.eq(RUN_RUNNING))
            .exec(&txn)
            .await?;
        let row = rematch_run::Entity::find_by_id(run_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("re-match run {run_id}")))?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// Marks that a worker holds the run now (a resumed run's heartbeat).
    pub async fn touch_rematch(&self, run_id: Uuid) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        rematch_run::Entity::update_many()
            .set(rematch_run::ActiveModel {
                heartbeat_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(rematch_run::Column::Id.eq(run_id))
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Running runs whose heartbeat is older than `before`: their worker died; resume them.
    pub async fn interrupted_rematch_runs(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<RematchRunRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = rematch_run::Entity::find()
            .filter(rematch_run::Column::TenantId.eq(self.tenant_id()))
            .filter(rematch_run::Column::Status.eq(RUN_RUNNING))
            .filter(rematch_run::Column::HeartbeatAt.lt(before))
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A run's findings (everything but "unchanged"), in the order they were made.
    pub async fn rematch_findings(
        &self,
        run_id: Uuid,
        limit: u64,
    ) -> Result<Vec<RematchFindingRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = rematch_finding::Entity::find()
            .filter(rematch_finding::Column::TenantId.eq(self.tenant_id()))
            .filter(rematch_finding::Column::RunId.eq(run_id))
            .order_by_asc(rematch_finding::Column::Id)
            .limit(limit.max(1))
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|m| RematchFindingRecord {
                permit_id: m.permit_id,
                action: m.action,
                detail: m.detail,
                created_at: m.created_at,
            })
            .collect())
    }

    /// The letters written to a permit's holder, newest first (without their PDFs).
    pub async fn letters(&self, permit_id: Uuid) -> Result<Vec<LetterRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = letter::Entity::find()
            .filter(letter::Column::TenantId.eq(self.tenant_id()))
            .filter(letter::Column::PermitId.eq(permit_id))
            .order_by_desc(letter::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(|m| letter_record(m, false)).collect())
    }

    /// One letter with its PDF (NOT_FOUND for another council's).
    pub async fn letter_pdf(&self, id: Uuid) -> Result<LetterRecord, StoreError> {
        let txn = self.begin_read().await?;
        let row = letter::Entity::find_by_id(id)
            .filter(letter::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("letter {id}")))?;
        txn.commit().await?;
        Ok(letter_record(row, true))
    }
}
