//! Register keys with their check rules (STANDARDS §6): national ids (DK CPR, NL BSN, PL PESEL),
//! company ids (DK CVR, NL KvK, PL NIP) and number plates. Each constructor is the only way in,
//! so a value of the type is valid. National ids never print in clear: `Display` and `Debug`
//! show the first six digits and `****` (a BSN only its last two).

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Why a raw string was not accepted as a register key. Never contains a national id in clear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is invalid: {reason}")]
pub struct IdError {
    pub what: &'static str,
    pub reason: String,
}

fn id_err(what: &'static str, reason: impl Into<String>) -> IdError {
    IdError {
        what,
        reason: reason.into(),
    }
}

/// The countries whose national and company numbers this crate can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdCountry {
    Denmark,
    Netherlands,
    Poland,
}

impl IdCountry {
    /// From an ISO 3166-1 alpha-2 code (`DK`, `NL`, `PL`).
    pub fn from_iso(code: &str) -> Result<Self, IdError> {
        match code {
            "DK" => Ok(Self::Denmark),
            "NL" => Ok(Self::Netherlands),
            "PL" => Ok(Self::Poland),
            other => Err(id_err(
                "country",
                format!("{other:?} has no national id scheme here; expected DK, NL or PL"),
            )),
        }
    }

    pub fn iso(self) -> &'static str {
        match self {
            Self::Denmark => "DK",
            Self::Netherlands => "NL",
            Self::Poland => "PL",
        }
    }
}

/// Which national id scheme a [`NationalId`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NationalIdKind {
    /// Danish CPR number, 10 digits `DDMMYYSSSS`.
    Cpr,
    /// Dutch burgerservicenummer, 9 digits.
    Bsn,
    /// Polish PESEL, 11 digits.
    Pesel,
}

/// A person's national identity number, checked by its country's rule. Stored as digits only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId {
    kind: NationalIdKind,
    digits: String,
}

/// Digits of `raw` after removing the separators people type (spaces, `-`, `.`), or `None`
/// when anything else is in it.
fn digits_only(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect();
    (!cleaned.is_empty() && cleaned.bytes().all(|b| b.is_ascii_digit())).then_some(cleaned)
}

fn digit_values(digits: &str) -> Vec<u32> {
    digits.bytes().map(|b| u32::from(b - b'0')).collect()
}

fn weighted_sum(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

impl NationalId {
    /// Parses a national id of `country`'s scheme. Error messages never repeat the number.
    pub fn parse(country: IdCountry, raw: &str) -> Result<Self, IdError> {
        match country {
            IdCountry::Denmark => Self::cpr(raw),
            IdCountry::Netherlands => Self::bsn(raw),
            IdCountry::Poland => Self::pesel(raw),
        }
    }

    /// DK CPR: `DDMMYY-SSSS`, the date must exist (century from the 7th digit). The legacy
    /// mod-11 check is deliberately NOT applied: numbers without it are issued since 2007.
    pub fn cpr(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "CPR number";
        let digits = digits_only(raw)
            .filter(|d| d.len() == 10)
            .ok_or_else(|| id_err(WHAT, "expected 10 digits, DDMMYY-SSSS"))?;
        let d = digit_values(&digits);
        let (day, month, yy, seventh) = (
            d[0] * 10 + d[1],
            d[2] * 10 + d[3],
            i32::try_from(d[4] * 10 + d[5]).unwrap_or(0),
            d[6],
        );
        let century = match seventh {
            0..=3 => 1900,
            4 | 9 if yy <= 36 => 2000,
            4 | 9 => 1900,
            _ if yy <= 57 => 2000,
            _ => 1800,
        };
        NaiveDate::from_ymd_opt(century + yy, month, day)
            .ok_or_else(|| id_err(WHAT, "the first six digits are not a real date (DDMMYY)"))?;
        Ok(Self {
            kind: NationalIdKind::Cpr,
            digits,
        })
    }

    /// NL BSN: 9 digits (8-digit forms padded with a leading 0), "11-proef", greater than 0.
    pub fn bsn(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "BSN";
        let mut digits = digits_only(raw)
            .filter(|d| d.len() == 8 || d.len() == 9)
            .ok_or_else(|| id_err(WHAT, "expected 9 digits"))?;
        if digits.len() == 8 {
            digits.insert(0, '0');
        }
        let d = digit_values(&digits);
        let sum: i64 = d
            .iter()
            .zip([9i64, 8, 7, 6, 5, 4, 3, 2, -1])
            .map(|(&digit, w)| i64::from(digit) * w)
            .sum();
        if d.iter().all(|&x| x == 0) || sum.rem_euclid(11) != 0 {
            return Err(id_err(WHAT, "the 11-proef check fails"));
        }
        Ok(Self {
            kind: NationalIdKind::Bsn,
            digits,
        })
    }

    /// PL PESEL: `YYMMDDZZZXQ`, the month offset gives the century, the date must exist, and
    /// `Q = (10 − Σ mod 10) mod 10` with weights 1,3,7,9,1,3,7,9,1,3.
    pub fn pesel(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "PESEL";
        let digits = digits_only(raw)
            .filter(|d| d.len() == 11)
            .ok_or_else(|| id_err(WHAT, "expected 11 digits"))?;
        let d = digit_values(&digits);
        let yy = i32::try_from(d[0] * 10 + d[1]).unwrap_or(0);
        let mm = d[2] * 10 + d[3];
        let day = d[4] * 10 + d[5];
        let (century, month) = match mm {
            81..=92 => (1800, mm - 80),
            1..=12 => (1900, mm),
            21..=32 => (2000, mm - 20),
            41..=52 => (2100, mm - 40),
            61..=72 => (2200, mm - 60),
            _ => (0, 0),
        };
        NaiveDate::from_ymd_opt(century + yy, month, day)
            .filter(|_| month != 0)
            .ok_or_else(|| id_err(WHAT, "the first six digits are not a real date"))?;
        let sum = weighted_sum(&d[..10], &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
        if (10 - sum % 10) % 10 != d[10] {
            return Err(id_err(WHAT, "the check digit is wrong"));
        }
        Ok(Self {
            kind: NationalIdKind::Pesel,
            digits,
        })
    }

    pub fn kind(&self) -> NationalIdKind {
        self.kind
    }

    /// The number in clear, digits only. Only for talking to the register itself; never log it.
    pub fn expose_digits(&self) -> &str {
        &self.digits
    }

    /// A form safe for logs and screens. CPR and PESEL show their first six digits (the
    /// date of birth a clerk checks against the person) and `****`, e.g. `211062****`. A BSN
    /// carries no date and six of its nine digits would nearly give it away, so it shows only
    /// its last two: `*******82`.
    pub fn masked(&self) -> String {
        match self.kind {
            NationalIdKind::Bsn => {
                let tail: String = self.digits.chars().skip(7).collect();
                format!("*******{tail}")
            }
            _ => {
                let head: String = self.digits.chars().take(6).collect();
                format!("{head}****")
            }
        }
    }

    /// A keyed pseudonym (HMAC-SHA256, hex) of the number, so look-ups of one person can be
    /// found in the log without storing the number. Keyed, because national ids have so
    /// little entropy that a plain hash is reversed by trying them all.
    pub fn pseudonym(&self, key: &[u8]) -> String {
        // HMAC accepts keys of any length, so this never fails; fall back to an empty MAC.
        match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(self.digits.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }

    /// The number sealed for storage (XChaCha20-Poly1305 under a key derived from `key`;
    /// hex of nonce ‖ ciphertext). A permit keeps its holder's id sealed so the registry
    /// re-match can ask the register again; nothing else can read it without the key.
    pub fn seal(&self, key: &[u8]) -> String {
        use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&seal_key(key).into());
        let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut OsRng);
        match cipher.encrypt(&nonce, self.digits.as_bytes()) {
            Ok(sealed) => {
                let mut out = nonce.to_vec();
                out.extend_from_slice(&sealed);
                hex::encode(out)
            }
            // Encryption of a few bytes cannot fail; an empty seal unseals to an error.
            Err(_) => String::new(),
        }
    }

    /// Opens a [`NationalId::seal`]ed number of `country` with the same `key`.
    pub fn unseal(country: IdCountry, key: &[u8], sealed: &str) -> Result<Self, IdError> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        let bad = || id_err("sealed national id", "cannot be opened with this key");
        let bytes = hex::decode(sealed).map_err(|_| bad())?;
        if bytes.len() < 24 {
            return Err(bad());
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&seal_key(key).into());
        let plain = cipher
            .decrypt(chacha20poly1305::XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| bad())?;
        let digits = String::from_utf8(plain).map_err(|_| bad())?;
        Self::parse(country, &digits)
    }
}

/// The sealing key: SHA-256 over a label and the platform's pseudonym secret, so one
/// configured secret gives two unrelated keys (pseudonyms and seals).
fn seal_key(key: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    hasher.update(b"civicpay national id seal v1\0");
    hasher.update(key);
    hasher.finalize().into()
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({:?}, {})", self.kind, self.masked())
    }
}

/// Which business number scheme a [`CompanyId`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompanyIdKind {
    /// Danish CVR number, 8 digits, mod-11.
    Cvr,
    /// Dutch Kamer van Koophandel number, 8 digits (no check digit).
    Kvk,
    /// Polish tax number NIP, 10 digits with a check digit.
    Nip,
}

/// A company's register number, checked by its country's rule. Company numbers are public and
/// print in clear.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyId {
    kind: CompanyIdKind,
    digits: String,
}

impl CompanyId {
    pub fn parse(country: IdCountry, raw: &str) -> Result<Self, IdError> {
        match country {
            IdCountry::Denmark => Self::cvr(raw),
            IdCountry::Netherlands => Self::kvk(raw),
            IdCountry::Poland => Self::nip(raw),
        }
    }

    /// DK CVR: 8 digits, first not 0, weights 2,7,6,5,4,3,2,1 sum to a multiple of 11. A `DK`
    /// prefix (VAT form) is accepted.
    pub fn cvr(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "CVR number";
        let raw = raw.trim();
        let raw = raw.strip_prefix("DK").unwrap_or(raw);
        let digits = digits_only(raw)
            .filter(|d| d.len() == 8 && !d.starts_with('0'))
            .ok_or_else(|| {
                id_err(
                    WHAT,
                    format!("{raw:?}: expected 8 digits, not starting with 0"),
                )
            })?;
        let d = digit_values(&digits);
        if !weighted_sum(&d, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11) {
            return Err(id_err(WHAT, format!("{digits}: the mod-11 check fails")));
        }
        Ok(Self {
            kind: CompanyIdKind::Cvr,
            digits,
        })
    }

    /// NL KvK: 8 digits (the number has no check digit).
    pub fn kvk(raw: &str) -> Result<Self, IdError> {
        let digits = digits_only(raw)
            .filter(|d| d.len() == 8)
            .ok_or_else(|| id_err("KvK number", format!("{:?}: expected 8 digits", raw.trim())))?;
        Ok(Self {
            kind: CompanyIdKind::Kvk,
            digits,
        })
    }

    /// PL NIP: 10 digits (`856-734-62-15`, or `PL` + digits), weights 6,5,7,2,3,4,5,6,7;
    /// Σ mod 11 must equal the last digit (a result of 10 is never valid).
    pub fn nip(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "NIP";
        let raw = raw.trim();
        let raw = raw.strip_prefix("PL").unwrap_or(raw);
        let digits = digits_only(raw)
            .filter(|d| d.len() == 10)
            .ok_or_else(|| id_err(WHAT, format!("{raw:?}: expected 10 digits")))?;
        let d = digit_values(&digits);
        if weighted_sum(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 != d[9] {
            return Err(id_err(WHAT, format!("{digits}: the check digit is wrong")));
        }
        Ok(Self {
            kind: CompanyIdKind::Nip,
            digits,
        })
    }

    pub fn kind(&self) -> CompanyIdKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.digits
    }
}

impl CompanyId {
    /// A keyed pseudonym (HMAC-SHA256, hex) under which a company holds permits, in the same
    /// key space as [`NationalId::pseudonym`] but never equal to a person's (prefixed).
    pub fn pseudonym(&self, key: &[u8]) -> String {
        match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(b"company:");
                mac.update(self.digits.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

/// A number plate, normalised: upper case, without spaces or dashes (`ab 12-345` → `AB12345`),
/// 2–10 letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Plate(String);

impl Plate {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}' | '\t'))
            .flat_map(char::to_uppercase)
            .collect();
        let count = cleaned.chars().count();
        if !(2..=10).contains(&count) || !cleaned.chars().all(char::is_alphanumeric) {
            return Err(id_err(
                "number plate",
                format!(
                    "{raw:?}: expected 2-10 letters and digits (spaces and dashes are ignored)"
                ),
            ));
        }
        Ok(Self(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_id_opens_only_with_its_key() {
        let id = NationalId::cpr("211062-5629").unwrap_or_else(|e| panic!("{e}"));
        let sealed = id.seal(b"key one");
        assert!(!sealed.contains("2110625629"), "sealed in clear");
        assert_ne!(sealed, id.seal(b"key one"), "a fresh nonce each time");
        let opened = NationalId::unseal(IdCountry::Denmark, b"key one", &sealed)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.expose_digits(), "2110625629");
        assert!(NationalId::unseal(IdCountry::Denmark, b"key two", &sealed).is_err());
        assert!(NationalId::unseal(IdCountry::Denmark, b"key one", "00ff").is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert!(NationalId::unseal(IdCountry::Denmark, b"key one", &tampered).is_err());
    }

    #[test]
    fn cpr_follows_standards_vectors() {
        assert!(NationalId::cpr("211062-5629").is_ok());
        assert!(NationalId::cpr("2110625629").is_ok());
        assert!(NationalId::cpr("511062-5629").is_err(), "bad date");
        // Format-valid, fails the legacy mod-11 — must still be accepted.
        assert!(NationalId::cpr("0101651234").is_ok());
        assert!(
            NationalId::cpr("290201-1234").is_err(),
            "29 Feb 1901 does not exist"
        );
        assert!(
            NationalId::cpr("290200-4234").is_ok(),
            "29 Feb 2000 (7th digit 4, yy 00)"
        );
        assert!(NationalId::cpr("21106256").is_err());
        assert!(NationalId::cpr("21106x5629").is_err());
    }

    #[test]
    fn bsn_follows_standards_vectors() {
        for ok in ["111222333", "249566758", "999993653"] {
            assert!(NationalId::bsn(ok).is_ok(), "{ok}");
        }
        assert!(NationalId::bsn("111252333").is_err());
        assert!(NationalId::bsn("000000000").is_err());
        assert!(NationalId::bsn("1234567").is_err());
        // An 8-digit form is padded.
        let padded = NationalId::bsn("12345672");
        assert_eq!(
            padded.as_ref().map(|id| id.expose_digits().len()).ok(),
            Some(9)
        );
    }

    #[test]
    fn pesel_follows_standards_vectors() {
        assert!(NationalId::pesel("44051401359").is_ok());
        assert!(NationalId::pesel("02211307589").is_ok());
        assert!(NationalId::pesel("44051401358").is_err());
        assert!(NationalId::pesel("02381307589").is_err(), "bad date");
    }

    #[test]
    fn cvr_follows_standards_vectors() {
        assert!(CompanyId::cvr("13585628").is_ok());
        assert!(CompanyId::cvr("DK13585628").is_ok());
        assert!(CompanyId::cvr("13585627").is_err());
        assert!(CompanyId::cvr("03585628").is_err());
    }

    #[test]
    fn nip_follows_standards_vectors() {
        assert!(CompanyId::nip("8567346215").is_ok());
        assert!(CompanyId::nip("856-734-62-15").is_ok());
        assert!(CompanyId::nip("PL5214349636").is_ok());
        assert!(CompanyId::nip("8567346216").is_err());
        assert!(CompanyId::nip("1234567890").is_err());
    }

    #[test]
    fn kvk_is_eight_digits() {
        assert!(CompanyId::kvk("24382106").is_ok());
        assert!(CompanyId::kvk("2438210").is_err());
        assert!(CompanyId::parse(IdCountry::Netherlands, "2438 2106").is_ok());
    }

    #[test]
    fn country_picks_the_scheme() {
        let id = NationalId::parse(IdCountry::Netherlands, "999993653");
        assert_eq!(id.map(|i| i.kind()).ok(), Some(NationalIdKind::Bsn));
        assert!(NationalId::parse(IdCountry::Denmark, "999993653").is_err());
        assert!(IdCountry::from_iso("SE").is_err());
    }

    #[test]
    fn plates_are_normalised() {
        let plate = Plate::parse(" ab 12-345 ").ok();
        assert_eq!(plate.as_ref().map(Plate::as_str), Some("AB12345"));
        assert!(Plate::parse("A").is_err());
        assert!(Plate::parse("AB/123").is_err());
    }

    #[test]
    fn national_ids_never_print_in_clear() {
        let Ok(id) = NationalId::cpr("211062-5629") else {
            panic!("valid vector rejected");
        };
        for shown in [id.to_string(), format!("{id:?}"), format!("{id:#?}")] {
            assert!(!shown.contains("2110625629"), "{shown}");
            assert!(!shown.contains("5629"), "{shown}");
            assert!(shown.contains("211062****"), "{shown}");
        }
        let Err(e) = NationalId::cpr("511062-5629") else {
            panic!("invalid vector accepted");
        };
        assert!(!format!("{e} {e:?}").contains("5110625629"));
        assert!(!format!("{e} {e:?}").contains("511062-5629"));
        let a = id.pseudonym(b"key-1");
        assert_eq!(a.len(), 64);
        assert_ne!(a, id.pseudonym(b"key-2"));
        assert!(!a.contains("2110625629"));
    }

    #[test]
    fn a_bsn_is_masked_harder_than_a_date_based_id() {
        let bsn = NationalId::parse(IdCountry::Netherlands, "999993653")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bsn.masked(), "*******53");
        assert!(!format!("{bsn:?}").contains("99999"));
    }
}
