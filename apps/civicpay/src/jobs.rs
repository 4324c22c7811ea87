//! Background work in the serving process: the outbox dispatcher (signed webhooks to council
//! systems), the recovery job (payments stuck at the PSP, permits past their last day) and the
//! registry re-match (scheduled runs, and resuming runs whose worker died). All are
//! idempotent and take their rows with leases or guarded cursors, so several nodes may run
//! them.

use civicpay_api::ApiState;
use civicpay_notify::WebhookSender;
use std::time::Duration;

/// How often the dispatcher looks for due webhooks: the commit-to-dispatch lag is at most
/// this plus the delivery time.
const DISPATCH_INTERVAL: Duration = Duration::from_millis(250);
const RECOVERY_INTERVAL: Duration = Duration::from_secs(30);

/// How often the re-match loop looks for interrupted or due runs.
const REMATCH_INTERVAL: Duration = Duration::from_secs(60);

pub fn spawn(state: ApiState, rematch_every_hours: u32) {
    let rematch_state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(REMATCH_INTERVAL).await;
            match civicpay_api::rematch::resume_interrupted(&rematch_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "resumed interrupted re-match runs"),
                Err(e) => tracing::error!(error = %e.message, "resuming re-match runs failed"),
            }
            if rematch_every_hours > 0 {
                let every = chrono::Duration::hours(i64::from(rematch_every_hours));
                match civicpay_api::rematch::run_scheduled(&rematch_state, every).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(runs = n, "scheduled re-match runs finished"),
                    Err(e) => tracing::error!(error = %e.message, "scheduled re-match failed"),
                }
            }
        }
    });
    let dispatcher_state = state.clone();
    tokio::spawn(async move {
        let sender = WebhookSender::new();
        loop {
            match civicpay_api::payments::dispatch_outbox(
                &dispatcher_state.store,
                &sender,
                dispatcher_state.mailer.as_deref(),
            )
            .await
            {
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
            match civicpay_api::permits::expire_permits(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "permits past their last day expired"),
                Err(e) => tracing::error!(error = %e.message, "permit expiry failed"),
            }
        }
    });
}
