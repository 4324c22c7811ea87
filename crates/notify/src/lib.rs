//! civicpay-notify: the outgoing-webhook protocol. When a payment request is paid, cancelled or
//! expired, civicpay POSTs a JSON event to the council's callback URL, signed with
//! HMAC-SHA256 over `"<unix seconds>.<body>"` in the `Civicpay-Signature` header (one `v1=` per
//! active secret, so a secret can be rotated without downtime) and identified by
//! `Civicpay-Event-Id` for de-duplication. This crate holds the pure parts — secrets, signing and
//! verifying, the retry schedule with jitter, callback URL validation — and the HTTP sending of
//! one attempt. It knows nothing of the database: the delivery log, the dead-letter queue and the
//! dispatcher loop live in the store and the app. See `docs/webhooks.md` for the receiver side.
//! It also sends e-mail to citizens ([`Mailer`]: SMTP, or `.eml` files on the embedded default),
//! from the same outbox.

pub mod mail;
pub mod schedule;
pub mod sender;
pub mod signature;

pub use mail::{Email, MailError, Mailer};
pub use schedule::{MAX_ATTEMPTS, SCHEDULE, delay_before_attempt, next_attempt_at};
pub use sender::{
    AttemptOutcome, DEFAULT_TIMEOUT, Delivery, MAX_URL_LEN, RESPONSE_EXCERPT_LEN, USER_AGENT,
    WebhookSender, validate_callback_url,
};
pub use signature::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, SecretError, TOLERANCE, VerifyError, WebhookSecret, sign,
    verify,
};
