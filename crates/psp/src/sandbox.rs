//! The sandbox PSP, built in and the default on the embedded setup (like GOV.UK Pay's
//! sandbox). It keeps its own book in `sandbox_payments`, decides by test card number, and
//! notifies the platform by a signed HTTP webhook sent in the background — the same
//! asynchronous path a real PSP uses, so the platform's webhook handling is exercised for real.

use crate::{
    CaptureMode, HostedPayment, HostedPaymentRequest, PaymentGateway, PspError, PspEventKind,
    PspPaymentView, PspStatus, PspWebhook,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use civicpay_money::{Currency, Money};
use civicpay_notify::{WebhookSecret, sign, verify};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The header the sandbox signs its webhooks with (same scheme as civicpay's own webhooks).
pub const SIGNATURE_HEADER: &str = "sandbox-signature";

/// A documented test card and what it does.
#[derive(Debug, Clone, Copy)]
pub struct TestCard {
    pub number: &'static str,
    pub outcome: &'static str,
}

/// The sandbox's test cards, listed on its page and in `docs/payments.md`.
pub const TEST_CARDS: [TestCard; 5] = [
    TestCard {
        number: "4242424242424242",
        outcome: "success",
    },
    TestCard {
        number: "4000000000000002",
        outcome: "declined",
    },
    TestCard {
        number: "4000000000009995",
        outcome: "declined: insufficient funds",
    },
    TestCard {
        number: "4000000000003220",
        outcome: "3-D Secure challenge, then success or failure",
    },
    TestCard {
        number: "4000000000000259",
        outcome: "timeout: the PSP never answers; the payment stays pending until it expires",
    },
];

/// What the customer's browser does next after submitting the sandbox form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxNext {
    /// Back to the platform's status page.
    Redirect(String),
    /// Show the 3-D Secure challenge page.
    Challenge,
    /// The form was wrong (unknown card): show it again with this message.
    Retry(String),
}

/// What the hosted page shows.
#[derive(Debug, Clone)]
pub struct SandboxCheckout {
    pub psp_reference: String,
    pub amount: Money,
    pub description: String,
    pub status: String,
    pub return_url: String,
}

#[derive(Clone)]
pub struct SandboxGateway {
    db: DatabaseConnection,
    /// Base URL of this platform: the hosted page lives at `{base}/sandbox/checkout/{ref}`.
    base_url: String,
    /// Where the sandbox posts its webhooks (`{base}/psp/sandbox/webhook`).
    notify_url: String,
    secret: WebhookSecret,
    client: reqwest::Client,
}

fn unavailable(e: impl std::fmt::Display) -> PspError {
    PspError::Unavailable(format!("sandbox book: {e}"))
}

impl SandboxGateway {
    pub fn new(db: DatabaseConnection, base_url: &str, secret: WebhookSecret) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        Self {
            db,
            notify_url: format!("{base_url}/psp/sandbox/webhook"),
            base_url,
            secret,
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    fn sql(&self, postgres: &'static str) -> String {
        // The statements are written with $n; SQLite understands ?n the same way.
        match self.db.get_database_backend() {
            DbBackend::Postgres => postgres.to_owned(),
            _ => postgres.replace('$', "?"),
        }
    }

    async fn exec(&self, sql: &'static str, values: Vec<Value>) -> Result<u64, PspError> {
        let backend = self.db.get_database_backend();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                self.sql(sql),
                values,
            ))
            .await
            .map(|r| r.rows_affected())
            .map_err(unavailable)
    }

    async fn row(&self, psp_reference: &str) -> Result<BookRow, PspError> {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                self.sql("SELECT psp_reference, amount_minor, currency, status, capture_mode, captured_minor, refunded_minor, return_url, description FROM sandbox_payments WHERE psp_reference = $1"),
                [psp_reference.into()],
            ))
            .await
            .map_err(unavailable)?
            .ok_or_else(|| PspError::UnknownPayment(psp_reference.to_owned()))?;
        let get_s = |c: &str| row.try_get::<String>("", c).map_err(unavailable);
        let get_i = |c: &str| row.try_get::<i64>("", c).map_err(unavailable);
        Ok(BookRow {
            psp_reference: get_s("psp_reference")?,
            amount_minor: get_i("amount_minor")?,
            currency: Currency::parse(&get_s("currency")?).map_err(unavailable)?,
            status: get_s("status")?,
            capture_mode: get_s("capture_mode")?,
            captured_minor: get_i("captured_minor")?,
            refunded_minor: get_i("refunded_minor")?,
            return_url: get_s("return_url")?,
            description: get_s("description")?,
        })
    }

    async fn set_status(
        &self,
        psp_reference: &str,
        from: &[&str],
        to: &str,
        captured: Option<i64>,
    ) -> Result<bool, PspError> {
        let book = self.row(psp_reference).await?;
        if !from.contains(&book.status.as_str()) {
            return Ok(false);
        }
        let changed = self
            .exec(
                "UPDATE sandbox_payments SET status = $1, captured_minor = $2, updated_at = $3 WHERE psp_reference = $4 AND status = $5",
                vec![
                    to.into(),
                    captured.unwrap_or(book.captured_minor).into(),
                    Utc::now().into(),
                    psp_reference.into(),
                    book.status.clone().into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    /// The hosted page's data.
    pub async fn checkout(&self, psp_reference: &str) -> Result<SandboxCheckout, PspError> {
        let book = self.row(psp_reference).await?;
        Ok(SandboxCheckout {
            amount: Money::new(book.amount_minor, book.currency),
            psp_reference: book.psp_reference,
            description: book.description,
            status: book.status,
            return_url: book.return_url,
        })
    }

    /// The customer submitted the card form.
    pub async fn submit_card(
        &self,
        psp_reference: &str,
        card_number: &str,
    ) -> Result<SandboxNext, PspError> {
        let book = self.row(psp_reference).await?;
        if book.status != "pending" {
            // Paid (or failed) already: a double submit must not pay twice.
            return Ok(SandboxNext::Redirect(book.return_url));
        }
        let card: String = card_number.chars().filter(char::is_ascii_digit).collect();
        match card.as_str() {
            "4242424242424242" => self
                .succeed(&book)
                .await
                .map(|()| SandboxNext::Redirect(book.return_url.clone())),
            "4000000000000002" => self.fail(&book, "card declined").await,
            "4000000000009995" => self.fail(&book, "insufficient funds").await,
            "4000000000003220" => {
                self.exec(
                    "UPDATE sandbox_payments SET status = 'challenge', updated_at = $1 WHERE psp_reference = $2 AND status = 'pending'",
                    vec![Utc::now().into(), psp_reference.into()],
                )
                .await?;
                Ok(SandboxNext::Challenge)
            }
            // The timeout card: the PSP never answers. The customer goes back; the payment
            // stays pending until the recovery job expires it.
            "4000000000000259" => Ok(SandboxNext::Redirect(book.return_url)),
            _ => Ok(SandboxNext::Retry(format!(
                "card number {card_number:?} is not a sandbox test card; use one of those listed"
            ))),
        }
    }

    /// The customer answered the 3-D Secure challenge.
    pub async fn complete_challenge(
        &self,
        psp_reference: &str,
        approve: bool,
    ) -> Result<SandboxNext, PspError> {
        let mut book = self.row(psp_reference).await?;
        if book.status != "challenge" {
            return Ok(SandboxNext::Redirect(book.return_url));
        }
        book.status = "pending".into();
        self.exec(
            "UPDATE sandbox_payments SET status = 'pending' WHERE psp_reference = $1 AND status = 'challenge'",
            vec![psp_reference.into()],
        )
        .await?;
        if approve {
            self.succeed(&book).await?;
            Ok(SandboxNext::Redirect(book.return_url))
        } else {
            self.fail(&book, "3-D Secure authentication failed").await
        }
    }

    async fn succeed(&self, book: &BookRow) -> Result<(), PspError> {
        let amount = Money::new(book.amount_minor, book.currency);
        if book.capture_mode == "manual" {
            if self
                .set_status(&book.psp_reference, &["pending"], "authorized", None)
                .await?
            {
                self.notify(&book.psp_reference, PspEventKind::Authorized, Some(amount));
            }
        } else if self
            .set_status(
                &book.psp_reference,
                &["pending"],
                "captured",
                Some(book.amount_minor),
            )
            .await?
        {
            self.notify(&book.psp_reference, PspEventKind::Authorized, Some(amount));
            self.notify(&book.psp_reference, PspEventKind::Captured, Some(amount));
        }
        Ok(())
    }

    async fn fail(&self, book: &BookRow, reason: &str) -> Result<SandboxNext, PspError> {
        if self
            .set_status(&book.psp_reference, &["pending"], "failed", None)
            .await?
        {
            self.notify(
                &book.psp_reference,
                PspEventKind::Failed {
                    reason: reason.to_owned(),
                },
                None,
            );
        }
        Ok(SandboxNext::Redirect(book.return_url.clone()))
    }

    /// Sends a signed webhook to the platform in the background, as a PSP would.
    fn notify(&self, psp_reference: &str, kind: PspEventKind, amount: Option<Money>) {
        let body = serde_json::json!({
            "id": format!("sbxevt_{}", Uuid::now_v7().simple()),
            "psp_reference": psp_reference,
            "event": kind,
            "amount_minor": amount.map(|a| a.amount_minor()),
            // The sandbox only takes cards.
            "method": "card",
            "currency": amount.map(|a| a.currency().code()),
            "created": Utc::now().timestamp(),
        })
        .to_string();
        let signature = sign(
            std::slice::from_ref(&self.secret),
            Utc::now().timestamp(),
            body.as_bytes(),
        );
        let client = self.client.clone();
        let url = self.notify_url.clone();
        tokio::spawn(async move {
            // A real PSP retries too: a few attempts with a short pause.
            for attempt in 1..=5u64 {
                let sent = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, &signature)
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => {
                        tracing::warn!(status = %r.status(), attempt, "sandbox webhook refused")
                    }
                    Err(e) => tracing::warn!(error = %e, attempt, "sandbox webhook not delivered"),
                }
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
        });
    }
}

struct BookRow {
    psp_reference: String,
    amount_minor: i64,
    currency: Currency,
    status: String,
    capture_mode: String,
    captured_minor: i64,
    refunded_minor: i64,
    return_url: String,
    description: String,
}

#[async_trait]
impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn create_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, PspError> {
        // The idempotency key names the hosted payment: a retry finds the same one.
        let psp_reference = format!(
            "sbx_{}",
            request
                .idempotency_key
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        );
        let psp_reference: String = psp_reference.chars().take(64).collect();
        let now = Utc::now();
        self.exec(
            "INSERT INTO sandbox_payments (psp_reference, amount_minor, currency, status, capture_mode, captured_minor, refunded_minor, return_url, description, created_at, updated_at)
             VALUES ($1, $2, $3, 'pending', $4, 0, 0, $5, $6, $7, $7) ON CONFLICT (psp_reference) DO NOTHING",
            vec![
                psp_reference.clone().into(),
                request.amount.amount_minor().into(),
                request.amount.currency().code().into(),
                match request.capture {
                    CaptureMode::Automatic => "automatic",
                    CaptureMode::Manual => "manual",
                }
                .into(),
                request.return_url.clone().into(),
                request.description.chars().take(500).collect::<String>().into(),
                now.into(),
            ],
        )
        .await?;
        Ok(HostedPayment {
            redirect_url: format!("{}/sandbox/checkout/{psp_reference}", self.base_url),
            psp_reference,
        })
    }

    async fn capture(
        &self,
        psp_reference: &str,
        amount: Money,
        _idempotency_key: &str,
    ) -> Result<(), PspError> {
        let book = self.row(psp_reference).await?;
        if book.status == "captured" {
            return Ok(()); // idempotent: captured already
        }
        if book.status != "authorized" {
            return Err(PspError::Rejected(format!(
                "payment {psp_reference} is {}, not authorized",
                book.status
            )));
        }
        if amount.amount_minor() <= 0 || amount.amount_minor() > book.amount_minor {
            return Err(PspError::Rejected(format!(
                "capture amount {amount} is outside 0..{}",
                Money::new(book.amount_minor, book.currency)
            )));
        }
        if self
            .set_status(
                psp_reference,
                &["authorized"],
                "captured",
                Some(amount.amount_minor()),
            )
            .await?
        {
            self.notify(psp_reference, PspEventKind::Captured, Some(amount));
        }
        Ok(())
    }

    async fn void(&self, psp_reference: &str, _idempotency_key: &str) -> Result<(), PspError> {
        let book = self.row(psp_reference).await?;
        if book.status == "voided" {
            return Ok(());
        }
        if !self
            .set_status(psp_reference, &["authorized", "pending"], "voided", None)
            .await?
        {
            return Err(PspError::Rejected(format!(
                "payment {psp_reference} is {}; it cannot be voided",
                book.status
            )));
        }
        self.notify(psp_reference, PspEventKind::Voided, None);
        Ok(())
    }

    async fn refund(
        &self,
        psp_reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<String, PspError> {
        let changed = self
            .exec(
                "UPDATE sandbox_payments SET refunded_minor = refunded_minor + $1, updated_at = $2
                 WHERE psp_reference = $3 AND status = 'captured' AND refunded_minor + $1 <= captured_minor",
                vec![amount.amount_minor().into(), Utc::now().into(), psp_reference.into()],
            )
            .await?;
        if changed != 1 {
            let book = self.row(psp_reference).await?;
            return Err(PspError::Rejected(format!(
                "refund of {amount} refused: payment {psp_reference} is {} with {} of {} refunded",
                book.status, book.refunded_minor, book.captured_minor
            )));
        }
        Ok(format!(
            "sbx_re_{}",
            idempotency_key
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(40)
                .collect::<String>()
        ))
    }

    fn parse_webhook(
        &self,
        headers: &BTreeMap<String, String>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PspWebhook, PspError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| PspError::BadSignature(format!("missing {SIGNATURE_HEADER} header")))?;
        verify(&self.secret, header, body, now)
            .map_err(|e| PspError::BadSignature(e.to_string()))?;
        let payload: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| PspError::Rejected(format!("webhook body is not JSON: {e}")))?;
        let text = |key: &str| {
            payload[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| PspError::Rejected(format!("webhook body lacks {key}")))
        };
        let kind: PspEventKind = serde_json::from_value(payload["event"].clone())
            .map_err(|e| PspError::Rejected(format!("webhook event: {e}")))?;
        let amount = match (
            payload["amount_minor"].as_i64(),
            payload["currency"].as_str(),
        ) {
            (Some(minor), Some(code)) => Some(Money::new(
                minor,
                Currency::parse(code).map_err(|e| PspError::Rejected(e.to_string()))?,
            )),
            _ => None,
        };
        Ok(PspWebhook {
            event_id: text("id")?,
            psp_reference: text("psp_reference")?,
            kind,
            amount,
            method: payload["method"].as_str().map(str::to_owned),
            payload,
        })
    }

    async fn fetch(&self, psp_reference: &str) -> Result<PspPaymentView, PspError> {
        let book = self.row(psp_reference).await?;
        let status = match book.status.as_str() {
            "pending" | "challenge" => PspStatus::Pending,
            "authorized" => PspStatus::Authorized,
            "captured" => PspStatus::Captured,
            "failed" => PspStatus::Failed,
            "voided" => PspStatus::Voided,
            _ => PspStatus::Expired,
        };
        Ok(PspPaymentView {
            psp_reference: book.psp_reference,
            status,
            amount: Money::new(book.amount_minor, book.currency),
            captured_minor: book.captured_minor,
            refunded_minor: book.refunded_minor,
        })
    }
}
