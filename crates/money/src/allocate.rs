//! Splitting an amount into parts without losing or inventing a minor unit.

use std::cmp::Reverse;

use crate::rounding::mul_div_round;
use crate::{Money, MoneyError, Rounding};

/// Splits `total` in proportion to `weights` (largest-remainder method).
///
/// Each part first gets the floor of its exact share; the minor units left
/// over go one each to the parts with the largest fractional remainder,
/// earlier index first on ties. So the parts always sum to `total` exactly
/// and each is within one minor unit of its exact share. Negative totals are
/// allocated as the mirror image of the positive total. A zero weight always
/// gets zero. Empty or all-zero weights are an error.
///
/// The arithmetic is exact `u128` integer arithmetic: |total| * weight is at
/// most 2^63 * 2^64, and ranking remainders needs exact comparison, which a
/// 28-digit `Decimal` cannot give for large amounts and weights.
pub fn allocate(total: Money, weights: &[u64]) -> Result<Vec<Money>, MoneyError> {
    let invalid = |reason| MoneyError::InvalidAllocation {
        total: total.to_string(),
        reason,
    };
    if weights.is_empty() {
        return Err(invalid("no weights given"));
    }
    // A u128 sum of u64 weights cannot overflow for any slice that fits in memory.
    let weight_sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if weight_sum == 0 {
        return Err(invalid("all weights are zero"));
    }

    let magnitude = u128::from(total.amount_minor().unsigned_abs());
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for &weight in weights {
        let share = magnitude * u128::from(weight);
        parts.push(share / weight_sum);
        remainders.push(share % weight_sum);
    }

    // Fewer than weights.len() units are left: each floor lost less than one.
    let mut leftover = magnitude - parts.iter().sum::<u128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable sort, so equal remainders keep index order (earlier wins).
    order.sort_by_key(|&i| Reverse(remainders[i]));
    for i in order {
        if leftover == 0 {
            break;
        }
        parts[i] += 1;
        leftover -= 1;
    }

    let negative = total.is_negative();
    parts
        .into_iter()
        .map(|part| {
            // part <= |total|, so it fits back into i64 with total's sign.
            let signed = i128::try_from(part)
                .ok()
                .map(|p| if negative { -p } else { p });
            signed
                .and_then(|p| i64::try_from(p).ok())
                .map(|amount| Money::new(amount, total.currency()))
                .ok_or_else(|| MoneyError::Overflow {
                    expression: format!("a share of {total}"),
                })
        })
        .collect()
}

/// Splits `total` into `parts` near-equal amounts that sum to `total`; the
/// first parts get the extra minor units (10.00 / 3 = 3.34, 3.33, 3.33).
pub fn split_evenly(total: Money, parts: u32) -> Result<Vec<Money>, MoneyError> {
    if parts == 0 {
        return Err(MoneyError::InvalidAllocation {
            total: total.to_string(),
            reason: "cannot split into 0 parts",
        });
    }
    let weights: Vec<u64> = (0..parts).map(|_| 1).collect();
    allocate(total, &weights)
}

/// `amount * used / of`, rounded: the share of a period-priced amount, e.g.
/// the refund for the unused days of a 30-day permit is
/// `prorate(price, unused_days, 30, rounding)`.
///
/// `of == 0` or `used > of` is an error (a share above 100 % is a bug, not a
/// proration).
pub fn prorate(amount: Money, used: u32, of: u32, rounding: Rounding) -> Result<Money, MoneyError> {
    let invalid = |reason| MoneyError::InvalidProration { used, of, reason };
    if of == 0 {
        return Err(invalid("the period must be at least 1"));
    }
    if used > of {
        return Err(invalid("the used part is larger than the period"));
    }
    // used <= of, so |result| <= |amount|: the error branch is unreachable.
    mul_div_round(
        amount.amount_minor(),
        u64::from(used),
        u64::from(of),
        rounding,
    )
    .map(|minor| Money::new(minor, amount.currency()))
    .ok_or_else(|| MoneyError::Overflow {
        expression: format!("{amount} * {used} / {of}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn dkk() -> Currency {
        Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"))
    }

    fn minors(parts: &[Money]) -> Vec<i64> {
        parts.iter().map(Money::amount_minor).collect()
    }

    fn alloc(total: i64, weights: &[u64]) -> Vec<i64> {
        minors(&allocate(Money::new(total, dkk()), weights).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn largest_remainder_with_ties_to_earlier_index() {
        assert_eq!(alloc(1_000, &[1, 1, 1]), vec![334, 333, 333]);
        assert_eq!(alloc(-1_000, &[1, 1, 1]), vec![-334, -333, -333]);
        assert_eq!(alloc(100, &[1, 2, 3]), vec![17, 33, 50]);
        // Exact shares 0.5 / 0.5 / 1: the single leftover goes to index 0.
        assert_eq!(alloc(1, &[1, 1]), vec![1, 0]);
        // 5 * [3,7]/10 = 1.5, 3.5: tie on remainder -> earlier index.
        assert_eq!(alloc(5, &[3, 7]), vec![2, 3]);
        // Exact shares 1.4, 2.8, 2.8: the two leftover units go to the .8s.
        assert_eq!(alloc(7, &[1, 2, 2]), vec![1, 3, 3]);
    }

    #[test]
    fn zero_weights_get_nothing_and_zero_total_gives_zeros() {
        assert_eq!(alloc(1_000, &[0, 1, 0, 1]), vec![0, 500, 0, 500]);
        assert_eq!(alloc(1, &[0, 1, 1]), vec![0, 1, 0]);
        assert_eq!(alloc(0, &[3, 4]), vec![0, 0]);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let parts = alloc(i64::MIN, &[u64::MAX, u64::MAX, 1]);
        assert_eq!(
            parts.iter().map(|&p| i128::from(p)).sum::<i128>(),
            i128::from(i64::MIN)
        );
        assert_eq!(alloc(i64::MIN, &[5]), vec![i64::MIN]);
        assert_eq!(alloc(i64::MAX, &[u64::MAX]), vec![i64::MAX]);
    }

    #[test]
    fn empty_or_zero_weights_are_errors() {
        let total = Money::new(1_000, dkk());
        assert_eq!(
            allocate(total, &[]).map_err(|e| e.to_string()),
            Err("cannot allocate 10.00 DKK: no weights given".to_owned())
        );
        assert_eq!(
            allocate(total, &[0, 0]).map_err(|e| e.to_string()),
            Err("cannot allocate 10.00 DKK: all weights are zero".to_owned())
        );
        assert_eq!(
            split_evenly(total, 0).map_err(|e| e.to_string()),
            Err("cannot allocate 10.00 DKK: cannot split into 0 parts".to_owned())
        );
    }

    #[test]
    fn split_evenly_gives_extra_units_to_first_parts() {
        let split = |total, parts| {
            minors(&split_evenly(Money::new(total, dkk()), parts).unwrap_or_else(|e| panic!("{e}")))
        };
        assert_eq!(split(1_000, 3), vec![334, 333, 333]);
        assert_eq!(split(-1_000, 3), vec![-334, -333, -333]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(1_000, 1), vec![1_000]);
    }

    #[test]
    fn prorates_with_rounding() {
        let price = Money::new(30_000, dkk()); // 300.00 for 30 days
        let pro = |amount: Money, used, of, rounding| {
            prorate(amount, used, of, rounding)
                .map(|m| m.amount_minor())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(pro(price, 10, 30, Rounding::HalfUp), 10_000);
        assert_eq!(pro(price, 30, 30, Rounding::HalfUp), 30_000);
        assert_eq!(pro(price, 0, 30, Rounding::HalfUp), 0);
        // 100.00 * 1/3 = 33.333.. ; 100.00 * 2/3 = 66.666..
        let hundred = Money::new(10_000, dkk());
        assert_eq!(pro(hundred, 1, 3, Rounding::HalfUp), 3_333);
        assert_eq!(pro(hundred, 2, 3, Rounding::HalfUp), 6_667);
        assert_eq!(pro(hundred, 2, 3, Rounding::Down), 6_666);
        // 0.01 * 1/2 = 0.005
        let cent = Money::new(1, dkk());
        assert_eq!(pro(cent, 1, 2, Rounding::HalfUp), 1);
        assert_eq!(pro(cent, 1, 2, Rounding::HalfEven), 0);
        assert_eq!(pro(Money::new(-1, dkk()), 1, 2, Rounding::HalfUp), -1);
    }

    #[test]
    fn invalid_proration_is_an_error() {
        let price = Money::new(30_000, dkk());
        assert_eq!(
            prorate(price, 1, 0, Rounding::HalfUp).map_err(|e| e.to_string()),
            Err("cannot prorate 1 of 0: the period must be at least 1".to_owned())
        );
        assert_eq!(
            prorate(price, 31, 30, Rounding::HalfUp).map_err(|e| e.to_string()),
            Err("cannot prorate 31 of 30: the used part is larger than the period".to_owned())
        );
    }
}
