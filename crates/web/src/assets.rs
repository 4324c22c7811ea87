//! Every asset the shop uses, served by civicpay itself (the CSP allows no other origin):
//! the style sheet, the small script (live payment status, the zone map), the vendored map
//! library (Leaflet 1.9.4, BSD-2-Clause, `static/vendor/leaflet/`), each council's colours
//! and logo.

use crate::Shop;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "shop.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/shop.css"),
    ),
    (
        "shop.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/shop.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/vendor/leaflet/leaflet.css"),
    ),
];

pub(crate) async fn asset(path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("no asset {name:?}")),
    }
}

/// `#rgb` or `#rrggbb`, else `None` (nothing from a config file goes into CSS unchecked).
fn colour(raw: Option<&str>) -> Option<&str> {
    raw.filter(|c| {
        c.len() > 1
            && matches!(c.len(), 4 | 7)
            && c.starts_with('#')
            && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
    })
}

/// The council's colours as CSS custom properties (the style sheet uses them).
pub(crate) async fn theme(shop: web::Data<Shop>, path: web::Path<String>) -> HttpResponse {
    let slug = path.into_inner();
    let primary = match shop.api.store.tenant_by_slug(&slug).await {
        Ok(Some(t)) => colour(t.branding["primary_color"].as_str())
            .unwrap_or("#1d4f91")
            .to_owned(),
        _ => "#1d4f91".to_owned(),
    };
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(format!(":root{{--brand:{primary}}}\n"))
}

/// The council's logo from its folder (`branding.logo`, SVG or PNG).
pub(crate) async fn logo(shop: web::Data<Shop>, path: web::Path<String>) -> HttpResponse {
    let slug = path.into_inner();
    let file = match shop.api.store.tenant_by_slug(&slug).await {
        Ok(Some(t)) => t.branding["logo"].as_str().map(str::to_owned),
        _ => None,
    };
    let not_found = || HttpResponse::NotFound().body("no logo");
    let Some(file) = file.filter(|f| {
        !f.contains(['/', '\\'])
            && !f.starts_with('.')
            && (f.ends_with(".svg") || f.ends_with(".png"))
    }) else {
        return not_found();
    };
    let content_type = if file.ends_with(".svg") {
        "image/svg+xml"
    } else {
        "image/png"
    };
    match std::fs::read(shop.tenants_dir.join(&slug).join(&file)) {
        Ok(bytes) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            // An SVG is a document: no script in it runs, whatever it holds.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ))
            .body(bytes),
        Err(_) => not_found(),
    }
}
