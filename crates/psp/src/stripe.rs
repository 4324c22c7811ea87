//! The Stripe adapter: Stripe Checkout (hosted page) on top of PaymentIntents, through the
//! `async-stripe` 1.0 split crates (`async-stripe` client, `async-stripe-checkout`,
//! `async-stripe-core`). See `docs/payments-stripe.md` for the operator's view.
//!
//! # The PSP reference is the Checkout Session id
//!
//! `create_hosted_payment` returns the Checkout Session id (`cs_test_…` / `cs_live_…`) as the
//! `psp_reference`, because it is the only Stripe id that exists when the payment is created:
//! Checkout creates the PaymentIntent only when the customer confirms (Stripe API 2022-08-01
//! and later), so the session's `payment_intent` is `null` at creation.
//!
//! * `capture`, `void`, `refund` and `fetch` first retrieve the session (with its PaymentIntent
//!   expanded) and then act on that PaymentIntent.
//! * Webhooks about the session (`checkout.session.completed`, `…async_payment_succeeded`,
//!   `…async_payment_failed`, `…expired`) carry the session id as `data.object.id`: they always
//!   resolve to the stored reference. These are the events that drive a checkout.
//! * A PaymentIntent (and its Charge) does not say which Checkout Session made it, and its
//!   metadata is fixed before the session id is known. So whenever this adapter acts on a
//!   PaymentIntent (capture, void, refund) it writes the session id into the PaymentIntent's
//!   metadata as [`SESSION_METADATA_KEY`] (on the capture call itself; by an update just before
//!   a cancel), and stores it on refunds it creates. `payment_intent.*` / `charge.refunded`
//!   events resolve through that key, so the events that follow a staff capture or void resolve
//!   to the stored reference. Events about a PaymentIntent this adapter has not acted on yet
//!   (authorization, failed attempts inside Checkout, Stripe's own cancel of an expired
//!   authorization) carry the PaymentIntent id (`pi_…`) as `psp_reference` instead: the
//!   platform finds no payment for it and only records the event. That is deliberate for
//!   `payment_intent.payment_failed` — inside Checkout a declined card is not the end, the
//!   customer may try again — and harmless for the others, which the session events and the
//!   recovery job's `fetch` cover. Wiring that wants them resolved can map a `pi_…` reference
//!   with [`StripeGateway::checkout_session_for`] (one API call).
//!
//! Every object also carries `civicpay_payment_id` metadata (session, PaymentIntent, refund)
//! and the session's `client_reference_id` is the payment id, for people reading the Stripe
//! dashboard.

use crate::{
    CaptureMode, HostedPayment, HostedPaymentRequest, PaymentGateway, PspError, PspEventKind,
    PspPaymentView, PspStatus, PspWebhook,
};
use ::stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use civicpay_money::{Currency, Money};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};
use std::time::Duration;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionAllowedPaymentMethodTypes,
    CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionPaymentIntentDataCaptureMethod,
    ExpireCheckoutSession, ListCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_checkout::{CheckoutSession, CheckoutSessionMode};
use stripe_core::PaymentIntent;
use stripe_core::payment_intent::{CancelPaymentIntent, CapturePaymentIntent, UpdatePaymentIntent};
use stripe_core::refund::CreateRefund;

/// The header Stripe signs its webhooks with (lower-case, as the platform passes headers).
pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// How old (or how far in the future) a signed timestamp may be, in seconds. Stripe's
/// libraries use 300 s (STANDARDS §9.1).
pub const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;
/// Metadata key this adapter writes onto PaymentIntents and refunds: the Checkout Session id,
/// i.e. the stored `psp_reference`.
pub const SESSION_METADATA_KEY: &str = "civicpay_checkout_session";
/// Metadata key holding civicpay's payment id, on the session, its PaymentIntent and refunds.
pub const PAYMENT_METADATA_KEY: &str = "civicpay_payment_id";
/// Session metadata key recording the capture mode (`manual` / `automatic`), so a
/// `checkout.session.completed` event can tell an authorization from a payment.
pub const CAPTURE_METADATA_KEY: &str = "civicpay_capture";
/// Environment variables [`StripeConfig::from_env`] reads.
pub const ENV_SECRET_KEY: &str = "STRIPE_SECRET_KEY";
pub const ENV_WEBHOOK_SECRET: &str = "STRIPE_WEBHOOK_SECRET";
/// Per-attempt timeout for calls to Stripe.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long the customer may take on Stripe's page (the session's `expires_at`), counted from
/// the payment's creation. Shorter than the platform's one-hour payment deadline (the store
/// sets `expires_at = created + 1 h`), so Stripe has closed the session before the recovery job
/// gives a pending payment up: a customer can then never pay a payment civicpay has expired.
pub const SESSION_LIFETIME_SECONDS: i64 = 50 * 60;
/// Stripe refuses an `expires_at` less than 30 minutes ahead; keep a minute's margin.
const STRIPE_MIN_LIFETIME_SECONDS: i64 = 31 * 60;

/// What the Stripe adapter needs. The secrets come from the environment or from secret files
/// named in the platform configuration — never from a council's files under `tenants/`.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key).
    pub secret_key: SecretString,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: SecretString,
    /// Another API base than `https://api.stripe.com/` — only for tests against a fake server.
    pub api_base: Option<String>,
}

impl StripeConfig {
    /// Reads `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET`, or — when those are unset —
    /// the files named by `STRIPE_SECRET_KEY_FILE` and `STRIPE_WEBHOOK_SECRET_FILE`.
    /// `Ok(None)` when neither the key nor its file is set (Stripe not configured).
    pub fn from_env() -> Result<Option<Self>, PspError> {
        let read = |name: &str| -> Result<Option<SecretString>, PspError> {
            if let Ok(value) = std::env::var(name) {
                return Ok(Some(SecretString::from(value.trim().to_owned())));
            }
            match std::env::var(format!("{name}_FILE")) {
                Ok(path) => read_secret_file(Path::new(&path)).map(Some),
                Err(_) => Ok(None),
            }
        };
        let Some(secret_key) = read(ENV_SECRET_KEY)? else {
            return Ok(None);
        };
        let webhook_secret = read(ENV_WEBHOOK_SECRET)?.ok_or_else(|| {
            config_error(format!(
                "{ENV_SECRET_KEY} is set but {ENV_WEBHOOK_SECRET} (or {ENV_WEBHOOK_SECRET}_FILE) is not"
            ))
        })?;
        Ok(Some(Self {
            secret_key,
            webhook_secret,
            api_base: None,
        }))
    }
}

/// Reads a secret from a file (trimmed). Refuses files under a `tenants` directory: council
/// configuration is readable by council administrators and lives in version control.
pub fn read_secret_file(path: &Path) -> Result<SecretString, PspError> {
    if path
        .components()
        .any(|c| c == Component::Normal("tenants".as_ref()))
    {
        return Err(config_error(format!(
            "secret file {} is under tenants/; keep Stripe secrets outside the council configuration",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| config_error(format!("cannot read secret file {}: {e}", path.display())))?;
    Ok(SecretString::from(text.trim().to_owned()))
}

fn config_error(message: String) -> PspError {
    PspError::Unavailable(format!("Stripe is not configured correctly: {message}"))
}

/// The Stripe payment method types civicpay offers for a currency: card everywhere, plus the
/// local method councils' customers expect.
///
/// | Currency | Methods |
/// |---|---|
/// | DKK | `card`, `mobilepay` |
/// | EUR | `card`, `ideal` |
/// | PLN | `card`, `blik`, `p24` |
/// | others | `card` |
///
/// They are sent as `allowed_payment_method_types`: from API version 2026-09-30.endive (the one
/// async-stripe 1.0.0-rc.10 speaks) Checkout no longer accepts `payment_method_types`, and the
/// allowed list also lets Stripe drop a method that is not enabled on the account rather than
/// refusing the session. Per-council method lists can replace this mapping later.
pub fn stripe_methods(currency: Currency) -> &'static [&'static str] {
    match currency.code() {
        "DKK" => &["card", "mobilepay"],
        "EUR" => &["card", "ideal"],
        "PLN" => &["card", "blik", "p24"],
        _ => &["card"],
    }
}

/// Whether a Stripe payment method type can hold funds for a later capture. iDEAL, BLIK and
/// Przelewy24 cannot, so a `CaptureMode::Manual` checkout offers only card (and MobilePay).
pub fn supports_manual_capture(method: &str) -> bool {
    matches!(method, "card" | "mobilepay")
}

#[derive(Clone, Debug)]
pub struct StripeGateway {
    client: ::stripe::Client,
    webhook_secret: SecretString,
}

impl StripeGateway {
    pub fn new(config: StripeConfig) -> Result<Self, PspError> {
        let key = config.secret_key.expose_secret();
        if !(key.starts_with("sk_") || key.starts_with("rk_")) {
            return Err(config_error(
                "the secret key must be a Stripe secret or restricted key (sk_… or rk_…)".into(),
            ));
        }
        if !config.webhook_secret.expose_secret().starts_with("whsec_") {
            return Err(config_error(
                "the webhook secret must be the endpoint's signing secret (whsec_…)".into(),
            ));
        }
        let mut builder = ::stripe::ClientBuilder::new(key).timeout(TIMEOUT).app_info(
            "civicpay",
            Some(env!("CARGO_PKG_VERSION").to_owned()),
            None,
        );
        if let Some(base) = config.api_base {
            // The client appends `v1/…` to the base as written, so it must end in a slash.
            let base = format!("{}/", base.trim_end_matches('/'));
            builder = builder.url(base);
        }
        let client = builder
            .build()
            .map_err(|e| config_error(format!("cannot build the Stripe client: {e}")))?;
        Ok(Self {
            client,
            webhook_secret: config.webhook_secret,
        })
    }

    /// The Checkout Session that created a PaymentIntent (`GET /v1/checkout/sessions?payment_intent=…`),
    /// for mapping a `pi_…` webhook reference back to the stored one. `UnknownPayment` if none.
    pub async fn checkout_session_for(&self, payment_intent: &str) -> Result<String, PspError> {
        let list = ListCheckoutSession::new()
            .payment_intent(payment_intent)
            .limit(1)
            .send(&self.client)
            .await
            .map_err(|e| stripe_error("listing the Checkout Sessions of a PaymentIntent", e))?;
        list.data
            .first()
            .map(|s| s.id.as_str().to_owned())
            .ok_or_else(|| PspError::UnknownPayment(payment_intent.to_owned()))
    }

    /// The session behind a reference, with its PaymentIntent (and that one's latest charge)
    /// expanded.
    async fn session(&self, psp_reference: &str) -> Result<CheckoutSession, PspError> {
        if !psp_reference.starts_with("cs_") {
            return Err(PspError::UnknownPayment(format!(
                "{psp_reference} (not a Stripe Checkout Session id)"
            )));
        }
        RetrieveCheckoutSession::new(psp_reference)
            .expand(vec![
                "payment_intent".to_owned(),
                "payment_intent.latest_charge".to_owned(),
            ])
            .send(&self.client)
            .await
            .map_err(|e| match e {
                StripeError::Stripe(api, 404) => PspError::UnknownPayment(format!(
                    "{psp_reference} (Stripe: {})",
                    api.message.as_deref().unwrap_or("no such checkout session")
                )),
                e => stripe_error("retrieving the Checkout Session", e),
            })
    }

    /// The session's PaymentIntent, or a refusal naming what is missing.
    async fn payment_intent(
        &self,
        psp_reference: &str,
        action: &str,
    ) -> Result<(CheckoutSession, PaymentIntent), PspError> {
        let session = self.session(psp_reference).await?;
        match session.payment_intent.as_ref().and_then(|e| e.as_object()) {
            Some(intent) => {
                let intent = intent.clone();
                Ok((session, intent))
            }
            None => Err(PspError::Rejected(format!(
                "cannot {action} {psp_reference}: the customer has not paid in this Checkout Session yet (no PaymentIntent)"
            ))),
        }
    }
}

/// The session's `expires_at`: [`SESSION_LIFETIME_SECONDS`] after the payment was created,
/// read from the payment id (a UUIDv7 carries its creation time), so a retried create with the
/// same idempotency key sends the same parameters, as Stripe requires. Never less than Stripe's
/// minimum from `now`.
pub fn session_expires_at(payment_id: uuid::Uuid, now: DateTime<Utc>) -> i64 {
    let now = now.timestamp();
    let created = payment_id
        .get_timestamp()
        .and_then(|t| i64::try_from(t.to_unix().0).ok())
        .map_or(now, |t| t.min(now));
    created
        .saturating_add(SESSION_LIFETIME_SECONDS)
        .max(now.saturating_add(STRIPE_MIN_LIFETIME_SECONDS))
}

fn idempotent(key: &str) -> Result<RequestStrategy, PspError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PspError::Rejected(format!("idempotency key {key:?}: {e}")))
}

/// Stripe currency codes are lower-case ISO codes.
fn stripe_currency(currency: Currency) -> stripe_types::Currency {
    let Ok(currency) = currency.code().to_ascii_lowercase().parse();
    currency
}

fn money(minor: i64, stripe_code: &str) -> Result<Money, PspError> {
    Currency::parse(&stripe_code.to_ascii_uppercase())
        .map(|c| Money::new(minor, c))
        .map_err(|e| PspError::Rejected(format!("Stripe reported currency {stripe_code:?}: {e}")))
}

fn check_currency(amount: Money, intent: &PaymentIntent) -> Result<(), PspError> {
    if !intent
        .currency
        .to_string()
        .eq_ignore_ascii_case(amount.currency().code())
    {
        return Err(PspError::Rejected(format!(
            "amount {amount} is not in the payment's currency {}",
            intent.currency.to_string().to_ascii_uppercase()
        )));
    }
    Ok(())
}

/// Maps a failed Stripe call to a `PspError` that says what Stripe said.
fn stripe_error(action: &str, error: StripeError) -> PspError {
    match error {
        StripeError::Stripe(api, status) => {
            let code = api.code.as_ref().map(|c| c.as_str().to_owned());
            let mut text = format!(
                "{action}: Stripe said {:?}",
                api.message.as_deref().unwrap_or("(no message)")
            );
            text.push_str(&format!(" (HTTP {status}, type {}", api.type_.as_str()));
            if let Some(code) = &code {
                text.push_str(&format!(", code {code}"));
            }
            if let Some(decline) = &api.decline_code {
                text.push_str(&format!(", decline_code {decline}"));
            }
            if let Some(param) = &api.param {
                text.push_str(&format!(", param {param}"));
            }
            text.push(')');
            let card_error = api.type_.as_str() == "card_error";
            if card_error || api.decline_code.is_some() || code.as_deref() == Some("card_declined")
            {
                PspError::Declined(text)
            } else if status == 429 || status >= 500 || api.type_.as_str() == "api_error" {
                PspError::Unavailable(text)
            } else {
                PspError::Rejected(text)
            }
        }
        StripeError::JSONDeserialize(e) => {
            PspError::Unavailable(format!("{action}: Stripe's answer could not be read: {e}"))
        }
        StripeError::ClientError(e) => {
            PspError::Unavailable(format!("{action}: cannot reach Stripe: {e}"))
        }
        StripeError::Timeout => {
            PspError::Unavailable(format!("{action}: Stripe did not answer in time"))
        }
        StripeError::ConfigError(e) => config_error(format!("{action}: {e}")),
    }
}

/// Stripe answers `payment_intent_unexpected_state` when the PaymentIntent has moved on
/// (captured or cancelled already), e.g. on a retry with a new idempotency key.
fn unexpected_state(error: &StripeError) -> bool {
    matches!(error, StripeError::Stripe(api, _)
        if api.code.as_ref().map(|c| c.as_str()) == Some("payment_intent_unexpected_state"))
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    /// `POST /v1/checkout/sessions` with the request's idempotency key.
    async fn create_hosted_payment(
        &self,
        request: &HostedPaymentRequest,
    ) -> Result<HostedPayment, PspError> {
        let amount = request.amount;
        if amount.amount_minor() <= 0 {
            return Err(PspError::Rejected(format!(
                "Stripe cannot take a payment of {amount}"
            )));
        }
        let manual = request.capture == CaptureMode::Manual;
        let methods: Vec<CreateCheckoutSessionAllowedPaymentMethodTypes> =
            stripe_methods(amount.currency())
                .iter()
                .filter(|m| request.methods.is_empty() || request.methods.iter().any(|c| c == *m))
                .filter(|m| !manual || supports_manual_capture(m))
                .map(|m| {
                    let Ok(method) = m.parse();
                    method
                })
                .collect();
        let payment_id = request.payment_id.to_string();
        let name = match request.description.trim() {
            "" => format!("Payment {payment_id}"),
            text => text.chars().take(250).collect(),
        };
        let mut price =
            CreateCheckoutSessionLineItemsPriceData::new(stripe_currency(amount.currency()));
        price.unit_amount = Some(amount.amount_minor());
        price.product_data = Some(ProductData::new(name));
        let mut line = CreateCheckoutSessionLineItems::new();
        line.price_data = Some(price);
        line.quantity = Some(1);
        let mut intent_data = CreateCheckoutSessionPaymentIntentData::new();
        intent_data.capture_method = Some(if manual {
            CreateCheckoutSessionPaymentIntentDataCaptureMethod::Manual
        } else {
            CreateCheckoutSessionPaymentIntentDataCaptureMethod::Automatic
        });
        intent_data.metadata = Some(HashMap::from([(
            PAYMENT_METADATA_KEY.to_owned(),
            payment_id.clone(),
        )]));
        let session = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(vec![line])
            .payment_intent_data(intent_data)
            .allowed_payment_method_types(methods)
            .success_url(request.return_url.as_str())
            .cancel_url(request.return_url.as_str())
            .client_reference_id(payment_id.as_str())
            .expires_at(session_expires_at(request.payment_id, Utc::now()))
            .metadata(HashMap::from([
                (PAYMENT_METADATA_KEY.to_owned(), payment_id.clone()),
                (
                    CAPTURE_METADATA_KEY.to_owned(),
                    if manual { "manual" } else { "automatic" }.to_owned(),
                ),
            ]))
            .customize()
            .request_strategy(idempotent(&request.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| stripe_error("creating the Checkout Session", e))?;
        let redirect_url = session.url.clone().ok_or_else(|| {
            PspError::Rejected(format!(
                "Stripe created Checkout Session {} without a url",
                session.id.as_str()
            ))
        })?;
        Ok(HostedPayment {
            psp_reference: session.id.as_str().to_owned(),
            redirect_url,
        })
    }

    /// `POST /v1/payment_intents/{pi}/capture` with `amount_to_capture`, stamping the session id
    /// into the PaymentIntent's metadata so the `payment_intent.succeeded` that follows resolves.
    async fn capture(
        &self,
        psp_reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<(), PspError> {
        let (_, intent) = self.payment_intent(psp_reference, "capture").await?;
        check_currency(amount, &intent)?;
        if intent.status.as_str() == "succeeded" {
            return Ok(()); // captured already
        }
        let captured = CapturePaymentIntent::new(intent.id.clone())
            .amount_to_capture(amount.amount_minor())
            .metadata(HashMap::from([(
                SESSION_METADATA_KEY.to_owned(),
                psp_reference.to_owned(),
            )]))
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await;
        match captured {
            Ok(_) => Ok(()),
            Err(e) if unexpected_state(&e) => {
                let (_, now) = self.payment_intent(psp_reference, "capture").await?;
                if now.status.as_str() == "succeeded" {
                    Ok(())
                } else {
                    Err(stripe_error("capturing the PaymentIntent", e))
                }
            }
            Err(e) => Err(stripe_error("capturing the PaymentIntent", e)),
        }
    }

    /// While the Checkout Session is open (nobody has completed it, though attempts may have
    /// failed) it is expired (`POST /v1/checkout/sessions/{id}/expire`): Stripe does not let a
    /// Checkout-owned PaymentIntent be cancelled directly, and expiring cancels it. After
    /// completion the PaymentIntent is cancelled (`POST /v1/payment_intents/{pi}/cancel`, after
    /// stamping the session id into its metadata).
    async fn void(&self, psp_reference: &str, idempotency_key: &str) -> Result<(), PspError> {
        let session = self.session(psp_reference).await?;
        let status = session.status.as_ref().map(|s| s.as_str().to_owned());
        let intent = session.payment_intent.as_ref().and_then(|e| e.as_object());
        let intent = match (status.as_deref(), intent) {
            (Some("open"), _) => {
                return ExpireCheckoutSession::new(psp_reference)
                    .customize()
                    .request_strategy(idempotent(idempotency_key)?)
                    .send(&self.client)
                    .await
                    .map(|_| ())
                    .map_err(|e| stripe_error("expiring the Checkout Session", e));
            }
            (_, Some(intent)) => intent,
            (Some("expired"), None) => return Ok(()),
            (other, None) => {
                return Err(PspError::Rejected(format!(
                    "cannot void {psp_reference}: the Checkout Session is {} and has no PaymentIntent",
                    other.unwrap_or("in an unknown state")
                )));
            }
        };
        match intent.status.as_str() {
            "canceled" => return Ok(()),
            "succeeded" => {
                return Err(PspError::Rejected(format!(
                    "cannot void {psp_reference}: the payment is captured already; refund it instead"
                )));
            }
            _ => {}
        }
        UpdatePaymentIntent::new(intent.id.clone())
            .metadata(HashMap::from([(
                SESSION_METADATA_KEY.to_owned(),
                psp_reference.to_owned(),
            )]))
            .customize()
            .request_strategy(idempotent(&format!("{idempotency_key}-stamp"))?)
            .send(&self.client)
            .await
            .map_err(|e| stripe_error("noting the session on the PaymentIntent", e))?;
        let cancelled = CancelPaymentIntent::new(intent.id.clone())
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await;
        match cancelled {
            Ok(_) => Ok(()),
            Err(e) if unexpected_state(&e) => {
                let (_, now) = self.payment_intent(psp_reference, "void").await?;
                if now.status.as_str() == "canceled" {
                    Ok(())
                } else {
                    Err(stripe_error("cancelling the PaymentIntent", e))
                }
            }
            Err(e) => Err(stripe_error("cancelling the PaymentIntent", e)),
        }
    }

    /// `POST /v1/refunds` with `payment_intent` and `amount`; returns the refund id (`re_…`).
    async fn refund(
        &self,
        psp_reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<String, PspError> {
        let (session, intent) = self.payment_intent(psp_reference, "refund").await?;
        check_currency(amount, &intent)?;
        let mut metadata =
            HashMap::from([(SESSION_METADATA_KEY.to_owned(), psp_reference.to_owned())]);
        if let Some(id) = session
            .metadata
            .as_ref()
            .and_then(|m| m.get(PAYMENT_METADATA_KEY))
        {
            metadata.insert(PAYMENT_METADATA_KEY.to_owned(), id.clone());
        }
        let refund = CreateRefund::new()
            .payment_intent(intent.id.as_str())
            .amount(amount.amount_minor())
            .metadata(metadata)
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| match stripe_error("refunding", e) {
                // A refund Stripe refuses is never a card decline for the platform.
                PspError::Declined(text) => PspError::Rejected(text),
                other => other,
            })?;
        Ok(refund.id.as_str().to_owned())
    }

    fn parse_webhook(
        &self,
        headers: &BTreeMap<String, String>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PspWebhook, PspError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| PspError::BadSignature("missing Stripe-Signature header".into()))?;
        verify_signature(
            self.webhook_secret.expose_secret(),
            header,
            body,
            now,
            Some(WEBHOOK_TOLERANCE_SECONDS),
        )?;
        let payload: Value = serde_json::from_slice(body)
            .map_err(|e| PspError::Rejected(format!("Stripe event is not JSON: {e}")))?;
        let (psp_reference, kind, amount) = map_event(&payload)?;
        let event_id = payload["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| PspError::Rejected("Stripe event has no id".into()))?
            .to_owned();
        Ok(PspWebhook {
            event_id,
            psp_reference,
            kind,
            amount,
            // Checkout events do not name the method used; the register keeps it empty.
            method: None,
            payload,
        })
    }

    /// Retrieves the session with its PaymentIntent and maps the state:
    /// open session without PaymentIntent → Pending; expired session without a usable
    /// PaymentIntent → Expired; otherwise by PaymentIntent status (`requires_*`/`processing` →
    /// Pending, `requires_capture` → Authorized, `succeeded` → Captured, `canceled` → Voided,
    /// or Expired when Stripe cancelled it itself). `captured_minor` is `amount_received`,
    /// `refunded_minor` the latest charge's `amount_refunded`.
    async fn fetch(&self, psp_reference: &str) -> Result<PspPaymentView, PspError> {
        let session = self.session(psp_reference).await?;
        let session_status = session.status.as_ref().map(|s| s.as_str().to_owned());
        let session_expired = session_status.as_deref() == Some("expired");
        let intent = session.payment_intent.as_ref().and_then(|e| e.as_object());
        let Some(intent) = intent else {
            let currency = session
                .currency
                .as_ref()
                .map(ToString::to_string)
                .ok_or_else(|| {
                    PspError::Rejected(format!("Checkout Session {psp_reference} has no currency"))
                })?;
            return Ok(PspPaymentView {
                psp_reference: psp_reference.to_owned(),
                status: if session_expired {
                    PspStatus::Expired
                } else {
                    PspStatus::Pending
                },
                amount: money(session.amount_total.unwrap_or(0), &currency)?,
                captured_minor: 0,
                refunded_minor: 0,
            });
        };
        let status = match intent.status.as_str() {
            "requires_capture" => PspStatus::Authorized,
            "succeeded" => PspStatus::Captured,
            "canceled" => match intent.cancellation_reason.as_ref().map(|r| r.as_str()) {
                Some("automatic" | "expired" | "abandoned") => PspStatus::Expired,
                _ => PspStatus::Voided,
            },
            // requires_payment_method / requires_confirmation / requires_action / processing
            _ if session_expired => PspStatus::Expired,
            _ => PspStatus::Pending,
        };
        let refunded_minor = intent
            .latest_charge
            .as_ref()
            .and_then(|c| c.as_object())
            .map_or(0, |c| c.amount_refunded);
        Ok(PspPaymentView {
            psp_reference: psp_reference.to_owned(),
            status,
            amount: money(intent.amount, &intent.currency.to_string())?,
            captured_minor: intent.amount_received,
            refunded_minor,
        })
    }
}

/// Verifies a `Stripe-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=…][,v0=…]`) against the
/// raw body: some `v1` must equal `hex(HMAC-SHA256(secret, "<t>.<body>"))` (constant-time
/// compare; other schemes such as `v0` are ignored; several `v1` happen while a secret is
/// rolled). Then, with `tolerance` set, `t` must be within that many seconds of `now`, in either
/// direction. The signature is checked first, so a timestamp error means an authentic but
/// replayed or delayed event.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Option<i64>,
) -> Result<(), PspError> {
    let bad = |m: String| PspError::BadSignature(m);
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            return Err(bad(format!(
                "Stripe-Signature item {item:?} is not key=value"
            )));
        };
        match key {
            "t" => {
                timestamp = Some(value.parse().map_err(|_| {
                    bad(format!("Stripe-Signature t={value:?} is not unix seconds"))
                })?);
            }
            // A v1 that is not hex can never match; skip it like the official libraries.
            "v1" => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| bad("Stripe-Signature has no t=".into()))?;
    if signatures.is_empty() {
        return Err(bad("Stripe-Signature has no v1= signature".into()));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| bad(format!("webhook secret unusable: {e}")))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    if !signatures
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    {
        return Err(bad(
            "no v1 signature matches (wrong webhook secret, or the body was altered)".into(),
        ));
    }
    if let Some(tolerance) = tolerance {
        let age = now.timestamp().saturating_sub(timestamp);
        if age > tolerance {
            return Err(bad(format!(
                "timestamp is {age} s old, more than the {tolerance} s tolerance"
            )));
        }
        if age < tolerance.saturating_neg() {
            return Err(bad(format!(
                "timestamp is {} s in the future, more than the {tolerance} s tolerance",
                age.saturating_neg()
            )));
        }
    }
    Ok(())
}

/// The Stripe event types this adapter understands (enable these on the endpoint).
pub const HANDLED_EVENTS: [&str; 9] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
];

type Mapped = (String, PspEventKind, Option<Money>);

/// Maps a verified Stripe event to (psp_reference, kind, amount). Read as plain JSON, not the
/// SDK's typed events, so an account on another API version than the SDK's still parses.
fn map_event(event: &Value) -> Result<Mapped, PspError> {
    let kind = event["type"]
        .as_str()
        .ok_or_else(|| PspError::Rejected("Stripe event has no type".into()))?;
    let object = &event["data"]["object"];
    let text = |key: &str| object[key].as_str().filter(|s| !s.is_empty());
    let object_id = || {
        text("id")
            .map(str::to_owned)
            .ok_or_else(|| PspError::Rejected(format!("{kind} event object has no id")))
    };
    let amount = |key: &str| -> Result<Option<Money>, PspError> {
        match (object[key].as_i64(), text("currency")) {
            (Some(minor), Some(code)) => money(minor, code).map(Some),
            _ => Ok(None),
        }
    };
    // For PaymentIntent and Charge objects: the session id this adapter stamped, else the
    // PaymentIntent id (see the module documentation).
    let intent_reference = |intent_id: Option<&str>| -> Result<String, PspError> {
        object["metadata"][SESSION_METADATA_KEY]
            .as_str()
            .filter(|s| !s.is_empty())
            .or(intent_id)
            .map(str::to_owned)
            .ok_or_else(|| PspError::Rejected(format!("{kind} event names no PaymentIntent")))
    };
    match kind {
        "checkout.session.completed" => {
            let manual = object["metadata"][CAPTURE_METADATA_KEY].as_str() == Some("manual");
            let event_kind = match (manual, text("payment_status")) {
                (false, Some("paid" | "no_payment_required")) => PspEventKind::Captured,
                // Manual capture: funds held. (`unpaid` without manual capture would be a
                // delayed-notification method; none is in `stripe_methods`, and its outcome
                // would follow as checkout.session.async_payment_*.)
                _ => PspEventKind::Authorized,
            };
            Ok((object_id()?, event_kind, amount("amount_total")?))
        }
        "checkout.session.async_payment_succeeded" => Ok((
            object_id()?,
            PspEventKind::Captured,
            amount("amount_total")?,
        )),
        "checkout.session.async_payment_failed" => Ok((
            object_id()?,
            PspEventKind::Failed {
                reason: "the delayed payment failed".into(),
            },
            None,
        )),
        "checkout.session.expired" => Ok((object_id()?, PspEventKind::Expired, None)),
        "payment_intent.amount_capturable_updated" => Ok((
            intent_reference(text("id"))?,
            PspEventKind::Authorized,
            amount("amount_capturable")?,
        )),
        "payment_intent.succeeded" => Ok((
            intent_reference(text("id"))?,
            PspEventKind::Captured,
            amount("amount_received")?,
        )),
        "payment_intent.payment_failed" => {
            let error = &object["last_payment_error"];
            let mut reason = error["message"]
                .as_str()
                .unwrap_or("the payment failed")
                .to_owned();
            let codes: Vec<&str> = [&error["code"], &error["decline_code"]]
                .into_iter()
                .filter_map(Value::as_str)
                .collect();
            if !codes.is_empty() {
                reason.push_str(&format!(" ({})", codes.join(", ")));
            }
            Ok((
                intent_reference(text("id"))?,
                PspEventKind::Failed { reason },
                None,
            ))
        }
        "payment_intent.canceled" => {
            let event_kind = match text("cancellation_reason") {
                // Stripe cancelled it itself: the authorization lapsed / Checkout expired.
                Some("automatic" | "expired" | "abandoned") => PspEventKind::Expired,
                _ => PspEventKind::Voided,
            };
            Ok((intent_reference(text("id"))?, event_kind, None))
        }
        "charge.refunded" => {
            let intent = object["payment_intent"]
                .as_str()
                .or_else(|| object["payment_intent"]["id"].as_str());
            Ok((
                intent_reference(intent.or(text("id")))?,
                PspEventKind::Refunded,
                amount("amount_refunded")?,
            ))
        }
        other => Err(PspError::Rejected(format!(
            "Stripe event type {other} is not handled by civicpay; disable it on the webhook endpoint (handled: {})",
            HANDLED_EVENTS.join(", ")
        ))),
    }
}
