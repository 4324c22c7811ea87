//! File-backed registers: `tenants/<slug>/registry/{people,companies,vehicles,addresses}.json`,
//! synthetic data for demos and tests. Each file is a JSON array; every entry is checked when
//! the folder is loaded (ids with their check digits, dates, enums, coordinates inside the
//! council's zones are *not* required — an address outside every zone is a valid fact), and a
//! bad entry is an error naming the file and the entry. A missing file means that register is
//! not configured.

use crate::ids::{CompanyId, IdCountry, NationalId, Plate};
use crate::ports::{
    Address, AddressAttributes, AddressQuery, AddressRegistry, BusinessRegistry, Company,
    CompanyStatus, Coordinates, Holder, Person, PersonRegistry, PersonStatus, ProductionUnit,
    RegistryError, Vehicle, VehicleKind, VehicleRegistry, ZoneMatch,
};
use crate::zones::ZoneIndex;
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use civicpay_domain::CountryCode;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const PEOPLE_FILE: &str = "people.json";
pub const COMPANIES_FILE: &str = "companies.json";
pub const VEHICLES_FILE: &str = "vehicles.json";
pub const ADDRESSES_FILE: &str = "addresses.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    street: String,
    number: String,
    postcode: String,
    city: String,
    municipality_code: String,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    private_road: bool,
    #[serde(default)]
    garage_right: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    national_id: String,
    name: String,
    address: RawAddress,
    moved_in: NaiveDate,
    status: RawPersonStatus,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawPersonStatus {
    Active,
    Dead,
    Emigrated,
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompany {
    company_id: String,
    name: String,
    status: RawCompanyStatus,
    #[serde(default)]
    production_units: Vec<RawUnit>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawCompanyStatus {
    Active,
    Dissolved,
    Bankrupt,
    Unknown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    p_number: String,
    name: String,
    address: RawAddress,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVehicle {
    plate: String,
    kind: RawVehicleKind,
    total_weight_kg: u32,
    fuel_class: String,
    country: String,
    #[serde(default)]
    owners: Vec<RawHolder>,
    #[serde(default)]
    users: Vec<RawHolder>,
    #[serde(default)]
    stolen: bool,
    #[serde(default)]
    flagged: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawVehicleKind {
    PassengerCar,
    Van,
    Motorcycle,
    Truck,
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolder {
    id_kind: RawIdKind,
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawIdKind {
    Person,
    Company,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnownAddress {
    address: String,
    lon: f64,
    lat: f64,
    #[serde(default)]
    private_road: bool,
    #[serde(default)]
    garage_right: Option<String>,
}

/// A known address: its normalised text, position and attributes.
#[derive(Debug, Clone)]
struct KnownAddress {
    position: Coordinates,
    attributes: AddressAttributes,
}

/// All four registers of one council, read from its `registry/` folder.
#[derive(Debug)]
pub struct FileRegistry {
    source: String,
    people: Option<HashMap<NationalId, PersonFact>>,
    companies: Option<HashMap<CompanyId, CompanyFact>>,
    vehicles: Option<HashMap<Plate, VehicleFact>>,
    addresses: HashMap<String, KnownAddress>,
    zones: ZoneIndex,
}

/// A fact without its fetch stamp (added per answer).
#[derive(Debug, Clone)]
struct PersonFact {
    name: String,
    address: Address,
    moved_in: NaiveDate,
    status: PersonStatus,
}

#[derive(Debug, Clone)]
struct CompanyFact {
    name: String,
    status: CompanyStatus,
    units: Vec<ProductionUnit>,
}

#[derive(Debug, Clone)]
struct VehicleFact {
    kind: VehicleKind,
    total_weight_kg: u32,
    fuel_class: String,
    country: CountryCode,
    owners: Vec<Holder>,
    users: Vec<Holder>,
    stolen: bool,
    flagged: Option<String>,
}

/// Lower case, single spaces, no spaces before commas: the key addresses are matched by.
pub(crate) fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
        .to_lowercase()
}

/// Errors of one file, each naming the entry.
struct FileProblems<'a> {
    file: &'a Path,
    errors: Vec<String>,
}

impl FileProblems<'_> {
    /// Records a problem with entry `entry`; returns `None` so a bad entry can `return` it.
    fn push<T>(&mut self, entry: usize, label: &str, message: impl std::fmt::Display) -> Option<T> {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        };
        self.errors.push(format!(
            "{}: entry {entry}{label}: {message}",
            self.file.display()
        ));
        None
    }
}

/// Reads `path` as a JSON array, or `None` if the file does not exist.
fn read_entries(path: &Path) -> Result<Option<Vec<Value>>, RegistryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(RegistryError::Invalid(format!(
                "{}: cannot read the file ({e})",
                path.display()
            )));
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(entries)) => Ok(Some(entries)),
        Ok(_) => Err(RegistryError::Invalid(format!(
            "{}: expected a JSON array of entries",
            path.display()
        ))),
        Err(e) => Err(RegistryError::Invalid(format!(
            "{}: not valid JSON ({e})",
            path.display()
        ))),
    }
}

fn address(raw: RawAddress) -> Result<Address, String> {
    let coordinates = match (raw.lon, raw.lat) {
        (Some(lon), Some(lat)) => {
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(format!(
                    "address coordinates ({lon}, {lat}) are out of range; expected lon -180..180, lat -90..90"
                ));
            }
            Some(Coordinates { lon, lat })
        }
        (None, None) => None,
        _ => return Err("address has only one of lon and lat; give both or neither".into()),
    };
    for (field, value) in [
        ("street", &raw.street),
        ("number", &raw.number),
        ("postcode", &raw.postcode),
        ("city", &raw.city),
        ("municipality_code", &raw.municipality_code),
    ] {
        if value.trim().is_empty() {
            return Err(format!("address {field} is empty"));
        }
    }
    Ok(Address {
        street: raw.street,
        number: raw.number,
        postcode: raw.postcode,
        city: raw.city,
        municipality_code: raw.municipality_code,
        coordinates,
        attributes: AddressAttributes {
            private_road: raw.private_road,
            garage_right: raw.garage_right,
        },
    })
}

impl FileRegistry {
    /// Reads `dir` (a council's `registry/` folder) for a council in `country`, with the
    /// council's zones for address → zone. Every problem in every file is reported at once.
    pub fn load(dir: &Path, country: IdCountry, zones: ZoneIndex) -> Result<Self, RegistryError> {
        let source = format!(
            "file:{}",
            dir.parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .unwrap_or("registry")
        );
        let mut errors: Vec<String> = Vec::new();

        let people = load_file(&dir.join(PEOPLE_FILE), &mut errors, |p, i, value| {
            let raw: RawPerson = match serde_json::from_value(value) {
                Ok(raw) => raw,
                Err(e) => return p.push(i, "", e),
            };
            let label = format!("name {:?}", raw.name);
            let id = match NationalId::parse(country, &raw.national_id) {
                Ok(id) => id,
                Err(e) => return p.push(i, &label, e),
            };
            match address(raw.address) {
                Ok(address) => Some((
                    id,
                    PersonFact {
                        name: raw.name,
                        address,
                        moved_in: raw.moved_in,
                        status: match raw.status {
                            RawPersonStatus::Active => PersonStatus::Active,
                            RawPersonStatus::Dead => PersonStatus::Dead,
                            RawPersonStatus::Emigrated => PersonStatus::Emigrated,
                            RawPersonStatus::Unknown => PersonStatus::Unknown,
                        },
                    },
                )),
                Err(e) => p.push(i, &label, e),
            }
        });
        let companies = load_file(&dir.join(COMPANIES_FILE), &mut errors, |p, i, value| {
            let raw: RawCompany = match serde_json::from_value(value) {
                Ok(raw) => raw,
                Err(e) => return p.push(i, "", e),
            };
            let label = format!("name {:?}", raw.name);
            let id = match CompanyId::parse(country, &raw.company_id) {
                Ok(id) => id,
                Err(e) => return p.push(i, &label, e),
            };
            let mut units = Vec::new();
            for (u, unit) in raw.production_units.into_iter().enumerate() {
                if unit.p_number.len() != 10 || !unit.p_number.bytes().all(|b| b.is_ascii_digit()) {
                    return p.push(
                        i,
                        &label,
                        format!(
                            "production_units[{u}]: p_number {:?} is invalid; expected 10 digits",
                            unit.p_number
                        ),
                    );
                }
                match address(unit.address) {
                    Ok(address) => units.push(ProductionUnit {
                        p_number: unit.p_number,
                        name: unit.name,
                        address,
                    }),
                    Err(e) => return p.push(i, &label, format!("production_units[{u}]: {e}")),
                }
            }
            Some((
                id,
                CompanyFact {
                    name: raw.name,
                    status: match raw.status {
                        RawCompanyStatus::Active => CompanyStatus::Active,
                        RawCompanyStatus::Dissolved => CompanyStatus::Dissolved,
                        RawCompanyStatus::Bankrupt => CompanyStatus::Bankrupt,
                        RawCompanyStatus::Unknown => CompanyStatus::Unknown,
                    },
                    units,
                },
            ))
        });
        let vehicles = load_file(&dir.join(VEHICLES_FILE), &mut errors, |p, i, value| {
            let raw: RawVehicle = match serde_json::from_value(value) {
                Ok(raw) => raw,
                Err(e) => return p.push(i, "", e),
            };
            let label = format!("plate {:?}", raw.plate);
            let plate = match Plate::parse(&raw.plate) {
                Ok(plate) => plate,
                Err(e) => return p.push(i, &label, e),
            };
            let vehicle_country = match CountryCode::parse(&raw.country) {
                Ok(c) => c,
                Err(e) => return p.push(i, &label, e),
            };
            let holders = |list: Vec<RawHolder>, field: &str| {
                list.into_iter()
                    .enumerate()
                    .map(|(h, holder)| match holder.id_kind {
                        RawIdKind::Person => NationalId::parse(country, &holder.id)
                            .map(Holder::Person)
                            .map_err(|e| format!("{field}[{h}]: {e}")),
                        RawIdKind::Company => CompanyId::parse(country, &holder.id)
                            .map(Holder::Company)
                            .map_err(|e| format!("{field}[{h}]: {e}")),
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            let owners = match holders(raw.owners, "owners") {
                Ok(owners) => owners,
                Err(e) => return p.push(i, &label, e),
            };
            let users = match holders(raw.users, "users") {
                Ok(users) => users,
                Err(e) => return p.push(i, &label, e),
            };
            Some((
                plate,
                VehicleFact {
                    kind: match raw.kind {
                        RawVehicleKind::PassengerCar => VehicleKind::PassengerCar,
                        RawVehicleKind::Van => VehicleKind::Van,
                        RawVehicleKind::Motorcycle => VehicleKind::Motorcycle,
                        RawVehicleKind::Truck => VehicleKind::Truck,
                        RawVehicleKind::Other => VehicleKind::Other,
                    },
                    total_weight_kg: raw.total_weight_kg,
                    fuel_class: raw.fuel_class,
                    country: vehicle_country,
                    owners,
                    users,
                    stolen: raw.stolen,
                    flagged: raw.flagged,
                },
            ))
        });
        let known = load_file(&dir.join(ADDRESSES_FILE), &mut errors, |p, i, value| {
            let raw: RawKnownAddress = match serde_json::from_value(value) {
                Ok(raw) => raw,
                Err(e) => return p.push(i, "", e),
            };
            if !(-180.0..=180.0).contains(&raw.lon) || !(-90.0..=90.0).contains(&raw.lat) {
                return p.push(
                    i,
                    &format!("address {:?}", raw.address),
                    "coordinates out of range; expected lon -180..180, lat -90..90",
                );
            }
            Some((
                normalise(&raw.address),
                KnownAddress {
                    position: Coordinates {
                        lon: raw.lon,
                        lat: raw.lat,
                    },
                    attributes: AddressAttributes {
                        private_road: raw.private_road,
                        garage_right: raw.garage_right,
                    },
                },
            ))
        });

        // addresses.json first: it is the address register; then every address the other
        // registers mention.
        let mut addresses: HashMap<String, KnownAddress> = HashMap::new();
        for (text, address) in known.into_iter().flatten() {
            addresses.entry(text).or_insert(address);
        }
        let mut note_address = |address: &Address| {
            if let Some(position) = address.coordinates {
                addresses
                    .entry(normalise(&address.one_line()))
                    .or_insert(KnownAddress {
                        position,
                        attributes: address.attributes.clone(),
                    });
            }
        };
        for fact in people.iter().flat_map(HashMap::values) {
            note_address(&fact.address);
        }
        for fact in companies.iter().flat_map(HashMap::values) {
            for unit in &fact.units {
                note_address(&unit.address);
            }
        }

        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors.join("\n")));
        }
        Ok(Self {
            source,
            people,
            companies,
            vehicles,
            addresses,
            zones,
        })
    }

    /// Loads `tenants/<slug>/registry/` with the zones of `tenants/<slug>/zones.geojson` (if
    /// any), for a council in `country` (`DK`, `NL`, `PL`).
    pub fn load_tenant(tenant_dir: &Path, country: &str) -> Result<Self, RegistryError> {
        let country =
            IdCountry::from_iso(country).map_err(|e| RegistryError::Invalid(e.to_string()))?;
        let zones_path = tenant_dir.join("zones.geojson");
        let zones = match std::fs::read_to_string(&zones_path) {
            Ok(text) => ZoneIndex::from_feature_collection(&text)
                .map_err(|e| RegistryError::Invalid(format!("{}: {e}", zones_path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ZoneIndex::default(),
            Err(e) => {
                return Err(RegistryError::Invalid(format!(
                    "{}: cannot read the file ({e})",
                    zones_path.display()
                )));
            }
        };
        Self::load(&tenant_dir.join("registry"), country, zones)
    }

    /// The registry folder of a tenant folder.
    pub fn dir_of(tenant_dir: &Path) -> PathBuf {
        tenant_dir.join("registry")
    }

    pub fn people_count(&self) -> usize {
        self.people.as_ref().map_or(0, HashMap::len)
    }

    pub fn vehicle_count(&self) -> usize {
        self.vehicles.as_ref().map_or(0, HashMap::len)
    }

    pub fn company_count(&self) -> usize {
        self.companies.as_ref().map_or(0, HashMap::len)
    }

    fn source_of(&self, file: &str) -> String {
        format!("{}/{file}", self.source)
    }
}

/// Reads one file's entries through `entry` (which reports its own problems and returns
/// `None` for a bad entry); duplicate keys are problems too. `None` when the file is absent.
fn load_file<K, V>(
    path: &Path,
    errors: &mut Vec<String>,
    mut entry: impl FnMut(&mut FileProblems<'_>, usize, Value) -> Option<(K, V)>,
) -> Option<HashMap<K, V>>
where
    K: std::hash::Hash + Eq + std::fmt::Display,
{
    let entries = match read_entries(path) {
        Ok(Some(entries)) => entries,
        Ok(None) => return None,
        Err(e) => {
            errors.push(e.to_string());
            return Some(HashMap::new());
        }
    };
    let mut problems = FileProblems {
        file: path,
        errors: Vec::new(),
    };
    let mut map = HashMap::with_capacity(entries.len());
    for (i, value) in entries.into_iter().enumerate() {
        if let Some((key, value)) = entry(&mut problems, i, value) {
            match map.entry(key) {
                std::collections::hash_map::Entry::Occupied(taken) => {
                    problems.push::<()>(
                        i,
                        "",
                        format!("{} appears twice; expected one entry each", taken.key()),
                    );
                }
                std::collections::hash_map::Entry::Vacant(free) => {
                    free.insert(value);
                }
            }
        }
    }
    errors.append(&mut problems.errors);
    Some(map)
}

fn not_configured<T>(what: Option<&T>) -> Result<&T, RegistryError> {
    what.ok_or(RegistryError::NotConfigured)
}

#[async_trait]
impl PersonRegistry for FileRegistry {
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError> {
        let people = not_configured(self.people.as_ref())?;
        Ok(people.get(id).map(|fact| Person {
            national_id: id.clone(),
            name: fact.name.clone(),
            address: fact.address.clone(),
            moved_in: fact.moved_in,
            status: fact.status,
            fetched_at: Utc::now(),
            source: self.source_of(PEOPLE_FILE),
        }))
    }
}

#[async_trait]
impl BusinessRegistry for FileRegistry {
    async fn company(&self, id: &CompanyId) -> Result<Option<Company>, RegistryError> {
        let companies = not_configured(self.companies.as_ref())?;
        Ok(companies.get(id).map(|fact| Company {
            company_id: id.clone(),
            name: fact.name.clone(),
            status: fact.status,
            production_units: fact.units.clone(),
            fetched_at: Utc::now(),
            source: self.source_of(COMPANIES_FILE),
        }))
    }
}

#[async_trait]
impl VehicleRegistry for FileRegistry {
    async fn vehicle(&self, plate: &Plate) -> Result<Option<Vehicle>, RegistryError> {
        let vehicles = not_configured(self.vehicles.as_ref())?;
        Ok(vehicles.get(plate).map(|fact| Vehicle {
            plate: plate.clone(),
            kind: fact.kind,
            total_weight_kg: fact.total_weight_kg,
            fuel_class: fact.fuel_class.clone(),
            country: fact.country,
            owners: fact.owners.clone(),
            users: fact.users.clone(),
            stolen: fact.stolen,
            flagged: fact.flagged.clone(),
            fetched_at: Utc::now(),
            source: self.source_of(VEHICLES_FILE),
        }))
    }
}

#[async_trait]
impl AddressRegistry for FileRegistry {
    async fn zone_for(&self, query: &AddressQuery) -> Result<Option<ZoneMatch>, RegistryError> {
        if self.zones.is_empty() {
            return Err(RegistryError::NotConfigured);
        }
        let (position, attributes) = match query {
            AddressQuery::Text(text) => match self.addresses.get(&normalise(text)) {
                Some(known) => (known.position, known.attributes.clone()),
                None => return Ok(None),
            },
            AddressQuery::Point(point) => (
                *point,
                self.addresses
                    .values()
                    .find(|known| known.position == *point)
                    .map(|known| known.attributes.clone())
                    .unwrap_or_default(),
            ),
        };
        Ok(self.zones.zone_at(position).map(|code| ZoneMatch {
            zone_code: code.clone(),
            attributes,
            fetched_at: Utc::now(),
            source: self.source_of(ADDRESSES_FILE),
        }))
    }
}
