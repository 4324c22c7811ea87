//! Webhook secrets, signing and verifying.
//!
//! Header value: `t=<unix seconds>,v1=<hex hmac>[,v1=<hex hmac>...]`, where each `v1` is
//! `hex(HMAC-SHA256(key = the whole secret string, "whsec_" included, message = "<t>.<body>"))`.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the timestamp and the signature(s).
pub const SIGNATURE_HEADER: &str = "Civicpay-Signature";
/// Header carrying the event's id; the same on every attempt, so receivers dedupe on it.
pub const EVENT_ID_HEADER: &str = "Civicpay-Event-Id";
/// How far the signed timestamp may be from the receiver's clock, in either direction.
pub const TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

const SECRET_PREFIX: &str = "whsec_";
const SECRET_MIN_LEN: usize = 32;
const GENERATED_LEN: usize = 43; // 43 base62 characters ≈ 256 bits
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A webhook signing secret: `whsec_` followed by at least 32 printable ASCII characters.
/// The whole string, prefix included, is the HMAC key. `Debug` does not show it.
#[derive(Clone, Debug)]
pub struct WebhookSecret(SecretString);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("webhook secret must start with \"{SECRET_PREFIX}\"")]
    MissingPrefix,
    #[error(
        "webhook secret must have at least {SECRET_MIN_LEN} characters after \"{SECRET_PREFIX}\" (got {0})"
    )]
    TooShort(usize),
    #[error("webhook secret may only contain printable ASCII characters without spaces")]
    InvalidCharacter,
}

impl WebhookSecret {
    /// Validates a stored or configured secret.
    pub fn new(secret: String) -> Result<Self, SecretError> {
        let Some(rest) = secret.strip_prefix(SECRET_PREFIX) else {
            return Err(SecretError::MissingPrefix);
        };
        if !rest.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SecretError::InvalidCharacter);
        }
        if rest.len() < SECRET_MIN_LEN {
            return Err(SecretError::TooShort(rest.len()));
        }
        Ok(Self(SecretString::from(secret)))
    }

    /// A new random secret from the OS random source: `whsec_` + 43 base62 characters.
    pub fn generate() -> Self {
        let mut rng = rand::rngs::OsRng;
        let mut secret = String::with_capacity(SECRET_PREFIX.len() + GENERATED_LEN);
        secret.push_str(SECRET_PREFIX);
        secret
            .extend((0..GENERATED_LEN).map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())])));
        Self(SecretString::from(secret))
    }

    fn mac(&self, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = match HmacSha256::new_from_slice(self.0.expose_secret().as_bytes()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl ExposeSecret<str> for WebhookSecret {
    /// The secret string, for storing it or showing it once to the council.
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The `Civicpay-Signature` header value: `t=<timestamp>` and one `v1=` per secret, in the
/// order given. During a rotation pass both the old and the new secret. With no secrets the
/// value has no `v1` and every receiver will refuse it.
pub fn sign(secrets: &[WebhookSecret], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hex::encode(
            secret.mac(timestamp, body).finalize().into_bytes(),
        ));
    }
    header
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header: {0}")]
    Malformed(String),
    #[error("signature header has no t= timestamp")]
    MissingTimestamp,
    #[error("signature header has no v1= signature")]
    MissingSignature,
    #[error("no v1 signature matches the body and timestamp (wrong secret or altered body)")]
    SignatureMismatch,
    #[error("timestamp is {age_seconds} s old, more than the {} s tolerance", TOLERANCE.num_seconds())]
    TimestampTooOld { age_seconds: i64 },
    #[error("timestamp is {ahead_seconds} s in the future, more than the {} s tolerance", TOLERANCE.num_seconds())]
    TimestampInFuture { ahead_seconds: i64 },
}

/// Checks a `Civicpay-Signature` header against the raw body as received. Any `v1` signature
/// made with `secret` is accepted (so it works during a rotation); signatures are compared in
/// constant time; unknown keys (future schemes) are ignored. The signature is checked before the
/// timestamp, so a stale-timestamp error means an authentic but replayed or delayed request.
pub fn verify(
    secret: &WebhookSecret,
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), VerifyError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for item in header.split(',') {
        let item = item.trim();
        let Some((key, value)) = item.split_once('=') else {
            return Err(VerifyError::Malformed(format!(
                "item {item:?} is not key=value"
            )));
        };
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(VerifyError::Malformed("more than one t=".into()));
                }
                let value = value.trim();
                let parsed = value.parse::<i64>().map_err(|_| {
                    VerifyError::Malformed(format!("t={value:?} is not an integer of unix seconds"))
                })?;
                timestamp = Some(parsed);
            }
            "v1" => {
                let value = value.trim();
                let bytes = hex::decode(value)
                    .map_err(|_| VerifyError::Malformed(format!("v1={value:?} is not hex")))?;
                signatures.push(bytes);
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(VerifyError::MissingSignature);
    }

    let mac = secret.mac(timestamp, body);
    if !signatures
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    {
        return Err(VerifyError::SignatureMismatch);
    }

    let tolerance = TOLERANCE.num_seconds();
    let age = now.timestamp().saturating_sub(timestamp);
    if age > tolerance {
        return Err(VerifyError::TimestampTooOld { age_seconds: age });
    }
    if age < -tolerance {
        return Err(VerifyError::TimestampInFuture {
            ahead_seconds: age.saturating_neg(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> WebhookSecret {
        WebhookSecret::new(s.to_owned()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    const OLD: &str = "whsec_0123456789abcdefghijABCDEFGHIJ01";
    const NEW: &str = "whsec_ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvuts99";
    const BODY: &[u8] =
        br#"{"id":"0190a7e4-0000-7000-8000-000000000001","type":"payment_request.paid"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_else(|| panic!("valid timestamp"))
    }

    #[test]
    fn secret_validation() {
        assert_eq!(
            WebhookSecret::new("sk_0123456789abcdefghijABCDEFGHIJ01".into()).err(),
            Some(SecretError::MissingPrefix)
        );
        assert_eq!(
            WebhookSecret::new("whsec_short".into()).err(),
            Some(SecretError::TooShort(5))
        );
        assert_eq!(
            WebhookSecret::new("whsec_0123456789abcdefghij ABCDEFGHIJ01".into()).err(),
            Some(SecretError::InvalidCharacter)
        );
        assert!(WebhookSecret::new(OLD.into()).is_ok());
    }

    #[test]
    fn generated_secrets_are_valid_and_distinct() {
        let a = WebhookSecret::generate();
        let b = WebhookSecret::generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        let text = a.expose_secret().to_owned();
        assert_eq!(text.len(), SECRET_PREFIX.len() + GENERATED_LEN);
        assert!(
            text[SECRET_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert!(WebhookSecret::new(text).is_ok());
    }

    #[test]
    fn debug_does_not_leak_the_secret() {
        assert!(!format!("{:?}", secret(OLD)).contains("0123456789"));
    }

    #[test]
    fn known_answer() {
        // Same value as `printf '1750000000.{}' | openssl dgst -sha256 -hmac "$SECRET"` and the
        // Python / Node snippets in docs/webhooks.md.
        let header = sign(&[secret(OLD)], 1_750_000_000, b"{}");
        assert_eq!(
            header,
            "t=1750000000,v1=27dff1e5595142d3813fb54d4992332dafc3e0cbd63476515852fce56e60f94d"
        );
    }

    #[test]
    fn round_trip() {
        let s = secret(OLD);
        let header = sign(std::slice::from_ref(&s), now().timestamp(), BODY);
        assert!(header.starts_with("t=1750000000,v1="));
        assert_eq!(header.matches("v1=").count(), 1);
        assert_eq!(verify(&s, &header, BODY, now()), Ok(()));
    }

    #[test]
    fn rotation_both_secrets_verify() {
        let (old, new) = (secret(OLD), secret(NEW));
        let header = sign(&[old.clone(), new.clone()], now().timestamp(), BODY);
        assert_eq!(header.matches("v1=").count(), 2);
        assert_eq!(verify(&old, &header, BODY, now()), Ok(()));
        assert_eq!(verify(&new, &header, BODY, now()), Ok(()));
        let other = WebhookSecret::generate();
        assert_eq!(
            verify(&other, &header, BODY, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn tampered_body_fails() {
        let s = secret(OLD);
        let header = sign(std::slice::from_ref(&s), now().timestamp(), BODY);
        let mut tampered = BODY.to_vec();
        tampered.push(b' ');
        assert_eq!(
            verify(&s, &header, &tampered, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn tampered_timestamp_fails() {
        let s = secret(OLD);
        let header = sign(std::slice::from_ref(&s), now().timestamp(), BODY);
        let moved = header.replacen("t=1750000000", "t=1750000001", 1);
        assert_eq!(
            verify(&s, &moved, BODY, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn wrong_secret_fails() {
        let header = sign(&[secret(OLD)], now().timestamp(), BODY);
        assert_eq!(
            verify(&secret(NEW), &header, BODY, now()),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn old_timestamp_fails() {
        let s = secret(OLD);
        let t = now() - chrono::Duration::minutes(6);
        let header = sign(std::slice::from_ref(&s), t.timestamp(), BODY);
        assert_eq!(
            verify(&s, &header, BODY, now()),
            Err(VerifyError::TimestampTooOld { age_seconds: 360 })
        );
        // Exactly at the tolerance is still accepted.
        let t = now() - TOLERANCE;
        let header = sign(std::slice::from_ref(&s), t.timestamp(), BODY);
        assert_eq!(verify(&s, &header, BODY, now()), Ok(()));
    }

    #[test]
    fn future_timestamp_fails() {
        let s = secret(OLD);
        let t = now() + chrono::Duration::minutes(6);
        let header = sign(std::slice::from_ref(&s), t.timestamp(), BODY);
        assert_eq!(
            verify(&s, &header, BODY, now()),
            Err(VerifyError::TimestampInFuture { ahead_seconds: 360 })
        );
        let t = now() + chrono::Duration::minutes(4);
        let header = sign(std::slice::from_ref(&s), t.timestamp(), BODY);
        assert_eq!(verify(&s, &header, BODY, now()), Ok(()));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let s = secret(OLD);
        for t in [i64::MIN, i64::MAX] {
            let header = sign(std::slice::from_ref(&s), t, BODY);
            assert!(matches!(
                verify(&s, &header, BODY, now()),
                Err(VerifyError::TimestampTooOld { .. } | VerifyError::TimestampInFuture { .. })
            ));
        }
    }

    #[test]
    fn malformed_headers_fail_with_distinct_errors() {
        let s = secret(OLD);
        let good = sign(std::slice::from_ref(&s), now().timestamp(), BODY);
        let sig = good
            .split_once(",v1=")
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();

        assert_eq!(
            verify(&s, &format!("v1={sig}"), BODY, now()),
            Err(VerifyError::MissingTimestamp)
        );
        assert_eq!(
            verify(&s, "t=1750000000", BODY, now()),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify(&s, "t=1750000000,v0=abcd", BODY, now()),
            Err(VerifyError::MissingSignature)
        );
        for bad in [
            "",
            "garbage",
            &format!("t=yesterday,v1={sig}"),
            "t=1750000000,v1=not-hex",
            &format!("t=1750000000,t=1750000000,v1={sig}"),
            &format!("t=1750000000;v1={sig}"),
        ] {
            match verify(&s, bad, BODY, now()) {
                Err(VerifyError::Malformed(why)) => assert!(!why.is_empty()),
                other => panic!("{bad:?}: expected Malformed, got {other:?}"),
            }
        }
        // Spaces after commas and unknown schemes are tolerated.
        let spaced = format!("t=1750000000, v0=00, v1={sig}");
        assert_eq!(verify(&s, &spaced, BODY, now()), Ok(()));
        // Upper-case hex is accepted.
        let upper = format!("t=1750000000,v1={}", sig.to_uppercase());
        assert_eq!(verify(&s, &upper, BODY, now()), Ok(()));
    }

    #[test]
    fn error_messages_say_what_was_wrong() {
        assert!(
            VerifyError::TimestampTooOld { age_seconds: 360 }
                .to_string()
                .contains("360 s old")
        );
        assert!(VerifyError::MissingTimestamp.to_string().contains("t="));
        assert!(VerifyError::MissingSignature.to_string().contains("v1="));
    }
}
