//! Property tests for the invariants other crates rely on.

use civicpay_money::{
    Currency, Money, Rounding, VatRate, allocate, prorate, split_evenly, vat_from_gross,
    vat_from_net,
};
use proptest::prelude::*;

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::all().collect::<Vec<_>>())
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::HalfUp),
        Just(Rounding::HalfEven),
        Just(Rounding::Down)
    ]
}

fn rate() -> impl Strategy<Value = VatRate> {
    (0_u32..=10_000).prop_map(|bp| VatRate::from_basis_points(bp).unwrap_or_else(|e| panic!("{e}")))
}

fn money() -> impl Strategy<Value = Money> {
    (any::<i64>(), currency()).prop_map(|(minor, c)| Money::new(minor, c))
}

/// Amounts biased towards everyday values, plus the full range.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![-1_000_000_i64..1_000_000, any::<i64>()]
}

proptest! {
    #[test]
    fn allocate_never_loses_or_invents_a_minor_unit(
        total in amount(),
        weights in proptest::collection::vec(0_u64..=u64::from(u32::MAX), 1..20),
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let dkk = Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"));
        let parts = allocate(Money::new(total, dkk), &weights)
            .unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(parts.len(), weights.len());

        let sum: i128 = parts.iter().map(|p| i128::from(p.amount_minor())).sum();
        prop_assert_eq!(sum, i128::from(total));

        // |part - total * w / W| < 1, checked in integers: |part * W - total * w| < W.
        // (Weights are capped at u32::MAX so these products fit in i128.)
        let weight_sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
        for (part, &weight) in parts.iter().zip(&weights) {
            prop_assert_eq!(part.currency(), dkk);
            let error = i128::from(part.amount_minor()) * weight_sum
                - i128::from(total) * i128::from(weight);
            prop_assert!(error.abs() < weight_sum, "part {} weight {}", part, weight);
            if weight == 0 {
                prop_assert_eq!(part.amount_minor(), 0);
            }
        }
    }

    #[test]
    fn allocate_sums_exactly_with_huge_weights(
        total in any::<i64>(),
        weights in proptest::collection::vec(any::<u64>(), 1..8),
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let dkk = Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"));
        let parts = allocate(Money::new(total, dkk), &weights)
            .unwrap_or_else(|e| panic!("{e}"));
        let sum: i128 = parts.iter().map(|p| i128::from(p.amount_minor())).sum();
        prop_assert_eq!(sum, i128::from(total));
    }

    #[test]
    fn split_evenly_parts_differ_by_at_most_one(total in amount(), parts in 1_u32..50) {
        let dkk = Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"));
        let split = split_evenly(Money::new(total, dkk), parts).unwrap_or_else(|e| panic!("{e}"));
        let minors: Vec<i64> = split.iter().map(Money::amount_minor).collect();
        let sum: i128 = minors.iter().map(|&m| i128::from(m)).sum();
        prop_assert_eq!(sum, i128::from(total));
        let max = minors.iter().copied().max().unwrap_or(0);
        let min = minors.iter().copied().min().unwrap_or(0);
        prop_assert!(i128::from(max) - i128::from(min) <= 1);
    }

    #[test]
    fn vat_from_gross_net_plus_vat_is_gross(
        gross in amount(), c in currency(), r in rate(), mode in rounding(),
    ) {
        let gross = Money::new(gross, c);
        let split = vat_from_gross(gross, r, mode);
        prop_assert_eq!(split.gross, gross);
        prop_assert_eq!(split.net.checked_add(split.vat), Ok(gross));
        // VAT has the sign of the amount and is at most half of it (rate <= 100 %).
        prop_assert!(!split.vat.is_negative() || gross.is_negative());
        prop_assert!(
            i128::from(split.vat.amount_minor()).abs() * 2
                <= i128::from(gross.amount_minor()).abs() + 1
        );
    }

    #[test]
    fn vat_from_net_net_plus_vat_is_gross(
        net in amount(), c in currency(), r in rate(), mode in rounding(),
    ) {
        let net = Money::new(net, c);
        match vat_from_net(net, r, mode) {
            Ok(split) => {
                prop_assert_eq!(split.net, net);
                prop_assert_eq!(split.net.checked_add(split.vat), Ok(split.gross));
            }
            // Only legitimate failure: the gross amount does not fit in i64.
            Err(_) => prop_assert!(net.amount_minor().unsigned_abs() > u64::MAX / 8),
        }
    }

    #[test]
    fn major_string_round_trips(m in money()) {
        let text = m.to_major_string();
        prop_assert_eq!(Money::parse_major(&text, m.currency()), Ok(m));
    }

    #[test]
    fn decimal_round_trips(m in money(), mode in rounding()) {
        prop_assert_eq!(Money::from_decimal(m.to_decimal(), m.currency(), mode), Ok(m));
    }

    #[test]
    fn prorate_whole_period_is_identity(m in money(), of in 1_u32.., mode in rounding()) {
        prop_assert_eq!(prorate(m, of, of, mode), Ok(m));
        prop_assert_eq!(prorate(m, 0, of, mode), Ok(Money::zero(m.currency())));
    }

    #[test]
    fn prorate_is_within_one_unit_of_exact(
        amount in amount(), used in 0_u32..1_000, extra in 0_u32..1_000, mode in rounding(),
    ) {
        let of = used + extra + 1;
        let dkk = Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"));
        let part = prorate(Money::new(amount, dkk), used, of, mode)
            .unwrap_or_else(|e| panic!("{e}"));
        let error = i128::from(part.amount_minor()) * i128::from(of)
            - i128::from(amount) * i128::from(used);
        prop_assert!(error.abs() < i128::from(of));
    }

    #[test]
    fn vat_rate_display_round_trips(bp in 0_u32..=10_000) {
        let r = VatRate::from_basis_points(bp).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(VatRate::parse(&r.to_string()), Ok(r));
    }
}
