//! `Money`: an integer number of minor units in one currency.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::number::split_decimal;
use crate::{Currency, MoneyError, Rounding};

/// An exact amount: a count of minor units (øre, cent, fils, ...) plus its
/// currency. `795.50 DKK` is `amount_minor = 79550`.
///
/// Deliberately not `PartialOrd`/`Ord`: comparing amounts in different
/// currencies has no meaning, so callers compare `amount_minor()` after
/// checking the currency themselves.
///
/// Serialises as `{"amount_minor": 79550, "currency": "DKK"}`; integers
/// rather than a decimal string so storage and APIs never re-parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// `amount_minor` minor units of `currency` (e.g. 79550 DKK øre = 795.50 DKK).
    pub const fn new(amount_minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Nothing, in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// The amount as a count of minor units.
    pub const fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Parses an amount written in major units: `"795"`, `"795.5"`,
    /// `"795.50"`, `"-3.25"`.
    ///
    /// Strict on purpose, since the text usually comes from an operator or a
    /// tariff file: no whitespace, no `+`, no `,` (decimal or thousands), no
    /// exponent, no `"1."` or `".5"`, and never more decimals than the
    /// currency has — `"12.345"` DKK is an error rather than silently rounded
    /// (even `"12.340"`, to keep the rule simple to state).
    pub fn parse_major(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let parts = split_decimal(text).map_err(|reason| MoneyError::InvalidAmount {
            text: text.to_owned(),
            reason,
        })?;
        let decimals = currency.minor_units() as usize;
        if parts.fraction.len() > decimals {
            return Err(MoneyError::TooManyDecimals {
                text: text.to_owned(),
                decimals: parts.fraction.len(),
                currency,
            });
        }
        let out_of_range = || MoneyError::AmountOutOfRange {
            text: text.to_owned(),
            currency,
        };

        // Integer digits, then fraction digits right-padded to the exponent,
        // read as one integer of minor units. i128 with checked steps means
        // absurdly long input is reported, not wrapped; i64::MIN still parses.
        let padding = std::iter::repeat_n(b'0', decimals - parts.fraction.len());
        let mut magnitude: i128 = 0;
        for digit in parts
            .integer
            .bytes()
            .chain(parts.fraction.bytes())
            .chain(padding)
        {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(digit - b'0')))
                .ok_or_else(out_of_range)?;
        }
        let signed = if parts.negative {
            -magnitude
        } else {
            magnitude
        };
        let amount_minor = i64::try_from(signed).map_err(|_| out_of_range())?;
        Ok(Money::new(amount_minor, currency))
    }

    /// The amount in major units with exactly the currency's number of
    /// decimals and no currency code: `"795.50"`, `"-3.25"`, JPY `"100"`,
    /// KWD `"1.250"`. Always accepted back by [`Money::parse_major`].
    pub fn to_major_string(&self) -> String {
        let decimals = self.currency.minor_units();
        let sign = if self.is_negative() { "-" } else { "" };
        // unsigned_abs: -i64::MIN does not fit in i64.
        let magnitude = self.amount_minor.unsigned_abs();
        if decimals == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(decimals);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = decimals as usize
        )
    }

    /// The amount in major units as an exact decimal (79550 DKK -> 795.50).
    pub fn to_decimal(&self) -> Decimal {
        // Exponents are at most 3, far below Decimal's maximum scale of 28.
        Decimal::new(self.amount_minor, self.currency.minor_units())
    }

    /// Converts a major-unit decimal (e.g. a computed fee) to money, rounding
    /// to the currency's minor unit with `rounding`. Errors if the result does
    /// not fit in `i64` minor units.
    pub fn from_decimal(
        value: Decimal,
        currency: Currency,
        rounding: Rounding,
    ) -> Result<Money, MoneyError> {
        let decimals = currency.minor_units();
        let out_of_range = || MoneyError::DecimalOutOfRange { value, currency };
        let rounded = value.round_dp_with_strategy(decimals, rounding.strategy());
        // `rounded` has at most `decimals` decimals, so shifting the point is
        // exact and leaves a whole number of minor units.
        let minor = rounded
            .checked_mul(Decimal::from(10_i64.pow(decimals)))
            .ok_or_else(out_of_range)?;
        let amount_minor = i64::try_from(minor).map_err(|_| out_of_range())?;
        Ok(Money::new(amount_minor, currency))
    }

    /// `self + other`; errors on differing currencies or overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency("add", other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|sum| Money::new(sum, self.currency))
            .ok_or_else(|| MoneyError::Overflow {
                expression: format!("{self} + {other}"),
            })
    }

    /// `self - other`; errors on differing currencies or overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency("subtract", other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|difference| Money::new(difference, self.currency))
            .ok_or_else(|| MoneyError::Overflow {
                expression: format!("{self} - {other}"),
            })
    }

    /// `self * quantity` (e.g. unit price times number of items); errors on overflow.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        self.amount_minor
            .checked_mul(quantity)
            .map(|product| Money::new(product, self.currency))
            .ok_or_else(|| MoneyError::Overflow {
                expression: format!("{self} * {quantity}"),
            })
    }

    /// True for amounts below zero (refunds, credits).
    pub const fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    fn same_currency(self, operation: &'static str, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                operation,
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// `795.50 DKK`: major units with the currency's decimals, then the code.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_major_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse(text: &str, code: &str) -> Money {
        Money::parse_major(text, currency(code)).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn parse_err(text: &str, code: &str) -> MoneyError {
        match Money::parse_major(text, currency(code)) {
            Ok(m) => panic!("{text:?} unexpectedly parsed as {m}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_two_decimal_amounts() {
        let dkk = currency("DKK");
        assert_eq!(parse("795", "DKK"), Money::new(79_500, dkk));
        assert_eq!(parse("795.5", "DKK"), Money::new(79_550, dkk));
        assert_eq!(parse("795.50", "DKK"), Money::new(79_550, dkk));
        assert_eq!(parse("0.01", "DKK"), Money::new(1, dkk));
        assert_eq!(parse("-3.25", "DKK"), Money::new(-325, dkk));
        assert_eq!(parse("-0.05", "DKK"), Money::new(-5, dkk));
        assert_eq!(parse("-0", "DKK"), Money::zero(dkk));
        assert_eq!(parse("007.00", "DKK"), Money::new(700, dkk));
    }

    #[test]
    fn parses_zero_and_three_decimal_currencies() {
        assert_eq!(parse("100", "JPY"), Money::new(100, currency("JPY")));
        assert_eq!(parse("-100", "ISK"), Money::new(-100, currency("ISK")));
        assert_eq!(parse("1.250", "KWD"), Money::new(1_250, currency("KWD")));
        assert_eq!(parse("1.25", "KWD"), Money::new(1_250, currency("KWD")));
        assert_eq!(parse("0.001", "BHD"), Money::new(1, currency("BHD")));
    }

    #[test]
    fn too_many_decimals_is_an_error_not_a_rounding() {
        let err = parse_err("12.345", "DKK");
        assert_eq!(
            err.to_string(),
            "amount \"12.345\" has 3 decimals but DKK has 2"
        );
        // Trailing zeros too: the rule is about what was written.
        assert!(matches!(
            parse_err("12.340", "DKK"),
            MoneyError::TooManyDecimals { decimals: 3, .. }
        ));
        assert_eq!(
            parse_err("100.5", "JPY").to_string(),
            "amount \"100.5\" has 1 decimal but JPY has 0"
        );
        assert_eq!(
            parse_err("100.0", "JPY").to_string(),
            "amount \"100.0\" has 1 decimal but JPY has 0"
        );
        assert_eq!(
            parse_err("1.2345", "KWD").to_string(),
            "amount \"1.2345\" has 4 decimals but KWD has 3"
        );
    }

    #[test]
    fn malformed_amounts_are_errors_that_quote_the_input() {
        let cases = [
            ("1.", "expected a digit after the decimal point"),
            (".5", "before the decimal point"),
            ("1e3", "exponent notation is not allowed"),
            ("1,5", "use '.' as the decimal point"),
            ("1,000.00", "no thousands separators"),
            (" 795.50", "whitespace"),
            ("795.50 ", "whitespace"),
            ("795.50\n", "whitespace"),
            ("", "it is empty"),
            ("-", "expected digits"),
            ("+5", "'+'"),
            ("795.50 DKK", "whitespace"),
            ("DKK", "unexpected character 'D'"),
            ("1.2.3", "more than one decimal point"),
        ];
        for (text, expected) in cases {
            let err = parse_err(text, "DKK");
            assert!(
                matches!(&err, MoneyError::InvalidAmount { text: t, .. } if t == text),
                "{text:?}: {err:?}"
            );
            let message = err.to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(
                message.starts_with(&format!("invalid amount {text:?}: ")),
                "{message}"
            );
        }
    }

    #[test]
    fn i64_limits_parse_and_beyond_them_is_an_error() {
        let dkk = currency("DKK");
        assert_eq!(
            parse("92233720368547758.07", "DKK"),
            Money::new(i64::MAX, dkk)
        );
        assert_eq!(
            parse("-92233720368547758.08", "DKK"),
            Money::new(i64::MIN, dkk)
        );
        for text in [
            "92233720368547758.08",
            "-92233720368547758.09",
            "99999999999999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                parse_err(text, "DKK"),
                MoneyError::AmountOutOfRange {
                    text: text.to_owned(),
                    currency: dkk
                }
            );
        }
        // Leading zeros do not count towards overflow.
        assert_eq!(
            parse("000000000000000000000000000000000000000001", "JPY").amount_minor(),
            1
        );
    }

    #[test]
    fn formats_with_exactly_the_currency_decimals() {
        let dkk = currency("DKK");
        assert_eq!(Money::new(79_550, dkk).to_major_string(), "795.50");
        assert_eq!(Money::new(79_550, dkk).to_string(), "795.50 DKK");
        assert_eq!(Money::new(5, dkk).to_major_string(), "0.05");
        assert_eq!(Money::new(-5, dkk).to_major_string(), "-0.05");
        assert_eq!(Money::new(-325, dkk).to_major_string(), "-3.25");
        assert_eq!(Money::zero(dkk).to_major_string(), "0.00");
        assert_eq!(Money::new(100, currency("JPY")).to_string(), "100 JPY");
        assert_eq!(Money::new(-7, currency("JPY")).to_major_string(), "-7");
        assert_eq!(Money::new(1_250, currency("KWD")).to_string(), "1.250 KWD");
        assert_eq!(
            Money::new(i64::MIN, dkk).to_major_string(),
            "-92233720368547758.08"
        );
        assert_eq!(
            Money::new(i64::MAX, dkk).to_major_string(),
            "92233720368547758.07"
        );
    }

    #[test]
    fn decimal_conversion_is_exact_and_rounds_only_when_asked() {
        let dkk = currency("DKK");
        assert_eq!(Money::new(79_550, dkk).to_decimal(), dec!(795.50));
        assert_eq!(Money::new(100, currency("JPY")).to_decimal(), dec!(100));
        assert_eq!(
            Money::new(-1_250, currency("KWD")).to_decimal(),
            dec!(-1.250)
        );

        let from = |value, rounding| {
            Money::from_decimal(value, dkk, rounding)
                .unwrap_or_else(|e| panic!("{e}"))
                .amount_minor()
        };
        assert_eq!(from(dec!(795.5), Rounding::HalfUp), 79_550);
        assert_eq!(from(dec!(1.005), Rounding::HalfUp), 101);
        assert_eq!(from(dec!(-1.005), Rounding::HalfUp), -101);
        assert_eq!(from(dec!(1.005), Rounding::HalfEven), 100);
        assert_eq!(from(dec!(1.015), Rounding::HalfEven), 102);
        assert_eq!(from(dec!(1.0099), Rounding::Down), 100);
        assert_eq!(from(dec!(-1.0099), Rounding::Down), -100);
        assert_eq!(
            Money::from_decimal(dec!(2.5), currency("JPY"), Rounding::HalfUp)
                .map(|m| m.amount_minor()),
            Ok(3)
        );

        let huge = dec!(100000000000000000);
        assert_eq!(
            Money::from_decimal(huge, dkk, Rounding::HalfUp),
            Err(MoneyError::DecimalOutOfRange {
                value: huge,
                currency: dkk
            })
        );
        assert!(Money::from_decimal(Decimal::MAX, dkk, Rounding::HalfUp).is_err());
        assert_eq!(
            Money::from_decimal(dec!(-92233720368547758.08), dkk, Rounding::HalfUp),
            Ok(Money::new(i64::MIN, dkk))
        );
    }

    #[test]
    fn arithmetic_checks_currency_and_overflow() {
        let dkk = currency("DKK");
        let eur = currency("EUR");
        let a = Money::new(79_550, dkk);
        assert_eq!(
            a.checked_add(Money::new(50, dkk)),
            Ok(Money::new(79_600, dkk))
        );
        assert_eq!(
            a.checked_sub(Money::new(79_600, dkk)),
            Ok(Money::new(-50, dkk))
        );
        assert_eq!(a.checked_mul(3), Ok(Money::new(238_650, dkk)));
        assert_eq!(a.checked_mul(-1), Ok(Money::new(-79_550, dkk)));

        let mismatch = a.checked_add(Money::new(1, eur));
        assert_eq!(
            mismatch.map_err(|e| e.to_string()),
            Err("cannot add amounts in different currencies: DKK and EUR".to_owned())
        );
        assert!(matches!(
            a.checked_sub(Money::new(1, eur)),
            Err(MoneyError::CurrencyMismatch {
                operation: "subtract",
                ..
            })
        ));

        let max = Money::new(i64::MAX, dkk);
        let overflow = max.checked_add(Money::new(1, dkk));
        assert_eq!(
            overflow.map_err(|e| e.to_string()),
            Err(
                "92233720368547758.07 DKK + 0.01 DKK overflows the 64-bit minor-unit range"
                    .to_owned()
            )
        );
        assert!(
            Money::new(i64::MIN, dkk)
                .checked_sub(Money::new(1, dkk))
                .is_err()
        );
        assert!(max.checked_mul(2).is_err());
        assert!(Money::new(i64::MIN, dkk).checked_mul(-1).is_err());
    }

    #[test]
    fn sign_helpers() {
        let dkk = currency("DKK");
        assert!(Money::new(-1, dkk).is_negative());
        assert!(!Money::zero(dkk).is_negative());
        assert!(!Money::new(1, dkk).is_negative());
    }
}
