//! Money for civicpay: amounts as an `i64` count of minor units tagged with
//! an ISO 4217 currency (with its minor-unit exponent), strict parsing and
//! formatting of major-unit text, VAT rates and net/VAT splits, explicit
//! rounding modes, and allocation/proration that never loses or invents a
//! minor unit. No floating point anywhere: exact integers (`i128`/`u128`
//! where a product could overflow) and `rust_decimal` at the boundary. This
//! crate is pure computation and must not depend on I/O crates (database,
//! HTTP, filesystem, async runtimes), so every other crate can use it.

mod allocate;
mod currency;
mod display;
mod error;
mod money;
mod number;
mod rounding;
mod vat;

pub use allocate::{allocate, prorate, split_evenly};
pub use currency::Currency;
pub use display::format_money;
pub use error::MoneyError;
pub use money::Money;
pub use rounding::Rounding;
pub use vat::{VatRate, VatSplit, vat_from_gross, vat_from_net};
