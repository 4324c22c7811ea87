//! civicpay-psp: the `PaymentGateway` port and its adapters: the built-in sandbox and Stripe
//! (registered when its secrets are in the environment). The platform talks to every PSP
//! through this trait, so the payment register, the recovery job and the tests do not know
//! which PSP a council uses. Adapters must not depend on the API or web crates.

pub mod sandbox;
pub mod stripe;

use async_trait::async_trait;
use civicpay_money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

pub use sandbox::{SandboxCheckout, SandboxGateway, SandboxNext, TEST_CARDS, TestCard};
pub use stripe::{StripeConfig, StripeGateway, stripe_methods};

/// Whether the PSP takes the money at once or only reserves it until we capture (staff
/// approval first, S0-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    Automatic,
    Manual,
}

#[derive(Debug, Clone)]
pub struct HostedPaymentRequest {
    pub payment_id: Uuid,
    pub amount: Money,
    pub description: String,
    /// Where the PSP sends the customer's browser afterwards.
    pub return_url: String,
    pub capture: CaptureMode,
    /// The payment methods the council offers (`card`, `mobilepay`, `ideal`, `blik`, `p24`, …);
    /// a PSP offers those it supports. Empty: whatever the PSP offers for the currency.
    pub methods: Vec<String>,
    /// Same key, same hosted payment: a retried create never makes two.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedPayment {
    pub psp_reference: String,
    pub redirect_url: String,
}

/// The PSP's own view of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PspStatus {
    Pending,
    Authorized,
    Captured,
    Failed,
    Voided,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PspPaymentView {
    pub psp_reference: String,
    pub status: PspStatus,
    pub amount: Money,
    pub captured_minor: i64,
    pub refunded_minor: i64,
}

/// What a PSP webhook says happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PspEventKind {
    Authorized,
    Captured,
    Failed { reason: String },
    Expired,
    Voided,
    Refunded,
}

#[derive(Debug, Clone)]
pub struct PspWebhook {
    /// The PSP's event id: deduplication key.
    pub event_id: String,
    pub psp_reference: String,
    pub kind: PspEventKind,
    /// The amount the PSP reports for the event.
    pub amount: Option<Money>,
    /// The payment method the payer used (`card`, `mobilepay`, …), when the PSP says.
    pub method: Option<String>,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PspError {
    #[error("declined by the PSP: {0}")]
    Declined(String),
    #[error("the PSP is unavailable: {0}")]
    Unavailable(String),
    #[error("the PSP refused the request: {0}")]
    Rejected(String),
    #[error("webhook signature refused: {0}")]
    BadSignature(String),
    #[error("the PSP does not know payment {0}")]
    UnknownPayment(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The name stored on payments (`sandbox`, `stripe`).
    fn name(&self) -> &'static str;
    async fn create_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, PspError>;
    /// Captures an authorized payment, fully or partly.
    async fn capture(
        &self,
        psp_reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<(), PspError>;
    async fn void(&self, psp_reference: &str, idempotency_key: &str) -> Result<(), PspError>;
    /// Refunds part or all of a capture; returns the PSP's refund reference.
    async fn refund(
        &self,
        psp_reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<String, PspError>;
    /// Verifies the signature and parses a webhook. `headers` are lower-case names.
    fn parse_webhook(
        &self,
        headers: &BTreeMap<String, String>,
        body: &[u8],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<PspWebhook, PspError>;
    async fn fetch(&self, psp_reference: &str) -> Result<PspPaymentView, PspError>;
}

/// The gateways this platform has, by name.
#[derive(Clone, Default)]
pub struct Gateways {
    by_name: BTreeMap<&'static str, Arc<dyn PaymentGateway>>,
}

impl Gateways {
    pub fn with(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.by_name.insert(gateway.name(), gateway);
        self
    }

    pub fn get(&self, name: &str) -> Result<Arc<dyn PaymentGateway>, PspError> {
        self.by_name.get(name).cloned().ok_or_else(|| {
            PspError::Unavailable(format!(
                "gateway {name:?} is not configured on this platform"
            ))
        })
    }
}
