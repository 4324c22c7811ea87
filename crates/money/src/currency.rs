//! ISO 4217 currencies with their minor-unit exponent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::MoneyError;

/// Active ISO 4217 currencies (code, minor-unit exponent), sorted by code so
/// that lookup can binary-search and `Ord` on the table index is alphabetical.
///
/// Deliberately left out: fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI,
/// UYW), precious metals, bond units, XDR/XSU/XUA and the test codes XTS/XXX,
/// since none of them is something a council can be paid in. Withdrawn codes
/// (HRK, ANG, SLL, ZWL, CUC, ...) are also absent. BGN stays while Bulgarian
/// lev amounts still exist in records from before the 2026 euro changeover.
const CURRENCIES: [(&str, u32); 156] = [
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// An active ISO 4217 currency, e.g. `DKK`.
///
/// Only obtainable through [`Currency::parse`] (or deserialisation), so every
/// value is a known code with a known exponent. Internally it is an index
/// into the built-in table, which keeps [`crate::Money`] small and `Copy`.
/// Ordering is alphabetical by code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    index: u8,
}

impl Currency {
    /// Looks up an ISO 4217 alphabetic code. The code must be exactly three
    /// upper-case letters; "dkk" or " DKK" are rejected rather than guessed at.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .binary_search_by(|(candidate, _)| (*candidate).cmp(code))
            .ok()
            .and_then(|index| u8::try_from(index).ok())
            .map(|index| Currency { index })
            .ok_or_else(|| MoneyError::UnknownCurrency {
                code: code.to_owned(),
            })
    }

    /// The three-letter ISO 4217 code, e.g. `"DKK"`.
    pub fn code(&self) -> &'static str {
        self.entry().0
    }

    /// Number of decimals of the minor unit: 2 for DKK, 0 for JPY, 3 for KWD.
    pub fn minor_units(&self) -> u32 {
        self.entry().1
    }

    /// All currencies in the built-in table, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        (0..CURRENCIES.len())
            .filter_map(|index| u8::try_from(index).ok())
            .map(|index| Currency { index })
    }

    fn entry(&self) -> (&'static str, u32) {
        // `index` only ever comes from a position in CURRENCIES, so it is in bounds.
        CURRENCIES[usize::from(self.index)]
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

// Hand-written so debug output shows the code rather than a table index.
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Currency").field(&self.code()).finish()
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = Currency;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 4217 currency code such as \"DKK\"")
            }

            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<Currency, E> {
                Currency::parse(code).map_err(E::custom)
            }
        }

        // A visitor (rather than deserialising a `&str`) also accepts owned
        // strings, e.g. from `serde_json::Value` or readers.
        deserializer.deserialize_str(CodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, exponent) in CURRENCIES {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(exponent <= 3, "{code} has exponent {exponent}");
        }
        assert!(CURRENCIES.len() <= usize::from(u8::MAX) + 1);
        assert_eq!(Currency::all().count(), CURRENCIES.len());
    }

    #[test]
    fn european_and_required_currencies_are_present_with_right_exponent() {
        let expected = [
            ("EUR", 2),
            ("DKK", 2),
            ("SEK", 2),
            ("NOK", 2),
            ("PLN", 2),
            ("CZK", 2),
            ("HUF", 2),
            ("RON", 2),
            ("BGN", 2),
            ("ISK", 0),
            ("CHF", 2),
            ("GBP", 2),
            ("USD", 2),
            ("JPY", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("CAD", 2),
            ("AUD", 2),
        ];
        for (code, exponent) in expected {
            let c = currency(code);
            assert_eq!(c.code(), code);
            assert_eq!(c.minor_units(), exponent, "{code}");
            assert_eq!(c.to_string(), code);
        }
    }

    #[test]
    fn unknown_or_malformed_codes_are_errors_naming_the_code() {
        for code in [
            "XYZ", "dkk", "Dkk", " DKK", "DKK ", "", "DK", "DKKK", "HRK", "XXX",
        ] {
            let err = Currency::parse(code).err();
            assert_eq!(
                err,
                Some(MoneyError::UnknownCurrency {
                    code: code.to_owned()
                }),
                "{code:?}"
            );
        }
        let message = Currency::parse("XYZ").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "unknown currency code \"XYZ\": expected an active ISO 4217 alphabetic code in upper case, e.g. \"DKK\""
            )
        );
    }

    #[test]
    fn ordering_is_alphabetical_and_debug_shows_code() {
        assert!(currency("DKK") < currency("EUR"));
        assert!(currency("USD") > currency("EUR"));
        assert_eq!(format!("{:?}", currency("DKK")), "Currency(\"DKK\")");
    }

    #[test]
    fn deserializes_from_code_string() {
        let de: StrDeserializer<'_, ValueError> = "SEK".into_deserializer();
        assert_eq!(Currency::deserialize(de), Ok(currency("SEK")));

        let de: StrDeserializer<'_, ValueError> = "sek".into_deserializer();
        let err = Currency::deserialize(de)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("\"sek\""), "{err}");
    }
}
