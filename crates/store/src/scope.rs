//! The tenant scope: the only door to a council's rows.

use crate::error::StoreError;
use crate::platform::Store;
use crate::records::TenantRecord;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use std::sync::Arc;

/// A handle on one council's data. Built only from a resolved [`TenantRecord`], so every query
/// made through it is filtered by that council's id, and on PostgreSQL each transaction also
/// sets `app.tenant_id` so row-level security refuses rows of any other council.
#[derive(Clone)]
pub struct TenantScope {
    pub(crate) store: Store,
    pub(crate) tenant: Arc<TenantRecord>,
}

impl TenantScope {
    pub fn tenant(&self) -> &TenantRecord {
        &self.tenant
    }

    pub fn tenant_id(&self) -> uuid::Uuid {
        self.tenant.id
    }

    /// Opens a transaction bound to this council, for work that writes. On SQLite it takes
    /// the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
    /// writes fails outright when another writer got there first, instead of waiting.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = begin_immediate(&self.store.db).await?;
        bind_rls(&txn, &self.tenant.id.to_string()).await?;
        Ok(txn)
    }

    /// Opens a read-only transaction bound to this council (readers never wait for writers).
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.store.db.begin().await?;
        bind_rls(&txn, &self.tenant.id.to_string()).await?;
        Ok(txn)
    }
}

/// `BEGIN IMMEDIATE` on SQLite; a plain `BEGIN` elsewhere (PostgreSQL locks rows, not files).
pub(crate) async fn begin_immediate(
    db: &sea_orm::DatabaseConnection,
) -> Result<DatabaseTransaction, StoreError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        Ok(db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    } else {
        Ok(db.begin().await?)
    }
}

/// Sets the transaction-local tenant for PostgreSQL's row-level security policies; a no-op on
/// SQLite, where the scope's filters are the only wall.
pub(crate) async fn bind_rls(txn: &DatabaseTransaction, value: &str) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [value.into()],
        ))
        .await?;
    }
    Ok(())
}
