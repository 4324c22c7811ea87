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
    /// The holder's national id sealed with the platform's key (for the re-match).
    pub holder_id_sealed: Option<String>,
    /// The holder's name and one-line address from the person register (for letters and the
    /// re-match; kept current by the re-match).
    pub holder_name: Option<String>,
    pub holder_address: Option<String>,
    /// `post` or `pickup`.
    pub delivery: Option<String>,
    /// The price, explained line by line (a `PriceQuote` as JSON).
    pub price: Option<serde_json::Value>,
    /// The first day the permit may be valid (a renewal starts the day after the old one
    /// ends); `None`: from the day it is paid.
    pub starts_on: Option<NaiveDate>,
    /// The clerk's reason for continuing without an answer from a register (the application
    /// then always goes to a caseworker).
    pub manual_reason: Option<String>,
    /// The permit this one renews (not counted as held by this application).
    pub replaces_permit_id: Option<Uuid>,
}

impl NewPermit {
    /// A resident permit: kind `permit` with a zone (one per person, one per vehicle).
    pub fn is_resident(&self) -> bool {
        is_resident(&self.kind, self.zone_code.as_deref())
    }
}

pub(crate) fn is_resident_model(row: &permit::Model) -> bool {
    is_resident(&row.kind, row.zone_code.as_deref())
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
    pub holder_name: Option<String>,
    pub holder_address: Option<String>,
    pub delivery: Option<String>,
    pub price: Option<serde_json::Value>,
    pub starts_on: Option<NaiveDate>,
    /// Why it was rejected by a caseworker, revoked, or deactivated by the re-match.
    pub decision_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub replaces_permit_id: Option<Uuid>,
    pub temporary_plate: Option<String>,
    pub temporary_until: Option<NaiveDate>,
    pub manual_reason: Option<String>,
    /// When the re-match last checked it against the registers.
    pub checked_at: Option<DateTime<Utc>>,
}

impl PermitRecord {
    /// A resident permit: kind `permit` with a zone.
    pub fn is_resident(&self) -> bool {
        is_resident(&self.kind, self.zone_code.as_deref())
    }
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
            holder_name: m.holder_name,
            holder_address: m.holder_address,
            delivery: m.delivery,
            price: m.price,
            starts_on: m.starts_on,
            decision_reason: m.decision_reason,
            reviewed_by: m.reviewed_by,
            reviewed_at: m.reviewed_at,
            replaces_permit_id: m.replaces_permit_id,
            temporary_plate: m.temporary_plate,
            temporary_until: m.temporary_until,
            manual_reason: m.manual_reason,
            checked_at: m.checked_at,
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

/// How [`TenantScope::end_permit`] ends a permit.
pub struct PermitEnding<'a> {
    /// The statuses it may be in.
    pub from: &'a [PermitStatus],
    /// `rejected` or `cancelled`.
    pub to: PermitStatus,
    /// 1–500 characters, kept as the decision's reason.
    pub reason: &'a str,
    /// The audit action, e.g. `permit.reject`.
    pub action: &'a str,
    /// Told to the holder after commit.
    pub email: Option<crate::payments::NewEmail>,
}

/// The first and last day of a one-year permit that starts on `from`.
pub fn one_year_from(from: NaiveDate) -> Result<(NaiveDate, NaiveDate), StoreError> {
    let to = from
        .checked_add_months(Months::new(12))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .ok_or_else(|| StoreError::Invalid("permit validity out of range".into()))?;
    Ok((from, to))
}

fn statuses(list: &[PermitStatus]) -> Vec<&'static str> {
    list.iter().map(|s| s.as_str()).collect()
}

impl TenantScope {
    async fn held_in(
        &self,
        txn: &impl ConnectionTrait,
        holder_key: &str,
        plate: Option<&str>,
        except: Option<Uuid>,
    ) -> Result<HeldPermits, StoreError> {
        // Left out: the permit itself, the one it renews and its renewals — a renewal and
        // the permit it continues are one holding, not two.
        let mut excluded: Vec<Uuid> = Vec::new();
        if let Some(id) = except {
            excluded.push(id);
            let renews: Option<Option<Uuid>> = permit::Entity::find_by_id(id)
                .select_only()
                .column(permit::Column::ReplacesPermitId)
                .into_tuple()
                .one(txn)
                .await?;
            excluded.extend(renews.flatten());
            let renewals: Vec<Uuid> = permit::Entity::find()
                .select_only()
                .column(permit::Column::Id)
                .filter(permit::Column::TenantId.eq(self.tenant_id()))
                .filter(permit::Column::ReplacesPermitId.eq(id))
                .into_tuple()
                .all(txn)
                .await?;
            excluded.extend(renewals);
        }
        let mut of_holder = permit::Entity::find()
            .select_only()
            .column(permit::Column::Kind)
            .column(permit::Column::ZoneCode)
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::HolderKey.eq(holder_key))
            .filter(permit::Column::Status.is_in(holding()));
        if !excluded.is_empty() {
            of_holder = of_holder.filter(permit::Column::Id.is_not_in(excluded.clone()));
        }
        let of_holder: Vec<(String, Option<String>)> = of_holder.into_tuple().all(txn).await?;
        let of_vehicle: Vec<(String, Option<String>)> = match plate {
            Some(plate) => {
                // A vehicle holds a permit as its plate, or as a temporary vehicle still covered.
                let today = self.tenant().today(Utc::now());
                let mut query = permit::Entity::find()
                    .select_only()
                    .column(permit::Column::Kind)
                    .column(permit::Column::ZoneCode)
                    .filter(permit::Column::TenantId.eq(self.tenant_id()))
                    .filter(
                        sea_orm::Condition::any()
                            .add(permit::Column::Plate.eq(plate))
                            .add(
                                sea_orm::Condition::all()
                                    .add(permit::Column::TemporaryPlate.eq(plate))
                                    .add(permit::Column::TemporaryUntil.gte(today)),
                            ),
                    )
                    .filter(permit::Column::Status.is_in(holding()));
                if !excluded.is_empty() {
                    query = query.filter(permit::Column::Id.is_not_in(excluded.clone()));
                }
                query.into_tuple().all(txn).await?
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

    /// The held permits of the applicant `holder_key` and of the vehicle `plate`, leaving out
    /// the permit `except` (the one a renewal or a correction replaces).
    pub async fn held_permits(
        &self,
        holder_key: &str,
        plate: Option<&str>,
        except: Option<Uuid>,
    ) -> Result<HeldPermits, StoreError> {
        let txn = self.begin_read().await?;
        let held = self.held_in(&txn, holder_key, plate, except).await?;
        txn.commit().await?;
        Ok(held)
    }

    /// Whether the vehicle `plate` holds a resident permit (other than `except`), inside
    /// `txn` — with the vehicle's advisory lock on PostgreSQL.
    pub(crate) async fn held_vehicle_in(
        &self,
        txn: &DatabaseTransaction,
        plate: &str,
        except: Option<Uuid>,
    ) -> Result<bool, StoreError> {
        self.lock_applicant(txn, "vehicle-change", Some(plate))
            .await?;
        Ok(self
            .held_in(txn, "", Some(plate), except)
            .await?
            .vehicle_has_resident)
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

    /// Refuses (CONFLICT) a holding resident permit for a person or vehicle that got one in
    /// the meantime; must run inside the write transaction that stores the permit.
    async fn recheck_resident_hold(
        &self,
        txn: &DatabaseTransaction,
        holder_key: &str,
        plate: Option<&str>,
        except: Option<Uuid>,
    ) -> Result<(), StoreError> {
        self.lock_applicant(txn, holder_key, plate).await?;
        let held = self.held_in(txn, holder_key, plate, except).await?;
        if held.holder_resident_zone.is_some() {
            return Err(StoreError::Conflict(ALREADY_HOLDS_RESIDENT.into()));
        }
        if held.vehicle_has_resident {
            return Err(StoreError::Conflict(VEHICLE_HOLDS_RESIDENT.into()));
        }
        Ok(())
    }

    /// Stores a permit — and, when it must be paid for, its payment request (external
    /// reference `permit-<id>`) — in one write transaction that first re-counts the holder's
    /// and the vehicle's held permits: a holding resident permit is refused (CONFLICT) when the
    /// person or the vehicle got one in the meantime (a concurrent application). Rejected
    /// permits are always stored. A permit given as `Active` (approved and free) is valid from
    /// today (or its `starts_on`) at once.
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
            self.recheck_resident_hold(
                &txn,
                &new.holder_key,
                new.plate.as_deref(),
                new.replaces_permit_id,
            )
            .await?;
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
        let (valid_from, valid_to) = if new.status == PermitStatus::Active {
            let today = self.tenant().today(now);
            let (from, to) = one_year_from(new.starts_on.map_or(today, |s| s.max(today)))?;
            (Some(from), Some(to))
        } else {
            (None, None)
        };
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
            valid_from,
            valid_to,
            evaluation: new.evaluation,
            payment_request_id: request.as_ref().map(|r| r.id),
            created_by: actor.label(),
            created_at: now,
            updated_at: now,
            holder_id_sealed: new.holder_id_sealed,
            holder_name: new.holder_name,
            holder_address: new.holder_address,
            delivery: new.delivery,
            price: new.price,
            starts_on: new.starts_on,
            decision_reason: None,
            reviewed_by: None,
            reviewed_at: None,
            replaces_permit_id: new.replaces_permit_id,
            temporary_plate: None,
            temporary_until: None,
            manual_reason: new.manual_reason,
            checked_at: None,
        };
        permit::Entity::insert(permit::ActiveModel::from(model.clone()))
            .exec_without_returning(&txn)
            .await?;
        self.permit_audit(
            &txn,
            actor,
            "permit.apply",
            id,
            None,
            serde_json::json!({
                "sku": model.sku,
                "status": model.status,
                "holder": model.holder_display,
                "plate": model.plate,
                "paymentRequestId": model.payment_request_id,
                "manualReason": model.manual_reason,
                "replaces": model.replaces_permit_id,
            }),
        )
        .await?;
        txn.commit().await?;
        Ok((model.try_into()?, request))
    }

    pub(crate) async fn permit_audit(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        action: &str,
        id: Uuid,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> Result<(), StoreError> {
        crate::platform::write_audit(
            txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action,
                entity_type: "permit",
                entity_id: id.to_string(),
                before,
                after: Some(after),
            },
        )
        .await
    }

    /// One permit of this council, read inside `txn` (NOT_FOUND for another council's).
    pub(crate) async fn permit_in(
        &self,
        txn: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<permit::Model, StoreError> {
        permit::Entity::find_by_id(id)
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .one(txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("permit {id}")))
    }

    /// One permit of this council.
    pub async fn permit(&self, id: Uuid) -> Result<PermitRecord, StoreError> {
        let txn = self.begin_read().await?;
        let row = self.permit_in(&txn, id).await?;
        txn.commit().await?;
        row.try_into()
    }

    /// Moves permit `id` from one of `from` to `patch`'s status, inside `txn`; CONFLICT when
    /// it is in another status (someone else got there first).
    pub(crate) async fn transition_permit(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        from: &[PermitStatus],
        mut patch: permit::ActiveModel,
    ) -> Result<(), StoreError> {
        patch.updated_at = Set(Utc::now());
        let done = permit::Entity::update_many()
            .set(patch)
            .filter(permit::Column::Id.eq(id))
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::Status.is_in(statuses(from)))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            let current = self.permit_in(txn, id).await?;
            return Err(StoreError::Conflict(format!(
                "the permit is {}; expected {}",
                current.status,
                statuses(from).join(" or ")
            )));
        }
        Ok(())
    }

    /// Activates, inside the caller's transaction, the permits waiting for the payment request
    /// `request_id` (status `pending_payment`): `active`, valid for a year from the council's
    /// today or the permit's own later start (a renewal). Called by `fulfil` once the request
    /// is paid, so it happens exactly once.
    pub(crate) async fn activate_permits_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        payment_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let waiting = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::PaymentRequestId.eq(request_id))
            .filter(permit::Column::Status.eq(PermitStatus::PendingPayment.as_str()))
            .all(txn)
            .await?;
        let today = self.tenant().today(Utc::now());
        for row in waiting {
            let (from, to) = one_year_from(row.starts_on.map_or(today, |s| s.max(today)))?;
            self.transition_permit(
                txn,
                row.id,
                &[PermitStatus::PendingPayment],
                permit::ActiveModel {
                    status: Set(PermitStatus::Active.as_str().to_owned()),
                    valid_from: Set(Some(from)),
                    valid_to: Set(Some(to)),
                    ..Default::default()
                },
            )
            .await?;
            self.permit_audit(
                txn,
                actor,
                "permit.activate",
                row.id,
                Some(serde_json::json!({ "status": row.status })),
                serde_json::json!({
                    "status": PermitStatus::Active.as_str(),
                    "validFrom": from,
                    "validTo": to,
                    "paymentRequestId": request_id,
                }),
            )
            .await?;
        }
        self.apply_corrections_for_request(txn, request_id, payment_id, actor)
            .await
    }

    /// Cancels, inside the caller's transaction, the permits (and corrections) still waiting
    /// for the payment request `request_id` when that request is cancelled or expires: a
    /// permit nobody paid for must not keep holding the applicant's (and the vehicle's) one
    /// permit. An application under review whose bill lapses is cancelled too.
    pub(crate) async fn cancel_permits_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        actor: &Actor,
        why: &str,
    ) -> Result<(), StoreError> {
        let unpaid = [PermitStatus::PendingPayment, PermitStatus::WaitingReview];
        let waiting = permit::Entity::find()
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::PaymentRequestId.eq(request_id))
            .filter(permit::Column::Status.is_in(statuses(&unpaid)))
            .all(txn)
            .await?;
        for row in waiting {
            self.transition_permit(
                txn,
                row.id,
                &unpaid,
                permit::ActiveModel {
                    status: Set(PermitStatus::Cancelled.as_str().to_owned()),
                    decision_reason: Set(Some(why.to_owned())),
                    ..Default::default()
                },
            )
            .await?;
            self.permit_audit(
                txn,
                actor,
                "permit.cancel",
                row.id,
                Some(serde_json::json!({ "status": row.status })),
                serde_json::json!({
                    "status": PermitStatus::Cancelled.as_str(),
                    "reason": why,
                    "paymentRequestId": request_id,
                }),
            )
            .await?;
        }
        self.cancel_corrections_for_request(txn, request_id, why)
            .await
    }

    /// A caseworker approves an application under review (S0-6): it now waits for its
    /// payment to be captured (`pending_payment`), and a payment not made yet will be captured
    /// at once when it is. Returns the permit and its payment request.
    pub async fn approve_permit(
        &self,
        id: Uuid,
        email: Option<crate::payments::NewEmail>,
        actor: &Actor,
    ) -> Result<(PermitRecord, Option<PaymentRequestRecord>), StoreError> {
        let txn = self.begin().await?;
        let current = self.permit_in(&txn, id).await?;
        let now = Utc::now();
        let free = current.payment_request_id.is_none();
        let mut patch = permit::ActiveModel {
            status: Set(PermitStatus::PendingPayment.as_str().to_owned()),
            reviewed_by: Set(Some(actor.label())),
            reviewed_at: Set(Some(now)),
            ..Default::default()
        };
        if free {
            // Nothing to pay: valid from today (or its own start).
            let today = self.tenant().today(now);
            let (from, to) = one_year_from(current.starts_on.map_or(today, |s| s.max(today)))?;
            patch.status = Set(PermitStatus::Active.as_str().to_owned());
            patch.valid_from = Set(Some(from));
            patch.valid_to = Set(Some(to));
        }
        self.transition_permit(&txn, id, &[PermitStatus::WaitingReview], patch)
            .await?;
        if let Some(request_id) = current.payment_request_id {
            crate::entity::payment_request::Entity::update_many()
                .set(crate::entity::payment_request::ActiveModel {
                    capture_mode: Set(crate::payments::CAPTURE_AUTOMATIC.to_owned()),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(crate::entity::payment_request::Column::Id.eq(request_id))
                .filter(crate::entity::payment_request::Column::TenantId.eq(self.tenant_id()))
                .exec(&txn)
                .await?;
        }
        self.permit_audit(
            &txn,
            actor,
            "permit.approve",
            id,
            Some(serde_json::json!({ "status": current.status })),
            serde_json::json!({
                "status": if free { "active" } else { "pending_payment" },
                "reviewedBy": actor.label(),
            }),
        )
        .await?;
        if let Some(email) = &email {
            crate::payments::queue_email(&txn, self.tenant_id(), email).await?;
        }
        let updated = self.permit_in(&txn, id).await?;
        let request = match updated.payment_request_id {
            Some(request_id) => {
                Some(crate::payments::load_request(&txn, self.tenant_id(), request_id).await?)
            }
            None => None,
        };
        txn.commit().await?;
        Ok((updated.try_into()?, request))
    }

    /// Ends a permit with a reason, from one of `from`, to `to` (`rejected` by a caseworker,
    /// `cancelled` when staff revoke it or its holder cancels it); its open bill, if any, is
    /// cancelled in the same transaction (the caller voids an authorization first).
    pub async fn end_permit(
        &self,
        id: Uuid,
        ending: PermitEnding<'_>,
        actor: &Actor,
    ) -> Result<PermitRecord, StoreError> {
        let PermitEnding {
            from,
            to,
            reason,
            action,
            email,
        } = ending;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(StoreError::Invalid("reason: 1-500 characters".into()));
        }
        let txn = self.begin().await?;
        let current = self.permit_in(&txn, id).await?;
        self.transition_permit(
            &txn,
            id,
            from,
            permit::ActiveModel {
                status: Set(to.as_str().to_owned()),
                decision_reason: Set(Some(reason.to_owned())),
                reviewed_by: Set(Some(actor.label())),
                reviewed_at: Set(Some(Utc::now())),
                ..Default::default()
            },
        )
        .await?;
        if let Some(request_id) = current.payment_request_id {
            self.cancel_open_request_in(&txn, request_id, actor).await?;
        }
        // A correction still waiting for its bill dies with the permit.
        self.cancel_pending_corrections_in(&txn, id, actor, true)
            .await?;
        self.permit_audit(
            &txn,
            actor,
            action,
            id,
            Some(serde_json::json!({ "status": current.status })),
            serde_json::json!({ "status": to.as_str(), "reason": reason }),
        )
        .await?;
        if let Some(email) = &email {
            crate::payments::queue_email(&txn, self.tenant_id(), email).await?;
        }
        let updated = self.permit_in(&txn, id).await?;
        txn.commit().await?;
        updated.try_into()
    }

    /// Active permits whose last day has passed become `expired`. Returns how many.
    pub async fn expire_permits(&self) -> Result<u64, StoreError> {
        let today = self.tenant().today(Utc::now());
        let txn = self.begin().await?;
        let due: Vec<Uuid> = permit::Entity::find()
            .select_only()
            .column(permit::Column::Id)
            .filter(permit::Column::TenantId.eq(self.tenant_id()))
            .filter(permit::Column::Status.eq(PermitStatus::Active.as_str()))
            .filter(permit::Column::ValidTo.lt(today))
            .limit(1000)
            .into_tuple()
            .all(&txn)
            .await?;
        for id in &due {
            self.transition_permit(
                &txn,
                *id,
                &[PermitStatus::Active],
                permit::ActiveModel {
                    status: Set(PermitStatus::Expired.as_str().to_owned()),
                    ..Default::default()
                },
            )
            .await?;
            self.permit_audit(
                &txn,
                &Actor::System,
                "permit.expire",
                *id,
                Some(serde_json::json!({ "status": "active" })),
                serde_json::json!({ "status": "expired" }),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(due.len() as u64)
    }

    /// Permits matching `filter`, newest first.
    pub async fn permits(&self, filter: PermitFilter) -> Result<Vec<PermitRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let mut query =
            permit::Entity::find().filter(permit::Column::TenantId.eq(self.tenant_id()));
        if let Some(plate) = &filter.plate {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(permit::Column::Plate.eq(plate.as_str()))
                    .add(permit::Column::TemporaryPlate.eq(plate.as_str())),
            );
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
