//! The permit lifecycle beyond the first slice: staff review with authorize-only payments
//! (`payment_requests.capture_mode`), what a permit needs for its whole life (holder's name
//! and address for letters and the re-match, delivery, the price explained, start date,
//! review and decision reasons, temporary vehicle, manual continuation), corrections (renew,
//! extend, replace, temporary, change of address, cancel) as rows of their own, the registry
//! re-match runs with their findings (resumable: one finding per run and permit), and the
//! letters written to holders (PDF).
//!
//! SQLite alters one column per statement, so every added column is its own ALTER.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

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
    CaptureMode,
}

#[derive(DeriveIden)]
enum Permits {
    Table,
    Id,
    HolderIdSealed,
    HolderName,
    HolderAddress,
    Delivery,
    Price,
    StartsOn,
    DecisionReason,
    ReviewedBy,
    ReviewedAt,
    ReplacesPermitId,
    TemporaryPlate,
    TemporaryUntil,
    ManualReason,
    CheckedAt,
}

#[derive(DeriveIden)]
enum PermitCorrections {
    Table,
    Id,
    TenantId,
    PermitId,
    Kind,
    Status,
    Detail,
    Price,
    PaymentRequestId,
    RefundId,
    CreatedBy,
    CreatedAt,
    AppliedAt,
}

#[derive(DeriveIden)]
enum RematchRuns {
    Table,
    Id,
    TenantId,
    DryRun,
    Status,
    Total,
    Processed,
    Unchanged,
    Updated,
    Deactivated,
    Unavailable,
    Cursor,
    StartedBy,
    StartedAt,
    HeartbeatAt,
    FinishedAt,
    Error,
}

#[derive(DeriveIden)]
enum RematchFindings {
    Table,
    Id,
    TenantId,
    RunId,
    PermitId,
    Action,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Letters {
    Table,
    Id,
    TenantId,
    PermitId,
    RunId,
    Kind,
    Locale,
    RecipientName,
    RecipientAddress,
    Subject,
    Body,
    Pdf,
    Email,
    CreatedAt,
}

fn permit_columns() -> Vec<ColumnDef> {
    vec![
        // The holder's national id, sealed (XChaCha20-Poly1305): the re-match asks the
        // register again by it. NULL for permits from before it was kept.
        text_null(Permits::HolderIdSealed),
        string_len_null(Permits::HolderName, 200),
        string_len_null(Permits::HolderAddress, 300),
        string_len_null(Permits::Delivery, 16),
        json_binary_null(Permits::Price),
        date_null(Permits::StartsOn),
        string_len_null(Permits::DecisionReason, 500),
        string_len_null(Permits::ReviewedBy, 300),
        timestamp_with_time_zone_null(Permits::ReviewedAt),
        uuid_null(Permits::ReplacesPermitId),
        string_len_null(Permits::TemporaryPlate, 20),
        date_null(Permits::TemporaryUntil),
        string_len_null(Permits::ManualReason, 500),
        timestamp_with_time_zone_null(Permits::CheckedAt),
    ]
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<impl IntoIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    if unique {
        index.unique();
    }
    for col in cols {
        index.col(col);
    }
    manager.create_index(index.to_owned()).await
}

fn tenant_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentRequests::Table)
                    .add_column(string_len(PaymentRequests::CaptureMode, 16).default("automatic"))
                    .to_owned(),
            )
            .await?;
        for column in permit_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Permits::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PermitCorrections::Table)
                    .col(pk_uuid(PermitCorrections::Id))
                    .col(uuid(PermitCorrections::TenantId))
                    .col(uuid(PermitCorrections::PermitId))
                    .col(string_len(PermitCorrections::Kind, 32))
                    .col(string_len(PermitCorrections::Status, 32))
                    .col(json_binary(PermitCorrections::Detail))
                    .col(json_binary(PermitCorrections::Price))
                    .col(uuid_null(PermitCorrections::PaymentRequestId))
                    .col(uuid_null(PermitCorrections::RefundId))
                    .col(string_len(PermitCorrections::CreatedBy, 300))
                    .col(timestamp_with_time_zone(PermitCorrections::CreatedAt))
                    .col(timestamp_with_time_zone_null(PermitCorrections::AppliedAt))
                    .foreign_key(&mut tenant_fk(
                        PermitCorrections::Table,
                        PermitCorrections::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PermitCorrections::Table, PermitCorrections::PermitId)
                            .to(Permits::Table, Permits::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PermitCorrections::Table,
                                PermitCorrections::PaymentRequestId,
                            )
                            .to(PaymentRequests::Table, PaymentRequests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_permit_corrections_permit",
            PermitCorrections::Table,
            vec![PermitCorrections::TenantId, PermitCorrections::PermitId],
            false,
        )
        .await?;
        // At most one correction of a permit waits for its bill at a time — also when two
        // arrive at once on PostgreSQL (a partial unique index; the same SQL on SQLite).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_permit_corrections_one_pending ON permit_corrections (permit_id) WHERE status = 'pending_payment'",
            )
            .await?;
        index(
            manager,
            "ix_permit_corrections_request",
            PermitCorrections::Table,
            vec![PermitCorrections::PaymentRequestId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RematchRuns::Table)
                    .col(pk_uuid(RematchRuns::Id))
                    .col(uuid(RematchRuns::TenantId))
                    .col(boolean(RematchRuns::DryRun))
                    .col(string_len(RematchRuns::Status, 16))
                    .col(big_integer(RematchRuns::Total))
                    .col(big_integer(RematchRuns::Processed))
                    .col(big_integer(RematchRuns::Unchanged))
                    .col(big_integer(RematchRuns::Updated))
                    .col(big_integer(RematchRuns::Deactivated))
                    .col(big_integer(RematchRuns::Unavailable))
                    .col(uuid_null(RematchRuns::Cursor))
                    .col(string_len(RematchRuns::StartedBy, 300))
                    .col(timestamp_with_time_zone(RematchRuns::StartedAt))
                    .col(timestamp_with_time_zone(RematchRuns::HeartbeatAt))
                    .col(timestamp_with_time_zone_null(RematchRuns::FinishedAt))
                    .col(text_null(RematchRuns::Error))
                    .foreign_key(&mut tenant_fk(RematchRuns::Table, RematchRuns::TenantId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_rematch_runs_tenant_started",
            RematchRuns::Table,
            vec![RematchRuns::TenantId, RematchRuns::StartedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RematchFindings::Table)
                    .col(pk_uuid(RematchFindings::Id))
                    .col(uuid(RematchFindings::TenantId))
                    .col(uuid(RematchFindings::RunId))
                    .col(uuid(RematchFindings::PermitId))
                    .col(string_len(RematchFindings::Action, 32))
                    .col(json_binary(RematchFindings::Detail))
                    .col(timestamp_with_time_zone(RematchFindings::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        RematchFindings::Table,
                        RematchFindings::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RematchFindings::Table, RematchFindings::RunId)
                            .to(RematchRuns::Table, RematchRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One finding per run and permit: a resumed run cannot act on a permit twice.
        index(
            manager,
            "ux_rematch_findings_run_permit",
            RematchFindings::Table,
            vec![RematchFindings::RunId, RematchFindings::PermitId],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Letters::Table)
                    .col(pk_uuid(Letters::Id))
                    .col(uuid(Letters::TenantId))
                    .col(uuid(Letters::PermitId))
                    .col(uuid_null(Letters::RunId))
                    .col(string_len(Letters::Kind, 32))
                    .col(string_len(Letters::Locale, 16))
                    .col(string_len(Letters::RecipientName, 200))
                    .col(string_len(Letters::RecipientAddress, 300))
                    .col(string_len(Letters::Subject, 300))
                    .col(text(Letters::Body))
                    .col(blob(Letters::Pdf))
                    .col(string_len_null(Letters::Email, 254))
                    .col(timestamp_with_time_zone(Letters::CreatedAt))
                    .foreign_key(&mut tenant_fk(Letters::Table, Letters::TenantId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Letters::Table, Letters::PermitId)
                            .to(Permits::Table, Permits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_letters_tenant_permit",
            Letters::Table,
            vec![Letters::TenantId, Letters::PermitId],
            false,
        )
        .await?;

        crate::enable_tenant_rls(
            manager,
            &[
                "permit_corrections",
                "rematch_runs",
                "rematch_findings",
                "letters",
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Letters::Table.into_iden(),
            RematchFindings::Table.into_iden(),
            RematchRuns::Table.into_iden(),
            PermitCorrections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Permits::HolderIdSealed,
            Permits::HolderName,
            Permits::HolderAddress,
            Permits::Delivery,
            Permits::Price,
            Permits::StartsOn,
            Permits::DecisionReason,
            Permits::ReviewedBy,
            Permits::ReviewedAt,
            Permits::ReplacesPermitId,
            Permits::TemporaryPlate,
            Permits::TemporaryUntil,
            Permits::ManualReason,
            Permits::CheckedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Permits::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(PaymentRequests::Table)
                    .drop_column(PaymentRequests::CaptureMode)
                    .to_owned(),
            )
            .await
    }
}
