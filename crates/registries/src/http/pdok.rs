//! NL addresses: the **PDOK Locatieserver** v3.1 `free` (geocoding) service, composed with the
//! council's zones.
//!
//! Not in STANDARDS.md (which has only DAWA/DAR for Denmark); the shape below follows PDOK's
//! own documentation and a worked guide:
//!
//! * PDOK, `PDOK/locatieserver` README (API at `https://api.pdok.nl/bzk/locatieserver/search/v3_1/`,
//!   OpenAPI UI at `…/v3_1/ui/`; release notes 3.0 → 3.1: query parameters outside the
//!   OpenAPI specification are refused) and https://www.pdok.nl/introductie/-/article/pdok-locatieserver-1
//!   (Apache Solr behind it; `free` is the classic geocoder);
//! * RijksICTGilde, *handleiding-locatieserver*, `02-free.Rmd`: parameters `q`, `fq=type:adres`
//!   (only addresses), `rows`, `fl` (field list); the answer is Solr's
//!   `{"response": {"numFound", "start", "maxScore", "docs": [...]}}`; `centroide_ll` is WGS84
//!   as WKT `POINT(lon lat)` (`centroide_rd` the same in RD New); for an address the centroid is
//!   the address's position. Fields of an `adres` doc (as in the Python `locatieserver`
//!   client's `FreeDoc`): `weergavenaam` (`Sint Jansstraat 4, 9712JN Groningen`), `straatnaam`,
//!   `huisnummer` (a number), `huisletter`, `huisnummertoevoeging`, `huis_nlt` (`18-1`),
//!   `postcode`, `woonplaatsnaam`, `gemeentecode` (`0014`), `gemeentenaam`, `type`, `score`.
//!
//! `GET {base}/bzk/locatieserver/search/v3_1/free?q=<text>&fq=type:adres&rows=1&fl=<fields>`.
//! No key.
//!
//! The Locatieserver is fuzzy (it forgives typos, abbreviations, a missing postcode space):
//! the best match is taken only if its house number is one of the numbers typed, so that
//! "Coolsingel 40" never lands on "Coolsingel 4"; text without a house number is not an
//! address (→ `Ok(None)`). The matched address is named in the fact's `source`.
//!
//! Zones: the position goes through the council's [`ZoneIndex`] (point-in-polygon); an
//! address outside every zone is `Ok(None)`. A [`AddressQuery::Point`] needs no geocoding and
//! is answered from the zones alone. PDOK knows nothing of private roads or garage rights:
//! attributes are the default.

use super::{HttpClient, HttpConfig, scalar_text};
use crate::ports::{
    Address, AddressAttributes, AddressQuery, AddressRegistry, Coordinates, RegistryError,
    ZoneMatch,
};
use crate::zones::ZoneIndex;
use async_trait::async_trait;
use chrono::Utc;
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

const REGISTER: &str = "address register (PDOK Locatieserver)";
const FIELDS: &str = "id,type,weergavenaam,straatnaam,huisnummer,huisletter,huisnummertoevoeging,huis_nlt,postcode,woonplaatsnaam,gemeentecode,gemeentenaam,centroide_ll,score";

/// [`AddressRegistry`] for a Dutch council: PDOK geocodes the address, the council's zones
/// give the zone.
#[derive(Debug, Clone)]
pub struct PdokLocatieserver {
    client: HttpClient,
    free: Url,
    zones: ZoneIndex,
}

impl PdokLocatieserver {
    pub const DEFAULT_BASE_URL: &str = "https://api.pdok.nl";

    /// `config.base_url` is the PDOK API host (`https://api.pdok.nl`, without
    /// `/bzk/locatieserver/…`); `zones` is the council's zone index (e.g. from
    /// `tenants/<slug>/zones.geojson` via [`ZoneIndex::from_feature_collection`]).
    pub fn new(config: HttpConfig, zones: ZoneIndex) -> Result<Self, RegistryError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let client = HttpClient::new(REGISTER, &config, headers)?;
        let free = client.url("/bzk/locatieserver/search/v3_1/free")?;
        Ok(Self {
            client,
            free,
            zones,
        })
    }

    /// Geocodes `text` to the best matching Dutch address with its position, or `None` when
    /// PDOK has no address with one of the typed house numbers.
    pub async fn locate(&self, text: &str) -> Result<Option<Address>, RegistryError> {
        Ok(self.locate_doc(text).await?.map(|(address, _)| address))
    }

    async fn locate_doc(&self, text: &str) -> Result<Option<(Address, String)>, RegistryError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let typed = numbers_in(&text);
        if typed.is_empty() {
            return Ok(None);
        }
        let mut url = self.free.clone();
        url.query_pairs_mut()
            .append_pair("q", &text)
            .append_pair("fq", "type:adres")
            .append_pair("rows", "1")
            .append_pair("fl", FIELDS);
        let Some(answer) = self
            .client
            .fetch_json::<Answer>(self.client.get(url), "the search result")
            .await?
        else {
            return Ok(None);
        };
        let response = answer
            .response
            .ok_or_else(|| self.client.malformed("the answer has no \"response\""))?;
        let docs = response
            .docs
            .ok_or_else(|| self.client.malformed("the answer has no response.docs"))?;
        let Some(doc) = docs
            .into_iter()
            .find(|d| d.kind.as_deref().is_none_or(|t| t == "adres"))
        else {
            return Ok(None);
        };
        let house = doc
            .huisnummer
            .as_ref()
            .and_then(scalar_text)
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| self.client.malformed("response.docs[0] has no huisnummer"))?;
        if !typed.contains(&house) {
            return Ok(None);
        }
        let missing = |field: &str| {
            self.client
                .malformed(format!("response.docs[0] has no {field}"))
        };
        let centroid = doc
            .centroide_ll
            .as_deref()
            .ok_or_else(|| missing("centroide_ll"))?;
        let position = parse_point(centroid).ok_or_else(|| {
            self.client.malformed(format!(
                "response.docs[0].centroide_ll {centroid:?} is not a WKT POINT(lon lat) in WGS84"
            ))
        })?;
        let street = nonempty(doc.straatnaam.as_deref()).ok_or_else(|| missing("straatnaam"))?;
        let number = nonempty(doc.huis_nlt.as_deref()).unwrap_or_else(|| {
            let mut n = house.to_string();
            n.push_str(&nonempty(doc.huisletter.as_deref()).unwrap_or_default());
            if let Some(extra) = nonempty(doc.huisnummertoevoeging.as_deref()) {
                n.push('-');
                n.push_str(&extra);
            }
            n
        });
        let address = Address {
            street,
            number,
            postcode: nonempty(doc.postcode.as_deref()).ok_or_else(|| missing("postcode"))?,
            city: nonempty(doc.woonplaatsnaam.as_deref())
                .ok_or_else(|| missing("woonplaatsnaam"))?,
            municipality_code: nonempty(doc.gemeentecode.as_deref())
                .ok_or_else(|| missing("gemeentecode"))?,
            coordinates: Some(position),
            attributes: AddressAttributes::default(),
        };
        let shown = nonempty(doc.weergavenaam.as_deref()).unwrap_or_else(|| address.one_line());
        Ok(Some((address, shown)))
    }

    fn zone_match(&self, position: Coordinates, source: String) -> Option<ZoneMatch> {
        self.zones.zone_at(position).map(|code| ZoneMatch {
            zone_code: code.clone(),
            attributes: AddressAttributes::default(),
            fetched_at: Utc::now(),
            source,
        })
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    response: Option<Response>,
}

#[derive(Debug, Deserialize)]
struct Response {
    docs: Option<Vec<Doc>>,
}

#[derive(Debug, Deserialize)]
struct Doc {
    #[serde(rename = "type")]
    kind: Option<String>,
    weergavenaam: Option<String>,
    straatnaam: Option<String>,
    huisnummer: Option<Value>,
    huisletter: Option<String>,
    huisnummertoevoeging: Option<String>,
    huis_nlt: Option<String>,
    postcode: Option<String>,
    woonplaatsnaam: Option<String>,
    gemeentecode: Option<String>,
    centroide_ll: Option<String>,
}

fn nonempty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Every run of digits in `text` (a house number, a postcode's digits): "Coolsingel 40,
/// 3011AD" → [40, 3011].
fn numbers_in(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty() && run.len() <= 6)
        .filter_map(|run| run.parse().ok())
        .collect()
}

/// `POINT(4.47917 51.92242)` → lon 4.47917, lat 51.92242, inside WGS84's range.
fn parse_point(wkt: &str) -> Option<Coordinates> {
    let inner = wkt
        .trim()
        .strip_prefix("POINT")?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut parts = inner.split_whitespace();
    let lon: f64 = parts.next()?.parse().ok()?;
    let lat: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat)
    {
        return None;
    }
    Some(Coordinates { lon, lat })
}

#[async_trait]
impl AddressRegistry for PdokLocatieserver {
    async fn zone_for(&self, query: &AddressQuery) -> Result<Option<ZoneMatch>, RegistryError> {
        if self.zones.is_empty() {
            return Err(RegistryError::NotConfigured);
        }
        match query {
            AddressQuery::Point(point) => Ok(self.zone_match(*point, "council zones".to_owned())),
            AddressQuery::Text(text) => {
                let Some((address, shown)) = self.locate_doc(text).await? else {
                    return Ok(None);
                };
                let Some(position) = address.coordinates else {
                    return Ok(None);
                };
                Ok(self.zone_match(
                    position,
                    format!("PDOK Locatieserver ({}): {shown}", self.client.host()),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkt_points_parse() {
        let p = parse_point("POINT(4.47917 51.92242)");
        assert_eq!(
            p,
            Some(Coordinates {
                lon: 4.47917,
                lat: 51.92242
            })
        );
        assert_eq!(
            parse_point("POINT (4.5 52)"),
            Some(Coordinates {
                lon: 4.5,
                lat: 52.0
            })
        );
        assert_eq!(
            parse_point("POINT(111302.82 479662.782)"),
            None,
            "RD, not WGS84"
        );
        assert_eq!(parse_point("LINESTRING(1 2, 3 4)"), None);
        assert_eq!(parse_point("POINT(4.5)"), None);
    }

    #[test]
    fn typed_numbers_are_found() {
        assert_eq!(
            numbers_in("Coolsingel 40, 3011AD Rotterdam"),
            vec![40, 3011]
        );
        assert_eq!(numbers_in("Damrak 18-1"), vec![18, 1]);
        assert!(numbers_in("Coolsingel Rotterdam").is_empty());
    }
}
