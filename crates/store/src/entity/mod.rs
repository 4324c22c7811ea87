//! sea-orm entities: the rows as stored. They never leave the store crate; repositories turn
//! them into domain or record types, so the API has its own types and the schema can change.

pub mod api_key;
pub mod audit_entry;
pub mod price_version;
pub mod product;
pub mod tenant;
pub mod tenant_host;
pub mod user;
pub mod zone;
