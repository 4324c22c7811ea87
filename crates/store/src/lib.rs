//! civicpay-store: persistence. sea-orm entities, the connection (SQLite or PostgreSQL from the
//! same migrations) and repositories. Every repository that touches a council's rows is reached
//! through a [`TenantScope`], so a query without a tenant does not compile; on PostgreSQL
//! row-level security keyed on `app.tenant_id` is the second wall. Entities never leave this
//! crate: callers get record types. Must not depend on the API or web layers.

mod catalogue;
mod citizen;
mod corrections;
mod delivery;
mod entity;
mod error;
mod lookups;
mod onboarding;
mod payments;
mod permits;
mod platform;
mod records;
mod rematch;
mod scope;
mod staff;

pub use catalogue::{NewProduct, ProductPatch, ZoneInput};
pub use corrections::{Correction, CorrectionRecord};
pub use delivery::{
    AttemptRecord, DeliveryAttempt, IDEMPOTENCY_RETENTION, IdempotencyClaim, OutboxRecord,
    PspEventClaim,
};
pub use error::StoreError;
pub use lookups::PersonLookupRecord;
pub use onboarding::{ApplyReport, Change};
pub use payments::{
    Debtor, EventMeta, EventOutcome, ImportReport, NewEmail, NewPaymentRequest,
    NewPaymentRequestLine, PaymentDetail, PaymentEventRecord, PaymentFilter, PaymentLineRecord,
    PaymentRecord, PaymentRequestLineRecord, PaymentRequestRecord, PaymentTotals, RefundRecord,
};
pub use permits::{
    ALREADY_HOLDS_RESIDENT, HeldPermits, NewPermit, PermitEnding, PermitFilter, PermitRecord,
    VEHICLE_HOLDS_RESIDENT, one_year_from,
};
pub use platform::{Backend, Store};
pub use records::{
    ApiKeyRecord, AuditRecord, PriceVersionRecord, ProductRecord, TenantRecord, UserRecord,
    VatCodeRecord, ZoneRecord,
};
pub use rematch::{
    LetterRecord, NewLetter, RUN_COMPLETED, RUN_FAILED, RUN_RUNNING, RematchAction,
    RematchFindingRecord, RematchOutcome, RematchRunRecord,
};
pub use scope::TenantScope;
pub use staff::{LoginAttempt, NewApiKey, NewUser};
