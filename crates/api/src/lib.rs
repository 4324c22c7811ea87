//! civicpay-api: the one GraphQL schema (async-graphql). Every resolver works through the
//! request's council scope and caller; application services in [`service`] are the single code
//! path that GraphQL, pages and the CLI share. It depends on the store and auth crates, never
//! on the HTTP framework: the app turns HTTP into a [`RequestContext`].

pub mod citizen_login;
pub mod context;
pub mod documents;
pub mod eligibility;
pub mod error;
pub mod i18n;
pub mod payments;
pub mod permits;
pub mod rematch;
mod schema;
mod schema_citizen;
mod schema_eligibility;
mod schema_payments;
mod schema_permits;
mod schema_rematch;
pub mod service;
pub mod shop;
mod types;

pub use context::{ApiState, Caller, RequestContext};
pub use error::{ApiError, ApiResult, ErrorCode};
pub use schema::{CivicpaySchema, build_schema, sdl};
