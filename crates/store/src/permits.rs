//! Permits: an application's decision (with every rule result) and, once approved, the payment
//! request it waits for. The holder is kept as the keyed pseudonym of the national id
//! (`holder_key`, the one the person look-up log uses) and a masked form; never the number.
//!
//! Holding: a permit in [`PermitStatus::HOLDING`] counts for the one-per-person and
//! one-per-vehicle rules. [`TenantScope::insert_permit_if_allowed`] re-counts inside its write
//! transaction, so two concurrent applications cannot both end up holding a resident permit.

use crate::entity::permit;
use crate::error::StoreError;
use crate::payments::{NewPaymentRequest, PaymentRequestRecord};
use crate::scope::TenantScope;
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use civicpay_domain::PermitStatus;
use civicpay_domain::audit::Actor;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use uuid::Uuid;

/// The message of a refused concurrent (or repeated) resident application.
pub const ALREADY_HOLDS_RESIDENT: &str = "already holds an active or pending resident permit";
/// The message of a refused application for a vehicle that already holds a resident permit.
pub const VEHICLE_HOLDS_RESIDENT: &str =
    "the vehicle already has an active or pending resident permit";

/// A permit to store.
#[derive(Debug, Clone)]
pub struct NewPermit {
    pub product_id: Uuid,
    pub sku: String,
    /// A product kind (`permit`, `tag`, …).
    pub kind: String,
    pub zone_code: Option<String>,
    pub status: PermitStatus,
    /// The keyed pseudonym of the holder's national id (64 hex digits).
    pub holder_key: String,
    /// The masked national id.
    pub holder_display: String,
    /// Normalised plate.
    pub plate: Option<String>,
    /// Every rule result of the decision.
    pub evaluation: serde_json::Value,
}

impl NewPermit {
    /// A resident permit: kind `permit` with a zone (one per person, one per vehicle).
    pub fn is_resident(&self) -> bool {
        is_resident(&self.kind, self.zone_code.as_deref())
    }
}

fn is_resident(kind: &str, zone: Option<&str>) -> bool {
    kind == "permit" && zone.is_some_and(|z| !z.is_empty())
}

#[derive(Debug, Clone, Serialize)]
pub struct PermitRecord {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub kind: String,
    #[serde(serialize_with = "status_str")]
    pub status: PermitStatus,
    pub holder_key: String,
    pub holder_display: String,
    pub plate: Option<String>,
    pub zone_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub evaluation: serde_json::Value,
    pub payment_request_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn status_str<S: serde::Serializer>(status: &PermitStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}

impl TryFrom<permit::Model> for PermitRecord {
    type Error = StoreError;
    fn try_from(m: permit::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            product_id: m.product_id,
            sku: m.sku,
            kind: m.kind,
            status: PermitStatus::parse(&m.status).map_err(StoreError::corrupt)?,
            holder_key: m.holder_key,
            holder_display: m.holder_display,
            plate: m.plate,
            zone_code: m.zone_code,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            evaluation: m.evaluation,
            payment_request_id: m.payment_request_id,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// Which permits to list; every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct PermitFilter {
    pub plate: Option<String>,
    pub holder_key: Option<String>,
    pub status: Option<PermitStatus>,
    pub limit: u64,
}

/// The held permits (see [`PermitStatus::HOLDING`]) of an applicant and of a vehicle: the
/// "existing permits" facts of an eligibility check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldPermits {
    /// The applicant's held permits, by product kind.
    pub holder_by_kind: Vec<(String, i64)>,
    /// The vehicle's held permits (anyone's), by product kind.
    pub vehicle_by_kind: Vec<(String, i64)>,
    /// The zone of the applicant's held resident permit, if any.
    pub holder_resident_zone: Option<String>,
    /// The vehicle holds a resident permit.
    pub vehicle_has_resident: bool,
}

fn holding() -> Vec<&'static str> {
    PermitStatus::HOLDING.iter().map(|s| s.as_str()).collect()
}

fn count_kinds(rows: &[(String, Option<String>)]) -> Vec<(String, i64)> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    for (kind, _) in rows {
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind.clone(), 1)),
        }
    }
    counts
}

impl TenantScope {
    async fn held_in(
        &self,
        txn: &impl ConnectionTrait,
        holder_key: &str,
        plate: Option<&str>,
    ) -> Result<HeldPermits, StoreError> {
        let of_holder: Vec<(String, Option<String>)> = permit::Entity::find()
            .select_only()
            .column(permit::Column::Kind)
            .column(permit::Column::ZoneCode)
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::HolderKey.eq(holder_key))
            .filter(permit::Column::Status.is_in(holding()))
            .into_tuple()
            .all(txn)
            .await?;
        let of_vehicle: Vec<(String, Option<String>)> = match plate {
            Some(plate) => {
                permit::Entity::find()
                    .select_only()
                    .column(permit::Column::Kind)
                    .column(permit::Column::ZoneCode)
                    .filter(permit::Column::TenantId.eq(self.tenant_id()))
                    .filter(permit::Column::Plate.eq(plate))
                    .filter(permit::Column::Status.is_in(holding()))
                    .into_tuple()
                    .all(txn)
                    .await?
            }
            None => Vec::new(),
        };
        Ok(HeldPermits {
            holder_by_kind: count_kinds(&of_holder),
            vehicle_by_kind: count_kinds(&of_vehicle),
            holder_resident_zone: of_holder
                .iter()
                .find(|(k, z)| is_resident(k, z.as_deref()))
                .and_then(|(_, z)| z.clone()),
            vehicle_has_resident: of_vehicle.iter().any(|(k, z)| is_resident(k, z.as_deref())),
        })
    }

    /// The held permits of the applicant `holder_key` and of the vehicle `plate`.
    pub async fn held_permits(
        &self,
        holder_key: &str,
        plate: Option<&str>,
    ) -> Result<HeldPermits, StoreError> {
        let txn = self.begin_read().await?;
        let held = self.held_in(&txn, holder_key, plate).await?;
        txn.commit().await?;
        Ok(held)
    }

    /// Serialises applications per holder and per vehicle until the transaction ends. SQLite's
    /// `BEGIN IMMEDIATE` already serialises every writer; on PostgreSQL a transaction-scoped
    /// advisory lock on a hash of (council, holder) and (council, plate) does — always holder
    /// first, so two applications cannot wait on each other in a cycle.
    async fn lock_applicant(
        &self,
        txn: &DatabaseTransaction,
        holder_key: &str,
        plate: Option<&str>,
    ) -> Result<(), StoreError> {
        if txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut keys = vec![format!("permit-holder:{}:{holder_key}", self.tenant_id())];
        if let Some(plate) = plate {
            keys.push(format!("permit-plate:{}:{plate}", self.tenant_id()));
        }
        for key in keys {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [key.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Stores a permit — and, for an approved one, its payment request (external reference
    /// `permit-<id>`) — in one write transaction that first re-counts the holder's and the
    /// vehicle's held permits: a holding resident permit is refused (CONFLICT) when the person
    /// or the vehicle got one in the meantime (a concurrent application). Rejected permits are
    /// always stored.
    pub async fn insert_permit_if_allowed(
        &self,
        new: NewPermit,
        payment: Option<NewPaymentRequest>,
        actor: &Actor,
    ) -> Result<(PermitRecord, Option<PaymentRequestRecord>), StoreError> {
        if new.holder_key.len() != 64 || !new.holder_key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(
                "a permit's holder must be its 64-character pseudonym".into(),
            ));
        }
        let txn = self.begin().await?;
        if new.status.is_holding() && new.is_resident() {
            self.lock_applicant(&txn, &new.holder_key, new.plate.as_deref())
                .await?;
            let held = self
                .held_in(&txn, &new.holder_key, new.plate.as_deref())
                .await?;
            if held.holder_resident_zone.is_some() {
                return Err(StoreError::Conflict(ALREADY_HOLDS_RESIDENT.into()));
            }
            if held.vehicle_has_resident {
                return Err(StoreError::Conflict(VEHICLE_HOLDS_RESIDENT.into()));
            }
        }
        let id = Uuid::now_v7();
        let request = match payment {
            Some(mut payment) => {
                payment.external_reference = Some(format!("permit-{id}"));
                Some(self.insert_payment_request(&txn, payment, actor).await?)
            }
            None => None,
        };
        let now = Utc::now();
        let model = permit::Model {
            id,
            tenant_id: self.tenant_id(),
            product_id: new.product_id,
            sku: new.sku,
            kind: new.kind,
            status: new.status.as_str().to_owned(),
            holder_key: new.holder_key.to_ascii_lowercase(),
            holder_display: new.holder_display,
            plate: new.plate,
            zone_code: new.zone_code,
            valid_from: None,
            valid_to: None,
            evaluation: new.evaluation,
            payment_request_id: request.as_ref().map(|r| r.id),
            created_by: actor.label(),
            created_at: now,
            updated_at: now,
        };
        permit::Entity::insert(permit::ActiveModel {
            id: Set(model.id),
            tenant_id: Set(model.tenant_id),
            product_id: Set(model.product_id),
            sku: Set(model.sku.clone()),
            kind: Set(model.kind.clone()),
            status: Set(model.status.clone()),
            holder_key: Set(model.holder_key.clone()),
            holder_display: Set(model.holder_display.clone()),
            plate: Set(model.plate.clone()),
            zone_code: Set(model.zone_code.clone()),
            valid_from: Set(None),
            valid_to: Set(None),
            evaluation: Set(model.evaluation.clone()),
            payment_request_id: Set(model.payment_request_id),
            created_by: Set(model.created_by.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        crate::platform::write_audit(
            &txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "permit.apply",
                entity_type: "permit",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "sku": model.sku,
                    "status": model.status,
                    "holder": model.holder_display,
                    "plate": model.plate,
                    "paymentRequestId": model.payment_request_id,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((model.try_into()?, request))
    }

    /// Activates, inside the caller's transaction, the permits waiting for the payment request
    /// `request_id` (status `pending_payment`): `active`, valid from the council's today for a
    /// year (`valid_to` = `valid_from` + 1 year − 1 day; the period will come from the product
    /// later). Called by `fulfil` once the request is paid, so it happens exactly once.
    pub(crate) async fn activate_permits_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let waiting = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::PaymentRequestId.eq(request_id))
            .filter(permit::Column::Status.eq(PermitStatus::PendingPayment.as_str()))
            .all(txn)
            .await?;
        let now = Utc::now();
        let from = self.tenant().today(now);
        let to = from
            .checked_add_months(Months::new(12))
            .and_then(|d| d.checked_sub_days(Days::new(1)))
            .ok_or_else(|| StoreError::Invalid("permit validity out of range".into()))?;
        for row in waiting {
            permit::Entity::update_many()
                .set(permit::ActiveModel {
                    status: Set(PermitStatus::Active.as_str().to_owned()),
                    valid_from: Set(Some(from)),
                    valid_to: Set(Some(to)),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(permit::Column::Id.eq(row.id))
                .filter(permit::Column::Status.eq(PermitStatus::PendingPayment.as_str()))
                .exec(txn)
                .await?;
            crate::platform::write_audit(
                txn,
                crate::platform::AuditEntry {
                    tenant_id: Some(self.tenant_id()),
                    actor,
                    action: "permit.activate",
                    entity_type: "permit",
                    entity_id: row.id.to_string(),
                    before: Some(serde_json::json!({ "status": row.status })),
                    after: Some(serde_json::json!({
                        "status": PermitStatus::Active.as_str(),
                        "validFrom": from,
                        "validTo": to,
                        "paymentRequestId": request_id,
                    })),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Cancels, inside the caller's transaction, the permits still waiting for the payment
    /// request `request_id` when that request is cancelled or expires: a permit nobody paid for
    /// must not keep holding the applicant's (and the vehicle's) one permit.
    pub(crate) async fn cancel_permits_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        actor: &Actor,
        why: &str,
    ) -> Result<(), StoreError> {
        let waiting = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::PaymentRequestId.eq(request_id))
            .filter(permit::Column::Status.eq(PermitStatus::PendingPayment.as_str()))
            .all(txn)
            .await?;
        let now = Utc::now();
        for row in waiting {
            permit::Entity::update_many()
                .set(permit::ActiveModel {
                    status: Set(PermitStatus::Cancelled.as_str().to_owned()),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(permit::Column::Id.eq(row.id))
                .filter(permit::Column::Status.eq(PermitStatus::PendingPayment.as_str()))
                .exec(txn)
                .await?;
            crate::platform::write_audit(
                txn,
                crate::platform::AuditEntry {
                    tenant_id: Some(self.tenant_id()),
                    actor,
                    action: "permit.cancel",
                    entity_type: "permit",
                    entity_id: row.id.to_string(),
                    before: Some(serde_json::json!({ "status": row.status })),
                    after: Some(serde_json::json!({
                        "status": PermitStatus::Cancelled.as_str(),
                        "reason": why,
                        "paymentRequestId": request_id,
                    })),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Permits matching `filter`, newest first.
    pub async fn permits(&self, filter: PermitFilter) -> Result<Vec<PermitRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let mut query =
            permit::Entity::find().filter(permit::Column::TenantId.eq(self.tenant_id()));
        if let Some(plate) = &filter.plate {
            query = query.filter(permit::Column::Plate.eq(plate.as_str()));
        }
        if let Some(key) = &filter.holder_key {
            query = query.filter(permit::Column::HolderKey.eq(key.to_ascii_lowercase()));
        }
        if let Some(status) = filter.status {
            query = query.filter(permit::Column::Status.eq(status.as_str()));
        }
        let rows = query
            .order_by_desc(permit::Column::CreatedAt)
            .order_by_desc(permit::Column::Id)
            .limit(filter.limit.max(1))
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
