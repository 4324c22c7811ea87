//! The catalogue: products a council sells and their price history.
//!
//! Prices are versioned by the date they take effect. A version whose date has come is history
//! and is never edited: a new price is a new version with a later date (what finance and the
//! auditor expect, and what makes yesterday's receipts reproducible).

use chrono::NaiveDate;
use civicpay_money::Money;
use serde::{Deserialize, Serialize};

/// What sort of thing a product is; drives which flows it appears in (shop, POS, permits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A parking or other licence (resident, business, car-share, loan car).
    Permit,
    /// A change to a permit: renewal, extension, replacement, temporary, change of address.
    PermitCorrection,
    /// A period card (week, month) for parking.
    PeriodCard,
    /// A scratch ticket (day, evening, night).
    ScratchTicket,
    /// A physical tag, e.g. for an underground garage.
    Tag,
    /// A counter or office fee (vehicle registration, driving licence, handling fee).
    Fee,
    /// A bill from a department (library, day care, property).
    Bill,
    /// A fine.
    Fine,
    /// Any other service.
    Service,
}

impl ProductKind {
    pub const ALL: [ProductKind; 9] = [
        ProductKind::Permit,
        ProductKind::PermitCorrection,
        ProductKind::PeriodCard,
        ProductKind::ScratchTicket,
        ProductKind::Tag,
        ProductKind::Fee,
        ProductKind::Bill,
        ProductKind::Fine,
        ProductKind::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Permit => "permit",
            ProductKind::PermitCorrection => "permit_correction",
            ProductKind::PeriodCard => "period_card",
            ProductKind::ScratchTicket => "scratch_ticket",
            ProductKind::Tag => "tag",
            ProductKind::Fee => "fee",
            ProductKind::Bill => "bill",
            ProductKind::Fine => "fine",
            ProductKind::Service => "service",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| crate::ParseError {
                what: "product kind",
                value: raw.to_owned(),
                expected: "one of permit, permit_correction, period_card, scratch_ticket, tag, fee, bill, fine, service",
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Active,
    /// No longer sold; kept so history and old receipts still resolve.
    Retired,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Retired => "retired",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, crate::ParseError> {
        match raw {
            "active" => Ok(ProductStatus::Active),
            "retired" => Ok(ProductStatus::Retired),
            _ => Err(crate::ParseError {
                what: "product status",
                value: raw.to_owned(),
                expected: "active or retired",
            }),
        }
    }
}

/// One price of a product from a date on (inclusive, in the council's time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceVersion {
    pub effective_from: NaiveDate,
    /// Gross price, VAT included, as the citizen pays it.
    pub amount: Money,
    /// The council's VAT code (e.g. `standard`, `exempt`), resolved to a rate by the council.
    pub vat_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceVersionError {
    #[error(
        "a price version must take effect after today ({today}); {effective_from} is not in the future — past and current prices are immutable"
    )]
    NotInFuture {
        effective_from: NaiveDate,
        today: NaiveDate,
    },
    #[error("a price version taking effect on {0} exists already")]
    DuplicateDate(NaiveDate),
    #[error("price currency {got} differs from the council's currency {expected}")]
    WrongCurrency { got: String, expected: String },
    #[error("a price cannot be negative (got {0})")]
    Negative(String),
}

/// Checks that a new price version may be added to `existing` on `today`: it must start in the
/// future, on a date no other version has, in the council's currency, and not be negative.
pub fn check_new_price_version(
    existing: &[PriceVersion],
    new: &PriceVersion,
    today: NaiveDate,
    council_currency: civicpay_money::Currency,
) -> Result<(), PriceVersionError> {
    if new.effective_from <= today {
        return Err(PriceVersionError::NotInFuture {
            effective_from: new.effective_from,
            today,
        });
    }
    if new.amount.currency() != council_currency {
        return Err(PriceVersionError::WrongCurrency {
            got: new.amount.currency().code().to_owned(),
            expected: council_currency.code().to_owned(),
        });
    }
    if new.amount.amount_minor() < 0 {
        return Err(PriceVersionError::Negative(new.amount.to_string()));
    }
    if existing
        .iter()
        .any(|v| v.effective_from == new.effective_from)
    {
        return Err(PriceVersionError::DuplicateDate(new.effective_from));
    }
    Ok(())
}

/// Whether a version may still be changed or withdrawn: only while it has not taken effect.
pub fn is_price_version_mutable(version: &PriceVersion, today: NaiveDate) -> bool {
    version.effective_from > today
}

/// The price in force on `date`: the version with the latest `effective_from` not after it.
pub fn current_price(versions: &[PriceVersion], date: NaiveDate) -> Option<&PriceVersion> {
    versions
        .iter()
        .filter(|v| v.effective_from <= date)
        .max_by_key(|v| v.effective_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use civicpay_money::{Currency, Money};

    fn dkk() -> Currency {
        Currency::parse("DKK").unwrap_or_else(|e| panic!("{e}"))
    }
    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }
    fn version(from: &str, minor: i64) -> PriceVersion {
        PriceVersion {
            effective_from: date(from),
            amount: Money::new(minor, dkk()),
            vat_code: "standard".into(),
        }
    }

    #[test]
    fn current_price_is_latest_not_after_date() {
        let versions = [version("2026-01-01", 100), version("2027-01-01", 200)];
        assert_eq!(current_price(&versions, date("2025-12-31")), None);
        assert_eq!(
            current_price(&versions, date("2026-06-01")).map(|v| v.amount.amount_minor()),
            Some(100)
        );
        assert_eq!(
            current_price(&versions, date("2027-01-01")).map(|v| v.amount.amount_minor()),
            Some(200)
        );
    }

    #[test]
    fn new_versions_must_be_future_unique_and_in_currency() {
        let today = date("2026-11-22");
        let existing = [version("2026-01-01", 100)];
        assert!(matches!(
            check_new_price_version(&existing, &version("2026-11-22", 1), today, dkk()),
            Err(PriceVersionError::NotInFuture { .. })
        ));
        assert!(
            check_new_price_version(&existing, &version("2026-11-23", 1), today, dkk()).is_ok()
        );
        let twice = [version("2027-01-01", 100)];
        assert!(matches!(
            check_new_price_version(&twice, &version("2027-01-01", 5), today, dkk()),
            Err(PriceVersionError::DuplicateDate(_))
        ));
        let eur = Currency::parse("EUR").unwrap_or_else(|e| panic!("{e}"));
        let mut wrong = version("2027-02-01", 5);
        wrong.amount = Money::new(5, eur);
        assert!(matches!(
            check_new_price_version(&existing, &wrong, today, dkk()),
            Err(PriceVersionError::WrongCurrency { .. })
        ));
        assert!(!is_price_version_mutable(&existing[0], today));
    }
}
