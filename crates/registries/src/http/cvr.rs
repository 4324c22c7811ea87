//! DK business register: the **CVR** system-to-system access of Erhvervsstyrelsen
//! (Elasticsearch index `cvr-permanent`, STANDARDS.md §7.3), with HTTP Basic credentials
//! issued by Erhvervsstyrelsen.
//!
//! Two searches:
//!
//! 1. `POST {base}/cvr-permanent/virksomhed/_search` with
//!    `{"query": {"term": {"Vrvirksomhed.cvrNummer": <cvr>}}, "size": 1}` →
//!    `hits.hits[]._source.Vrvirksomhed` with `cvrNummer`, `navne[{navn, periode}]`,
//!    `virksomhedsstatus[{status, periode}]`, `livsforloeb[{periode}]`,
//!    `penheder[{pNummer, periode}]` and `virksomhedMetadata {nyesteNavn, sammensatStatus}`.
//!    No hit → `Ok(None)`.
//! 2. For the company's current production units (`penheder` whose period is open):
//!    `POST {base}/cvr-permanent/produktionsenhed/_search` with
//!    `{"query": {"terms": {"VrproduktionsEnhed.pNummer": [...]}}, "size": n}` →
//!    `_source.VrproduktionsEnhed` with `pNummer`, `navne`, `beliggenhedsadresse[{vejnavn,
//!    husnummerFra, bogstavFra, etage, sidedoer, postnummer, postdistrikt, kommune
//!    {kommuneKode}, periode}]` and `produktionsEnhedMetadata {nyesteNavn,
//!    nyesteBeliggenhedsadresse}`. Skipped when the company has no current unit.
//!
//! "Current" is the entry whose `periode.gyldigTil` is null (else the one valid last).
//!
//! Status, from the current `virksomhedsstatus` (else `virksomhedMetadata.sammensatStatus`):
//! `NORMAL`/`Aktiv` → active; `UNDER KONKURS` → bankrupt; `OPLØST …`, `TVANGSOPLØST`,
//! `SLETTET`, `Ophørt` → dissolved; anything else (`UNDER FRIVILLIG LIKVIDATION`, `UNDER
//! TVANGSOPLØSNING`, `UNDER REKONSTRUKTION`, …) → unknown, for a person to judge. With no
//! status at all, a closed `livsforloeb` means dissolved.
//!
//! Addresses are Danish style: number = `husnummerFra` + `bogstavFra`, then `, etage. sidedør`
//! (`12A, 2. tv`); municipality = `kommuneKode` as four digits (`0101`); CVR gives no
//! coordinates.

use super::{HttpClient, HttpConfig, Secret, scalar_text};
use crate::ids::{CompanyId, CompanyIdKind};
use crate::ports::{
    Address, AddressAttributes, BusinessRegistry, Company, CompanyStatus, ProductionUnit,
    RegistryError,
};
use async_trait::async_trait;
use chrono::Utc;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const REGISTER: &str = "business register (CVR)";

/// [`BusinessRegistry`] over CVR's Elasticsearch distribution. Danish CVR numbers only.
#[derive(Debug, Clone)]
pub struct CvrDistribution {
    client: HttpClient,
    user: String,
    password: Secret,
    companies: Url,
    units: Url,
}

impl CvrDistribution {
    pub const DEFAULT_BASE_URL: &str = "http://distribution.virk.dk";

    /// `config.base_url` is the distribution host (`http://distribution.virk.dk`, without
    /// `/cvr-permanent`); `user` and `password` are the system-to-system credentials from
    /// Erhvervsstyrelsen (HTTP Basic). `config.api_key` is not used.
    pub fn new(
        config: HttpConfig,
        user: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Result<Self, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let client = HttpClient::new(REGISTER, &config, headers)?;
        let companies = client.url("/cvr-permanent/virksomhed/_search")?;
        let units = client.url("/cvr-permanent/produktionsenhed/_search")?;
        Ok(Self {
            client,
            user: user.into(),
            password: password.into(),
            companies,
            units,
        })
    }

    fn source(&self) -> String {
        format!("CVR ({}, cvr-permanent)", self.client.host())
    }

    async fn search<T: DeserializeOwned>(
        &self,
        url: &Url,
        query: Value,
        what: &str,
    ) -> Result<Vec<T>, RegistryError> {
        let request = self
            .client
            .post(url.clone())
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(CONTENT_TYPE, "application/json")
            .body(query.to_string());
        let Some(answer) = self
            .client
            .fetch_json::<SearchAnswer<T>>(request, what)
            .await?
        else {
            return Ok(Vec::new());
        };
        let hits = answer
            .hits
            .ok_or_else(|| self.client.malformed(format!("{what} has no \"hits\"")))?;
        Ok(hits.hits.into_iter().map(|h| h.source).collect())
    }
}

#[derive(Debug, Deserialize)]
struct SearchAnswer<T> {
    hits: Option<Hits<T>>,
}

#[derive(Debug, Deserialize)]
struct Hits<T> {
    #[serde(default = "Vec::new")]
    hits: Vec<Hit<T>>,
}

#[derive(Debug, Deserialize)]
struct Hit<T> {
    #[serde(rename = "_source")]
    source: T,
}

#[derive(Debug, Deserialize)]
struct CompanySource {
    #[serde(rename = "Vrvirksomhed")]
    company: Option<RawCompany>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCompany {
    cvr_nummer: Option<Value>,
    #[serde(default)]
    navne: Vec<Named>,
    #[serde(default)]
    virksomhedsstatus: Vec<Status>,
    #[serde(default)]
    livsforloeb: Vec<Periodic>,
    #[serde(default)]
    penheder: Vec<UnitRef>,
    virksomhed_metadata: Option<CompanyMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompanyMetadata {
    nyeste_navn: Option<Named>,
    sammensat_status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UnitSource {
    #[serde(rename = "VrproduktionsEnhed")]
    unit: Option<RawUnit>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUnit {
    p_nummer: Option<Value>,
    #[serde(default)]
    navne: Vec<Named>,
    #[serde(default)]
    beliggenhedsadresse: Vec<RawAddress>,
    produktions_enhed_metadata: Option<UnitMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnitMetadata {
    nyeste_navn: Option<Named>,
    nyeste_beliggenhedsadresse: Option<RawAddress>,
}

#[derive(Debug, Deserialize)]
struct Named {
    navn: Option<String>,
    periode: Option<Periode>,
}

#[derive(Debug, Deserialize)]
struct Status {
    status: Option<String>,
    periode: Option<Periode>,
}

#[derive(Debug, Deserialize)]
struct Periodic {
    periode: Option<Periode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnitRef {
    p_nummer: Option<Value>,
    periode: Option<Periode>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Periode {
    gyldig_fra: Option<String>,
    gyldig_til: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAddress {
    vejnavn: Option<String>,
    husnummer_fra: Option<Value>,
    bogstav_fra: Option<String>,
    etage: Option<String>,
    sidedoer: Option<String>,
    postnummer: Option<Value>,
    postdistrikt: Option<String>,
    kommune: Option<Kommune>,
    periode: Option<Periode>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kommune {
    kommune_kode: Option<Value>,
}

/// Open (`gyldigTil` null) or, failing that, the one that started last.
fn current<T>(items: &[T], periode: impl Fn(&T) -> Option<&Periode>) -> Option<&T> {
    items
        .iter()
        .find(|item| periode(item).is_none_or(|p| p.gyldig_til.is_none()))
        .or_else(|| {
            items
                .iter()
                .max_by_key(|item| periode(item).and_then(|p| p.gyldig_fra.clone()))
        })
}

fn is_open(periode: Option<&Periode>) -> bool {
    periode.is_none_or(|p| p.gyldig_til.is_none())
}

fn nonempty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn status_of(text: &str) -> CompanyStatus {
    let upper = text.trim().to_uppercase();
    match upper.as_str() {
        "NORMAL" | "AKTIV" => CompanyStatus::Active,
        "UNDER KONKURS" => CompanyStatus::Bankrupt,
        "TVANGSOPLØST" | "SLETTET" | "OPHØRT" => CompanyStatus::Dissolved,
        s if s.starts_with("OPLØST") => CompanyStatus::Dissolved,
        _ => CompanyStatus::Unknown,
    }
}

impl CvrDistribution {
    fn address(&self, raw: &RawAddress, p_number: &str) -> Result<Address, RegistryError> {
        let missing = |field: &str| {
            self.client.malformed(format!(
                "production unit {p_number}: beliggenhedsadresse has no {field}"
            ))
        };
        let street = nonempty(raw.vejnavn.as_deref()).ok_or_else(|| missing("vejnavn"))?;
        let mut number = raw
            .husnummer_fra
            .as_ref()
            .and_then(scalar_text)
            .ok_or_else(|| missing("husnummerFra"))?;
        number.push_str(&nonempty(raw.bogstav_fra.as_deref()).unwrap_or_default());
        let floor = nonempty(raw.etage.as_deref());
        let door = nonempty(raw.sidedoer.as_deref());
        match (floor, door) {
            (Some(floor), Some(door)) => number.push_str(&format!(", {floor}. {door}")),
            (Some(floor), None) => number.push_str(&format!(", {floor}.")),
            (None, Some(door)) => number.push_str(&format!(", {door}")),
            (None, None) => {}
        }
        let postcode = raw
            .postnummer
            .as_ref()
            .and_then(scalar_text)
            .ok_or_else(|| missing("postnummer"))?;
        let city = nonempty(raw.postdistrikt.as_deref()).ok_or_else(|| missing("postdistrikt"))?;
        let municipality_code = raw
            .kommune
            .as_ref()
            .and_then(|k| k.kommune_kode.as_ref())
            .and_then(scalar_text)
            .and_then(|code| code.parse::<u16>().ok())
            .map(|code| format!("{code:04}"))
            .ok_or_else(|| missing("kommune.kommuneKode"))?;
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

    fn unit(&self, raw: RawUnit) -> Result<ProductionUnit, RegistryError> {
        let p_number = raw
            .p_nummer
            .as_ref()
            .and_then(scalar_text)
            .filter(|p| p.len() == 10 && p.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                self.client
                    .malformed("a production unit has no 10-digit pNummer")
            })?;
        let metadata = raw.produktions_enhed_metadata.as_ref();
        let name = metadata
            .and_then(|m| m.nyeste_navn.as_ref())
            .and_then(|n| nonempty(n.navn.as_deref()))
            .or_else(|| {
                current(&raw.navne, |n| n.periode.as_ref())
                    .and_then(|n| nonempty(n.navn.as_deref()))
            })
            .ok_or_else(|| {
                self.client
                    .malformed(format!("production unit {p_number} has no name (navne)"))
            })?;
        let address = metadata
            .and_then(|m| m.nyeste_beliggenhedsadresse.as_ref())
            .or_else(|| current(&raw.beliggenhedsadresse, |a| a.periode.as_ref()))
            .ok_or_else(|| {
                self.client.malformed(format!(
                    "production unit {p_number} has no beliggenhedsadresse"
                ))
            })?;
        let address = self.address(address, &p_number)?;
        Ok(ProductionUnit {
            p_number,
            name,
            address,
        })
    }
}

#[async_trait]
impl BusinessRegistry for CvrDistribution {
    async fn company(&self, id: &CompanyId) -> Result<Option<Company>, RegistryError> {
        if id.kind() != CompanyIdKind::Cvr {
            return Err(RegistryError::Invalid(format!(
                "the {REGISTER} knows Danish CVR numbers only"
            )));
        }
        let cvr: u32 = id
            .as_str()
            .parse()
            .map_err(|_| RegistryError::Invalid(format!("{id} is not a CVR number (8 digits)")))?;
        let query = json!({
            "query": {"term": {"Vrvirksomhed.cvrNummer": cvr}},
            "size": 1,
        });
        let hits: Vec<CompanySource> = self
            .search(&self.companies, query, "the company search result")
            .await?;
        let Some(raw) = hits.into_iter().filter_map(|h| h.company).find(|c| {
            c.cvr_nummer
                .as_ref()
                .and_then(scalar_text)
                .is_none_or(|n| n == id.as_str())
        }) else {
            return Ok(None);
        };
        let name = raw
            .virksomhed_metadata
            .as_ref()
            .and_then(|m| m.nyeste_navn.as_ref())
            .and_then(|n| nonempty(n.navn.as_deref()))
            .or_else(|| {
                current(&raw.navne, |n| n.periode.as_ref())
                    .and_then(|n| nonempty(n.navn.as_deref()))
            })
            .ok_or_else(|| {
                self.client
                    .malformed(format!("company {id} has no name (navne)"))
            })?;
        let status = current(&raw.virksomhedsstatus, |s| s.periode.as_ref())
            .and_then(|s| nonempty(s.status.as_deref()))
            .or_else(|| {
                raw.virksomhed_metadata
                    .as_ref()
                    .and_then(|m| nonempty(m.sammensat_status.as_deref()))
            })
            .map(|s| status_of(&s))
            .unwrap_or_else(|| {
                if raw.livsforloeb.iter().any(|l| is_open(l.periode.as_ref())) {
                    CompanyStatus::Active
                } else if raw.livsforloeb.is_empty() {
                    CompanyStatus::Unknown
                } else {
                    CompanyStatus::Dissolved
                }
            });
        let p_numbers: Vec<String> = raw
            .penheder
            .iter()
            .filter(|u| is_open(u.periode.as_ref()))
            .filter_map(|u| u.p_nummer.as_ref().and_then(scalar_text))
            .collect();
        let mut production_units = Vec::with_capacity(p_numbers.len());
        if !p_numbers.is_empty() {
            let query = json!({
                "query": {"terms": {"VrproduktionsEnhed.pNummer": p_numbers}},
                "size": p_numbers.len(),
            });
            let units: Vec<UnitSource> = self
                .search(&self.units, query, "the production unit search result")
                .await?;
            for raw in units.into_iter().filter_map(|u| u.unit) {
                production_units.push(self.unit(raw)?);
            }
            // In the order the company lists them.
            production_units.sort_by_key(|u| {
                p_numbers
                    .iter()
                    .position(|p| *p == u.p_number)
                    .unwrap_or(usize::MAX)
            });
        }
        Ok(Some(Company {
            company_id: id.clone(),
            name,
            status,
            production_units,
            fetched_at: Utc::now(),
            source: self.source(),
        }))
    }
}
