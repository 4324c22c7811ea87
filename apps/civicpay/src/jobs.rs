//! Background work in the serving process: the outbox dispatcher (signed webhooks to council
//! systems) and the recovery job (payments stuck at the PSP). Both are idempotent and take
//! their rows with leases, so several nodes may run them.

use civicpay_api::ApiState;
use civicpay_notify::WebhookSender;
use std::time::Duration;

/// How often the dispatcher looks for due webhooks: the commit-to-dispatch lag is at most
/// this plus the delivery time.
const DISPATCH_INTERVAL: Duration = Duration::from_millis(250);
const RECOVERY_INTERVAL: Duration = Duration::from_secs(30);

pub fn spawn(state: ApiState) {
    let dispatcher_state = state.clone();
    tokio::spawn(async move {
        let sender = WebhookSender::new();
        loop {
            match civicpay_api::payments::dispatch_outbox(&dispatcher_state.store, &sender).await {
                // More may be due right away: go again without sleeping.
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e.message, "webhook dispatch failed"),
            }
            tokio::time::sleep(DISPATCH_INTERVAL).await;
        }
    });
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RECOVERY_INTERVAL).await;
            match civicpay_api::payments::recover_stuck_payments(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(settled = n, "recovered stuck payments"),
                Err(e) => tracing::error!(error = %e.message, "payment recovery failed"),
            }
        }
    });
}
