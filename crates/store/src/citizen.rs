//! What a citizen sees of their own money in the shop: every bill addressed to them (open and
//! settled) and the payments that paid them. Bills are found by the debtor key a council system
//! (or a permit application) gave them; payments by the bills their lines settle. Each call is a
//! fixed number of queries, however many bills or payments a citizen has (pages list them).

use crate::entity::{payment, payment_line, payment_request};
use crate::error::StoreError;
use crate::payments::{Debtor, PaymentRecord, PaymentRequestRecord, load_requests, payment_record};
use crate::scope::TenantScope;
use civicpay_domain::PaymentStatus;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

impl TenantScope {
    /// Every bill of one debtor, newest first, at most `limit`: open, paid, cancelled and
    /// expired alike (the page groups them).
    pub async fn bills_of(
        &self,
        debtor: &Debtor,
        limit: u64,
    ) -> Result<Vec<PaymentRequestRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let ids: Vec<Uuid> = payment_request::Entity::find()
            .select_only()
            .column(payment_request::Column::Id)
            .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
            .filter(payment_request::Column::DebtorKey.eq(debtor.key()))
            .order_by_desc(payment_request::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&txn)
            .await?;
        let out = load_requests(&txn, self.tenant_id(), &ids).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// For each of the bills `bill_ids`, the payment that paid it: captured, or captured and
    /// since partly or fully refunded (a receipt exists for it either way). Bills without such
    /// a payment, and ids of another council, are absent from the answer. When several
    /// payments paid one bill (part payments), the newest is given.
    ///
    /// One query for up to 500 bills (a join of the payment lines that settle a
    /// `payment_request` with their payments, by status), whatever the number of payments.
    pub async fn captured_payments_of(
        &self,
        bill_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Uuid>, StoreError> {
        if bill_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let paid = [
            PaymentStatus::Captured,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
        ];
        let txn = self.begin_read().await?;
        let mut out = HashMap::with_capacity(bill_ids.len());
        // Chunked so a caller with thousands of bills stays within bind-parameter limits.
        for chunk in bill_ids.chunks(500) {
            let found: Vec<(Option<Uuid>, Uuid)> = payment_line::Entity::find()
                .select_only()
                .column(payment_line::Column::SubjectId)
                .column(payment::Column::Id)
                .join(
                    JoinType::InnerJoin,
                    payment_line::Entity::belongs_to(payment::Entity)
                        .from(payment_line::Column::PaymentId)
                        .to(payment::Column::Id)
                        .into(),
                )
                .filter(payment_line::Column::TenantId.eq(self.tenant_id()))
                .filter(payment::Column::TenantId.eq(self.tenant_id()))
                .filter(payment_line::Column::SubjectType.eq("payment_request"))
                .filter(payment_line::Column::SubjectId.is_in(chunk.iter().copied()))
                .filter(payment::Column::Status.is_in(paid.iter().map(|s| s.as_str())))
                // Oldest first, so the newest payment of a bill is the one kept.
                .order_by_asc(payment::Column::Id)
                .into_tuple()
                .all(&txn)
                .await?;
            for (bill, payment) in found {
                if let Some(bill) = bill {
                    out.insert(bill, payment);
                }
            }
        }
        txn.commit().await?;
        Ok(out)
    }

    /// The payments whose lines settle any bill of one debtor, newest first, at most `limit`
    /// (failed and abandoned attempts included: the citizen sees what happened).
    pub async fn payments_of(
        &self,
        debtor: &Debtor,
        limit: u64,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let bill_ids: Vec<Uuid> = payment_request::Entity::find()
            .select_only()
            .column(payment_request::Column::Id)
            .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
            .filter(payment_request::Column::DebtorKey.eq(debtor.key()))
            .into_tuple()
            .all(&txn)
            .await?;
        if bill_ids.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }
        let mut payment_ids: Vec<Uuid> = Vec::new();
        // Chunked so a debtor with thousands of bills stays within bind-parameter limits.
        for chunk in bill_ids.chunks(500) {
            let found: Vec<Uuid> = payment_line::Entity::find()
                .select_only()
                .column(payment_line::Column::PaymentId)
                .filter(payment_line::Column::TenantId.eq(self.tenant_id()))
                .filter(payment_line::Column::SubjectType.eq("payment_request"))
                .filter(payment_line::Column::SubjectId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&txn)
                .await?;
            payment_ids.extend(found);
        }
        payment_ids.sort_unstable();
        payment_ids.dedup();
        payment_ids.reverse();
        payment_ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut rows = Vec::with_capacity(payment_ids.len());
        for chunk in payment_ids.chunks(500) {
            rows.extend(
                payment::Entity::find()
                    .filter(payment::Column::TenantId.eq(self.tenant_id()))
                    .filter(payment::Column::Id.is_in(chunk.iter().copied()))
                    .all(&txn)
                    .await?,
            );
        }
        txn.commit().await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.into_iter().map(payment_record).collect()
    }
}
