//! Rounding modes and the exact integer division that applies them.

use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};

/// How to round a result that falls between two minor units.
///
/// All modes are symmetric around zero, so a refund (negative amount) rounds
/// to exactly the negation of the matching charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Round to nearest; exact halves go away from zero (2.5 -> 3, -2.5 -> -3).
    /// The usual commercial rule, hence the default.
    #[default]
    HalfUp,
    /// Round to nearest; exact halves go to the even neighbour (2.5 -> 2, 3.5 -> 4).
    HalfEven,
    /// Truncate toward zero (2.9 -> 2, -2.9 -> -2).
    Down,
}

impl Rounding {
    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// `amount * multiplier / divisor`, rounded to a whole minor unit, exactly.
///
/// Returns `None` if `divisor` is zero or the result does not fit in `i64`
/// (impossible when `multiplier <= divisor`, which all VAT and proration
/// callers guarantee).
///
/// We use integer quotient and remainder rather than `Decimal` division here:
/// a `Decimal` quotient keeps only 28 significant digits, so for a 19-digit
/// amount divided by a large period it can turn `x.4999999999…` into `x.5`
/// and then round the wrong way. With the remainder the midpoint test is
/// exact, and `u128` holds any `i64 * u64` product without overflow.
pub(crate) fn mul_div_round(
    amount: i64,
    multiplier: u64,
    divisor: u64,
    rounding: Rounding,
) -> Option<i64> {
    if divisor == 0 {
        return None;
    }
    // Work on the magnitude: every mode is symmetric, so the sign goes back on last.
    let magnitude = u128::from(amount.unsigned_abs()) * u128::from(multiplier);
    let divisor = u128::from(divisor);
    let quotient = magnitude / divisor;
    let remainder = magnitude % divisor;
    // Compare the fractional part with one half without dividing:
    // remainder / divisor >= 1/2  <=>  2 * remainder >= divisor.
    // (remainder < divisor <= u64::MAX, so doubling cannot overflow.)
    let twice = remainder * 2;
    let round_up = match rounding {
        Rounding::HalfUp => twice >= divisor,
        Rounding::HalfEven => twice > divisor || (twice == divisor && quotient % 2 == 1),
        Rounding::Down => false,
    };
    let rounded = i128::try_from(quotient + u128::from(round_up)).ok()?;
    i64::try_from(if amount < 0 { -rounded } else { rounded }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn div(numerator: i64, divisor: u64, rounding: Rounding) -> Option<i64> {
        mul_div_round(numerator, 1, divisor, rounding)
    }

    #[test]
    fn half_up_goes_away_from_zero_at_exact_half() {
        assert_eq!(div(5, 2, Rounding::HalfUp), Some(3));
        assert_eq!(div(-5, 2, Rounding::HalfUp), Some(-3));
        assert_eq!(div(7, 3, Rounding::HalfUp), Some(2));
        assert_eq!(div(8, 3, Rounding::HalfUp), Some(3));
        assert_eq!(div(-8, 3, Rounding::HalfUp), Some(-3));
    }

    #[test]
    fn half_even_goes_to_even_neighbour_at_exact_half() {
        assert_eq!(div(5, 2, Rounding::HalfEven), Some(2));
        assert_eq!(div(7, 2, Rounding::HalfEven), Some(4));
        assert_eq!(div(-5, 2, Rounding::HalfEven), Some(-2));
        assert_eq!(div(-7, 2, Rounding::HalfEven), Some(-4));
        assert_eq!(div(8, 3, Rounding::HalfEven), Some(3));
    }

    #[test]
    fn down_truncates_toward_zero() {
        assert_eq!(div(29, 10, Rounding::Down), Some(2));
        assert_eq!(div(-29, 10, Rounding::Down), Some(-2));
        assert_eq!(div(0, 10, Rounding::Down), Some(0));
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(
            mul_div_round(i64::MIN, u64::MAX, u64::MAX, Rounding::HalfUp),
            Some(i64::MIN)
        );
        assert_eq!(
            mul_div_round(i64::MAX, u64::MAX, u64::MAX, Rounding::HalfUp),
            Some(i64::MAX)
        );
        assert_eq!(
            mul_div_round(i64::MIN, 1, 1, Rounding::Down),
            Some(i64::MIN)
        );
        // Result too large for i64 is reported, not wrapped.
        assert_eq!(mul_div_round(i64::MAX, 2, 1, Rounding::Down), None);
        assert_eq!(mul_div_round(1, 1, 0, Rounding::Down), None);
    }

    #[test]
    fn exact_where_a_28_digit_decimal_quotient_would_misround() {
        // 9000000000250000000 * 4000000000 / 4000000001
        //   = 8999999998000000000 + 2000000000/4000000001 (just below one half).
        // A 28-significant-digit quotient shows this as ...000.500000000,
        // which would round up; the exact answer rounds down.
        let result = mul_div_round(
            9_000_000_000_250_000_000,
            4_000_000_000,
            4_000_000_001,
            Rounding::HalfUp,
        );
        assert_eq!(result, Some(8_999_999_998_000_000_000));
    }

    #[test]
    fn default_is_half_up() {
        assert_eq!(Rounding::default(), Rounding::HalfUp);
    }
}
