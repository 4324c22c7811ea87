//! The data-protection log of person look-ups (who looked up whom, when and why). The subject
//! is stored only as the keyed HMAC pseudonym of the national id, never the number itself.

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
enum PersonLookups {
    Table,
    Id,
    TenantId,
    Who,
    Subject,
    Purpose,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonLookups::Table)
                    .col(pk_uuid(PersonLookups::Id))
                    .col(uuid(PersonLookups::TenantId))
                    .col(string_len(PersonLookups::Who, 300))
                    .col(string_len(PersonLookups::Subject, 64))
                    .col(string_len(PersonLookups::Purpose, 200))
                    .col(timestamp_with_time_zone(PersonLookups::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonLookups::Table, PersonLookups::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_person_lookups_tenant_created")
                    .table(PersonLookups::Table)
                    .col(PersonLookups::TenantId)
                    .col(PersonLookups::CreatedAt)
                    .to_owned(),
            )
            .await?;
        crate::enable_tenant_rls(manager, &["person_lookups"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its index and row-level security policy with it.
        manager
            .drop_table(Table::drop().table(PersonLookups::Table).to_owned())
            .await
    }
}
