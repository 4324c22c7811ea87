//! The platform's foundation: councils, their host names, catalogue (products, price versions,
//! zones), staff users, API keys and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    Country,
    Currency,
    Timezone,
    DefaultLocale,
    Locales,
    Branding,
    Payment,
    VatCodes,
    ConfigDigest,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TenantHosts {
    Table,
    Host,
    TenantId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    TenantId,
    Sku,
    Kind,
    Name,
    Description,
    LedgerKey,
    VatCode,
    ZoneCode,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PriceVersions {
    Table,
    Id,
    TenantId,
    ProductId,
    EffectiveFrom,
    AmountMinor,
    Currency,
    VatCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Zones {
    Table,
    Id,
    TenantId,
    Code,
    Name,
    Geometry,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Email,
    Role,
    PasswordHash,
    FailedLogins,
    LockedUntil,
    Disabled,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    Prefix,
    Digest,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    TenantId,
    Actor,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
    CreatedAt,
}

/// Tables that hold one council's rows. On PostgreSQL each gets row-level security keyed on
/// the transaction-local setting `app.tenant_id` (see `crates/store/src/scope.rs`).
const TENANT_OWNED: [&str; 6] = [
    "products",
    "price_versions",
    "zones",
    "users",
    "api_keys",
    "audit_log",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(pk_uuid(Tenants::Id))
                    .col(string_len_uniq(Tenants::Slug, 40))
                    .col(json_binary(Tenants::Name))
                    .col(char_len(Tenants::Country, 2))
                    .col(char_len(Tenants::Currency, 3))
                    .col(string_len(Tenants::Timezone, 64))
                    .col(string_len(Tenants::DefaultLocale, 8))
                    .col(json_binary(Tenants::Locales))
                    .col(json_binary(Tenants::Branding))
                    .col(json_binary(Tenants::Payment))
                    .col(json_binary(Tenants::VatCodes))
                    .col(string_len(Tenants::ConfigDigest, 64))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TenantHosts::Table)
                    .col(string_len(TenantHosts::Host, 253).primary_key())
                    .col(uuid(TenantHosts::TenantId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TenantHosts::Table, TenantHosts::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(uuid(Products::TenantId))
                    .col(string_len(Products::Sku, 40))
                    .col(string_len(Products::Kind, 32))
                    .col(json_binary(Products::Name))
                    .col(json_binary(Products::Description))
                    .col(string_len(Products::LedgerKey, 80))
                    .col(string_len(Products::VatCode, 32))
                    .col(string_len_null(Products::ZoneCode, 20))
                    .col(string_len(Products::Status, 16))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Products::Table, Products::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_products_tenant_sku")
                    .table(Products::Table)
                    .col(Products::TenantId)
                    .col(Products::Sku)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PriceVersions::Table)
                    .col(pk_uuid(PriceVersions::Id))
                    .col(uuid(PriceVersions::TenantId))
                    .col(uuid(PriceVersions::ProductId))
                    .col(date(PriceVersions::EffectiveFrom))
                    .col(big_integer(PriceVersions::AmountMinor))
                    .col(char_len(PriceVersions::Currency, 3))
                    .col(string_len(PriceVersions::VatCode, 32))
                    .col(timestamp_with_time_zone(PriceVersions::CreatedAt))
                    .check(Expr::col(PriceVersions::AmountMinor).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceVersions::Table, PriceVersions::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceVersions::Table, PriceVersions::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_price_versions_product_date")
                    .table(PriceVersions::Table)
                    .col(PriceVersions::ProductId)
                    .col(PriceVersions::EffectiveFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Zones::Table)
                    .col(pk_uuid(Zones::Id))
                    .col(uuid(Zones::TenantId))
                    .col(string_len(Zones::Code, 20))
                    .col(json_binary(Zones::Name))
                    .col(json_binary(Zones::Geometry))
                    .col(string_len(Zones::Status, 16))
                    .col(timestamp_with_time_zone(Zones::CreatedAt))
                    .col(timestamp_with_time_zone(Zones::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Zones::Table, Zones::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_zones_tenant_code")
                    .table(Zones::Table)
                    .col(Zones::TenantId)
                    .col(Zones::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    // NULL only for the vendor's own staff (role vendor_admin), who belong to no council.
                    .col(uuid_null(Users::TenantId))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::Role, 32))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(integer(Users::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Users::LockedUntil))
                    .col(boolean(Users::Disabled).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_uuid(ApiKeys::Id))
                    .col(uuid(ApiKeys::TenantId))
                    .col(string_len(ApiKeys::Name, 100))
                    .col(string_len(ApiKeys::Prefix, 16))
                    .col(char_len_uniq(ApiKeys::Digest, 64))
                    .col(json_binary(ApiKeys::Scopes))
                    .col(string_len(ApiKeys::CreatedBy, 300))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    // NULL for platform-level actions (a council created, a vendor user added).
                    .col(uuid_null(AuditLog::TenantId))
                    .col(json_binary(AuditLog::Actor))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::EntityType, 64))
                    .col(string_len(AuditLog::EntityId, 100))
                    .col(json_binary_null(AuditLog::Before))
                    .col(json_binary_null(AuditLog::After))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_tenant_created")
                    .table(AuditLog::Table)
                    .col(AuditLog::TenantId)
                    .col(AuditLog::CreatedAt)
                    .to_owned(),
            )
            .await?;

        crate::enable_tenant_rls(manager, &TENANT_OWNED).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Policies go with their tables.
        for table in [
            AuditLog::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Users::Table.into_iden(),
            Zones::Table.into_iden(),
            PriceVersions::Table.into_iden(),
            Products::Table.into_iden(),
            TenantHosts::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
