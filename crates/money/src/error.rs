//! The single error type of the crate.

use crate::Currency;

/// Everything that can go wrong when building or combining money values.
///
/// Each message names the offending value and says what was wrong with it,
/// so it can be shown to an operator (or logged) without extra context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not one of the active ISO 4217 codes in our table.
    #[error(
        "unknown currency code {code:?}: expected an active ISO 4217 alphabetic code in upper case, e.g. \"DKK\""
    )]
    UnknownCurrency { code: String },

    /// The text is not a plain decimal number (`-`? digits (`.` digits)?).
    #[error("invalid amount {text:?}: {reason}")]
    InvalidAmount { text: String, reason: String },

    /// More fraction digits than the currency's minor unit allows; we never
    /// round user input silently.
    #[error(
        "amount {text:?} has {decimals} {} but {currency} has {}",
        if *decimals == 1 { "decimal" } else { "decimals" },
        currency.minor_units()
    )]
    TooManyDecimals {
        text: String,
        decimals: usize,
        currency: Currency,
    },

    /// Syntactically fine, but does not fit in `i64` minor units.
    #[error("amount {text:?} is out of range for {currency} (must fit in 64-bit minor units)")]
    AmountOutOfRange { text: String, currency: Currency },

    /// A decimal value that does not fit in `i64` minor units after rounding.
    #[error(
        "decimal value {value} is out of range for {currency} (must fit in 64-bit minor units)"
    )]
    DecimalOutOfRange {
        value: rust_decimal::Decimal,
        currency: Currency,
    },

    /// Adding/subtracting amounts of different currencies is always a bug.
    #[error("cannot {operation} amounts in different currencies: {left} and {right}")]
    CurrencyMismatch {
        operation: &'static str,
        left: Currency,
        right: Currency,
    },

    /// An arithmetic result does not fit in `i64` minor units.
    #[error("{expression} overflows the 64-bit minor-unit range")]
    Overflow { expression: String },

    /// The text is not a VAT percentage we accept.
    #[error("invalid VAT rate {text:?}: {reason}")]
    InvalidVatRate { text: String, reason: String },

    /// A VAT rate given in basis points that is above 100 %.
    #[error("VAT rate of {basis_points} basis points is above 100% (10000 basis points)")]
    VatRateOutOfRange { basis_points: u32 },

    /// The weights for an allocation/split cannot produce a distribution.
    #[error("cannot allocate {total}: {reason}")]
    InvalidAllocation { total: String, reason: &'static str },

    /// `used`/`of` do not describe a fraction in `0..=1`.
    #[error("cannot prorate {used} of {of}: {reason}")]
    InvalidProration {
        used: u32,
        of: u32,
        reason: &'static str,
    },
}
