//! GraphQL output and input types. They are the API's own: store records are converted here,
//! so the database schema can change without changing the API.

use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::{Locale, LocalizedText, Permission};
use civicpay_money::Money as DomainMoney;
use civicpay_store::{
    ApiKeyRecord, AuditRecord, PriceVersionRecord, ProductRecord, TenantRecord, UserRecord,
    ZoneRecord,
};
use std::sync::Arc;

pub(crate) fn request<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| ApiError::internal("request context missing"))
}

/// An amount of money: exact decimal in major units and the ISO 4217 currency.
pub struct Money(pub DomainMoney);

#[Object]
impl Money {
    /// The amount in major units as an exact decimal string, e.g. "795.00".
    async fn amount(&self) -> String {
        self.0.to_major_string()
    }
    /// ISO 4217 code, e.g. "DKK".
    async fn currency(&self) -> &str {
        self.0.currency().code()
    }
    /// The amount in minor units (øre, cents, grosze), as a string to keep 64-bit precision.
    async fn minor_units(&self) -> String {
        self.0.amount_minor().to_string()
    }
}

/// A text in one language.
#[derive(SimpleObject)]
pub struct LocalizedString {
    pub locale: String,
    pub text: String,
}

/// A text in one language, as input.
#[derive(InputObject)]
pub struct LocalizedStringInput {
    /// e.g. "da", "en", "nl".
    pub locale: String,
    pub text: String,
}

pub(crate) fn localized_strings(text: &LocalizedText) -> Vec<LocalizedString> {
    text.0
        .iter()
        .map(|(l, t)| LocalizedString {
            locale: l.to_string(),
            text: t.clone(),
        })
        .collect()
}

/// Parses localized input; `field` names the argument in error messages.
pub(crate) fn parse_localized(
    field: &str,
    items: Vec<LocalizedStringInput>,
    tenant: &TenantRecord,
) -> ApiResult<LocalizedText> {
    let mut text = LocalizedText::default();
    for (i, item) in items.into_iter().enumerate() {
        let locale = Locale::parse(&item.locale)
            .map_err(|e| ApiError::bad_input(format!("{field}[{i}].locale: {e}")))?;
        if !tenant.locales.contains(&locale) {
            return Err(ApiError::bad_input(format!(
                "{field}[{i}].locale: {locale} is not a language of this council ({})",
                tenant
                    .locales
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let value = item.text.trim().to_owned();
        if value.is_empty() {
            return Err(ApiError::bad_input(format!(
                "{field}[{i}].text: must not be empty"
            )));
        }
        text.0.insert(locale, value);
    }
    Ok(text)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::ProductKind")]
pub enum ProductKind {
    Permit,
    PermitCorrection,
    PeriodCard,
    ScratchTicket,
    Tag,
    Fee,
    Bill,
    Fine,
    Service,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::ProductStatus")]
pub enum ProductStatus {
    Active,
    Retired,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::Role")]
pub enum Role {
    VendorAdmin,
    TenantAdmin,
    Caseworker,
    Cashier,
    Finance,
    Enforcement,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::ApiScope")]
pub enum ApiScope {
    CatalogueRead,
    CatalogueWrite,
    Payments,
}

/// A council as the public sees it.
pub struct Tenant(pub Arc<TenantRecord>);

#[Object]
impl Tenant {
    async fn slug(&self) -> &str {
        self.0.slug.as_str()
    }
    /// The council's name in the request's language.
    async fn name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let req = request(ctx)?;
        Ok(self
            .0
            .name
            .get(&req.locale, &self.0.default_locale)
            .to_owned())
    }
    async fn names(&self) -> Vec<LocalizedString> {
        localized_strings(&self.0.name)
    }
    /// ISO 3166-1 alpha-2.
    async fn country(&self) -> &str {
        self.0.country.as_str()
    }
    /// ISO 4217.
    async fn currency(&self) -> &str {
        self.0.currency.code()
    }
    /// IANA time zone; business dates (price changes, permit validity) follow it.
    async fn timezone(&self) -> String {
        self.0.timezone.name().to_owned()
    }
    async fn default_locale(&self) -> String {
        self.0.default_locale.to_string()
    }
    async fn locales(&self) -> Vec<String> {
        self.0.locales.iter().map(ToString::to_string).collect()
    }
    async fn hosts(&self) -> &[String] {
        &self.0.hosts
    }
    /// Colours and logo for the council's pages.
    async fn branding(&self) -> Json<serde_json::Value> {
        Json(self.0.branding.clone())
    }
    async fn vat_codes(&self, ctx: &Context<'_>) -> ApiResult<Vec<VatCode>> {
        let req = request(ctx)?;
        Ok(self
            .0
            .vat_codes
            .iter()
            .map(|v| VatCode {
                code: v.code.clone(),
                rate_percent: format_basis_points(v.rate_basis_points),
                name: v.name.get(&req.locale, &self.0.default_locale).to_owned(),
            })
            .collect())
    }
    /// The council's business date today.
    async fn today(&self) -> NaiveDate {
        self.0.today(Utc::now())
    }
}

fn format_basis_points(bp: u32) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    if frac == 0 {
        whole.to_string()
    } else if frac % 10 == 0 {
        format!("{whole}.{}", frac / 10)
    } else {
        format!("{whole}.{frac:02}")
    }
}

#[derive(SimpleObject)]
pub struct VatCode {
    pub code: String,
    /// The rate in percent as an exact decimal, e.g. "25" or "5.5".
    pub rate_percent: String,
    pub name: String,
}

/// A council in the platform-wide list.
#[derive(SimpleObject)]
pub struct TenantSummary {
    pub slug: String,
    pub name: String,
    pub country: String,
    pub currency: String,
    pub locales: Vec<String>,
}

/// One price of a product from a date on.
pub struct PriceVersion {
    pub record: PriceVersionRecord,
    pub today: NaiveDate,
}

#[Object]
impl PriceVersion {
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    /// The first day (in the council's time zone) on which this price applies.
    async fn effective_from(&self) -> NaiveDate {
        self.record.effective_from
    }
    /// Gross price, VAT included.
    async fn price(&self) -> Money {
        Money(self.record.amount)
    }
    async fn vat_code(&self) -> &str {
        &self.record.vat_code
    }
    /// Whether the version has not yet taken effect (only future versions are not history).
    async fn is_future(&self) -> bool {
        self.record.effective_from > self.today
    }
}

pub struct Product {
    pub record: ProductRecord,
    pub tenant: Arc<TenantRecord>,
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    /// The council's item number.
    async fn sku(&self) -> &str {
        self.record.sku.as_str()
    }
    async fn kind(&self) -> ProductKind {
        self.record.kind.into()
    }
    async fn status(&self) -> ProductStatus {
        self.record.status.into()
    }
    /// The name in the request's language (falling back to the council's default).
    async fn name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let req = request(ctx)?;
        Ok(self
            .record
            .name
            .get(&req.locale, &self.tenant.default_locale)
            .to_owned())
    }
    async fn names(&self) -> Vec<LocalizedString> {
        localized_strings(&self.record.name)
    }
    async fn description(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let req = request(ctx)?;
        Ok(self
            .record
            .description
            .get(&req.locale, &self.tenant.default_locale)
            .to_owned())
    }
    async fn vat_code(&self) -> &str {
        &self.record.vat_code
    }
    async fn zone_code(&self) -> Option<&str> {
        self.record.zone_code.as_deref()
    }
    /// The key that maps this product's revenue to the council's ledger. Staff only.
    async fn ledger_key(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        request(ctx)?.require(Permission::ReadCatalogue)?;
        Ok(&self.record.ledger_key)
    }
    /// The price in force today (council time), or null if none has taken effect yet.
    async fn price(&self) -> Option<Money> {
        let today = self.tenant.today(Utc::now());
        self.record.price_on(today).map(|v| Money(v.amount))
    }
    /// Every price version, oldest first, including future ones.
    async fn prices(&self) -> Vec<PriceVersion> {
        let today = self.tenant.today(Utc::now());
        self.record
            .prices
            .iter()
            .map(|record| PriceVersion {
                record: record.clone(),
                today,
            })
            .collect()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }
}

pub struct Zone {
    pub record: ZoneRecord,
    pub tenant: Arc<TenantRecord>,
}

#[Object]
impl Zone {
    async fn code(&self) -> &str {
        &self.record.code
    }
    async fn name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let req = request(ctx)?;
        Ok(self
            .record
            .name
            .get(&req.locale, &self.tenant.default_locale)
            .to_owned())
    }
    async fn names(&self) -> Vec<LocalizedString> {
        localized_strings(&self.record.name)
    }
    /// The zone's outline as a GeoJSON geometry (Polygon or MultiPolygon, WGS 84).
    async fn geometry(&self) -> Json<serde_json::Value> {
        Json(self.record.geometry.clone())
    }
}

/// A staff member.
#[derive(SimpleObject)]
pub struct StaffUser {
    pub id: ID,
    pub email: String,
    pub role: Role,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<UserRecord> for StaffUser {
    fn from(u: UserRecord) -> Self {
        Self {
            id: ID(u.id.to_string()),
            email: u.email.to_string(),
            role: u.role.into(),
            locked_until: u.locked_until,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

/// The logged-in caller.
#[derive(SimpleObject)]
pub struct Me {
    pub user_id: ID,
    pub email: String,
    pub role: Role,
    /// The council the session belongs to; null for vendor staff.
    pub tenant_slug: Option<String>,
}

#[derive(SimpleObject)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The key's first characters, to tell keys apart; the key itself is never shown again.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(k: ApiKeyRecord) -> Self {
        Self {
            id: ID(k.id.to_string()),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.into_iter().map(Into::into).collect(),
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new API key: `key` is shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    /// Who: `{kind: staff|api_key|cli|system, …}`.
    pub actor: Json<serde_json::Value>,
    /// What, e.g. `product.update`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Json<serde_json::Value>>,
    pub after: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRecord> for AuditEntry {
    fn from(a: AuditRecord) -> Self {
        Self {
            id: ID(a.id.to_string()),
            actor: Json(a.actor),
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            before: a.before.map(Json),
            after: a.after.map(Json),
            created_at: a.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateProductInput {
    /// Item number, e.g. "P-RES-01" (A-Z, 0-9, '-', '_').
    pub sku: String,
    pub kind: ProductKind,
    pub names: Vec<LocalizedStringInput>,
    #[graphql(default)]
    pub descriptions: Vec<LocalizedStringInput>,
    pub ledger_key: String,
    pub vat_code: String,
    pub zone_code: Option<String>,
    /// The first price, gross, in major units ("795.00"), in the council's currency.
    pub price: String,
    /// When the first price applies; default today (council time).
    pub effective_from: Option<NaiveDate>,
}

#[derive(InputObject, Default)]
pub struct UpdateProductInput {
    pub names: Option<Vec<LocalizedStringInput>>,
    pub descriptions: Option<Vec<LocalizedStringInput>>,
    pub ledger_key: Option<String>,
    pub vat_code: Option<String>,
    /// A zone code; an empty string removes the zone.
    pub zone_code: Option<String>,
}

#[derive(InputObject)]
pub struct PriceVersionInput {
    /// Must be after today in the council's time zone.
    pub effective_from: NaiveDate,
    /// Gross, in major units ("850.00"), in the council's currency.
    pub price: String,
    /// Default: the product's VAT code.
    pub vat_code: Option<String>,
}

#[derive(InputObject)]
pub struct ZoneInput {
    pub code: String,
    pub names: Vec<LocalizedStringInput>,
    /// A GeoJSON Polygon or MultiPolygon geometry (WGS 84 longitude, latitude).
    pub geometry: Json<serde_json::Value>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub role: Role,
    /// At least 12 characters.
    pub password: String,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// What the key is for, e.g. "library system".
    pub name: String,
    pub scopes: Vec<ApiScope>,
}
