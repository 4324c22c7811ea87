//! Staff users, API keys and the audit trail.

use crate::entity::{api_key, audit_entry, user};
use crate::error::StoreError;
use crate::platform::{AuditEntry, Store, write_audit};
use crate::records::{ApiKeyRecord, AuditRecord, UserRecord};
use crate::scope::TenantScope;
use chrono::{DateTime, Duration, Utc};
use civicpay_domain::audit::Actor;
use civicpay_domain::{ApiScope, Email, Role};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// A staff member to create; the password is already hashed by the auth crate.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub role: Role,
    pub password_hash: String,
}

/// An API key to store: only its digest, never the key itself.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub digest: String,
    pub scopes: Vec<ApiScope>,
}

/// The outcome of a password check, to be recorded on the user.
#[derive(Debug, Clone, Copy)]
pub enum LoginAttempt {
    Succeeded,
    /// A wrong password; `lock_until` is set when this failure crosses the lockout threshold.
    Failed {
        lock_until: Option<DateTime<Utc>>,
    },
}

fn user_view(u: &UserRecord) -> serde_json::Value {
    serde_json::json!({ "email": u.email, "role": u.role, "tenant_id": u.tenant_id })
}

async fn insert_user(
    txn: &DatabaseTransaction,
    tenant_id: Option<Uuid>,
    new: NewUser,
    actor: &Actor,
) -> Result<UserRecord, StoreError> {
    let id = Uuid::now_v7();
    let row = user::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        email: Set(new.email.to_string()),
        role: Set(new.role.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        last_login_at: Set(None),
    };
    user::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(
                e,
                format!("a staff user with e-mail {} exists already", new.email),
            )
        })?;
    let created = user::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    let created = UserRecord::from_row(created)?;
    write_audit(
        txn,
        AuditEntry {
            tenant_id,
            actor,
            action: "user.create",
            entity_type: "user",
            entity_id: id.to_string(),
            before: None,
            after: Some(user_view(&created)),
        },
    )
    .await?;
    Ok(created)
}

impl Store {
    /// Creates one of the vendor's own staff (role vendor_admin, bound to no council).
    pub async fn create_vendor_user(
        &self,
        new: NewUser,
        actor: &Actor,
    ) -> Result<UserRecord, StoreError> {
        if !new.role.is_platform_wide() {
            return Err(StoreError::Invalid(format!(
                "role {} belongs to a council: give --tenant",
                new.role
            )));
        }
        let txn = self.begin_platform().await?;
        let created = insert_user(&txn, None, new, actor).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Records a password check on the user: counts failures, locks after too many, and
    /// resets the count on success.
    pub async fn record_login(
        &self,
        user_id: Uuid,
        attempt: LoginAttempt,
    ) -> Result<(), StoreError> {
        let txn = self.begin_platform().await?;
        let row = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        let update = match attempt {
            LoginAttempt::Succeeded => user::ActiveModel {
                failed_logins: Set(0),
                locked_until: Set(None),
                last_login_at: Set(Some(Utc::now())),
                ..Default::default()
            },
            LoginAttempt::Failed { lock_until } => user::ActiveModel {
                // A lock starts a fresh count, so the next lock needs as many failures again.
                failed_logins: Set(if lock_until.is_some() {
                    0
                } else {
                    row.failed_logins + 1
                }),
                locked_until: Set(lock_until.or(row.locked_until)),
                ..Default::default()
            },
        };
        user::Entity::update_many()
            .set(update)
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// A vendor user by id (sessions of vendor staff).
    pub async fn vendor_user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let txn = self.begin_platform_read().await?;
        let row = user::Entity::find_by_id(id)
            .filter(user::Column::TenantId.is_null())
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(UserRecord::from_row).transpose()
    }
}

impl TenantScope {
    pub async fn create_user(&self, new: NewUser, actor: &Actor) -> Result<UserRecord, StoreError> {
        if new.role.is_platform_wide() {
            return Err(StoreError::Invalid(format!(
                "role {} is the vendor's and belongs to no council",
                new.role
            )));
        }
        let txn = self.begin().await?;
        let created = insert_user(&txn, Some(self.tenant_id()), new, actor).await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = user::Entity::find()
            .filter(user::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(user::Column::Email)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(UserRecord::from_row).collect()
    }

    pub async fn user(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let row = user::Entity::find_by_id(id)
            .filter(user::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(UserRecord::from_row).transpose()
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<UserRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let row = user::Entity::find()
            .filter(user::Column::TenantId.eq(self.tenant_id()))
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        txn.commit().await?;
        row.map(UserRecord::from_row).transpose()
    }

    pub async fn create_api_key(
        &self,
        new: NewApiKey,
        actor: &Actor,
    ) -> Result<ApiKeyRecord, StoreError> {
        if new.scopes.is_empty() {
            return Err(StoreError::Invalid(
                "an API key needs at least one scope".into(),
            ));
        }
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.len() > 100 {
            return Err(StoreError::Invalid(
                "an API key needs a name of 1-100 characters".into(),
            ));
        }
        let txn = self.begin().await?;
        let id = Uuid::now_v7();
        let row = api_key::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_id()),
            name: Set(name),
            prefix: Set(new.prefix),
            digest: Set(new.digest),
            scopes: Set(serde_json::to_value(&new.scopes).map_err(StoreError::corrupt)?),
            created_by: Set(actor.label()),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        api_key::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        let created = api_key::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))?;
        let created = ApiKeyRecord::from_row(created)?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "api_key.create",
                entity_type: "api_key",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "name": created.name, "prefix": created.prefix, "scopes": created.scopes,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(self.tenant_id()))
            .order_by_desc(api_key::Column::CreatedAt)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(ApiKeyRecord::from_row).collect()
    }

    /// The live (not revoked) key of this council with that digest. A key of another council
    /// is not found, even when its digest is right.
    pub async fn api_key_by_digest(
        &self,
        digest: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let txn = self.begin().await?;
        let row = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(self.tenant_id()))
            .filter(api_key::Column::Digest.eq(digest))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&txn)
            .await?;
        let record = row.map(ApiKeyRecord::from_row).transpose()?;
        // Note use at most once a minute: a write per request would cost more than the request.
        if let Some(key) = &record
            && key
                .last_used_at
                .is_none_or(|t| Utc::now() - t > Duration::minutes(1))
        {
            api_key::Entity::update_many()
                .set(api_key::ActiveModel {
                    last_used_at: Set(Some(Utc::now())),
                    ..Default::default()
                })
                .filter(api_key::Column::Id.eq(key.id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(record)
    }

    pub async fn revoke_api_key(
        &self,
        id: Uuid,
        actor: &Actor,
    ) -> Result<ApiKeyRecord, StoreError> {
        let txn = self.begin().await?;
        let row = api_key::Entity::find_by_id(id)
            .filter(api_key::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))?;
        if row.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "API key {id} is revoked already"
            )));
        }
        api_key::Entity::update_many()
            .set(api_key::ActiveModel {
                revoked_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .filter(api_key::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "api_key.revoke",
                entity_type: "api_key",
                entity_id: id.to_string(),
                before: Some(serde_json::json!({ "name": row.name, "prefix": row.prefix })),
                after: None,
            },
        )
        .await?;
        let updated = api_key::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))?;
        txn.commit().await?;
        ApiKeyRecord::from_row(updated)
    }

    /// The newest audit entries of this council, newest first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = audit_entry::Entity::find()
            .filter(audit_entry::Column::TenantId.eq(self.tenant_id()))
            .order_by_desc(audit_entry::Column::CreatedAt)
            .order_by_desc(audit_entry::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(AuditRecord::from).collect())
    }
}
