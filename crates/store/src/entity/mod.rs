//! sea-orm entities: the rows as stored. They never leave the store crate; repositories turn
//! them into domain or record types, so the API has its own types and the schema can change.

pub mod api_key;
pub mod audit_entry;
pub mod idempotency_key;
pub mod letter;
pub mod outbox;
pub mod payment;
pub mod payment_event;
pub mod payment_line;
pub mod payment_request;
pub mod payment_request_line;
pub mod permit;
pub mod permit_correction;
pub mod person_lookup;
pub mod price_version;
pub mod product;
pub mod psp_event;
pub mod refund;
pub mod rematch_finding;
pub mod rematch_run;
pub mod tenant;
pub mod tenant_host;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_secret;
pub mod zone;
