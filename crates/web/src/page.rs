//! One shop request: the council, the caller, the language, the CSRF token and the basket;
//! rendering a template inside the council's layout with the security headers every page
//! carries; errors as pages.

use crate::Shop;
use crate::i18n::{LANGUAGES, translate};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use civicpay_api::context::resolve_caller;
use civicpay_api::{ApiError, Caller, RequestContext};
use civicpay_auth::CitizenSession;
use civicpay_domain::Locale;
use civicpay_store::{TenantRecord, TenantScope};
use rand::RngCore;
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

pub(crate) const CSRF_COOKIE: &str = "civicpay_csrf";
pub(crate) const LANG_COOKIE: &str = "civicpay_lang";
pub(crate) const BASKET_COOKIE: &str = "civicpay_basket";
pub(crate) const SESSION_COOKIE: &str = "civicpay_session";
/// At most this many items in a basket: one checkout, one PSP payment.
pub(crate) const BASKET_LIMIT: usize = 20;

const TEMPLATES: [(&str, &str); 15] = [
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("product.html", include_str!("../templates/product.html")),
    ("apply.html", include_str!("../templates/apply.html")),
    ("applied.html", include_str!("../templates/applied.html")),
    ("basket.html", include_str!("../templates/basket.html")),
    ("status.html", include_str!("../templates/status.html")),
    (
        "my_permits.html",
        include_str!("../templates/my_permits.html"),
    ),
    (
        "my_permit.html",
        include_str!("../templates/my_permit.html"),
    ),
    ("my_bills.html", include_str!("../templates/my_bills.html")),
    (
        "my_payments.html",
        include_str!("../templates/my_payments.html"),
    ),
    ("login.html", include_str!("../templates/login.html")),
    ("pay_link.html", include_str!("../templates/pay_link.html")),
    ("error.html", include_str!("../templates/error.html")),
];

pub(crate) fn templates() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(TEMPLATES)?;
    tera.register_function(
        "fluent",
        fluent_templates::FluentLoader::new(&*crate::i18n::LOCALES),
    );
    Ok(tera)
}

/// A submitted form, every field in order (a basket posts one `bill` per item).
pub(crate) struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Serialize)]
struct LanguageLink {
    code: String,
    name: &'static str,
    href: String,
    current: bool,
}

/// What a page needs of its request.
pub(crate) struct Page {
    pub shop: web::Data<Shop>,
    pub req: HttpRequest,
    pub tenant: Arc<TenantRecord>,
    pub caller: Caller,
    pub locale: Locale,
    /// The two-letter language of the translations.
    pub lang: String,
    pub csrf: String,
    pub basket: Vec<Uuid>,
    cookies: Vec<Cookie<'static>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The CSRF token as a form carries it: a fresh random mask, then the token XOR the mask (hex).
/// Every response thus carries different bytes, so a compressed page's length says nothing of
/// the token (BREACH); [`unmask_csrf`] gives the token back.
fn masked_csrf(token_hex: &str) -> String {
    let token = hex::decode(token_hex).unwrap_or_default();
    let mut mask = vec![0u8; token.len()];
    rand::rngs::OsRng.fill_bytes(&mut mask);
    let hidden: Vec<u8> = token.iter().zip(&mask).map(|(t, m)| t ^ m).collect();
    format!("{}{}", hex::encode(&mask), hex::encode(hidden))
}

/// The token a form's masked field carries; `None` when it is not one (wrong length, not hex).
fn unmask_csrf(sent: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sent).ok()?;
    if bytes.len() != 64 {
        return None;
    }
    let (mask, hidden) = bytes.split_at(32);
    Some(hidden.iter().zip(mask).map(|(h, m)| h ^ m).collect())
}

/// The council's languages the shop can speak, the council's default first.
fn offered(tenant: &TenantRecord) -> Vec<Locale> {
    let mut out = vec![tenant.default_locale.clone()];
    for l in &tenant.locales {
        if !out.iter().any(|o| o.language() == l.language()) {
            out.push(l.clone());
        }
    }
    out
}

impl Page {
    /// The page's request, or the finished error page (unknown council, store down).
    pub async fn load(
        shop: web::Data<Shop>,
        req: HttpRequest,
        slug: &str,
    ) -> Result<Page, HttpResponse> {
        let tenant = match shop.api.store.tenant_by_slug(slug).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(plain_error(
                    StatusCode::NOT_FOUND,
                    &format!("unknown council {slug:?}"),
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "council look-up failed");
                return Err(plain_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the service is unavailable; try again in a moment",
                ));
            }
        };
        let offered = offered(&tenant);
        let chosen = req
            .cookie(LANG_COOKIE)
            .and_then(|c| offered.iter().find(|l| l.language() == c.value()).cloned());
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let locale = chosen
            .or_else(|| civicpay_domain::negotiate(accept, &offered))
            .unwrap_or_else(|| tenant.default_locale.clone());
        let lang = match locale.language() {
            l if LANGUAGES.iter().any(|(code, _)| *code == l) => l.to_owned(),
            _ => "en".to_owned(),
        };
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        // A session that does not count here (another council's, expired) is simply
        // anonymous on a page: the page offers to log in.
        let caller = resolve_caller(&shop.api, Some(&tenant), token.as_deref(), None)
            .await
            .unwrap_or(Caller::Anonymous);
        let mut cookies = Vec::new();
        let csrf = match req.cookie(CSRF_COOKIE) {
            Some(c) if c.value().len() == 64 => c.value().to_owned(),
            _ => {
                let token = random_token();
                cookies.push(
                    Cookie::build(CSRF_COOKIE, token.clone())
                        .path("/")
                        .http_only(true)
                        .same_site(SameSite::Lax)
                        .secure(shop.api.secure_cookies)
                        .finish(),
                );
                token
            }
        };
        let basket = req
            .cookie(BASKET_COOKIE)
            .map(|c| {
                c.value()
                    .split('.')
                    .filter_map(|id| Uuid::parse_str(id).ok())
                    .take(BASKET_LIMIT)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Page {
            shop,
            req,
            tenant,
            caller,
            locale,
            lang,
            csrf,
            basket,
            cookies,
        })
    }

    pub fn base(&self) -> String {
        format!("/t/{}", self.tenant.slug)
    }

    pub fn scope(&self) -> TenantScope {
        self.shop.api.store.scope(self.tenant.clone())
    }

    /// The services' view of this request.
    pub fn context(&self) -> RequestContext {
        RequestContext {
            state: self.shop.api.clone(),
            tenant: Some(self.tenant.clone()),
            caller: self.caller.clone(),
            locale: self.locale.clone(),
            request_id: String::new(),
        }
    }

    pub fn citizen(&self) -> Option<&CitizenSession> {
        match &self.caller {
            Caller::Citizen { session, .. } => Some(session),
            _ => None,
        }
    }

    pub fn t(&self, key: &str) -> String {
        translate(&self.lang, key, &[])
    }

    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        translate(&self.lang, key, args)
    }

    pub fn money(&self, money: civicpay_money::Money) -> String {
        crate::i18n::format_money(money, &self.lang)
    }

    pub fn date(&self, date: chrono::NaiveDate) -> String {
        crate::i18n::format_date(date, &self.lang)
    }

    pub fn plate(&self, plate: &str) -> String {
        crate::i18n::format_plate(plate, self.tenant.country.as_str())
    }

    pub fn set_cookie(&mut self, cookie: Cookie<'static>) {
        self.cookies.push(cookie);
    }

    /// A page only a logged-in citizen sees: the log-in page (coming back here) otherwise.
    pub async fn load_citizen(
        shop: web::Data<Shop>,
        req: HttpRequest,
        slug: &str,
    ) -> Result<Page, HttpResponse> {
        let mut page = Page::load(shop, req, slug).await?;
        if page.citizen().is_none() {
            return Err(page.login_redirect());
        }
        Ok(page)
    }

    /// The page a form was sent to, once its CSRF token and origin are checked (403 page
    /// otherwise).
    pub async fn load_form(
        shop: web::Data<Shop>,
        req: HttpRequest,
        slug: &str,
        form: &Form,
    ) -> Result<Page, HttpResponse> {
        let page = Page::load(shop, req, slug).await?;
        page.check_form(form)?;
        Ok(page)
    }

    /// A logged-in citizen's form: [`Page::load_form`], then the log-in page for anyone else.
    pub async fn load_citizen_form(
        shop: web::Data<Shop>,
        req: HttpRequest,
        slug: &str,
        form: &Form,
    ) -> Result<Page, HttpResponse> {
        let mut page = Page::load_form(shop, req, slug, form).await?;
        if page.citizen().is_none() {
            return Err(page.login_redirect());
        }
        Ok(page)
    }

    /// Puts `bill` in the basket (once) and keeps it in the cookie.
    pub fn add_to_basket(&mut self, bill: Uuid) {
        if !self.basket.contains(&bill) {
            self.basket.push(bill);
            self.save_basket();
        }
    }

    /// [`Page::add_to_basket`], then on to the basket.
    pub fn add_and_show_basket(&mut self, bill: Uuid) -> HttpResponse {
        self.add_to_basket(bill);
        let to = format!("{}/basket", self.base());
        self.redirect(&to)
    }

    /// Keeps the basket in its cookie (only ids: the bills themselves are re-read and checked
    /// against the logged-in citizen at every use).
    pub fn save_basket(&mut self) {
        let value = self
            .basket
            .iter()
            .map(|id| id.simple().to_string())
            .collect::<Vec<_>>()
            .join(".");
        let cookie = Cookie::build(BASKET_COOKIE, value)
            .path(self.base())
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.shop.api.secure_cookies)
            .finish();
        self.cookies.push(cookie);
    }

    /// Refuses a form without this browser's CSRF token, or sent from another origin.
    fn check_form(&self, form: &Form) -> Result<(), HttpResponse> {
        let token_ok = self.req.cookie(CSRF_COOKIE).is_some_and(|c| {
            let cookie_token = hex::decode(c.value()).unwrap_or_default();
            form.get("csrf").and_then(unmask_csrf).is_some_and(|sent| {
                use sha2::{Digest, Sha256};
                // Compared as digests, so the comparison's time says nothing of the token.
                !cookie_token.is_empty() && Sha256::digest(&sent) == Sha256::digest(&cookie_token)
            })
        });
        let origin_ok = match self.req.headers().get(header::ORIGIN) {
            None => true,
            Some(origin) => {
                let info = self.req.connection_info();
                let own = format!("{}://{}", info.scheme(), info.host());
                origin
                    .to_str()
                    .is_ok_and(|o| o == own || o == self.shop.api.base_url)
            }
        };
        if token_ok && origin_ok {
            Ok(())
        } else {
            Err(self.error_page(StatusCode::FORBIDDEN, &self.t("error-csrf"), None))
        }
    }

    fn layout(&self, title: &str) -> tera::Context {
        let mut ctx = tera::Context::new();
        let base = self.base();
        ctx.insert("lang", &self.lang);
        ctx.insert("title", title);
        ctx.insert("base", &base);
        ctx.insert("csrf", &masked_csrf(&self.csrf));
        ctx.insert("council_name", self.tenant.display_name(&self.locale));
        ctx.insert("has_logo", &self.tenant.branding["logo"].as_str().is_some());
        ctx.insert(
            "support_email",
            &self.tenant.branding["support_email"].as_str(),
        );
        ctx.insert("basket_count", &self.basket.len());
        let here = self.req.uri().path().to_owned();
        // Where "back" goes after the language switch or the log-in: the page with its query.
        let here_full = match self.req.uri().query() {
            Some(q) => format!("{here}?{q}"),
            None => here.clone(),
        };
        ctx.insert("here", &here);
        ctx.insert("here_query", &query_value(&here_full));
        let languages: Vec<LanguageLink> = offered(&self.tenant)
            .iter()
            .filter_map(|l| {
                LANGUAGES
                    .iter()
                    .find(|(code, _)| *code == l.language())
                    .map(|(code, name)| LanguageLink {
                        code: (*code).to_owned(),
                        name,
                        href: format!(
                            "{base}/language?lang={code}&back={}",
                            query_value(&here_full)
                        ),
                        current: *code == self.lang,
                    })
            })
            .collect();
        ctx.insert("languages", &languages);
        ctx.insert(
            "citizen",
            &self.citizen().map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "masked_id": c.masked_id,
                    "company": c.company.as_ref().map(|co| co.name.as_str()),
                })
            }),
        );
        ctx
    }

    /// Renders `template` in the layout; `fill` adds the page's own values.
    pub fn render(
        &mut self,
        status: StatusCode,
        template: &str,
        title: &str,
        fill: impl FnOnce(&mut tera::Context),
    ) -> HttpResponse {
        let mut ctx = self.layout(title);
        fill(&mut ctx);
        match self.shop.templates.render(template, &ctx) {
            Ok(html) => self.respond(status, html),
            Err(e) => {
                tracing::error!(error = ?e, template, "a shop template failed to render");
                plain_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be shown",
                )
            }
        }
    }

    fn respond(&mut self, status: StatusCode, html: String) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        security_headers(&mut response, &self.shop);
        for cookie in self.cookies.drain(..) {
            response.cookie(cookie);
        }
        response.content_type("text/html; charset=utf-8").body(html)
    }

    /// 303 to `to` (a path), with the cookies this request set.
    pub fn redirect(&mut self, to: &str) -> HttpResponse {
        let mut response = HttpResponse::SeeOther();
        for cookie in self.cookies.drain(..) {
            response.cookie(cookie);
        }
        response.insert_header((header::LOCATION, to)).finish()
    }

    /// The login page for a page that needs a citizen, coming back here afterwards.
    pub fn login_redirect(&mut self) -> HttpResponse {
        let back = self.req.uri().path().to_owned();
        let to = format!("{}/login?back={}", self.base(), query_value(&back));
        self.redirect(&to)
    }

    pub fn error_page(
        &self,
        status: StatusCode,
        message: &str,
        back: Option<&str>,
    ) -> HttpResponse {
        let mut ctx = self.layout(&self.t("error-title"));
        ctx.insert("message", message);
        ctx.insert("status", &status.as_u16());
        ctx.insert("back", &back);
        let html = self
            .shop
            .templates
            .render("error.html", &ctx)
            .unwrap_or_else(|e| {
                tracing::error!(error = ?e, "the error template failed to render");
                message.to_owned()
            });
        let mut response = HttpResponse::build(status);
        security_headers(&mut response, &self.shop);
        response.content_type("text/html; charset=utf-8").body(html)
    }

    /// An error of a service as a page: what went wrong in the citizen's language, with the
    /// service's own explanation under it. 5xx details stay in the log.
    pub fn api_error(&self, err: &ApiError) -> HttpResponse {
        use civicpay_api::ErrorCode;
        let status =
            StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let headline = self.t(match err.code {
            ErrorCode::BadUserInput => "error-bad-input",
            ErrorCode::Unauthenticated => "error-unauthenticated",
            ErrorCode::Forbidden => "error-forbidden",
            ErrorCode::NotFound => "error-not-found",
            ErrorCode::Conflict => "error-conflict",
            ErrorCode::Internal => "error-internal",
        });
        let message = if err.code == ErrorCode::Internal {
            headline
        } else {
            format!("{headline} {}", err.message)
        };
        self.error_page(status, &message, Some(&self.base()))
    }
}

/// The headers of every shop page: a Content-Security-Policy that allows only civicpay's own
/// scripts, styles and images (no inline script or style, no third-party origin; forms may
/// go to a configured hosted-payment PSP), no framing, no sniffing, no referrer to others.
fn security_headers(response: &mut actix_web::HttpResponseBuilder, shop: &Shop) {
    let psp = if shop.api.gateways.get("stripe").is_ok() {
        " https://checkout.stripe.com"
    } else {
        ""
    };
    response
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; font-src 'self'; form-action 'self'{psp}; \
                 frame-ancestors 'none'; base-uri 'none'"
            ),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
}

/// `text` percent-encoded for a query parameter's value.
pub(crate) fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An error before the council is known: plain text.
fn plain_error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_owned())
}

#[derive(serde::Deserialize)]
pub(crate) struct LanguageQuery {
    lang: String,
    back: Option<String>,
}

/// The language switcher: remembers the choice and goes back to the page it came from.
pub(crate) async fn choose_language(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LanguageQuery>,
) -> HttpResponse {
    let mut page = match Page::load(shop, req, &path.into_inner()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = page.base();
    if offered(&page.tenant)
        .iter()
        .any(|l| l.language() == query.lang)
    {
        let cookie = Cookie::build(LANG_COOKIE, query.lang.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(page.shop.api.secure_cookies)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        page.set_cookie(cookie);
    }
    // Only back to a page of this council's shop: never an open redirect.
    let back = query
        .back
        .as_deref()
        .filter(|b| b.starts_with(&format!("{base}/")) && !b.contains("//") && !b.contains('\\'))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{base}/"));
    page.redirect(&back)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_csrf_token_is_masked_afresh_for_every_page() {
        let token = super::random_token();
        let (a, b) = (super::masked_csrf(&token), super::masked_csrf(&token));
        assert_ne!(a, b, "a fresh mask every time");
        assert!(!a.contains(&token), "the token itself never appears");
        let raw = hex::decode(&token).unwrap_or_default();
        assert_eq!(super::unmask_csrf(&a), Some(raw.clone()));
        assert_eq!(super::unmask_csrf(&b), Some(raw.clone()));
        // The bare token, a truncated field or a flipped bit is not the token.
        assert_eq!(super::unmask_csrf(&token), None);
        assert_eq!(super::unmask_csrf(&a[..100]), None);
        let mut flipped = a.clone().into_bytes();
        flipped[127] = if flipped[127] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert_ne!(super::unmask_csrf(&flipped), Some(raw));
    }

    use super::*;

    #[test]
    fn the_templates_compile_and_use_only_known_messages() {
        assert!(templates().is_ok());
        let known = crate::i18n::english_ids();
        for (name, source) in TEMPLATES {
            for piece in source.split("key=\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                // `permit-status-` ~ status: a family of messages, at least one must exist.
                let found = if key.ends_with('-') {
                    known.iter().any(|k| k.starts_with(key))
                } else {
                    known.contains(&key)
                };
                assert!(found, "{name} uses unknown message {key:?}");
            }
        }
    }
}
