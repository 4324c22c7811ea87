//! Structured payment references: the number a payer quotes so that an incoming bank payment can
//! be matched to the order or invoice it pays. One scheme per market, all pure functions.
//!
//! Rules are implemented from `design/STANDARDS.md` §5:
//!
//! * §5.1 Danish FI-indbetalingskort **+71** ("FIK"): a 15-digit betalings-ID = 14-digit payload
//!   + modulus-10 (Luhn) check digit; payers type the code line `+71<ID +8xxxxxxx<`.
//! * §5.2 Dutch **betalingskenmerk** (Betaalvereniging "CUR" structured reference): 7, 9–14 or 16
//!   digits; a leading check digit `C` from the weights `2,4,8,5,10,9,7,3,6,1` (mod 11) and, for
//!   9–14 digits, a length digit `L`.
//! * §5.3 **ISO 11649** RF creditor reference: `RF` + 2 check digits + 1–21 letters or digits,
//!   checked with ISO 7064 MOD 97-10 (the algorithm ISO 13616 uses for IBANs).
//!
//! [`PaymentReference::generate`] turns a per-council sequence number into a reference;
//! [`PaymentReference::parse`] / [`PaymentReference::parse_any`] read what a payer or bank sends
//! (spaces, dots and dashes ignored, letters upper-cased) and reject anything whose length or check
//! digits are wrong. A `PaymentReference` always holds the canonical form, so two references are
//! the same iff their canonical strings are equal.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which structured-reference scheme a reference follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceScheme {
    /// Danish FI-indbetalingskort type +71: 15-digit betalings-ID with a Luhn check digit.
    #[serde(rename = "fik_plus71")]
    FikPlus71,
    /// Dutch betalingskenmerk: 7, 9–14 or 16 digits with a leading mod-11 check digit.
    Betalingskenmerk,
    /// ISO 11649 RF creditor reference (MOD 97-10).
    Rf,
}

impl ReferenceScheme {
    pub const ALL: [ReferenceScheme; 3] = [
        ReferenceScheme::FikPlus71,
        ReferenceScheme::Betalingskenmerk,
        ReferenceScheme::Rf,
    ];

    /// The scheme a council in `country` issues: DK → [`FikPlus71`](Self::FikPlus71),
    /// NL → [`Betalingskenmerk`](Self::Betalingskenmerk), anything else → [`Rf`](Self::Rf).
    pub fn for_country(country: &crate::CountryCode) -> Self {
        match country.as_str() {
            "DK" => Self::FikPlus71,
            "NL" => Self::Betalingskenmerk,
            _ => Self::Rf,
        }
    }

    /// The stable machine name, identical to the serde form: `fik_plus71`, `betalingskenmerk`, `rf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FikPlus71 => "fik_plus71",
            Self::Betalingskenmerk => "betalingskenmerk",
            Self::Rf => "rf",
        }
    }

    /// The name used in error messages.
    fn label(self) -> &'static str {
        match self {
            Self::FikPlus71 => "FIK +71 betalings-ID",
            Self::Betalingskenmerk => "betalingskenmerk",
            Self::Rf => "RF creditor reference",
        }
    }

    /// The largest sequence number [`PaymentReference::generate`] accepts for this scheme.
    fn max_sequence(self) -> u64 {
        match self {
            Self::FikPlus71 => FIK_MAX_SEQUENCE,
            Self::Betalingskenmerk => KENMERK_MAX_SEQUENCE,
            // Every u64 has at most 20 decimal digits, within RF's 21-character body.
            Self::Rf => u64::MAX,
        }
    }
}

/// FIK +71: the payload is 14 digits.
const FIK_PAYLOAD_LEN: usize = 14;
const FIK_LEN: usize = FIK_PAYLOAD_LEN + 1;
const FIK_MAX_SEQUENCE: u64 = 99_999_999_999_999;
/// Betalingskenmerk as generated: `C` + 15-digit body.
const KENMERK_BODY_LEN: usize = 15;
const KENMERK_LONG_LEN: usize = KENMERK_BODY_LEN + 1;
const KENMERK_MAX_SEQUENCE: u64 = 999_999_999_999_999;
/// The betalingskenmerk weights, applied from the rightmost digit leftwards (2^n mod 11).
const KENMERK_WEIGHTS: [u32; 10] = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1];
/// RF body: 1 to 21 letters or digits.
const RF_MAX_BODY_LEN: usize = 21;
/// `R` = 27 and `F` = 15 in the ISO 7064 letter numbering (A = 10 … Z = 35).
const RF_LETTER_VALUES: [u32; 2] = [27, 15];

const FIK_LENGTHS: &str = "15 digits";
const KENMERK_LENGTHS: &str = "7, 9–14 or 16 digits";
const RF_LENGTHS: &str = "5–25 characters (\"RF\", 2 check digits, 1–21 letters or digits)";

/// A validated structured payment reference in canonical form (no spaces or separators):
/// FIK +71 = 15 digits; betalingskenmerk = 7, 9–14 or 16 digits (16 when generated here);
/// RF = `RF` + 2 check digits + body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentReference {
    scheme: ReferenceScheme,
    value: String,
}

/// Why a reference could not be generated or parsed. Positions count characters from 1 in the
/// text as given (separators included).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("payment reference is empty")]
    Empty,
    #[error("{} has the wrong length: expected {expected}, got {found}", .scheme.label())]
    WrongLength {
        scheme: ReferenceScheme,
        found: usize,
        expected: &'static str,
    },
    #[error("non-digit character {found:?} at position {position}")]
    NonDigit { position: usize, found: char },
    #[error("character {found:?} at position {position} is not a letter or digit")]
    NotAlphanumeric { position: usize, found: char },
    #[error("{} check digit is {found}, expected {expected}", .scheme.label())]
    CheckDigitMismatch {
        scheme: ReferenceScheme,
        found: String,
        expected: String,
    },
    #[error("betalingskenmerk length digit is {found}, expected {expected} for {length} digits")]
    LengthDigitMismatch {
        found: u8,
        expected: u8,
        length: usize,
    },
    #[error("RF creditor reference must start with \"RF\"")]
    MissingRfPrefix,
    #[error("FIK card type +{found} is not supported: expected +71")]
    UnsupportedCardType { found: String },
    #[error(
        "malformed FIK code line: expected \"+71<\" + 15-digit betalings-ID, optionally followed by \" +\" + 8-digit kreditornummer starting with 8 + \"<\""
    )]
    MalformedCodeLine,
    #[error(
        "not a recognised payment reference: expected \"RF…\", 15 digits (FIK +71) or 7, 9–14 or 16 digits (betalingskenmerk), got {length} digits"
    )]
    Unrecognised { length: usize },
    #[error("sequence number must be greater than 0")]
    ZeroSequence,
    #[error("sequence number {sequence} is too large for a {}: at most {max}", .scheme.label())]
    SequenceTooLarge {
        scheme: ReferenceScheme,
        sequence: u64,
        max: u64,
    },
}

impl PaymentReference {
    /// Builds a reference from a per-council sequence number (> 0):
    /// * FIK +71: the number zero-padded to a 14-digit payload + Luhn check digit (at most
    ///   14 digits, i.e. ≤ 99 999 999 999 999);
    /// * betalingskenmerk: 16 digits = `C` + the number zero-padded to 15 digits;
    /// * RF: `RF` + check digits + the number in decimal without padding
    ///   (2026000123 → `RF462026000123`).
    pub fn generate(scheme: ReferenceScheme, sequence: u64) -> Result<Self, ReferenceError> {
        if sequence == 0 {
            return Err(ReferenceError::ZeroSequence);
        }
        let max = scheme.max_sequence();
        if sequence > max {
            return Err(ReferenceError::SequenceTooLarge {
                scheme,
                sequence,
                max,
            });
        }
        let value = match scheme {
            ReferenceScheme::FikPlus71 => {
                let payload = format!("{sequence:0width$}", width = FIK_PAYLOAD_LEN);
                let check = luhn(&digit_values(&payload));
                format!("{payload}{check}")
            }
            ReferenceScheme::Betalingskenmerk => {
                let body = format!("{sequence:0width$}", width = KENMERK_BODY_LEN);
                let check = kenmerk_check_digit(&digit_values(&body));
                format!("{check}{body}")
            }
            ReferenceScheme::Rf => {
                let body = sequence.to_string();
                let values: Vec<u32> = digit_values(&body).into_iter().map(u32::from).collect();
                let check = rf_check_digits(&values);
                format!("RF{check:02}{body}")
            }
        };
        Ok(Self { scheme, value })
    }

    /// Parses what a payer or bank sends for `scheme`: spaces (any whitespace), dots and dashes
    /// are ignored and letters upper-cased; then the length and check digits are validated.
    /// For FIK the full code line `+71<000000000000018 +81234567<` is accepted too (the
    /// kreditornummer is checked for shape and dropped; only the betalings-ID is kept).
    /// RF follows ISO 11649 as written: valid iff the rearranged number is 1 mod 97. (This also
    /// admits the check digits 00, 01 and 99 when congruent mod 97 to the 2–98 a generator emits.)
    pub fn parse(scheme: ReferenceScheme, text: &str) -> Result<Self, ReferenceError> {
        let chars = normalise(text);
        if chars.is_empty() {
            return Err(ReferenceError::Empty);
        }
        match scheme {
            ReferenceScheme::FikPlus71 => parse_fik(&chars),
            ReferenceScheme::Betalingskenmerk => parse_kenmerk(&chars),
            ReferenceScheme::Rf => parse_rf(&chars),
        }
    }

    /// Parses a reference of unknown scheme: RF if it starts with `RF`; FIK if it is a `+71<`
    /// code line or 15 digits; betalingskenmerk if it is 7, 9–14 or 16 digits. (The lengths do
    /// not overlap, so at most one scheme applies.)
    pub fn parse_any(text: &str) -> Result<Self, ReferenceError> {
        let chars = normalise(text);
        match chars.as_slice() {
            [] => Err(ReferenceError::Empty),
            [(_, 'R'), (_, 'F'), ..] => parse_rf(&chars),
            [(_, '+'), ..] => parse_fik(&chars),
            _ => {
                let digits = digits_or_error(&chars)?;
                match digits.len() {
                    FIK_LEN => parse_fik(&chars),
                    7 | 9..=14 | KENMERK_LONG_LEN => parse_kenmerk(&chars),
                    length => Err(ReferenceError::Unrecognised { length }),
                }
            }
        }
    }

    pub fn scheme(&self) -> ReferenceScheme {
        self.scheme
    }

    /// The canonical form: no spaces or separators.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The form printed for humans: FIK `+71<000000000000018`; betalingskenmerk in groups of 4
    /// counted from the right (`7000 0000 0001 2345`, `12 2345 3462 2567`); RF in groups of 4
    /// from the left (`RF46 2026 0001 23`).
    pub fn display(&self) -> String {
        match self.scheme {
            ReferenceScheme::FikPlus71 => format!("+71<{}", self.value),
            ReferenceScheme::Betalingskenmerk => {
                let lead = self.value.len() % 4;
                group(&self.value, if lead == 0 { 4 } else { lead })
            }
            ReferenceScheme::Rf => group(&self.value, 4),
        }
    }
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// The modulus-10 (Luhn) check digit for `digits` (ASCII digits only): from the rightmost digit
/// leftwards, every other digit starting with the rightmost is doubled (9 subtracted when > 9),
/// and the check digit makes the sum a multiple of 10. `None` if `digits` is empty or contains
/// anything but `0`–`9`.
pub fn luhn_check_digit(digits: &str) -> Option<u8> {
    let values = digits
        .bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect::<Option<Vec<u8>>>()?;
    (!values.is_empty()).then(|| luhn(&values))
}

/// The ISO 7064 MOD 97-10 remainder of `text` read as a number, letters standing for two digits
/// (A = 10 … Z = 35; lower case is read as upper case). A correct IBAN or RF reference, rearranged
/// with its first four characters moved to the end, gives `Some(1)`. `None` if `text` is empty or
/// contains anything but ASCII letters and digits.
pub fn iso7064_mod97_10(text: &str) -> Option<u32> {
    let values = text
        .chars()
        // `to_digit` accepts ASCII only: 0–9, then a/A = 10 … z/Z = 35.
        .map(|c| c.to_digit(36))
        .collect::<Option<Vec<u32>>>()?;
    (!values.is_empty()).then(|| mod97(values))
}

// ---- algorithms over already-validated values ------------------------------------------------

/// Luhn over digit values 0–9.
fn luhn(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let p = if i % 2 == 0 { d * 2 } else { d };
            u32::from(if p > 9 { p - 9 } else { p })
        })
        .sum();
    // Final `% 10`: a sum that is already a multiple of 10 gives 0, not "10" (see §5.1 caveat).
    let check = (10 - sum % 10) % 10;
    u8::try_from(check).unwrap_or(0)
}

/// `A mod 11` for a betalingskenmerk: the weighted sum over all digits after `C`.
fn kenmerk_weighted_residue(body: &[u8]) -> u32 {
    let sum: u32 = body
        .iter()
        .rev()
        .zip(KENMERK_WEIGHTS.iter().cycle())
        .map(|(&d, &w)| u32::from(d) * w)
        .sum();
    sum % 11
}

/// `C = 11 − (A mod 11)`, with 10 → 1 and 11 → 0.
fn kenmerk_check_digit(body: &[u8]) -> u8 {
    match 11 - kenmerk_weighted_residue(body) {
        11 => 0,
        10 => 1,
        // 1..=9 remain.
        c => u8::try_from(c).unwrap_or(0),
    }
}

/// MOD 97-10 over character values (digits 0–9, letters 10–35).
fn mod97(values: impl IntoIterator<Item = u32>) -> u32 {
    values.into_iter().fold(0, |rem, v| {
        let shift = if v < 10 { 10 } else { 100 };
        (rem * shift + v) % 97
    })
}

/// RF check digits for a body: `98 − mod97(body + "RF00")`, in 2..=98.
fn rf_check_digits(body: &[u32]) -> u32 {
    let values = body.iter().copied().chain(RF_LETTER_VALUES).chain([0, 0]);
    98 - mod97(values)
}

// ---- parsing ----------------------------------------------------------------------------------

/// One character of the input after normalisation, with its 1-based position in the original.
type Located = (usize, char);

/// Drops whitespace, dots and dashes; upper-cases ASCII letters; remembers where each kept
/// character was so errors can point at it.
fn normalise(text: &str) -> Vec<Located> {
    text.chars()
        .enumerate()
        .filter(|&(_, c)| !(c.is_whitespace() || c == '.' || c == '-'))
        .map(|(i, c)| (i + 1, c.to_ascii_uppercase()))
        .collect()
}

/// The digit values, or the first non-digit.
fn digits_or_error(chars: &[Located]) -> Result<Vec<u8>, ReferenceError> {
    chars
        .iter()
        .map(|&(position, c)| match c {
            '0'..='9' => Ok(c as u8 - b'0'),
            _ => Err(ReferenceError::NonDigit { position, found: c }),
        })
        .collect()
}

/// Digit values of a string known to consist of ASCII digits (formatted numbers).
fn digit_values(digits: &str) -> Vec<u8> {
    digits.bytes().map(|b| b.wrapping_sub(b'0')).collect()
}

fn canonical(values: &[u8]) -> String {
    values.iter().map(|&d| char::from(b'0' + d)).collect()
}

fn parse_fik(chars: &[Located]) -> Result<PaymentReference, ReferenceError> {
    let id = match chars {
        [(_, '+'), rest @ ..] => code_line_id(rest)?,
        _ => chars,
    };
    let digits = digits_or_error(id)?;
    if digits.len() != FIK_LEN {
        return Err(ReferenceError::WrongLength {
            scheme: ReferenceScheme::FikPlus71,
            found: digits.len(),
            expected: FIK_LENGTHS,
        });
    }
    let (payload, check) = digits.split_at(FIK_PAYLOAD_LEN);
    let expected = luhn(payload);
    if check != [expected] {
        return Err(ReferenceError::CheckDigitMismatch {
            scheme: ReferenceScheme::FikPlus71,
            found: canonical(check),
            expected: expected.to_string(),
        });
    }
    Ok(PaymentReference {
        scheme: ReferenceScheme::FikPlus71,
        value: canonical(&digits),
    })
}

/// From a code line after its leading `+`: checks the card type and the optional
/// kreditornummer, and returns the betalings-ID characters.
fn code_line_id(rest: &[Located]) -> Result<&[Located], ReferenceError> {
    let Some(lt) = rest.iter().position(|&(_, c)| c == '<') else {
        return Err(ReferenceError::MalformedCodeLine);
    };
    let (card_type, after) = rest.split_at(lt);
    let after = after.get(1..).unwrap_or_default();
    if card_type.iter().map(|&(_, c)| c).ne("71".chars()) {
        if card_type.is_empty() {
            return Err(ReferenceError::MalformedCodeLine);
        }
        return Err(ReferenceError::UnsupportedCardType {
            found: card_type.iter().map(|&(_, c)| c).collect(),
        });
    }
    let end = after
        .iter()
        .position(|&(_, c)| c == '+' || c == '<')
        .unwrap_or(after.len());
    let (id, tail) = after.split_at(end);
    let tail: String = tail.iter().map(|&(_, c)| c).collect();
    let tail_ok = match tail.as_str() {
        "" | "<" => true,
        _ => tail
            .strip_prefix('+')
            .map(|t| t.strip_suffix('<').unwrap_or(t))
            .is_some_and(|creditor| {
                creditor.len() == 8
                    && creditor.starts_with('8')
                    && creditor.bytes().all(|b| b.is_ascii_digit())
            }),
    };
    if tail_ok {
        Ok(id)
    } else {
        Err(ReferenceError::MalformedCodeLine)
    }
}

fn parse_kenmerk(chars: &[Located]) -> Result<PaymentReference, ReferenceError> {
    let scheme = ReferenceScheme::Betalingskenmerk;
    let digits = digits_or_error(chars)?;
    let length = digits.len();
    let Some((&check, body)) = digits.split_first() else {
        return Err(ReferenceError::Empty);
    };
    match length {
        // 7 digits carry no check digit.
        7 => {}
        9..=14 | KENMERK_LONG_LEN => {
            if let (9..=14, Some(&found)) = (length, body.first()) {
                let expected = u8::try_from((length - 2) % 10).unwrap_or(0);
                if found != expected {
                    return Err(ReferenceError::LengthDigitMismatch {
                        found,
                        expected,
                        length,
                    });
                }
            }
            let expected = kenmerk_check_digit(body);
            if check != expected {
                return Err(ReferenceError::CheckDigitMismatch {
                    scheme,
                    found: check.to_string(),
                    expected: expected.to_string(),
                });
            }
        }
        found => {
            return Err(ReferenceError::WrongLength {
                scheme,
                found,
                expected: KENMERK_LENGTHS,
            });
        }
    }
    Ok(PaymentReference {
        scheme,
        value: canonical(&digits),
    })
}

fn parse_rf(chars: &[Located]) -> Result<PaymentReference, ReferenceError> {
    let scheme = ReferenceScheme::Rf;
    let [(_, 'R'), (_, 'F'), rest @ ..] = chars else {
        return Err(ReferenceError::MissingRfPrefix);
    };
    let (check, body) = rest.split_at(rest.len().min(2));
    let check_digits = digits_or_error(check)?;
    let body_values = body
        .iter()
        .map(|&(position, c)| {
            c.to_digit(36)
                .ok_or(ReferenceError::NotAlphanumeric { position, found: c })
        })
        .collect::<Result<Vec<u32>, _>>()?;
    if check_digits.len() != 2 || body_values.is_empty() || body_values.len() > RF_MAX_BODY_LEN {
        return Err(ReferenceError::WrongLength {
            scheme,
            found: chars.len(),
            expected: RF_LENGTHS,
        });
    }
    // ISO 11649: move "RF" + check digits to the end; the number must be 1 mod 97.
    let rearranged = body_values
        .iter()
        .copied()
        .chain(RF_LETTER_VALUES)
        .chain(check_digits.iter().map(|&d| u32::from(d)));
    if mod97(rearranged) != 1 {
        return Err(ReferenceError::CheckDigitMismatch {
            scheme,
            found: canonical(&check_digits),
            expected: format!("{:02}", rf_check_digits(&body_values)),
        });
    }
    Ok(PaymentReference {
        scheme,
        value: chars.iter().map(|&(_, c)| c).collect(),
    })
}

/// Inserts a space every 4 characters, the first group being `first` long.
fn group(value: &str, first: usize) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 4);
    for (i, c) in value.chars().enumerate() {
        if i >= first && (i - first).is_multiple_of(4) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CountryCode;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;

    type S = ReferenceScheme;

    fn ok(scheme: S, text: &str) -> PaymentReference {
        PaymentReference::parse(scheme, text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn generated(scheme: S, sequence: u64) -> PaymentReference {
        PaymentReference::generate(scheme, sequence).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(scheme: S, text: &str) -> ReferenceError {
        match PaymentReference::parse(scheme, text) {
            Ok(r) => panic!("{text:?} accepted as {r:?}"),
            Err(e) => e,
        }
    }

    // ---- §5.1 FIK +71 ----

    #[test]
    fn fik_vectors() {
        // Payload 1 → …18, payload 2 → …26 (giro-kort.dk "1→18, 2→26").
        assert_eq!(luhn_check_digit("00000000000001"), Some(8));
        assert_eq!(luhn_check_digit("00000000000002"), Some(6));
        assert_eq!(generated(S::FikPlus71, 1).as_str(), "000000000000018");
        assert_eq!(generated(S::FikPlus71, 2).as_str(), "000000000000026");
        assert_eq!(
            ok(S::FikPlus71, "000000000000018").as_str(),
            "000000000000018"
        );
        assert_eq!(
            ok(S::FikPlus71, "000000000000026").as_str(),
            "000000000000026"
        );
        // CPAN Business::DK::FI test vector.
        assert_eq!(
            ok(S::FikPlus71, "026840149965328").as_str(),
            "026840149965328"
        );
        // +75 vector (15-digit payload) for the Luhn helper.
        assert_eq!(luhn_check_digit("000000000012345"), Some(5));
    }

    #[test]
    fn luhn_sum_multiple_of_ten_gives_zero_not_ten() {
        // "19": 9×2 = 18 → 9, plus 1 = 10 → check 0 (the CPAN module would say "10").
        assert_eq!(luhn_check_digit("00000000000019"), Some(0));
        assert_eq!(luhn_check_digit("00000000000000"), Some(0));
        // "46": 6×2 = 12 → 3, plus 4 = 7 → check 3.
        assert_eq!(luhn_check_digit("00000000000046"), Some(3));
        assert_eq!(generated(S::FikPlus71, 19).as_str(), "000000000000190");
        assert_eq!(
            ok(S::FikPlus71, "000000000000190").as_str(),
            "000000000000190"
        );
    }

    #[test]
    fn fik_code_line_and_separators() {
        for text in [
            "+71<000000000000018 +81234567<",
            "+71<000000000000018+81234567<",
            "+71< 000000000000018 +81234567<",
            "+71<000000000000018",
            "+71<000000000000018<",
            "+71<000000000000018 +81234567",
            "0000 0000 0000 018",
            "000.000.000.000.018",
            "000-000-000-000-018",
        ] {
            let r = ok(S::FikPlus71, text);
            assert_eq!(r.as_str(), "000000000000018", "{text:?}");
            assert_eq!(r.scheme(), S::FikPlus71);
        }
        assert_eq!(
            err(S::FikPlus71, "+75<000000000000018 +81234567<"),
            ReferenceError::UnsupportedCardType { found: "75".into() }
        );
        for bad in [
            "+71000000000000018",
            "+<000000000000018",
            "+71<000000000000018 +71234567<",
            "+71<000000000000018 +8123456<",
            "+71<000000000000018 +8123456X<",
            "+71<000000000000018 +81234567<<",
        ] {
            assert!(
                matches!(err(S::FikPlus71, bad), ReferenceError::MalformedCodeLine),
                "{bad:?}"
            );
        }
        // The code line's ID is still validated.
        assert!(matches!(
            err(S::FikPlus71, "+71<000000000000017 +81234567<"),
            ReferenceError::CheckDigitMismatch { .. }
        ));
    }

    #[test]
    fn fik_errors_say_what_is_wrong() {
        let e = err(S::FikPlus71, "000000000000017");
        assert_eq!(
            e,
            ReferenceError::CheckDigitMismatch {
                scheme: S::FikPlus71,
                found: "7".into(),
                expected: "8".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "FIK +71 betalings-ID check digit is 7, expected 8"
        );
        let e = err(S::FikPlus71, "00000000000018");
        assert_eq!(
            e.to_string(),
            "FIK +71 betalings-ID has the wrong length: expected 15 digits, got 14"
        );
        let e = err(S::FikPlus71, "0000 0000 0000 0X8");
        assert_eq!(
            e,
            ReferenceError::NonDigit {
                position: 17,
                found: 'X'
            }
        );
        assert_eq!(e.to_string(), "non-digit character 'X' at position 17");
        assert_eq!(err(S::FikPlus71, "  "), ReferenceError::Empty);
    }

    // ---- §5.2 betalingskenmerk ----

    #[test]
    fn betalingskenmerk_vectors() {
        for (text, canonical) in [
            ("5000 0567 8901 2345", "5000056789012345"),
            ("12 2345 3462 2567", "12234534622567"),
            ("5010.0021.6701.0010", "5010002167010010"),
            ("3961.3079.9841.0020", "3961307998410020"),
            ("0017.1667.7885.4231", "0017166778854231"),
            ("7000000000012345", "7000000000012345"),
        ] {
            let r = ok(S::Betalingskenmerk, text);
            assert_eq!(r.as_str(), canonical);
            assert_eq!(r.scheme(), S::Betalingskenmerk);
        }
        // Spec example: A = 215 → C = 5.
        assert_eq!(
            kenmerk_weighted_residue(&digit_values("000056789012345")),
            215 % 11
        );
        assert_eq!(
            generated(S::Betalingskenmerk, 12345).as_str(),
            "7000000000012345"
        );
        // ING-doc sample is fictitious.
        assert_eq!(
            err(S::Betalingskenmerk, "9001123412341234"),
            ReferenceError::CheckDigitMismatch {
                scheme: S::Betalingskenmerk,
                found: "9".into(),
                expected: kenmerk_check_digit(&digit_values("001123412341234")).to_string(),
            }
        );
    }

    #[test]
    fn betalingskenmerk_lengths() {
        // 7 digits: no check digit at all.
        assert_eq!(ok(S::Betalingskenmerk, "1234567").as_str(), "1234567");
        // 9–14 digits: L = digits after L, mod 10; C covers L too.
        for length in 9..=14usize {
            let l = (length - 2) % 10;
            let rest = "1".repeat(length - 2);
            let body = format!("{l}{rest}");
            let c = kenmerk_check_digit(&digit_values(&body));
            let good = format!("{c}{body}");
            assert_eq!(ok(S::Betalingskenmerk, &good).as_str(), good);
            let wrong_l = (l + 1) % 10;
            let bad_body = format!("{wrong_l}{rest}");
            let bad_c = kenmerk_check_digit(&digit_values(&bad_body));
            assert_eq!(
                err(S::Betalingskenmerk, &format!("{bad_c}{bad_body}")),
                ReferenceError::LengthDigitMismatch {
                    found: u8::try_from(wrong_l).unwrap_or(0),
                    expected: u8::try_from(l).unwrap_or(0),
                    length
                }
            );
        }
        for length in [1usize, 6, 8, 15, 17, 20] {
            let text = "1".repeat(length);
            let e = err(S::Betalingskenmerk, &text);
            assert_eq!(
                e,
                ReferenceError::WrongLength {
                    scheme: S::Betalingskenmerk,
                    found: length,
                    expected: KENMERK_LENGTHS
                }
            );
            assert!(e.to_string().contains("7, 9–14 or 16 digits"), "{e}");
        }
        assert_eq!(
            err(S::Betalingskenmerk, "5000 0567 8901 2346").to_string(),
            format!(
                "betalingskenmerk check digit is 5, expected {}",
                kenmerk_check_digit(&digit_values("000056789012346"))
            )
        );
    }

    #[test]
    fn betalingskenmerk_check_digit_mapping() {
        // A mod 11 = 0 → 11 → 0; A mod 11 = 1 → 10 → 1; A mod 11 = 10 → 1.
        assert_eq!(kenmerk_check_digit(&digit_values("000000000000000")), 0);
        assert_eq!(kenmerk_check_digit(&digit_values("000000000000006")), 1); // A = 12 ≡ 1
        assert_eq!(kenmerk_check_digit(&digit_values("000000000000005")), 1); // A = 10
        assert_eq!(kenmerk_check_digit(&digit_values("000000000000001")), 9); // A = 2
    }

    #[test]
    fn betalingskenmerk_blind_spot_is_only_the_shared_check_digit_1() {
        // C = 1 stands for both A ≡ 1 and A ≡ 10 (mod 11), so a substitution that moves A
        // between those two residues keeps the check digit. This is inherent to the scheme.
        assert_eq!(
            ok(S::Betalingskenmerk, "1000000000000005").as_str(),
            "1000000000000005"
        );
        assert_eq!(
            ok(S::Betalingskenmerk, "1000000000000006").as_str(),
            "1000000000000006"
        );
    }

    // ---- §5.3 RF ----

    #[test]
    fn rf_vectors() {
        for (text, canonical, display) in [
            (
                "RF18 5390 0754 7034",
                "RF18539007547034",
                "RF18 5390 0754 7034",
            ),
            (
                "RF18539007547034",
                "RF18539007547034",
                "RF18 5390 0754 7034",
            ),
            ("RF185390075470Y", "RF185390075470Y", "RF18 5390 0754 70Y"),
            (
                "rf18 5390 0754 70y",
                "RF185390075470Y",
                "RF18 5390 0754 70Y",
            ),
            ("RF03SW3EZRUFBK", "RF03SW3EZRUFBK", "RF03 SW3E ZRUF BK"),
            ("RF08P", "RF08P", "RF08 P"),
            ("RF462026000123", "RF462026000123", "RF46 2026 0001 23"),
        ] {
            let r = ok(S::Rf, text);
            assert_eq!(r.as_str(), canonical);
            assert_eq!(r.display(), display);
            assert_eq!(r.scheme(), S::Rf);
        }
        assert_eq!(generated(S::Rf, 2_026_000_123).as_str(), "RF462026000123");
        let e = err(S::Rf, "RF17 5390 0754 7034");
        assert_eq!(
            e,
            ReferenceError::CheckDigitMismatch {
                scheme: S::Rf,
                found: "17".into(),
                expected: "18".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "RF creditor reference check digit is 17, expected 18"
        );
    }

    #[test]
    fn rf_errors() {
        assert_eq!(
            err(S::Rf, "18539007547034"),
            ReferenceError::MissingRfPrefix
        );
        assert_eq!(
            err(S::Rf, "RF1X5390"),
            ReferenceError::NonDigit {
                position: 4,
                found: 'X'
            }
        );
        assert_eq!(
            err(S::Rf, "RF18 5390_0754"),
            ReferenceError::NotAlphanumeric {
                position: 10,
                found: '_'
            }
        );
        assert_eq!(
            err(S::Rf, "RF185Å"),
            ReferenceError::NotAlphanumeric {
                position: 6,
                found: 'Å'
            }
        );
        for short in ["RF", "RF1", "RF18"] {
            assert!(
                matches!(err(S::Rf, short), ReferenceError::WrongLength { .. }),
                "{short}"
            );
        }
        let long = format!("RF00{}", "1".repeat(22));
        let e = err(S::Rf, &long);
        assert!(
            matches!(e, ReferenceError::WrongLength { found: 26, .. }),
            "{e}"
        );
        // 21-character body is the maximum and fine.
        let body = "1".repeat(21);
        let cd = rf_check_digits(
            &body
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .collect::<Vec<_>>(),
        );
        let max = format!("RF{cd:02}{body}");
        assert_eq!(ok(S::Rf, &max).as_str(), max);
    }

    #[test]
    fn rf_accepts_check_digits_congruent_mod_97_as_the_standard_says() {
        // A generator emits 02–98; validation per ISO 11649 is "≡ 1 mod 97", so 99 ≡ 02,
        // 00 ≡ 97 and 01 ≡ 98 pass too. They stay distinct canonical values.
        assert_eq!(generated(S::Rf, 36).as_str(), "RF0236");
        assert_eq!(ok(S::Rf, "RF9936").as_str(), "RF9936");
        assert_eq!(generated(S::Rf, 72).as_str(), "RF9772");
        assert_eq!(ok(S::Rf, "RF0072").as_str(), "RF0072");
        assert_eq!(generated(S::Rf, 54).as_str(), "RF9854");
        assert_eq!(ok(S::Rf, "RF0154").as_str(), "RF0154");
    }

    #[test]
    fn mod97_helper() {
        // RF18539007547034 rearranged: 539007547034 RF18.
        assert_eq!(iso7064_mod97_10("539007547034RF18"), Some(1));
        assert_eq!(iso7064_mod97_10("539007547034rf18"), Some(1));
        assert_eq!(iso7064_mod97_10("539007547034RF17"), Some(0));
        // IBAN (§5.4): PL61109010140000071219812874 → BBAN + "PL61".
        assert_eq!(iso7064_mod97_10("109010140000071219812874PL61"), Some(1));
        assert_eq!(iso7064_mod97_10("A"), Some(10));
        assert_eq!(iso7064_mod97_10("Z"), Some(35));
        assert_eq!(iso7064_mod97_10(""), None);
        assert_eq!(iso7064_mod97_10("12 34"), None);
        assert_eq!(iso7064_mod97_10("12Å"), None);
        assert_eq!(luhn_check_digit(""), None);
        assert_eq!(luhn_check_digit("12a"), None);
        assert_eq!(luhn_check_digit("١٢"), None); // non-ASCII digits
    }

    // ---- generate / parse_any / scheme ----

    #[test]
    fn generate_limits() {
        for scheme in S::ALL {
            assert_eq!(
                PaymentReference::generate(scheme, 0),
                Err(ReferenceError::ZeroSequence)
            );
        }
        assert_eq!(
            generated(S::FikPlus71, 99_999_999_999_999).as_str().len(),
            15
        );
        let e = PaymentReference::generate(S::FikPlus71, 100_000_000_000_000);
        assert_eq!(
            e,
            Err(ReferenceError::SequenceTooLarge {
                scheme: S::FikPlus71,
                sequence: 100_000_000_000_000,
                max: 99_999_999_999_999
            })
        );
        assert!(matches!(
            PaymentReference::generate(S::Betalingskenmerk, 1_000_000_000_000_000),
            Err(ReferenceError::SequenceTooLarge { .. })
        ));
        assert_eq!(
            generated(S::Betalingskenmerk, 999_999_999_999_999)
                .as_str()
                .len(),
            16
        );
        let r = generated(S::Rf, u64::MAX);
        assert_eq!(ok(S::Rf, r.as_str()), r);
    }

    #[test]
    fn parse_any_picks_the_scheme() {
        for (text, scheme, canonical) in [
            ("RF18 5390 0754 7034", S::Rf, "RF18539007547034"),
            ("rf08p", S::Rf, "RF08P"),
            ("000000000000018", S::FikPlus71, "000000000000018"),
            (
                "+71<000000000000018 +81234567<",
                S::FikPlus71,
                "000000000000018",
            ),
            (
                "5000 0567 8901 2345",
                S::Betalingskenmerk,
                "5000056789012345",
            ),
            ("12 2345 3462 2567", S::Betalingskenmerk, "12234534622567"),
            ("1234567", S::Betalingskenmerk, "1234567"),
        ] {
            let r = PaymentReference::parse_any(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((r.scheme(), r.as_str()), (scheme, canonical), "{text:?}");
        }
        assert_eq!(
            PaymentReference::parse_any("12345678"),
            Err(ReferenceError::Unrecognised { length: 8 })
        );
        assert_eq!(
            PaymentReference::parse_any("1234 5678 9012 3456 7"),
            Err(ReferenceError::Unrecognised { length: 17 })
        );
        assert_eq!(
            PaymentReference::parse_any("1234x67"),
            Err(ReferenceError::NonDigit {
                position: 5,
                found: 'X'
            })
        );
        assert_eq!(
            PaymentReference::parse_any(" - "),
            Err(ReferenceError::Empty)
        );
        assert!(matches!(
            PaymentReference::parse_any("000000000000017"),
            Err(ReferenceError::CheckDigitMismatch {
                scheme: S::FikPlus71,
                ..
            })
        ));
    }

    #[test]
    fn display_forms() {
        assert_eq!(generated(S::FikPlus71, 1).display(), "+71<000000000000018");
        assert_eq!(
            generated(S::Betalingskenmerk, 12345).display(),
            "7000 0000 0001 2345"
        );
        assert_eq!(
            ok(S::Betalingskenmerk, "12234534622567").display(),
            "12 2345 3462 2567"
        );
        assert_eq!(ok(S::Betalingskenmerk, "1234567").display(), "123 4567");
        assert_eq!(
            generated(S::Rf, 2_026_000_123).display(),
            "RF46 2026 0001 23"
        );
        assert_eq!(
            generated(S::Rf, 2_026_000_123).to_string(),
            "RF462026000123"
        );
        assert_eq!(generated(S::FikPlus71, 1).to_string(), "000000000000018");
        // Every display form parses back to the same reference.
        for scheme in S::ALL {
            let r = generated(scheme, 2_026_000_123);
            assert_eq!(ok(scheme, &r.display()), r);
            assert_eq!(ok(scheme, &r.to_string()), r);
        }
    }

    #[test]
    fn scheme_names_and_countries() {
        let country = |c: &str| CountryCode::parse(c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ReferenceScheme::for_country(&country("DK")), S::FikPlus71);
        assert_eq!(
            ReferenceScheme::for_country(&country("NL")),
            S::Betalingskenmerk
        );
        assert_eq!(ReferenceScheme::for_country(&country("FI")), S::Rf);
        assert_eq!(ReferenceScheme::for_country(&country("PL")), S::Rf);
        for (scheme, name) in [
            (S::FikPlus71, "fik_plus71"),
            (S::Betalingskenmerk, "betalingskenmerk"),
            (S::Rf, "rf"),
        ] {
            assert_eq!(scheme.as_str(), name);
            let de: Result<S, serde::de::value::Error> = S::deserialize(name.into_deserializer());
            assert_eq!(de, Ok(scheme));
        }
    }

    // ---- properties ----

    fn any_scheme() -> impl Strategy<Value = ReferenceScheme> {
        prop_oneof![Just(S::FikPlus71), Just(S::Betalingskenmerk), Just(S::Rf)]
    }

    /// `value` with the digit at `index` replaced by `(digit + shift) % 10`, `shift` in 1..=9.
    fn substitute(value: &str, index: usize, shift: u8) -> String {
        value
            .bytes()
            .enumerate()
            .map(|(i, b)| {
                let b = if i == index {
                    b'0' + (b - b'0' + shift) % 10
                } else {
                    b
                };
                char::from(b)
            })
            .collect()
    }

    proptest! {
        #[test]
        fn generate_then_parse_round_trips(
            scheme in any_scheme(),
            sequence in 1u64..=10_000_000_000_000,
        ) {
            let r = PaymentReference::generate(scheme, sequence)
                .unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(r.scheme(), scheme);
            prop_assert_eq!(&PaymentReference::parse(scheme, r.as_str())
                .unwrap_or_else(|e| panic!("{e}")), &r);
            prop_assert_eq!(&PaymentReference::parse(scheme, &r.display())
                .unwrap_or_else(|e| panic!("{e}")), &r);
            prop_assert_eq!(&PaymentReference::parse_any(r.as_str())
                .unwrap_or_else(|e| panic!("{e}")), &r);
        }

        /// Luhn detects every single-digit substitution: doubling (with 9 subtracted) is a
        /// permutation of 0–9, so changing any one digit changes the sum mod 10.
        #[test]
        fn fik_single_digit_changes_are_caught(
            sequence in 1u64..=10_000_000_000_000,
            index in 0usize..FIK_LEN,
            shift in 1u8..=9,
        ) {
            let r = PaymentReference::generate(S::FikPlus71, sequence)
                .unwrap_or_else(|e| panic!("{e}"));
            let changed = substitute(r.as_str(), index, shift);
            prop_assert!(PaymentReference::parse(S::FikPlus71, &changed).is_err(), "{changed}");
        }

        /// The weights are 2^n mod 11, all non-zero mod 11, and a digit changes by 1–9 (never a
        /// multiple of 11), so a single substitution after `C` always changes A mod 11, and a
        /// substitution of `C` itself always mismatches. The one blind spot is the scheme's
        /// own folding of two residues onto one digit: A ≡ 1 gives 11 − 1 = 10 → 1, and A ≡ 10
        /// gives 1 too. A change that moves A between 1 and 10 (mod 11) therefore keeps C = 1
        /// and cannot be detected (e.g. 1000000000000005 ↔ 1000000000000006). The property
        /// asserts failure everywhere else, and that exactly those changes are accepted.
        #[test]
        fn betalingskenmerk_single_digit_changes_are_caught(
            sequence in 1u64..=10_000_000_000_000,
            index in 0usize..KENMERK_LONG_LEN,
            shift in 1u8..=9,
        ) {
            let r = PaymentReference::generate(S::Betalingskenmerk, sequence)
                .unwrap_or_else(|e| panic!("{e}"));
            let changed = substitute(r.as_str(), index, shift);
            let residue = |v: &str| kenmerk_weighted_residue(&digit_values(&v[1..]));
            let blind_spot = index > 0
                && matches!((residue(r.as_str()), residue(&changed)), (1, 10) | (10, 1));
            let accepted = PaymentReference::parse(S::Betalingskenmerk, &changed).is_ok();
            prop_assert_eq!(accepted, blind_spot, "{} → {}", r, changed);
        }
    }
}
