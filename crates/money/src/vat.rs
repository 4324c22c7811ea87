//! VAT rates and splitting an amount into net and VAT.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::number::split_decimal;
use crate::rounding::mul_div_round;
use crate::{Money, MoneyError, Rounding};

/// Basis points in 100 %.
const FULL: u32 = 10_000;

/// A VAT rate in percent, between 0 and 100 inclusive, exact to a basis
/// point (0.01 %). Every EU/EEA rate (25, 21, 9, 23, 5.5, 8.1, ...) is.
///
/// Stored as basis points so equality, hashing and the VAT formula are exact
/// integers; [`VatRate::percent`] gives the `Decimal` view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VatRate {
    basis_points: u32,
}

impl VatRate {
    /// Parses a percentage such as `"25"`, `"12.5"` or `"5.50"`.
    ///
    /// Same strict number syntax as amounts (no `%`, no `,`, no whitespace),
    /// not negative, at most 100, and exact to a basis point: `"12.345"` is an
    /// error rather than being rounded to 12.35 %.
    pub fn parse(text: &str) -> Result<VatRate, MoneyError> {
        let invalid = |reason: &str| MoneyError::InvalidVatRate {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let parts = split_decimal(text).map_err(|reason| invalid(&reason))?;
        if parts.negative {
            return Err(invalid("a VAT rate cannot be negative"));
        }
        // Digits past the second decimal may only be zeros ("25.000" is fine).
        let (hundredths, rest) = parts.fraction.split_at(parts.fraction.len().min(2));
        if rest.bytes().any(|b| b != b'0') {
            return Err(invalid(
                "must be exact to 0.01 percentage points (at most 2 decimals)",
            ));
        }
        // Whole percent, then the two hundredths digits right-padded with zeros;
        // checked so a 40-digit input is "above 100", not a wrapped number.
        let padding = std::iter::repeat_n(b'0', 2 - hundredths.len());
        let out_of_range = || invalid("must be between 0 and 100 percent");
        let mut basis_points: u32 = 0;
        for digit in parts
            .integer
            .bytes()
            .chain(hundredths.bytes())
            .chain(padding)
        {
            basis_points = basis_points
                .checked_mul(10)
                .and_then(|bp| bp.checked_add(u32::from(digit - b'0')))
                .ok_or_else(out_of_range)?;
        }
        if basis_points > FULL {
            return Err(out_of_range());
        }
        Ok(VatRate { basis_points })
    }

    /// A rate given in basis points: 2500 is 25 %. Above 10000 is an error.
    pub fn from_basis_points(basis_points: u32) -> Result<VatRate, MoneyError> {
        if basis_points > FULL {
            return Err(MoneyError::VatRateOutOfRange { basis_points });
        }
        Ok(VatRate { basis_points })
    }

    /// The rate in basis points: 25 % -> 2500, 5.5 % -> 550.
    pub fn basis_points(&self) -> u32 {
        self.basis_points
    }

    /// The rate in percent: 25 % -> `25`, 5.5 % -> `5.5`.
    pub fn percent(&self) -> Decimal {
        Decimal::new(i64::from(self.basis_points), 2).normalize()
    }
}

/// Shortest exact percentage without a `%` sign ("25", "5.5", "0.05"), so
/// that the output is accepted back by [`VatRate::parse`].
impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.basis_points / 100;
        let hundredths = self.basis_points % 100;
        match hundredths {
            0 => write!(f, "{whole}"),
            _ if hundredths.is_multiple_of(10) => write!(f, "{whole}.{}", hundredths / 10),
            _ => write!(f, "{whole}.{hundredths:02}"),
        }
    }
}

impl FromStr for VatRate {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        VatRate::parse(text)
    }
}

/// Serialises as the percentage string, e.g. `"25"` or `"5.5"`.
impl Serialize for VatRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts a percentage string (`"12.5"`) or a whole-number percentage
/// (`25`). Floats are refused: `12.5` in a config file may already have been
/// through binary floating point, and we never round a rate.
impl<'de> Deserialize<'de> for VatRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RateVisitor;

        impl serde::de::Visitor<'_> for RateVisitor {
            type Value = VatRate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a VAT percentage as a string such as \"12.5\" or a whole number such as 25",
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<VatRate, E> {
                VatRate::parse(text).map_err(E::custom)
            }

            fn visit_u64<E: serde::de::Error>(self, percent: u64) -> Result<VatRate, E> {
                VatRate::parse(&percent.to_string()).map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, percent: i64) -> Result<VatRate, E> {
                VatRate::parse(&percent.to_string()).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(RateVisitor)
    }
}

/// An amount split into its net part and VAT. `net + vat == gross` always
/// holds (the rounding lands entirely in `vat`, `net` is the difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct VatSplit {
    pub gross: Money,
    pub net: Money,
    pub vat: Money,
}

/// Splits a VAT-inclusive price: `vat = round(gross * r / (100 + r))`,
/// `net = gross - vat`. E.g. 795.00 DKK at 25 % has 159.00 DKK VAT.
/// Negative gross (refunds) gives the mirror image of the positive split.
pub fn vat_from_gross(gross: Money, rate: VatRate, rounding: Rounding) -> VatSplit {
    let bp = u64::from(rate.basis_points);
    // bp / (10000 + bp) <= 1/2, so |vat| <= |gross| / 2 (rounded): it always
    // fits, and `gross - vat` cannot overflow since both have the same sign.
    let vat = mul_div_round(gross.amount_minor(), bp, u64::from(FULL) + bp, rounding)
        .unwrap_or_else(|| unreachable!("VAT is at most half of the gross amount"));
    let net = gross.amount_minor() - vat;
    VatSplit {
        gross,
        net: Money::new(net, gross.currency()),
        vat: Money::new(vat, gross.currency()),
    }
}

/// Adds VAT to a net price: `vat = round(net * r / 100)`, `gross = net + vat`.
/// Errors only if the gross amount overflows `i64` minor units.
pub fn vat_from_net(net: Money, rate: VatRate, rounding: Rounding) -> Result<VatSplit, MoneyError> {
    let bp = u64::from(rate.basis_points);
    let currency = net.currency();
    let overflow = || MoneyError::Overflow {
        expression: format!("{net} plus {rate}% VAT"),
    };
    // bp <= 10000, so |vat| <= |net| and this never fails; kept as an error
    // rather than a panic because the function is fallible anyway.
    let vat =
        mul_div_round(net.amount_minor(), bp, u64::from(FULL), rounding).ok_or_else(overflow)?;
    let gross = net.amount_minor().checked_add(vat).ok_or_else(overflow)?;
    Ok(VatSplit {
        gross: Money::new(gross, currency),
        net,
        vat: Money::new(vat, currency),
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, I64Deserializer, StrDeserializer};

    use super::*;
    use crate::Currency;

    fn rate(text: &str) -> VatRate {
        VatRate::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn money(text: &str, code: &str) -> Money {
        let currency = Currency::parse(code).unwrap_or_else(|e| panic!("{e}"));
        Money::parse_major(text, currency).unwrap_or_else(|e| panic!("{e}"))
    }

    fn from_gross(gross: &str, code: &str, rate_text: &str) -> (String, String) {
        let split = vat_from_gross(money(gross, code), rate(rate_text), Rounding::HalfUp);
        assert_eq!(split.net.checked_add(split.vat), Ok(split.gross));
        (split.net.to_string(), split.vat.to_string())
    }

    fn from_net(net: &str, code: &str, rate_text: &str) -> (String, String) {
        let split = vat_from_net(money(net, code), rate(rate_text), Rounding::HalfUp)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(split.net.checked_add(split.vat), Ok(split.gross));
        (split.vat.to_string(), split.gross.to_string())
    }

    fn strings(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn parses_rates_exactly() {
        assert_eq!(rate("25").basis_points(), 2500);
        assert_eq!(rate("25.00").basis_points(), 2500);
        assert_eq!(rate("25.000").basis_points(), 2500);
        assert_eq!(rate("5.5").basis_points(), 550);
        assert_eq!(rate("8.1").basis_points(), 810);
        assert_eq!(rate("0.01").basis_points(), 1);
        assert_eq!(rate("0").basis_points(), 0);
        assert_eq!(rate("100").basis_points(), 10_000);
        assert_eq!(rate("100.00").basis_points(), 10_000);
        assert_eq!(rate("25").percent(), dec!(25));
        assert_eq!(rate("5.5").percent(), dec!(5.5));
        assert_eq!(rate("5.5").percent().to_string(), "5.5");
    }

    #[test]
    fn rejects_rates_that_are_not_exact_percentages() {
        let cases = [
            ("12.345", "at most 2 decimals"),
            ("12.001", "at most 2 decimals"),
            ("-5", "cannot be negative"),
            ("100.01", "between 0 and 100"),
            ("101", "between 0 and 100"),
            ("99999999999999999999999999999", "between 0 and 100"),
            ("25%", "unexpected character '%'"),
            ("12,5", "','"),
            (" 25", "whitespace"),
            ("", "it is empty"),
            ("0.25e2", "exponent"),
        ];
        for (text, expected) in cases {
            let message = VatRate::parse(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                message.starts_with(&format!("invalid VAT rate {text:?}: ")),
                "{message}"
            );
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn basis_points_constructor_and_display_round_trip() {
        for bp in [0, 1, 10, 550, 810, 900, 2100, 2300, 2500, 10_000] {
            let r = VatRate::from_basis_points(bp).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.basis_points(), bp);
            assert_eq!(rate(&r.to_string()), r);
        }
        assert_eq!(rate("25").to_string(), "25");
        assert_eq!(rate("5.5").to_string(), "5.5");
        assert_eq!(rate("0.05").to_string(), "0.05");
        assert_eq!(
            VatRate::from_basis_points(10_001).map_err(|e| e.to_string()),
            Err("VAT rate of 10001 basis points is above 100% (10000 basis points)".to_owned())
        );
    }

    #[test]
    fn deserializes_from_string_or_whole_number() {
        let de: StrDeserializer<'_, ValueError> = "5.5".into_deserializer();
        assert_eq!(VatRate::deserialize(de), Ok(rate("5.5")));
        let de: I64Deserializer<ValueError> = 25_i64.into_deserializer();
        assert_eq!(VatRate::deserialize(de), Ok(rate("25")));
        let de: I64Deserializer<ValueError> = (-1_i64).into_deserializer();
        assert!(VatRate::deserialize(de).is_err());
        let de: serde::de::value::F64Deserializer<ValueError> = 12.5_f64.into_deserializer();
        assert!(VatRate::deserialize(de).is_err());
    }

    #[test]
    fn danish_25_percent() {
        assert_eq!(
            from_gross("795.00", "DKK", "25"),
            strings("636.00 DKK", "159.00 DKK")
        );
        assert_eq!(
            from_gross("100.00", "DKK", "25"),
            strings("80.00 DKK", "20.00 DKK")
        );
        // 99.99 * 0.2 = 19.998 -> 20.00
        assert_eq!(
            from_gross("99.99", "DKK", "25"),
            strings("79.99 DKK", "20.00 DKK")
        );
        assert_eq!(
            from_gross("-795.00", "DKK", "25"),
            strings("-636.00 DKK", "-159.00 DKK")
        );
        assert_eq!(
            from_net("636.00", "DKK", "25"),
            strings("159.00 DKK", "795.00 DKK")
        );
    }

    #[test]
    fn dutch_21_and_9_percent() {
        // 121.00 incl. 21 % = 100.00 + 21.00
        assert_eq!(
            from_gross("121.00", "EUR", "21"),
            strings("100.00 EUR", "21.00 EUR")
        );
        // 10.00 * 21/121 = 1.7355... -> 1.74
        assert_eq!(
            from_gross("10.00", "EUR", "21"),
            strings("8.26 EUR", "1.74 EUR")
        );
        // 10.00 * 9/109 = 0.8256... -> 0.83
        assert_eq!(
            from_gross("10.00", "EUR", "9"),
            strings("9.17 EUR", "0.83 EUR")
        );
        assert_eq!(
            from_gross("109.00", "EUR", "9"),
            strings("100.00 EUR", "9.00 EUR")
        );
        // 8.26 * 0.21 = 1.7346 -> 1.73
        assert_eq!(
            from_net("8.26", "EUR", "21"),
            strings("1.73 EUR", "9.99 EUR")
        );
        assert_eq!(
            from_net("4.50", "EUR", "9"),
            strings("0.41 EUR", "4.91 EUR")
        );
    }

    #[test]
    fn polish_23_percent() {
        // 123.00 incl. 23 % = 100.00 + 23.00
        assert_eq!(
            from_gross("123.00", "PLN", "23"),
            strings("100.00 PLN", "23.00 PLN")
        );
        // 50.00 * 23/123 = 9.3495... -> 9.35
        assert_eq!(
            from_gross("50.00", "PLN", "23"),
            strings("40.65 PLN", "9.35 PLN")
        );
        // 40.65 * 0.23 = 9.3495 -> 9.35
        assert_eq!(
            from_net("40.65", "PLN", "23"),
            strings("9.35 PLN", "50.00 PLN")
        );
    }

    #[test]
    fn rounding_mode_decides_exact_halves() {
        let eur = Currency::parse("EUR").unwrap_or_else(|e| panic!("{e}"));
        // 0.10 * 25 % = 0.025 -> HalfUp 0.03, HalfEven 0.02, Down 0.02
        let net = Money::new(10, eur);
        let vat = |rounding| {
            vat_from_net(net, rate("25"), rounding)
                .map(|split| split.vat.amount_minor())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(vat(Rounding::HalfUp), 3);
        assert_eq!(vat(Rounding::HalfEven), 2);
        assert_eq!(vat(Rounding::Down), 2);
    }

    #[test]
    fn zero_and_full_rates_and_extremes() {
        let dkk = Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"));
        let gross = Money::new(12_345, dkk);
        let split = vat_from_gross(gross, rate("0"), Rounding::HalfUp);
        assert_eq!((split.net, split.vat), (gross, Money::zero(dkk)));
        let split = vat_from_gross(gross, rate("100"), Rounding::HalfUp);
        assert_eq!(
            (split.net.amount_minor(), split.vat.amount_minor()),
            (6_172, 6_173)
        );

        for amount in [i64::MIN, i64::MAX] {
            let split = vat_from_gross(Money::new(amount, dkk), rate("100"), Rounding::HalfUp);
            assert_eq!(split.net.checked_add(split.vat), Ok(split.gross));
        }
        let overflow = vat_from_net(Money::new(i64::MAX, dkk), rate("25"), Rounding::HalfUp);
        assert_eq!(
            overflow.map_err(|e| e.to_string()),
            Err(
                "92233720368547758.07 DKK plus 25% VAT overflows the 64-bit minor-unit range"
                    .to_owned()
            )
        );
    }
}
