//! An index on what a payment line settles (`payment_lines (tenant_id, subject_type,
//! subject_id)`), so the payments that paid a set of bills — a citizen's receipts on "My
//! permits" and "My bills", a bill's payments — are found without reading every payment line
//! of the platform.
//!
//! On a large live PostgreSQL table build it first with `CREATE INDEX CONCURRENTLY` under the
//! same name; this step then finds it there (`IF NOT EXISTS`) and only records itself.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentLines {
    Table,
    TenantId,
    SubjectType,
    SubjectId,
}

const NAME: &str = "ix_payment_lines_subject";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name(NAME)
                    .table(PaymentLines::Table)
                    .col(PaymentLines::TenantId)
                    .col(PaymentLines::SubjectType)
                    .col(PaymentLines::SubjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(PaymentLines::Table)
                    .to_owned(),
            )
            .await
    }
}
