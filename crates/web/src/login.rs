//! Logging in to the shop: the national eID (OpenID Connect, per council `login.toml`) and,
//! on the embedded default only, the development log-in that picks one of the council's
//! synthetic demo people (or a person acting for one of its demo companies). Both end in the
//! same citizen session cookie; logging out ends it.

use crate::Shop;
use crate::page::{Form, Page, SESSION_COOKIE};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use civicpay_api::citizen_login;
use serde::Serialize;

#[derive(serde::Deserialize)]
pub(crate) struct BackQuery {
    back: Option<String>,
}

/// A demo person or company as the log-in page lists them: the number and the name.
#[derive(Serialize)]
struct DemoEntry {
    id: String,
    name: String,
}

fn demo_entries(list: &[(String, String)]) -> Vec<DemoEntry> {
    list.iter()
        .map(|(id, name)| DemoEntry {
            id: id.clone(),
            name: name.clone(),
        })
        .collect()
}

fn back_of(page: &Page, raw: Option<&str>) -> String {
    citizen_login::safe_return_to(page.tenant.slug.as_str(), raw)
        .unwrap_or_else(|| citizen_login::default_return_to(page.tenant.slug.as_str()))
}

/// The log-in page: the eID button, and the demo people where the development log-in is on.
pub(crate) async fn page(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<BackQuery>,
) -> HttpResponse {
    let mut page = match Page::load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let back = back_of(&page, query.back.as_deref());
    let eid = citizen_login::oidc_label(&page.shop.api, &page.tenant, &page.locale);
    let development = page.shop.api.development_login;
    let demo = development
        .then(|| page.shop.demo.get(page.tenant.slug.as_str()))
        .flatten();
    let people = demo.map(|d| demo_entries(&d.people)).unwrap_or_default();
    let companies = demo.map(|d| demo_entries(&d.companies)).unwrap_or_default();
    let title = page.t("login-title");
    page.render(StatusCode::OK, "login.html", &title, |ctx| {
        ctx.insert("back", &back);
        ctx.insert("eid_label", &eid);
        ctx.insert("development", &development);
        ctx.insert("people", &people);
        ctx.insert("companies", &companies);
    })
}

fn with_session(mut response: HttpResponse, secure: bool, token: &str) -> HttpResponse {
    if let Ok(value) =
        header::HeaderValue::from_str(&citizen_login::session_cookie(token, secure, false))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The development log-in: become one of the council's demo people, acting for one of its
/// demo companies when the form names one (`company_id`).
pub(crate) async fn development(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let mut page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let back = back_of(&page, form.get("back"));
    let Some(national_id) = form.get("national_id") else {
        let message = page.t("login-pick-person");
        return page.error_page(StatusCode::UNPROCESSABLE_ENTITY, &message, Some(&back));
    };
    let context = page.context();
    let company = form.get("company_id").filter(|c| !c.is_empty());
    match citizen_login::development_login(&context, &page.scope(), national_id, company).await {
        Ok((_, token)) => {
            let secure = page.shop.api.secure_cookies;
            with_session(page.redirect(&back), secure, &token)
        }
        Err(e) => page.api_error(&e),
    }
}

/// Starts the eID log-in: to the council's broker, the pending login kept server-side.
pub(crate) async fn begin_eid(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let back = back_of(&page, form.get("back"));
    match citizen_login::begin_oidc_login(&page.shop.api, &page.tenant, Some(&back)).await {
        Ok((pending_token, authorize_url)) => {
            let cookie = citizen_login::pending_login_cookie(
                page.tenant.slug.as_str(),
                &pending_token,
                page.shop.api.secure_cookies,
                false,
            );
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, authorize_url))
                .append_header((header::SET_COOKIE, cookie))
                .finish()
        }
        Err(e) => page.api_error(&e),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The broker sends the browser back here: the pending login is taken (once), the code
/// traded for the ID token, and the citizen's session begins.
pub(crate) async fn callback(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Callback>,
) -> HttpResponse {
    let page = match Page::load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slug = page.tenant.slug.to_string();
    let secure = page.shop.api.secure_cookies;
    let clear = citizen_login::pending_login_cookie(&slug, "", secure, true);
    let login_page = format!("{}/login", page.base());
    let failed = |page: &Page, detail: &str| {
        let message = page.t_with("login-failed", &[("detail", detail)]);
        let mut response = page.error_page(StatusCode::UNAUTHORIZED, &message, Some(&login_page));
        if let Ok(v) = header::HeaderValue::from_str(&clear) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
        response
    };
    if let Some(error) = &query.error {
        // The provider's own text is never shown: anyone can craft this URL, and a council's
        // page must not carry a stranger's words. A known code gets our translated sentence,
        // any other only its (sanitised) code; the pending login is used up either way.
        if let Some(token) = page.req.cookie(citizen_login::PENDING_LOGIN_COOKIE) {
            citizen_login::abandon_oidc_login(&page.shop.api, token.value()).await;
        }
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        tracing::info!(provider_error = %code, description = ?query.error_description, "the eID provider sent the person back without a log-in");
        let detail = if code == "access_denied" {
            page.t("login-cancelled")
        } else {
            page.t_with("login-provider-error", &[("code", &code)])
        };
        return failed(&page, &detail);
    }
    let pending = page
        .req
        .cookie(citizen_login::PENDING_LOGIN_COOKIE)
        .map(|c| c.value().to_owned());
    let (Some(pending), Some(code), Some(state)) = (pending, &query.code, &query.state) else {
        return failed(&page, &page.t("login-no-pending"));
    };
    match citizen_login::finish_oidc_login(&page.shop.api, &page.tenant, &pending, code, state)
        .await
    {
        Ok((_, token, back)) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, back))
                .finish();
            if let Ok(v) = header::HeaderValue::from_str(&clear) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            with_session(response, secure, &token)
        }
        Err(e) => {
            // In the citizen's language, with the technical reason for the helpdesk after it.
            let detail = page.t_with("login-refused", &[("reason", &e.message)]);
            failed(&page, &detail)
        }
    }
}

/// Ends the session (in the store, not only the cookie) and goes back to the shop.
pub(crate) async fn logout(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let mut page = match Page::load_form(shop, req, &path.into_inner(), &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(token) = page.req.cookie(SESSION_COOKIE)
        && let Err(e) = page.shop.api.sessions.delete(token.value()).await
    {
        tracing::warn!(error = %e, "a session could not be deleted at log-out");
    }
    let secure = page.shop.api.secure_cookies;
    let home = format!("{}/", page.base());
    let mut response = page.redirect(&home);
    if let Ok(v) = header::HeaderValue::from_str(&citizen_login::session_cookie("", secure, true)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
