//! End-to-end tests through HTTP (and the CLI binary), on SQLite or PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catalogue;
mod citizen_permits;
mod cli;
mod eligibility;
mod import;
mod isolation;
mod payment_faults;
mod payments;
mod permit_lifecycle;
mod permit_registers;
mod permits;
mod platform;
mod rematch;
mod shop;
mod shop_company;
mod shop_eid;
mod shop_paylink;
mod staff;
