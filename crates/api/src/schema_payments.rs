//! The payment register in GraphQL: payment requests and bills, payments with lines and
//! events, search with totals, refunds, outgoing webhooks.

use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::payments;
use crate::types::{Money, request};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::{PaymentChannel as DomainChannel, Permission, Sku};
use civicpay_money::Money as DomainMoney;
use civicpay_store::{
    Debtor, NewPaymentRequest, NewPaymentRequestLine, PaymentDetail, PaymentFilter, PaymentRecord,
    PaymentRequestRecord, RefundRecord,
};
use serde::Serialize;
use uuid::Uuid;

pub(crate) fn parse_uuid(field: &str, id: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| ApiError::bad_input(format!("{field}: {:?} is not a valid id", id.as_str())))
}

fn parse_money(field: &str, text: &str, req: &RequestContext) -> ApiResult<DomainMoney> {
    DomainMoney::parse_major(text.trim(), req.tenant()?.currency)
        .map_err(|e| ApiError::bad_input(format!("{field}: {e}")))
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::PaymentStatus")]
pub enum PaymentStatus {
    Created,
    Pending,
    Authorized,
    CaptureRequested,
    Captured,
    PartiallyRefunded,
    Refunded,
    Failed,
    VoidRequested,
    Voided,
    Expired,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "civicpay_domain::PaymentChannel")]
pub enum PaymentChannel {
    Web,
    Pos,
    ApiRequest,
    BankTransfer,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Serialize)]
pub enum DebtorKind {
    NationalId,
    CompanyId,
    Email,
}

impl DebtorKind {
    fn as_str(self) -> &'static str {
        match self {
            DebtorKind::NationalId => "national_id",
            DebtorKind::CompanyId => "company_id",
            DebtorKind::Email => "email",
        }
    }
}

#[derive(InputObject, Serialize)]
pub struct PaymentRequestLineInput {
    /// The council's SKU, if the line is a catalogue product.
    pub sku: Option<String>,
    pub description: String,
    #[graphql(default = 1)]
    pub quantity: u32,
    /// Gross unit price in major units ("125.00"), in the council's currency.
    pub unit_price: String,
    /// The council's VAT code; default: the product's, else the council's first code.
    pub vat_code: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct DebtorInput {
    pub kind: DebtorKind,
    /// National id, company id or e-mail; separators allowed.
    pub value: String,
}

#[derive(InputObject, Serialize)]
pub struct PaymentRequestInput {
    /// What the payer sees, e.g. "Library: lost book".
    pub description: String,
    pub lines: Vec<PaymentRequestLineInput>,
    /// The council system's own id for this request (unique per council).
    pub external_reference: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// After this moment the request can no longer be paid: it expires and the system gets a
    /// `payment_request.expired` webhook. Default: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who owes it: a request with a debtor is a bill the debtor sees among their bills.
    pub debtor: Option<DebtorInput>,
    /// Where signed webhooks go when the request is paid, cancelled or expired.
    pub callback_url: Option<String>,
    /// Where the payer's browser goes after paying.
    pub return_url: Option<String>,
    #[graphql(default)]
    pub allow_partial_payment: bool,
}

#[derive(InputObject, Default)]
pub struct PaymentFilterInput {
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub statuses: Vec<PaymentStatus>,
    pub channel: Option<PaymentChannel>,
    pub method: Option<String>,
    pub sku: Option<String>,
    /// Major units, inclusive.
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    /// A payment reference, a payment request's reference or external reference, or a PSP reference.
    pub reference: Option<String>,
    /// A customer e-mail.
    pub customer: Option<String>,
}

pub fn to_filter(input: PaymentFilterInput, req: &RequestContext) -> ApiResult<PaymentFilter> {
    Ok(PaymentFilter {
        created_from: input.created_from,
        created_to: input.created_to,
        statuses: input.statuses.into_iter().map(Into::into).collect(),
        channel: input.channel.map(Into::into),
        method: input.method,
        sku: input.sku,
        amount_min: input
            .amount_min
            .map(|a| parse_money("filter.amountMin", &a, req).map(|m| m.amount_minor()))
            .transpose()?,
        amount_max: input
            .amount_max
            .map(|a| parse_money("filter.amountMax", &a, req).map(|m| m.amount_minor()))
            .transpose()?,
        reference: input.reference,
        customer: input.customer,
    })
}

#[derive(SimpleObject)]
pub struct PaymentRequestLine {
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub vat_code: String,
    pub vat: Money,
    pub line_total: Money,
}

/// A payment request from a council system; with a debtor, a bill.
pub struct PaymentRequest {
    pub record: PaymentRequestRecord,
    pub pay_url: String,
}

#[Object]
impl PaymentRequest {
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    /// The structured payment reference with the check digits of the council's country
    /// (FI +71 in Denmark, betalingskenmerk in the Netherlands, RF elsewhere).
    async fn reference(&self) -> &str {
        &self.record.reference
    }
    /// `fik_plus71`, `betalingskenmerk` or `rf`.
    async fn reference_scheme(&self) -> &str {
        &self.record.reference_scheme
    }
    async fn external_reference(&self) -> Option<&str> {
        self.record.external_reference.as_deref()
    }
    /// `open`, `paid`, `cancelled` or `expired`.
    async fn status(&self) -> &str {
        &self.record.status
    }
    async fn amount(&self) -> Money {
        Money(self.record.amount)
    }
    async fn paid(&self) -> Money {
        Money(self.record.paid)
    }
    async fn outstanding(&self) -> Money {
        Money(DomainMoney::new(
            self.record.outstanding(),
            self.record.amount.currency(),
        ))
    }
    async fn allow_partial_payment(&self) -> bool {
        self.record.allow_partial
    }
    async fn due_date(&self) -> Option<NaiveDate> {
        self.record.due_date
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.record.expires_at
    }
    /// The debtor, masked (national ids show their first 4 digits only).
    async fn debtor(&self) -> Option<&str> {
        self.record.debtor_display.as_deref()
    }
    async fn description(&self) -> &str {
        &self.record.description
    }
    async fn callback_url(&self) -> Option<&str> {
        self.record.callback_url.as_deref()
    }
    /// Where the payer pays: a page that works without JavaScript.
    async fn pay_url(&self) -> &str {
        &self.pay_url
    }
    async fn lines(&self) -> Vec<PaymentRequestLine> {
        self.record
            .lines
            .iter()
            .map(|l| PaymentRequestLine {
                position: l.position,
                sku: l.sku.clone(),
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: Money(l.unit_price),
                vat_code: l.vat_code.clone(),
                vat: Money(l.vat),
                line_total: Money(l.line_total),
            })
            .collect()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.record.paid_at
    }
    /// Payments made for this request, newest first.
    async fn payments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Payment>> {
        let req = request(ctx)?;
        Ok(req
            .scope()?
            .payments_of_request(self.record.id)
            .await?
            .into_iter()
            .map(|record| Payment {
                record,
                detail: None,
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct PaymentLine {
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub vat_code: String,
    pub vat: Money,
    pub line_total: Money,
    /// What the line pays for: `payment_request`, later `permit_application`, `fee`.
    pub subject_type: String,
    pub subject_id: Option<ID>,
}

/// One entry of a payment's append-only history.
#[derive(SimpleObject)]
pub struct PaymentEventEntry {
    pub sequence: i32,
    /// e.g. `created`, `checkout_started`, `captured`, `fulfilled`, `refunded`, `flagged`.
    pub event: String,
    pub from_status: String,
    pub to_status: String,
    /// Who or what: `{kind: staff|api_key|cli|system, …}`.
    pub actor: Json<serde_json::Value>,
    pub psp_reference: Option<String>,
    pub psp_event_id: Option<String>,
    pub amount: Option<Money>,
    pub detail: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct Refund {
    pub id: ID,
    pub amount: Money,
    pub reason: String,
    /// `requested`, `succeeded` or `failed`.
    pub status: String,
    pub psp_reference: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<RefundRecord> for Refund {
    fn from(r: RefundRecord) -> Self {
        Self {
            id: ID(r.id.to_string()),
            amount: Money(r.amount),
            reason: r.reason,
            status: r.status,
            psp_reference: r.psp_reference,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A payment in the central register.
pub struct Payment {
    pub record: PaymentRecord,
    /// Loaded on demand for `lines`, `events` and `refunds`.
    pub detail: Option<PaymentDetail>,
}

impl Payment {
    async fn detail(&self, ctx: &Context<'_>) -> ApiResult<PaymentDetail> {
        match &self.detail {
            Some(d) => Ok(d.clone()),
            None => Ok(request(ctx)?.scope()?.payment(self.record.id).await?),
        }
    }
}

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.record.id.to_string())
    }
    async fn reference(&self) -> &str {
        &self.record.reference
    }
    async fn status(&self) -> PaymentStatus {
        self.record.status.into()
    }
    async fn channel(&self) -> PaymentChannel {
        self.record.channel.into()
    }
    async fn method(&self) -> Option<&str> {
        self.record.method.as_deref()
    }
    async fn amount(&self) -> Money {
        Money(self.record.amount)
    }
    async fn captured(&self) -> Money {
        Money(self.record.captured)
    }
    async fn refunded(&self) -> Money {
        Money(self.record.refunded)
    }
    async fn gateway(&self) -> &str {
        &self.record.gateway
    }
    async fn psp_reference(&self) -> Option<&str> {
        self.record.psp_reference.as_deref()
    }
    async fn payment_request_id(&self) -> Option<ID> {
        self.record.payment_request_id.map(|id| ID(id.to_string()))
    }
    async fn customer_email(&self) -> Option<&str> {
        self.record.customer_email.as_deref()
    }
    /// Set when finance must look: the PSP's amount differed, or a bill was paid twice.
    async fn flagged_reason(&self) -> Option<&str> {
        self.record.flagged_reason.as_deref()
    }
    async fn fulfilled_at(&self) -> Option<DateTime<Utc>> {
        self.record.fulfilled_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.record.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.updated_at
    }
    async fn lines(&self, ctx: &Context<'_>) -> ApiResult<Vec<PaymentLine>> {
        Ok(self
            .detail(ctx)
            .await?
            .lines
            .into_iter()
            .map(|l| PaymentLine {
                position: l.position,
                sku: l.sku,
                description: l.description,
                quantity: l.quantity,
                unit_price: Money(l.unit_price),
                vat_code: l.vat_code,
                vat: Money(l.vat),
                line_total: Money(l.line_total),
                subject_type: l.subject_type,
                subject_id: l.subject_id.map(|id| ID(id.to_string())),
            })
            .collect())
    }
    /// The full history, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> ApiResult<Vec<PaymentEventEntry>> {
        let currency = self.record.amount.currency();
        Ok(self
            .detail(ctx)
            .await?
            .events
            .into_iter()
            .map(|e| PaymentEventEntry {
                sequence: e.sequence,
                event: e.event,
                from_status: e.from_status,
                to_status: e.to_status,
                actor: Json(e.actor),
                psp_reference: e.psp_reference,
                psp_event_id: e.psp_event_id,
                amount: e.amount_minor.map(|m| Money(DomainMoney::new(m, currency))),
                detail: e.detail.map(Json),
                created_at: e.created_at,
            })
            .collect())
    }
    async fn refunds(&self, ctx: &Context<'_>) -> ApiResult<Vec<Refund>> {
        Ok(self
            .detail(ctx)
            .await?
            .refunds
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct PaymentTotals {
    pub count: u64,
    pub amount: Money,
    pub captured: Money,
    pub refunded: Money,
}

#[derive(SimpleObject)]
pub struct PaymentConnection {
    pub nodes: Vec<Payment>,
    pub page_info: PageInfo,
    /// Over the whole filter, not just this page.
    pub totals: PaymentTotals,
}

#[derive(SimpleObject)]
pub struct Checkout {
    pub payment: Payment,
    /// Send the payer's browser here (the PSP's hosted page).
    pub redirect_url: String,
}

#[derive(SimpleObject)]
pub struct DeliveryAttemptEntry {
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_excerpt: String,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
}

/// An outgoing webhook with its delivery log.
pub struct WebhookDelivery(pub civicpay_store::OutboxRecord);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn event_type(&self) -> Option<&str> {
        self.0.payload["type"].as_str()
    }
    async fn url(&self) -> &str {
        &self.0.target
    }
    /// `pending` (being retried), `done`, or `dead` (gave up; re-send with `redeliverWebhook`).
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == "pending").then_some(self.0.next_attempt_at)
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn log(&self, ctx: &Context<'_>) -> ApiResult<Vec<DeliveryAttemptEntry>> {
        Ok(request(ctx)?
            .scope()?
            .delivery_attempts(self.0.id)
            .await?
            .into_iter()
            .map(|a| DeliveryAttemptEntry {
                attempt: a.attempt,
                status_code: a.status_code,
                error: a.error,
                response_excerpt: a.response_excerpt,
                duration_ms: a.duration_ms,
                created_at: a.created_at,
            })
            .collect())
    }
}

fn wrap_request(req: &RequestContext, record: PaymentRequestRecord) -> ApiResult<PaymentRequest> {
    let scope = req.scope()?;
    Ok(PaymentRequest {
        pay_url: payments::pay_url(&req.state, &scope, record.id),
        record,
    })
}

#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// A payment request by id (council systems with the `payments` scope, or staff).
    async fn payment_request(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PaymentRequest> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        let record = req.scope()?.payment_request(parse_uuid("id", &id)?).await?;
        wrap_request(req, record)
    }

    /// A payment request by the council system's own reference.
    async fn payment_request_by_external_reference(
        &self,
        ctx: &Context<'_>,
        external_reference: String,
    ) -> ApiResult<PaymentRequest> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        let record = req
            .scope()?
            .payment_request_by_external_reference(&external_reference)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("payment request {external_reference:?} not found"))
            })?;
        wrap_request(req, record)
    }

    /// A debtor's open bills from every department of the council, oldest due first.
    async fn bills(
        &self,
        ctx: &Context<'_>,
        debtor: DebtorInput,
    ) -> ApiResult<Vec<PaymentRequest>> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        let debtor = Debtor::parse(debtor.kind.as_str(), &debtor.value)
            .map_err(|e| ApiError::bad_input(format!("debtor: {e}")))?;
        req.scope()?
            .open_bills(&debtor)
            .await?
            .into_iter()
            .map(|r| wrap_request(req, r))
            .collect()
    }

    /// One payment with its lines, events and refunds.
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Payment> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        let detail = req.scope()?.payment(parse_uuid("id", &id)?).await?;
        Ok(Payment {
            record: detail.payment.clone(),
            detail: Some(detail),
        })
    }

    /// The register: newest first, `first` per page (max 500), totals over the whole filter.
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: PaymentFilterInput,
        #[graphql(default = 50)] first: u32,
        after: Option<String>,
    ) -> ApiResult<PaymentConnection> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        if !(1..=500).contains(&first) {
            return Err(ApiError::bad_input("first: must be 1 to 500"));
        }
        let after = after
            .map(|c| {
                Uuid::parse_str(&c)
                    .map_err(|_| ApiError::bad_input("after: not a cursor from endCursor"))
            })
            .transpose()?;
        let filter = to_filter(filter, req)?;
        let scope = req.scope()?;
        let mut page = scope
            .search_payments(&filter, after, u64::from(first) + 1)
            .await?;
        let has_next_page = page.len() > first as usize;
        page.truncate(first as usize);
        let totals = scope.payment_totals(&filter).await?;
        let currency = req.tenant()?.currency;
        Ok(PaymentConnection {
            page_info: PageInfo {
                has_next_page,
                end_cursor: page.last().map(|p| p.id.to_string()),
            },
            nodes: page
                .into_iter()
                .map(|record| Payment {
                    record,
                    detail: None,
                })
                .collect(),
            totals: PaymentTotals {
                count: totals.count,
                amount: Money(DomainMoney::new(totals.amount_minor, currency)),
                captured: Money(DomainMoney::new(totals.captured_minor, currency)),
                refunded: Money(DomainMoney::new(totals.refunded_minor, currency)),
            },
        })
    }

    /// Outgoing webhooks, newest first; `status: "dead"` lists the dead letters.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<String>,
        #[graphql(default = 50)] limit: u32,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        let req = request(ctx)?;
        req.require(Permission::ManageWebhooks)?;
        if let Some(s) = &status
            && !matches!(s.as_str(), "pending" | "done" | "dead")
        {
            return Err(ApiError::bad_input("status: pending, done or dead"));
        }
        Ok(req
            .scope()?
            .outbox_items(status.as_deref(), u64::from(limit.clamp(1, 500)))
            .await?
            .into_iter()
            .map(WebhookDelivery)
            .collect())
    }
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Creates a payment request (the generic payment service). The same `idempotencyKey` with
    /// the same input returns the first answer again; with other input it is a CONFLICT.
    async fn create_payment_request(
        &self,
        ctx: &Context<'_>,
        input: PaymentRequestInput,
        idempotency_key: String,
    ) -> ApiResult<PaymentRequest> {
        let req = request(ctx)?;
        req.require(Permission::CreatePaymentRequests)?;
        let tenant = req.tenant()?.clone();
        let scope = req.scope()?;
        let digest = payments::request_digest(&input);
        let mut lines = Vec::new();
        for (i, line) in input.lines.into_iter().enumerate() {
            let sku = line
                .sku
                .as_deref()
                .map(|s| {
                    Sku::parse(s)
                        .map_err(|e| ApiError::bad_input(format!("input.lines[{i}].sku: {e}")))
                })
                .transpose()?;
            let vat_code = match (&line.vat_code, &sku) {
                (Some(code), _) => code.clone(),
                (None, Some(sku)) => scope
                    .product_by_sku(sku)
                    .await?
                    .map(|p| p.vat_code)
                    .ok_or_else(|| {
                        ApiError::bad_input(format!("input.lines[{i}].sku: unknown product {sku}"))
                    })?,
                (None, None) => tenant
                    .vat_codes
                    .first()
                    .map(|v| v.code.clone())
                    .ok_or_else(|| {
                        ApiError::bad_input(format!("input.lines[{i}].vatCode: required"))
                    })?,
            };
            lines.push(NewPaymentRequestLine {
                sku,
                description: line.description,
                quantity: line.quantity,
                unit_price: parse_money(
                    &format!("input.lines[{i}].unitPrice"),
                    &line.unit_price,
                    req,
                )?,
                vat_code,
            });
        }
        let new = NewPaymentRequest {
            external_reference: input.external_reference.map(|e| e.trim().to_owned()),
            description: input.description,
            lines,
            due_date: input.due_date,
            expires_at: input.expires_at,
            debtor: input
                .debtor
                .map(|d| Debtor::parse(d.kind.as_str(), &d.value))
                .transpose()
                .map_err(|e| ApiError::bad_input(format!("input.debtor: {e}")))?,
            callback_url: input.callback_url,
            return_url: input.return_url,
            allow_partial: input.allow_partial_payment,
            capture_later: false,
        };
        let record = payments::create_payment_request(
            &scope,
            new,
            &digest,
            &idempotency_key,
            &req.caller.actor(),
        )
        .await?;
        wrap_request(req, record)
    }

    /// Cancels an open payment request; its system gets a `payment_request.cancelled` webhook.
    async fn cancel_payment_request(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PaymentRequest> {
        let req = request(ctx)?;
        req.require(Permission::CreatePaymentRequests)?;
        let record = req
            .scope()?
            .cancel_payment_request(parse_uuid("id", &id)?, &req.caller.actor())
            .await?;
        wrap_request(req, record)
    }

    /// Starts paying one or several open bills at once (or a part of one that allows it).
    async fn start_payment(
        &self,
        ctx: &Context<'_>,
        payment_request_ids: Vec<ID>,
        amount: Option<String>,
        customer_email: Option<String>,
        #[graphql(
            default,
            desc = "Only reserve the money; staff capture it on approval (`capturePayment`) or release it (`voidPayment`)."
        )]
        capture_later: bool,
    ) -> ApiResult<Checkout> {
        let req = request(ctx)?;
        req.require(Permission::ReadPayments)?;
        let ids = payment_request_ids
            .iter()
            .map(|id| parse_uuid("paymentRequestIds", id))
            .collect::<ApiResult<Vec<_>>>()?;
        let amount = amount.map(|a| parse_money("amount", &a, req)).transpose()?;
        let email = customer_email
            .map(|e| civicpay_domain::Email::parse(&e).map(String::from))
            .transpose()
            .map_err(|e| ApiError::bad_input(format!("customerEmail: {e}")))?;
        let (record, redirect_url) = payments::start_checkout(
            &req.state,
            &req.scope()?,
            &ids,
            amount,
            email,
            DomainChannel::Web,
            if capture_later {
                civicpay_psp::CaptureMode::Manual
            } else {
                civicpay_psp::CaptureMode::Automatic
            },
            &req.caller.actor(),
        )
        .await?;
        Ok(Checkout {
            payment: Payment {
                record,
                detail: None,
            },
            redirect_url,
        })
    }

    /// Refunds part or all of a captured payment with a reason. Refunds can never add up to
    /// more than was captured.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        amount: String,
        reason: String,
        idempotency_key: String,
    ) -> ApiResult<Refund> {
        let req = request(ctx)?;
        req.require(Permission::RefundPayments)?;
        let amount = parse_money("amount", &amount, req)?;
        let outcome = payments::refund_payment(
            &req.state,
            &req.scope()?,
            parse_uuid("paymentId", &payment_id)?,
            amount,
            &reason,
            &idempotency_key,
            &req.caller.actor(),
        )
        .await?;
        Ok(outcome.refund.into())
    }

    /// Captures an authorized payment (staff approve the order). A second, concurrent capture
    /// of the same payment is refused with CONFLICT before the PSP is called.
    async fn capture_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        idempotency_key: String,
    ) -> ApiResult<Payment> {
        let req = request(ctx)?;
        req.require(Permission::CapturePayments)?;
        let record = payments::capture_payment(
            &req.state,
            &req.scope()?,
            parse_uuid("paymentId", &payment_id)?,
            &idempotency_key,
            &req.caller.actor(),
        )
        .await?;
        Ok(Payment {
            record,
            detail: None,
        })
    }

    /// Releases an authorized payment with a reason (staff reject the order); nothing is charged.
    async fn void_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        reason: String,
        idempotency_key: String,
    ) -> ApiResult<Payment> {
        let req = request(ctx)?;
        req.require(Permission::CapturePayments)?;
        let record = payments::void_payment(
            &req.state,
            &req.scope()?,
            parse_uuid("paymentId", &payment_id)?,
            &reason,
            &idempotency_key,
            &req.caller.actor(),
        )
        .await?;
        Ok(Payment {
            record,
            detail: None,
        })
    }

    /// Re-sends a dead-lettered (or delivered) webhook now.
    async fn redeliver_webhook(&self, ctx: &Context<'_>, id: ID) -> ApiResult<WebhookDelivery> {
        let req = request(ctx)?;
        req.require(Permission::ManageWebhooks)?;
        Ok(WebhookDelivery(
            req.scope()?
                .redeliver(parse_uuid("id", &id)?, &req.caller.actor())
                .await?,
        ))
    }

    /// Makes a new webhook signing secret and returns it (shown once). The previous secrets
    /// keep signing next to it for `overlapHours`, so receivers can switch without a gap.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 24)] overlap_hours: u32,
    ) -> ApiResult<String> {
        let req = request(ctx)?;
        req.require(Permission::ManageWebhooks)?;
        if overlap_hours > 24 * 30 {
            return Err(ApiError::bad_input("overlapHours: at most 720"));
        }
        Ok(req
            .scope()?
            .rotate_webhook_secret(
                chrono::Duration::hours(i64::from(overlap_hours)),
                &req.caller.actor(),
            )
            .await?)
    }
}
