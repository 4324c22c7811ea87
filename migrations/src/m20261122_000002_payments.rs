//! The central payment-transaction register: payment requests (bills), payments with their
//! lines and append-only event history, refunds, idempotency keys, the outbox with its
//! delivery log, incoming PSP events, webhook secrets, reference counters and the sandbox PSP's
//! own book.

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
    TenantId,
    Reference,
    ReferenceScheme,
    ExternalReference,
    Status,
    AmountMinor,
    PaidMinor,
    Currency,
    AllowPartial,
    DueDate,
    ExpiresAt,
    DebtorKind,
    DebtorKey,
    DebtorDisplay,
    Description,
    CallbackUrl,
    ReturnUrl,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum PaymentRequestLines {
    Table,
    Id,
    TenantId,
    PaymentRequestId,
    Position,
    Sku,
    Description,
    Quantity,
    UnitPriceMinor,
    VatCode,
    VatRateBp,
    VatMinor,
    LineTotalMinor,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    TenantId,
    Reference,
    Channel,
    Method,
    Status,
    AmountMinor,
    Currency,
    CapturedMinor,
    RefundedMinor,
    Gateway,
    PspReference,
    PaymentRequestId,
    CustomerEmail,
    CustomerName,
    FlaggedReason,
    FulfilledAt,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentLines {
    Table,
    Id,
    TenantId,
    PaymentId,
    Position,
    Sku,
    Description,
    Quantity,
    UnitPriceMinor,
    VatCode,
    VatMinor,
    LineTotalMinor,
    SubjectType,
    SubjectId,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    TenantId,
    PaymentId,
    Sequence,
    Event,
    FromStatus,
    ToStatus,
    Actor,
    PspReference,
    PspEventId,
    AmountMinor,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    TenantId,
    PaymentId,
    AmountMinor,
    Reason,
    Status,
    PspReference,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    Key,
    Operation,
    RequestDigest,
    Status,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    TenantId,
    Kind,
    Target,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DoneAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    TenantId,
    OutboxId,
    Attempt,
    Url,
    StatusCode,
    Error,
    ResponseExcerpt,
    DurationMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PspEvents {
    Table,
    Id,
    Gateway,
    EventId,
    PspReference,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Outcome,
}

#[derive(DeriveIden)]
enum WebhookSecrets {
    Table,
    Id,
    TenantId,
    Secret,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ReferenceCounters {
    Table,
    TenantId,
    NextValue,
}

#[derive(DeriveIden)]
enum SandboxPayments {
    Table,
    PspReference,
    AmountMinor,
    Currency,
    Status,
    CaptureMode,
    CapturedMinor,
    RefundedMinor,
    ReturnUrl,
    Description,
    CreatedAt,
    UpdatedAt,
}

const TENANT_OWNED: [&str; 11] = [
    "payment_requests",
    "payment_request_lines",
    "payments",
    "payment_lines",
    "payment_events",
    "refunds",
    "idempotency_keys",
    "outbox",
    "webhook_deliveries",
    "webhook_secrets",
    "reference_counters",
];

fn tenant_fk<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for c in columns {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentRequests::Table)
                    .col(pk_uuid(PaymentRequests::Id))
                    .col(uuid(PaymentRequests::TenantId))
                    .col(string_len(PaymentRequests::Reference, 35))
                    .col(string_len(PaymentRequests::ReferenceScheme, 20))
                    .col(string_len_null(PaymentRequests::ExternalReference, 100))
                    .col(string_len(PaymentRequests::Status, 16))
                    .col(big_integer(PaymentRequests::AmountMinor))
                    .col(big_integer(PaymentRequests::PaidMinor).default(0))
                    .col(char_len(PaymentRequests::Currency, 3))
                    .col(boolean(PaymentRequests::AllowPartial).default(false))
                    .col(date_null(PaymentRequests::DueDate))
                    // After this the request can no longer be paid; the system is told.
                    .col(timestamp_with_time_zone_null(PaymentRequests::ExpiresAt))
                    .col(string_len_null(PaymentRequests::DebtorKind, 16))
                    // SHA-256 of the normalised debtor id: bills are found by it without
                    // storing national ids in clear.
                    .col(char_len_null(PaymentRequests::DebtorKey, 64))
                    .col(string_len_null(PaymentRequests::DebtorDisplay, 100))
                    .col(string_len(PaymentRequests::Description, 500))
                    .col(string_len_null(PaymentRequests::CallbackUrl, 2048))
                    .col(string_len_null(PaymentRequests::ReturnUrl, 2048))
                    .col(string_len(PaymentRequests::CreatedBy, 300))
                    .col(timestamp_with_time_zone(PaymentRequests::CreatedAt))
                    .col(timestamp_with_time_zone(PaymentRequests::UpdatedAt))
                    .col(timestamp_with_time_zone_null(PaymentRequests::PaidAt))
                    .check(Expr::col(PaymentRequests::AmountMinor).gt(0))
                    .check(
                        Expr::col(PaymentRequests::PaidMinor).gte(0).and(
                            Expr::col(PaymentRequests::PaidMinor)
                                .lte(Expr::col(PaymentRequests::AmountMinor)),
                        ),
                    )
                    .foreign_key(&mut tenant_fk(
                        PaymentRequests::Table,
                        PaymentRequests::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_payment_requests_reference",
            PaymentRequests::Table,
            &["tenant_id", "reference"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_payment_requests_external",
            PaymentRequests::Table,
            &["tenant_id", "external_reference"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_payment_requests_debtor",
            PaymentRequests::Table,
            &["tenant_id", "debtor_key", "status"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentRequestLines::Table)
                    .col(pk_uuid(PaymentRequestLines::Id))
                    .col(uuid(PaymentRequestLines::TenantId))
                    .col(uuid(PaymentRequestLines::PaymentRequestId))
                    .col(integer(PaymentRequestLines::Position))
                    .col(string_len_null(PaymentRequestLines::Sku, 40))
                    .col(string_len(PaymentRequestLines::Description, 500))
                    .col(integer(PaymentRequestLines::Quantity))
                    .col(big_integer(PaymentRequestLines::UnitPriceMinor))
                    .col(string_len(PaymentRequestLines::VatCode, 32))
                    .col(integer(PaymentRequestLines::VatRateBp))
                    .col(big_integer(PaymentRequestLines::VatMinor))
                    .col(big_integer(PaymentRequestLines::LineTotalMinor))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                PaymentRequestLines::Table,
                                PaymentRequestLines::PaymentRequestId,
                            )
                            .to(PaymentRequests::Table, PaymentRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_fk(
                        PaymentRequestLines::Table,
                        PaymentRequestLines::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_payment_request_lines_request",
            PaymentRequestLines::Table,
            &["payment_request_id", "position"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::TenantId))
                    .col(string_len(Payments::Reference, 35))
                    .col(string_len(Payments::Channel, 16))
                    .col(string_len_null(Payments::Method, 32))
                    .col(string_len(Payments::Status, 24))
                    .col(big_integer(Payments::AmountMinor))
                    .col(char_len(Payments::Currency, 3))
                    .col(big_integer(Payments::CapturedMinor).default(0))
                    .col(big_integer(Payments::RefundedMinor).default(0))
                    .col(string_len(Payments::Gateway, 32))
                    .col(string_len_null(Payments::PspReference, 255))
                    .col(uuid_null(Payments::PaymentRequestId))
                    .col(string_len_null(Payments::CustomerEmail, 254))
                    .col(string_len_null(Payments::CustomerName, 200))
                    .col(string_len_null(Payments::FlaggedReason, 500))
                    .col(timestamp_with_time_zone_null(Payments::FulfilledAt))
                    .col(timestamp_with_time_zone_null(Payments::ExpiresAt))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .check(Expr::col(Payments::AmountMinor).gt(0))
                    // The wall against over-refunding: whatever the code does, the database
                    // never lets refunds exceed what was captured.
                    .check(Expr::col(Payments::RefundedMinor).gte(0))
                    .check(
                        Expr::col(Payments::RefundedMinor).lte(Expr::col(Payments::CapturedMinor)),
                    )
                    .check(Expr::col(Payments::CapturedMinor).lte(Expr::col(Payments::AmountMinor)))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::PaymentRequestId)
                            .to(PaymentRequests::Table, PaymentRequests::Id),
                    )
                    .foreign_key(&mut tenant_fk(Payments::Table, Payments::TenantId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_payments_reference",
            Payments::Table,
            &["tenant_id", "reference"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_payments_psp_reference",
            Payments::Table,
            &["gateway", "psp_reference"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_payments_tenant_status",
            Payments::Table,
            &["tenant_id", "status", "updated_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_payments_request",
            Payments::Table,
            &["payment_request_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentLines::Table)
                    .col(pk_uuid(PaymentLines::Id))
                    .col(uuid(PaymentLines::TenantId))
                    .col(uuid(PaymentLines::PaymentId))
                    .col(integer(PaymentLines::Position))
                    .col(string_len_null(PaymentLines::Sku, 40))
                    .col(string_len(PaymentLines::Description, 500))
                    .col(integer(PaymentLines::Quantity))
                    .col(big_integer(PaymentLines::UnitPriceMinor))
                    .col(string_len(PaymentLines::VatCode, 32))
                    .col(big_integer(PaymentLines::VatMinor))
                    .col(big_integer(PaymentLines::LineTotalMinor))
                    .col(string_len(PaymentLines::SubjectType, 32))
                    .col(uuid_null(PaymentLines::SubjectId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentLines::Table, PaymentLines::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_fk(PaymentLines::Table, PaymentLines::TenantId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_payment_lines_position",
            PaymentLines::Table,
            &["payment_id", "position"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_payment_lines_sku",
            PaymentLines::Table,
            &["tenant_id", "sku"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(pk_uuid(PaymentEvents::Id))
                    .col(uuid(PaymentEvents::TenantId))
                    .col(uuid(PaymentEvents::PaymentId))
                    .col(integer(PaymentEvents::Sequence))
                    .col(string_len(PaymentEvents::Event, 32))
                    .col(string_len(PaymentEvents::FromStatus, 24))
                    .col(string_len(PaymentEvents::ToStatus, 24))
                    .col(json_binary(PaymentEvents::Actor))
                    .col(string_len_null(PaymentEvents::PspReference, 255))
                    .col(string_len_null(PaymentEvents::PspEventId, 255))
                    .col(big_integer_null(PaymentEvents::AmountMinor))
                    .col(json_binary_null(PaymentEvents::Detail))
                    .col(timestamp_with_time_zone(PaymentEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentEvents::Table, PaymentEvents::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_fk(
                        PaymentEvents::Table,
                        PaymentEvents::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One sequence number per payment: two writers racing on the same payment cannot both
        // append the "next" event.
        index(
            manager,
            "ux_payment_events_sequence",
            PaymentEvents::Table,
            &["payment_id", "sequence"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(pk_uuid(Refunds::Id))
                    .col(uuid(Refunds::TenantId))
                    .col(uuid(Refunds::PaymentId))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(string_len(Refunds::Reason, 500))
                    .col(string_len(Refunds::Status, 16))
                    .col(string_len_null(Refunds::PspReference, 255))
                    .col(string_len(Refunds::CreatedBy, 300))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .check(Expr::col(Refunds::AmountMinor).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Refunds::Table, Refunds::PaymentId)
                            .to(Payments::Table, Payments::Id),
                    )
                    .foreign_key(&mut tenant_fk(Refunds::Table, Refunds::TenantId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::TenantId))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::Operation, 64))
                    .col(char_len(IdempotencyKeys::RequestDigest, 64))
                    .col(string_len(IdempotencyKeys::Status, 16))
                    .col(json_binary_null(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::TenantId)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(&mut tenant_fk(
                        IdempotencyKeys::Table,
                        IdempotencyKeys::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(uuid(Outbox::TenantId))
                    .col(string_len(Outbox::Kind, 64))
                    .col(string_len(Outbox::Target, 2048))
                    .col(json_binary(Outbox::Payload))
                    .col(string_len(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(string_len_null(Outbox::LastError, 1000))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::DoneAt))
                    .foreign_key(&mut tenant_fk(Outbox::Table, Outbox::TenantId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_outbox_due",
            Outbox::Table,
            &["status", "next_attempt_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::TenantId))
                    .col(uuid(WebhookDeliveries::OutboxId))
                    .col(integer(WebhookDeliveries::Attempt))
                    .col(string_len(WebhookDeliveries::Url, 2048))
                    .col(integer_null(WebhookDeliveries::StatusCode))
                    .col(string_len_null(WebhookDeliveries::Error, 1000))
                    .col(string_len(WebhookDeliveries::ResponseExcerpt, 1100))
                    .col(big_integer(WebhookDeliveries::DurationMs))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::OutboxId)
                            .to(Outbox::Table, Outbox::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut tenant_fk(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_deliveries_outbox",
            WebhookDeliveries::Table,
            &["outbox_id", "attempt"],
            false,
        )
        .await?;

        // Not tenant-owned: PSP events arrive before we know whose payment they concern.
        manager
            .create_table(
                Table::create()
                    .table(PspEvents::Table)
                    .col(pk_uuid(PspEvents::Id))
                    .col(string_len(PspEvents::Gateway, 32))
                    .col(string_len(PspEvents::EventId, 255))
                    .col(string_len_null(PspEvents::PspReference, 255))
                    .col(json_binary(PspEvents::Payload))
                    .col(timestamp_with_time_zone(PspEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(PspEvents::ProcessedAt))
                    .col(string_len_null(PspEvents::Outcome, 500))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_psp_events_event",
            PspEvents::Table,
            &["gateway", "event_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookSecrets::Table)
                    .col(pk_uuid(WebhookSecrets::Id))
                    .col(uuid(WebhookSecrets::TenantId))
                    .col(string_len(WebhookSecrets::Secret, 128))
                    .col(timestamp_with_time_zone(WebhookSecrets::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookSecrets::ExpiresAt))
                    .foreign_key(&mut tenant_fk(
                        WebhookSecrets::Table,
                        WebhookSecrets::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferenceCounters::Table)
                    .col(uuid(ReferenceCounters::TenantId).primary_key())
                    .col(big_integer(ReferenceCounters::NextValue))
                    .foreign_key(&mut tenant_fk(
                        ReferenceCounters::Table,
                        ReferenceCounters::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;

        // The built-in sandbox PSP's own book, as an external PSP would keep it.
        manager
            .create_table(
                Table::create()
                    .table(SandboxPayments::Table)
                    .col(string_len(SandboxPayments::PspReference, 64).primary_key())
                    .col(big_integer(SandboxPayments::AmountMinor))
                    .col(char_len(SandboxPayments::Currency, 3))
                    .col(string_len(SandboxPayments::Status, 24))
                    .col(string_len(SandboxPayments::CaptureMode, 16))
                    .col(big_integer(SandboxPayments::CapturedMinor).default(0))
                    .col(big_integer(SandboxPayments::RefundedMinor).default(0))
                    .col(string_len(SandboxPayments::ReturnUrl, 2048))
                    .col(string_len(SandboxPayments::Description, 500))
                    .col(timestamp_with_time_zone(SandboxPayments::CreatedAt))
                    .col(timestamp_with_time_zone(SandboxPayments::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        crate::enable_tenant_rls(manager, &TENANT_OWNED).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SandboxPayments::Table.into_iden(),
            ReferenceCounters::Table.into_iden(),
            WebhookSecrets::Table.into_iden(),
            PspEvents::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            Outbox::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            Refunds::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            PaymentLines::Table.into_iden(),
            Payments::Table.into_iden(),
            PaymentRequestLines::Table.into_iden(),
            PaymentRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
