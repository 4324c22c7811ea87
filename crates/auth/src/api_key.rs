//! API keys for council systems.
//!
//! Format: `cpk_` + 32 base62 random characters + 6 base62 characters of a CRC-32 over the part
//! before them. The checksum lets the server refuse a mistyped or made-up key without touching
//! the database, and lets secret scanners recognise a leaked key. Keys carry ~190 bits of
//! entropy, so a fast SHA-256 digest is safe storage (argon2 is for low-entropy passwords and
//! would cap the API at a few dozen requests per second).

use rand::Rng;
use sha2::{Digest, Sha256};

const PREFIX: &str = "cpk_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A freshly made key. `key` is shown once and never stored.
pub struct GeneratedApiKey {
    pub key: String,
    /// The first 12 characters, stored and shown in lists to tell keys apart.
    pub prefix: String,
    /// Hex SHA-256 of the whole key: what is stored and looked up.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    #[error("not a civicpay API key: it must start with \"cpk_\" and be 42 characters long")]
    Malformed,
    #[error("the API key's checksum does not match: the key is mistyped or made up")]
    BadChecksum,
}

fn base62(mut value: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

fn checksum(body: &str) -> String {
    base62(u64::from(crc32fast::hash(body.as_bytes())), CHECKSUM_LEN)
}

pub fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn generate_api_key() -> GeneratedApiKey {
    let mut rng = rand::thread_rng();
    let random: String = (0..RANDOM_LEN)
        .map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())]))
        .collect();
    let body = format!("{PREFIX}{random}");
    let key = format!("{body}{}", checksum(&body));
    GeneratedApiKey {
        prefix: key.chars().take(12).collect(),
        digest: digest(&key),
        key,
    }
}

/// Checks the shape and checksum of a presented key and returns its digest for the look-up.
pub fn parse_api_key(presented: &str) -> Result<String, ApiKeyError> {
    let presented = presented.trim();
    if presented.len() != PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN
        || !presented.starts_with(PREFIX)
        || !presented[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiKeyError::Malformed);
    }
    let (body, sum) = presented.split_at(PREFIX.len() + RANDOM_LEN);
    if checksum(body) != sum {
        return Err(ApiKeyError::BadChecksum);
    }
    Ok(digest(presented))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_to_their_digest() {
        let generated = generate_api_key();
        assert_eq!(generated.key.len(), 42);
        assert_eq!(parse_api_key(&generated.key), Ok(generated.digest.clone()));
        assert!(generated.key.starts_with(&generated.prefix));
        assert_ne!(generate_api_key().key, generated.key);
    }

    #[test]
    fn garbage_and_typos_are_refused_without_lookup() {
        assert_eq!(parse_api_key("hello"), Err(ApiKeyError::Malformed));
        let mut key = generate_api_key().key.into_bytes();
        // Change one character of the random part: the checksum must catch it.
        key[10] = if key[10] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(key).unwrap_or_default();
        assert_eq!(parse_api_key(&typo), Err(ApiKeyError::BadChecksum));
    }
}
