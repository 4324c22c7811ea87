//! Staff passwords: argon2id hashes in PHC format, a minimum policy, and the lockout rule.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

/// Failed attempts in a row after which an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a lock lasts; long enough to stop guessing, short enough not to need a help desk.
pub const LOCKOUT_DURATION: Duration = Duration::minutes(15);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: at least 12 characters are needed")]
    TooShort,
    #[error("the password is too long: at most 256 characters")]
    TooLong,
    #[error("could not hash the password: {0}")]
    Hashing(String),
}

pub fn check_password_policy(password: &SecretString) -> Result<(), PasswordError> {
    let length = password.expose_secret().chars().count();
    if length < 12 {
        return Err(PasswordError::TooShort);
    }
    if length > 256 {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes with argon2id and the crate's recommended parameters (19 MiB, 2 passes).
pub fn hash_password(password: &SecretString) -> Result<String, PasswordError> {
    check_password_policy(password)?;
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC hash. A malformed hash never matches.
pub fn verify_password(stored_hash: &str, password: &SecretString) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real check, for log-ins with an unknown e-mail, so response time
/// does not tell an attacker which addresses have accounts.
pub fn dummy_verify(password: &SecretString) {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$gZiV/M1gPc22ElAH/Jh1Hw$CWOrkoo7oJBQ/iyh7uJ0LO2aLEfrHwTWllSAxT0zRno";
    let _ = verify_password(DUMMY, password);
}

/// After a failed attempt that makes `failed_before + 1` failures in a row: the time until
/// which the account is locked, or `None` if it stays open.
pub fn lock_after_failure(failed_before: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (failed_before + 1 >= MAX_FAILED_LOGINS).then(|| now + LOCKOUT_DURATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let pw = SecretString::from("correct horse battery staple");
        let hash = hash_password(&pw).unwrap_or_else(|e| panic!("{e}"));
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, &pw));
        assert!(!verify_password(
            &hash,
            &SecretString::from("wrong horse battery staple")
        ));
        assert!(!verify_password("not a hash", &pw));
    }

    #[test]
    fn policy_refuses_short_passwords() {
        assert!(matches!(
            hash_password(&SecretString::from("short")),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn locks_on_the_fifth_failure() {
        let now = Utc::now();
        assert_eq!(lock_after_failure(3, now), None);
        assert_eq!(lock_after_failure(4, now), Some(now + LOCKOUT_DURATION));
    }
}
