//! civicpay-domain: the platform's vocabulary as pure types — tenants, catalogue, staff roles,
//! audit entries — parsed once at the edge ("parse, don't validate") and trusted everywhere after.
//! It must never depend on I/O crates (no database, no HTTP, no async runtime); CI checks this
//! with `cargo tree -i`.

pub mod audit;
pub mod catalogue;
pub mod ids;
pub mod locale;
pub mod payment;
pub mod permit;
pub mod pricing;
pub mod reference;
pub mod roles;

pub use catalogue::{
    PriceVersion, PriceVersionError, ProductKind, ProductStatus, check_new_price_version,
    current_price, is_price_version_mutable,
};
pub use ids::{CountryCode, Email, ParseError, Sku, TenantSlug, ZoneCode};
pub use locale::{Locale, LocalizedText, negotiate};
pub use payment::{
    IllegalTransition, PaymentChannel, PaymentEvent, PaymentStatus, Transition,
    apply as apply_payment_event,
};
pub use permit::PermitStatus;
pub use pricing::{
    Delivery, EmissionTable, PriceQuote, PricedItem, PricingError, ProrationUnit, QuoteBuilder,
    QuoteLine, QuoteLineKind, RegisteredLetterRule, emission_price, normalize_fuel_class,
    prorate_period, quote_cancellation_refund, quote_extension, quote_new_permit, quote_renewal,
    quote_zone_change, registered_letter_applies, unused_part, unused_share,
};
pub use reference::{
    PaymentReference, ReferenceError, ReferenceScheme, iso7064_mod97_10, luhn_check_digit,
};
pub use roles::{ApiScope, Permission, Role};
