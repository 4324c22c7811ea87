//! The HTTP edge: tenant resolution (path `/t/{slug}` or host name), caller resolution,
//! GraphQL and GraphiQL, health, readiness and metrics.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use civicpay_api::context::resolve_caller;
use civicpay_api::{ApiError, ApiState, CivicpaySchema, RequestContext};
use civicpay_domain::{Locale, negotiate};
use civicpay_store::TenantRecord;
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing_actix_web::{RequestId, RootSpan};

/// Shared by every worker.
pub struct AppData {
    pub api: ApiState,
    /// The built-in sandbox PSP, whose hosted pages this server renders.
    pub sandbox: Option<civicpay_psp::SandboxGateway>,
    pub schema: CivicpaySchema,
    pub redis_configured: bool,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/", web::get().to(index))
        .route("/graphql", web::post().to(platform_graphql))
        .route("/graphql", web::get().to(platform_graphiql))
        .route("/t/{slug}/graphql", web::post().to(tenant_graphql))
        .route("/t/{slug}/graphql", web::get().to(tenant_graphiql))
        .configure(crate::pay::routes);
}

/// A GraphQL-shaped error body, so clients parse every failure the same way.
pub fn error_response(err: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({
        "data": null,
        "errors": [{ "message": err.message, "extensions": { "code": err.code.as_str() } }],
    }))
}

fn unknown_council(slug: &str) -> ApiError {
    ApiError::not_found(format!(
        "unknown council {slug:?}: see GET /graphql {{ tenants {{ slug }} }} for the councils on this platform"
    ))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database (and Redis, when configured) answer.
async fn readyz(data: web::Data<AppData>) -> HttpResponse {
    let database = data.api.store.ping().await.map_err(|e| e.to_string());
    let redis = if data.redis_configured {
        Some(data.api.sessions.ping().await.map_err(|e| e.to_string()))
    } else {
        None
    };
    let ok = database.is_ok() && redis.as_ref().is_none_or(Result::is_ok);
    let describe = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "unavailable" },
        "database": describe(&database),
        "redis": redis.as_ref().map(describe).unwrap_or_else(|| "not configured".into()),
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

fn host_of(req: &HttpRequest) -> String {
    req.connection_info().host().to_owned()
}

fn locale_for(req: &HttpRequest, tenant: Option<&TenantRecord>) -> Locale {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fallback = || {
        tenant
            .map(|t| t.default_locale.clone())
            .or_else(|| Locale::parse("en").ok())
    };
    match tenant {
        Some(t) => negotiate(accept, &t.locales),
        // Platform level: any well-formed language the caller asks for first.
        None => accept
            .split(',')
            .next()
            .and_then(|l| Locale::parse(l.split(';').next().unwrap_or("")).ok()),
    }
    .or_else(fallback)
    .unwrap_or_else(|| Locale::parse("en").unwrap_or_else(|_| unreachable!("\"en\" is valid")))
}

fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").map(|k| k.trim().to_owned()))
}

async fn execute(
    data: web::Data<AppData>,
    req: HttpRequest,
    gql: GraphQLRequest,
    tenant: Option<Arc<TenantRecord>>,
    root_span: RootSpan,
    request_id: RequestId,
) -> HttpResponse {
    if let Some(t) = &tenant {
        root_span.record("tenant", t.slug.as_str());
    }
    let session_token = req.cookie("civicpay_session").map(|c| c.value().to_owned());
    let caller = match resolve_caller(
        &data.api,
        tenant.as_ref(),
        session_token.as_deref(),
        bearer(&req).as_deref(),
    )
    .await
    {
        Ok(caller) => caller,
        Err(err) => return error_response(&err),
    };
    let context = RequestContext {
        state: data.api.clone(),
        locale: locale_for(&req, tenant.as_deref()),
        tenant,
        caller,
        request_id: request_id.to_string(),
    };
    let request = gql.into_inner().data(context);
    // A panic in a resolver must not take the worker down or leak a stack trace: it becomes
    // an INTERNAL error (logged and reported once).
    match AssertUnwindSafe(data.schema.execute(request))
        .catch_unwind()
        .await
    {
        Ok(response) => GraphQLResponse::from(response)
            .respond_to(&req)
            .map_into_boxed_body(),
        Err(_) => error_response(&ApiError::internal(
            "panic while executing a GraphQL request",
        )),
    }
}

async fn platform_graphql(
    data: web::Data<AppData>,
    req: HttpRequest,
    gql: GraphQLRequest,
    root_span: RootSpan,
    request_id: RequestId,
) -> HttpResponse {
    // A council's own host name serves that council on /graphql too.
    let tenant = match data.api.store.tenant_by_host(&host_of(&req)).await {
        Ok(t) => t,
        Err(e) => return error_response(&ApiError::from(e)),
    };
    execute(data, req, gql, tenant, root_span, request_id).await
}

async fn tenant_graphql(
    data: web::Data<AppData>,
    req: HttpRequest,
    path: web::Path<String>,
    gql: GraphQLRequest,
    root_span: RootSpan,
    request_id: RequestId,
) -> HttpResponse {
    let slug = path.into_inner();
    match data.api.store.tenant_by_slug(&slug).await {
        Ok(Some(tenant)) => execute(data, req, gql, Some(tenant), root_span, request_id).await,
        Ok(None) => error_response(&unknown_council(&slug)),
        Err(e) => error_response(&ApiError::from(e)),
    }
}

fn graphiql(endpoint: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint(endpoint)
                .title("civicpay GraphiQL")
                .finish(),
        )
}

async fn platform_graphiql() -> HttpResponse {
    graphiql("/graphql")
}

async fn tenant_graphiql(data: web::Data<AppData>, path: web::Path<String>) -> HttpResponse {
    let slug = path.into_inner();
    match data.api.store.tenant_by_slug(&slug).await {
        Ok(Some(_)) => graphiql(&format!("/t/{slug}/graphql")),
        Ok(None) => error_response(&unknown_council(&slug)),
        Err(e) => error_response(&ApiError::from(e)),
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// On a council's own host name, its shop; elsewhere a plain landing page: the councils and
/// where to go next.
async fn index(data: web::Data<AppData>, req: HttpRequest) -> HttpResponse {
    let host = host_of(&req);
    let host = host.split(':').next().unwrap_or_default();
    if let Ok(Some(tenant)) = data.api.store.tenant_by_host(host).await {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, format!("/t/{}/", tenant.slug)))
            .finish();
    }
    let tenants = match data.api.store.tenants().await {
        Ok(t) => t,
        Err(e) => return error_response(&ApiError::from(e)),
    };
    let locale = locale_for(&req, None);
    let items: String = tenants
        .iter()
        .map(|t| {
            format!(
                "<li><a href=\"/t/{slug}/\">{name}</a> (<a href=\"/t/{slug}/graphql\">GraphiQL</a>) <small>({slug}, {country}, {currency})</small></li>",
                slug = t.slug,
                name = escape(t.name.get(&locale, &t.default_locale)),
                country = t.country,
                currency = t.currency,
            )
        })
        .collect();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>civicpay</title></head>\
             <body><h1>civicpay</h1><p>Councils on this platform (each link opens its shop):</p>\
             <ul>{items}</ul><p><a href=\"/graphql\">Platform GraphiQL</a> · \
             <a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a> · \
             <a href=\"/metrics\">/metrics</a></p></body></html>"
        ))
}

/// Any other path: a clear 404 in the same shape as every other error.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(&ApiError::not_found(format!(
        "no such page: {} (see / for what this server offers)",
        req.path()
    )))
}
