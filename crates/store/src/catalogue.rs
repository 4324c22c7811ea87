//! The catalogue use cases: products, price versions and zones of one council. The domain
//! decides (price-version rules); this module loads the facts and writes the result, the audit
//! entry in the same transaction.

use crate::entity::{price_version, product, zone};
use crate::error::StoreError;
use crate::platform::{AuditEntry, write_audit};
use crate::records::{PriceVersionRecord, ProductRecord, ZoneRecord};
use crate::scope::TenantScope;
use chrono::{NaiveDate, Utc};
use civicpay_domain::audit::Actor;
use civicpay_domain::{
    LocalizedText, PriceVersion, ProductKind, ProductStatus, Sku, ZoneCode, check_new_price_version,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::collections::HashMap;
use uuid::Uuid;

/// A product to create, already parsed.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: Sku,
    pub kind: ProductKind,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub ledger_key: String,
    pub vat_code: String,
    pub zone_code: Option<ZoneCode>,
    /// The first price; it may take effect today or later (a new product has no history yet).
    pub first_price: PriceVersion,
}

/// Fields to change on a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    pub name: Option<LocalizedText>,
    pub description: Option<LocalizedText>,
    pub ledger_key: Option<String>,
    pub vat_code: Option<String>,
    /// `Some(None)` removes the zone.
    pub zone_code: Option<Option<ZoneCode>>,
}

#[derive(Debug, Clone)]
pub struct ZoneInput {
    pub code: ZoneCode,
    pub name: LocalizedText,
    pub geometry: serde_json::Value,
}

impl TenantScope {
    /// The catalogue, ordered by SKU, each product with its full price history.
    pub async fn products(&self, include_retired: bool) -> Result<Vec<ProductRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let mut query = product::Entity::find()
            .filter(product::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(product::Column::Sku);
        if !include_retired {
            query = query.filter(product::Column::Status.eq(ProductStatus::Active.as_str()));
        }
        let rows = query.all(&txn).await?;
        let prices = price_version::Entity::find()
            .filter(price_version::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(price_version::Column::EffectiveFrom)
            .all(&txn)
            .await?;
        txn.commit().await?;
        let mut by_product: HashMap<Uuid, Vec<PriceVersionRecord>> = HashMap::new();
        for p in prices {
            by_product
                .entry(p.product_id)
                .or_default()
                .push(PriceVersionRecord::from_row(p)?);
        }
        rows.into_iter()
            .map(|row| {
                let prices = by_product.remove(&row.id).unwrap_or_default();
                ProductRecord::from_row(row, prices)
            })
            .collect()
    }

    pub async fn product(&self, id: Uuid) -> Result<ProductRecord, StoreError> {
        let txn = self.begin_read().await?;
        let found = load_product(&txn, self.tenant_id(), id).await?;
        txn.commit().await?;
        Ok(found)
    }

    pub async fn product_by_sku(&self, sku: &Sku) -> Result<Option<ProductRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let row = product::Entity::find()
            .filter(product::Column::TenantId.eq(self.tenant_id()))
            .filter(product::Column::Sku.eq(sku.as_str()))
            .one(&txn)
            .await?;
        let found = match row {
            Some(row) => Some(load_product(&txn, self.tenant_id(), row.id).await?),
            None => None,
        };
        txn.commit().await?;
        Ok(found)
    }

    fn check_vat_code(&self, code: &str) -> Result<(), StoreError> {
        if self.tenant().vat_codes.iter().any(|v| v.code == code) {
            Ok(())
        } else {
            let known: Vec<_> = self
                .tenant()
                .vat_codes
                .iter()
                .map(|v| v.code.as_str())
                .collect();
            Err(StoreError::Invalid(format!(
                "unknown VAT code {code:?}; this council has: {}",
                known.join(", ")
            )))
        }
    }

    async fn check_zone_code(
        &self,
        txn: &impl ConnectionTrait,
        code: Option<&ZoneCode>,
    ) -> Result<(), StoreError> {
        let Some(code) = code else { return Ok(()) };
        let exists = zone::Entity::find()
            .filter(zone::Column::TenantId.eq(self.tenant_id()))
            .filter(zone::Column::Code.eq(code.as_str()))
            .one(txn)
            .await?
            .is_some();
        if exists {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!("unknown zone {code}")))
        }
    }

    pub async fn create_product(
        &self,
        new: NewProduct,
        today: NaiveDate,
        actor: &Actor,
    ) -> Result<ProductRecord, StoreError> {
        self.check_vat_code(&new.vat_code)?;
        self.check_vat_code(&new.first_price.vat_code)?;
        if new.first_price.amount.currency() != self.tenant().currency {
            return Err(StoreError::Invalid(format!(
                "price currency {} differs from the council's currency {}",
                new.first_price.amount.currency(),
                self.tenant().currency
            )));
        }
        if new.first_price.amount.is_negative() {
            return Err(StoreError::Invalid("a price cannot be negative".into()));
        }
        if new.first_price.effective_from < today {
            return Err(StoreError::Invalid(format!(
                "the first price must take effect today ({today}) or later, not {}",
                new.first_price.effective_from
            )));
        }
        let txn = self.begin().await?;
        self.check_zone_code(&txn, new.zone_code.as_ref()).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let row = product::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_id()),
            sku: Set(new.sku.to_string()),
            kind: Set(new.kind.as_str().to_owned()),
            name: Set(to_json(&new.name)?),
            description: Set(to_json(&new.description)?),
            ledger_key: Set(new.ledger_key),
            vat_code: Set(new.vat_code),
            zone_code: Set(new.zone_code.map(String::from)),
            status: Set(ProductStatus::Active.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        product::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                StoreError::conflict_on_unique(
                    e,
                    format!("a product with SKU {} exists already", new.sku),
                )
            })?;
        insert_price(&txn, self.tenant_id(), id, &new.first_price).await?;
        let created = load_product(&txn, self.tenant_id(), id).await?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "product.create",
                entity_type: "product",
                entity_id: id.to_string(),
                before: None,
                after: Some(created.audit_view()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn update_product(
        &self,
        id: Uuid,
        patch: ProductPatch,
        actor: &Actor,
    ) -> Result<ProductRecord, StoreError> {
        if let Some(code) = &patch.vat_code {
            self.check_vat_code(code)?;
        }
        let txn = self.begin().await?;
        let before = load_product(&txn, self.tenant_id(), id).await?;
        if let Some(zone) = &patch.zone_code {
            self.check_zone_code(&txn, zone.as_ref()).await?;
        }
        let mut row = product::ActiveModel {
            id: Set(id),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Some(name) = &patch.name {
            row.name = Set(to_json(name)?);
        }
        if let Some(description) = &patch.description {
            row.description = Set(to_json(description)?);
        }
        if let Some(ledger_key) = patch.ledger_key {
            row.ledger_key = Set(ledger_key);
        }
        if let Some(vat_code) = patch.vat_code {
            row.vat_code = Set(vat_code);
        }
        if let Some(zone) = patch.zone_code {
            row.zone_code = Set(zone.map(String::from));
        }
        product::Entity::update_many()
            .set(row)
            .filter(product::Column::Id.eq(id))
            .filter(product::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        let after = load_product(&txn, self.tenant_id(), id).await?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "product.update",
                entity_type: "product",
                entity_id: id.to_string(),
                before: Some(before.audit_view()),
                after: Some(after.audit_view()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Takes a product off sale. It stays in the database so history keeps resolving.
    pub async fn retire_product(
        &self,
        id: Uuid,
        actor: &Actor,
    ) -> Result<ProductRecord, StoreError> {
        let txn = self.begin().await?;
        let before = load_product(&txn, self.tenant_id(), id).await?;
        if before.status == ProductStatus::Retired {
            return Err(StoreError::Conflict(format!(
                "product {} is retired already",
                before.sku
            )));
        }
        product::Entity::update_many()
            .set(product::ActiveModel {
                status: Set(ProductStatus::Retired.as_str().to_owned()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(product::Column::Id.eq(id))
            .filter(product::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        let after = load_product(&txn, self.tenant_id(), id).await?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "product.retire",
                entity_type: "product",
                entity_id: id.to_string(),
                before: Some(before.audit_view()),
                after: Some(after.audit_view()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Adds a price that takes effect on a future date. Versions already in force are history
    /// and cannot be changed; the domain's rule decides.
    pub async fn add_price_version(
        &self,
        product_id: Uuid,
        version: PriceVersion,
        today: NaiveDate,
        actor: &Actor,
    ) -> Result<ProductRecord, StoreError> {
        self.check_vat_code(&version.vat_code)?;
        let txn = self.begin().await?;
        let before = load_product(&txn, self.tenant_id(), product_id).await?;
        if before.status == ProductStatus::Retired {
            return Err(StoreError::Conflict(format!(
                "product {} is retired; it takes no new prices",
                before.sku
            )));
        }
        let existing: Vec<PriceVersion> = before.prices.iter().map(|p| p.as_domain()).collect();
        check_new_price_version(&existing, &version, today, self.tenant().currency)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = insert_price(&txn, self.tenant_id(), product_id, &version)
            .await
            .map_err(|e| match e {
                StoreError::Unexpected(db) => StoreError::conflict_on_unique(
                    db,
                    format!(
                        "a price version on {} exists already",
                        version.effective_from
                    ),
                ),
                other => other,
            })?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "price_version.create",
                entity_type: "price_version",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "product": before.sku,
                    "effective_from": version.effective_from,
                    "amount_minor": version.amount.amount_minor(),
                    "currency": version.amount.currency().code(),
                    "vat_code": version.vat_code,
                })),
            },
        )
        .await?;
        let after = load_product(&txn, self.tenant_id(), product_id).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub async fn zones(&self) -> Result<Vec<ZoneRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = zone::Entity::find()
            .filter(zone::Column::TenantId.eq(self.tenant_id()))
            .filter(zone::Column::Status.eq("active"))
            .order_by_asc(zone::Column::Code)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(ZoneRecord::from_row).collect()
    }

    /// Creates a zone or replaces its name and outline.
    pub async fn upsert_zone(
        &self,
        input: ZoneInput,
        actor: &Actor,
    ) -> Result<ZoneRecord, StoreError> {
        let txn = self.begin().await?;
        let existing = zone::Entity::find()
            .filter(zone::Column::TenantId.eq(self.tenant_id()))
            .filter(zone::Column::Code.eq(input.code.as_str()))
            .one(&txn)
            .await?;
        let now = Utc::now();
        let (id, before) = match &existing {
            Some(row) => (row.id, Some(zone_view(row))),
            None => (Uuid::now_v7(), None),
        };
        let row = zone::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_id()),
            code: Set(input.code.to_string()),
            name: Set(to_json(&input.name)?),
            geometry: Set(input.geometry),
            status: Set("active".to_owned()),
            created_at: Set(existing.as_ref().map_or(now, |r| r.created_at)),
            updated_at: Set(now),
        };
        let saved = if existing.is_some() {
            row.reset_all().update(&txn).await?
        } else {
            row.insert(&txn).await?
        };
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: if before.is_some() {
                    "zone.update"
                } else {
                    "zone.create"
                },
                entity_type: "zone",
                entity_id: id.to_string(),
                before,
                after: Some(zone_view(&saved)),
            },
        )
        .await?;
        txn.commit().await?;
        ZoneRecord::from_row(saved)
    }

    pub async fn retire_zone(&self, code: &ZoneCode, actor: &Actor) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        let row = zone::Entity::find()
            .filter(zone::Column::TenantId.eq(self.tenant_id()))
            .filter(zone::Column::Code.eq(code.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("zone {code}")))?;
        let in_use = product::Entity::find()
            .filter(product::Column::TenantId.eq(self.tenant_id()))
            .filter(product::Column::ZoneCode.eq(code.as_str()))
            .filter(product::Column::Status.eq(ProductStatus::Active.as_str()))
            .one(&txn)
            .await?;
        if let Some(p) = in_use {
            return Err(StoreError::Conflict(format!(
                "zone {code} is used by active product {}; move or retire it first",
                p.sku
            )));
        }
        let before = zone_view(&row);
        zone::Entity::update_many()
            .set(zone::ActiveModel {
                status: Set("retired".to_owned()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(zone::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        write_audit(
            &txn,
            AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "zone.retire",
                entity_type: "zone",
                entity_id: row.id.to_string(),
                before: Some(before),
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(StoreError::corrupt)
}

fn zone_view(row: &zone::Model) -> serde_json::Value {
    serde_json::json!({ "code": row.code, "name": row.name, "status": row.status })
}

pub(crate) async fn insert_price(
    txn: &impl ConnectionTrait,
    tenant_id: Uuid,
    product_id: Uuid,
    version: &PriceVersion,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    price_version::Entity::insert(price_version::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        product_id: Set(product_id),
        effective_from: Set(version.effective_from),
        amount_minor: Set(version.amount.amount_minor()),
        currency: Set(version.amount.currency().code().to_owned()),
        vat_code: Set(version.vat_code.clone()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}

/// Loads one product of the council with its prices; another council's id is simply not found.
pub(crate) async fn load_product(
    txn: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ProductRecord, StoreError> {
    let row = product::Entity::find_by_id(id)
        .filter(product::Column::TenantId.eq(tenant_id))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("product {id}")))?;
    let prices = price_version::Entity::find()
        .filter(price_version::Column::ProductId.eq(id))
        .filter(price_version::Column::TenantId.eq(tenant_id))
        .order_by_asc(price_version::Column::EffectiveFrom)
        .all(txn)
        .await?
        .into_iter()
        .map(PriceVersionRecord::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    ProductRecord::from_row(row, prices)
}
