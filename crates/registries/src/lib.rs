//! civicpay-registries: the public registers a permit decision rests on — people (CPR, BRP,
//! PESEL), companies (CVR, KvK, NIP), vehicles (DMR, RDW) and address → zone (point-in-polygon
//! over the council's zone GeoJSON) — as async ports returning typed facts stamped with when
//! and where they were fetched. Register keys are validated newtypes with their check digits
//! (national ids never print in clear).
//!
//! Adapters:
//!
//! * [`FileRegistry`]: file-backed registers reading `tenants/<slug>/registry/` (synthetic
//!   demo data);
//! * [`http`]: the real public registers over HTTP — [`HaalCentraalBrp`] (NL persons),
//!   [`RdwOpenData`] (NL vehicles; open data has no owners and no stolen status),
//!   [`CvrDistribution`] (DK companies and their production units) and [`PdokLocatieserver`]
//!   (NL address → position, then the council's zones). Each is built from an [`HttpConfig`]
//!   (base URL, key, request timeout) and classifies failures the same way: unreachable, slow,
//!   5xx, 429 or refused credentials → [`RegistryError::Unavailable`]; a rejected question or
//!   undocumented data → [`RegistryError::Invalid`]; 404 or no hit → `Ok(None)`.
//!
//! [`Resilient`] adds timeouts, bounded retries, a circuit breaker and a per-council TTL cache
//! to any port — put every HTTP adapter behind one — and every person look-up goes through
//! [`PersonLookup`], which records who looked up whom and why in a [`LookupLog`]. No database
//! and no web framework here.

pub mod file;
pub mod http;
pub mod ids;
pub mod lookup;
pub mod ports;
pub mod resilient;
pub mod zones;

pub use file::FileRegistry;
pub use http::{
    CvrDistribution, HaalCentraalBrp, HttpConfig, PdokLocatieserver, RdwOpenData, Secret,
};
pub use ids::{CompanyId, CompanyIdKind, IdCountry, IdError, NationalId, NationalIdKind, Plate};
pub use lookup::{Audited, InMemoryLookupLog, LookupContext, LookupEntry, LookupLog, PersonLookup};
pub use ports::{
    Address, AddressAttributes, AddressQuery, AddressRegistry, BusinessRegistry, Company,
    CompanyStatus, Coordinates, Holder, Person, PersonRegistry, PersonStatus, ProductionUnit,
    RegistryError, Vehicle, VehicleKind, VehicleRegistry, ZoneMatch,
};
pub use resilient::{CircuitState, ResilienceConfig, Resilient};
pub use zones::ZoneIndex;
