//! The embedded default's first start: load the demo councils and make demo staff.

use anyhow::Context as _;
use civicpay_domain::Role;
use civicpay_domain::audit::Actor;
use civicpay_store::Store;
use rand::Rng;
use secrecy::SecretString;
use std::path::Path;

/// Log-in details created on first start, printed once.
pub struct DemoCredential {
    pub tenant: Option<String>,
    pub email: String,
    pub password: String,
    pub role: Role,
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// On a database with no councils: applies every valid folder under `tenants_dir` and creates
/// one tenant admin per council plus one vendor admin. Returns what it created (empty when
/// the database had councils already). A broken folder stops the seeding with its errors.
pub async fn seed_demo(store: &Store, tenants_dir: &Path) -> anyhow::Result<Vec<DemoCredential>> {
    if !store.tenants().await?.is_empty() {
        return Ok(Vec::new());
    }
    let actor = Actor::System;
    let mut created = Vec::new();
    let folders = civicpay_tenant_config::load_all(tenants_dir);
    if folders.is_empty() {
        tracing::warn!(dir = %tenants_dir.display(), "no council folders found to seed");
    }
    for (dir, loaded) in folders {
        let config = loaded.map_err(|errors| {
            anyhow::anyhow!("council folder {} is invalid:\n{errors}", dir.display())
        })?;
        store
            .apply_tenant_config(&config, &actor, false)
            .await
            .with_context(|| format!("applying {}", dir.display()))?;
        let tenant = store
            .tenant_by_slug(config.slug.as_str())
            .await?
            .with_context(|| format!("council {} missing right after apply", config.slug))?;
        let email = format!("admin@{}.example", config.slug);
        let password = random_password();
        civicpay_api::service::create_staff_user(
            store,
            Some(tenant),
            &email,
            Role::TenantAdmin,
            &SecretString::from(password.clone()),
            &actor,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating demo admin {email}: {}", e.message))?;
        created.push(DemoCredential {
            tenant: Some(config.slug.to_string()),
            email,
            password,
            role: Role::TenantAdmin,
        });
    }
    let password = random_password();
    let email = "vendor@civicpay.example".to_owned();
    civicpay_api::service::create_staff_user(
        store,
        None,
        &email,
        Role::VendorAdmin,
        &SecretString::from(password.clone()),
        &actor,
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating demo vendor admin: {}", e.message))?;
    created.push(DemoCredential {
        tenant: None,
        email,
        password,
        role: Role::VendorAdmin,
    });
    Ok(created)
}
