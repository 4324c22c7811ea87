//! Permits (first slice of the lifecycle): an application's decision with every rule result,
//! and — once approved — the payment request it waits for. The holder is stored as the keyed
//! HMAC pseudonym of the national id (the one `person_lookups` uses) plus a masked form for
//! display, never the number.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PaymentRequests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Permits {
    Table,
    Id,
    TenantId,
    ProductId,
    Sku,
    Kind,
    Status,
    HolderKey,
    HolderDisplay,
    Plate,
    ZoneCode,
    ValidFrom,
    ValidTo,
    Evaluation,
    PaymentRequestId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Permits::Table)
                    .col(pk_uuid(Permits::Id))
                    .col(uuid(Permits::TenantId))
                    .col(uuid(Permits::ProductId))
                    .col(string_len(Permits::Sku, 40))
                    .col(string_len(Permits::Kind, 32))
                    .col(string_len(Permits::Status, 32))
                    .col(char_len(Permits::HolderKey, 64))
                    .col(string_len(Permits::HolderDisplay, 100))
                    .col(string_len_null(Permits::Plate, 20))
                    .col(string_len_null(Permits::ZoneCode, 40))
                    .col(date_null(Permits::ValidFrom))
                    .col(date_null(Permits::ValidTo))
                    .col(json_binary(Permits::Evaluation))
                    .col(uuid_null(Permits::PaymentRequestId))
                    .col(string_len(Permits::CreatedBy, 300))
                    .col(timestamp_with_time_zone(Permits::CreatedAt))
                    .col(timestamp_with_time_zone(Permits::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Permits::Table, Permits::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Permits::Table, Permits::PaymentRequestId)
                            .to(PaymentRequests::Table, PaymentRequests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_permits_tenant_holder_status",
                vec![Permits::TenantId, Permits::HolderKey, Permits::Status],
            ),
            (
                "ix_permits_tenant_plate_status",
                vec![Permits::TenantId, Permits::Plate, Permits::Status],
            ),
            (
                "ix_permits_payment_request",
                vec![Permits::PaymentRequestId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Permits::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        crate::enable_tenant_rls(manager, &["permits"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its indexes and row-level security policy with it.
        manager
            .drop_table(Table::drop().table(Permits::Table).to_owned())
            .await
    }
}
