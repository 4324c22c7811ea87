//! The payment state machine, declared in one place.
//!
//! ```text
//! created ─► pending ─► authorized ─► capture_requested ─► captured ─► partially_refunded ─► refunded
//!    │          │            │  ╲                               ╲_____________________________▲
//!    │          │            │   void_requested ─► voided
//!    └──────────┴────────────┴─► failed | expired
//! ```
//! `capture_requested` and `void_requested` are lock states: a payment moves into one in its own
//! commit *before* the PSP is called, so a second concurrent attempt finds the lock and is
//! refused instead of calling the PSP twice. PSP events may arrive in any order: an event that
//! the payment has already moved past (an `authorized` after `captured`) is `Stale` and changes
//! nothing; an event that makes no sense from the current state is an `IllegalTransition`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 11] = [
        PaymentStatus::Created,
        PaymentStatus::Pending,
        PaymentStatus::Authorized,
        PaymentStatus::CaptureRequested,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Failed,
        PaymentStatus::VoidRequested,
        PaymentStatus::Voided,
        PaymentStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::CaptureRequested => "capture_requested",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::VoidRequested => "void_requested",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "payment status",
                value: raw.to_owned(),
                expected: "one of created, pending, authorized, capture_requested, captured, partially_refunded, refunded, failed, void_requested, voided, expired",
            })
    }

    /// No event moves a payment out of these.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentStatus::Refunded
                | PaymentStatus::Failed
                | PaymentStatus::Voided
                | PaymentStatus::Expired
        )
    }

    /// Money has been taken (and may be partly given back).
    pub fn is_captured(self) -> bool {
        matches!(
            self,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }

    /// How far along the happy path the status is; used to recognise stale events.
    fn progress(self) -> u8 {
        match self {
            PaymentStatus::Created => 0,
            PaymentStatus::Pending => 1,
            PaymentStatus::Authorized => 2,
            PaymentStatus::CaptureRequested | PaymentStatus::VoidRequested => 3,
            PaymentStatus::Captured => 4,
            PaymentStatus::PartiallyRefunded => 5,
            PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Voided
            | PaymentStatus::Expired => 6,
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can happen to a payment. Refunds carry the totals so the machine can tell partial
/// from full; amounts themselves are checked by the store (and the database) before this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentEvent {
    /// The customer was sent to the PSP's hosted page.
    CheckoutStarted,
    /// The PSP reserved the money.
    Authorized,
    /// We are about to ask the PSP to capture (lock state).
    CaptureRequested,
    /// The PSP took the money.
    Captured,
    /// The PSP refused a capture; the authorization stands.
    CaptureFailed,
    /// Declined, or an error at the PSP.
    Failed,
    /// We are about to ask the PSP to void the authorization (lock state).
    VoidRequested,
    /// The PSP refused to void; the authorization stands.
    VoidFailed,
    /// The authorization was released.
    Voided,
    /// The customer abandoned the checkout, or the authorization lapsed.
    Expired,
    /// Money given back; `refunded_total` includes this refund.
    Refunded { refunded_total: i64, captured: i64 },
}

impl PaymentEvent {
    pub fn name(&self) -> &'static str {
        match self {
            PaymentEvent::CheckoutStarted => "checkout_started",
            PaymentEvent::Authorized => "authorized",
            PaymentEvent::CaptureRequested => "capture_requested",
            PaymentEvent::Captured => "captured",
            PaymentEvent::CaptureFailed => "capture_failed",
            PaymentEvent::Failed => "failed",
            PaymentEvent::VoidRequested => "void_requested",
            PaymentEvent::VoidFailed => "void_failed",
            PaymentEvent::Voided => "voided",
            PaymentEvent::Expired => "expired",
            PaymentEvent::Refunded { .. } => "refunded",
        }
    }
}

/// The result of applying an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Moved(PaymentStatus),
    /// The payment is already past what the event says (out-of-order PSP delivery).
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a payment that is {from} cannot be {event}")]
pub struct IllegalTransition {
    pub from: PaymentStatus,
    pub event: &'static str,
}

use PaymentStatus as S;

/// Every legal move: (from, event name, to). Refunds are resolved by their totals below.
pub const TRANSITIONS: &[(PaymentStatus, &str, PaymentStatus)] = &[
    (S::Created, "checkout_started", S::Pending),
    (S::Created, "authorized", S::Authorized),
    (S::Pending, "authorized", S::Authorized),
    (S::Authorized, "capture_requested", S::CaptureRequested),
    (S::CaptureRequested, "capture_failed", S::Authorized),
    // Sandbox and auto-capture PSPs report capture straight from the checkout.
    (S::Created, "captured", S::Captured),
    (S::Pending, "captured", S::Captured),
    (S::Authorized, "captured", S::Captured),
    (S::CaptureRequested, "captured", S::Captured),
    (S::Created, "failed", S::Failed),
    (S::Pending, "failed", S::Failed),
    (S::Authorized, "void_requested", S::VoidRequested),
    (S::VoidRequested, "voided", S::Voided),
    (S::VoidRequested, "void_failed", S::Authorized),
    (S::Authorized, "voided", S::Voided),
    (S::Created, "expired", S::Expired),
    (S::Pending, "expired", S::Expired),
    (S::Authorized, "expired", S::Expired),
    (S::Captured, "refunded", S::PartiallyRefunded),
    (S::PartiallyRefunded, "refunded", S::PartiallyRefunded),
];

/// The status an event reaches from the happy path, used to tell stale events.
fn target_progress(event: &PaymentEvent) -> Option<u8> {
    match event {
        PaymentEvent::CheckoutStarted => Some(S::Pending.progress()),
        PaymentEvent::Authorized => Some(S::Authorized.progress()),
        PaymentEvent::Captured => Some(S::Captured.progress()),
        _ => None,
    }
}

/// Applies `event` to a payment in `from`.
pub fn apply(from: PaymentStatus, event: &PaymentEvent) -> Result<Transition, IllegalTransition> {
    let illegal = || IllegalTransition {
        from,
        event: event.name(),
    };
    if let PaymentEvent::Refunded {
        refunded_total,
        captured,
    } = *event
    {
        if !matches!(from, S::Captured | S::PartiallyRefunded)
            || refunded_total <= 0
            || refunded_total > captured
        {
            return Err(illegal());
        }
        return Ok(Transition::Moved(if refunded_total == captured {
            S::Refunded
        } else {
            S::PartiallyRefunded
        }));
    }
    if let Some((_, _, to)) = TRANSITIONS
        .iter()
        .find(|(f, name, _)| *f == from && *name == event.name())
    {
        return Ok(Transition::Moved(*to));
    }
    // A positive PSP report about a step the payment has already passed is stale — unless
    // the payment ended without money (failed, voided, expired): then a late capture is a
    // real problem, not noise, and must not be swallowed.
    let ended_without_money = matches!(from, S::Failed | S::Voided | S::Expired);
    // Ended without money, and the news agrees no money moved (the PSP confirms a cancel we
    // made, or reports a failure after we expired it): nothing to do.
    if ended_without_money
        && matches!(
            event,
            PaymentEvent::Failed | PaymentEvent::Voided | PaymentEvent::Expired
        )
    {
        return Ok(Transition::Stale);
    }
    match target_progress(event) {
        Some(target) if from.progress() >= target && !ended_without_money => Ok(Transition::Stale),
        _ => Err(illegal()),
    }
}

/// How a payment reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentChannel {
    /// The council's web shop or a pay link.
    Web,
    /// The counter.
    Pos,
    /// A payment request from a council system, paid through its link.
    ApiRequest,
    /// A bank transfer matched by reconciliation.
    BankTransfer,
}

impl PaymentChannel {
    pub const ALL: [PaymentChannel; 4] = [
        PaymentChannel::Web,
        PaymentChannel::Pos,
        PaymentChannel::ApiRequest,
        PaymentChannel::BankTransfer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentChannel::Web => "web",
            PaymentChannel::Pos => "pos",
            PaymentChannel::ApiRequest => "api_request",
            PaymentChannel::BankTransfer => "bank_transfer",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "payment channel",
                value: raw.to_owned(),
                expected: "one of web, pos, api_request, bank_transfer",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn moved(from: PaymentStatus, e: PaymentEvent) -> PaymentStatus {
        match apply(from, &e) {
            Ok(Transition::Moved(to)) => to,
            other => panic!("{from} + {e:?} gave {other:?}"),
        }
    }

    #[test]
    fn happy_path_with_staff_approval() {
        let s = moved(S::Created, PaymentEvent::CheckoutStarted);
        let s = moved(s, PaymentEvent::Authorized);
        let s = moved(s, PaymentEvent::CaptureRequested);
        let s = moved(s, PaymentEvent::Captured);
        let s = moved(
            s,
            PaymentEvent::Refunded {
                refunded_total: 50,
                captured: 100,
            },
        );
        assert_eq!(s, S::PartiallyRefunded);
        assert_eq!(
            moved(
                s,
                PaymentEvent::Refunded {
                    refunded_total: 100,
                    captured: 100
                }
            ),
            S::Refunded
        );
    }

    #[test]
    fn out_of_order_and_illegal_events() {
        assert_eq!(
            apply(S::Captured, &PaymentEvent::Authorized),
            Ok(Transition::Stale)
        );
        assert_eq!(
            apply(S::Authorized, &PaymentEvent::CheckoutStarted),
            Ok(Transition::Stale)
        );
        assert!(
            apply(S::Failed, &PaymentEvent::Captured).is_err(),
            "late capture of a failed payment must surface"
        );
        assert!(apply(S::Captured, &PaymentEvent::Voided).is_err());
        assert_eq!(
            apply(S::Expired, &PaymentEvent::Voided),
            Ok(Transition::Stale)
        );
        assert_eq!(
            apply(S::Failed, &PaymentEvent::Expired),
            Ok(Transition::Stale)
        );
        assert!(
            apply(S::CaptureRequested, &PaymentEvent::CaptureRequested).is_err(),
            "the lock refuses a second capture"
        );
        assert!(
            apply(
                S::Captured,
                &PaymentEvent::Refunded {
                    refunded_total: 101,
                    captured: 100
                }
            )
            .is_err()
        );
        assert!(
            apply(
                S::Refunded,
                &PaymentEvent::Refunded {
                    refunded_total: 100,
                    captured: 100
                }
            )
            .is_err()
        );
    }

    #[test]
    fn names_round_trip_and_table_is_consistent() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Ok(s));
        }
        for (from, _, _) in TRANSITIONS {
            assert!(!from.is_final(), "{from} is final but has a way out");
        }
    }

    fn any_event() -> impl Strategy<Value = PaymentEvent> {
        prop_oneof![
            Just(PaymentEvent::CheckoutStarted),
            Just(PaymentEvent::Authorized),
            Just(PaymentEvent::CaptureRequested),
            Just(PaymentEvent::Captured),
            Just(PaymentEvent::CaptureFailed),
            Just(PaymentEvent::Failed),
            Just(PaymentEvent::VoidRequested),
            Just(PaymentEvent::VoidFailed),
            Just(PaymentEvent::Voided),
            Just(PaymentEvent::Expired),
            (1i64..=150).prop_map(|r| PaymentEvent::Refunded {
                refunded_total: r,
                captured: 100
            }),
        ]
    }

    proptest! {
        /// Over any sequence of events: final states are never left, money is never both
        /// captured and voided/failed, and every move is one the table (or the refund rule) allows.
        #[test]
        fn random_event_sequences_respect_the_machine(events in proptest::collection::vec(any_event(), 0..40)) {
            let mut state = S::Created;
            let mut was_captured = false;
            for event in events {
                let before = state;
                match apply(state, &event) {
                    Ok(Transition::Moved(to)) => {
                        prop_assert!(!before.is_final(), "left final state {before}");
                        if let PaymentEvent::Refunded { refunded_total, captured } = event {
                            prop_assert!(refunded_total <= captured);
                            prop_assert!(before.is_captured());
                        } else {
                            prop_assert!(TRANSITIONS.iter().any(|(f, n, t)| *f == before && *n == event.name() && *t == to));
                        }
                        state = to;
                    }
                    Ok(Transition::Stale) => {}
                    Err(e) => prop_assert_eq!(e.from, before),
                }
                was_captured |= state.is_captured();
                if was_captured {
                    prop_assert!(!matches!(state, S::Voided | S::Failed | S::Expired));
                }
            }
        }
    }
}
