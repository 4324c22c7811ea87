//! Point-in-polygon over the council's zone GeoJSON (Polygon and MultiPolygon, with holes).
//! Coordinates are WGS84 degrees; a point on a zone's boundary counts as inside. When zones
//! overlap, the first in file order wins.
// Geometry on coordinates needs floating point; no money is computed in this module.
#![allow(clippy::float_arithmetic)]

use crate::ports::Coordinates;
use civicpay_domain::ZoneCode;
use serde_json::Value;

/// One polygon: an outer ring and holes, each a closed ring of (lon, lat).
#[derive(Debug, Clone)]
struct Polygon {
    outer: Vec<(f64, f64)>,
    holes: Vec<Vec<(f64, f64)>>,
    /// lon min, lat min, lon max, lat max of the outer ring.
    bbox: (f64, f64, f64, f64),
}

#[derive(Debug, Clone)]
struct Zone {
    code: ZoneCode,
    polygons: Vec<Polygon>,
}

/// The council's zones, ready to answer "which zone is this point in?".
#[derive(Debug, Clone, Default)]
pub struct ZoneIndex {
    zones: Vec<Zone>,
}

impl ZoneIndex {
    /// Builds the index from `(zone code, GeoJSON geometry)` pairs, e.g. from
    /// `TenantConfig::zones` as `(z.code.to_string(), z.geometry.clone())`. Only Polygon and
    /// MultiPolygon geometries are accepted.
    pub fn from_geojson_features(features: Vec<(String, Value)>) -> Result<Self, String> {
        let mut zones = Vec::with_capacity(features.len());
        for (code, geometry) in features {
            let zone_code = ZoneCode::parse(&code).map_err(|e| e.to_string())?;
            let parsed = geojson::Geometry::from_json_value(geometry)
                .map_err(|e| format!("zone {code}: invalid GeoJSON geometry ({e})"))?;
            let polygons = match parsed.value {
                geojson::Value::Polygon(rings) => vec![polygon(&code, &rings)?],
                geojson::Value::MultiPolygon(polygons) => polygons
                    .iter()
                    .map(|rings| polygon(&code, rings))
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(format!(
                        "zone {code}: geometry type {} is not allowed; expected Polygon or MultiPolygon",
                        other.type_name()
                    ));
                }
            };
            zones.push(Zone {
                code: zone_code,
                polygons,
            });
        }
        Ok(Self { zones })
    }

    /// Reads a GeoJSON FeatureCollection whose features carry `properties.code` (the format of
    /// `tenants/<slug>/zones.geojson`).
    pub fn from_feature_collection(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("zones: not JSON ({e})"))?;
        let features = value
            .get("features")
            .and_then(Value::as_array)
            .ok_or("zones: expected a FeatureCollection with \"features\"")?;
        let mut pairs = Vec::with_capacity(features.len());
        for (i, feature) in features.iter().enumerate() {
            let code = feature
                .pointer("/properties/code")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("zones: feature {i} has no properties.code"))?;
            let geometry = feature
                .get("geometry")
                .cloned()
                .ok_or_else(|| format!("zones: feature {i} has no geometry"))?;
            pairs.push((code.to_owned(), geometry));
        }
        Self::from_geojson_features(pairs)
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The first zone (in the order given) containing `point`, boundary included.
    pub fn zone_at(&self, point: Coordinates) -> Option<&ZoneCode> {
        let p = (point.lon, point.lat);
        self.zones
            .iter()
            .find(|zone| zone.polygons.iter().any(|poly| poly.contains(p)))
            .map(|zone| &zone.code)
    }
}

fn polygon(code: &str, rings: &[Vec<Vec<f64>>]) -> Result<Polygon, String> {
    let mut rings = rings.iter().map(|ring| {
        ring.iter()
            .map(|pos| match (pos.first(), pos.get(1)) {
                (Some(&lon), Some(&lat)) => Ok((lon, lat)),
                _ => Err(format!(
                    "zone {code}: a position has fewer than two numbers"
                )),
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let outer = rings
        .next()
        .ok_or_else(|| format!("zone {code}: polygon has no rings"))??;
    if outer.len() < 4 {
        return Err(format!("zone {code}: ring has fewer than 4 positions"));
    }
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    let bbox = outer.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
    );
    Ok(Polygon { outer, holes, bbox })
}

impl Polygon {
    fn contains(&self, p: (f64, f64)) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        if p.0 < x0 || p.0 > x1 || p.1 < y0 || p.1 > y1 {
            return false;
        }
        if !in_ring(&self.outer, p) {
            return false;
        }
        // Inside a hole (but not on its edge) is outside the polygon.
        !self
            .holes
            .iter()
            .any(|hole| in_ring(hole, p) && !on_boundary(hole, p))
    }
}

/// Even-odd ray casting; points on the ring's edges count as inside.
fn in_ring(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    if on_boundary(ring, p) {
        return true;
    }
    let mut inside = false;
    for pair in ring.windows(2) {
        let [(xi, yi), (xj, yj)] = [pair[0], pair[1]];
        if (yi > p.1) != (yj > p.1) {
            let x_cross = xi + (p.1 - yi) * (xj - xi) / (yj - yi);
            if p.0 < x_cross {
                inside = !inside;
            }
        }
    }
    inside
}

fn on_boundary(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    const EPS: f64 = 1e-12;
    ring.windows(2).any(|pair| {
        let [(ax, ay), (bx, by)] = [pair[0], pair[1]];
        let cross = (bx - ax) * (p.1 - ay) - (by - ay) * (p.0 - ax);
        cross.abs() <= EPS
            && p.0 >= ax.min(bx) - EPS
            && p.0 <= ax.max(bx) + EPS
            && p.1 >= ay.min(by) - EPS
            && p.1 <= ay.max(by) + EPS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(lon: f64, lat: f64) -> Coordinates {
        Coordinates { lon, lat }
    }

    fn kobenhavn() -> ZoneIndex {
        let text = include_str!("../../../tenants/kobenhavn/zones.geojson");
        match ZoneIndex::from_feature_collection(text) {
            Ok(index) => index,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn finds_copenhagen_zones() {
        let index = kobenhavn();
        let code = |lon, lat| index.zone_at(at(lon, lat)).map(|c| c.as_str().to_owned());
        assert_eq!(code(12.58, 55.68).as_deref(), Some("K1"));
        assert_eq!(code(12.54, 55.69).as_deref(), Some("K2"));
        assert_eq!(
            code(12.58, 55.70).as_deref(),
            Some("K2"),
            "second polygon of the MultiPolygon"
        );
        assert_eq!(code(12.52, 55.66).as_deref(), Some("K3"));
        assert_eq!(
            code(12.52, 55.679).as_deref(),
            Some("K3"),
            "the L-shaped part"
        );
        assert_eq!(
            code(12.545, 55.679).as_deref(),
            Some("K2"),
            "outside K3's notch"
        );
        assert_eq!(code(12.08, 55.64), None, "Roskilde");
        // On the shared edge of K1 and K2 the first zone in file order wins.
        assert_eq!(code(12.56, 55.68).as_deref(), Some("K1"));
    }

    #[test]
    fn holes_are_outside() {
        let geometry = json!({
            "type": "Polygon",
            "coordinates": [
                [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
                [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
            ]
        });
        let index = ZoneIndex::from_geojson_features(vec![("Z".into(), geometry)]);
        let Ok(index) = index else {
            panic!("valid polygon rejected");
        };
        assert!(index.zone_at(at(2.0, 2.0)).is_some());
        assert!(index.zone_at(at(5.0, 5.0)).is_none());
        assert!(
            index.zone_at(at(4.0, 5.0)).is_some(),
            "hole edge belongs to the zone"
        );
        assert!(index.zone_at(at(11.0, 5.0)).is_none());
    }

    #[test]
    fn rejects_other_geometries() {
        let point = json!({"type": "Point", "coordinates": [1.0, 2.0]});
        let result = ZoneIndex::from_geojson_features(vec![("Z".into(), point)]);
        assert!(result.is_err_and(|e| e.contains("Point")));
    }
}
