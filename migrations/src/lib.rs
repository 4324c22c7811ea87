//! civicpay-migrations: the one schema for SQLite and PostgreSQL, as sea-orm-migration steps.
//! Designed for PostgreSQL (uuid, timestamptz, jsonb, row-level security); SQLite follows.
//! Every step has a real `down`. Depends on nothing of civicpay's own.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_payments;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_payments::Migration),
        ]
    }
}
