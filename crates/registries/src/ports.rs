//! The four register ports and the facts they return. Every fact carries when it was fetched
//! and from which source, so a decision can say what it was based on.

use crate::ids::{CompanyId, NationalId, Plate};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use civicpay_domain::{CountryCode, ZoneCode};

/// Why a register could not answer. Messages are written for the person in front of the
/// screen and never contain a national id in clear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Timeout, 5xx, connection refused, or the circuit breaker is open: try again later (the
    /// clerk may continue manually with a recorded reason).
    #[error("{0}")]
    Unavailable(String),
    /// The question or the register's data is malformed.
    #[error("{0}")]
    Invalid(String),
    /// This council has no such register configured.
    #[error("this register is not configured for the council")]
    NotConfigured,
}

impl RegistryError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Special conditions tied to an address (S1-2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressAttributes {
    /// The street is a private road: residents' permits do not apply there.
    pub private_road: bool,
    /// The address carries a right to a parking cellar or garage, named by the garage's code.
    pub garage_right: Option<String>,
}

/// A WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub street: String,
    pub number: String,
    pub postcode: String,
    pub city: String,
    /// The municipality's official code (DK kommunekode `0101` for Copenhagen, NL CBS code).
    pub municipality_code: String,
    pub coordinates: Option<Coordinates>,
    pub attributes: AddressAttributes,
}

impl Address {
    /// One line: `Nørrebrogade 12, 2200 København N`.
    pub fn one_line(&self) -> String {
        format!(
            "{} {}, {} {}",
            self.street, self.number, self.postcode, self.city
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    Dead,
    Emigrated,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub national_id: NationalId,
    pub name: String,
    pub address: Address,
    pub moved_in: NaiveDate,
    pub status: PersonStatus,
    pub fetched_at: DateTime<Utc>,
    /// The register that answered, e.g. `file:kobenhavn/people.json`.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyStatus {
    Active,
    Dissolved,
    Bankrupt,
    Unknown,
}

/// A company's production unit (DK P-enhed, 10-digit P-number), or an establishment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductionUnit {
    pub p_number: String,
    pub name: String,
    pub address: Address,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub company_id: CompanyId,
    pub name: String,
    pub status: CompanyStatus,
    pub production_units: Vec<ProductionUnit>,
    pub fetched_at: DateTime<Utc>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleKind {
    PassengerCar,
    Van,
    Motorcycle,
    Truck,
    Other,
}

/// Who a vehicle's owner or user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Person(NationalId),
    Company(CompanyId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub plate: Plate,
    pub kind: VehicleKind,
    pub total_weight_kg: u32,
    /// Fuel or emission class as the register words it (`petrol`, `diesel`, `electric`,
    /// `Euro 6`…); price tables key on it.
    pub fuel_class: String,
    /// Country of registration.
    pub country: CountryCode,
    pub owners: Vec<Holder>,
    pub users: Vec<Holder>,
    pub stolen: bool,
    /// A special remark for wardens (S0-9), e.g. "diplomatic".
    pub flagged: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub source: String,
}

impl Vehicle {
    /// Whether `holder` is a registered owner or user.
    pub fn is_held_by(&self, holder: &Holder) -> bool {
        self.owners.iter().chain(&self.users).any(|h| h == holder)
    }
}

/// What to find a zone for: an address as text, or a position.
#[derive(Debug, Clone, PartialEq)]
pub enum AddressQuery {
    Text(String),
    Point(Coordinates),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMatch {
    pub zone_code: ZoneCode,
    /// Attributes of the address when the query named a known address; default otherwise.
    pub attributes: AddressAttributes,
    pub fetched_at: DateTime<Utc>,
    pub source: String,
}

/// The person register (CPR, BRP, PESEL). Adapters implement this; application code looks
/// people up through [`crate::PersonLookup`], which logs every look-up.
#[async_trait]
pub trait PersonRegistry: Send + Sync {
    /// `Ok(None)` when the register does not know the number.
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError>;
}

/// The business register (CVR, KvK, REGON/NIP).
#[async_trait]
pub trait BusinessRegistry: Send + Sync {
    async fn company(&self, id: &CompanyId) -> Result<Option<Company>, RegistryError>;
}

/// The vehicle register (DMR, RDW, CEPiK).
#[async_trait]
pub trait VehicleRegistry: Send + Sync {
    async fn vehicle(&self, plate: &Plate) -> Result<Option<Vehicle>, RegistryError>;
}

/// Address → the council's zone. `Ok(None)` when the address is unknown or in no zone.
#[async_trait]
pub trait AddressRegistry: Send + Sync {
    async fn zone_for(&self, query: &AddressQuery) -> Result<Option<ZoneMatch>, RegistryError>;
}
