//! The sandbox PSP's hosted page (the PSP's, not the council's: plain, in English, as a
//! test gateway's page is), the PSP webhook endpoint, the register's CSV export and the
//! letter and permit PDFs. A bill's pay link (`/t/{slug}/pay/{id}`) and the status page after
//! the PSP are the shop's (`civicpay-web`).

use crate::http::{AppData, error_response, escape};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use civicpay_api::context::resolve_caller;
use civicpay_api::{ApiError, payments};
use civicpay_domain::{PaymentChannel, PaymentStatus, Permission};
use civicpay_psp::{SandboxGateway, SandboxNext, TEST_CARDS};
use civicpay_store::{PaymentFilter, PaymentRecord};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/t/{slug}/payments.csv", web::get().to(export_csv))
        .route("/t/{slug}/letters/{id}.pdf", web::get().to(letter_pdf))
        .route("/t/{slug}/permits/{id}.pdf", web::get().to(permit_pdf))
        .route("/sandbox/checkout/{reference}", web::get().to(sandbox_page))
        .route(
            "/sandbox/checkout/{reference}",
            web::post().to(sandbox_submit),
        )
        .route(
            "/sandbox/checkout/{reference}/challenge",
            web::post().to(sandbox_challenge),
        )
        .route("/psp/{gateway}/webhook", web::post().to(psp_webhook));
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page_html(title, body, None))
}

fn page_html(title: &str, body: &str, refresh_seconds: Option<u32>) -> String {
    let refresh = refresh_seconds
        .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">"))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{refresh}<title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}}.amount{{text-align:right}}button{{font-size:1.1rem;padding:.5rem 1.2rem}}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    )
}

fn sandbox(data: &AppData) -> Result<&SandboxGateway, Box<HttpResponse>> {
    data.sandbox.as_ref().ok_or_else(|| {
        Box::new(error_response(&ApiError::not_found(
            "the sandbox PSP is not enabled on this platform",
        )))
    })
}

/// The sandbox PSP's hosted page: a plain form with a card number field.
async fn sandbox_page(data: web::Data<AppData>, path: web::Path<String>) -> HttpResponse {
    let sandbox = match sandbox(&data) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    sandbox_form(sandbox, &path.into_inner(), None).await
}

async fn sandbox_form(
    sandbox: &SandboxGateway,
    reference: &str,
    message: Option<&str>,
) -> HttpResponse {
    let checkout = match sandbox.checkout(reference).await {
        Ok(c) => c,
        Err(e) => return error_response(&ApiError::not_found(e.to_string())),
    };
    let cards: String = TEST_CARDS
        .iter()
        .map(|c| format!("<li><code>{}</code> — {}</li>", c.number, escape(c.outcome)))
        .collect();
    let message = message
        .map(|m| format!("<p role=\"alert\"><strong>{}</strong></p>", escape(m)))
        .unwrap_or_default();
    page(
        "Sandbox payment service",
        &format!(
            "<p>This is the <strong>sandbox</strong>: no real money moves.</p>\
             <p>{} — <strong>{}</strong></p>{message}\
             <form method=\"post\"><p><label>Card number <input name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required></label></p>\
             <p><label>Expiry <input name=\"expiry\" value=\"12/34\"></label> <label>CVC <input name=\"cvc\" value=\"123\"></label></p>\
             <button type=\"submit\">Pay</button></form><h2>Test cards</h2><ul>{cards}</ul>",
            escape(&checkout.description),
            checkout.amount
        ),
    )
}

#[derive(Deserialize)]
struct CardForm {
    card_number: String,
}

async fn sandbox_submit(
    data: web::Data<AppData>,
    path: web::Path<String>,
    form: web::Form<CardForm>,
) -> HttpResponse {
    let sandbox = match sandbox(&data) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let reference = path.into_inner();
    match sandbox.submit_card(&reference, &form.card_number).await {
        Ok(SandboxNext::Redirect(url)) => HttpResponse::SeeOther().insert_header((header::LOCATION, url)).finish(),
        Ok(SandboxNext::Challenge) => page(
            "3-D Secure",
            "<p>Your bank asks you to confirm this payment.</p>\
             <form method=\"post\" action=\"challenge\"><button name=\"action\" value=\"approve\">Confirm</button> \
             <button name=\"action\" value=\"deny\">Cancel</button></form>",
        )
        .map_into_boxed_body(),
        Ok(SandboxNext::Retry(message)) => sandbox_form(sandbox, &reference, Some(&message)).await,
        Err(e) => error_response(&ApiError::not_found(e.to_string())),
    }
}

#[derive(Deserialize)]
struct ChallengeForm {
    action: String,
}

async fn sandbox_challenge(
    data: web::Data<AppData>,
    path: web::Path<String>,
    form: web::Form<ChallengeForm>,
) -> HttpResponse {
    let sandbox = match sandbox(&data) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match sandbox
        .complete_challenge(&path.into_inner(), form.action == "approve")
        .await
    {
        Ok(SandboxNext::Redirect(url)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .finish(),
        Ok(_) => error_response(&ApiError::conflict("the challenge is not pending")),
        Err(e) => error_response(&ApiError::not_found(e.to_string())),
    }
}

/// PSP webhooks: verified, stored, deduplicated, applied. 200 for anything handled (also
/// duplicates), 401 for a bad signature, 409 when the news does not fit (the PSP retries).
async fn psp_webhook(
    data: web::Data<AppData>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    match payments::handle_psp_webhook(&data.api, &path.into_inner(), &headers, &body).await {
        Ok(note) => HttpResponse::Ok().json(serde_json::json!({ "received": true, "note": note })),
        Err(e) => error_response(&e),
    }
}

#[derive(Deserialize)]
struct ExportQuery {
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    status: Option<String>,
    channel: Option<String>,
    reference: Option<String>,
    sku: Option<String>,
}

/// A CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

const CSV_HEADER: &str = "reference,created_at,status,channel,method,amount,captured,refunded,currency,gateway,psp_reference,payment_request_id,customer_email,flagged_reason\n";

fn csv_row(p: &PaymentRecord) -> String {
    let fields = [
        p.reference.clone(),
        p.created_at.to_rfc3339(),
        p.status.to_string(),
        p.channel.as_str().to_owned(),
        p.method.clone().unwrap_or_default(),
        p.amount.to_major_string(),
        p.captured.to_major_string(),
        p.refunded.to_major_string(),
        p.amount.currency().code().to_owned(),
        p.gateway.clone(),
        p.psp_reference.clone().unwrap_or_default(),
        p.payment_request_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        p.customer_email.clone().unwrap_or_default(),
        p.flagged_reason.clone().unwrap_or_default(),
    ];
    let mut line = fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// The council `slug` of a plain HTTP request and its caller (session cookie or bearer key).
pub(crate) async fn council_and_caller(
    data: &AppData,
    req: &HttpRequest,
    slug: &str,
) -> Result<
    (
        std::sync::Arc<civicpay_store::TenantRecord>,
        civicpay_api::Caller,
    ),
    ApiError,
> {
    let tenant = data
        .api
        .store
        .tenant_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("unknown council {slug:?}")))?;
    let token = req.cookie("civicpay_session").map(|c| c.value().to_owned());
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let caller = resolve_caller(
        &data.api,
        Some(&tenant),
        token.as_deref(),
        bearer.as_deref(),
    )
    .await?;
    Ok((tenant, caller))
}

/// The register filtered, as CSV, streamed page by page: any size, constant memory.
async fn export_csv(
    data: web::Data<AppData>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> HttpResponse {
    let slug = path.into_inner();
    let (tenant, caller) = match council_and_caller(&data, &req, &slug).await {
        Ok(found) => found,
        Err(e) => return error_response(&e),
    };
    if !caller.allows(Permission::ReadPayments) {
        return error_response(&ApiError::unauthenticated(
            "log in as staff allowed to read payments, or send an API key with the payments scope, to export the register",
        ));
    }
    let mut filter = PaymentFilter {
        created_from: query.from,
        created_to: query.to,
        reference: query.reference.clone(),
        sku: query.sku.clone(),
        ..PaymentFilter::default()
    };
    if let Some(statuses) = &query.status {
        for s in statuses.split(',') {
            match PaymentStatus::parse(s.trim()) {
                Ok(s) => filter.statuses.push(s),
                Err(e) => return error_response(&ApiError::bad_input(format!("status: {e}"))),
            }
        }
    }
    if let Some(channel) = &query.channel {
        match PaymentChannel::parse(channel) {
            Ok(c) => filter.channel = Some(c),
            Err(e) => return error_response(&ApiError::bad_input(format!("channel: {e}"))),
        }
    }
    let scope = data.api.store.scope(tenant.clone());
    let stream = futures::stream::unfold(
        (scope, filter, None::<Uuid>, true, false),
        |(scope, filter, after, first, done)| async move {
            if done {
                return None;
            }
            let mut chunk = if first {
                CSV_HEADER.to_owned()
            } else {
                String::new()
            };
            match scope.search_payments(&filter, after, 500).await {
                Ok(page) => {
                    let last = page.last().map(|p| p.id);
                    for p in &page {
                        chunk.push_str(&csv_row(p));
                    }
                    let finished = page.len() < 500;
                    Some((
                        Ok::<_, actix_web::Error>(web::Bytes::from(chunk)),
                        (scope, filter, last.or(after), false, finished),
                    ))
                }
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed mid-stream");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        (scope, filter, after, false, true),
                    ))
                }
            }
        },
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"payments-{}.csv\"", tenant.slug),
        ))
        .streaming(stream)
}

/// A letter written to a permit holder (a re-match deactivation), as PDF. Staff allowed to
/// handle permits (`CheckEligibility`); another council's letter is NOT_FOUND.
async fn letter_pdf(
    data: web::Data<AppData>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let (tenant, caller) = match council_and_caller(&data, &req, &slug).await {
        Ok(found) => found,
        Err(e) => return error_response(&e),
    };
    if !caller.allows(Permission::CheckEligibility) {
        return error_response(&ApiError::unauthenticated(
            "log in as staff who handle permits to read letters",
        ));
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_response(&ApiError::not_found(format!("letter {id}")));
    };
    match data.api.store.scope(tenant).letter_pdf(id).await {
        Ok(letter) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"letter-{}.pdf\"", letter.id.simple()),
            ))
            .body(letter.pdf.unwrap_or_default()),
        Err(e) => error_response(&ApiError::from(e)),
    }
}

/// The permit itself as PDF, in the language of the browser (else the council's): for the
/// citizen who holds it and for staff who handle permits; NOT_FOUND for anyone else.
async fn permit_pdf(
    data: web::Data<AppData>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    let (tenant, caller) = match council_and_caller(&data, &req, &slug).await {
        Ok(found) => found,
        Err(e) => return error_response(&e),
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_response(&ApiError::not_found(format!("permit {id}")));
    };
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let locale = accept
        .and_then(|a| civicpay_domain::negotiate(a, &tenant.locales))
        .unwrap_or_else(|| tenant.default_locale.clone());
    let context = civicpay_api::RequestContext {
        state: data.api.clone(),
        tenant: Some(tenant.clone()),
        caller,
        locale: locale.clone(),
        request_id: String::new(),
    };
    let scope = data.api.store.scope(tenant);
    let rendered = async {
        let permit = civicpay_api::documents::visible_permit(&context, &scope, id).await?;
        civicpay_api::documents::permit_pdf(&scope, &permit, &locale).await
    };
    match rendered.await {
        Ok(pdf) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"permit-{}.pdf\"", id.simple()),
            ))
            .body(pdf),
        Err(e) => error_response(&e),
    }
}
