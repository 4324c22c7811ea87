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

    /// Opens a transaction bound to this council.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.store.db.begin().await?;
        bind_rls(&txn, &self.tenant.id.to_string()).await?;
        Ok(txn)
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
