//! Translations (Fluent files in `locales/<lang>/shop.ftl`, compiled into the binary) and the
//! locale's way of writing amounts, dates and plates.

use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    pub(crate) static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around placeables: the pages are left-to-right only, and
        // the marks would end up in form values and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The shop's languages: code and the language's own name (for the switcher).
pub const LANGUAGES: [(&str, &str); 4] = [
    ("da", "Dansk"),
    ("en", "English"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
];

const SOURCES: [(&str, &str); 4] = [
    ("da", include_str!("../locales/da/shop.ftl")),
    ("en", include_str!("../locales/en/shop.ftl")),
    ("nl", include_str!("../locales/nl/shop.ftl")),
    ("pl", include_str!("../locales/pl/shop.ftl")),
];

fn language_id(lang: &str) -> LanguageIdentifier {
    lang.parse()
        .unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The message `key` in `lang` (English when missing), with named arguments.
pub fn translate(lang: &str, key: &str, args: &[(&str, &str)]) -> String {
    let id = language_id(lang);
    if args.is_empty() {
        return LOCALES.lookup(&id, key);
    }
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| {
            (
                Cow::Owned((*k).to_owned()),
                FluentValue::from(v.to_string()),
            )
        })
        .collect();
    LOCALES.lookup_with_args(&id, key, &args)
}

fn message_ids(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
        .collect()
}

/// Every (language, message id) that English has and another language lacks, or the other
/// way round: what a translator still has to do. Empty when complete.
pub fn missing_translations() -> Vec<(String, String)> {
    let english = message_ids(SOURCES[1].1);
    let mut missing = Vec::new();
    for (lang, source) in SOURCES {
        let ids = message_ids(source);
        for id in &english {
            if !ids.contains(id) {
                missing.push((lang.to_owned(), (*id).to_owned()));
            }
        }
        for id in &ids {
            if !english.contains(id) {
                missing.push(("en".to_owned(), (*id).to_owned()));
            }
        }
    }
    missing
}

/// Every message id of the English file.
#[cfg(test)]
pub(crate) fn english_ids() -> Vec<&'static str> {
    message_ids(SOURCES[1].1)
}

/// A date as the language writes it: "2. december 2026", "2 December 2026", "2 december 2026",
/// "2 grudnia 2026".
pub fn format_date(date: NaiveDate, lang: &str) -> String {
    civicpay_api::i18n::format_date(date, lang)
}

/// A plate as it is written on the plate in the council's country: Danish `AB 12 345`, Dutch
/// side codes split where letters and digits meet (`12-ABC-3`), Polish district then the rest
/// (`WA 12345`); anything else as stored.
pub fn format_plate(plate: &str, country: &str) -> String {
    let chars: Vec<char> = plate.chars().collect();
    let letters = chars.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    match country {
        "DK" if chars.len() == 7 && letters == 2 && chars[2..].iter().all(char::is_ascii_digit) => {
            let s: String = chars.iter().collect();
            format!("{} {} {}", &s[..2], &s[2..4], &s[4..])
        }
        "NL" => {
            let mut out = String::new();
            for (i, c) in chars.iter().enumerate() {
                if i > 0 && chars[i - 1].is_ascii_digit() != c.is_ascii_digit() {
                    out.push('-');
                }
                out.push(*c);
            }
            out
        }
        "PL" if (2..=3).contains(&letters) && chars.len() > letters => {
            let s: String = chars.iter().collect();
            format!("{} {}", &s[..letters], &s[letters..])
        }
        _ => plate.to_owned(),
    }
}

/// An amount as the language writes it ("1.620,00 kr.", "€ 12,50", …).
pub fn format_money(money: civicpay_money::Money, lang: &str) -> String {
    civicpay_money::format_money(money, lang)
}

/// A VAT rate given in basis points as the language writes it: "25 %" in Danish (with a
/// no-break space), "9%" in Dutch and Polish, "5.5%" in English and "5,5%" elsewhere. A rate
/// outside 0–100 % (never stored) is written as its basis points.
pub fn format_percent(basis_points: i32, lang: &str) -> String {
    let rate = u32::try_from(basis_points)
        .ok()
        .and_then(|bp| civicpay_money::VatRate::from_basis_points(bp).ok());
    let Some(rate) = rate else {
        return format!("{basis_points} bp");
    };
    let number = match lang {
        "en" => rate.to_string(),
        _ => rate.to_string().replace('.', ","),
    };
    match lang {
        "da" => format!("{number}\u{a0}%"),
        _ => format!("{number}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message() {
        assert_eq!(missing_translations(), Vec::<(String, String)>::new());
    }

    #[test]
    fn messages_are_looked_up_per_language_with_arguments() {
        assert_eq!(translate("da", "nav-basket", &[]), "Kurv");
        assert_eq!(translate("en", "nav-basket", &[]), "Basket");
        assert_eq!(
            translate("en", "basket-count", &[("count", "2")]),
            "2 items in the basket"
        );
        // An unknown language falls back to English.
        assert_eq!(translate("xx", "nav-basket", &[]), "Basket");
    }

    #[test]
    fn dates_and_plates_follow_the_locale() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        assert_eq!(format_date(d, "da"), "2. december 2026");
        assert_eq!(format_date(d, "en"), "2 December 2026");
        assert_eq!(format_date(d, "pl"), "2 grudnia 2026");
        assert_eq!(format_plate("AB12345", "DK"), "AB 12 345");
        assert_eq!(format_plate("12ABC3", "NL"), "12-ABC-3");
        assert_eq!(format_plate("WA12345", "PL"), "WA 12345");
        assert_eq!(format_plate("XYZ", "DK"), "XYZ");
    }

    #[test]
    fn vat_rates_follow_the_locale() {
        assert_eq!(format_percent(2500, "da"), "25\u{a0}%");
        assert_eq!(format_percent(900, "nl"), "9%");
        assert_eq!(format_percent(550, "en"), "5.5%");
        assert_eq!(format_percent(550, "pl"), "5,5%");
        assert_eq!(format_percent(0, "nl"), "0%");
    }
}
