//! What the store hands out: plain records built from rows, with parsed domain values.

use crate::entity;
use crate::error::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::{
    ApiScope, CountryCode, Email, Locale, LocalizedText, ProductKind, ProductStatus, Role, Sku,
    TenantSlug,
};
use civicpay_money::{Currency, Money};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCodeRecord {
    pub code: String,
    /// Rate in basis points: 25 % is 2500.
    pub rate_basis_points: u32,
    pub name: LocalizedText,
}

#[derive(Debug, Clone)]
pub struct TenantRecord {
    pub id: Uuid,
    pub slug: TenantSlug,
    pub name: LocalizedText,
    pub country: CountryCode,
    pub currency: Currency,
    pub timezone: chrono_tz::Tz,
    pub default_locale: Locale,
    pub locales: Vec<Locale>,
    pub hosts: Vec<String>,
    pub branding: serde_json::Value,
    pub payment: serde_json::Value,
    pub vat_codes: Vec<VatCodeRecord>,
    pub config_digest: String,
}

impl TenantRecord {
    /// The council's business date at `now`: permits, prices and day closes follow the
    /// council's own calendar, not UTC.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone).date_naive()
    }

    pub fn display_name(&self, locale: &Locale) -> &str {
        self.name.get(locale, &self.default_locale)
    }

    pub(crate) fn from_row(
        row: entity::tenant::Model,
        hosts: Vec<String>,
    ) -> Result<Self, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::corrupt(format!("tenant {}: {what}: {e}", row.slug))
        };
        Ok(Self {
            id: row.id,
            slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt("slug", &e))?,
            name: serde_json::from_value(row.name.clone()).map_err(|e| corrupt("name", &e))?,
            country: CountryCode::parse(&row.country).map_err(|e| corrupt("country", &e))?,
            currency: Currency::parse(&row.currency).map_err(|e| corrupt("currency", &e))?,
            timezone: row.timezone.parse().map_err(|e| corrupt("timezone", &e))?,
            default_locale: Locale::parse(&row.default_locale)
                .map_err(|e| corrupt("default_locale", &e))?,
            locales: serde_json::from_value(row.locales.clone())
                .map_err(|e| corrupt("locales", &e))?,
            hosts,
            branding: row.branding.clone(),
            payment: row.payment.clone(),
            vat_codes: serde_json::from_value(row.vat_codes.clone())
                .map_err(|e| corrupt("vat_codes", &e))?,
            config_digest: row.config_digest,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceVersionRecord {
    pub id: Uuid,
    pub effective_from: NaiveDate,
    pub amount: Money,
    pub vat_code: String,
    pub created_at: DateTime<Utc>,
}

impl PriceVersionRecord {
    pub(crate) fn from_row(row: entity::price_version::Model) -> Result<Self, StoreError> {
        let currency = Currency::parse(&row.currency).map_err(StoreError::corrupt)?;
        Ok(Self {
            id: row.id,
            effective_from: row.effective_from,
            amount: Money::new(row.amount_minor, currency),
            vat_code: row.vat_code,
            created_at: row.created_at,
        })
    }

    pub fn as_domain(&self) -> civicpay_domain::PriceVersion {
        civicpay_domain::PriceVersion {
            effective_from: self.effective_from,
            amount: self.amount,
            vat_code: self.vat_code.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRecord {
    pub id: Uuid,
    pub sku: Sku,
    pub kind: ProductKind,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub ledger_key: String,
    pub vat_code: String,
    pub zone_code: Option<String>,
    pub status: ProductStatus,
    /// Every price version, oldest first.
    pub prices: Vec<PriceVersionRecord>,
    pub updated_at: DateTime<Utc>,
}

impl ProductRecord {
    pub(crate) fn from_row(
        row: entity::product::Model,
        prices: Vec<PriceVersionRecord>,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            sku: Sku::parse(&row.sku).map_err(StoreError::corrupt)?,
            kind: ProductKind::parse(&row.kind).map_err(StoreError::corrupt)?,
            name: serde_json::from_value(row.name).map_err(StoreError::corrupt)?,
            description: serde_json::from_value(row.description).map_err(StoreError::corrupt)?,
            ledger_key: row.ledger_key,
            vat_code: row.vat_code,
            zone_code: row.zone_code,
            status: ProductStatus::parse(&row.status).map_err(StoreError::corrupt)?,
            prices,
            updated_at: row.updated_at,
        })
    }

    /// The price in force on `date` in the council's calendar.
    pub fn price_on(&self, date: NaiveDate) -> Option<&PriceVersionRecord> {
        self.prices
            .iter()
            .filter(|v| v.effective_from <= date)
            .max_by_key(|v| v.effective_from)
    }

    /// A view for audit entries: the fields a reviewer needs, without timestamps.
    pub(crate) fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "sku": self.sku,
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "ledger_key": self.ledger_key,
            "vat_code": self.vat_code,
            "zone_code": self.zone_code,
            "status": self.status,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneRecord {
    pub id: Uuid,
    pub code: String,
    pub name: LocalizedText,
    pub geometry: serde_json::Value,
    pub status: String,
}

impl ZoneRecord {
    pub(crate) fn from_row(row: entity::zone::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            code: row.code,
            name: serde_json::from_value(row.name).map_err(StoreError::corrupt)?,
            geometry: row.geometry,
            status: row.status,
        })
    }
}

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub email: Email,
    pub role: Role,
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    pub(crate) fn from_row(row: entity::user::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            email: Email::parse(&row.email).map_err(StoreError::corrupt)?,
            role: Role::parse(&row.role).map_err(StoreError::corrupt)?,
            password_hash: row.password_hash,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until,
            disabled: row.disabled,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The first characters of the key, shown in lists so staff can tell keys apart.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub(crate) fn from_row(row: entity::api_key::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            prefix: row.prefix,
            scopes: serde_json::from_value(row.scopes).map_err(StoreError::corrupt)?,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub actor: serde_json::Value,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::audit_entry::Model> for AuditRecord {
    fn from(row: entity::audit_entry::Model) -> Self {
        Self {
            id: row.id,
            tenant_id: row.tenant_id,
            actor: row.actor,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            before: row.before,
            after: row.after,
            created_at: row.created_at,
        }
    }
}
