//! NL vehicle register: **RDW Open Data** (Socrata SODA, STANDARDS.md §7.2).
//!
//! Two calls, made at the same time:
//!
//! * `GET {base}/resource/m9d7-ebf2.json?kenteken=<PLATE>` — *Gekentekende voertuigen*:
//!   `kenteken`, `voertuigsoort` (`Personenauto`, `Bedrijfsauto`, `Motorfiets`, …),
//!   `toegestane_maximum_massa_voertuig` (kg, as a string), `export_indicator`, …
//! * `GET {base}/resource/8ys7-d773.json?kenteken=<PLATE>` — *Brandstof*: one row per fuel
//!   (`brandstof_volgnummer`), `brandstof_omschrijving` (`Benzine`, `Diesel`,
//!   `Elektriciteit`, `LPG`, …).
//!
//! The plate goes in upper case without dashes or spaces, as RDW stores it (`6-TJR-64` →
//! `6TJR64`); [`Plate`] is already normalised that way. An empty array means RDW does not know
//! the plate (→ `Ok(None)`). No key is needed; `HttpConfig::api_key`, when set, is sent as
//! `X-App-Token` (a Socrata app token raises the rate limit).
//!
//! **What open data does not say.** RDW open data has no owner or keeper (*tenaamstelling* is
//! only available through RDW's closed services), so `owners` and `users` are always empty and
//! [`Vehicle::is_held_by`] is false for everybody: a decision that needs the holder must ask
//! the applicant for proof (or use a closed RDW service). Whether a vehicle is reported stolen
//! is not in open data either: `stolen` is always `false` and means "not known", not "not
//! stolen". The fact's `source` says both.
//!
//! Kind: `Personenauto` → passenger car; `Bedrijfsauto` → van up to 3 500 kg permitted
//! maximum mass, truck above; `Motorfiets` → motorcycle; everything else (`Bromfiets`,
//! `Aanhangwagen`, `Bus`, …) → other. Fuel class: the fuel descriptions in `volgnummer` order,
//! joined with `/` (a plug-in hybrid is `Benzine/Elektriciteit`); `unknown` when RDW lists no
//! fuel (trailers).

use super::{HttpClient, HttpConfig, scalar_text, sensitive};
use crate::ids::Plate;
use crate::ports::{RegistryError, Vehicle, VehicleKind, VehicleRegistry};
use async_trait::async_trait;
use chrono::Utc;
use civicpay_domain::CountryCode;
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

const REGISTER: &str = "vehicle register (RDW)";
const VEHICLES: &str = "m9d7-ebf2";
const FUELS: &str = "8ys7-d773";
/// Above this permitted maximum mass a `Bedrijfsauto` is a truck (the EU N1/N2 boundary and
/// the Dutch driving-licence B limit).
const VAN_MAX_KG: u32 = 3_500;

/// [`VehicleRegistry`] over RDW Open Data. Dutch plates only; see the module documentation
/// for what open data leaves out (owners, stolen status).
#[derive(Debug, Clone)]
pub struct RdwOpenData {
    client: HttpClient,
    vehicles: Url,
    fuels: Url,
}

impl RdwOpenData {
    pub const DEFAULT_BASE_URL: &str = "https://opendata.rdw.nl";

    /// `config.base_url` is the Socrata host (`https://opendata.rdw.nl`); `config.api_key`,
    /// optional, is a Socrata app token sent as `X-App-Token`.
    pub fn new(config: HttpConfig) -> Result<Self, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = &config.api_key {
            let (name, value) = sensitive(REGISTER, "x-app-token", token)?;
            headers.insert(name, value);
        }
        let client = HttpClient::new(REGISTER, &config, headers)?;
        let vehicles = client.url(&format!("/resource/{VEHICLES}.json"))?;
        let fuels = client.url(&format!("/resource/{FUELS}.json"))?;
        Ok(Self {
            client,
            vehicles,
            fuels,
        })
    }

    fn source(&self) -> String {
        format!(
            "RDW Open Data ({}, datasets {VEHICLES} + {FUELS}); no owners or users and no stolen status in open data",
            self.client.host()
        )
    }

    async fn rows<T: for<'de> Deserialize<'de>>(
        &self,
        dataset: &Url,
        kenteken: &str,
        what: &str,
    ) -> Result<Vec<T>, RegistryError> {
        let mut url = dataset.clone();
        url.query_pairs_mut().append_pair("kenteken", kenteken);
        Ok(self
            .client
            .fetch_json::<Vec<T>>(self.client.get(url), what)
            .await?
            .unwrap_or_default())
    }
}

/// A row of `m9d7-ebf2`; every field is a string in SODA's JSON.
#[derive(Debug, Deserialize)]
struct RawVehicle {
    kenteken: Option<String>,
    voertuigsoort: Option<String>,
    toegestane_maximum_massa_voertuig: Option<Value>,
    technische_max_massa_voertuig: Option<Value>,
}

/// A row of `8ys7-d773`.
#[derive(Debug, Deserialize)]
struct RawFuel {
    brandstof_volgnummer: Option<Value>,
    brandstof_omschrijving: Option<String>,
}

/// `"1500"` → 1500.
fn kilograms(value: Option<&Value>) -> Option<u32> {
    value
        .and_then(scalar_text)
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|kg| *kg > 0)
}

/// The plate as RDW writes it: upper case, letters and digits only.
fn kenteken(plate: &Plate) -> String {
    plate
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[async_trait]
impl VehicleRegistry for RdwOpenData {
    async fn vehicle(&self, plate: &Plate) -> Result<Option<Vehicle>, RegistryError> {
        let kenteken = kenteken(plate);
        if kenteken.is_empty() || kenteken.len() != plate.as_str().len() {
            return Err(RegistryError::Invalid(format!(
                "{plate} is not a Dutch number plate (RDW plates are letters A-Z and digits)"
            )));
        }
        let (vehicles, fuels) = tokio::join!(
            self.rows::<RawVehicle>(&self.vehicles, &kenteken, "the vehicle list"),
            self.rows::<RawFuel>(&self.fuels, &kenteken, "the fuel list"),
        );
        let vehicles = vehicles?;
        let Some(raw) = vehicles
            .into_iter()
            .find(|v| v.kenteken.as_deref().is_none_or(|k| k == kenteken))
        else {
            return Ok(None);
        };
        let mut fuels = fuels?;
        let voertuigsoort = raw
            .voertuigsoort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                self.client
                    .malformed(format!("{VEHICLES}: no voertuigsoort"))
            })?;
        let total_weight_kg = kilograms(raw.toegestane_maximum_massa_voertuig.as_ref())
            .or_else(|| kilograms(raw.technische_max_massa_voertuig.as_ref()))
            .ok_or_else(|| {
                self.client.malformed(format!(
                    "{VEHICLES}: no toegestane_maximum_massa_voertuig (nor technische_max_massa_voertuig)"
                ))
            })?;
        let kind = match voertuigsoort {
            "Personenauto" => VehicleKind::PassengerCar,
            "Bedrijfsauto" if total_weight_kg <= VAN_MAX_KG => VehicleKind::Van,
            "Bedrijfsauto" => VehicleKind::Truck,
            "Motorfiets" => VehicleKind::Motorcycle,
            _ => VehicleKind::Other,
        };
        fuels.sort_by_key(|f| {
            f.brandstof_volgnummer
                .as_ref()
                .and_then(scalar_text)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(u32::MAX)
        });
        let mut names: Vec<String> = Vec::new();
        for fuel in fuels {
            if let Some(name) = fuel
                .brandstof_omschrijving
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        let fuel_class = if names.is_empty() {
            "unknown".to_owned()
        } else {
            names.join("/")
        };
        let country =
            CountryCode::parse("NL").map_err(|e| RegistryError::Invalid(e.to_string()))?;
        Ok(Some(Vehicle {
            plate: plate.clone(),
            kind,
            total_weight_kg,
            fuel_class,
            country,
            owners: Vec::new(),
            users: Vec::new(),
            stolen: false,
            flagged: None,
            fetched_at: Utc::now(),
            source: self.source(),
        }))
    }
}
