//! Pricing of parking permits and their corrections: what a new permit, a renewal, an
//! extension, a cancellation or a change of zone costs (or gives back), with a line-by-line
//! explanation the citizen and the caseworker can read. Pure arithmetic over [`Money`] and
//! dates; no floating point, every rounding explicit (half-up, through
//! [`civicpay_money::prorate`]).
//!
//! # Sign convention
//!
//! A quote's amounts are what the citizen pays: positive is a charge, negative is money the
//! council pays back (a [`QuoteLineKind::Credit`]). A cancellation quote's total is therefore
//! zero or negative.
//!
//! # Dates
//!
//! Periods are inclusive at both ends (`2026-01-01..=2026-12-31` is a one-year permit). A
//! *change date* (`cancel_on`, `change_on`) is the first day the new state applies: a permit
//! cancelled on 2026-07-15 is valid up to and including 2026-07-14; a zone change on
//! 2026-07-15 puts the permit in the new zone from that day.
//!
//! # Proration
//!
//! [`ProrationUnit::Month`] counts *period months*: months anchored at the period's first day
//! (a period from 2026-03-15 has months 03-15..04-14, 04-15..05-14, …; from the 31st, a month
//! starts on the last day of shorter months). The period has as many months as start inside
//! it, so a final partial month counts as one.
//!
//! - **Charges** (an extension, the new zone's price): every period month with at least one day
//!   in the charged part is charged in full.
//! - **Refunds** (a cancellation, the old zone's price): only period months that have not yet
//!   started on the change date are given back — the month the change falls in has started
//!   and is kept. Refund = paid − the charge for the used part, so charge and refund of one
//!   period always add up to what was paid, to the minor unit.
//!
//! [`ProrationUnit::Day`] counts days the same way: charged days / days in the period, and a
//! refund gives back the days from the change date on.
//!
//! Example: 1620.00 DKK for 2026-01-01..=2026-12-31, cancelled on 2026-07-15. By month, January
//! to July are used, August to December (5 of 12 months) are refunded: 675.00. By day, the
//! 195 days up to 2026-07-14 are kept (1620.00 × 195/365 = 865.48) and 754.52 refunded.
//!
//! An extension is priced against one year starting the day after the permit's current end:
//! the annual price × months (or days) of the extension / months (or days) of that year. An
//! extension of more than one year is refused (that is a renewal).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use civicpay_money::{Currency, Money, MoneyError, Rounding, prorate};
use serde::{Deserialize, Serialize};

use crate::{ProductKind, Sku};

/// The stable message keys of quote lines; the caller localizes them.
pub mod labels {
    /// The product's price (or the price of the renewed period).
    pub const BASE: &str = "price.base";
    /// The adjustment from the product's own price to its emission-class price.
    pub const EMISSION: &str = "price.emission";
    /// The charge for the extension of a permit.
    pub const EXTENSION: &str = "price.extension";
    /// The fee of a permit correction (renewal, extension, change of address, …).
    pub const CORRECTION_FEE: &str = "price.correction_fee";
    /// A delivery fee, e.g. the registered-letter fee (S0-7).
    pub const DELIVERY_FEE: &str = "price.delivery_fee";
    /// The refund for the unused part of a cancelled permit.
    pub const REFUND_UNUSED: &str = "price.refund_unused";
    /// The credit for the old zone's price for the rest of the period.
    pub const ZONE_CHANGE_OLD: &str = "price.zone_change_old_zone";
    /// The charge for the new zone's price for the rest of the period.
    pub const ZONE_CHANGE_NEW: &str = "price.zone_change_new_zone";
}

/// Everything that can make a price impossible to compute; each message names the values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the period {from}..={to} ends before it starts")]
    ReversedPeriod { from: NaiveDate, to: NaiveDate },
    #[error("the part {from}..={to} ends before it starts")]
    ReversedPart { from: NaiveDate, to: NaiveDate },
    #[error(
        "the part {part_from}..={part_to} is not inside the period {period_from}..={period_to}"
    )]
    PartOutsidePeriod {
        part_from: NaiveDate,
        part_to: NaiveDate,
        period_from: NaiveDate,
        period_to: NaiveDate,
    },
    #[error("an extension must end after the permit's current end {permit_to}; got {new_to}")]
    ExtensionNotLater {
        permit_to: NaiveDate,
        new_to: NaiveDate,
    },
    #[error(
        "an extension from {from} to {new_to} is longer than one year (at most {max}); renew the permit instead"
    )]
    ExtensionTooLong {
        from: NaiveDate,
        new_to: NaiveDate,
        max: NaiveDate,
    },
    #[error("{what} cannot be negative (got {amount})")]
    NegativeAmount { what: &'static str, amount: Money },
    #[error("a {got} amount cannot join a quote or sum in {expected}")]
    CurrencyMismatch { expected: Currency, got: Currency },
    #[error("date arithmetic from {0} leaves the supported calendar range")]
    DateOutOfRange(NaiveDate),
    #[error("a quote's total {total} is not the sum of its lines ({sum})")]
    TotalMismatch { total: Money, sum: Money },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// How a price for a period is shared out over part of it (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProrationUnit {
    /// Period months; a started month counts in full (charged, and not refunded).
    #[default]
    Month,
    /// Days.
    Day,
}

impl ProrationUnit {
    pub const ALL: [ProrationUnit; 2] = [ProrationUnit::Month, ProrationUnit::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            ProrationUnit::Month => "month",
            ProrationUnit::Day => "day",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "proration unit",
                value: raw.to_owned(),
                expected: "\"month\" or \"day\"",
            })
    }
}

impl fmt::Display for ProrationUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), PricingError> {
    if to < from {
        Err(PricingError::ReversedPeriod { from, to })
    } else {
        Ok(())
    }
}

/// The first day of period month `k` of a period starting on `anchor` (end-of-month clamped).
fn month_start(anchor: NaiveDate, k: u32) -> Result<NaiveDate, PricingError> {
    anchor
        .checked_add_months(Months::new(k))
        .ok_or(PricingError::DateOutOfRange(anchor))
}

/// The 0-based index of the period month holding `date` (`date >= anchor`).
fn month_index(anchor: NaiveDate, date: NaiveDate) -> Result<u32, PricingError> {
    let months = (i64::from(date.year()) - i64::from(anchor.year())) * 12 + i64::from(date.month())
        - i64::from(anchor.month());
    let mut k = u32::try_from(months).map_err(|_| PricingError::DateOutOfRange(anchor))?;
    // Month k starts in date's calendar month; if on a later day, date is still in month k-1.
    if k > 0 && month_start(anchor, k)? > date {
        k -= 1;
    }
    Ok(k)
}

/// Days in `from..=to` (`from <= to`).
fn days_in(from: NaiveDate, to: NaiveDate) -> Result<u32, PricingError> {
    let days = to.signed_duration_since(from).num_days() + 1;
    u32::try_from(days).map_err(|_| PricingError::DateOutOfRange(from))
}

fn next_day(date: NaiveDate) -> Result<NaiveDate, PricingError> {
    date.checked_add_days(Days::new(1))
        .ok_or(PricingError::DateOutOfRange(date))
}

fn previous_day(date: NaiveDate) -> Result<NaiveDate, PricingError> {
    date.checked_sub_days(Days::new(1))
        .ok_or(PricingError::DateOutOfRange(date))
}

/// The share of `amount` (the price of the whole period) for the part
/// `part_from..=part_to_inclusive` of the period `period_from..=period_to_inclusive`, rounded
/// half-up to the minor unit.
///
/// - [`ProrationUnit::Month`]: period months with at least one day in the part / period months
///   in the period (a started month counts in full).
/// - [`ProrationUnit::Day`]: days in the part / days in the period.
///
/// The whole period gives exactly `amount`. Errors if either range ends before it starts or the
/// part is not inside the period.
pub fn prorate_period(
    amount: Money,
    period_from: NaiveDate,
    period_to_inclusive: NaiveDate,
    part_from: NaiveDate,
    part_to_inclusive: NaiveDate,
    unit: ProrationUnit,
) -> Result<Money, PricingError> {
    check_period(period_from, period_to_inclusive)?;
    if part_to_inclusive < part_from {
        return Err(PricingError::ReversedPart {
            from: part_from,
            to: part_to_inclusive,
        });
    }
    if part_from < period_from || part_to_inclusive > period_to_inclusive {
        return Err(PricingError::PartOutsidePeriod {
            part_from,
            part_to: part_to_inclusive,
            period_from,
            period_to: period_to_inclusive,
        });
    }
    let (used, of) = match unit {
        ProrationUnit::Month => (
            month_index(period_from, part_to_inclusive)? - month_index(period_from, part_from)? + 1,
            month_index(period_from, period_to_inclusive)? + 1,
        ),
        ProrationUnit::Day => (
            days_in(part_from, part_to_inclusive)?,
            days_in(period_from, period_to_inclusive)?,
        ),
    };
    Ok(prorate(amount, used, of, Rounding::HalfUp)?)
}

/// The share of `amount` (the price of the whole period) that is not used when the permit
/// stops (or changes) on `on`: `amount` − the charge for `period_from..on` (exclusive of `on`),
/// so only period months not started before `on` (or days from `on`) are given back.
/// `amount` in full when `on` is not after the period's start; zero when `on` is after its end.
pub fn unused_share(
    amount: Money,
    period_from: NaiveDate,
    period_to_inclusive: NaiveDate,
    on: NaiveDate,
    unit: ProrationUnit,
) -> Result<Money, PricingError> {
    check_period(period_from, period_to_inclusive)?;
    if on <= period_from {
        return Ok(amount);
    }
    if on > period_to_inclusive {
        return Ok(Money::zero(amount.currency()));
    }
    let used = prorate_period(
        amount,
        period_from,
        period_to_inclusive,
        period_from,
        previous_day(on)?,
        unit,
    )?;
    Ok(amount.checked_sub(used)?)
}

/// The dates [`unused_share`] pays for: from the first period month not started before `on`
/// (by day: from `on`) to the period's end; `None` when nothing remains.
pub fn unused_part(
    period_from: NaiveDate,
    period_to_inclusive: NaiveDate,
    on: NaiveDate,
    unit: ProrationUnit,
) -> Result<Option<(NaiveDate, NaiveDate)>, PricingError> {
    check_period(period_from, period_to_inclusive)?;
    if on <= period_from {
        return Ok(Some((period_from, period_to_inclusive)));
    }
    if on > period_to_inclusive {
        return Ok(None);
    }
    let first = match unit {
        ProrationUnit::Month => {
            let started = month_index(period_from, previous_day(on)?)?;
            month_start(period_from, started + 1)?
        }
        ProrationUnit::Day => on,
    };
    Ok((first <= period_to_inclusive).then_some((first, period_to_inclusive)))
}

/// Normalizes a fuel class as a vehicle register gives it (`"Benzine"`, `" petrol"`) to the
/// form emission tables are keyed by: trimmed and lower-case.
pub fn normalize_fuel_class(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Prices by the vehicle's fuel class for some products, from a date on (S0-2: Copenhagen
/// prices resident permits by the car's emissions). A table replaces the product's own price
/// for the classes it lists; a class it does not list pays the product's own price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmissionTable {
    /// The products the table prices.
    pub products: Vec<Sku>,
    /// The first day the table applies (inclusive, in the council's time zone).
    pub effective_from: NaiveDate,
    /// Fuel class as the vehicle register gives it, normalized by [`normalize_fuel_class`]
    /// (e.g. `"electric"`), to the gross price of the whole permit period.
    pub prices: BTreeMap<String, Money>,
}

/// The emission-class price of `sku` for a vehicle of `fuel_class` on `on`: from the table with
/// the latest `effective_from` not after `on` among those listing `sku` (a later table replaces
/// an earlier one wholesale; on a tie, the later one in the slice). `None` when no table is in
/// force for the product or that table does not list the class: the product's own price
/// applies.
pub fn emission_price(
    tables: &[EmissionTable],
    sku: &Sku,
    fuel_class: &str,
    on: NaiveDate,
) -> Option<Money> {
    let table = tables
        .iter()
        .filter(|t| t.effective_from <= on && t.products.contains(sku))
        .max_by_key(|t| t.effective_from)?;
    table.prices.get(&normalize_fuel_class(fuel_class)).copied()
}

/// How an order reaches the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Sent by post.
    Post,
    /// Collected at the counter (or digital: nothing is posted).
    Pickup,
}

/// S0-7: period cards or scratch tickets over 500 kr sent by post add a registered-letter fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredLetterRule {
    /// The fee product added to the order (kind `fee`).
    pub fee_sku: Sku,
    /// The product kinds whose value counts, e.g. period cards and scratch tickets.
    pub kinds: Vec<ProductKind>,
    /// The fee applies when the value of those lines is strictly greater than this.
    pub above: Money,
}

/// Whether the registered-letter fee applies to an order of `lines` (kind and gross amount of
/// each line, quantity already multiplied in): only when sent by post, and when the **sum** of
/// the lines of the rule's kinds is **strictly greater** than `rule.above` (two 300.00 cards
/// are 600.00 of value in one letter; exactly 500.00 adds no fee). Lines of other kinds are
/// ignored. Errors if a counted line is in another currency than `rule.above`.
pub fn registered_letter_applies(
    rule: &RegisteredLetterRule,
    delivery: Delivery,
    lines: &[(ProductKind, Money)],
) -> Result<bool, PricingError> {
    if delivery != Delivery::Post {
        return Ok(false);
    }
    let currency = rule.above.currency();
    let mut sum: i128 = 0;
    for (kind, amount) in lines {
        if !rule.kinds.contains(kind) {
            continue;
        }
        if amount.currency() != currency {
            return Err(PricingError::CurrencyMismatch {
                expected: currency,
                got: amount.currency(),
            });
        }
        // i128 holds any realistic number of i64 lines without overflow.
        sum = sum.saturating_add(i128::from(amount.amount_minor()));
    }
    Ok(sum > i128::from(rule.above.amount_minor()))
}

/// What a quote line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteLineKind {
    Base,
    Emission,
    Proration,
    CorrectionFee,
    DeliveryFee,
    Credit,
}

/// One line of a price explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub kind: QuoteLineKind,
    /// The product the line is booked to, when there is one.
    pub sku: Option<Sku>,
    /// A stable message key from [`labels`], e.g. `"price.base"`; the caller localizes it.
    pub label: String,
    /// Positive is a charge, negative a credit (money back).
    pub amount: Money,
    /// The dates the line covers (inclusive), for prorated lines.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

impl QuoteLine {
    pub fn new(kind: QuoteLineKind, sku: Option<Sku>, label: &str, amount: Money) -> Self {
        QuoteLine {
            kind,
            sku,
            label: label.to_owned(),
            amount,
            period: None,
        }
    }

    pub fn with_period(mut self, period: Option<(NaiveDate, NaiveDate)>) -> Self {
        self.period = period;
        self
    }
}

/// A product and its price, as a quote needs them: the SKU the line is booked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedItem {
    pub sku: Sku,
    pub amount: Money,
}

impl PricedItem {
    pub fn new(sku: Sku, amount: Money) -> Self {
        PricedItem { sku, amount }
    }
}

/// A price with its explanation: lines in one currency and their exact sum. Only built by
/// [`QuoteBuilder`] (or deserialized, which re-checks), so `total` is always the sum of `lines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawQuote")]
pub struct PriceQuote {
    lines: Vec<QuoteLine>,
    total: Money,
}

#[derive(Deserialize)]
struct RawQuote {
    lines: Vec<QuoteLine>,
    total: Money,
}

impl TryFrom<RawQuote> for PriceQuote {
    type Error = PricingError;
    fn try_from(raw: RawQuote) -> Result<Self, Self::Error> {
        let mut builder = QuoteBuilder::new(raw.total.currency());
        for line in raw.lines {
            builder.push(line)?;
        }
        let quote = builder.build();
        if quote.total != raw.total {
            return Err(PricingError::TotalMismatch {
                total: raw.total,
                sum: quote.total,
            });
        }
        Ok(quote)
    }
}

impl PriceQuote {
    pub fn lines(&self) -> &[QuoteLine] {
        &self.lines
    }
    /// The sum of the lines: what the citizen pays (negative: what they get back).
    pub fn total(&self) -> Money {
        self.total
    }
    pub fn currency(&self) -> Currency {
        self.total.currency()
    }
}

/// Collects quote lines, summing exactly and refusing a line in another currency.
#[derive(Debug, Clone)]
pub struct QuoteBuilder {
    lines: Vec<QuoteLine>,
    total: Money,
}

impl QuoteBuilder {
    pub fn new(currency: Currency) -> Self {
        QuoteBuilder {
            lines: Vec::new(),
            total: Money::zero(currency),
        }
    }

    /// Adds a line; errors (and leaves the builder unchanged) on another currency or overflow.
    pub fn push(&mut self, line: QuoteLine) -> Result<(), PricingError> {
        if line.amount.currency() != self.total.currency() {
            return Err(PricingError::CurrencyMismatch {
                expected: self.total.currency(),
                got: line.amount.currency(),
            });
        }
        self.total = self.total.checked_add(line.amount)?;
        self.lines.push(line);
        Ok(())
    }

    pub fn build(self) -> PriceQuote {
        PriceQuote {
            lines: self.lines,
            total: self.total,
        }
    }
}

fn not_negative(what: &'static str, amount: Money) -> Result<(), PricingError> {
    if amount.is_negative() {
        Err(PricingError::NegativeAmount { what, amount })
    } else {
        Ok(())
    }
}

/// The base line, plus an emission line adjusting it to the emission-class price.
fn base_and_emission(
    builder: &mut QuoteBuilder,
    base: &PricedItem,
    emission: Option<Money>,
) -> Result<(), PricingError> {
    not_negative("a price", base.amount)?;
    builder.push(QuoteLine::new(
        QuoteLineKind::Base,
        Some(base.sku.clone()),
        labels::BASE,
        base.amount,
    ))?;
    if let Some(emission) = emission {
        not_negative("an emission price", emission)?;
        builder.push(QuoteLine::new(
            QuoteLineKind::Emission,
            Some(base.sku.clone()),
            labels::EMISSION,
            emission.checked_sub(base.amount)?,
        ))?;
    }
    Ok(())
}

fn fee_line(
    builder: &mut QuoteBuilder,
    kind: QuoteLineKind,
    label: &str,
    fee: Option<&PricedItem>,
) -> Result<(), PricingError> {
    if let Some(fee) = fee {
        not_negative("a fee", fee.amount)?;
        builder.push(QuoteLine::new(
            kind,
            Some(fee.sku.clone()),
            label,
            fee.amount,
        ))?;
    }
    Ok(())
}

/// A new permit: its price (`Base`), adjusted to the emission-class price when there is one
/// (`Emission` = emission price − base, so the total is the emission price), plus an optional
/// delivery fee.
pub fn quote_new_permit(
    base: &PricedItem,
    emission: Option<Money>,
    delivery_fee: Option<&PricedItem>,
) -> Result<PriceQuote, PricingError> {
    let mut builder = QuoteBuilder::new(base.amount.currency());
    base_and_emission(&mut builder, base, emission)?;
    fee_line(
        &mut builder,
        QuoteLineKind::DeliveryFee,
        labels::DELIVERY_FEE,
        delivery_fee,
    )?;
    Ok(builder.build())
}

/// A renewal: the price in force on the new period's first day (`annual`), adjusted to the
/// emission-class price on that day when there is one, plus the renewal fee.
pub fn quote_renewal(
    annual: &PricedItem,
    emission: Option<Money>,
    fee: Option<&PricedItem>,
) -> Result<PriceQuote, PricingError> {
    let mut builder = QuoteBuilder::new(annual.amount.currency());
    base_and_emission(&mut builder, annual, emission)?;
    fee_line(
        &mut builder,
        QuoteLineKind::CorrectionFee,
        labels::CORRECTION_FEE,
        fee,
    )?;
    Ok(builder.build())
}

/// Extending `permit_from..=permit_to` to `new_to`: `annual` (the year's price, emission class
/// applied, in force when the extension starts) prorated over the extension
/// `permit_to + 1..=new_to` within the year starting on `permit_to + 1` (a started month is
/// charged in full), plus the extension fee. The extension must end after `permit_to` and be at
/// most one year long.
pub fn quote_extension(
    annual: &PricedItem,
    permit_from: NaiveDate,
    permit_to: NaiveDate,
    new_to: NaiveDate,
    unit: ProrationUnit,
    fee: Option<&PricedItem>,
) -> Result<PriceQuote, PricingError> {
    check_period(permit_from, permit_to)?;
    not_negative("a price", annual.amount)?;
    if new_to <= permit_to {
        return Err(PricingError::ExtensionNotLater { permit_to, new_to });
    }
    let from = next_day(permit_to)?;
    let year_end = previous_day(month_start(from, 12)?)?;
    if new_to > year_end {
        return Err(PricingError::ExtensionTooLong {
            from,
            new_to,
            max: year_end,
        });
    }
    let amount = prorate_period(annual.amount, from, year_end, from, new_to, unit)?;
    let mut builder = QuoteBuilder::new(annual.amount.currency());
    builder.push(
        QuoteLine::new(
            QuoteLineKind::Proration,
            Some(annual.sku.clone()),
            labels::EXTENSION,
            amount,
        )
        .with_period(Some((from, new_to))),
    )?;
    fee_line(
        &mut builder,
        QuoteLineKind::CorrectionFee,
        labels::CORRECTION_FEE,
        fee,
    )?;
    Ok(builder.build())
}

/// Cancelling `permit_from..=permit_to`, for which `paid` was paid, from `cancel_on` (the first
/// day it is no longer valid): one `Credit` line of −[`unused_share`] — only months not started
/// before `cancel_on` (by day: the days from it) are refunded. The total is between −paid and
/// zero; zero (with no period) when nothing remains.
pub fn quote_cancellation_refund(
    paid: &PricedItem,
    permit_from: NaiveDate,
    permit_to: NaiveDate,
    cancel_on: NaiveDate,
    unit: ProrationUnit,
) -> Result<PriceQuote, PricingError> {
    not_negative("a paid amount", paid.amount)?;
    let refund = unused_share(paid.amount, permit_from, permit_to, cancel_on, unit)?;
    let period = unused_part(permit_from, permit_to, cancel_on, unit)?;
    let credit = Money::zero(refund.currency()).checked_sub(refund)?;
    let mut builder = QuoteBuilder::new(paid.amount.currency());
    builder.push(
        QuoteLine::new(
            QuoteLineKind::Credit,
            Some(paid.sku.clone()),
            labels::REFUND_UNUSED,
            credit,
        )
        .with_period(period),
    )?;
    Ok(builder.build())
}

/// Moving `permit_from..=permit_to` from the zone product `old` to `new` from `change_on` (the
/// first day in the new zone). `old.amount` is what was paid for the whole period (emission
/// class applied) and `new.amount` the new zone's price for the same period on the same terms.
/// For the part not started before `change_on` (as for a refund) the old price is credited and
/// the new one charged: a `Credit` line and a `Proration` line over the same dates, plus the
/// fee. Total positive = the citizen pays, negative = the council refunds. Changing back on the
/// same date nets to exactly zero (fees aside).
pub fn quote_zone_change(
    old: &PricedItem,
    new: &PricedItem,
    permit_from: NaiveDate,
    permit_to: NaiveDate,
    change_on: NaiveDate,
    unit: ProrationUnit,
    fee: Option<&PricedItem>,
) -> Result<PriceQuote, PricingError> {
    not_negative("a price", old.amount)?;
    not_negative("a price", new.amount)?;
    let period = unused_part(permit_from, permit_to, change_on, unit)?;
    let old_rest = unused_share(old.amount, permit_from, permit_to, change_on, unit)?;
    let new_rest = unused_share(new.amount, permit_from, permit_to, change_on, unit)?;
    let mut builder = QuoteBuilder::new(old.amount.currency());
    builder.push(
        QuoteLine::new(
            QuoteLineKind::Credit,
            Some(old.sku.clone()),
            labels::ZONE_CHANGE_OLD,
            Money::zero(old_rest.currency()).checked_sub(old_rest)?,
        )
        .with_period(period),
    )?;
    builder.push(
        QuoteLine::new(
            QuoteLineKind::Proration,
            Some(new.sku.clone()),
            labels::ZONE_CHANGE_NEW,
            new_rest,
        )
        .with_period(period),
    )?;
    fee_line(
        &mut builder,
        QuoteLineKind::CorrectionFee,
        labels::CORRECTION_FEE,
        fee,
    )?;
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dkk() -> Currency {
        Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"))
    }
    fn kr(text: &str) -> Money {
        Money::parse_major(text, dkk()).unwrap_or_else(|e| panic!("{e}"))
    }
    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn item(s: &str, amount: &str) -> PricedItem {
        PricedItem::new(sku(s), kr(amount))
    }
    fn ok<T>(result: Result<T, PricingError>) -> T {
        result.unwrap_or_else(|e| panic!("{e}"))
    }
    /// (kind, sku, amount, period) of a line, for exact assertions.
    type Summary = (QuoteLineKind, String, String, Option<(String, String)>);

    fn summary(quote: &PriceQuote) -> Vec<Summary> {
        quote
            .lines()
            .iter()
            .map(|l| {
                (
                    l.kind,
                    l.sku.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                    l.amount.to_major_string(),
                    l.period.map(|(a, b)| (a.to_string(), b.to_string())),
                )
            })
            .collect()
    }
    fn period(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_owned(), b.to_owned()))
    }

    const Y_FROM: &str = "2026-01-01";
    const Y_TO: &str = "2026-12-31";

    #[test]
    fn cancellation_by_month_refunds_only_months_not_started() {
        // 1620.00 a year = 135.00 a month; cancelled 2026-07-15: Aug-Dec = 5 x 135.00 = 675.00.
        let paid = item("P-RES-K1", "1620.00");
        let quote = ok(quote_cancellation_refund(
            &paid,
            date(Y_FROM),
            date(Y_TO),
            date("2026-07-15"),
            ProrationUnit::Month,
        ));
        assert_eq!(quote.total(), kr("-675.00"));
        assert_eq!(
            summary(&quote),
            [(
                QuoteLineKind::Credit,
                "P-RES-K1".into(),
                "-675.00".into(),
                period("2026-08-01", Y_TO)
            )]
        );
        assert_eq!(quote.lines()[0].label, "price.refund_unused");

        let refund = |on: &str| {
            ok(quote_cancellation_refund(
                &paid,
                date(Y_FROM),
                date(Y_TO),
                date(on),
                ProrationUnit::Month,
            ))
            .total()
            .to_major_string()
        };
        // Valid up to 07-31 (cancel from 08-01): August has not started, still 675.00.
        assert_eq!(refund("2026-08-01"), "-675.00");
        // Cancel from 08-02: August has started (one day used) and is kept.
        assert_eq!(refund("2026-08-02"), "-540.00");
        assert_eq!(refund("2026-07-01"), "-810.00");
        assert_eq!(refund(Y_FROM), "-1620.00");
        assert_eq!(refund("2025-11-01"), "-1620.00");
        // December has started: nothing left.
        assert_eq!(refund("2026-12-02"), "0.00");
        assert_eq!(refund("2027-01-01"), "0.00");
        let none = ok(quote_cancellation_refund(
            &paid,
            date(Y_FROM),
            date(Y_TO),
            date("2026-12-31"),
            ProrationUnit::Month,
        ));
        assert_eq!(
            summary(&none),
            [(
                QuoteLineKind::Credit,
                "P-RES-K1".into(),
                "0.00".into(),
                None
            )]
        );
    }

    #[test]
    fn cancellation_by_day_refunds_the_days_from_the_cancel_date() {
        // 195 days used (2026-01-01..=07-14): kept 1620.00 x 195/365 = 865.479.. -> 865.48;
        // refund 1620.00 - 865.48 = 754.52 for 2026-07-15..=12-31 (170 days).
        let quote = ok(quote_cancellation_refund(
            &item("P-RES-K1", "1620.00"),
            date(Y_FROM),
            date(Y_TO),
            date("2026-07-15"),
            ProrationUnit::Day,
        ));
        assert_eq!(
            summary(&quote),
            [(
                QuoteLineKind::Credit,
                "P-RES-K1".into(),
                "-754.52".into(),
                period("2026-07-15", Y_TO)
            )]
        );
    }

    #[test]
    fn prorate_period_counts_started_months_or_days() {
        let whole = kr("1620.00");
        let p = |from: &str, to: &str, unit| {
            ok(prorate_period(
                whole,
                date(Y_FROM),
                date(Y_TO),
                date(from),
                date(to),
                unit,
            ))
            .to_major_string()
        };
        // March and April are both touched: 2 x 135.00.
        assert_eq!(
            p("2026-03-10", "2026-04-02", ProrationUnit::Month),
            "270.00"
        );
        assert_eq!(
            p("2026-03-01", "2026-03-31", ProrationUnit::Month),
            "135.00"
        );
        assert_eq!(p(Y_FROM, Y_TO, ProrationUnit::Month), "1620.00");
        assert_eq!(p(Y_FROM, Y_TO, ProrationUnit::Day), "1620.00");
        // 24 days: 1620.00 x 24/365 = 106.520.. -> 106.52.
        assert_eq!(p("2026-03-10", "2026-04-02", ProrationUnit::Day), "106.52");
        // One day of 365: 4.438.. -> 4.44.
        assert_eq!(p("2026-06-01", "2026-06-01", ProrationUnit::Day), "4.44");
    }

    #[test]
    fn period_months_are_anchored_at_the_period_start() {
        // A permit from 2026-03-15: months run 03-15..04-14, 04-15..05-14, …, 2027-02-15..03-14.
        let (from, to) = (date("2026-03-15"), date("2027-03-14"));
        let share = |a: &str, b: &str| {
            ok(prorate_period(
                kr("1200.00"),
                from,
                to,
                date(a),
                date(b),
                ProrationUnit::Month,
            ))
            .to_major_string()
        };
        assert_eq!(share("2026-03-15", "2026-04-14"), "100.00");
        assert_eq!(share("2026-04-14", "2026-04-15"), "200.00");
        assert_eq!(share("2027-02-15", "2027-03-14"), "100.00");
        // From the 31st, months start on the last day of shorter months.
        assert_eq!(ok(month_index(date("2026-01-31"), date("2026-02-27"))), 0);
        assert_eq!(ok(month_index(date("2026-01-31"), date("2026-02-28"))), 1);
        assert_eq!(ok(month_index(date("2026-01-31"), date("2026-03-30"))), 1);
        assert_eq!(ok(month_index(date("2026-01-31"), date("2026-03-31"))), 2);
        // A final partial month counts as a month: 2026-01-15..=12-31 has 12 months.
        assert_eq!(
            ok(prorate_period(
                kr("1200.00"),
                date("2026-01-15"),
                date(Y_TO),
                date("2026-12-15"),
                date(Y_TO),
                ProrationUnit::Month,
            )),
            kr("100.00")
        );
        assert_eq!(
            ok(unused_part(
                from,
                to,
                date("2026-05-20"),
                ProrationUnit::Month
            )),
            Some((date("2026-06-15"), to))
        );
    }

    #[test]
    fn bad_dates_are_errors() {
        let amount = kr("100.00");
        assert!(matches!(
            prorate_period(
                amount,
                date(Y_TO),
                date(Y_FROM),
                date(Y_TO),
                date(Y_TO),
                ProrationUnit::Day
            ),
            Err(PricingError::ReversedPeriod { .. })
        ));
        assert!(matches!(
            prorate_period(
                amount,
                date(Y_FROM),
                date(Y_TO),
                date("2026-05-02"),
                date("2026-05-01"),
                ProrationUnit::Day
            ),
            Err(PricingError::ReversedPart { .. })
        ));
        assert!(matches!(
            prorate_period(
                amount,
                date(Y_FROM),
                date(Y_TO),
                date("2026-12-01"),
                date("2027-01-01"),
                ProrationUnit::Month
            ),
            Err(PricingError::PartOutsidePeriod { .. })
        ));
        assert!(matches!(
            quote_cancellation_refund(
                &item("P-RES-K1", "-1.00"),
                date(Y_FROM),
                date(Y_TO),
                date("2026-02-01"),
                ProrationUnit::Month
            ),
            Err(PricingError::NegativeAmount { .. })
        ));
        assert!(matches!(
            quote_cancellation_refund(
                &item("P-RES-K1", "1.00"),
                date(Y_TO),
                date(Y_FROM),
                date("2026-02-01"),
                ProrationUnit::Month
            ),
            Err(PricingError::ReversedPeriod { .. })
        ));
        let message = PricingError::ReversedPeriod {
            from: date(Y_TO),
            to: date(Y_FROM),
        }
        .to_string();
        assert_eq!(
            message,
            "the period 2026-12-31..=2026-01-01 ends before it starts"
        );
    }

    #[test]
    fn extension_is_the_annual_price_for_the_extra_months_plus_the_fee() {
        // 2027 price 1740.00 = 145.00 a month; extended by Jan-Mar 2027: 435.00 + 50.00 fee.
        let annual = item("P-RES-K1", "1740.00");
        let fee = item("C-EXTEND", "50.00");
        let quote = ok(quote_extension(
            &annual,
            date(Y_FROM),
            date(Y_TO),
            date("2027-03-31"),
            ProrationUnit::Month,
            Some(&fee),
        ));
        assert_eq!(quote.total(), kr("485.00"));
        assert_eq!(
            summary(&quote),
            [
                (
                    QuoteLineKind::Proration,
                    "P-RES-K1".into(),
                    "435.00".into(),
                    period("2027-01-01", "2027-03-31")
                ),
                (
                    QuoteLineKind::CorrectionFee,
                    "C-EXTEND".into(),
                    "50.00".into(),
                    None
                ),
            ]
        );
        // A started month is charged in full: to 2027-03-02 is still three months.
        let to_march_2 = ok(quote_extension(
            &annual,
            date(Y_FROM),
            date(Y_TO),
            date("2027-03-02"),
            ProrationUnit::Month,
            None,
        ));
        assert_eq!(to_march_2.total(), kr("435.00"));
        // By day: 90 of 365 days: 1740.00 x 90/365 = 429.041.. -> 429.04, + 50.00.
        let by_day = ok(quote_extension(
            &annual,
            date(Y_FROM),
            date(Y_TO),
            date("2027-03-31"),
            ProrationUnit::Day,
            Some(&fee),
        ));
        assert_eq!(by_day.total(), kr("479.04"));
        // A full year is the annual price; longer, or not later, is refused.
        let year = ok(quote_extension(
            &annual,
            date(Y_FROM),
            date(Y_TO),
            date("2027-12-31"),
            ProrationUnit::Day,
            None,
        ));
        assert_eq!(year.total(), kr("1740.00"));
        assert!(matches!(
            quote_extension(
                &annual,
                date(Y_FROM),
                date(Y_TO),
                date("2028-01-01"),
                ProrationUnit::Month,
                None
            ),
            Err(PricingError::ExtensionTooLong { .. })
        ));
        assert!(matches!(
            quote_extension(
                &annual,
                date(Y_FROM),
                date(Y_TO),
                date(Y_TO),
                ProrationUnit::Month,
                None
            ),
            Err(PricingError::ExtensionNotLater { .. })
        ));
    }

    #[test]
    fn zone_change_credits_the_old_and_charges_the_new_price_for_months_not_started() {
        // 1620.00 -> 1200.00 on 2026-07-15: Aug-Dec is 5/12: credit 675.00, charge 500.00.
        let quote = ok(quote_zone_change(
            &item("P-RES-K1", "1620.00"),
            &item("P-RES-K2", "1200.00"),
            date(Y_FROM),
            date(Y_TO),
            date("2026-07-15"),
            ProrationUnit::Month,
            Some(&item("C-ADDRESS", "0.00")),
        ));
        assert_eq!(quote.total(), kr("-175.00"));
        assert_eq!(
            summary(&quote),
            [
                (
                    QuoteLineKind::Credit,
                    "P-RES-K1".into(),
                    "-675.00".into(),
                    period("2026-08-01", Y_TO)
                ),
                (
                    QuoteLineKind::Proration,
                    "P-RES-K2".into(),
                    "500.00".into(),
                    period("2026-08-01", Y_TO)
                ),
                (
                    QuoteLineKind::CorrectionFee,
                    "C-ADDRESS".into(),
                    "0.00".into(),
                    None
                ),
            ]
        );
        // The other way round is a charge of the same size.
        let back = ok(quote_zone_change(
            &item("P-RES-K2", "1200.00"),
            &item("P-RES-K1", "1620.00"),
            date(Y_FROM),
            date(Y_TO),
            date("2026-07-15"),
            ProrationUnit::Month,
            None,
        ));
        assert_eq!(back.total(), kr("175.00"));
    }

    #[test]
    fn new_permit_and_renewal_apply_the_emission_price() {
        // Electric car: 1620.00 base, emission price 465.00 -> adjustment -1155.00.
        let quote = ok(quote_new_permit(
            &item("P-RES-K1", "1620.00"),
            Some(kr("465.00")),
            None,
        ));
        assert_eq!(quote.total(), kr("465.00"));
        assert_eq!(
            summary(&quote),
            [
                (
                    QuoteLineKind::Base,
                    "P-RES-K1".into(),
                    "1620.00".into(),
                    None
                ),
                (
                    QuoteLineKind::Emission,
                    "P-RES-K1".into(),
                    "-1155.00".into(),
                    None
                ),
            ]
        );
        let labels: Vec<&str> = quote.lines().iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["price.base", "price.emission"]);

        let posted = ok(quote_new_permit(
            &item("PC-MONTH", "1000.00"),
            None,
            Some(&item("F-REG-LETTER", "60.00")),
        ));
        assert_eq!(posted.total(), kr("1060.00"));
        assert_eq!(posted.lines()[1].kind, QuoteLineKind::DeliveryFee);

        // Renewal for 2027: 1740.00 base, diesel 2130.00, + 50.00 fee = 2180.00.
        let renewal = ok(quote_renewal(
            &item("P-RES-K1", "1740.00"),
            Some(kr("2130.00")),
            Some(&item("C-RENEW", "50.00")),
        ));
        assert_eq!(renewal.total(), kr("2180.00"));
        assert_eq!(
            summary(&renewal),
            [
                (
                    QuoteLineKind::Base,
                    "P-RES-K1".into(),
                    "1740.00".into(),
                    None
                ),
                (
                    QuoteLineKind::Emission,
                    "P-RES-K1".into(),
                    "390.00".into(),
                    None
                ),
                (
                    QuoteLineKind::CorrectionFee,
                    "C-RENEW".into(),
                    "50.00".into(),
                    None
                ),
            ]
        );
        // Without an emission price the product's own price is the total.
        let plain = ok(quote_renewal(&item("P-RES-K1", "1740.00"), None, None));
        assert_eq!(plain.total(), kr("1740.00"));
    }

    fn table(from: &str, prices: &[(&str, &str)]) -> EmissionTable {
        EmissionTable {
            products: vec![sku("P-RES-K1"), sku("P-RES-K2")],
            effective_from: date(from),
            prices: prices
                .iter()
                .map(|(class, amount)| ((*class).to_owned(), kr(amount)))
                .collect(),
        }
    }

    #[test]
    fn emission_price_uses_the_latest_table_in_force() {
        let tables = [
            table(
                "2026-01-01",
                &[("electric", "465.00"), ("diesel", "1980.00")],
            ),
            table("2027-01-01", &[("electric", "500.00")]),
        ];
        let k1 = sku("P-RES-K1");
        let price = |class: &str, on: &str| emission_price(&tables, &k1, class, date(on));
        assert_eq!(price("electric", "2025-12-31"), None);
        assert_eq!(price("electric", "2026-06-01"), Some(kr("465.00")));
        assert_eq!(price("Electric ", "2026-06-01"), Some(kr("465.00")));
        assert_eq!(price("diesel", "2026-12-31"), Some(kr("1980.00")));
        assert_eq!(price("electric", "2027-01-01"), Some(kr("500.00")));
        // The 2027 table replaces the 2026 one wholesale: diesel is not listed there.
        assert_eq!(price("diesel", "2027-01-01"), None);
        assert_eq!(price("hydrogen", "2026-06-01"), None);
        assert_eq!(
            emission_price(&tables, &sku("P-BUS"), "electric", date("2026-06-01")),
            None
        );
    }

    fn letter_rule() -> RegisteredLetterRule {
        RegisteredLetterRule {
            fee_sku: sku("F-REG-LETTER"),
            kinds: vec![ProductKind::PeriodCard, ProductKind::ScratchTicket],
            above: kr("500.00"),
        }
    }

    #[test]
    fn registered_letter_is_for_posted_cards_and_tickets_summing_over_500() {
        let rule = letter_rule();
        let applies = |delivery, lines: &[(ProductKind, Money)]| {
            ok(registered_letter_applies(&rule, delivery, lines))
        };
        let card = (ProductKind::PeriodCard, kr("300.00"));
        let ticket = (ProductKind::ScratchTicket, kr("150.00"));
        let permit = (ProductKind::Permit, kr("1620.00"));
        assert!(!applies(Delivery::Post, &[card]));
        // 300.00 + 150.00 + 150.00 = 600.00 > 500.00, summed over the order.
        assert!(applies(Delivery::Post, &[card, ticket, ticket]));
        assert!(!applies(Delivery::Pickup, &[card, ticket, ticket]));
        // Exactly 500.00 is not over 500.
        assert!(!applies(
            Delivery::Post,
            &[card, (ProductKind::ScratchTicket, kr("200.00"))]
        ));
        assert!(applies(
            Delivery::Post,
            &[card, (ProductKind::ScratchTicket, kr("200.01"))]
        ));
        // Other kinds do not count.
        assert!(!applies(Delivery::Post, &[permit, ticket]));
        assert!(applies(
            Delivery::Post,
            &[(ProductKind::PeriodCard, kr("1000.00"))]
        ));
        let eur = Currency::parse("EUR").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            registered_letter_applies(
                &rule,
                Delivery::Post,
                &[(ProductKind::PeriodCard, Money::new(60_000, eur))]
            ),
            Err(PricingError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn the_builder_refuses_mixed_currencies_and_deserializing_rechecks_the_total() {
        let eur = Currency::parse("EUR").unwrap_or_else(|e| panic!("{e}"));
        let mut builder = QuoteBuilder::new(dkk());
        ok(builder.push(QuoteLine::new(
            QuoteLineKind::Base,
            None,
            labels::BASE,
            kr("10.00"),
        )));
        assert!(matches!(
            builder.push(QuoteLine::new(
                QuoteLineKind::DeliveryFee,
                None,
                labels::DELIVERY_FEE,
                Money::new(100, eur),
            )),
            Err(PricingError::CurrencyMismatch { .. })
        ));
        let quote = builder.build();
        assert_eq!(quote.lines().len(), 1);
        assert_eq!(quote.total(), kr("10.00"));

        // Deserializing goes through the same checks.
        let raw = |total| RawQuote {
            lines: quote.lines().to_vec(),
            total,
        };
        assert_eq!(PriceQuote::try_from(raw(kr("10.00"))), Ok(quote.clone()));
        assert!(matches!(
            PriceQuote::try_from(raw(kr("9.99"))),
            Err(PricingError::TotalMismatch { .. })
        ));
    }

    fn day(offset: u64) -> NaiveDate {
        date("2020-01-01")
            .checked_add_days(Days::new(offset))
            .unwrap_or_else(|| panic!("date out of range"))
    }

    fn any_unit() -> impl Strategy<Value = ProrationUnit> {
        prop_oneof![Just(ProrationUnit::Month), Just(ProrationUnit::Day)]
    }

    /// A period of 1 day to a little over two years, and a date from a month before it to a
    /// month after it.
    fn any_period_and_date() -> impl Strategy<Value = (NaiveDate, NaiveDate, NaiveDate)> {
        (0_u64..4000, 0_u64..800, 0_u64..860).prop_map(|(start, length, at)| {
            let from = day(start + 30);
            let to = day(start + 30 + length);
            let on = day(start + at.min(length + 60));
            (from, to, on)
        })
    }

    fn money(minor: i64) -> Money {
        Money::new(minor, dkk())
    }

    proptest! {
        #[test]
        fn refund_never_exceeds_what_was_paid(
            paid in 0_i64..1_000_000_000,
            (from, to, on) in any_period_and_date(),
            unit in any_unit(),
        ) {
            let quote = ok(quote_cancellation_refund(
                &PricedItem::new(sku("P-RES-K1"), money(paid)), from, to, on, unit));
            let refund = -quote.total().amount_minor();
            prop_assert!((0..=paid).contains(&refund), "refund {refund} of {paid}");
            if on > to {
                prop_assert_eq!(refund, 0);
            }
            if on <= from {
                prop_assert_eq!(refund, paid);
            }
            // Nothing left to refund exactly when no dates are left to pay for.
            let part = ok(unused_part(from, to, on, unit));
            if paid > 0 {
                prop_assert_eq!(part.is_none(), refund == 0);
            }
        }

        #[test]
        fn a_later_cancellation_never_refunds_more(
            paid in 0_i64..1_000_000_000,
            (from, to, on) in any_period_and_date(),
            later in 0_u64..400,
            unit in any_unit(),
        ) {
            let refund = |on| ok(unused_share(money(paid), from, to, on, unit)).amount_minor();
            let on_later = on.checked_add_days(Days::new(later)).unwrap_or(on);
            prop_assert!(refund(on_later) <= refund(on));
        }

        #[test]
        fn prorating_the_whole_period_gives_the_amount(
            amount in -1_000_000_000_000_i64..1_000_000_000_000,
            (from, to, _) in any_period_and_date(),
            unit in any_unit(),
        ) {
            prop_assert_eq!(ok(prorate_period(money(amount), from, to, from, to, unit)), money(amount));
        }

        #[test]
        fn the_charge_for_the_used_part_and_the_refund_add_up_to_the_amount(
            amount in 0_i64..1_000_000_000,
            (from, to, on) in any_period_and_date(),
            unit in any_unit(),
        ) {
            prop_assume!(from < on && on <= to);
            let last_used = ok(previous_day(on));
            let used = ok(prorate_period(money(amount), from, to, from, last_used, unit));
            let unused = ok(unused_share(money(amount), from, to, on, unit));
            prop_assert!((0..=amount).contains(&used.amount_minor()));
            prop_assert_eq!(used.amount_minor() + unused.amount_minor(), amount);
        }

        #[test]
        fn a_quote_total_is_the_sum_of_its_lines(
            old in 0_i64..1_000_000_000,
            new in 0_i64..1_000_000_000,
            fee in 0_i64..100_000,
            emission in proptest::option::of(0_i64..1_000_000_000),
            (from, to, on) in any_period_and_date(),
            extra in 1_u64..366,
            unit in any_unit(),
        ) {
            let fee = PricedItem::new(sku("C-FEE"), money(fee));
            let old_item = PricedItem::new(sku("P-OLD"), money(old));
            let new_item = PricedItem::new(sku("P-NEW"), money(new));
            let new_to = to.checked_add_days(Days::new(extra)).unwrap_or(to);
            let mut quotes = vec![
                ok(quote_new_permit(&old_item, emission.map(money), Some(&fee))),
                ok(quote_renewal(&old_item, emission.map(money), Some(&fee))),
                ok(quote_zone_change(&old_item, &new_item, from, to, on, unit, Some(&fee))),
                ok(quote_cancellation_refund(&old_item, from, to, on, unit)),
            ];
            match quote_extension(&new_item, from, to, new_to, unit, Some(&fee)) {
                Ok(quote) => quotes.push(quote),
                Err(PricingError::ExtensionTooLong { .. }) => {}
                Err(e) => panic!("{e}"),
            }
            for quote in quotes {
                let sum: i64 = quote.lines().iter().map(|l| l.amount.amount_minor()).sum();
                prop_assert_eq!(quote.total().amount_minor(), sum);
                prop_assert!(quote.lines().iter().all(|l| l.amount.currency() == quote.currency()));
            }
            if let Some(emission) = emission {
                let quote = ok(quote_new_permit(&old_item, Some(money(emission)), None));
                prop_assert_eq!(quote.total(), money(emission));
            }
        }

        #[test]
        fn a_zone_change_and_back_on_the_same_day_nets_to_exactly_zero(
            old in 0_i64..1_000_000_000,
            new in 0_i64..1_000_000_000,
            (from, to, on) in any_period_and_date(),
            unit in any_unit(),
        ) {
            let old_item = PricedItem::new(sku("P-RES-K1"), money(old));
            let new_item = PricedItem::new(sku("P-RES-K2"), money(new));
            let there = ok(quote_zone_change(&old_item, &new_item, from, to, on, unit, None));
            let back = ok(quote_zone_change(&new_item, &old_item, from, to, on, unit, None));
            prop_assert_eq!(there.total().amount_minor() + back.total().amount_minor(), 0);
            // A change to a zone of the same price costs nothing.
            let same = ok(quote_zone_change(&old_item, &old_item, from, to, on, unit, None));
            prop_assert_eq!(same.total().amount_minor(), 0);
        }
    }
}
