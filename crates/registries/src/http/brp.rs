//! NL person register: the Haal Centraal **BRP API Personen** (BRP bevragen v2,
//! STANDARDS.md §7.1).
//!
//! One operation: `POST {base}/personen` with
//! `{"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": ["<bsn>"], "fields": […]}`
//! and the key in `X-API-KEY` (the proefomgeving; production goes through Diginetwerk with a
//! PKIoverheid certificate and OAuth, which is configured outside this adapter — point
//! `base_url` at the gateway). The number travels only in the body, never in the URL.
//!
//! The answer is `{"type": "RaadpleegMetBurgerservicenummer", "personen": [Persoon]}`; an
//! unknown number gives an empty list (→ `Ok(None)`). Fields read, from the specification in
//! `BRP-API/Haal-Centraal-BRP-bevragen` (`specificatie/brp-api/…`):
//!
//! * `naam.volledigeNaam` (else `voornamen` + `voorvoegsel` + `geslachtsnaam`);
//! * `verblijfplaats` (polymorphic on `type`): for `Adres`, `verblijfadres {officieleStraatnaam,
//!   huisnummer, huisletter, huisnummertoevoeging, postcode, woonplaats}`; for
//!   `VerblijfplaatsBuitenland` the lines `regel1..3` and `land`; for `Locatie` the
//!   `locatiebeschrijving`;
//! * the moving-in date: `verblijfplaats.datumVan` (filled from "datum aanvang adreshouding",
//!   10.30), else the deprecated `datumIngangGeldigheid` (or v1's
//!   `datumAanvangAdresseerbaarObject`), else `datumInschrijvingInGemeente`. Dates are
//!   polymorphic (`Datum`, `JaarMaandDatum`, `JaarDatum`, `DatumOnbekend`); a partial date is
//!   taken as its first day;
//! * `gemeenteVanInschrijving.code` (CBS code, e.g. `0518`) as the municipality code;
//! * `opschortingBijhouding.reden.code` (always delivered, must not be asked for in
//!   `fields`): `O` overlijden → dead, `E` emigratie → emigrated, `M`/`R`/other → unknown,
//!   none → active. `F` (fout: the record was created in error and is void) → `Ok(None)`.
//!
//! The BRP has no coordinates and no address attributes (private road, garage right): the
//! address comes back with `coordinates: None` and default attributes.

use super::{HttpClient, HttpConfig, scalar_text, sensitive};
use crate::ids::{NationalId, NationalIdKind};
use crate::ports::{
    Address, AddressAttributes, Person, PersonRegistry, PersonStatus, RegistryError,
};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

const REGISTER: &str = "person register (Haal Centraal BRP)";

/// The paths asked for: no more than the permit decision needs (the API checks each against
/// the municipality's authorisation; a path outside it is a 400/403).
pub const FIELDS: &[&str] = &[
    "burgerservicenummer",
    "naam.volledigeNaam",
    "verblijfplaats",
    "gemeenteVanInschrijving",
    "datumInschrijvingInGemeente",
];

/// [`PersonRegistry`] over the Haal Centraal BRP API Personen. Dutch BSNs only.
#[derive(Debug, Clone)]
pub struct HaalCentraalBrp {
    client: HttpClient,
    endpoint: Url,
}

impl HaalCentraalBrp {
    /// The proefomgeving (test environment). Production is reached through the
    /// municipality's Diginetwerk gateway.
    pub const DEFAULT_BASE_URL: &str = "https://proefomgeving.haalcentraal.nl/haalcentraal/api/brp";

    /// `config.base_url` is the API base (without `/personen`); `config.api_key`, when set,
    /// is sent as `X-API-KEY`.
    pub fn new(config: HttpConfig) -> Result<Self, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(key) = &config.api_key {
            let (name, value) = sensitive(REGISTER, "x-api-key", key)?;
            headers.insert(name, value);
        }
        let client = HttpClient::new(REGISTER, &config, headers)?;
        let endpoint = client.url("/personen")?;
        Ok(Self { client, endpoint })
    }

    fn source(&self) -> String {
        format!("Haal Centraal BRP ({})", self.client.host())
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    personen: Option<Vec<Persoon>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Persoon {
    burgerservicenummer: Option<String>,
    naam: Option<Naam>,
    verblijfplaats: Option<Verblijfplaats>,
    gemeente_van_inschrijving: Option<Waardetabel>,
    datum_inschrijving_in_gemeente: Option<Datum>,
    opschorting_bijhouding: Option<Opschorting>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Naam {
    volledige_naam: Option<String>,
    voornamen: Option<String>,
    voorvoegsel: Option<String>,
    geslachtsnaam: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verblijfplaats {
    #[serde(rename = "type")]
    kind: Option<String>,
    verblijfadres: Option<Verblijfadres>,
    datum_van: Option<Datum>,
    #[serde(alias = "datumAanvangAdresseerbaarObject")]
    datum_ingang_geldigheid: Option<Datum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verblijfadres {
    officiele_straatnaam: Option<String>,
    korte_straatnaam: Option<String>,
    huisnummer: Option<Value>,
    huisletter: Option<String>,
    huisnummertoevoeging: Option<String>,
    postcode: Option<String>,
    woonplaats: Option<String>,
    // VerblijfplaatsBuitenland
    regel1: Option<String>,
    regel2: Option<String>,
    regel3: Option<String>,
    land: Option<Waardetabel>,
    // Locatie
    locatiebeschrijving: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Waardetabel {
    code: Option<String>,
    omschrijving: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Opschorting {
    reden: Option<Waardetabel>,
}

/// A polymorphic BRP date: `{type: "Datum", datum: "2020-03-08"}`, `{type: "JaarMaandDatum",
/// jaar, maand}`, `{type: "JaarDatum", jaar}`, `{type: "DatumOnbekend"}`.
#[derive(Debug, Deserialize)]
struct Datum {
    datum: Option<String>,
    jaar: Option<i32>,
    maand: Option<u32>,
}

impl Datum {
    /// The day, or the first day of a partial date; `None` for an unknown date.
    fn first_day(&self) -> Option<NaiveDate> {
        if let Some(text) = self.datum.as_deref() {
            let text = text.trim();
            return NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(text, "%Y%m%d"))
                .ok();
        }
        let year = self.jaar.filter(|y| *y > 0)?;
        NaiveDate::from_ymd_opt(year, self.maand.filter(|m| *m > 0).unwrap_or(1), 1)
    }
}

fn nonempty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

impl HaalCentraalBrp {
    fn person_from(&self, id: &NationalId, p: Persoon) -> Result<Option<Person>, RegistryError> {
        let status = match p
            .opschorting_bijhouding
            .as_ref()
            .and_then(|o| o.reden.as_ref())
            .and_then(|r| nonempty(r.code.as_deref()))
        {
            None => PersonStatus::Active,
            Some("O") => PersonStatus::Dead,
            Some("E") => PersonStatus::Emigrated,
            // The record was created in error and is void: as good as not registered.
            Some("F") => return Ok(None),
            Some(_) => PersonStatus::Unknown,
        };
        let name = p
            .naam
            .as_ref()
            .and_then(|n| {
                nonempty(n.volledige_naam.as_deref())
                    .map(str::to_owned)
                    .or_else(|| {
                        let parts: Vec<&str> = [&n.voornamen, &n.voorvoegsel, &n.geslachtsnaam]
                            .into_iter()
                            .filter_map(|s| nonempty(s.as_deref()))
                            .collect();
                        (!parts.is_empty()).then(|| parts.join(" "))
                    })
            })
            .ok_or_else(|| {
                self.client
                    .malformed("personen[0] has no naam.volledigeNaam")
            })?;
        let verblijfplaats = p
            .verblijfplaats
            .ok_or_else(|| self.client.malformed("personen[0] has no verblijfplaats"))?;
        let municipality_code = p
            .gemeente_van_inschrijving
            .as_ref()
            .and_then(|g| nonempty(g.code.as_deref()))
            .map(str::to_owned)
            .ok_or_else(|| {
                self.client
                    .malformed("personen[0] has no gemeenteVanInschrijving.code")
            })?;
        let moved_in = [
            verblijfplaats.datum_van.as_ref(),
            verblijfplaats.datum_ingang_geldigheid.as_ref(),
            p.datum_inschrijving_in_gemeente.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find_map(Datum::first_day)
        .ok_or_else(|| {
            self.client.malformed(
                "personen[0] has no known verblijfplaats.datumVan (nor datumIngangGeldigheid or datumInschrijvingInGemeente)",
            )
        })?;
        let address = self.address(&verblijfplaats, municipality_code)?;
        Ok(Some(Person {
            national_id: id.clone(),
            name,
            address,
            moved_in,
            status,
            fetched_at: Utc::now(),
            source: self.source(),
        }))
    }

    fn address(
        &self,
        place: &Verblijfplaats,
        municipality_code: String,
    ) -> Result<Address, RegistryError> {
        let empty = Verblijfadres::default();
        let a = place.verblijfadres.as_ref().unwrap_or(&empty);
        let text = |s: &Option<String>| nonempty(s.as_deref()).unwrap_or_default().to_owned();
        let (street, number, postcode, city) = match place.kind.as_deref() {
            Some("Adres") | None => {
                let street = nonempty(a.officiele_straatnaam.as_deref())
                    .or(nonempty(a.korte_straatnaam.as_deref()))
                    .ok_or_else(|| {
                        self.client.malformed(
                            "personen[0].verblijfplaats.verblijfadres has no officieleStraatnaam",
                        )
                    })?
                    .to_owned();
                let house = a.huisnummer.as_ref().and_then(scalar_text).ok_or_else(|| {
                    self.client
                        .malformed("personen[0].verblijfplaats.verblijfadres has no huisnummer")
                })?;
                // Dutch notation: 12, 12a, 12a-2 (as the BAG and PDOK write it).
                let mut number = house;
                number.push_str(&text(&a.huisletter));
                if let Some(extra) = nonempty(a.huisnummertoevoeging.as_deref()) {
                    number.push('-');
                    number.push_str(extra);
                }
                (street, number, text(&a.postcode), text(&a.woonplaats))
            }
            Some("VerblijfplaatsBuitenland") => {
                let country = a
                    .land
                    .as_ref()
                    .and_then(|l| nonempty(l.omschrijving.as_deref()))
                    .unwrap_or_default();
                let city = [text(&a.regel2), text(&a.regel3), country.to_owned()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                (text(&a.regel1), String::new(), String::new(), city)
            }
            Some("Locatie") => (
                text(&a.locatiebeschrijving),
                String::new(),
                text(&a.postcode),
                text(&a.woonplaats),
            ),
            // VerblijfplaatsOnbekend, or a type this adapter does not know.
            Some(_) => (String::new(), String::new(), String::new(), String::new()),
        };
        Ok(Address {
            street,
            number,
            postcode,
            city,
            municipality_code,
            coordinates: None,
            attributes: AddressAttributes::default(),
        })
    }
}

#[async_trait]
impl PersonRegistry for HaalCentraalBrp {
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError> {
        if id.kind() != NationalIdKind::Bsn {
            return Err(RegistryError::Invalid(format!(
                "the {REGISTER} knows Dutch citizen service numbers (BSN) only"
            )));
        }
        let body = json!({
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": [id.expose_digits()],
            "fields": FIELDS,
        });
        let request = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body.to_string());
        let Some(answer) = self
            .client
            .fetch_json::<Answer>(request, "the answer")
            .await?
        else {
            return Ok(None);
        };
        let personen = answer
            .personen
            .ok_or_else(|| self.client.malformed("the answer has no \"personen\" list"))?;
        // One number asked, so at most one person; pick it by its number if the register
        // says it, and refuse an answer about somebody else.
        if personen.is_empty() {
            return Ok(None);
        }
        let mut matching = personen.into_iter().filter(|p| {
            p.burgerservicenummer
                .as_deref()
                .is_none_or(|bsn| bsn.trim() == id.expose_digits())
        });
        let Some(persoon) = matching.next() else {
            return Err(self
                .client
                .malformed("the answer is about a different burgerservicenummer"));
        };
        if matching.next().is_some() {
            return Err(self
                .client
                .malformed("the answer has more than one person for one number"));
        }
        self.person_from(id, persoon)
    }
}
