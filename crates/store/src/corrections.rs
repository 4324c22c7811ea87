//! Corrections to a permit (S0-2): extend, replace the vehicle, a temporary vehicle, change of
//! address, cancel. Each is a row of its own with what it changes (`detail`) and its price
//! explained (`price`); one that costs something waits for its payment request and is applied
//! in the transaction that marks the request paid (`fulfil`), exactly once; one that costs
//! nothing (or gives money back) is applied at once. Renewal is a new permit that names the
//! one it renews (`replaces_permit_id`), not a correction row.

use crate::entity::{permit, permit_correction};
use crate::error::StoreError;
use crate::payments::{NewPaymentRequest, PaymentRequestRecord};
use crate::permits::PermitRecord;
use crate::scope::TenantScope;
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::PermitStatus;
use civicpay_domain::audit::Actor;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a correction changes. Stored as JSON in `permit_corrections.detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Correction {
    /// The permit's last day moves to `valid_to`.
    Extend { valid_to: NaiveDate },
    /// The permit is for another vehicle from now on.
    ReplaceVehicle { plate: String },
    /// A substitute vehicle (a car at the workshop) is covered until `until`, inclusive.
    TemporaryVehicle { plate: String, until: NaiveDate },
    /// The holder moved: the permit follows to the new address's zone (another product).
    ChangeAddress {
        product_id: Uuid,
        sku: String,
        zone_code: Option<String>,
        holder_address: Option<String>,
    },
    /// The permit ends on `on`; the unused part is refunded.
    Cancel { on: NaiveDate, reason: String },
}

impl Correction {
    pub fn kind(&self) -> &'static str {
        match self {
            Correction::Extend { .. } => "extend",
            Correction::ReplaceVehicle { .. } => "replace_vehicle",
            Correction::TemporaryVehicle { .. } => "temporary_vehicle",
            Correction::ChangeAddress { .. } => "change_address",
            Correction::Cancel { .. } => "cancel",
        }
    }
}

/// `permit_corrections.status` values.
const PENDING: &str = "pending_payment";
const APPLIED: &str = "applied";
const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Serialize)]
pub struct CorrectionRecord {
    pub id: Uuid,
    pub permit_id: Uuid,
    pub correction: Correction,
    /// `pending_payment`, `applied` or `cancelled`.
    pub status: String,
    /// The price explained (a `PriceQuote` as JSON).
    pub price: serde_json::Value,
    pub payment_request_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
}

impl TryFrom<permit_correction::Model> for CorrectionRecord {
    type Error = StoreError;
    fn try_from(m: permit_correction::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            permit_id: m.permit_id,
            correction: serde_json::from_value(m.detail).map_err(StoreError::corrupt)?,
            status: m.status,
            price: m.price,
            payment_request_id: m.payment_request_id,
            refund_id: m.refund_id,
            created_by: m.created_by,
            created_at: m.created_at,
            applied_at: m.applied_at,
        })
    }
}

impl TenantScope {
    /// Records a correction of an active permit. With a `payment` it waits for that request
    /// (external reference `permit-correction-<id>`); without one it is applied at once, in
    /// the same transaction. Returns the correction, the permit as it now is, and the request.
    pub async fn insert_correction(
        &self,
        permit_id: Uuid,
        correction: Correction,
        price: serde_json::Value,
        payment: Option<NewPaymentRequest>,
        actor: &Actor,
    ) -> Result<(CorrectionRecord, PermitRecord, Option<PaymentRequestRecord>), StoreError> {
        let txn = self.begin().await?;
        let permit = self.permit_in(&txn, permit_id).await?;
        if permit.status != PermitStatus::Active.as_str() {
            return Err(StoreError::Conflict(format!(
                "the permit is {}; only an active permit can be corrected",
                permit.status
            )));
        }
        let pending = permit_correction::Entity::find()
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .filter(permit_correction::Column::PermitId.eq(permit_id))
            .filter(permit_correction::Column::Status.eq(PENDING))
            .one(&txn)
            .await?;
        if let Some(pending) = pending {
            return Err(StoreError::Conflict(format!(
                "the permit has a {} correction waiting for its payment; pay or cancel that first",
                pending.kind
            )));
        }
        let id = Uuid::now_v7();
        let request = match payment {
            Some(mut payment) => {
                payment.external_reference = Some(format!("permit-correction-{id}"));
                Some(self.insert_payment_request(&txn, payment, actor).await?)
            }
            None => None,
        };
        let now = Utc::now();
        let row = permit_correction::Model {
            id,
            tenant_id: self.tenant_id(),
            permit_id,
            kind: correction.kind().to_owned(),
            status: PENDING.to_owned(),
            detail: serde_json::to_value(&correction).map_err(StoreError::corrupt)?,
            price,
            payment_request_id: request.as_ref().map(|r| r.id),
            refund_id: None,
            created_by: actor.label(),
            created_at: now,
            applied_at: None,
        };
        permit_correction::Entity::insert(permit_correction::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                StoreError::conflict_on_unique(
                    e,
                    "the permit has another correction waiting for its payment; pay or cancel that first",
                )
            })?;
        self.permit_audit(
            &txn,
            actor,
            "permit.correction.request",
            permit_id,
            None,
            serde_json::json!({
                "correctionId": id,
                "correction": row.detail,
                "paymentRequestId": row.payment_request_id,
            }),
        )
        .await?;
        if request.is_none() {
            self.apply_correction_in(&txn, row, None, actor).await?;
        }
        let correction = permit_correction::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("correction {id}")))?;
        let permit = self.permit_in(&txn, permit_id).await?;
        txn.commit().await?;
        Ok((correction.try_into()?, permit.try_into()?, request))
    }

    /// Carries out a correction inside `txn` and marks it applied. One that can no longer be
    /// carried out — the permit is no longer active, the new vehicle got a resident permit
    /// meanwhile — is refused when asked for at once (`paid_by` None), and when it was paid
    /// (inside `fulfil`, which must not fail) it is cancelled with the reason and the payment
    /// flagged for finance to refund.
    async fn apply_correction_in(
        &self,
        txn: &DatabaseTransaction,
        row: permit_correction::Model,
        paid_by: Option<Uuid>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let correction: Correction =
            serde_json::from_value(row.detail.clone()).map_err(StoreError::corrupt)?;
        let permit = self.permit_in(txn, row.permit_id).await?;
        let cannot = if permit.status != PermitStatus::Active.as_str() {
            Some(format!(
                "the permit was {} when the correction was paid",
                permit.status
            ))
        } else if let Correction::ReplaceVehicle { plate } = &correction {
            (crate::permits::is_resident_model(&permit)
                && self.held_vehicle_in(txn, plate, Some(permit.id)).await?)
                .then(|| crate::permits::VEHICLE_HOLDS_RESIDENT.to_owned())
        } else {
            None
        };
        if let Some(why) = cannot {
            let Some(payment_id) = paid_by else {
                return Err(StoreError::Conflict(why));
            };
            self.set_correction_status(txn, row.id, CANCELLED, &why)
                .await?;
            crate::entity::payment::Entity::update_many()
                .set(crate::entity::payment::ActiveModel {
                    flagged_reason: Set(Some(format!(
                        "the {} correction of permit {} could not be applied ({why}): refund this payment",
                        row.kind, permit.id
                    ))),
                    ..Default::default()
                })
                .filter(crate::entity::payment::Column::Id.eq(payment_id))
                .exec(txn)
                .await?;
            return Ok(());
        }
        let mut patch = permit::ActiveModel::default();
        let mut to_status = PermitStatus::Active;
        match &correction {
            Correction::Extend { valid_to } => patch.valid_to = Set(Some(*valid_to)),
            Correction::ReplaceVehicle { plate } => {
                patch.plate = Set(Some(plate.clone()));
                patch.temporary_plate = Set(None);
                patch.temporary_until = Set(None);
            }
            Correction::TemporaryVehicle { plate, until } => {
                patch.temporary_plate = Set(Some(plate.clone()));
                patch.temporary_until = Set(Some(*until));
            }
            Correction::ChangeAddress {
                product_id,
                sku,
                zone_code,
                holder_address,
            } => {
                patch.product_id = Set(*product_id);
                patch.sku = Set(sku.clone());
                patch.zone_code = Set(zone_code.clone());
                if holder_address.is_some() {
                    patch.holder_address = Set(holder_address.clone());
                }
            }
            Correction::Cancel { reason, .. } => {
                to_status = PermitStatus::Cancelled;
                patch.decision_reason = Set(Some(reason.clone()));
            }
        }
        patch.status = Set(to_status.as_str().to_owned());
        self.transition_permit(txn, permit.id, &[PermitStatus::Active], patch)
            .await?;
        permit_correction::Entity::update_many()
            .set(permit_correction::ActiveModel {
                status: Set(APPLIED.to_owned()),
                applied_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .filter(permit_correction::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        self.permit_audit(
            txn,
            actor,
            "permit.correction.apply",
            permit.id,
            Some(serde_json::json!({
                "status": permit.status,
                "plate": permit.plate,
                "sku": permit.sku,
                "validTo": permit.valid_to,
            })),
            serde_json::json!({ "correctionId": row.id, "correction": row.detail }),
        )
        .await
    }

    async fn set_correction_status(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        status: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        let row = permit_correction::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("correction {id}")))?;
        let mut detail = row.price.clone();
        if let Some(map) = detail.as_object_mut() {
            map.insert("note".into(), serde_json::Value::String(why.to_owned()));
        }
        permit_correction::Entity::update_many()
            .set(permit_correction::ActiveModel {
                status: Set(status.to_owned()),
                price: Set(detail),
                ..Default::default()
            })
            .filter(permit_correction::Column::Id.eq(id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// Applies, inside `fulfil`'s transaction, the corrections waiting for the paid request.
    pub(crate) async fn apply_corrections_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        payment_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let waiting = permit_correction::Entity::find()
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .filter(permit_correction::Column::PaymentRequestId.eq(request_id))
            .filter(permit_correction::Column::Status.eq(PENDING))
            .all(txn)
            .await?;
        for row in waiting {
            self.apply_correction_in(txn, row, Some(payment_id), actor)
                .await?;
        }
        Ok(())
    }

    /// Cancels, inside `txn`, the corrections of permit `permit_id` still waiting for their
    /// bill, and those bills. A bill with a payment in progress is CONFLICT when `strict`, else
    /// left to be paid (the correction is then cancelled and the payment flagged for refund).
    pub(crate) async fn cancel_pending_corrections_in(
        &self,
        txn: &DatabaseTransaction,
        permit_id: Uuid,
        actor: &Actor,
        strict: bool,
    ) -> Result<(), StoreError> {
        let waiting = permit_correction::Entity::find()
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .filter(permit_correction::Column::PermitId.eq(permit_id))
            .filter(permit_correction::Column::Status.eq(PENDING))
            .all(txn)
            .await?;
        for row in waiting {
            let Some(request_id) = row.payment_request_id else {
                continue;
            };
            match self.cancel_open_request_in(txn, request_id, actor).await {
                Ok(_) => {}
                Err(StoreError::Conflict(_)) if !strict => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Cancels the corrections still waiting for a request that was cancelled or expired.
    pub(crate) async fn cancel_corrections_for_request(
        &self,
        txn: &DatabaseTransaction,
        request_id: Uuid,
        why: &str,
    ) -> Result<(), StoreError> {
        let waiting = permit_correction::Entity::find()
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .filter(permit_correction::Column::PaymentRequestId.eq(request_id))
            .filter(permit_correction::Column::Status.eq(PENDING))
            .all(txn)
            .await?;
        for row in waiting {
            self.set_correction_status(txn, row.id, CANCELLED, why)
                .await?;
        }
        Ok(())
    }

    /// Notes the refund a correction gave back (cancel, or a cheaper zone).
    pub async fn set_correction_refund(
        &self,
        correction_id: Uuid,
        refund_id: Uuid,
    ) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        permit_correction::Entity::update_many()
            .set(permit_correction::ActiveModel {
                refund_id: Set(Some(refund_id)),
                ..Default::default()
            })
            .filter(permit_correction::Column::Id.eq(correction_id))
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The corrections of a permit, oldest first.
    pub async fn corrections(&self, permit_id: Uuid) -> Result<Vec<CorrectionRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = permit_correction::Entity::find()
            .filter(permit_correction::Column::TenantId.eq(self.tenant_id()))
            .filter(permit_correction::Column::PermitId.eq(permit_id))
            .order_by_asc(permit_correction::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
