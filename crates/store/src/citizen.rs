//! What a citizen sees of their own money in the shop: every bill addressed to them (open and
//! settled) and the payments that paid them. Bills are found by the debtor key a council system
//! (or a permit application) gave them; payments by the bills their lines settle.

use crate::entity::{payment, payment_line, payment_request};
use crate::error::StoreError;
use crate::payments::{Debtor, PaymentRecord, PaymentRequestRecord, load_request, payment_record};
use crate::scope::TenantScope;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load_request(&txn, self.tenant_id(), id).await?);
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
