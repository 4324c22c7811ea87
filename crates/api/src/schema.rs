//! The schema: queries and mutations. Resolvers are thin: parse input into domain values, check
//! the caller, call the scope or a service, convert the result.

use crate::context::Caller;
use crate::error::{ApiError, ApiResult};
use crate::schema_citizen::{CitizenMutation, CitizenQuery};
use crate::schema_eligibility::EligibilityQuery;
use crate::schema_payments::{PaymentMutation, PaymentQuery};
use crate::schema_permits::{PermitMutation, PermitQuery};
use crate::schema_rematch::{RematchMutation, RematchQuery};
use crate::service;
use crate::types::*;
use async_graphql::{Context, EmptySubscription, ID, MergedObject, Object, Schema};
use chrono::Utc;
use civicpay_domain::{Permission, Sku, ZoneCode};
use civicpay_money::Money as DomainMoney;
use civicpay_store::{NewProduct, ProductPatch, ZoneInput as StoreZoneInput};
use secrecy::SecretString;
use uuid::Uuid;

pub type CivicpaySchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Every query, merged from the capabilities.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    CatalogueQuery,
    PaymentQuery,
    EligibilityQuery,
    PermitQuery,
    RematchQuery,
    CitizenQuery,
);

/// Every mutation, merged from the capabilities.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    CatalogueMutation,
    PaymentMutation,
    PermitMutation,
    RematchMutation,
    CitizenMutation,
);

/// Builds the schema with its safety limits: a query deeper than 12 or costing more than 1000
/// is refused before it runs.
pub fn build_schema() -> CivicpaySchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(12)
    .limit_complexity(1000)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

fn parse_id(field: &str, id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| ApiError::bad_input(format!("{field}: {:?} is not a valid id", id.as_str())))
}

fn parse_price(
    field: &str,
    text: &str,
    tenant: &civicpay_store::TenantRecord,
) -> ApiResult<DomainMoney> {
    DomainMoney::parse_major(text.trim(), tenant.currency)
        .map_err(|e| ApiError::bad_input(format!("{field}: {e}")))
}

#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The council of this endpoint (`/t/{slug}/graphql` or its host name).
    async fn tenant(&self, ctx: &Context<'_>) -> ApiResult<Tenant> {
        Ok(Tenant(request(ctx)?.tenant()?.clone()))
    }

    /// Every council on the platform.
    async fn tenants(&self, ctx: &Context<'_>) -> ApiResult<Vec<TenantSummary>> {
        let req = request(ctx)?;
        let all = req.state.store.tenants().await?;
        Ok(all
            .iter()
            .map(|t| TenantSummary {
                slug: t.slug.to_string(),
                name: t.name.get(&req.locale, &t.default_locale).to_owned(),
                country: t.country.to_string(),
                currency: t.currency.code().to_owned(),
                locales: t.locales.iter().map(ToString::to_string).collect(),
            })
            .collect())
    }

    /// The council's catalogue, by SKU. Retired products only for staff (`includeRetired`).
    async fn products(
        &self,
        ctx: &Context<'_>,
        kind: Option<ProductKind>,
        #[graphql(default)] include_retired: bool,
    ) -> ApiResult<Vec<Product>> {
        let req = request(ctx)?;
        if include_retired {
            req.require(Permission::ReadCatalogue)?;
        }
        let tenant = req.tenant()?.clone();
        let kind: Option<civicpay_domain::ProductKind> = kind.map(Into::into);
        let records = req.scope()?.products(include_retired).await?;
        Ok(records
            .into_iter()
            .filter(|p| kind.is_none_or(|k| p.kind == k))
            .map(|record| Product {
                record,
                tenant: tenant.clone(),
            })
            .collect())
    }

    /// One product by id or by SKU. A retired product is visible to staff only.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        sku: Option<String>,
    ) -> ApiResult<Product> {
        let req = request(ctx)?;
        let scope = req.scope()?;
        let record = match (id, sku) {
            (Some(id), None) => scope.product(parse_id("id", &id)?).await?,
            (None, Some(sku)) => {
                let sku = Sku::parse(&sku).map_err(|e| ApiError::bad_input(format!("sku: {e}")))?;
                scope
                    .product_by_sku(&sku)
                    .await?
                    .ok_or_else(|| ApiError::not_found(format!("product {sku} not found")))?
            }
            _ => return Err(ApiError::bad_input("give exactly one of id or sku")),
        };
        if record.status == civicpay_domain::ProductStatus::Retired
            && !req.caller.allows(Permission::ReadCatalogue)
        {
            return Err(ApiError::not_found(format!(
                "product {} not found",
                record.sku
            )));
        }
        Ok(Product {
            record,
            tenant: req.tenant()?.clone(),
        })
    }

    /// The council's zones with their outlines.
    async fn zones(&self, ctx: &Context<'_>) -> ApiResult<Vec<Zone>> {
        let req = request(ctx)?;
        let tenant = req.tenant()?.clone();
        Ok(req
            .scope()?
            .zones()
            .await?
            .into_iter()
            .map(|record| Zone {
                record,
                tenant: tenant.clone(),
            })
            .collect())
    }

    /// The logged-in staff member, or null.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Option<Me>> {
        let req = request(ctx)?;
        Ok(match &req.caller {
            Caller::Staff { session, .. } => Some(Me {
                user_id: ID(session.user_id.to_string()),
                email: session.email.clone(),
                role: session.role.into(),
                tenant_slug: req.tenant.as_ref().map(|t| t.slug.to_string()),
            }),
            _ => None,
        })
    }

    /// The council's staff. Tenant administrators only.
    async fn users(&self, ctx: &Context<'_>) -> ApiResult<Vec<StaffUser>> {
        let req = request(ctx)?;
        req.require(Permission::ManageStaff)?;
        Ok(req
            .scope()?
            .users()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The council's API keys (never the keys themselves). Tenant administrators only.
    async fn api_keys(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiKey>> {
        let req = request(ctx)?;
        req.require(Permission::ManageApiKeys)?;
        Ok(req
            .scope()?
            .api_keys()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The newest changes to the council's configuration, newest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] limit: u32,
    ) -> ApiResult<Vec<AuditEntry>> {
        let req = request(ctx)?;
        req.require(Permission::ReadAuditLog)?;
        if !(1..=500).contains(&limit) {
            return Err(ApiError::bad_input("limit: must be 1 to 500"));
        }
        Ok(req
            .scope()?
            .audit_log(u64::from(limit))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Logs a staff member in and sets the session cookie. On `/t/{slug}/graphql` for the
    /// council's staff; on `/graphql` for the vendor's.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> ApiResult<Me> {
        let req = request(ctx)?;
        let password = SecretString::from(password);
        let session =
            service::authenticate(&req.state.store, req.tenant.as_ref(), &email, &password).await?;
        let me = Me {
            user_id: ID(session.user_id.to_string()),
            email: session.email.clone(),
            role: session.role.into(),
            tenant_slug: req.tenant.as_ref().map(|t| t.slug.to_string()),
        };
        let token = req
            .state
            .sessions
            .create(civicpay_auth::Session::Staff(session))
            .await
            .map_err(ApiError::internal)?;
        ctx.append_http_header(
            "set-cookie",
            session_cookie(&token, req.state.secure_cookies, false),
        );
        Ok(me)
    }

    /// Ends the session and clears the cookie.
    async fn logout(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let req = request(ctx)?;
        if let Caller::Staff { token, .. } | Caller::Citizen { token, .. } = &req.caller {
            req.state
                .sessions
                .delete(token)
                .await
                .map_err(ApiError::internal)?;
        }
        ctx.append_http_header(
            "set-cookie",
            session_cookie("", req.state.secure_cookies, true),
        );
        Ok(true)
    }

    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> ApiResult<Product> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let tenant = req.tenant()?.clone();
        let today = tenant.today(Utc::now());
        let names = parse_localized("names", input.names, &tenant)?;
        if names.is_empty() {
            return Err(ApiError::bad_input(
                "names: give at least the council's default language",
            ));
        }
        let new = NewProduct {
            sku: Sku::parse(&input.sku).map_err(|e| ApiError::bad_input(format!("sku: {e}")))?,
            kind: input.kind.into(),
            name: names,
            description: parse_localized("descriptions", input.descriptions, &tenant)?,
            ledger_key: non_empty("ledgerKey", input.ledger_key)?,
            vat_code: input.vat_code.clone(),
            zone_code: input
                .zone_code
                .map(|z| {
                    ZoneCode::parse(&z).map_err(|e| ApiError::bad_input(format!("zoneCode: {e}")))
                })
                .transpose()?,
            first_price: civicpay_domain::PriceVersion {
                effective_from: input.effective_from.unwrap_or(today),
                amount: parse_price("price", &input.price, &tenant)?,
                vat_code: input.vat_code,
            },
        };
        let record = req
            .scope()?
            .create_product(new, today, &req.caller.actor())
            .await?;
        Ok(Product { record, tenant })
    }

    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> ApiResult<Product> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let tenant = req.tenant()?.clone();
        let patch = ProductPatch {
            name: input
                .names
                .map(|n| parse_localized("names", n, &tenant))
                .transpose()?,
            description: input
                .descriptions
                .map(|d| parse_localized("descriptions", d, &tenant))
                .transpose()?,
            ledger_key: input
                .ledger_key
                .map(|k| non_empty("ledgerKey", k))
                .transpose()?,
            vat_code: input.vat_code,
            zone_code: input
                .zone_code
                .map(|z| {
                    if z.is_empty() {
                        Ok(None)
                    } else {
                        ZoneCode::parse(&z)
                            .map(Some)
                            .map_err(|e| ApiError::bad_input(format!("zoneCode: {e}")))
                    }
                })
                .transpose()?,
        };
        let record = req
            .scope()?
            .update_product(parse_id("id", &id)?, patch, &req.caller.actor())
            .await?;
        Ok(Product { record, tenant })
    }

    /// Takes a product off sale; it stays for history.
    async fn retire_product(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Product> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let record = req
            .scope()?
            .retire_product(parse_id("id", &id)?, &req.caller.actor())
            .await?;
        Ok(Product {
            record,
            tenant: req.tenant()?.clone(),
        })
    }

    /// Adds a price that takes effect on a future date. Prices in force are immutable.
    async fn add_price_version(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: PriceVersionInput,
    ) -> ApiResult<Product> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let tenant = req.tenant()?.clone();
        let scope = req.scope()?;
        let product_id = parse_id("productId", &product_id)?;
        let vat_code = match input.vat_code {
            Some(code) => code,
            None => scope.product(product_id).await?.vat_code,
        };
        let version = civicpay_domain::PriceVersion {
            effective_from: input.effective_from,
            amount: parse_price("input.price", &input.price, &tenant)?,
            vat_code,
        };
        let record = scope
            .add_price_version(
                product_id,
                version,
                tenant.today(Utc::now()),
                &req.caller.actor(),
            )
            .await?;
        Ok(Product { record, tenant })
    }

    /// Creates a zone or replaces its names and outline.
    async fn upsert_zone(&self, ctx: &Context<'_>, input: ZoneInput) -> ApiResult<Zone> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let tenant = req.tenant()?.clone();
        let geometry = input.geometry.0;
        civicpay_tenant_config::validate_geometry(&geometry)
            .map_err(|e| ApiError::bad_input(format!("input.geometry: {e}")))?;
        let zone = StoreZoneInput {
            code: ZoneCode::parse(&input.code)
                .map_err(|e| ApiError::bad_input(format!("input.code: {e}")))?,
            name: parse_localized("input.names", input.names, &tenant)?,
            geometry,
        };
        let record = req.scope()?.upsert_zone(zone, &req.caller.actor()).await?;
        Ok(Zone { record, tenant })
    }

    /// Retires a zone no active product uses.
    async fn retire_zone(&self, ctx: &Context<'_>, code: String) -> ApiResult<bool> {
        let req = request(ctx)?;
        req.require(Permission::ManageCatalogue)?;
        let code = ZoneCode::parse(&code).map_err(|e| ApiError::bad_input(format!("code: {e}")))?;
        req.scope()?.retire_zone(&code, &req.caller.actor()).await?;
        Ok(true)
    }

    /// Adds a staff member to the council. Tenant administrators only.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> ApiResult<StaffUser> {
        let req = request(ctx)?;
        req.require(Permission::ManageStaff)?;
        let role: civicpay_domain::Role = input.role.into();
        if role.is_platform_wide() {
            return Err(ApiError::forbidden(
                "vendor_admin users are created by the vendor",
            ));
        }
        let user = service::create_staff_user(
            &req.state.store,
            Some(req.tenant()?.clone()),
            &input.email,
            role,
            &SecretString::from(input.password),
            &req.caller.actor(),
        )
        .await?;
        Ok(user.into())
    }

    /// Creates an API key for a council system; the key is in the answer this once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> ApiResult<CreatedApiKey> {
        let req = request(ctx)?;
        req.require(Permission::ManageApiKeys)?;
        let scopes = input.scopes.into_iter().map(Into::into).collect();
        let (key, record) =
            service::create_api_key(&req.scope()?, &input.name, scopes, &req.caller.actor())
                .await?;
        Ok(CreatedApiKey {
            key,
            api_key: record.into(),
        })
    }

    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ApiKey> {
        let req = request(ctx)?;
        req.require(Permission::ManageApiKeys)?;
        Ok(req
            .scope()?
            .revoke_api_key(parse_id("id", &id)?, &req.caller.actor())
            .await?
            .into())
    }
}

fn non_empty(field: &str, value: String) -> ApiResult<String> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        Err(ApiError::bad_input(format!("{field}: must not be empty")))
    } else {
        Ok(value)
    }
}

/// The session cookie: HttpOnly so scripts cannot read it, SameSite=Lax against cross-site
/// posts, Secure when served over TLS.
pub fn session_cookie(token: &str, secure: bool, clear: bool) -> String {
    let mut cookie = format!("civicpay_session={token}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        cookie.push_str("; Secure");
    }
    if clear {
        cookie.push_str("; Max-Age=0");
    }
    cookie
}
