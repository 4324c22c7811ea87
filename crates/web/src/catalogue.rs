//! The catalogue: the home page (every product sold in the shop, grouped, with its price
//! today), a product page (what it is, its price explained, an eligibility pre-check once
//! logged in), the application form with the map of the zones, and the application itself.

use crate::Shop;
use crate::page::{BASKET_LIMIT, Form, Page};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use civicpay_api::permits::{self, ApplyInput};
use civicpay_api::{ApiError, ErrorCode, eligibility, shop};
use civicpay_domain::pricing::Delivery;
use civicpay_domain::{PermitStatus, ProductKind, ProductStatus};
use civicpay_store::ProductRecord;
use serde::Serialize;

/// What the shop sells, in the order the home page shows it.
const SOLD: [ProductKind; 4] = [
    ProductKind::Permit,
    ProductKind::PeriodCard,
    ProductKind::ScratchTicket,
    ProductKind::Tag,
];

fn kind_key(kind: ProductKind) -> &'static str {
    match kind {
        ProductKind::Permit => "permit",
        ProductKind::PeriodCard => "period_card",
        ProductKind::ScratchTicket => "scratch_ticket",
        ProductKind::Tag => "tag",
        _ => "other",
    }
}

/// Period cards and scratch tickets can come by post; permits are checked by plate.
fn delivered(kind: ProductKind) -> bool {
    matches!(
        kind,
        ProductKind::PeriodCard | ProductKind::ScratchTicket | ProductKind::Tag
    )
}

#[derive(Serialize)]
struct ProductCard {
    sku: String,
    name: String,
    description: String,
    price: Option<String>,
    /// The price depends on the vehicle (an emission-class table).
    price_varies: bool,
}

#[derive(Serialize)]
struct ProductGroup {
    kind: &'static str,
    products: Vec<ProductCard>,
}

fn card(page: &Page, product: &ProductRecord, today: NaiveDate) -> ProductCard {
    let tenant = &page.tenant;
    let price_varies = page
        .shop
        .api
        .eligibility
        .council(tenant.slug.as_str())
        .is_some_and(|c| {
            c.pricing
                .emission_tables
                .iter()
                .any(|t| t.products.contains(&product.sku))
        });
    ProductCard {
        sku: product.sku.to_string(),
        name: product
            .name
            .get(&page.locale, &tenant.default_locale)
            .to_owned(),
        description: product
            .description
            .get(&page.locale, &tenant.default_locale)
            .to_owned(),
        price: product.price_on(today).map(|p| page.money(p.amount)),
        price_varies,
    }
}

async fn load(shop: web::Data<Shop>, req: HttpRequest, slug: &str) -> Result<Page, HttpResponse> {
    Page::load(shop, req, slug).await
}

/// The council's shop: its catalogue, grouped, with prices.
pub(crate) async fn home(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut page = match load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let products = match page.scope().products(false).await {
        Ok(p) => p,
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    let today = page.tenant.today(Utc::now());
    let groups: Vec<ProductGroup> = SOLD
        .iter()
        .map(|kind| ProductGroup {
            kind: kind_key(*kind),
            products: products
                .iter()
                .filter(|p| p.kind == *kind && p.status == ProductStatus::Active)
                .map(|p| card(&page, p, today))
                .collect(),
        })
        .filter(|g| !g.products.is_empty())
        .collect();
    let title = page.t("home-title");
    page.render(StatusCode::OK, "home.html", &title, |ctx| {
        ctx.insert("groups", &groups);
    })
}

async fn sold_product(page: &Page, sku: &str) -> Result<ProductRecord, HttpResponse> {
    let not_found = || page.api_error(&ApiError::not_found(format!("product {sku}")));
    let Ok(parsed) = civicpay_domain::Sku::parse(sku) else {
        return Err(not_found());
    };
    match page.scope().product_by_sku(&parsed).await {
        Ok(Some(p)) if SOLD.contains(&p.kind) && p.status == ProductStatus::Active => Ok(p),
        Ok(_) => Err(not_found()),
        Err(e) => Err(page.api_error(&ApiError::from(e))),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct CheckQuery {
    check: Option<String>,
    plate: Option<String>,
}

#[derive(Serialize)]
struct RuleLine {
    passed: bool,
    message: String,
}

#[derive(Serialize, Default)]
struct PreCheck {
    /// `approved`, `needs_review`, `rejected` or `unavailable`.
    decision: String,
    failed: Vec<RuleLine>,
    passed: Vec<RuleLine>,
    /// The zone of the registered address, and the council's product for it when this one is
    /// for another zone.
    address_zone: Option<String>,
    zone_product: Option<(String, String)>,
    problem: Option<String>,
}

/// What it is, its price explained, and once logged in whether the citizen may have it.
pub(crate) async fn product(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<CheckQuery>,
) -> HttpResponse {
    let (slug, sku) = path.into_inner();
    let mut page = match load(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let product = match sold_product(&page, &sku).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let today = page.tenant.today(Utc::now());
    let card = card(&page, &product, today);
    let council = page.shop.api.eligibility.council(page.tenant.slug.as_str());
    // The price explained: the emission classes' prices where the council has a table, and
    // the registered-letter fee where it applies to this kind of product.
    let mut classes: Vec<(String, String)> = Vec::new();
    let mut letter: Option<(String, String)> = None;
    if let Some(council) = council {
        if let Some(table) = council
            .pricing
            .emission_tables
            .iter()
            .filter(|t| t.products.contains(&product.sku) && t.effective_from <= today)
            .max_by_key(|t| t.effective_from)
        {
            for (class, price) in &table.prices {
                classes.push((page.t(&format!("fuel-{class}")), page.money(*price)));
            }
        }
        if let Some(rule) = &council.pricing.registered_letter
            && rule.kinds.contains(&product.kind)
            && let Ok(Some(fee)) = page.scope().product_by_sku(&rule.fee_sku).await
            && let Some(price) = fee.price_on(today)
        {
            letter = Some((page.money(rule.above), page.money(price.amount)));
        }
    }
    let letter_fee = letter;
    let mut check = None;
    if page.citizen().is_some() && query.check.is_some() {
        check = Some(pre_check(&page, &product, query.plate.as_deref()).await);
    }
    let title = card.name.clone();
    let plate = query.plate.clone().unwrap_or_default();
    let needs_plate = product.kind == ProductKind::Permit;
    page.render(StatusCode::OK, "product.html", &title, |ctx| {
        ctx.insert("product", &card);
        ctx.insert("classes", &classes);
        ctx.insert("letter_fee", &letter_fee);
        ctx.insert("check", &check);
        ctx.insert("plate", &plate);
        ctx.insert("needs_plate", &needs_plate);
        ctx.insert("zone", &product.zone_code);
    })
}

/// The citizen's eligibility for `product`, every rule with its reason in their language.
async fn pre_check(page: &Page, product: &ProductRecord, plate: Option<&str>) -> PreCheck {
    let context = page.context();
    let scope = page.scope();
    let (session, id) = match shop::citizen(&context) {
        Ok(found) => found,
        Err(e) => {
            return PreCheck {
                decision: "unavailable".into(),
                problem: Some(e.message),
                ..PreCheck::default()
            };
        }
    };
    let plate = plate.map(str::trim).filter(|p| !p.is_empty());
    let result = eligibility::check_eligibility(
        &context,
        &scope,
        &shop::who(session),
        product.sku.as_str(),
        id.expose_digits(),
        plate,
        "citizen's own eligibility check (shop)",
        shop::acting_company_id(session),
    )
    .await;
    match result {
        Ok(check) => {
            let decision = match check.evaluation.decision {
                civicpay_rules::Decision::Approved => "approved",
                civicpay_rules::Decision::NeedsReview => "needs_review",
                civicpay_rules::Decision::Rejected => "rejected",
            };
            let address_zone = Some(check.facts.address.zone.clone()).filter(|z| !z.is_empty());
            let mut zone_product = None;
            if let (Some(zone), Some(own)) = (&address_zone, &product.zone_code)
                && zone != own
                && let Ok(all) = scope.products(false).await
                && let Some(p) = all.iter().find(|p| {
                    p.kind == product.kind && p.zone_code.as_deref() == Some(zone.as_str())
                })
            {
                zone_product = Some((
                    p.sku.to_string(),
                    p.name
                        .get(&page.locale, &page.tenant.default_locale)
                        .to_owned(),
                ));
            }
            let (passed, failed): (Vec<_>, Vec<_>) = check
                .evaluation
                .results
                .into_iter()
                .map(|r| RuleLine {
                    passed: r.passed,
                    message: r.message,
                })
                .partition(|r| r.passed);
            PreCheck {
                decision: decision.into(),
                failed,
                passed,
                address_zone,
                zone_product,
                problem: None,
            }
        }
        Err(e) => PreCheck {
            decision: "unavailable".into(),
            problem: Some(if eligibility::is_register_unavailable(&e) {
                page.t("check-register-down")
            } else {
                e.message
            }),
            ..PreCheck::default()
        },
    }
}

#[derive(Serialize, Default)]
struct ApplyForm {
    plate: String,
    starts_on: String,
    delivery: String,
    plate_error: Option<String>,
    starts_on_error: Option<String>,
    error: Option<String>,
}

fn render_apply(
    page: &mut Page,
    product: &ProductRecord,
    form: &ApplyForm,
    status: StatusCode,
) -> HttpResponse {
    let today = page.tenant.today(Utc::now());
    let card = card(page, product, today);
    let title = page.t_with("apply-title", &[("product", &card.name)]);
    let needs_plate = product.kind == ProductKind::Permit;
    let with_delivery = delivered(product.kind);
    let min_date = today.to_string();
    page.render(status, "apply.html", &title, |ctx| {
        ctx.insert("product", &card);
        ctx.insert("form", form);
        ctx.insert("needs_plate", &needs_plate);
        ctx.insert("with_delivery", &with_delivery);
        ctx.insert("min_date", &min_date);
        ctx.insert("zone", &product.zone_code);
    })
}

/// The application form: vehicle, first day, delivery; the zones on a map.
pub(crate) async fn apply_form(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, sku) = path.into_inner();
    let mut page = match load(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if page.citizen().is_none() {
        return page.login_redirect();
    }
    let product = match sold_product(&page, &sku).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = ApplyForm {
        starts_on: page.tenant.today(Utc::now()).to_string(),
        delivery: "pickup".into(),
        ..ApplyForm::default()
    };
    render_apply(&mut page, &product, &form, StatusCode::OK)
}

/// Applies: the council's rules decide at once. A bill goes to the basket; a refusal says why
/// in the citizen's language; a bad field is marked on the form.
pub(crate) async fn apply(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, sku) = path.into_inner();
    let form = Form(form.into_inner());
    let mut page = match Page::load_citizen_form(shop, req, &slug, &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let product = match sold_product(&page, &sku).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let today = page.tenant.today(Utc::now());
    let mut entered = ApplyForm {
        plate: form.get("plate").unwrap_or_default().to_owned(),
        starts_on: form.get("starts_on").unwrap_or_default().to_owned(),
        delivery: form.get("delivery").unwrap_or("pickup").to_owned(),
        ..ApplyForm::default()
    };
    let needs_plate = product.kind == ProductKind::Permit;
    if needs_plate && entered.plate.is_empty() {
        entered.plate_error = Some(page.t("apply-plate-missing"));
    } else if !entered.plate.is_empty()
        && let Err(e) = civicpay_registries::Plate::parse(&entered.plate)
    {
        entered.plate_error =
            Some(page.t_with("apply-plate-invalid", &[("detail", &e.to_string())]));
    }
    let starts_on = if entered.starts_on.is_empty() {
        Some(today)
    } else {
        match NaiveDate::parse_from_str(&entered.starts_on, "%Y-%m-%d") {
            Ok(d) if d >= today => Some(d),
            Ok(_) => {
                entered.starts_on_error = Some(page.t("apply-start-past"));
                None
            }
            Err(_) => {
                entered.starts_on_error = Some(page.t("apply-start-invalid"));
                None
            }
        }
    };
    if entered.plate_error.is_some() || entered.starts_on_error.is_some() {
        return render_apply(
            &mut page,
            &product,
            &entered,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let delivery = match entered.delivery.as_str() {
        "post" if delivered(product.kind) => Some(Delivery::Post),
        _ if delivered(product.kind) => Some(Delivery::Pickup),
        _ => None,
    };
    if page.basket.len() >= BASKET_LIMIT {
        entered.error = Some(page.t("basket-full"));
        return render_apply(&mut page, &product, &entered, StatusCode::CONFLICT);
    }
    let context = page.context();
    let scope = page.scope();
    let applied = match shop::citizen(&context) {
        Ok((session, id)) => {
            permits::apply_for_permit(
                &context,
                &scope,
                &shop::who(session),
                ApplyInput {
                    sku: product.sku.as_str(),
                    national_id: id.expose_digits(),
                    plate: Some(entered.plate.as_str()).filter(|p| !p.is_empty()),
                    purpose: "citizen's own application (shop)",
                    delivery,
                    starts_on,
                    manual_reason: None,
                    company_id: shop::acting_company_id(session),
                },
                &context.caller.actor(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let applied = match applied {
        Ok(a) => a,
        Err(e) if e.code == ErrorCode::BadUserInput && e.message.contains("plate") => {
            entered.plate_error = Some(e.message);
            return render_apply(
                &mut page,
                &product,
                &entered,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) if e.code == ErrorCode::Unauthenticated => return page.login_redirect(),
        Err(e) => {
            entered.error = Some(if eligibility::is_register_unavailable(&e) {
                page.t("check-register-down")
            } else {
                e.message
            });
            return render_apply(&mut page, &product, &entered, StatusCode::CONFLICT);
        }
    };
    let permit = &applied.permit;
    if let Some(bill) = permit.payment_request_id {
        page.add_to_basket(bill);
    }
    let failed: Vec<String> = applied
        .check
        .as_ref()
        .map(|c| c.evaluation.failures().map(|r| r.message.clone()).collect())
        .unwrap_or_default();
    let outcome = match permit.status {
        PermitStatus::Rejected => "rejected",
        PermitStatus::WaitingReview => "review",
        PermitStatus::Active => "active",
        _ => "to_pay",
    };
    if outcome == "to_pay" {
        let to = format!("{}/basket?added={}", page.base(), permit.id.simple());
        return page.redirect(&to);
    }
    let card = card(&page, &product, today);
    let title = page.t(&format!("applied-{outcome}-title"));
    let status = if outcome == "rejected" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let permit_id = permit.id.to_string();
    page.render(status, "applied.html", &title, |ctx| {
        ctx.insert("product", &card);
        ctx.insert("outcome", outcome);
        ctx.insert("failed", &failed);
        ctx.insert("permit_id", &permit_id);
    })
}

#[derive(serde::Deserialize)]
pub(crate) struct ZoneQuery {
    zone: Option<String>,
}

/// The council's zones as GeoJSON for the map (all, or the one `zone`).
pub(crate) async fn zones(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ZoneQuery>,
) -> HttpResponse {
    let page = match load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let zones = match page.scope().zones().await {
        Ok(z) => z,
        Err(e) => return page.api_error(&ApiError::from(e)),
    };
    let features: Vec<serde_json::Value> = zones
        .iter()
        .filter(|z| z.status == "active")
        .filter(|z| query.zone.as_deref().is_none_or(|wanted| wanted == z.code))
        .map(|z| {
            serde_json::json!({
                "type": "Feature",
                "properties": {
                    "code": z.code,
                    "name": z.name.get(&page.locale, &page.tenant.default_locale),
                },
                "geometry": z.geometry,
            })
        })
        .collect();
    HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .json(serde_json::json!({ "type": "FeatureCollection", "features": features }))
}
