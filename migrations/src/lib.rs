//! civicpay-migrations: the one schema for SQLite and PostgreSQL, as sea-orm-migration steps.
//! Designed for PostgreSQL (uuid, timestamptz, jsonb, row-level security); SQLite follows.
//! Every step has a real `down`. Depends on nothing of civicpay's own.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_payments;
mod m20261122_000003_person_lookups;
mod m20261122_000004_permits;
mod m20261202_000005_permit_lifecycle;
mod m20261203_000006_payment_lines_subject;

/// Row-level security for tables that hold one council's rows: each row is visible (and
/// writable) only when the transaction set `app.tenant_id` to its council, or to `platform`
/// for deliberate cross-council work. FORCE makes the policy bind the table owner too; only
/// superusers and BYPASSRLS roles pass. PostgreSQL only; SQLite has no such wall.
pub(crate) async fn enable_tenant_rls(
    manager: &SchemaManager<'_>,
    tables: &[&str],
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for table in tables {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON {table}
               USING (current_setting('app.tenant_id', true) = 'platform'
                      OR tenant_id::text = current_setting('app.tenant_id', true))
               WITH CHECK (current_setting('app.tenant_id', true) = 'platform'
                      OR tenant_id::text = current_setting('app.tenant_id', true));"
        ))
        .await?;
    }
    Ok(())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_payments::Migration),
            Box::new(m20261122_000003_person_lookups::Migration),
            Box::new(m20261122_000004_permits::Migration),
            Box::new(m20261202_000005_permit_lifecycle::Migration),
            Box::new(m20261203_000006_payment_lines_subject::Migration),
        ]
    }
}
