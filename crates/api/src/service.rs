//! Application services: one function per use case, shared by GraphQL, pages and the CLI.

use crate::error::{ApiError, ApiResult};
use chrono::Utc;
use civicpay_auth::{
    SessionData, dummy_verify, generate_api_key, hash_password, lock_after_failure, verify_password,
};
use civicpay_domain::audit::Actor;
use civicpay_domain::{ApiScope, Email, Role};
use civicpay_store::{
    ApiKeyRecord, LoginAttempt, NewApiKey, NewUser, Store, TenantRecord, TenantScope, UserRecord,
};
use secrecy::SecretString;
use std::sync::Arc;

/// Checks a staff member's e-mail and password for a council (or, with `tenant = None`, for
/// the vendor) and returns the session to store. Unknown e-mail and wrong password give the
/// same answer in about the same time; five failures in a row lock the account for 15 minutes.
pub async fn authenticate(
    store: &Store,
    tenant: Option<&Arc<TenantRecord>>,
    email: &str,
    password: &SecretString,
) -> ApiResult<SessionData> {
    const REFUSED: &str = "e-mail or password is wrong";
    let Ok(email) = Email::parse(email) else {
        dummy_verify(password);
        return Err(ApiError::unauthenticated(REFUSED));
    };
    let user = match tenant {
        Some(t) => store.scope(t.clone()).user_by_email(&email).await?,
        None => store.vendor_user_by_email(&email).await?,
    };
    let Some(user) = user else {
        dummy_verify(password);
        return Err(ApiError::unauthenticated(REFUSED));
    };
    let now = Utc::now();
    if let Some(until) = user.locked_until
        && until > now
    {
        dummy_verify(password);
        return Err(ApiError::unauthenticated(format!(
            "too many failed log-ins: the account is locked until {} UTC",
            until.format("%Y-%m-%d %H:%M")
        )));
    }
    let hash = user.password_hash.clone();
    let password_for_check = password.clone();
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio_blocking(move || verify_password(&hash, &password_for_check)).await?;
    if !matches || user.disabled {
        let lock_until = lock_after_failure(user.failed_logins, now);
        store
            .record_login(user.id, LoginAttempt::Failed { lock_until })
            .await?;
        return Err(ApiError::unauthenticated(REFUSED));
    }
    store.record_login(user.id, LoginAttempt::Succeeded).await?;
    Ok(SessionData {
        user_id: user.id,
        tenant_id: user.tenant_id,
        email: user.email.to_string(),
        role: user.role,
        created_at: now,
    })
}

async fn tokio_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)
}

/// Creates a staff member for a council, or a vendor admin when `tenant` is `None`.
pub async fn create_staff_user(
    store: &Store,
    tenant: Option<Arc<TenantRecord>>,
    email: &str,
    role: Role,
    password: &SecretString,
    actor: &Actor,
) -> ApiResult<UserRecord> {
    let email = Email::parse(email).map_err(|e| ApiError::bad_input(e.to_string()))?;
    let password_hash = hash_password(password).map_err(|e| ApiError::bad_input(e.to_string()))?;
    let new = NewUser {
        email,
        role,
        password_hash,
    };
    Ok(match tenant {
        Some(t) => store.scope(t).create_user(new, actor).await?,
        None => store.create_vendor_user(new, actor).await?,
    })
}

/// Makes a new API key for a council system. The key itself is returned once and never stored.
pub async fn create_api_key(
    scope: &TenantScope,
    name: &str,
    scopes: Vec<ApiScope>,
    actor: &Actor,
) -> ApiResult<(String, ApiKeyRecord)> {
    let generated = generate_api_key();
    let record = scope
        .create_api_key(
            NewApiKey {
                name: name.to_owned(),
                prefix: generated.prefix,
                digest: generated.digest,
                scopes,
            },
            actor,
        )
        .await?;
    Ok((generated.key, record))
}
