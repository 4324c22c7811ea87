//! Payment use cases: payment requests, checkout, PSP webhooks, refunds, and the two
//! background jobs (outbox dispatch, recovery of stuck payments). One code path for GraphQL,
//! the pay pages and the CLI.

use crate::context::ApiState;
use crate::error::{ApiError, ApiResult};
use chrono::Utc;
use civicpay_domain::audit::Actor;
use civicpay_domain::{PaymentChannel, PaymentEvent};
use civicpay_money::Money;
use civicpay_notify::{Delivery, WebhookSecret, WebhookSender, next_attempt_at};
use civicpay_psp::{CaptureMode, HostedPaymentRequest, PspEventKind, PspStatus};
use civicpay_store::{
    AttemptRecord, EventMeta, IdempotencyClaim, NewPaymentRequest, PaymentRecord,
    PaymentRequestRecord, PspEventClaim, RefundRecord, Store, StoreError, TenantScope,
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::future::Future;
use uuid::Uuid;

/// A digest of a request's input, to tell "same key, same input" from "same key, other input".
pub fn request_digest(input: &impl Serialize) -> String {
    let text = serde_json::to_string(input).unwrap_or_default();
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `work` at most once per idempotency key: the same key with the same input replays the
/// first response exactly; with other input, or while the first is still running, it is a
/// CONFLICT. A failed attempt releases the key so the client may retry.
pub async fn idempotent<T, F, Fut>(
    scope: &TenantScope,
    key: &str,
    operation: &str,
    digest: &str,
    work: F,
) -> ApiResult<T>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    match scope.claim_idempotency_key(key, operation, digest).await? {
        IdempotencyClaim::Replay(stored) => serde_json::from_value(stored)
            .map_err(|e| ApiError::internal(format!("stored idempotent response unreadable: {e}"))),
        IdempotencyClaim::Proceed => match work().await {
            Ok(result) => {
                let stored = serde_json::to_value(&result).map_err(ApiError::internal)?;
                scope.finish_idempotency_key(key, stored).await?;
                Ok(result)
            }
            Err(e) => {
                if let Err(release) = scope.release_idempotency_key(key).await {
                    tracing::error!(error = %release, "could not release an idempotency key");
                }
                Err(e)
            }
        },
    }
}

/// The link a payer follows to pay a request.
pub fn pay_url(state: &ApiState, scope: &TenantScope, request_id: Uuid) -> String {
    format!(
        "{}/t/{}/pay/{request_id}",
        state.base_url,
        scope.tenant().slug
    )
}

/// Creates a payment request for a council system, once per idempotency key.
pub async fn create_payment_request(
    scope: &TenantScope,
    new: NewPaymentRequest,
    digest: &str,
    idempotency_key: &str,
    actor: &Actor,
) -> ApiResult<PaymentRequestRecord> {
    if let Some(url) = &new.callback_url {
        civicpay_notify::validate_callback_url(url)
            .map_err(|e| ApiError::bad_input(format!("callbackUrl: {e}")))?;
    }
    if let Some(url) = &new.return_url {
        civicpay_notify::validate_callback_url(url)
            .map_err(|e| ApiError::bad_input(format!("returnUrl: {e}")))?;
    }
    idempotent(
        scope,
        idempotency_key,
        "create_payment_request",
        digest,
        || async { Ok(scope.create_payment_request(new, actor).await?) },
    )
    .await
}

/// Starts paying one or several open requests: creates the payment, asks the council's PSP for
/// a hosted page, and returns the payment with the URL to send the browser to.
#[allow(clippy::too_many_arguments)]
pub async fn start_checkout(
    state: &ApiState,
    scope: &TenantScope,
    request_ids: &[Uuid],
    partial_amount: Option<Money>,
    customer_email: Option<String>,
    channel: PaymentChannel,
    capture: CaptureMode,
    actor: &Actor,
) -> ApiResult<(PaymentRecord, String)> {
    let gateway_name = scope.tenant().payment["gateway"]
        .as_str()
        .unwrap_or("sandbox")
        .to_owned();
    // Councils configured for a PSP this platform does not run yet fall back to the sandbox
    // only on the embedded default; elsewhere that is an error the operator must see.
    let gateway = match state.gateways.get(&gateway_name) {
        Ok(g) => g,
        Err(_) if state.sandbox_fallback => {
            state.gateways.get("sandbox").map_err(ApiError::internal)?
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let payment = scope
        .create_payment_for_requests(
            request_ids,
            partial_amount,
            channel,
            gateway.name(),
            customer_email,
            actor,
        )
        .await?;
    let mut requests = Vec::with_capacity(request_ids.len());
    for id in request_ids {
        requests.push(scope.payment_request(*id).await?);
    }
    let description = match requests.as_slice() {
        [one] => one.description.clone(),
        _ => format!("{} bills", request_ids.len()),
    };
    // A request under staff review (S0-6) is only authorized, whatever the caller asked for:
    // the caseworker's approval captures it.
    let capture = if requests.iter().any(|r| r.capture_later) {
        CaptureMode::Manual
    } else {
        capture
    };
    let hosted = gateway
        .create_hosted_payment(&HostedPaymentRequest {
            payment_id: payment.id,
            amount: payment.amount,
            description,
            return_url: format!(
                "{}/t/{}/payments/{}/status",
                state.base_url,
                scope.tenant().slug,
                payment.id
            ),
            capture,
            methods: scope.tenant().payment["methods"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            idempotency_key: payment.id.simple().to_string(),
        })
        .await;
    let hosted = match hosted {
        Ok(h) => h,
        Err(e) => {
            scope
                .apply_payment_event(
                    payment.id,
                    PaymentEvent::Failed,
                    EventMeta {
                        detail: Some(serde_json::json!({ "error": e.to_string() })),
                        ..EventMeta::by(Actor::System)
                    },
                )
                .await?;
            return Err(ApiError::conflict(format!(
                "the payment service could not start the payment: {e}; nothing was charged, try again"
            )));
        }
    };
    scope
        .set_psp_reference(payment.id, &hosted.psp_reference)
        .await?;
    let outcome = scope
        .apply_payment_event(
            payment.id,
            PaymentEvent::CheckoutStarted,
            EventMeta {
                psp_reference: Some(hosted.psp_reference.clone()),
                ..EventMeta::by(actor.clone())
            },
        )
        .await?;
    Ok((outcome.payment, hosted.redirect_url))
}

/// Handles a webhook from a PSP: verified, stored before anything else, deduplicated by the
/// PSP's event id, then applied. Any order of arrival is fine: news the payment has passed is
/// stale and changes nothing.
pub async fn handle_psp_webhook(
    state: &ApiState,
    gateway_name: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> ApiResult<String> {
    let gateway = state.gateways.get(gateway_name).map_err(|_| {
        ApiError::not_found(format!("no PSP named {gateway_name:?} on this platform"))
    })?;
    let webhook = gateway
        .parse_webhook(headers, body, Utc::now())
        .map_err(|e| ApiError::unauthenticated(e.to_string()))?;
    let store = &state.store;
    let claim = store
        .record_psp_event(
            gateway_name,
            &webhook.event_id,
            Some(&webhook.psp_reference),
            webhook.payload.clone(),
        )
        .await?;
    if claim == PspEventClaim::Done {
        return Ok(format!("event {} seen before; ignored", webhook.event_id));
    }
    let outcome = apply_psp_news(
        store,
        gateway_name,
        &webhook.psp_reference,
        &webhook.kind,
        webhook.amount,
        Some(&webhook.event_id),
        webhook.method.as_deref(),
    )
    .await;
    let note = match &outcome {
        Ok(text) => text.clone(),
        Err(e) => format!("error: {}", e.message),
    };
    store
        .mark_psp_event(gateway_name, &webhook.event_id, &note)
        .await?;
    outcome
}

async fn apply_psp_news(
    store: &Store,
    gateway_name: &str,
    psp_reference: &str,
    kind: &PspEventKind,
    amount: Option<Money>,
    event_id: Option<&str>,
    method: Option<&str>,
) -> ApiResult<String> {
    let Some(payment) = store
        .payment_by_psp_reference(gateway_name, psp_reference)
        .await?
    else {
        return Err(ApiError::not_found(format!(
            "no payment with PSP reference {psp_reference}"
        )));
    };
    let tenant = store
        .tenant_by_id(payment.tenant_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("payment {} has no council", payment.id)))?;
    let scope = store.scope(tenant);
    let event = match kind {
        PspEventKind::Authorized => PaymentEvent::Authorized,
        PspEventKind::Captured => PaymentEvent::Captured,
        PspEventKind::Failed { .. } => PaymentEvent::Failed,
        PspEventKind::Expired => PaymentEvent::Expired,
        PspEventKind::Voided => PaymentEvent::Voided,
        // Our own refunds are recorded when we make them; the PSP's echo is informational.
        PspEventKind::Refunded => return Ok("refund notice recorded".into()),
    };
    let meta = EventMeta {
        actor: Actor::System,
        psp_reference: Some(psp_reference.to_owned()),
        psp_event_id: event_id.map(str::to_owned),
        amount,
        detail: match (kind, method) {
            (PspEventKind::Failed { reason }, _) => Some(serde_json::json!({ "reason": reason })),
            (_, Some(method)) => Some(serde_json::json!({ "method": method })),
            _ => None,
        },
    };
    match scope.apply_payment_event(payment.id, event, meta).await {
        Ok(outcome) => Ok(format!(
            "payment {} {:?}{}",
            outcome.payment.reference,
            outcome.transition,
            if outcome.fulfilled { ", fulfilled" } else { "" }
        )),
        Err(StoreError::Conflict(message)) => {
            tracing::warn!(payment = %payment.id, %message, "PSP news does not fit the payment's state");
            if matches!(kind, PspEventKind::Captured) {
                // Money was taken for a payment we had ended: never leave a charged card
                // unrecorded — flag it for finance to refund or settle.
                let reason = format!(
                    "the PSP reports a capture{} but the payment was {}: money taken, not fulfilled — refund or settle",
                    amount.map(|a| format!(" of {a}")).unwrap_or_default(),
                    payment.status
                );
                scope.flag_payment(payment.id, &reason).await?;
            }
            Err(ApiError::conflict(message))
        }
        Err(e) => Err(e.into()),
    }
}

/// A refund as answered to the caller (and replayed for its idempotency key).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RefundOutcome {
    pub payment_id: Uuid,
    pub refund: RefundRecord,
}

/// Refunds part or all of a captured payment, once per idempotency key. The amount is reserved
/// in the database first (so parallel refunds can never exceed the capture), then the PSP is
/// asked with an idempotency key derived from the refund; a PSP refusal gives the reservation
/// back and is reported.
pub async fn refund_payment(
    state: &ApiState,
    scope: &TenantScope,
    payment_id: Uuid,
    amount: Money,
    reason: &str,
    idempotency_key: &str,
    actor: &Actor,
) -> ApiResult<RefundOutcome> {
    let digest = request_digest(&(payment_id, amount, reason));
    idempotent(
        scope,
        idempotency_key,
        "refund_payment",
        &digest,
        || async {
            // Everything the PSP call needs is checked before any money is reserved, so a
            // refund that cannot be sent never sits half-done.
            let current = scope.payment(payment_id).await?.payment;
            let gateway = state
                .gateways
                .get(&current.gateway)
                .map_err(|e| ApiError::conflict(format!("cannot refund: {e}")))?;
            let psp_reference = current
                .psp_reference
                .clone()
                .ok_or_else(|| ApiError::conflict("the payment has no PSP reference to refund"))?;
            let (_, reserved) = scope
                .reserve_refund(payment_id, amount, reason, actor)
                .await?;
            let answer = gateway
                .refund(
                    &psp_reference,
                    amount,
                    &format!("refund-{}", reserved.id.simple()),
                )
                .await
                .map_err(|e| e.to_string());
            let settled = scope.settle_refund(reserved.id, answer.clone()).await?;
            if let Err(e) = answer {
                return Err(ApiError::conflict(format!(
                    "the PSP refused the refund: {e}; nothing was refunded"
                )));
            }
            Ok(RefundOutcome {
                payment_id,
                refund: settled,
            })
        },
    )
    .await
}

/// Captures an authorized payment (a caseworker approves the order, S0-6). The payment first
/// moves to `capture_requested` in its own commit — a second, concurrent capture finds that
/// lock and is refused before any PSP call — then the PSP is asked with an idempotency key
/// derived from the payment, and the answer is recorded: `captured` (and fulfilled), or back
/// to `authorized` with the PSP's reason.
pub async fn capture_payment(
    state: &ApiState,
    scope: &TenantScope,
    payment_id: Uuid,
    idempotency_key: &str,
    actor: &Actor,
) -> ApiResult<PaymentRecord> {
    let digest = request_digest(&("capture", payment_id));
    idempotent(scope, idempotency_key, "capture_payment", &digest, || async {
        let current = scope.payment(payment_id).await?.payment;
        let gateway = state
            .gateways
            .get(&current.gateway)
            .map_err(|e| ApiError::conflict(format!("cannot capture: {e}")))?;
        let reference = current
            .psp_reference
            .clone()
            .ok_or_else(|| ApiError::conflict("the payment has no PSP reference to capture"))?;
        scope
            .apply_payment_event(payment_id, PaymentEvent::CaptureRequested, EventMeta::by(actor.clone()))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(message) => ApiError::conflict(format!(
                    "{message} (only an authorized payment can be captured; another capture may be under way)"
                )),
                other => other.into(),
            })?;
        match gateway
            .capture(&reference, current.amount, &format!("capture-{}", payment_id.simple()))
            .await
        {
            Ok(()) => {
                let outcome = scope
                    .apply_payment_event(
                        payment_id,
                        PaymentEvent::Captured,
                        EventMeta {
                            psp_reference: Some(reference),
                            amount: Some(current.amount),
                            ..EventMeta::by(actor.clone())
                        },
                    )
                    .await?;
                Ok(outcome.payment)
            }
            Err(e) => {
                scope
                    .apply_payment_event(
                        payment_id,
                        PaymentEvent::CaptureFailed,
                        EventMeta {
                            detail: Some(serde_json::json!({ "error": e.to_string() })),
                            ..EventMeta::by(actor.clone())
                        },
                    )
                    .await?;
                Err(ApiError::conflict(format!("the PSP refused the capture: {e}; the authorization stands")))
            }
        }
    })
    .await
}

/// Releases an authorized payment (a caseworker rejects the order, S0-6): `void_requested`
/// first (its own commit), then the PSP, then `voided` — or back to `authorized`.
pub async fn void_payment(
    state: &ApiState,
    scope: &TenantScope,
    payment_id: Uuid,
    reason: &str,
    idempotency_key: &str,
    actor: &Actor,
) -> ApiResult<PaymentRecord> {
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(ApiError::bad_input("reason: 1-500 characters"));
    }
    let digest = request_digest(&("void", payment_id, reason));
    idempotent(scope, idempotency_key, "void_payment", &digest, || async {
        let current = scope.payment(payment_id).await?.payment;
        let gateway = state
            .gateways
            .get(&current.gateway)
            .map_err(|e| ApiError::conflict(format!("cannot void: {e}")))?;
        let reference = current
            .psp_reference
            .clone()
            .ok_or_else(|| ApiError::conflict("the payment has no PSP reference to void"))?;
        let detail = Some(serde_json::json!({ "reason": reason }));
        scope
            .apply_payment_event(
                payment_id,
                PaymentEvent::VoidRequested,
                EventMeta {
                    detail: detail.clone(),
                    ..EventMeta::by(actor.clone())
                },
            )
            .await?;
        match gateway
            .void(&reference, &format!("void-{}", payment_id.simple()))
            .await
        {
            Ok(()) => Ok(scope
                .apply_payment_event(
                    payment_id,
                    PaymentEvent::Voided,
                    EventMeta {
                        psp_reference: Some(reference),
                        detail,
                        ..EventMeta::by(actor.clone())
                    },
                )
                .await?
                .payment),
            Err(e) => {
                scope
                    .apply_payment_event(
                        payment_id,
                        PaymentEvent::VoidFailed,
                        EventMeta {
                            detail: Some(serde_json::json!({ "error": e.to_string() })),
                            ..EventMeta::by(actor.clone())
                        },
                    )
                    .await?;
                Err(ApiError::conflict(format!(
                    "the PSP refused to void: {e}; the authorization stands"
                )))
            }
        }
    })
    .await
}

/// Delivers due outbox rows — signed webhooks to council systems, e-mails to citizens.
/// Returns how many it tried.
pub async fn dispatch_outbox(
    store: &Store,
    sender: &WebhookSender,
    mailer: Option<&civicpay_notify::Mailer>,
) -> ApiResult<usize> {
    let due = store
        .claim_due_outbox(20, chrono::Duration::minutes(2))
        .await?;
    let count = due.len();
    for item in due {
        let outcome = match store.tenant_by_id(item.tenant_id).await? {
            Some(tenant) if item.kind == "email" => {
                send_email(&store.scope(tenant), &item, mailer).await
            }
            Some(tenant) => {
                let secrets: Vec<WebhookSecret> = store
                    .scope(tenant)
                    .webhook_secrets()
                    .await?
                    .into_iter()
                    .filter_map(|s| WebhookSecret::new(s).ok())
                    .collect();
                let event_id = item.payload["id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .unwrap_or(item.id);
                let delivery = Delivery {
                    event_id,
                    url: item.target.clone(),
                    body: item.payload.to_string().into_bytes(),
                };
                sender.send(&delivery, &secrets, Utc::now()).await
            }
            None => civicpay_notify::AttemptOutcome {
                status: None,
                error: Some("the council no longer exists".into()),
                response_excerpt: String::new(),
                duration_ms: 0,
                succeeded: false,
            },
        };
        let attempts_made = u32::try_from(item.attempts + 1).unwrap_or(u32::MAX);
        store
            .record_delivery_attempt(
                &item,
                AttemptRecord {
                    status_code: outcome.status,
                    error: outcome.error,
                    response_excerpt: outcome.response_excerpt,
                    duration_ms: outcome.duration_ms,
                    succeeded: outcome.succeeded,
                    next_attempt_at: next_attempt_at(item.created_at, attempts_made),
                },
            )
            .await?;
    }
    Ok(count)
}

/// Sends one outbox e-mail: from the council (its name; replies to its support address),
/// with the letter's PDF when it names one.
async fn send_email(
    scope: &TenantScope,
    item: &civicpay_store::OutboxRecord,
    mailer: Option<&civicpay_notify::Mailer>,
) -> civicpay_notify::AttemptOutcome {
    let started = std::time::Instant::now();
    let elapsed = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let outcome = |error: Option<String>| civicpay_notify::AttemptOutcome {
        status: None,
        succeeded: error.is_none(),
        error,
        response_excerpt: String::new(),
        duration_ms: elapsed(),
    };
    let Some(mailer) = mailer else {
        return outcome(Some("no mail_url configured; the e-mail waits".into()));
    };
    let tenant = scope.tenant();
    let attachment = match item.payload["letter_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
    {
        Some(id) => match scope.letter_pdf(id).await {
            Ok(letter) => letter
                .pdf
                .map(|pdf| (format!("letter-{}.pdf", letter.id.simple()), pdf)),
            Err(e) => return outcome(Some(format!("the letter's PDF: {e}"))),
        },
        None => None,
    };
    let email = civicpay_notify::Email {
        to: item.target.clone(),
        reply_to: tenant.branding["support_email"].as_str().map(str::to_owned),
        from_name: tenant
            .name
            .get(&tenant.default_locale, &tenant.default_locale)
            .to_owned(),
        subject: item.payload["subject"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body: item.payload["body"].as_str().unwrap_or_default().to_owned(),
        attachment,
    };
    outcome(mailer.send(&email).await.err().map(|e| e.to_string()))
}

/// Asks the PSP about payments stuck past their deadline and settles them: a capture whose
/// webhook was lost is recorded (and fulfilled), a failure is recorded, an abandoned checkout
/// is cancelled at the PSP and expires. A PSP that does not answer is asked again next time —
/// a payment is never expired on a guess. Also expires payment requests past `expiresAt`.
pub async fn recover_stuck_payments(state: &ApiState) -> ApiResult<usize> {
    let store = &state.store;
    let mut settled = 0;
    for payment in store.stuck_payments(Utc::now(), 50).await? {
        let Some(tenant) = store.tenant_by_id(payment.tenant_id).await? else {
            continue;
        };
        let scope = store.scope(tenant);
        let Some(reference) = payment.psp_reference.clone() else {
            // The PSP never heard of it (the hosted page was never created): nothing to ask.
            scope
                .apply_payment_event(
                    payment.id,
                    PaymentEvent::Expired,
                    EventMeta::by(Actor::System),
                )
                .await?;
            settled += 1;
            continue;
        };
        let gateway = match state.gateways.get(&payment.gateway) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(payment = %payment.id, error = %e, "recovery: gateway not configured");
                continue;
            }
        };
        let view = match gateway.fetch(&reference).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(payment = %payment.id, error = %e, "recovery: the PSP did not answer; asking again later");
                continue;
            }
        };
        // A lock state left behind by a process that died mid-call: settle it by the PSP's word.
        if matches!(
            payment.status,
            civicpay_domain::PaymentStatus::CaptureRequested
                | civicpay_domain::PaymentStatus::VoidRequested
        ) {
            let event = match (payment.status, view.status) {
                (_, PspStatus::Captured) => Some(PaymentEvent::Captured),
                (_, PspStatus::Voided | PspStatus::Expired) => Some(PaymentEvent::Voided),
                (civicpay_domain::PaymentStatus::CaptureRequested, PspStatus::Authorized) => {
                    Some(PaymentEvent::CaptureFailed)
                }
                (civicpay_domain::PaymentStatus::VoidRequested, PspStatus::Authorized) => {
                    Some(PaymentEvent::VoidFailed)
                }
                _ => None,
            };
            if let Some(event) = event {
                let meta = EventMeta {
                    psp_reference: Some(reference.clone()),
                    amount: (event == PaymentEvent::Captured)
                        .then(|| Money::new(view.captured_minor, view.amount.currency())),
                    detail: Some(serde_json::json!({ "recovered": true })),
                    ..EventMeta::by(Actor::System)
                };
                match scope.apply_payment_event(payment.id, event, meta).await {
                    Ok(_) => settled += 1,
                    Err(e) => {
                        tracing::warn!(payment = %payment.id, error = %e, "recovery could not settle a lock state")
                    }
                }
            }
            continue;
        }
        let outcome = match view.status {
            PspStatus::Captured => {
                let amount = Money::new(view.captured_minor, view.amount.currency());
                apply_psp_news(
                    store,
                    &payment.gateway,
                    &reference,
                    &PspEventKind::Captured,
                    Some(amount),
                    None,
                    None,
                )
                .await
            }
            PspStatus::Failed => {
                apply_psp_news(
                    store,
                    &payment.gateway,
                    &reference,
                    &PspEventKind::Failed {
                        reason: "reported by the PSP on recovery".into(),
                    },
                    None,
                    None,
                    None,
                )
                .await
            }
            PspStatus::Voided | PspStatus::Expired => {
                apply_psp_news(
                    store,
                    &payment.gateway,
                    &reference,
                    &PspEventKind::Expired,
                    None,
                    None,
                    None,
                )
                .await
            }
            PspStatus::Authorized => {
                // Reserved and waiting (staff approval, or a capture on its way): record it and
                // look again in an hour instead of every run.
                let _ = apply_psp_news(
                    store,
                    &payment.gateway,
                    &reference,
                    &PspEventKind::Authorized,
                    None,
                    None,
                    None,
                )
                .await;
                scope
                    .defer_payment_deadline(payment.id, Utc::now() + chrono::Duration::hours(1))
                    .await?;
                Ok("authorized; deadline moved".into())
            }
            PspStatus::Pending => {
                // Abandoned at the PSP: cancel it there first, so a late payment cannot land
                // on an expired payment; if the PSP says it has moved on, settle by its word.
                match gateway
                    .void(&reference, &format!("expire-{}", payment.id.simple()))
                    .await
                {
                    Ok(()) => {
                        apply_psp_news(
                            store,
                            &payment.gateway,
                            &reference,
                            &PspEventKind::Expired,
                            None,
                            None,
                            None,
                        )
                        .await
                    }
                    Err(e) => {
                        tracing::warn!(payment = %payment.id, error = %e, "recovery: the PSP refused to cancel; asking again later");
                        continue;
                    }
                }
            }
        };
        match outcome {
            Ok(_) => settled += 1,
            Err(e) => {
                tracing::warn!(payment = %payment.id, error = %e.message, "recovery could not settle a payment")
            }
        }
    }
    for (tenant_id, request_id) in store.expired_payment_requests(Utc::now(), 100).await? {
        if let Some(tenant) = store.tenant_by_id(tenant_id).await?
            && store
                .scope(tenant)
                .expire_payment_request(request_id)
                .await?
        {
            settled += 1;
        }
    }
    Ok(settled)
}
