//! Onboarding: applying a council's configuration folder to the database.
//!
//! `apply` computes the difference between the folder and the database, shows it, and writes it
//! in one transaction with one audit entry. It only adds and updates: rows the folder no longer
//! mentions are kept and reported, because council staff may have added them through the API
//! and a configuration file must never silently delete a price or a product. A second apply of
//! the same folder changes nothing.

use crate::catalogue::{insert_price, to_json};
use crate::entity::{price_version, product, tenant, tenant_host, zone};
use crate::error::StoreError;
use crate::platform::{AuditEntry, Store, write_audit};
use crate::records::VatCodeRecord;
use chrono::Utc;
use civicpay_domain::audit::Actor;
use civicpay_domain::{ProductStatus, is_price_version_mutable};
use civicpay_tenant_config::TenantConfig;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use uuid::Uuid;

/// One line of the difference between a folder and the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add(String),
    Update(String),
    /// Present in the database, absent from the folder: kept, reported.
    Kept(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Add(text) => write!(f, "+ {text}"),
            Change::Update(text) => write!(f, "~ {text}"),
            Change::Kept(text) => write!(f, "= {text} (in the database, not in the folder: kept)"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    pub tenant_created: bool,
    pub changes: Vec<Change>,
    pub applied: bool,
}

impl ApplyReport {
    /// Whether applying would write anything (kept rows are not writes).
    pub fn has_writes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c, Change::Add(_) | Change::Update(_)))
    }
}

fn branding_json(cfg: &TenantConfig) -> serde_json::Value {
    serde_json::json!({
        "primary_color": cfg.branding.primary_color,
        "logo": cfg.branding.logo,
        "support_email": cfg.branding.support_email.as_ref().map(|e| e.to_string()),
    })
}

fn payment_json(cfg: &TenantConfig) -> serde_json::Value {
    serde_json::json!({ "gateway": cfg.payment.gateway, "methods": cfg.payment.methods })
}

fn vat_json(cfg: &TenantConfig) -> Result<serde_json::Value, StoreError> {
    let records: Vec<VatCodeRecord> = cfg
        .vat_codes
        .iter()
        .map(|v| VatCodeRecord {
            code: v.code.clone(),
            rate_basis_points: v.rate.basis_points(),
            name: v.name.clone(),
        })
        .collect();
    to_json(&records)
}

impl Store {
    /// Shows (and unless `dry_run`, applies) the difference between `cfg` and the database.
    pub async fn apply_tenant_config(
        &self,
        cfg: &TenantConfig,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<ApplyReport, StoreError> {
        let tz: chrono_tz::Tz = cfg.timezone.parse().map_err(|e| {
            StoreError::Invalid(format!("tenant.toml: timezone {:?}: {e}", cfg.timezone))
        })?;
        let today = Utc::now().with_timezone(&tz).date_naive();
        let txn = self.begin_platform().await?;
        let mut report = ApplyReport::default();
        let tenant_id = apply_tenant_row(&txn, cfg, &mut report).await?;
        apply_hosts(&txn, cfg, tenant_id, &mut report).await?;
        apply_zones(&txn, cfg, tenant_id, &mut report).await?;
        apply_products(&txn, cfg, tenant_id, today, &mut report).await?;
        if dry_run || !report.has_writes() {
            txn.rollback().await?;
            return Ok(report);
        }
        let lines: Vec<String> = report.changes.iter().map(ToString::to_string).collect();
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(tenant_id),
                actor,
                action: "tenant.apply",
                entity_type: "tenant",
                entity_id: cfg.slug.to_string(),
                before: None,
                after: Some(serde_json::json!({ "changes": lines })),
            },
        )
        .await?;
        txn.commit().await?;
        report.applied = true;
        self.reload_directory().await?;
        Ok(report)
    }
}

fn digest(cfg: &TenantConfig) -> String {
    // A fingerprint of what was applied, shown by `tenant list` so operators can tell whether
    // a node runs the folder they think it runs.
    let mut hasher = Sha256::new();
    hasher.update(format!("{cfg:?}").as_bytes());
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn apply_tenant_row(
    txn: &DatabaseTransaction,
    cfg: &TenantConfig,
    report: &mut ApplyReport,
) -> Result<Uuid, StoreError> {
    let existing = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(cfg.slug.as_str()))
        .one(txn)
        .await?;
    let now = Utc::now();
    let wanted = tenant::Model {
        id: existing.as_ref().map_or_else(Uuid::now_v7, |t| t.id),
        slug: cfg.slug.to_string(),
        name: to_json(&cfg.name)?,
        country: cfg.country.to_string(),
        currency: cfg.currency.code().to_owned(),
        timezone: cfg.timezone.clone(),
        default_locale: cfg.default_locale.to_string(),
        locales: to_json(&cfg.locales)?,
        branding: branding_json(cfg),
        payment: payment_json(cfg),
        vat_codes: vat_json(cfg)?,
        config_digest: digest(cfg),
        created_at: existing.as_ref().map_or(now, |t| t.created_at),
        updated_at: now,
    };
    let Some(old) = existing else {
        report.tenant_created = true;
        report.changes.push(Change::Add(format!(
            "council {} ({}, {}, {})",
            cfg.slug, cfg.country, cfg.currency, cfg.timezone
        )));
        tenant::Entity::insert(tenant::ActiveModel::from(wanted.clone()))
            .exec_without_returning(txn)
            .await?;
        return Ok(wanted.id);
    };
    let mut changed = Vec::new();
    let mut compare = |field: &str, old: String, new: String| {
        if old != new {
            changed.push(Change::Update(format!("council.{field}: {old} → {new}")));
        }
    };
    compare("name", old.name.to_string(), wanted.name.to_string());
    compare("country", old.country.clone(), wanted.country.clone());
    compare("currency", old.currency.clone(), wanted.currency.clone());
    compare("timezone", old.timezone.clone(), wanted.timezone.clone());
    compare(
        "default_locale",
        old.default_locale.clone(),
        wanted.default_locale.clone(),
    );
    compare(
        "locales",
        old.locales.to_string(),
        wanted.locales.to_string(),
    );
    compare(
        "branding",
        old.branding.to_string(),
        wanted.branding.to_string(),
    );
    compare(
        "payment",
        old.payment.to_string(),
        wanted.payment.to_string(),
    );
    compare(
        "vat_codes",
        old.vat_codes.to_string(),
        wanted.vat_codes.to_string(),
    );
    if old.currency != wanted.currency {
        let has_prices = price_version::Entity::find()
            .filter(price_version::Column::TenantId.eq(old.id))
            .one(txn)
            .await?
            .is_some();
        if has_prices {
            return Err(StoreError::Conflict(format!(
                "council {} has prices in {}; its currency cannot change to {}",
                cfg.slug, old.currency, wanted.currency
            )));
        }
    }
    if !changed.is_empty() {
        report.changes.extend(changed);
        tenant::Entity::update(tenant::ActiveModel::from(wanted.clone()))
            .exec(txn)
            .await?;
    }
    Ok(old.id)
}

async fn apply_hosts(
    txn: &DatabaseTransaction,
    cfg: &TenantConfig,
    tenant_id: Uuid,
    report: &mut ApplyReport,
) -> Result<(), StoreError> {
    let rows = tenant_host::Entity::find().all(txn).await?;
    for host in &cfg.hosts {
        match rows.iter().find(|r| &r.host == host) {
            Some(row) if row.tenant_id == tenant_id => {}
            Some(_) => {
                return Err(StoreError::Conflict(format!(
                    "host {host} is served by another council already"
                )));
            }
            None => {
                report.changes.push(Change::Add(format!("host {host}")));
                tenant_host::Entity::insert(tenant_host::ActiveModel {
                    host: Set(host.clone()),
                    tenant_id: Set(tenant_id),
                })
                .exec_without_returning(txn)
                .await?;
            }
        }
    }
    for row in rows.iter().filter(|r| r.tenant_id == tenant_id) {
        if !cfg.hosts.contains(&row.host) {
            // A host name nobody configures any more must stop resolving to this council.
            report
                .changes
                .push(Change::Update(format!("host {} removed", row.host)));
            tenant_host::Entity::delete_by_id(row.host.clone())
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

async fn apply_zones(
    txn: &DatabaseTransaction,
    cfg: &TenantConfig,
    tenant_id: Uuid,
    report: &mut ApplyReport,
) -> Result<(), StoreError> {
    let rows = zone::Entity::find()
        .filter(zone::Column::TenantId.eq(tenant_id))
        .all(txn)
        .await?;
    let now = Utc::now();
    for z in &cfg.zones {
        let name = to_json(&z.name)?;
        match rows.iter().find(|r| r.code == z.code.as_str()) {
            None => {
                report.changes.push(Change::Add(format!("zone {}", z.code)));
                zone::Entity::insert(zone::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant_id),
                    code: Set(z.code.to_string()),
                    name: Set(name),
                    geometry: Set(z.geometry.clone()),
                    status: Set("active".into()),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
            }
            Some(row)
                if row.name != name || row.geometry != z.geometry || row.status != "active" =>
            {
                report
                    .changes
                    .push(Change::Update(format!("zone {}", z.code)));
                zone::Entity::update_many()
                    .set(zone::ActiveModel {
                        name: Set(name),
                        geometry: Set(z.geometry.clone()),
                        status: Set("active".into()),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(zone::Column::Id.eq(row.id))
                    .exec(txn)
                    .await?;
            }
            Some(_) => {}
        }
    }
    let configured: BTreeSet<&str> = cfg.zones.iter().map(|z| z.code.as_str()).collect();
    for row in rows
        .iter()
        .filter(|r| !configured.contains(r.code.as_str()))
    {
        report
            .changes
            .push(Change::Kept(format!("zone {}", row.code)));
    }
    Ok(())
}

async fn apply_products(
    txn: &DatabaseTransaction,
    cfg: &TenantConfig,
    tenant_id: Uuid,
    today: chrono::NaiveDate,
    report: &mut ApplyReport,
) -> Result<(), StoreError> {
    let rows = product::Entity::find()
        .filter(product::Column::TenantId.eq(tenant_id))
        .all(txn)
        .await?;
    let prices = price_version::Entity::find()
        .filter(price_version::Column::TenantId.eq(tenant_id))
        .all(txn)
        .await?;
    let mut prices_by_product: BTreeMap<Uuid, Vec<&price_version::Model>> = BTreeMap::new();
    for p in &prices {
        prices_by_product.entry(p.product_id).or_default().push(p);
    }
    let now = Utc::now();
    for p in &cfg.products {
        let fields = product::ActiveModel {
            sku: Set(p.sku.to_string()),
            kind: Set(p.kind.as_str().to_owned()),
            name: Set(to_json(&p.name)?),
            description: Set(to_json(&p.description)?),
            ledger_key: Set(p.ledger_key.clone()),
            vat_code: Set(p.vat_code.clone()),
            zone_code: Set(p.zone.as_ref().map(ToString::to_string)),
            status: Set(ProductStatus::Active.as_str().to_owned()),
            updated_at: Set(now),
            ..Default::default()
        };
        let Some(row) = rows.iter().find(|r| r.sku == p.sku.as_str()) else {
            report.changes.push(Change::Add(format!(
                "product {} ({}) with {} price version(s)",
                p.sku,
                p.name.get(&cfg.default_locale, &cfg.default_locale),
                p.prices.len()
            )));
            let id = Uuid::now_v7();
            let mut new = fields;
            new.id = Set(id);
            new.tenant_id = Set(tenant_id);
            new.created_at = Set(now);
            product::Entity::insert(new)
                .exec_without_returning(txn)
                .await?;
            for version in &p.prices {
                insert_price(txn, tenant_id, id, version).await?;
            }
            continue;
        };
        let mut differs = Vec::new();
        let mut note = |field: &str, same: bool| {
            if !same {
                differs.push(field.to_owned());
            }
        };
        note("kind", row.kind == p.kind.as_str());
        note("name", row.name == to_json(&p.name)?);
        note("description", row.description == to_json(&p.description)?);
        note("ledger_key", row.ledger_key == p.ledger_key);
        note("vat_code", row.vat_code == p.vat_code);
        note(
            "zone",
            row.zone_code.as_deref() == p.zone.as_ref().map(|z| z.as_str()),
        );
        note("status", row.status == ProductStatus::Active.as_str());
        if !differs.is_empty() {
            report.changes.push(Change::Update(format!(
                "product {}: {}",
                p.sku,
                differs.join(", ")
            )));
            product::Entity::update_many()
                .set(fields)
                .filter(product::Column::Id.eq(row.id))
                .exec(txn)
                .await?;
        }
        let existing = prices_by_product.remove(&row.id).unwrap_or_default();
        for version in &p.prices {
            let same_date = existing
                .iter()
                .find(|e| e.effective_from == version.effective_from);
            let mutable = is_price_version_mutable(version, today);
            match same_date {
                Some(e)
                    if e.amount_minor == version.amount.amount_minor()
                        && e.vat_code == version.vat_code => {}
                Some(e) if mutable => {
                    report.changes.push(Change::Update(format!(
                        "price {} from {}: {} → {}",
                        p.sku, version.effective_from, e.amount_minor, version.amount
                    )));
                    price_version::Entity::update_many()
                        .set(price_version::ActiveModel {
                            amount_minor: Set(version.amount.amount_minor()),
                            vat_code: Set(version.vat_code.clone()),
                            ..Default::default()
                        })
                        .filter(price_version::Column::Id.eq(e.id))
                        .exec(txn)
                        .await?;
                }
                Some(_) => {
                    return Err(StoreError::Conflict(format!(
                        "products.toml: product {} price from {} has taken effect and is immutable; add a new price version with a future date instead",
                        p.sku, version.effective_from
                    )));
                }
                None if mutable => {
                    report.changes.push(Change::Add(format!(
                        "price {} from {}: {}",
                        p.sku, version.effective_from, version.amount
                    )));
                    insert_price(txn, tenant_id, row.id, version).await?;
                }
                None => {
                    return Err(StoreError::Conflict(format!(
                        "products.toml: product {} gets a price from {}, which is not in the future; history cannot be rewritten",
                        p.sku, version.effective_from
                    )));
                }
            }
        }
        for e in existing {
            if !p
                .prices
                .iter()
                .any(|v| v.effective_from == e.effective_from)
            {
                report.changes.push(Change::Kept(format!(
                    "price {} from {}",
                    p.sku, e.effective_from
                )));
            }
        }
    }
    let configured: BTreeSet<&str> = cfg.products.iter().map(|p| p.sku.as_str()).collect();
    for row in rows.iter().filter(|r| !configured.contains(r.sku.as_str())) {
        report
            .changes
            .push(Change::Kept(format!("product {}", row.sku)));
    }
    Ok(())
}
