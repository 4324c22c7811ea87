//! # civicpay-web
//! The council's web shop, served at `/t/{slug}/` (and on the council's host names): the
//! catalogue, product pages with an eligibility pre-check, permit applications with a map of
//! the zones, a basket of permits, products and bills paid in one checkout, the return page
//! from the PSP, and the citizen's own permits, bills and payments with their PDFs. Pages are
//! rendered on the server with tera and translated with Fluent (`locales/`); every asset is
//! served by civicpay itself under a strict Content-Security-Policy, and every form carries a
//! CSRF token. It calls the same services as GraphQL (`civicpay_api::{permits, shop,
//! eligibility, citizen_login}`); it must not talk to the database or a PSP itself.

// A handler's early exit is the finished page; boxing every one would only add noise.
#![expect(
    clippy::result_large_err,
    reason = "Err carries the finished HttpResponse of an early exit"
)]

mod assets;
mod basket;
mod catalogue;
mod i18n;
mod login;
mod mine;
mod page;
mod paylink;

use actix_web::web;
use civicpay_api::ApiState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use i18n::{LANGUAGES, missing_translations, translate};

/// What every shop page needs: the services and the compiled templates.
pub struct Shop {
    pub api: ApiState,
    templates: tera::Tera,
    /// The councils' folders (logos).
    tenants_dir: PathBuf,
    /// Per council, the synthetic demo people and companies the development log-in offers;
    /// empty unless the development log-in is on.
    demo: HashMap<String, DemoRegister>,
}

/// A council's synthetic demo people and companies (from its file register), by number and
/// name, as the development log-in lists them.
#[derive(Default)]
struct DemoRegister {
    people: Vec<(String, String)>,
    companies: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
struct DemoPersonEntry {
    national_id: String,
    name: String,
}

#[derive(serde::Deserialize)]
struct DemoCompanyEntry {
    company_id: String,
    name: String,
}

/// `registry/{file}` of a council folder as a list of `T`; `None` when there is no such file
/// (a council on live registers) or it does not read (logged).
fn read_register<T: serde::de::DeserializeOwned>(council: &Path, file: &str) -> Option<Vec<T>> {
    let path = council.join("registry").join(file);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str(&text) {
        Ok(entries) => Some(entries),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "demo register not readable");
            None
        }
    }
}

/// The demo people and companies of every council folder with a file register
/// (`registry/people.json`, `registry/companies.json`).
fn load_demo_registers(tenants_dir: &Path) -> HashMap<String, DemoRegister> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(tenants_dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let council = entry.path();
        let people = read_register::<DemoPersonEntry>(&council, "people.json");
        let companies = read_register::<DemoCompanyEntry>(&council, "companies.json");
        if people.is_none() && companies.is_none() {
            continue;
        }
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            DemoRegister {
                people: people
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.national_id, p.name))
                    .collect(),
                companies: companies
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| (c.company_id, c.name))
                    .collect(),
            },
        );
    }
    out
}

impl Shop {
    /// Compiles the templates (embedded in the binary) once; reads the demo people and
    /// companies when the development log-in is on.
    pub fn new(api: ApiState, tenants_dir: &Path) -> Result<Arc<Self>, tera::Error> {
        let demo = if api.development_login {
            load_demo_registers(tenants_dir)
        } else {
            HashMap::new()
        };
        Ok(Arc::new(Shop {
            api,
            templates: page::templates()?,
            tenants_dir: tenants_dir.to_owned(),
            demo,
        }))
    }
}

/// The shop's routes. Register `web::Data<Shop>` (from [`Shop::new`]) with the app.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{file}", web::get().to(assets::asset))
        .route("/t/{slug}", web::get().to(catalogue::home))
        .route("/t/{slug}/", web::get().to(catalogue::home))
        .route("/t/{slug}/theme.css", web::get().to(assets::theme))
        .route("/t/{slug}/logo", web::get().to(assets::logo))
        .route("/t/{slug}/language", web::get().to(page::choose_language))
        .route(
            "/t/{slug}/products/{sku}",
            web::get().to(catalogue::product),
        )
        .route(
            "/t/{slug}/products/{sku}/apply",
            web::get().to(catalogue::apply_form),
        )
        .route(
            "/t/{slug}/products/{sku}/apply",
            web::post().to(catalogue::apply),
        )
        .route("/t/{slug}/zones.geojson", web::get().to(catalogue::zones))
        .route("/t/{slug}/pay/{id}", web::get().to(paylink::show))
        .route("/t/{slug}/pay/{id}", web::post().to(paylink::start))
        .route("/t/{slug}/basket", web::get().to(basket::show))
        .route("/t/{slug}/basket/add", web::post().to(basket::add))
        .route("/t/{slug}/basket/remove", web::post().to(basket::remove))
        .route("/t/{slug}/checkout", web::post().to(basket::checkout))
        .route(
            "/t/{slug}/payments/{id}/status",
            web::get().to(basket::status),
        )
        .route(
            "/t/{slug}/payments/{id}/status.json",
            web::get().to(basket::status_json),
        )
        .route(
            "/t/{slug}/payments/{id}/receipt.pdf",
            web::get().to(mine::receipt),
        )
        .route("/t/{slug}/my/permits", web::get().to(mine::permits))
        .route("/t/{slug}/my/permits/{id}", web::get().to(mine::permit))
        .route(
            "/t/{slug}/my/permits/{id}/renew",
            web::post().to(mine::renew),
        )
        .route(
            "/t/{slug}/my/permits/{id}/correct",
            web::post().to(mine::correct),
        )
        .route("/t/{slug}/my/bills", web::get().to(mine::bills))
        .route("/t/{slug}/my/payments", web::get().to(mine::payments))
        .route("/t/{slug}/login", web::get().to(login::page))
        .route(
            "/t/{slug}/login/development",
            web::post().to(login::development),
        )
        .route("/t/{slug}/login/eid", web::post().to(login::begin_eid))
        .route("/t/{slug}/login/callback", web::get().to(login::callback))
        .route("/t/{slug}/logout", web::post().to(login::logout));
}
