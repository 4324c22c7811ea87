//! The texts civicpay writes to citizens outside the shop's pages — the permit and receipt
//! PDFs, the re-match's letters, the decision e-mails, the labels of a price's lines — and the
//! way each language writes a date. They are Fluent files, compiled into the binary, one folder
//! per language and one file per subject: `locales/<lang>/{dates,documents,emails,letters,
//! prices}.ftl`. A language the council has but no folder here gets English.
//!
//! Every text goes through [`text`]; a key no file has comes back as the key itself (and is
//! logged), so a missing text is visible instead of empty. The unit tests fail when a key is
//! missing in a language, and when a document, letter or e-mail asks for a key (or a variable)
//! that its language's file lacks.

use chrono::{Datelike, NaiveDate};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around placeables: they would end up in the PDFs, the
        // e-mails and the stored letters, and these texts are left-to-right only.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages with a folder in `locales/`.
pub const LANGUAGES: [&str; 4] = ["da", "en", "nl", "pl"];

/// The language part of a locale (`en-GB` → `en`), as a Fluent language; English when it is
/// not a language tag at all.
fn language_id(lang: &str) -> LanguageIdentifier {
    lang.split('-')
        .next()
        .unwrap_or(lang)
        .parse()
        .unwrap_or_else(|_| fluent_templates::langid!("en"))
}

/// The text `key` in `lang` (a language or a locale such as `da` or `en-GB`), with its named
/// variables; English when the language has no folder or lacks the key, and the key itself
/// when no language has it.
pub fn text(lang: &str, key: &str, args: &[(&str, &str)]) -> String {
    let id = language_id(lang);
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(*v)))
        .collect();
    let args = (!args.is_empty()).then_some(&args);
    #[cfg(test)]
    checks::note(&id, key, args);
    LOCALES
        .try_lookup_complete(&id, key, args)
        .unwrap_or_else(|| {
            tracing::warn!(key, lang, "no text for this key in any language");
            key.to_owned()
        })
}

/// A date as the language writes it: "2. december 2026", "2 December 2026", "2 december 2026",
/// "2 grudnia 2026" (`date` and `month-1`…`month-12` in `dates.ftl`). The shop's pages write
/// their dates with it too.
pub fn format_date(date: NaiveDate, lang: &str) -> String {
    let month = text(lang, &format!("month-{}", date.month()), &[]);
    text(
        lang,
        "date",
        &[
            ("day", &date.day().to_string()),
            ("month", &month),
            ("year", &date.year().to_string()),
        ],
    )
}

/// What the tests check: every look-up made while rendering, so a test can render every
/// document, letter and e-mail and then ask which keys its language lacked, and whether every
/// key of the files was asked for.
#[cfg(test)]
pub(crate) mod checks {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static LOOKUPS: RefCell<Vec<(String, String, Option<String>)>> =
            const { RefCell::new(Vec::new()) };
    }

    /// Records the look-up of `key` in `id`, with the language's own file's error if it cannot
    /// give the text (the key or one of its variables missing) — English would hide it.
    pub(super) fn note(
        id: &LanguageIdentifier,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue<'_>>>,
    ) {
        let own = if LANGUAGES.contains(&id.language.as_str()) {
            id.clone()
        } else {
            fluent_templates::langid!("en")
        };
        let error = LOCALES
            .lookup_single_language(&own, key, args)
            .err()
            .map(|e| e.to_string());
        LOOKUPS.with(|l| {
            l.borrow_mut()
                .push((own.to_string(), key.to_owned(), error))
        });
    }

    /// The (language, key, error) of every look-up on this thread since the last call.
    pub(crate) fn take() -> Vec<(String, String, Option<String>)> {
        LOOKUPS.with(|l| std::mem::take(&mut *l.borrow_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of every language, as compiled in.
    const FILES: [&str; 5] = ["dates", "documents", "emails", "letters", "prices"];
    macro_rules! sources {
        ($($lang:literal),*) => {
            [$(($lang, [
                include_str!(concat!("../locales/", $lang, "/dates.ftl")),
                include_str!(concat!("../locales/", $lang, "/documents.ftl")),
                include_str!(concat!("../locales/", $lang, "/emails.ftl")),
                include_str!(concat!("../locales/", $lang, "/letters.ftl")),
                include_str!(concat!("../locales/", $lang, "/prices.ftl")),
            ])),*]
        };
    }
    const SOURCES: [(&str, [&str; 5]); 4] = sources!("da", "en", "nl", "pl");

    fn message_ids(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
            .collect()
    }

    fn english_ids() -> Vec<&'static str> {
        SOURCES[1].1.iter().flat_map(|s| message_ids(s)).collect()
    }

    /// Every (language, file, key) that English has and another language lacks in the same
    /// file, or the other way round. Empty when complete.
    fn missing_translations() -> Vec<(String, String, String)> {
        let mut missing = Vec::new();
        for (lang, files) in SOURCES {
            for (i, source) in files.iter().enumerate() {
                let english = message_ids(SOURCES[1].1[i]);
                let ids = message_ids(source);
                for id in english.iter().filter(|id| !ids.contains(id)) {
                    missing.push((lang.to_owned(), FILES[i].to_owned(), (*id).to_owned()));
                }
                for id in ids.iter().filter(|id| !english.contains(id)) {
                    missing.push(("en".to_owned(), FILES[i].to_owned(), (*id).to_owned()));
                }
            }
        }
        missing
    }

    #[test]
    fn every_language_has_every_text() {
        assert_eq!(missing_translations(), Vec::new());
    }

    #[test]
    fn the_folders_hold_exactly_the_compiled_in_files_and_each_key_once() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut langs: Vec<String> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        langs.sort();
        assert_eq!(langs, LANGUAGES);
        for lang in LANGUAGES {
            let mut files: Vec<String> = std::fs::read_dir(root.join(lang))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let expected: Vec<String> = FILES.iter().map(|f| format!("{f}.ftl")).collect();
            assert_eq!(files, expected, "{lang}");
        }
        let mut ids = english_ids();
        let all = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all, "a key is in two files");
    }

    #[test]
    fn texts_are_looked_up_per_language_with_variables() {
        assert_eq!(text("da", "price-base", &[]), "Pris");
        assert_eq!(text("da-DK", "price-base", &[]), "Pris");
        assert_eq!(text("en-GB", "price-base", &[]), "Price");
        assert_eq!(
            text("nl", "letter-reference", &[("number", "42")]),
            "Vergunningnr. 42"
        );
        // Lines and no isolation marks.
        assert_eq!(
            text("pl", "letter-closing", &[("council", "Miasto Kraków")]),
            "Z poważaniem\nMiasto Kraków"
        );
        // A language the council has but no folder here: English.
        assert_eq!(text("de", "price-base", &[]), "Price");
        // A key no file has: the key itself.
        assert_eq!(text("da", "no-such-text", &[]), "no-such-text");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        assert_eq!(format_date(d, "da"), "2. december 2026");
        assert_eq!(format_date(d, "en"), "2 December 2026");
        assert_eq!(format_date(d, "en-GB"), "2 December 2026");
        assert_eq!(format_date(d, "nl"), "2 december 2026");
        assert_eq!(format_date(d, "pl"), "2 grudnia 2026");
        assert_eq!(format_date(d, "de"), "2 December 2026");
        let may = NaiveDate::from_ymd_opt(2027, 5, 31).unwrap_or_default();
        assert_eq!(format_date(may, "da"), "31. maj 2027");
        assert_eq!(format_date(may, "pl"), "31 maja 2027");
    }

    /// Renders every date, document, letter and e-mail text in every language: none asks for a
    /// key or variable its language's file lacks, nothing comes back as a raw key, and every
    /// key of the files is used by one of them.
    #[test]
    fn every_key_the_code_uses_exists_and_every_key_is_used() {
        checks::take();
        let mut rendered: Vec<String> = Vec::new();
        for lang in LANGUAGES {
            for month in 1..=12 {
                let d = NaiveDate::from_ymd_opt(2026, month, 2).unwrap_or_default();
                rendered.push(format_date(d, lang));
            }
            rendered.extend(crate::documents::all_texts(lang));
            rendered.extend(crate::permits::all_texts(lang));
            rendered.extend(crate::rematch::all_texts(lang));
        }
        let lookups = checks::take();
        let failed: Vec<_> = lookups.iter().filter(|(_, _, e)| e.is_some()).collect();
        assert!(failed.is_empty(), "{failed:#?}");
        let ids = english_ids();
        for text in &rendered {
            assert!(!text.is_empty());
            let raw = |id: &&str| text == id || (id.contains('-') && text.contains(id));
            assert!(!ids.iter().any(raw), "a raw key in {text:?}");
        }
        let unused: Vec<_> = ids
            .iter()
            .filter(|id| !lookups.iter().any(|(_, key, _)| key == *id))
            .collect();
        assert!(unused.is_empty(), "keys no code uses: {unused:?}");
        for lang in LANGUAGES {
            let asked = lookups.iter().filter(|(l, _, _)| l == lang).count();
            assert!(asked >= ids.len(), "{lang}: {asked} look-ups");
        }
    }
}
