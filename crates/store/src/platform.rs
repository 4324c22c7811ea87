//! The store itself: connection, migrations, the council directory and platform-level work
//! that is not bound to one council.

use crate::entity::{audit_entry, tenant, tenant_host, user};
use crate::error::StoreError;
use crate::records::{TenantRecord, UserRecord};
use crate::scope::{TenantScope, bind_rls};
use chrono::Utc;
use civicpay_domain::audit::Actor;
use civicpay_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a node trusts its copy of the council directory before reading it again, so that
/// a council applied on one node is seen by the others without a restart.
const DIRECTORY_TTL: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Directory {
    by_slug: HashMap<String, Arc<TenantRecord>>,
    by_host: HashMap<String, Arc<TenantRecord>>,
}

/// The directory and when it was read.
type CachedDirectory = (Instant, Arc<Directory>);

#[derive(Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
    directory: Arc<RwLock<Option<CachedDirectory>>>,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`). SQLite files are created
    /// when missing; foreign keys and WAL are switched on.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL {url:?}: expected sqlite://FILE or postgres://…"
            )));
        };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            // SQLite takes one writer at a time; a small pool avoids lock contention storms.
            // Every connection waits up to 10 s for the write lock instead of failing.
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o| {
                    o.busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                        .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                });
        } else {
            options.max_connections(32).min_connections(2);
        }
        let db = Database::connect(options).await?;
        Ok(Self {
            db,
            backend,
            directory: Arc::default(),
        })
    }

    /// The connection, for adapters that keep tables of their own (the sandbox PSP's book).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Rolls every migration back (used by CI's up → down → up check).
    pub async fn migrate_down_all(&self) -> Result<(), StoreError> {
        Migrator::down(&self.db, None).await?;
        Ok(())
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        Ok(Migrator::get_pending_migrations(&self.db)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// A cheap round trip for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// A transaction for deliberate cross-council work (onboarding, vendor staff). On
    /// PostgreSQL it sets the `platform` marker that the row-level policies let through.
    pub(crate) async fn begin_platform(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = crate::scope::begin_immediate(&self.db).await?;
        bind_rls(&txn, "platform").await?;
        Ok(txn)
    }

    /// The same for reads only.
    pub(crate) async fn begin_platform_read(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.db.begin().await?;
        bind_rls(&txn, "platform").await?;
        Ok(txn)
    }

    async fn directory(&self) -> Result<Arc<Directory>, StoreError> {
        if let Ok(guard) = self.directory.read()
            && let Some((loaded, dir)) = guard.as_ref()
            && loaded.elapsed() < DIRECTORY_TTL
        {
            return Ok(dir.clone());
        }
        self.load_directory().await
    }

    /// Reads the council directory again (after an apply, or when the copy is stale).
    pub async fn reload_directory(&self) -> Result<(), StoreError> {
        self.load_directory().await.map(|_| ())
    }

    async fn load_directory(&self) -> Result<Arc<Directory>, StoreError> {
        let tenants = tenant::Entity::find()
            .order_by_asc(tenant::Column::Slug)
            .all(&self.db)
            .await?;
        let hosts = tenant_host::Entity::find().all(&self.db).await?;
        let mut hosts_by_tenant: HashMap<Uuid, Vec<String>> = HashMap::new();
        for h in hosts {
            hosts_by_tenant.entry(h.tenant_id).or_default().push(h.host);
        }
        let mut dir = Directory::default();
        for row in tenants {
            let mut hosts = hosts_by_tenant.remove(&row.id).unwrap_or_default();
            hosts.sort();
            let record = Arc::new(TenantRecord::from_row(row, hosts)?);
            for host in &record.hosts {
                dir.by_host.insert(host.clone(), record.clone());
            }
            dir.by_slug.insert(record.slug.to_string(), record);
        }
        let dir = Arc::new(dir);
        if let Ok(mut guard) = self.directory.write() {
            *guard = Some((Instant::now(), dir.clone()));
        }
        Ok(dir)
    }

    /// Every council, by slug.
    pub async fn tenants(&self) -> Result<Vec<Arc<TenantRecord>>, StoreError> {
        let dir = self.directory().await?;
        let mut all: Vec<_> = dir.by_slug.values().cloned().collect();
        all.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(all)
    }

    pub async fn tenant_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        Ok(self.directory().await?.by_slug.get(slug).cloned())
    }

    /// The council served on `host` (without port), if any council configured it.
    pub async fn tenant_by_host(
        &self,
        host: &str,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        Ok(self.directory().await?.by_host.get(&host).cloned())
    }

    pub async fn tenant_by_id(&self, id: Uuid) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        Ok(self
            .directory()
            .await?
            .by_slug
            .values()
            .find(|t| t.id == id)
            .cloned())
    }

    /// The only way to reach a council's rows.
    pub fn scope(&self, tenant: Arc<TenantRecord>) -> TenantScope {
        TenantScope {
            store: self.clone(),
            tenant,
        }
    }

    /// Finds a vendor staff member (no council) by e-mail.
    pub async fn vendor_user_by_email(
        &self,
        email: &civicpay_domain::Email,
    ) -> Result<Option<UserRecord>, StoreError> {
        let txn = self.begin_platform_read().await?;
        let row = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .filter(user::Column::TenantId.is_null())
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(UserRecord::from_row).transpose()
    }

    /// Whether any staff user exists at all (first start prints demo credentials only then).
    pub async fn any_user_exists(&self) -> Result<bool, StoreError> {
        let txn = self.begin_platform_read().await?;
        let found = user::Entity::find().one(&txn).await?.is_some();
        txn.commit().await?;
        Ok(found)
    }

    /// Runs raw SQL for operators' checks (used by tests to inspect row-level security).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        self.db
            .execute_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await?;
        Ok(())
    }
}

/// One line of the audit trail, written by [`write_audit`].
pub(crate) struct AuditEntry<'a> {
    pub tenant_id: Option<Uuid>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes one audit entry inside the caller's transaction, so the entry exists if and only if
/// the change does.
pub(crate) async fn write_audit(
    txn: &DatabaseTransaction,
    entry: AuditEntry<'_>,
) -> Result<(), StoreError> {
    let actor = serde_json::to_value(entry.actor).map_err(StoreError::corrupt)?;
    let row = audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(entry.tenant_id),
        actor: Set(actor),
        action: Set(entry.action.to_owned()),
        entity_type: Set(entry.entity_type.to_owned()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before),
        after: Set(entry.after),
        created_at: Set(Utc::now()),
    };
    audit_entry::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
