//! Languages and texts in several languages.

use crate::ids::ParseError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A language tag as councils use it: a two-letter ISO 639-1 code, optionally with a region
/// (`da`, `en`, `en-GB`). Stored lower-case for the language and upper-case for the region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = || ParseError {
            what: "locale",
            value: raw.to_owned(),
            expected: "a language code such as \"da\", \"en\" or \"en-GB\"",
        };
        let mut parts = raw.trim().split(['-', '_']);
        let lang = parts.next().unwrap_or_default();
        if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(bad());
        }
        let mut tag = lang.to_ascii_lowercase();
        if let Some(region) = parts.next() {
            if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(bad());
            }
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language without its region: `en-GB` → `en`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for Locale {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Locale> for String {
    fn from(value: Locale) -> String {
        value.0
    }
}

/// Picks the best of `offered` for an HTTP `Accept-Language` header, honouring q-values;
/// a region-less match (`en` for `en-GB`) counts. `None` when nothing matches.
pub fn negotiate(accept_language: &str, offered: &[Locale]) -> Option<Locale> {
    let mut wanted: Vec<(u16, usize, &str)> = accept_language
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut pieces = item.trim().split(';');
            let tag = pieces.next()?.trim();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            // q-values have at most three decimals; compare them as integers in thousandths.
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(parse_quality)
                .unwrap_or(1000);
            Some((quality, position, tag))
        })
        .filter(|(q, _, _)| *q > 0)
        .collect();
    wanted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in wanted {
        let Ok(tag) = Locale::parse(tag) else {
            continue;
        };
        if let Some(exact) = offered.iter().find(|l| **l == tag) {
            return Some(exact.clone());
        }
        if let Some(same_language) = offered.iter().find(|l| l.language() == tag.language()) {
            return Some(same_language.clone());
        }
    }
    None
}

fn parse_quality(raw: &str) -> u16 {
    let raw = raw.trim();
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return 0,
    };
    let mut thousandths = int * 1000;
    for (i, digit) in frac.bytes().take(3).enumerate() {
        if !digit.is_ascii_digit() {
            return 0;
        }
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    thousandths.min(1000)
}

/// A text in several languages, e.g. a product name. Looking it up never fails: it falls back
/// to the council's default language, then to any language present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalizedText(pub BTreeMap<Locale, String>);

impl LocalizedText {
    pub fn get(&self, wanted: &Locale, fallback: &Locale) -> &str {
        self.0
            .get(wanted)
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(l, _)| l.language() == wanted.language())
                    .map(|(_, t)| t)
            })
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(locale: Locale, text: impl Into<String>) -> Self {
        Self(BTreeMap::from([(locale, text.into())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Locale {
        Locale::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(l("EN_gb").as_str(), "en-GB");
        assert!(Locale::parse("eng").is_err());
        assert!(Locale::parse("en-GB-x").is_err());
    }

    #[test]
    fn negotiation_honours_quality_and_language_fallback() {
        let offered = [l("da"), l("en")];
        assert_eq!(negotiate("en-GB,da;q=0.8", &offered), Some(l("en")));
        assert_eq!(negotiate("da;q=0.9,en;q=0.95", &offered), Some(l("en")));
        assert_eq!(negotiate("de,fr;q=0.5", &offered), None);
        assert_eq!(negotiate("en;q=0,da", &offered), Some(l("da")));
        assert_eq!(negotiate("", &offered), None);
    }

    #[test]
    fn text_falls_back_to_default_then_any() {
        let mut text = LocalizedText::single(l("da"), "Beboerlicens");
        assert_eq!(text.get(&l("en"), &l("da")), "Beboerlicens");
        text.0.insert(l("en"), "Resident permit".into());
        assert_eq!(text.get(&l("en-GB"), &l("da")), "Resident permit");
        assert_eq!(text.get(&l("pl"), &l("da")), "Beboerlicens");
    }
}
