//! What leaves the process, and what comes in from PSPs: idempotency keys, the outbox and its
//! delivery log, webhook signing secrets, and incoming PSP events.

use crate::entity::{
    idempotency_key, outbox, payment, psp_event, webhook_delivery, webhook_secret,
};
use crate::error::StoreError;
use crate::payments::{PaymentRecord, payment_record};
use crate::platform::Store;
use crate::scope::TenantScope;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use uuid::Uuid;

/// Idempotency keys are kept this long; a retry after that is a new request.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::hours(48);

/// What storing an incoming PSP event found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PspEventClaim {
    /// First delivery: process it.
    New,
    /// Delivered before, but its processing failed: process it again.
    Retry,
    /// Delivered and processed before: ignore.
    Done,
}

/// What an idempotency key says about a request.
#[derive(Debug, Clone)]
pub enum IdempotencyClaim {
    /// First time: go ahead, then `finish` (or `release` on failure).
    Proceed,
    /// Done before with the same input: answer with this, exactly.
    Replay(serde_json::Value),
}

#[derive(Debug, Clone, Serialize)]
pub struct OutboxRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub target: String,
    pub payload: serde_json::Value,
    /// pending, done, dead
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for OutboxRecord {
    fn from(r: outbox::Model) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind,
            target: r.target,
            payload: r.payload,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            done_at: r.done_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAttempt {
    pub attempt: i32,
    pub url: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_excerpt: String,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

/// The outcome of one delivery attempt, to be logged.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response_excerpt: String,
    pub duration_ms: u64,
    pub succeeded: bool,
    /// When to try again; `None` dead-letters an unsuccessful delivery.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl TenantScope {
    /// Claims an idempotency key for `operation` with the request's digest. The claim is its
    /// own committed row, so a concurrent request with the same key finds it at once.
    pub async fn claim_idempotency_key(
        &self,
        key: &str,
        operation: &str,
        request_digest: &str,
    ) -> Result<IdempotencyClaim, StoreError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 255 {
            return Err(StoreError::Invalid(
                "idempotencyKey: 1-255 characters".into(),
            ));
        }
        let txn = self.begin().await?;
        // Expired keys make way: a retry days later is a new request.
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::TenantId.eq(self.tenant_id()))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::CreatedAt.lt(Utc::now() - IDEMPOTENCY_RETENTION))
            .exec(&txn)
            .await?;
        let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            tenant_id: Set(self.tenant_id()),
            key: Set(key.to_owned()),
            operation: Set(operation.to_owned()),
            request_digest: Set(request_digest.to_owned()),
            status: Set("in_flight".into()),
            response: Set(None),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            Ok(_) => {
                txn.commit().await?;
                Ok(IdempotencyClaim::Proceed)
            }
            Err(e) => {
                let err = StoreError::conflict_on_unique(e, "");
                let StoreError::Conflict(_) = err else {
                    return Err(err);
                };
                txn.rollback().await?;
                let txn = self.begin().await?;
                let existing = idempotency_key::Entity::find()
                    .filter(idempotency_key::Column::TenantId.eq(self.tenant_id()))
                    .filter(idempotency_key::Column::Key.eq(key))
                    .one(&txn)
                    .await?;
                txn.commit().await?;
                let Some(existing) = existing else {
                    return Err(StoreError::Conflict(
                        "the idempotency key was just released; retry".into(),
                    ));
                };
                if existing.operation != operation || existing.request_digest != request_digest {
                    return Err(StoreError::Conflict(format!(
                        "idempotency key {key:?} was used for a different request; use a new key for new input"
                    )));
                }
                match (existing.status.as_str(), existing.response) {
                    ("done", Some(response)) => Ok(IdempotencyClaim::Replay(response)),
                    _ => Err(StoreError::Conflict(format!(
                        "a request with idempotency key {key:?} is still in flight; retry shortly"
                    ))),
                }
            }
        }
    }

    /// Stores the response that replays for the key from now on.
    pub async fn finish_idempotency_key(
        &self,
        key: &str,
        response: serde_json::Value,
    ) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        idempotency_key::Entity::update_many()
            .set(idempotency_key::ActiveModel {
                status: Set("done".into()),
                response: Set(Some(response)),
                ..Default::default()
            })
            .filter(idempotency_key::Column::TenantId.eq(self.tenant_id()))
            .filter(idempotency_key::Column::Key.eq(key.trim()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Frees the key after a failure, so the client may retry with it.
    pub async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::TenantId.eq(self.tenant_id()))
            .filter(idempotency_key::Column::Key.eq(key.trim()))
            .filter(idempotency_key::Column::Status.eq("in_flight"))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The secrets outgoing webhooks are signed with: every unexpired one (two during a
    /// rotation). The first call makes one.
    pub async fn webhook_secrets(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.begin().await?;
        let now = Utc::now();
        let mut rows = webhook_secret::Entity::find()
            .filter(webhook_secret::Column::TenantId.eq(self.tenant_id()))
            .order_by_desc(webhook_secret::Column::CreatedAt)
            .all(&txn)
            .await?;
        rows.retain(|r| r.expires_at.is_none_or(|e| e > now));
        if rows.is_empty() {
            let secret = civicpay_notify_secret();
            webhook_secret::Entity::insert(webhook_secret::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.tenant_id()),
                secret: Set(secret.clone()),
                created_at: Set(now),
                expires_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
            txn.commit().await?;
            return Ok(vec![secret]);
        }
        txn.commit().await?;
        Ok(rows.into_iter().map(|r| r.secret).collect())
    }

    /// Starts a rotation: a new secret signs from now on, next to the old ones, which expire
    /// after `overlap`. Returns the new secret (shown once).
    pub async fn rotate_webhook_secret(
        &self,
        overlap: Duration,
        actor: &civicpay_domain::audit::Actor,
    ) -> Result<String, StoreError> {
        let txn = self.begin().await?;
        let now = Utc::now();
        webhook_secret::Entity::update_many()
            .set(webhook_secret::ActiveModel {
                expires_at: Set(Some(now + overlap)),
                ..Default::default()
            })
            .filter(webhook_secret::Column::TenantId.eq(self.tenant_id()))
            .filter(webhook_secret::Column::ExpiresAt.is_null())
            .exec(&txn)
            .await?;
        let secret = civicpay_notify_secret();
        webhook_secret::Entity::insert(webhook_secret::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(self.tenant_id()),
            secret: Set(secret.clone()),
            created_at: Set(now),
            expires_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        crate::platform::write_audit(
            &txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "webhook_secret.rotate",
                entity_type: "webhook_secret",
                entity_id: self.tenant_id().to_string(),
                before: None,
                after: Some(serde_json::json!({ "old_secrets_expire_at": now + overlap })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(secret)
    }

    /// Outgoing webhooks by status (e.g. `dead` for the dead-letter list), newest first.
    pub async fn outbox_items(
        &self,
        status: Option<&str>,
        limit: u64,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let txn = self.begin_read().await?;
        // E-mails share the outbox but are not webhooks: they never show in this list.
        let mut query = outbox::Entity::find()
            .filter(outbox::Column::TenantId.eq(self.tenant_id()))
            .filter(outbox::Column::Kind.eq("webhook"))
            .order_by_desc(outbox::Column::Id)
            .limit(limit);
        if let Some(status) = status {
            query = query.filter(outbox::Column::Status.eq(status));
        }
        let rows = query.all(&txn).await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn delivery_attempts(
        &self,
        outbox_id: Uuid,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::TenantId.eq(self.tenant_id()))
            .filter(webhook_delivery::Column::OutboxId.eq(outbox_id))
            .order_by_asc(webhook_delivery::Column::Attempt)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryAttempt {
                attempt: r.attempt,
                url: r.url,
                status_code: r.status_code,
                error: r.error,
                response_excerpt: r.response_excerpt,
                duration_ms: r.duration_ms,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Puts a dead-lettered (or finished) delivery back in the queue, due now.
    pub async fn redeliver(
        &self,
        outbox_id: Uuid,
        actor: &civicpay_domain::audit::Actor,
    ) -> Result<OutboxRecord, StoreError> {
        let txn = self.begin().await?;
        let row = outbox::Entity::find_by_id(outbox_id)
            .filter(outbox::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("delivery {outbox_id}")))?;
        if row.status == "pending" {
            return Err(StoreError::Conflict(format!(
                "delivery {outbox_id} is still being retried (next at {})",
                row.next_attempt_at
            )));
        }
        // A re-send starts a fresh retry schedule (the event keeps its id and body).
        outbox::Entity::update_many()
            .set(outbox::ActiveModel {
                status: Set("pending".into()),
                attempts: Set(0),
                created_at: Set(Utc::now()),
                next_attempt_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(outbox::Column::Id.eq(outbox_id))
            .exec(&txn)
            .await?;
        crate::platform::write_audit(
            &txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "webhook.redeliver",
                entity_type: "outbox",
                entity_id: outbox_id.to_string(),
                before: Some(serde_json::json!({ "status": row.status })),
                after: Some(serde_json::json!({ "status": "pending" })),
            },
        )
        .await?;
        let row = outbox::Entity::find_by_id(outbox_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("delivery {outbox_id}")))?;
        txn.commit().await?;
        Ok(row.into())
    }
}

fn civicpay_notify_secret() -> String {
    use rand::Rng;
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    let random: String = (0..43)
        .map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())]))
        .collect();
    format!("whsec_{random}")
}

impl Store {
    /// Outbox rows due now, claimed for `lease`: their next attempt moves to `now + lease`, so
    /// another worker (or a restart) picks them up only if this one dies mid-delivery. On
    /// PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers claim disjoint rows.
    pub async fn claim_due_outbox(
        &self,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let txn = self.begin_platform().await?;
        let now = Utc::now();
        let backend = txn.get_database_backend();
        let ids: Vec<Uuid> = if backend == DbBackend::Postgres {
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                    [now.into(), i64::try_from(limit).unwrap_or(100).into()],
                ))
                .await?;
            rows.iter()
                .map(|r| r.try_get::<Uuid>("", "id"))
                .collect::<Result<_, _>>()?
        } else {
            outbox::Entity::find()
                .filter(outbox::Column::Status.eq("pending"))
                .filter(outbox::Column::NextAttemptAt.lte(now))
                .order_by_asc(outbox::Column::NextAttemptAt)
                .limit(limit)
                .all(&txn)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        if ids.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }
        outbox::Entity::update_many()
            .set(outbox::ActiveModel {
                next_attempt_at: Set(now + lease),
                ..Default::default()
            })
            .filter(outbox::Column::Id.is_in(ids.clone()))
            .exec(&txn)
            .await?;
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Id.is_in(ids))
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Logs one delivery attempt and moves the row on: done, retry later, or dead.
    pub async fn record_delivery_attempt(
        &self,
        item: &OutboxRecord,
        attempt: AttemptRecord,
    ) -> Result<(), StoreError> {
        let txn = self.begin_platform().await?;
        let number = item.attempts + 1;
        // The log numbers attempts over the delivery's whole life (a re-send restarts the
        // retry schedule, not the log).
        let logged = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::OutboxId.eq(item.id))
            .count(&txn)
            .await?;
        // Only webhooks have a delivery log (an e-mail's attempts stay on its outbox row).
        if item.kind == "webhook" {
            webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(item.tenant_id),
                outbox_id: Set(item.id),
                attempt: Set(i32::try_from(logged).unwrap_or(i32::MAX - 1) + 1),
                url: Set(item.target.clone()),
                status_code: Set(attempt.status_code.map(i32::from)),
                error: Set(attempt
                    .error
                    .clone()
                    .map(|e| e.chars().take(1000).collect())),
                response_excerpt: Set(attempt.response_excerpt.chars().take(1024).collect()),
                duration_ms: Set(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX)),
                created_at: Set(Utc::now()),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let (status, next, done_at) = if attempt.succeeded {
            ("done", item.next_attempt_at, Some(Utc::now()))
        } else {
            match attempt.next_attempt_at {
                Some(next) => ("pending", next, None),
                None => ("dead", item.next_attempt_at, None),
            }
        };
        outbox::Entity::update_many()
            .set(outbox::ActiveModel {
                status: Set(status.into()),
                attempts: Set(number),
                next_attempt_at: Set(next),
                last_error: Set(attempt
                    .error
                    .or(attempt.status_code.map(|c| format!("HTTP {c}")))
                    .filter(|_| !attempt.succeeded)
                    .map(|e| e.chars().take(1000).collect())),
                done_at: Set(done_at),
                ..Default::default()
            })
            .filter(outbox::Column::Id.eq(item.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Stores an incoming PSP event before anything is done with it, deduplicated by the PSP's
    /// event id. An event seen before is `Done` when it was processed successfully, and
    /// `Retry` when its processing failed or never finished (a PSP's retry then gets another
    /// go, instead of being swallowed as a duplicate).
    pub async fn record_psp_event(
        &self,
        gateway: &str,
        event_id: &str,
        psp_reference: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<PspEventClaim, StoreError> {
        let txn = self.begin_platform().await?;
        let inserted = psp_event::Entity::insert(psp_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            gateway: Set(gateway.to_owned()),
            event_id: Set(event_id.to_owned()),
            psp_reference: Set(psp_reference.map(str::to_owned)),
            payload: Set(payload),
            received_at: Set(Utc::now()),
            processed_at: Set(None),
            outcome: Set(None),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            Ok(_) => {
                txn.commit().await?;
                Ok(PspEventClaim::New)
            }
            Err(e) => match StoreError::conflict_on_unique(e, "") {
                StoreError::Conflict(_) => {
                    txn.rollback().await?;
                    let txn = self.begin_platform_read().await?;
                    let seen = psp_event::Entity::find()
                        .filter(psp_event::Column::Gateway.eq(gateway))
                        .filter(psp_event::Column::EventId.eq(event_id))
                        .one(&txn)
                        .await?;
                    txn.commit().await?;
                    let succeeded = seen
                        .and_then(|e| e.outcome)
                        .is_some_and(|o| !o.starts_with("error"));
                    Ok(if succeeded {
                        PspEventClaim::Done
                    } else {
                        PspEventClaim::Retry
                    })
                }
                other => Err(other),
            },
        }
    }

    /// Notes what processing a PSP event did (or why it failed), for the operator.
    pub async fn mark_psp_event(
        &self,
        gateway: &str,
        event_id: &str,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let txn = self.begin_platform().await?;
        psp_event::Entity::update_many()
            .set(psp_event::ActiveModel {
                processed_at: Set(Some(Utc::now())),
                outcome: Set(Some(outcome.chars().take(500).collect())),
                ..Default::default()
            })
            .filter(psp_event::Column::Gateway.eq(gateway))
            .filter(psp_event::Column::EventId.eq(event_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The payment a PSP reference belongs to, across councils (PSP webhooks do not say).
    pub async fn payment_by_psp_reference(
        &self,
        gateway: &str,
        psp_reference: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        let txn = self.begin_platform_read().await?;
        let row = payment::Entity::find()
            .filter(payment::Column::Gateway.eq(gateway))
            .filter(payment::Column::PspReference.eq(psp_reference))
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(payment_record).transpose()
    }

    /// Open payment requests past their `expires_at`: (council, request) pairs.
    pub async fn expired_payment_requests(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let txn = self.begin_platform_read().await?;
        let rows = crate::entity::payment_request::Entity::find()
            .filter(crate::entity::payment_request::Column::Status.eq("open"))
            .filter(crate::entity::payment_request::Column::ExpiresAt.lte(now))
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(|r| (r.tenant_id, r.id)).collect())
    }

    /// Payments still waiting on the PSP after their deadline: the recovery job asks the PSP.
    pub async fn stuck_payments(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let txn = self.begin_platform_read().await?;
        // Waiting past the deadline, or stuck in a lock state for five minutes (the process
        // that took the lock died between its commit and the PSP's answer).
        let rows = payment::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all()
                            .add(payment::Column::Status.is_in([
                                "created",
                                "pending",
                                "authorized",
                            ]))
                            .add(payment::Column::ExpiresAt.lte(now)),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(
                                payment::Column::Status
                                    .is_in(["capture_requested", "void_requested"]),
                            )
                            .add(payment::Column::UpdatedAt.lte(now - Duration::minutes(5))),
                    ),
            )
            .order_by_asc(payment::Column::ExpiresAt)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(payment_record).collect()
    }
}
