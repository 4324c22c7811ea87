//! Identifier newtypes. Each constructor is the only way in, so a value of the type is valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a raw string was not accepted as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is invalid: expected {expected}")]
pub struct ParseError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn err(what: &'static str, value: &str, expected: &'static str) -> ParseError {
    ParseError {
        what,
        value: value.to_owned(),
        expected,
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

/// A council's URL slug: `kobenhavn`, `den-haag`. Lower-case ASCII letters, digits and inner
/// hyphens, 2–40 characters, so it is safe in paths, host names and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);
string_newtype!(TenantSlug);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        const EXPECTED: &str =
            "2-40 lower-case letters a-z, digits or inner hyphens (e.g. \"kobenhavn\")";
        let ok = (2..=40).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(err("tenant slug", raw, EXPECTED))
        }
    }
}

/// A product's item number in the council's catalogue (S0-2: "each with its own item number").
/// Upper-case ASCII letters, digits, `-` and `_`, 1–40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);
string_newtype!(Sku);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = (1..=40).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(err(
                "SKU",
                raw,
                "1-40 characters A-Z, 0-9, '-' or '_' (e.g. \"P-RES-01\")",
            ))
        }
    }
}

/// A parking or permit zone's code within one council, e.g. `K1`, `ZONE-B`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ZoneCode(String);
string_newtype!(ZoneCode);

impl ZoneCode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = (1..=20).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(err(
                "zone code",
                raw,
                "1-20 characters A-Z, a-z, 0-9, '-' or '_'",
            ))
        }
    }
}

/// ISO 3166-1 alpha-2 country code, upper case (`DK`, `NL`, `PL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(err(
                "country code",
                raw,
                "two upper-case letters (ISO 3166-1 alpha-2, e.g. \"DK\")",
            )),
        }
    }
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}
impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl TryFrom<String> for CountryCode {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<CountryCode> for String {
    fn from(value: CountryCode) -> String {
        value.as_str().to_owned()
    }
}

/// An e-mail address, trimmed and lower-cased so look-ups are case-insensitive. Only the shape
/// is checked (one `@`, something on both sides, a dot in the domain); delivery proves the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim().to_lowercase();
        let ok = value.len() <= 254
            && !value.contains(char::is_whitespace)
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if ok {
            Ok(Self(value))
        } else {
            Err(err("e-mail address", raw, "name@example.org"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("kobenhavn").is_ok());
        assert!(TenantSlug::parse("den-haag").is_ok());
        for bad in [
            "",
            "a",
            "Kobenhavn",
            "-x",
            "x-",
            "kø",
            "a b",
            &"x".repeat(41),
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn skus_and_countries() {
        assert!(Sku::parse("P-RES_01").is_ok());
        assert!(Sku::parse("p-res").is_err());
        assert_eq!(
            CountryCode::parse("DK").map(|c| c.to_string()),
            Ok("DK".into())
        );
        assert!(CountryCode::parse("dk").is_err());
        assert!(CountryCode::parse("DNK").is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Admin@Kobenhavn.Example ").map(String::from),
            Ok("admin@kobenhavn.example".to_owned())
        );
        for bad in ["", "a", "a@b", "@b.dk", "a@.dk", "a b@c.dk", "a@b@c.dk"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
