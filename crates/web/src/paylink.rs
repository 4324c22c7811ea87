//! A bill's pay link, `/t/{slug}/pay/{id}`: what a council system sends the payer (in a
//! letter, an e-mail, a text) as `payUrl`. Whoever holds the link may pay the bill without
//! logging in, as with a giro slip; the page shows what is owed, line by line with VAT, in the
//! council's branding and the payer's language, and starts the checkout at the council's PSP.
//! A logged-in citizen whose bill it is may put it in the basket instead.

use crate::Shop;
use crate::basket::bill_view;
use crate::page::{Form, Page};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use civicpay_api::{ApiError, shop};
use civicpay_store::PaymentRequestRecord;
use uuid::Uuid;

/// The bill of the path, or the finished 404 page (a malformed id is as unknown as any).
async fn bill_of(page: &Page, raw_id: &str) -> Result<PaymentRequestRecord, HttpResponse> {
    let not_found = || page.api_error(&ApiError::not_found(format!("bill {raw_id} not found")));
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return Err(not_found());
    };
    match page.scope().payment_request(id).await {
        Ok(bill) => Ok(bill),
        Err(civicpay_store::StoreError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(page.api_error(&ApiError::from(e))),
    }
}

/// Whether the logged-in citizen (if any) is the bill's debtor: then it can go in the basket.
fn is_mine(page: &Page, bill: &PaymentRequestRecord) -> bool {
    page.citizen().is_some()
        && shop::my_debtor(&page.context()).is_ok_and(|debtor| bill.is_billed_to(&debtor))
}

fn render(
    page: &mut Page,
    bill: &PaymentRequestRecord,
    status: StatusCode,
    email: &str,
    email_error: Option<String>,
) -> HttpResponse {
    let view = bill_view(page, bill);
    let mine = is_mine(page, bill);
    let title = bill.description.clone();
    let status_text = page.t(&format!("bill-status-{}", bill.status));
    page.render(status, "pay_link.html", &title, |ctx| {
        ctx.insert("status_text", &status_text);
        ctx.insert("bill", &view);
        ctx.insert("mine", &mine);
        ctx.insert("email", email);
        ctx.insert("email_error", &email_error);
    })
}

/// The pay page: what the bill is for, its lines and VAT, and the button to pay.
pub(crate) async fn show(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (slug, raw_id) = path.into_inner();
    let mut page = match Page::load(shop, req, &slug).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let bill = match bill_of(&page, &raw_id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    render(&mut page, &bill, StatusCode::OK, "", None)
}

/// Starts the payment of the bill (an optional e-mail for the receipt) and sends the browser
/// to the PSP's page. An e-mail that is not one comes back on the page, tied to its field.
pub(crate) async fn start(
    shop: web::Data<Shop>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let form = Form(form.into_inner());
    let (slug, raw_id) = path.into_inner();
    let mut page = match Page::load_form(shop, req, &slug, &form).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let bill = match bill_of(&page, &raw_id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let entered = form.get("email").map(str::trim).unwrap_or_default();
    let email = if entered.is_empty() {
        None
    } else {
        match civicpay_domain::Email::parse(entered) {
            Ok(e) => Some(e.to_string()),
            Err(e) => {
                let message = page.t_with("basket-email-invalid", &[("detail", &e.to_string())]);
                let entered = entered.to_owned();
                return render(
                    &mut page,
                    &bill,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &entered,
                    Some(message),
                );
            }
        }
    };
    let context = page.context();
    match shop::checkout_pay_link(&context, &page.scope(), bill.id, email).await {
        Ok((_, psp_page)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, psp_page))
            .finish(),
        Err(e) => page.api_error(&e),
    }
}
