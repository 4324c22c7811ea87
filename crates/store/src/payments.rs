//! The central payment-transaction register: payment requests (bills), payments with their
//! lines, the append-only event history, refunds and fulfilment. The domain's state machine
//! decides every move; this module makes each move one transaction with its event row, and
//! with its outbox rows when something must leave the process.

use crate::entity::{
    outbox, payment, payment_event, payment_line, payment_request, payment_request_line, refund,
};
use crate::error::StoreError;
use crate::scope::TenantScope;
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::audit::Actor;
use civicpay_domain::reference::{PaymentReference, ReferenceScheme};
use civicpay_domain::{
    PaymentChannel, PaymentEvent, PaymentStatus, Sku, Transition, apply_payment_event,
};
use civicpay_money::{Currency, Money, Rounding, VatRate, vat_from_gross};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// Who owes a bill. Stored only as a digest plus a masked form for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Debtor {
    /// A person's national id (CPR, BSN, PESEL): digits only.
    NationalId(String),
    /// A company's registration number (CVR, KvK, NIP): digits only.
    CompanyId(String),
    Email(civicpay_domain::Email),
}

impl Debtor {
    pub fn kind(&self) -> &'static str {
        match self {
            Debtor::NationalId(_) => "national_id",
            Debtor::CompanyId(_) => "company_id",
            Debtor::Email(_) => "email",
        }
    }

    /// Parses a debtor as council systems send it: `kind` and a value with optional
    /// separators (`010190-1234`).
    pub fn parse(kind: &str, value: &str) -> Result<Self, String> {
        let digits: String = value
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '.'))
            .collect();
        let all_digits = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
        match kind {
            "national_id" if all_digits && (6..=20).contains(&digits.len()) => {
                Ok(Debtor::NationalId(digits))
            }
            "national_id" => Err(format!(
                "national id {value:?} is invalid: expected 6-20 digits (separators allowed)"
            )),
            "company_id" if all_digits && (6..=20).contains(&digits.len()) => {
                Ok(Debtor::CompanyId(digits))
            }
            "company_id" => Err(format!(
                "company id {value:?} is invalid: expected 6-20 digits (separators allowed)"
            )),
            "email" => civicpay_domain::Email::parse(value)
                .map(Debtor::Email)
                .map_err(|e| e.to_string()),
            other => Err(format!(
                "debtor kind {other:?} is invalid: expected national_id, company_id or email"
            )),
        }
    }

    /// The look-up key: SHA-256 of kind and normalised value.
    pub fn key(&self) -> String {
        let value = match self {
            Debtor::NationalId(v) | Debtor::CompanyId(v) => v.clone(),
            Debtor::Email(e) => e.to_string(),
        };
        hex(&Sha256::digest(
            format!("{}:{value}", self.kind()).as_bytes(),
        ))
    }

    /// What staff see: national ids masked, the rest in full.
    pub fn display(&self) -> String {
        match self {
            Debtor::NationalId(v) => {
                let shown: String = v.chars().take(4).collect();
                format!("{shown}{}", "*".repeat(v.len().saturating_sub(4)))
            }
            Debtor::CompanyId(v) => v.clone(),
            Debtor::Email(e) => e.to_string(),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone)]
pub struct NewPaymentRequestLine {
    pub sku: Option<Sku>,
    pub description: String,
    pub quantity: u32,
    /// Gross, VAT included.
    pub unit_price: Money,
    pub vat_code: String,
}

#[derive(Debug, Clone)]
pub struct NewPaymentRequest {
    pub external_reference: Option<String>,
    pub description: String,
    pub lines: Vec<NewPaymentRequestLine>,
    pub due_date: Option<NaiveDate>,
    /// After this the request can no longer be paid; it expires and its system is told.
    pub expires_at: Option<DateTime<Utc>>,
    pub debtor: Option<Debtor>,
    pub callback_url: Option<String>,
    pub return_url: Option<String>,
    pub allow_partial: bool,
    /// Only authorize the payer's payment; staff capture it on approval (S0-6).
    pub capture_later: bool,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PaymentRequestLineRecord {
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub vat_code: String,
    pub vat_rate_basis_points: i32,
    pub vat: Money,
    pub line_total: Money,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PaymentRequestRecord {
    pub id: Uuid,
    pub reference: String,
    pub reference_scheme: String,
    pub external_reference: Option<String>,
    /// open, paid, cancelled, expired
    pub status: String,
    pub amount: Money,
    pub paid: Money,
    pub allow_partial: bool,
    pub due_date: Option<NaiveDate>,
    pub expires_at: Option<DateTime<Utc>>,
    pub debtor_kind: Option<String>,
    pub debtor_display: Option<String>,
    /// The debtor's look-up key ([`Debtor::key`]): whose bill this is, without saying who.
    pub debtor_key: Option<String>,
    pub description: String,
    pub callback_url: Option<String>,
    pub return_url: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// Its payments are only authorized; staff capture them on approval.
    pub capture_later: bool,
    pub lines: Vec<PaymentRequestLineRecord>,
}

impl PaymentRequestRecord {
    /// Whether this bill is addressed to `debtor`.
    pub fn is_billed_to(&self, debtor: &Debtor) -> bool {
        self.debtor_key.as_deref() == Some(debtor.key().as_str())
    }

    pub fn outstanding(&self) -> i64 {
        self.amount.amount_minor() - self.paid.amount_minor()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentLineRecord {
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub vat_code: String,
    pub vat: Money,
    pub line_total: Money,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentEventRecord {
    pub sequence: i32,
    pub event: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: serde_json::Value,
    pub psp_reference: Option<String>,
    pub psp_event_id: Option<String>,
    pub amount_minor: Option<i64>,
    pub detail: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RefundRecord {
    pub id: Uuid,
    pub amount: Money,
    pub reason: String,
    pub status: String,
    pub psp_reference: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PaymentRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub channel: PaymentChannel,
    pub method: Option<String>,
    pub status: PaymentStatus,
    pub amount: Money,
    pub captured: Money,
    pub refunded: Money,
    pub gateway: String,
    pub psp_reference: Option<String>,
    pub payment_request_id: Option<Uuid>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub flagged_reason: Option<String>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A payment with everything that belongs to it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentDetail {
    pub payment: PaymentRecord,
    pub lines: Vec<PaymentLineRecord>,
    pub events: Vec<PaymentEventRecord>,
    pub refunds: Vec<RefundRecord>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    /// Already imported before (same external reference): left as they are.
    pub skipped_existing: usize,
    /// Sum of the created requests, in minor units.
    pub total_minor: i64,
}

/// Register search criteria; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub statuses: Vec<PaymentStatus>,
    pub channel: Option<PaymentChannel>,
    pub method: Option<String>,
    pub sku: Option<String>,
    pub amount_min: Option<i64>,
    pub amount_max: Option<i64>,
    /// Our payment reference, the payment request's reference or external reference, or the
    /// PSP's reference.
    pub reference: Option<String>,
    /// A customer e-mail (exact, case-insensitive).
    pub customer: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PaymentTotals {
    pub count: u64,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
}

/// Facts that come with an event: who or what, and the PSP's identifiers.
#[derive(Debug, Clone)]
pub struct EventMeta {
    pub actor: Actor,
    pub psp_reference: Option<String>,
    pub psp_event_id: Option<String>,
    /// The amount the PSP reports (captures, refunds).
    pub amount: Option<Money>,
    pub detail: Option<serde_json::Value>,
}

impl EventMeta {
    pub fn by(actor: Actor) -> Self {
        Self {
            actor,
            psp_reference: None,
            psp_event_id: None,
            amount: None,
            detail: None,
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone)]
pub struct EventOutcome {
    pub payment: PaymentRecord,
    pub transition: Transition,
    /// True when this event fulfilled the payment's lines (exactly once per payment).
    pub fulfilled: bool,
}

fn money(minor: i64, currency: &str) -> Result<Money, StoreError> {
    Ok(Money::new(
        minor,
        Currency::parse(currency).map_err(StoreError::corrupt)?,
    ))
}

/// `payment_requests.capture_mode` values.
pub(crate) const CAPTURE_AUTOMATIC: &str = "automatic";
pub(crate) const CAPTURE_MANUAL: &str = "manual";

fn request_record(
    row: payment_request::Model,
    lines: Vec<payment_request_line::Model>,
) -> Result<PaymentRequestRecord, StoreError> {
    let lines = lines
        .into_iter()
        .map(|l| {
            Ok(PaymentRequestLineRecord {
                position: l.position,
                sku: l.sku,
                description: l.description,
                quantity: l.quantity,
                unit_price: money(l.unit_price_minor, &row.currency)?,
                vat_code: l.vat_code,
                vat_rate_basis_points: l.vat_rate_bp,
                vat: money(l.vat_minor, &row.currency)?,
                line_total: money(l.line_total_minor, &row.currency)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(PaymentRequestRecord {
        id: row.id,
        amount: money(row.amount_minor, &row.currency)?,
        paid: money(row.paid_minor, &row.currency)?,
        reference: row.reference,
        reference_scheme: row.reference_scheme,
        external_reference: row.external_reference,
        status: row.status,
        allow_partial: row.allow_partial,
        due_date: row.due_date,
        expires_at: row.expires_at,
        debtor_kind: row.debtor_kind,
        debtor_display: row.debtor_display,
        debtor_key: row.debtor_key,
        description: row.description,
        callback_url: row.callback_url,
        return_url: row.return_url,
        created_by: row.created_by,
        created_at: row.created_at,
        paid_at: row.paid_at,
        capture_later: row.capture_mode == CAPTURE_MANUAL,
        lines,
    })
}

pub(crate) fn payment_record(row: payment::Model) -> Result<PaymentRecord, StoreError> {
    Ok(PaymentRecord {
        id: row.id,
        tenant_id: row.tenant_id,
        amount: money(row.amount_minor, &row.currency)?,
        captured: money(row.captured_minor, &row.currency)?,
        refunded: money(row.refunded_minor, &row.currency)?,
        reference: row.reference,
        channel: PaymentChannel::parse(&row.channel).map_err(StoreError::corrupt)?,
        method: row.method,
        status: PaymentStatus::parse(&row.status).map_err(StoreError::corrupt)?,
        gateway: row.gateway,
        psp_reference: row.psp_reference,
        payment_request_id: row.payment_request_id,
        customer_email: row.customer_email,
        customer_name: row.customer_name,
        flagged_reason: row.flagged_reason,
        fulfilled_at: row.fulfilled_at,
        expires_at: row.expires_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Whether a database error is SQLite's or PostgreSQL's "try again": a lock or serialization
/// conflict between concurrent writers.
pub(crate) fn is_retryable(err: &StoreError) -> bool {
    match err {
        StoreError::Unexpected(db) => {
            let text = db.to_string().to_lowercase();
            text.contains("database is locked")
                || text.contains("busy")
                || text.contains("could not serialize")
                || text.contains("deadlock")
        }
        _ => false,
    }
}

/// Takes the payment's row lock before reading it: a no-op UPDATE locks the row on
/// PostgreSQL and takes SQLite's write lock, so two writers of one payment queue up instead
/// of both deciding from the same stale state.
async fn lock_payment(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    payment_id: Uuid,
) -> Result<payment::Model, StoreError> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE payments SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2"
        }
        _ => "UPDATE payments SET updated_at = updated_at WHERE id = ? AND tenant_id = ?",
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [payment_id.into(), tenant_id.into()],
    ))
    .await?;
    payment::Entity::find_by_id(payment_id)
        .filter(payment::Column::TenantId.eq(tenant_id))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("payment {payment_id}")))
}

async fn next_sequence(txn: &DatabaseTransaction, payment_id: Uuid) -> Result<i32, StoreError> {
    let last = payment_event::Entity::find()
        .filter(payment_event::Column::PaymentId.eq(payment_id))
        .order_by_desc(payment_event::Column::Sequence)
        .one(txn)
        .await?;
    Ok(last.map_or(1, |e| e.sequence + 1))
}

#[allow(clippy::too_many_arguments)]
async fn append_event(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    payment_id: Uuid,
    event: &str,
    from: PaymentStatus,
    to: PaymentStatus,
    meta: &EventMeta,
    amount_minor: Option<i64>,
) -> Result<(), StoreError> {
    let sequence = next_sequence(txn, payment_id).await?;
    payment_event::Entity::insert(payment_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        payment_id: Set(payment_id),
        sequence: Set(sequence),
        event: Set(event.to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        actor: Set(serde_json::to_value(&meta.actor).map_err(StoreError::corrupt)?),
        psp_reference: Set(meta.psp_reference.clone()),
        psp_event_id: Set(meta.psp_event_id.clone()),
        amount_minor: Set(amount_minor.or(meta.amount.map(|m| m.amount_minor()))),
        detail: Set(meta.detail.clone()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Queues a side effect in the caller's transaction: it exists if and only if the change does.
/// An e-mail to a citizen, sent from the outbox after the change commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// A letter whose PDF goes with it.
    pub letter_id: Option<Uuid>,
}

/// Queues `email` inside the caller's transaction (outbox kind `email`).
pub(crate) async fn queue_email(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    email: &NewEmail,
) -> Result<Uuid, StoreError> {
    enqueue(
        txn,
        tenant_id,
        "email",
        &email.to,
        serde_json::json!({
            "subject": email.subject,
            "body": email.body,
            "letter_id": email.letter_id,
        }),
    )
    .await
}

pub(crate) async fn enqueue(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    kind: &str,
    target: &str,
    payload: serde_json::Value,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        kind: Set(kind.to_owned()),
        target: Set(target.to_owned()),
        payload: Set(payload),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        done_at: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(id)
}

impl TenantScope {
    /// The next number of the council's reference sequence (starts at 1000). The counter row
    /// is created on first use with `ON CONFLICT DO NOTHING` and then always incremented by the
    /// same UPDATE, so two first uses racing on PostgreSQL cannot both get 1000.
    async fn next_reference_number(&self, txn: &DatabaseTransaction) -> Result<u64, StoreError> {
        let backend = txn.get_database_backend();
        let tenant = self.tenant_id();
        let (update, insert) = match backend {
            DbBackend::Postgres => (
                "UPDATE reference_counters SET next_value = next_value + 1 WHERE tenant_id = $1 RETURNING next_value - 1 AS value",
                "INSERT INTO reference_counters (tenant_id, next_value) VALUES ($1, 1000) ON CONFLICT (tenant_id) DO NOTHING",
            ),
            _ => (
                "UPDATE reference_counters SET next_value = next_value + 1 WHERE tenant_id = ? RETURNING next_value - 1 AS value",
                "INSERT INTO reference_counters (tenant_id, next_value) VALUES (?, 1000) ON CONFLICT (tenant_id) DO NOTHING",
            ),
        };
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            insert,
            [tenant.into()],
        ))
        .await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                update,
                [tenant.into()],
            ))
            .await?
            .ok_or_else(|| {
                StoreError::corrupt("reference counter missing right after its insert")
            })?;
        let value: i64 = row.try_get("", "value")?;
        u64::try_from(value).map_err(StoreError::corrupt)
    }

    async fn new_reference(
        &self,
        txn: &DatabaseTransaction,
    ) -> Result<PaymentReference, StoreError> {
        let number = self.next_reference_number(txn).await?;
        let scheme = ReferenceScheme::for_country(&self.tenant().country);
        PaymentReference::generate(scheme, number).map_err(StoreError::corrupt)
    }

    /// Creates a payment request (a bill when it names a debtor). Lines are priced gross;
    /// VAT is computed per line from the council's VAT codes.
    pub async fn create_payment_request(
        &self,
        new: NewPaymentRequest,
        actor: &Actor,
    ) -> Result<PaymentRequestRecord, StoreError> {
        let txn = self.begin().await?;
        let created = self.insert_payment_request(&txn, new, actor).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Inserts inside the caller's transaction (bulk imports put many in one).
    pub async fn insert_payment_request(
        &self,
        txn: &DatabaseTransaction,
        new: NewPaymentRequest,
        actor: &Actor,
    ) -> Result<PaymentRequestRecord, StoreError> {
        let currency = self.tenant().currency;
        if new.lines.is_empty() {
            return Err(StoreError::Invalid("lines: give at least one line".into()));
        }
        let mut lines = Vec::new();
        let mut total: i64 = 0;
        for (i, line) in new.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            if line.unit_price.currency() != currency {
                return Err(StoreError::Invalid(format!(
                    "{field}.unitPrice: currency {} differs from the council's {currency}",
                    line.unit_price.currency()
                )));
            }
            if line.quantity == 0 || line.quantity > 10_000 {
                return Err(StoreError::Invalid(format!(
                    "{field}.quantity: {} is out of range 1-10000",
                    line.quantity
                )));
            }
            if line.unit_price.amount_minor() <= 0 {
                return Err(StoreError::Invalid(format!(
                    "{field}.unitPrice: must be more than zero"
                )));
            }
            let description = line.description.trim();
            if description.is_empty() || description.len() > 500 {
                return Err(StoreError::Invalid(format!(
                    "{field}.description: 1-500 characters"
                )));
            }
            let vat = self
                .tenant()
                .vat_codes
                .iter()
                .find(|v| v.code == line.vat_code)
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "{field}.vatCode: unknown VAT code {:?}; this council has: {}",
                        line.vat_code,
                        self.tenant()
                            .vat_codes
                            .iter()
                            .map(|v| v.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            let rate =
                VatRate::from_basis_points(vat.rate_basis_points).map_err(StoreError::corrupt)?;
            let line_total = line
                .unit_price
                .checked_mul(i64::from(line.quantity))
                .map_err(|e| StoreError::Invalid(format!("{field}: {e}")))?;
            let split = vat_from_gross(line_total, rate, Rounding::HalfUp);
            total = total
                .checked_add(line_total.amount_minor())
                .ok_or_else(|| StoreError::Invalid("the total is too large".into()))?;
            lines.push((
                line,
                split,
                i32::try_from(vat.rate_basis_points).unwrap_or(0),
            ));
        }
        if let Some(ext) = &new.external_reference
            && (ext.trim().is_empty() || ext.len() > 100)
        {
            return Err(StoreError::Invalid(
                "externalReference: 1-100 characters".into(),
            ));
        }
        let description = new.description.trim().to_owned();
        if description.is_empty() || description.len() > 500 {
            return Err(StoreError::Invalid("description: 1-500 characters".into()));
        }
        if let Some(expires_at) = new.expires_at
            && expires_at <= Utc::now()
        {
            return Err(StoreError::Invalid(format!(
                "expiresAt: {expires_at} is not in the future"
            )));
        }
        let reference = self.new_reference(txn).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        payment_request::Entity::insert(payment_request::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_id()),
            reference: Set(reference.as_str().to_owned()),
            reference_scheme: Set(reference.scheme().as_str().to_owned()),
            external_reference: Set(new.external_reference.clone()),
            status: Set("open".into()),
            amount_minor: Set(total),
            paid_minor: Set(0),
            currency: Set(currency.code().to_owned()),
            allow_partial: Set(new.allow_partial),
            due_date: Set(new.due_date),
            expires_at: Set(new.expires_at),
            debtor_kind: Set(new.debtor.as_ref().map(|d| d.kind().to_owned())),
            debtor_key: Set(new.debtor.as_ref().map(Debtor::key)),
            debtor_display: Set(new.debtor.as_ref().map(Debtor::display)),
            description: Set(description),
            callback_url: Set(new.callback_url.clone()),
            return_url: Set(new.return_url.clone()),
            created_by: Set(actor.label()),
            created_at: Set(now),
            updated_at: Set(now),
            paid_at: Set(None),
            capture_mode: Set(if new.capture_later {
                CAPTURE_MANUAL
            } else {
                CAPTURE_AUTOMATIC
            }
            .to_owned()),
        })
        .exec_without_returning(txn)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(
                e,
                format!(
                    "a payment request with external reference {:?} exists already",
                    new.external_reference.as_deref().unwrap_or("")
                ),
            )
        })?;
        for (position, (line, split, rate_bp)) in lines.into_iter().enumerate() {
            payment_request_line::Entity::insert(payment_request_line::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.tenant_id()),
                payment_request_id: Set(id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                sku: Set(line.sku.as_ref().map(ToString::to_string)),
                description: Set(line.description.trim().to_owned()),
                quantity: Set(i32::try_from(line.quantity).unwrap_or(i32::MAX)),
                unit_price_minor: Set(line.unit_price.amount_minor()),
                vat_code: Set(line.vat_code.clone()),
                vat_rate_bp: Set(rate_bp),
                vat_minor: Set(split.vat.amount_minor()),
                line_total_minor: Set(split.gross.amount_minor()),
            })
            .exec_without_returning(txn)
            .await?;
        }
        load_request(txn, self.tenant_id(), id).await
    }

    /// Loads many payment requests (bills) all-or-nothing in one transaction. Requests whose
    /// external reference exists already are skipped, so a file can be imported again safely.
    /// An error names the position (0-based) of the request that failed.
    pub async fn import_payment_requests(
        &self,
        requests: Vec<NewPaymentRequest>,
        actor: &Actor,
    ) -> Result<ImportReport, (usize, StoreError)> {
        let txn = self.begin().await.map_err(|e| (0, e))?;
        let mut report = ImportReport::default();
        for (index, new) in requests.into_iter().enumerate() {
            let Some(external) = new.external_reference.clone() else {
                return Err((
                    index,
                    StoreError::Invalid(
                        "externalReference: required for imports (it makes them idempotent)".into(),
                    ),
                ));
            };
            let exists = payment_request::Entity::find()
                .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
                .filter(payment_request::Column::ExternalReference.eq(external.as_str()))
                .one(&txn)
                .await
                .map_err(|e| (index, e.into()))?;
            if exists.is_some() {
                report.skipped_existing += 1;
                continue;
            }
            let amount = new
                .lines
                .iter()
                .map(|l| l.unit_price.amount_minor() * i64::from(l.quantity))
                .sum::<i64>();
            self.insert_payment_request(&txn, new, actor)
                .await
                .map_err(|e| (index, e))?;
            report.created += 1;
            report.total_minor += amount;
        }
        crate::platform::write_audit(
            &txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "payment_request.import",
                entity_type: "payment_request",
                entity_id: format!("{} created", report.created),
                before: None,
                after: Some(serde_json::json!({
                    "created": report.created,
                    "skipped_existing": report.skipped_existing,
                    "total_minor": report.total_minor,
                })),
            },
        )
        .await
        .map_err(|e| (0, e))?;
        txn.commit().await.map_err(|e| (0, e.into()))?;
        Ok(report)
    }

    pub async fn payment_request(&self, id: Uuid) -> Result<PaymentRequestRecord, StoreError> {
        let txn = self.begin_read().await?;
        let found = load_request(&txn, self.tenant_id(), id).await;
        txn.commit().await?;
        found
    }

    pub async fn payment_request_by_external_reference(
        &self,
        external: &str,
    ) -> Result<Option<PaymentRequestRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let row = payment_request::Entity::find()
            .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
            .filter(payment_request::Column::ExternalReference.eq(external))
            .one(&txn)
            .await?;
        let found = match row {
            Some(r) => Some(load_request(&txn, self.tenant_id(), r.id).await?),
            None => None,
        };
        txn.commit().await?;
        Ok(found)
    }

    /// Open bills of one debtor, oldest due first.
    pub async fn open_bills(
        &self,
        debtor: &Debtor,
    ) -> Result<Vec<PaymentRequestRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = payment_request::Entity::find()
            .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
            .filter(payment_request::Column::DebtorKey.eq(debtor.key()))
            .filter(payment_request::Column::Status.eq("open"))
            .order_by_with_nulls(
                payment_request::Column::DueDate,
                sea_orm::Order::Asc,
                sea_orm::sea_query::NullOrdering::Last,
            )
            .order_by_asc(payment_request::Column::Id)
            .all(&txn)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(load_request(&txn, self.tenant_id(), r.id).await?);
        }
        txn.commit().await?;
        Ok(out)
    }

    /// Cancels an open request that has no payment in progress, and tells its system.
    pub async fn cancel_payment_request(
        &self,
        id: Uuid,
        actor: &Actor,
    ) -> Result<PaymentRequestRecord, StoreError> {
        let txn = self.begin().await?;
        let current = load_request(&txn, self.tenant_id(), id).await?;
        if current.status != "open" {
            return Err(StoreError::Conflict(format!(
                "payment request {} is {}; only open requests can be cancelled",
                current.reference, current.status
            )));
        }
        let updated = self.cancel_open_request_in(&txn, id, actor).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Cancels request `id` inside the caller's transaction when it is open (a request that
    /// is paid, cancelled or expired is left as it is): CONFLICT while a payment of it is in
    /// progress. Its system is told, and the permits waiting for it are cancelled.
    pub(crate) async fn cancel_open_request_in(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        actor: &Actor,
    ) -> Result<PaymentRequestRecord, StoreError> {
        let current = load_request(txn, self.tenant_id(), id).await?;
        if current.status != "open" {
            return Ok(current);
        }
        let in_progress = payment::Entity::find()
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .filter(payment::Column::PaymentRequestId.eq(id))
            .filter(payment::Column::Status.is_in(["pending", "authorized", "capture_requested"]))
            .count(txn)
            .await?;
        if in_progress > 0 {
            return Err(StoreError::Conflict(format!(
                "payment request {} has a payment in progress; try again when it has ended",
                current.reference
            )));
        }
        payment_request::Entity::update_many()
            .set(payment_request::ActiveModel {
                status: Set("cancelled".into()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(payment_request::Column::Id.eq(id))
            .filter(payment_request::Column::TenantId.eq(self.tenant_id()))
            .exec(txn)
            .await?;
        let updated = load_request(txn, self.tenant_id(), id).await?;
        self.queue_callback(txn, &updated, "payment_request.cancelled")
            .await?;
        self.cancel_permits_for_request(txn, id, actor, "payment request cancelled")
            .await?;
        crate::platform::write_audit(
            txn,
            crate::platform::AuditEntry {
                tenant_id: Some(self.tenant_id()),
                actor,
                action: "payment_request.cancel",
                entity_type: "payment_request",
                entity_id: id.to_string(),
                before: Some(serde_json::json!({ "status": current.status })),
                after: Some(serde_json::json!({ "status": "cancelled" })),
            },
        )
        .await?;
        Ok(updated)
    }

    async fn queue_callback(
        &self,
        txn: &DatabaseTransaction,
        request: &PaymentRequestRecord,
        event_type: &str,
    ) -> Result<(), StoreError> {
        let Some(url) = &request.callback_url else {
            return Ok(());
        };
        let event_id = Uuid::now_v7();
        let payload = serde_json::json!({
            "id": event_id,
            "type": event_type,
            "created_at": Utc::now(),
            "tenant": self.tenant().slug,
            "data": { "payment_request": {
                "id": request.id,
                "reference": request.reference,
                "external_reference": request.external_reference,
                "status": request.status,
                "amount": { "amount": request.amount.to_major_string(), "currency": request.amount.currency().code() },
                "paid": { "amount": request.paid.to_major_string(), "currency": request.paid.currency().code() },
                "paid_at": request.paid_at,
            }},
        });
        enqueue(txn, self.tenant_id(), "webhook", url, payload).await?;
        Ok(())
    }

    /// Starts a payment of open requests (one, or several bills at once), for their outstanding
    /// amounts — or, for a single request that allows it, a part (`partial_amount`).
    pub async fn create_payment_for_requests(
        &self,
        request_ids: &[Uuid],
        partial_amount: Option<Money>,
        channel: PaymentChannel,
        gateway: &str,
        customer_email: Option<String>,
        actor: &Actor,
    ) -> Result<PaymentRecord, StoreError> {
        if request_ids.is_empty() {
            return Err(StoreError::Invalid(
                "choose at least one payment request".into(),
            ));
        }
        let txn = self.begin().await?;
        let mut lines = Vec::new();
        let mut total: i64 = 0;
        for id in request_ids {
            let request = load_request(&txn, self.tenant_id(), *id).await?;
            if request.status != "open" {
                return Err(StoreError::Conflict(format!(
                    "payment request {} is {}",
                    request.reference, request.status
                )));
            }
            let outstanding = request.outstanding();
            let amount = match partial_amount {
                Some(part) if request_ids.len() == 1 => {
                    if !request.allow_partial && part.amount_minor() != outstanding {
                        return Err(StoreError::Invalid(format!(
                            "payment request {} does not allow partial payment",
                            request.reference
                        )));
                    }
                    if part.amount_minor() <= 0 || part.amount_minor() > outstanding {
                        return Err(StoreError::Invalid(format!(
                            "amount: must be between 0.01 and the outstanding {}",
                            Money::new(outstanding, request.amount.currency())
                        )));
                    }
                    part.amount_minor()
                }
                Some(_) => {
                    return Err(StoreError::Invalid(
                        "a partial amount can be given for one payment request only".into(),
                    ));
                }
                None => outstanding,
            };
            let vat: i64 = if amount == request.amount.amount_minor() {
                request.lines.iter().map(|l| l.vat.amount_minor()).sum()
            } else {
                0
            };
            total += amount;
            lines.push((request, amount, vat));
        }
        let reference = self.new_reference(&txn).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let single_request = (request_ids.len() == 1).then(|| request_ids[0]);
        payment::Entity::insert(payment::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_id()),
            reference: Set(reference.as_str().to_owned()),
            channel: Set(channel.as_str().to_owned()),
            method: Set(None),
            status: Set(PaymentStatus::Created.as_str().to_owned()),
            amount_minor: Set(total),
            currency: Set(self.tenant().currency.code().to_owned()),
            captured_minor: Set(0),
            refunded_minor: Set(0),
            gateway: Set(gateway.to_owned()),
            psp_reference: Set(None),
            payment_request_id: Set(single_request),
            customer_email: Set(customer_email),
            customer_name: Set(None),
            flagged_reason: Set(None),
            fulfilled_at: Set(None),
            // An abandoned checkout expires after an hour (the recovery job asks the PSP first).
            expires_at: Set(Some(now + chrono::Duration::hours(1))),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        for (position, (request, amount, vat)) in lines.iter().enumerate() {
            let sku = request.lines.first().and_then(|l| l.sku.clone());
            payment_line::Entity::insert(payment_line::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(self.tenant_id()),
                payment_id: Set(id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                sku: Set(sku),
                description: Set(format!("{} ({})", request.description, request.reference)),
                quantity: Set(1),
                unit_price_minor: Set(*amount),
                vat_code: Set(request
                    .lines
                    .first()
                    .map(|l| l.vat_code.clone())
                    .unwrap_or_default()),
                vat_minor: Set(*vat),
                line_total_minor: Set(*amount),
                subject_type: Set("payment_request".into()),
                subject_id: Set(Some(request.id)),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let meta = EventMeta::by(actor.clone());
        append_event(
            &txn,
            self.tenant_id(),
            id,
            "created",
            PaymentStatus::Created,
            PaymentStatus::Created,
            &meta,
            Some(total),
        )
        .await?;
        let row = payment::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("payment {id}")))?;
        txn.commit().await?;
        payment_record(row)
    }

    /// Records the PSP's reference for a payment (after the hosted page was created).
    pub async fn set_psp_reference(
        &self,
        payment_id: Uuid,
        psp_reference: &str,
    ) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        payment::Entity::update_many()
            .set(payment::ActiveModel {
                psp_reference: Set(Some(psp_reference.to_owned())),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(payment::Column::Id.eq(payment_id))
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Applies one event to a payment in one transaction: the state machine decides; the new
    /// status, the event row and — on capture — fulfilment and its outbox rows are written
    /// together. Concurrent writers of one payment queue on its row lock; a lock conflict is
    /// retried a few times.
    pub async fn apply_payment_event(
        &self,
        payment_id: Uuid,
        event: PaymentEvent,
        meta: EventMeta,
    ) -> Result<EventOutcome, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .apply_payment_event_once(payment_id, event, &meta)
                .await
            {
                Err(e) if attempt < 5 && is_retryable(&e) => {
                    tokio_sleep_ms(20 * attempt).await;
                }
                other => return other,
            }
        }
    }

    async fn apply_payment_event_once(
        &self,
        payment_id: Uuid,
        event: PaymentEvent,
        meta: &EventMeta,
    ) -> Result<EventOutcome, StoreError> {
        let txn = self.begin().await?;
        let row = lock_payment(&txn, self.tenant_id(), payment_id).await?;
        let from = PaymentStatus::parse(&row.status).map_err(StoreError::corrupt)?;
        let transition =
            apply_payment_event(from, &event).map_err(|e| StoreError::Conflict(e.to_string()))?;
        let Transition::Moved(to) = transition else {
            // Out-of-order PSP news the payment has already passed: recorded nowhere but
            // the PSP event log, changes nothing.
            txn.commit().await?;
            return Ok(EventOutcome {
                payment: payment_record(row)?,
                transition,
                fulfilled: false,
            });
        };
        let mut update = payment::ActiveModel {
            status: Set(to.as_str().to_owned()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Some(psp_ref) = &meta.psp_reference
            && row.psp_reference.is_none()
        {
            update.psp_reference = Set(Some(psp_ref.clone()));
        }
        // The PSP names the payment method with its news; the register keeps the first.
        if let Some(method) = meta.detail.as_ref().and_then(|d| d["method"].as_str())
            && row.method.is_none()
        {
            update.method = Set(Some(method.chars().take(32).collect()));
        }
        let mut flag = None;
        if event == PaymentEvent::Captured {
            let reported = meta.amount.unwrap_or(Money::new(
                row.amount_minor,
                Currency::parse(&row.currency).map_err(StoreError::corrupt)?,
            ));
            if reported.amount_minor() != row.amount_minor
                || reported.currency().code() != row.currency
            {
                flag = Some(format!(
                    "the PSP captured {reported} but the payment is for {}; not fulfilled — check with the PSP and refund or settle",
                    Money::new(
                        row.amount_minor,
                        Currency::parse(&row.currency).map_err(StoreError::corrupt)?
                    )
                ));
                // Record what was actually taken, within what the database allows.
                let captured = reported.amount_minor().clamp(0, row.amount_minor);
                update.captured_minor = Set(if reported.currency().code() == row.currency {
                    captured
                } else {
                    0
                });
            } else {
                update.captured_minor = Set(row.amount_minor);
            }
        }
        if let Some(reason) = &flag {
            update.flagged_reason = Set(Some(reason.clone()));
        }
        payment::Entity::update_many()
            .set(update)
            .filter(payment::Column::Id.eq(payment_id))
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        append_event(
            &txn,
            self.tenant_id(),
            payment_id,
            event.name(),
            from,
            to,
            meta,
            None,
        )
        .await?;
        let mut fulfilled = false;
        if to == PaymentStatus::Captured && flag.is_none() {
            fulfilled = self.fulfil(&txn, payment_id, meta).await?;
        }
        if let Some(reason) = flag {
            append_event(
                &txn,
                self.tenant_id(),
                payment_id,
                "flagged",
                to,
                to,
                &EventMeta {
                    detail: Some(serde_json::json!({ "reason": reason })),
                    ..EventMeta::by(Actor::System)
                },
                None,
            )
            .await?;
        }
        let row = payment::Entity::find_by_id(payment_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("payment {payment_id}")))?;
        txn.commit().await?;
        Ok(EventOutcome {
            payment: payment_record(row)?,
            transition,
            fulfilled,
        })
    }

    /// Fulfils a captured payment's lines exactly once: guarded by `fulfilled_at IS NULL`.
    async fn fulfil(
        &self,
        txn: &DatabaseTransaction,
        payment_id: Uuid,
        meta: &EventMeta,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let claimed = payment::Entity::update_many()
            .set(payment::ActiveModel {
                fulfilled_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(payment::Column::Id.eq(payment_id))
            .filter(payment::Column::FulfilledAt.is_null())
            .exec(txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(false);
        }
        let lines = payment_line::Entity::find()
            .filter(payment_line::Column::PaymentId.eq(payment_id))
            .order_by_asc(payment_line::Column::Position)
            .all(txn)
            .await?;
        for line in lines {
            if line.subject_type != "payment_request" {
                continue;
            }
            let Some(request_id) = line.subject_id else {
                continue;
            };
            let request = load_request(txn, self.tenant_id(), request_id).await?;
            let paid = request.paid.amount_minor() + line.line_total_minor;
            if paid > request.amount.amount_minor() || request.status != "open" {
                // Paid twice (two payments raced for one bill): keep the money on record and
                // flag it for finance to refund; never overwrite the bill.
                payment::Entity::update_many()
                    .set(payment::ActiveModel {
                        flagged_reason: Set(Some(format!(
                            "payment request {} was already {} when this payment was captured: refund the duplicate",
                            request.reference, request.status
                        ))),
                        ..Default::default()
                    })
                    .filter(payment::Column::Id.eq(payment_id))
                    .exec(txn)
                    .await?;
                continue;
            }
            let fully = paid == request.amount.amount_minor();
            payment_request::Entity::update_many()
                .set(payment_request::ActiveModel {
                    paid_minor: Set(paid),
                    status: Set(if fully { "paid".into() } else { "open".into() }),
                    paid_at: Set(if fully { Some(now) } else { None }),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(payment_request::Column::Id.eq(request_id))
                .exec(txn)
                .await?;
            if fully {
                let updated = load_request(txn, self.tenant_id(), request_id).await?;
                self.queue_callback(txn, &updated, "payment_request.paid")
                    .await?;
                // A permit waiting for this request becomes active in the same transaction.
                self.activate_permits_for_request(txn, request_id, payment_id, &meta.actor)
                    .await?;
            }
        }
        append_event(
            txn,
            self.tenant_id(),
            payment_id,
            "fulfilled",
            PaymentStatus::Captured,
            PaymentStatus::Captured,
            &EventMeta::by(meta.actor.clone()),
            None,
        )
        .await?;
        Ok(true)
    }

    /// Marks a payment for finance's attention with a reason, as an event too.
    pub async fn flag_payment(&self, payment_id: Uuid, reason: &str) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        let row = lock_payment(&txn, self.tenant_id(), payment_id).await?;
        let reason: String = reason.chars().take(500).collect();
        if row.flagged_reason.as_deref() == Some(reason.as_str()) {
            // The same news again (a PSP retry): flagged already.
            return Ok(());
        }
        let status = PaymentStatus::parse(&row.status).map_err(StoreError::corrupt)?;
        payment::Entity::update_many()
            .set(payment::ActiveModel {
                flagged_reason: Set(Some(reason.clone())),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(payment::Column::Id.eq(payment_id))
            .exec(&txn)
            .await?;
        append_event(
            &txn,
            self.tenant_id(),
            payment_id,
            "flagged",
            status,
            status,
            &EventMeta {
                detail: Some(serde_json::json!({ "reason": reason })),
                ..EventMeta::by(Actor::System)
            },
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Moves a payment's deadline (the recovery job asks again only after it).
    pub async fn defer_payment_deadline(
        &self,
        payment_id: Uuid,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.begin().await?;
        payment::Entity::update_many()
            .set(payment::ActiveModel {
                expires_at: Set(Some(until)),
                ..Default::default()
            })
            .filter(payment::Column::Id.eq(payment_id))
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Expires an open payment request past its `expires_at` that has no payment in progress,
    /// and tells its system. Returns whether it expired it.
    pub async fn expire_payment_request(&self, id: Uuid) -> Result<bool, StoreError> {
        let txn = self.begin().await?;
        let current = load_request(&txn, self.tenant_id(), id).await?;
        let due = current.expires_at.is_some_and(|e| e <= Utc::now());
        if current.status != "open" || !due {
            return Ok(false);
        }
        let in_progress = payment::Entity::find()
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .filter(payment::Column::PaymentRequestId.eq(id))
            .filter(payment::Column::Status.is_in([
                "created",
                "pending",
                "authorized",
                "capture_requested",
            ]))
            .count(&txn)
            .await?;
        if in_progress > 0 {
            // A payment is under way: let it finish (or expire) first.
            return Ok(false);
        }
        payment_request::Entity::update_many()
            .set(payment_request::ActiveModel {
                status: Set("expired".into()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(payment_request::Column::Id.eq(id))
            .filter(payment_request::Column::Status.eq("open"))
            .exec(&txn)
            .await?;
        let updated = load_request(&txn, self.tenant_id(), id).await?;
        self.queue_callback(&txn, &updated, "payment_request.expired")
            .await?;
        self.cancel_permits_for_request(&txn, id, &Actor::System, "payment request expired unpaid")
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Reserves a refund against the captured amount. The reservation is a single conditional
    /// UPDATE that only succeeds while `refunded + amount <= captured`, and the table's CHECK
    /// constraint is the database's own wall behind it: parallel refunds can never add up to
    /// more than was captured.
    pub async fn reserve_refund(
        &self,
        payment_id: Uuid,
        amount: Money,
        reason: &str,
        actor: &Actor,
    ) -> Result<(PaymentRecord, RefundRecord), StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(StoreError::Invalid("reason: 1-500 characters".into()));
        }
        if amount.amount_minor() <= 0 {
            return Err(StoreError::Invalid("amount: must be more than zero".into()));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .reserve_refund_once(payment_id, amount, reason, actor)
                .await
            {
                Err(e) if attempt < 8 && is_retryable(&e) => tokio_sleep_ms(10 * attempt).await,
                other => return other,
            }
        }
    }

    async fn reserve_refund_once(
        &self,
        payment_id: Uuid,
        amount: Money,
        reason: &str,
        actor: &Actor,
    ) -> Result<(PaymentRecord, RefundRecord), StoreError> {
        let txn = self.begin().await?;
        let backend = txn.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE payments SET refunded_minor = refunded_minor + $1,
                   status = CASE WHEN refunded_minor + $1 = captured_minor THEN 'refunded' ELSE 'partially_refunded' END,
                   updated_at = $2
                 WHERE id = $3 AND tenant_id = $4 AND currency = $5
                   AND status IN ('captured', 'partially_refunded')
                   AND refunded_minor + $1 <= captured_minor"
            }
            _ => {
                "UPDATE payments SET refunded_minor = refunded_minor + ?1,
                   status = CASE WHEN refunded_minor + ?1 = captured_minor THEN 'refunded' ELSE 'partially_refunded' END,
                   updated_at = ?2
                 WHERE id = ?3 AND tenant_id = ?4 AND currency = ?5
                   AND status IN ('captured', 'partially_refunded')
                   AND refunded_minor + ?1 <= captured_minor"
            }
        };
        let result = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    amount.amount_minor().into(),
                    Utc::now().into(),
                    payment_id.into(),
                    self.tenant_id().into(),
                    amount.currency().code().into(),
                ],
            ))
            .await?;
        let row = payment::Entity::find_by_id(payment_id)
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("payment {payment_id}")))?;
        if result.rows_affected() != 1 {
            let record = payment_record(row)?;
            return Err(if !record.status.is_captured() {
                StoreError::Conflict(format!(
                    "payment {} is {}; only captured payments can be refunded",
                    record.reference, record.status
                ))
            } else if amount.currency() != record.amount.currency() {
                StoreError::Invalid(format!(
                    "amount: currency {} differs from the payment's {}",
                    amount.currency(),
                    record.amount.currency()
                ))
            } else {
                StoreError::Conflict(format!(
                    "refund of {amount} exceeds what is left to refund ({} of {} captured)",
                    Money::new(
                        record.captured.amount_minor() - record.refunded.amount_minor(),
                        record.amount.currency()
                    ),
                    record.captured
                ))
            });
        }
        let to = PaymentStatus::parse(&row.status).map_err(StoreError::corrupt)?;
        let from = if row.refunded_minor == amount.amount_minor() {
            PaymentStatus::Captured
        } else {
            PaymentStatus::PartiallyRefunded
        };
        let refund_id = Uuid::now_v7();
        let now = Utc::now();
        refund::Entity::insert(refund::ActiveModel {
            id: Set(refund_id),
            tenant_id: Set(self.tenant_id()),
            payment_id: Set(payment_id),
            amount_minor: Set(amount.amount_minor()),
            reason: Set(reason.to_owned()),
            status: Set("requested".into()),
            psp_reference: Set(None),
            created_by: Set(actor.label()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        append_event(
            &txn,
            self.tenant_id(),
            payment_id,
            "refunded",
            from,
            to,
            &EventMeta {
                amount: Some(amount),
                detail: Some(serde_json::json!({ "refund_id": refund_id, "reason": reason })),
                ..EventMeta::by(actor.clone())
            },
            None,
        )
        .await?;
        let refund_row = refund::Entity::find_by_id(refund_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("refund {refund_id}")))?;
        txn.commit().await?;
        let currency = row.currency.clone();
        Ok((payment_record(row)?, refund_record(refund_row, &currency)?))
    }

    /// Records the PSP's answer to a reserved refund. A failed refund gives the reservation
    /// back, so the amount can be refunded again.
    pub async fn settle_refund(
        &self,
        refund_id: Uuid,
        outcome: Result<String, String>,
    ) -> Result<RefundRecord, StoreError> {
        let txn = self.begin().await?;
        let row = refund::Entity::find_by_id(refund_id)
            .filter(refund::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("refund {refund_id}")))?;
        let now = Utc::now();
        match &outcome {
            Ok(psp_reference) => {
                refund::Entity::update_many()
                    .set(refund::ActiveModel {
                        status: Set("succeeded".into()),
                        psp_reference: Set(Some(psp_reference.clone())),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(refund::Column::Id.eq(refund_id))
                    .exec(&txn)
                    .await?;
            }
            Err(error) => {
                refund::Entity::update_many()
                    .set(refund::ActiveModel {
                        status: Set("failed".into()),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(refund::Column::Id.eq(refund_id))
                    .exec(&txn)
                    .await?;
                let payment_row = lock_payment(&txn, self.tenant_id(), row.payment_id).await?;
                let refunded = payment_row.refunded_minor - row.amount_minor;
                let status = if refunded == 0 {
                    "captured"
                } else {
                    "partially_refunded"
                };
                payment::Entity::update_many()
                    .set(payment::ActiveModel {
                        refunded_minor: Set(refunded),
                        status: Set(status.into()),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(payment::Column::Id.eq(row.payment_id))
                    .exec(&txn)
                    .await?;
                let from =
                    PaymentStatus::parse(&payment_row.status).map_err(StoreError::corrupt)?;
                let to = PaymentStatus::parse(status).map_err(StoreError::corrupt)?;
                append_event(
                    &txn,
                    self.tenant_id(),
                    row.payment_id,
                    "refund_failed",
                    from,
                    to,
                    &EventMeta {
                        detail: Some(serde_json::json!({ "refund_id": refund_id, "error": error })),
                        ..EventMeta::by(Actor::System)
                    },
                    Some(row.amount_minor),
                )
                .await?;
            }
        }
        let row = refund::Entity::find_by_id(refund_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("refund {refund_id}")))?;
        let currency = payment::Entity::find_by_id(row.payment_id)
            .one(&txn)
            .await?
            .map(|p| p.currency)
            .ok_or_else(|| StoreError::NotFound(format!("payment {}", row.payment_id)))?;
        txn.commit().await?;
        refund_record(row, &currency)
    }

    pub async fn payment(&self, id: Uuid) -> Result<PaymentDetail, StoreError> {
        let txn = self.begin_read().await?;
        let row = payment::Entity::find_by_id(id)
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("payment {id}")))?;
        let currency = row.currency.clone();
        let lines = payment_line::Entity::find()
            .filter(payment_line::Column::PaymentId.eq(id))
            .filter(payment_line::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(payment_line::Column::Position)
            .all(&txn)
            .await?
            .into_iter()
            .map(|l| {
                Ok(PaymentLineRecord {
                    position: l.position,
                    sku: l.sku,
                    description: l.description,
                    quantity: l.quantity,
                    unit_price: money(l.unit_price_minor, &currency)?,
                    vat_code: l.vat_code,
                    vat: money(l.vat_minor, &currency)?,
                    line_total: money(l.line_total_minor, &currency)?,
                    subject_type: l.subject_type,
                    subject_id: l.subject_id,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let events = payment_event::Entity::find()
            .filter(payment_event::Column::PaymentId.eq(id))
            .filter(payment_event::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(payment_event::Column::Sequence)
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| PaymentEventRecord {
                sequence: e.sequence,
                event: e.event,
                from_status: e.from_status,
                to_status: e.to_status,
                actor: e.actor,
                psp_reference: e.psp_reference,
                psp_event_id: e.psp_event_id,
                amount_minor: e.amount_minor,
                detail: e.detail,
                created_at: e.created_at,
            })
            .collect();
        let refunds = refund::Entity::find()
            .filter(refund::Column::PaymentId.eq(id))
            .filter(refund::Column::TenantId.eq(self.tenant_id()))
            .order_by_asc(refund::Column::CreatedAt)
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| refund_record(r, &currency))
            .collect::<Result<Vec<_>, _>>()?;
        txn.commit().await?;
        Ok(PaymentDetail {
            payment: payment_record(row)?,
            lines,
            events,
            refunds,
        })
    }

    /// Payments made for one payment request, newest first.
    pub async fn payments_of_request(
        &self,
        request_id: Uuid,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let paying_lines = payment_line::Entity::find()
            .filter(payment_line::Column::TenantId.eq(self.tenant_id()))
            .filter(payment_line::Column::SubjectId.eq(request_id))
            .all(&txn)
            .await?;
        let ids: Vec<Uuid> = paying_lines.iter().map(|l| l.payment_id).collect();
        let rows = payment::Entity::find()
            .filter(payment::Column::TenantId.eq(self.tenant_id()))
            .filter(payment::Column::Id.is_in(ids))
            .order_by_desc(payment::Column::Id)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(payment_record).collect()
    }

    fn filter_condition(&self, filter: &PaymentFilter) -> Condition {
        let mut cond = Condition::all().add(payment::Column::TenantId.eq(self.tenant_id()));
        if let Some(from) = filter.created_from {
            cond = cond.add(payment::Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_to {
            cond = cond.add(payment::Column::CreatedAt.lt(to));
        }
        if !filter.statuses.is_empty() {
            cond =
                cond.add(payment::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(channel) = filter.channel {
            cond = cond.add(payment::Column::Channel.eq(channel.as_str()));
        }
        if let Some(method) = &filter.method {
            cond = cond.add(payment::Column::Method.eq(method.as_str()));
        }
        if let Some(min) = filter.amount_min {
            cond = cond.add(payment::Column::AmountMinor.gte(min));
        }
        if let Some(max) = filter.amount_max {
            cond = cond.add(payment::Column::AmountMinor.lte(max));
        }
        if let Some(customer) = &filter.customer {
            cond = cond.add(payment::Column::CustomerEmail.eq(customer.trim().to_lowercase()));
        }
        if let Some(sku) = &filter.sku {
            cond = cond.add(
                payment::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(payment_line::Column::PaymentId)
                        .from(payment_line::Entity)
                        .and_where(payment_line::Column::TenantId.eq(self.tenant_id()))
                        .and_where(payment_line::Column::Sku.eq(sku.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some(reference) = &filter.reference {
            use sea_orm::sea_query::Query;
            // As typed (external references keep their dashes) and without the separators
            // people put into structured references ("+71<…", "RF46 2026 0001 23").
            let typed = reference.trim().to_owned();
            let compact = reference.replace([' ', '.', '-'], "");

            let matching_requests = Query::select()
                .column(payment_request::Column::Id)
                .from(payment_request::Entity)
                .and_where(payment_request::Column::TenantId.eq(self.tenant_id()))
                .cond_where(
                    Condition::any()
                        .add(
                            payment_request::Column::Reference
                                .is_in([typed.as_str(), compact.as_str()]),
                        )
                        .add(
                            payment_request::Column::ExternalReference
                                .is_in([typed.as_str(), compact.as_str()]),
                        ),
                )
                .to_owned();
            // Any payment with a line paying such a request (a payment may cover several bills).
            let paying_payments = Query::select()
                .column(payment_line::Column::PaymentId)
                .from(payment_line::Entity)
                .and_where(payment_line::Column::TenantId.eq(self.tenant_id()))
                .and_where(payment_line::Column::SubjectId.in_subquery(matching_requests))
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(payment::Column::Reference.is_in([typed.as_str(), compact.as_str()]))
                    .add(payment::Column::PspReference.eq(typed.as_str()))
                    .add(payment::Column::Id.in_subquery(paying_payments)),
            );
        }
        cond
    }

    /// One page of the register, newest first. `after` is the last id of the previous page
    /// (ids are UUIDv7, so they sort by creation time).
    pub async fn search_payments(
        &self,
        filter: &PaymentFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let mut cond = self.filter_condition(filter);
        if let Some(after) = after {
            cond = cond.add(payment::Column::Id.lt(after));
        }
        let rows = payment::Entity::find()
            .filter(cond)
            .order_by_desc(payment::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        rows.into_iter().map(payment_record).collect()
    }

    /// Count and sums over the whole filter (not just one page).
    pub async fn payment_totals(
        &self,
        filter: &PaymentFilter,
    ) -> Result<PaymentTotals, StoreError> {
        use sea_orm::sea_query::{Alias, Expr, Query};
        let txn = self.begin_read().await?;
        // Sums as BIGINT on both databases (PostgreSQL's SUM(bigint) is numeric otherwise).
        let sum = |column: &str| Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
        let stmt = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
            .expr_as(sum("amount_minor"), Alias::new("amount"))
            .expr_as(sum("captured_minor"), Alias::new("captured"))
            .expr_as(sum("refunded_minor"), Alias::new("refunded"))
            .from(payment::Entity)
            .cond_where(self.filter_condition(filter))
            .to_owned();
        let row = txn.query_one(&stmt).await?;
        txn.commit().await?;
        let Some(row) = row else {
            return Ok(PaymentTotals::default());
        };
        let count: i64 = row.try_get("", "count")?;
        Ok(PaymentTotals {
            count: u64::try_from(count).unwrap_or(0),
            amount_minor: row.try_get("", "amount")?,
            captured_minor: row.try_get("", "captured")?,
            refunded_minor: row.try_get("", "refunded")?,
        })
    }
}

/// Refunds are in their payment's currency, which the caller has from the payment row.
fn refund_record(row: refund::Model, currency: &str) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: row.id,
        amount: money(row.amount_minor, currency)?,
        reason: row.reason,
        status: row.status,
        psp_reference: row.psp_reference,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

pub(crate) async fn load_request(
    txn: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<PaymentRequestRecord, StoreError> {
    let row = payment_request::Entity::find_by_id(id)
        .filter(payment_request::Column::TenantId.eq(tenant_id))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("payment request {id}")))?;
    let lines = payment_request_line::Entity::find()
        .filter(payment_request_line::Column::PaymentRequestId.eq(id))
        .filter(payment_request_line::Column::TenantId.eq(tenant_id))
        .order_by_asc(payment_request_line::Column::Position)
        .all(txn)
        .await?;
    request_record(row, lines)
}

/// The requests `ids` with their lines, in the order of `ids`, in two queries (one for the
/// rows, one for every line), chunked only past 500 ids to stay within bind-parameter limits.
/// Ids of another council or of no request are left out.
pub(crate) async fn load_requests(
    txn: &impl ConnectionTrait,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<PaymentRequestRecord>, StoreError> {
    let mut rows: HashMap<Uuid, payment_request::Model> = HashMap::with_capacity(ids.len());
    let mut lines: HashMap<Uuid, Vec<payment_request_line::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = payment_request::Entity::find()
            .filter(payment_request::Column::TenantId.eq(tenant_id))
            .filter(payment_request::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        rows.extend(found.into_iter().map(|r| (r.id, r)));
        let found = payment_request_line::Entity::find()
            .filter(payment_request_line::Column::TenantId.eq(tenant_id))
            .filter(payment_request_line::Column::PaymentRequestId.is_in(chunk.iter().copied()))
            .order_by_asc(payment_request_line::Column::Position)
            .all(txn)
            .await?;
        for line in found {
            lines.entry(line.payment_request_id).or_default().push(line);
        }
    }
    ids.iter()
        .filter_map(|id| rows.remove(id))
        .map(|row| {
            let own = lines.remove(&row.id).unwrap_or_default();
            request_record(row, own)
        })
        .collect()
}

async fn tokio_sleep_ms(ms: u64) {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}
