//! `zones.geojson`: the council's paid/permit zones as a GeoJSON FeatureCollection.

use crate::ZoneConfig;
use crate::error::{Sink, Source};
use crate::fields::{TextItem, localized_items};
use crate::node::Span;
use civicpay_domain::{Locale, ZoneCode};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// The zones read, and every well-formed zone code (even of features with other problems) so
/// that products' references can be judged; `None` where the file is too broken to tell.
pub(crate) struct ZonesRead {
    pub zones: Option<Vec<ZoneConfig>>,
    pub codes: Option<Vec<ZoneCode>>,
    /// False when some feature's code is missing or malformed.
    pub codes_complete: bool,
}

pub(crate) fn read(source: &Source, locales: Option<&[Locale]>, sink: &mut Sink<'_>) -> ZonesRead {
    let broken = ZonesRead {
        zones: None,
        codes: None,
        codes_complete: false,
    };
    let root: Value = match serde_json::from_str(&source.text) {
        Ok(root) => root,
        Err(e) => {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message.get(..cut).unwrap_or(&message).to_owned(),
                None => message,
            };
            let line = (e.line() > 0).then_some(e.line());
            sink.errors.push(crate::ConfigError {
                file: source.path.clone(),
                line,
                column: line.map(|_| e.column().max(1)),
                field: String::new(),
                message: format!("JSON syntax error: {message}"),
            });
            return broken;
        }
    };
    let at = Positions(json_positions(&source.text));

    let features = match (
        root.get("type").and_then(Value::as_str),
        root.get("features"),
    ) {
        (Some("FeatureCollection"), Some(Value::Array(features))) => features,
        _ => {
            sink.push(
                at.span(""),
                "",
                "expected a GeoJSON FeatureCollection: {\"type\": \"FeatureCollection\", \"features\": [...]}",
            );
            return broken;
        }
    };

    if features.is_empty() {
        sink.push(
            at.span("/features"),
            "features",
            "no features; expected at least one zone (or delete zones.geojson)",
        );
    }
    let mut zones = Vec::new();
    let mut codes: Vec<(ZoneCode, Span)> = Vec::new();
    let mut codes_complete = true;
    for (i, feature) in features.iter().enumerate() {
        let ptr = format!("/features/{i}");
        let field = format!("feature[{i}]");
        let Some(object) = feature.as_object() else {
            sink.push(at.span(&ptr), &field, "expected a GeoJSON Feature object");
            codes_complete = false;
            continue;
        };
        if object.get("type").and_then(Value::as_str) != Some("Feature") {
            sink.push(
                at.span(&ptr),
                format!("{field}.type"),
                "expected \"type\": \"Feature\"",
            );
        }
        let properties = object.get("properties").and_then(Value::as_object);
        if properties.is_none() {
            sink.push(
                at.span(&ptr),
                format!("{field}.properties"),
                "missing properties; expected {\"code\": \"K1\", \"name\": {\"da\": \"…\"}}",
            );
        }

        let code_ptr = format!("{ptr}/properties/code");
        let code_field = format!("{field}.properties.code");
        let code = match properties.and_then(|p| p.get("code")) {
            Some(Value::String(raw)) => match ZoneCode::parse(raw) {
                Ok(code) => {
                    if let Some((_, first)) = codes.iter().find(|(c, _)| *c == code) {
                        let first_line = first
                            .as_ref()
                            .map(|s| format!(" (first at line {})", source.position(s.start).0))
                            .unwrap_or_default();
                        sink.push(
                            at.span(&code_ptr),
                            &code_field,
                            format!("zone code \"{code}\" is used twice{first_line}; expected unique codes"),
                        );
                    } else {
                        codes.push((code.clone(), at.span(&code_ptr)));
                    }
                    Some(code)
                }
                Err(e) => {
                    sink.push(at.span(&code_ptr), &code_field, e.to_string());
                    None
                }
            },
            Some(_) => {
                sink.push(
                    at.span(&code_ptr),
                    &code_field,
                    "expected a zone code string such as \"K1\"",
                );
                None
            }
            None => {
                if properties.is_some() {
                    sink.push(
                        at.span(&ptr),
                        &code_field,
                        "missing zone code; expected \"code\": \"K1\"",
                    );
                }
                None
            }
        };
        codes_complete &= code.is_some();

        let name_ptr = format!("{ptr}/properties/name");
        let name_field = format!("{field}.properties.name");
        let name = match properties.and_then(|p| p.get("name")) {
            Some(Value::Object(texts)) => {
                let items = texts
                    .iter()
                    .map(|(key, value)| TextItem {
                        key,
                        span: at.span(&format!("{name_ptr}/{key}")),
                        text: value.as_str().ok_or_else(|| describe(value)),
                    })
                    .collect();
                Some(localized_items(
                    items,
                    at.span(&name_ptr),
                    &name_field,
                    None,
                    locales,
                    sink,
                ))
            }
            Some(other) => {
                sink.push(
                    at.span(&name_ptr),
                    &name_field,
                    format!(
                        "expected a text per language such as {{\"da\": \"Zone 1\", \"en\": \"Zone 1\"}}, found {}",
                        describe(other)
                    ),
                );
                None
            }
            None => {
                if properties.is_some() {
                    sink.push(
                        at.span(&ptr),
                        &name_field,
                        "missing zone name; expected \"name\": {\"da\": \"…\"}",
                    );
                }
                None
            }
        };

        let geometry = check_geometry(object.get("geometry"), &ptr, &field, &at, sink);
        if let (Some(code), Some(name), Some(geometry)) = (code, name, geometry) {
            zones.push(ZoneConfig {
                code,
                name,
                geometry,
            });
        }
    }
    ZonesRead {
        zones: Some(zones),
        codes: Some(codes.into_iter().map(|(c, _)| c).collect()),
        codes_complete,
    }
}

/// A Polygon or MultiPolygon whose rings are closed, have at least four positions and whose
/// positions are longitude/latitude in range. Returns the geometry object as written.
fn check_geometry(
    geometry: Option<&Value>,
    ptr: &str,
    field: &str,
    at: &Positions,
    sink: &mut Sink<'_>,
) -> Option<Value> {
    let ptr = format!("{ptr}/geometry");
    let field = format!("{field}.geometry");
    let Some(value) = geometry.filter(|g| !g.is_null()) else {
        sink.push(
            at.span(&ptr),
            field,
            "missing geometry; expected a Polygon or MultiPolygon",
        );
        return None;
    };
    let parsed = match geojson::Geometry::from_json_value(value.clone()) {
        Ok(parsed) => parsed,
        Err(e) => {
            sink.push(
                at.span(&ptr),
                field,
                format!("invalid GeoJSON geometry ({e}); expected a Polygon or MultiPolygon"),
            );
            return None;
        }
    };
    let before = sink.errors.len();
    let coordinates = format!("{ptr}/coordinates");
    let coordinates_field = format!("{field}.coordinates");
    match &parsed.value {
        geojson::Value::Polygon(rings) => {
            check_polygon(rings, &coordinates, &coordinates_field, at, sink);
        }
        geojson::Value::MultiPolygon(polygons) => {
            if polygons.is_empty() {
                sink.push(
                    at.span(&coordinates),
                    &coordinates_field,
                    "MultiPolygon has no polygons; expected at least one",
                );
            }
            for (p, rings) in polygons.iter().enumerate() {
                check_polygon(
                    rings,
                    &format!("{coordinates}/{p}"),
                    &format!("{coordinates_field}[{p}]"),
                    at,
                    sink,
                );
            }
        }
        other => {
            sink.push(
                at.span(&ptr),
                format!("{field}.type"),
                format!(
                    "geometry type {} is not allowed; expected Polygon or MultiPolygon",
                    other.type_name()
                ),
            );
        }
    }
    (sink.errors.len() == before).then(|| value.clone())
}

fn check_polygon(
    rings: &[Vec<Vec<f64>>],
    ptr: &str,
    field: &str,
    at: &Positions,
    sink: &mut Sink<'_>,
) {
    if rings.is_empty() {
        sink.push(
            at.span(ptr),
            field,
            "polygon has no rings; expected an outer ring (and optional holes)",
        );
    }
    for (r, ring) in rings.iter().enumerate() {
        let ring_ptr = format!("{ptr}/{r}");
        let ring_field = format!("{field}[{r}]");
        if ring.len() < 4 {
            sink.push(
                at.span(&ring_ptr),
                &ring_field,
                format!(
                    "ring has {} positions; expected at least 4 (a closed ring repeats its first position last)",
                    ring.len()
                ),
            );
        } else if ring.first() != ring.last() {
            sink.push(
                at.span(&ring_ptr),
                &ring_field,
                "ring is not closed; expected the last position to equal the first",
            );
        }
        for (k, position) in ring.iter().enumerate() {
            let position_ptr = format!("{ring_ptr}/{k}");
            let position_field = format!("{ring_field}[{k}]");
            let (Some(lon), Some(lat)) = (position.first(), position.get(1)) else {
                continue; // geojson rejects positions with fewer than two numbers already
            };
            if !(-180.0..=180.0).contains(lon) {
                sink.push(
                    at.span(&position_ptr),
                    &position_field,
                    format!("longitude {lon} is out of range; expected -180 to 180 (positions are [longitude, latitude])"),
                );
            }
            if !(-90.0..=90.0).contains(lat) {
                sink.push(
                    at.span(&position_ptr),
                    &position_field,
                    format!("latitude {lat} is out of range; expected -90 to 90 (positions are [longitude, latitude])"),
                );
            }
        }
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Byte offsets of the values of a JSON text by JSON-pointer-like path (`/features/0/geometry`).
struct Positions(HashMap<String, usize>);

impl Positions {
    fn span(&self, ptr: &str) -> Span {
        self.0.get(ptr).map(|&start| start..start + 1)
    }
}

/// Indexes where each value of an (already validated) JSON text starts. serde_json keeps no
/// positions, so this small scanner walks the text once alongside it.
fn json_positions(text: &str) -> HashMap<String, usize> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        out: HashMap::new(),
    };
    let _complete = scanner.value(String::new(), 0);
    scanner.out
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    out: HashMap<String, usize>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn value(&mut self, path: String, depth: usize) -> Option<()> {
        if depth > 256 {
            return None;
        }
        self.skip_ws();
        self.out.insert(path.clone(), self.at);
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    self.value(format!("{path}/{key}"), depth + 1)?;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.skip_ws();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                let mut index = 0usize;
                loop {
                    self.value(format!("{path}/{index}"), depth + 1)?;
                    index += 1;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                }) {
                    self.at += 1;
                }
                Some(())
            }
        }
    }

    /// A string literal; keys with escapes are decoded well enough for path matching.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        let mut raw = Vec::new();
        loop {
            let byte = self.peek()?;
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escaped = self.peek()?;
                    self.at += 1;
                    match escaped {
                        b'u' => {
                            let hex = self.bytes.get(self.at..self.at + 4)?;
                            self.at += 4;
                            let code =
                                u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                            let c = char::from_u32(code).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            raw.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        b'n' => raw.push(b'\n'),
                        b't' => raw.push(b'\t'),
                        b'r' => raw.push(b'\r'),
                        b'b' => raw.push(0x08),
                        b'f' => raw.push(0x0c),
                        other => raw.push(other),
                    }
                }
                other => raw.push(other),
            }
        }
        String::from_utf8(raw).ok()
    }
}

/// Checks one GeoJSON geometry given through the API (not a file): a Polygon or MultiPolygon
/// with closed rings of at least four in-range positions. The error names the offending part,
/// e.g. `coordinates[0]: ring is not closed; …`.
pub fn validate_geometry(geometry: &Value) -> Result<(), String> {
    let source = Source::new(PathBuf::from("geometry"), geometry.to_string());
    let mut errors = Vec::new();
    let mut sink = Sink {
        source: &source,
        errors: &mut errors,
    };
    let wrapper = serde_json::json!({ "geometry": geometry });
    let positions = Positions(HashMap::new());
    check_geometry(
        wrapper.get("geometry"),
        "",
        "geometry",
        &positions,
        &mut sink,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_text() {
        let text = "{\n  \"features\": [\n    {\"a\": [1, 2]},\n    {\"b\": \"x\\\"y\"}\n  ]\n}";
        let positions = json_positions(text);
        let source = Source::new("z.geojson".into(), text.to_owned());
        let line = |ptr: &str| {
            positions
                .get(ptr)
                .map(|&offset| source.position(offset))
                .unwrap_or_else(|| panic!("{ptr} not indexed"))
        };
        assert_eq!(line("/features"), (2, 15));
        assert_eq!(line("/features/0"), (3, 5));
        assert_eq!(line("/features/0/a/1"), (3, 15));
        assert_eq!(line("/features/1/b"), (4, 11));
    }
}
