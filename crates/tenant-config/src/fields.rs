//! Readers for field shapes shared by the files: parsed strings and texts per language.

use crate::error::Sink;
use crate::node::{Entry, Span, Table, Val};
use civicpay_domain::{Locale, LocalizedText};
use std::collections::BTreeMap;
use std::fmt::Display;

/// A required string field run through `parse`; the parser's message explains what is expected.
pub(crate) fn parsed<T, E: Display>(
    table: &Table<'_>,
    key: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    sink: &mut Sink<'_>,
) -> Option<(T, Span)> {
    let (raw, span) = table.string(key, what, sink)?;
    match parse(raw) {
        Ok(value) => Some((value, span)),
        Err(error) => {
            sink.push(span.clone(), table.field(key), error.to_string());
            None
        }
    }
}

/// One `locale = text` pair of a text per language, whichever file it comes from.
pub(crate) struct TextItem<'a> {
    pub key: &'a str,
    pub span: Span,
    /// The text, or a description of what was written instead ("an integer").
    pub text: Result<&'a str, &'static str>,
}

/// A text per language (`name.da = "…"`, `name.en = "…"`). Every key must be a valid locale
/// among the council's `locales`, and every one of those locales needs a non-empty text.
/// `locales` is `None` when the council's own list is broken; then only the keys' shape is
/// checked.
pub(crate) fn localized(
    entry: &Entry,
    field: &str,
    locales: Option<&[Locale]>,
    sink: &mut Sink<'_>,
) -> Option<LocalizedText> {
    let Val::Table(items) = &entry.node.value else {
        sink.push(
            entry.span(),
            field,
            format!(
                "expected a text per language such as `{0}.da = \"…\"` or `{0} = {{ da = \"…\", en = \"…\" }}`, found {1}",
                entry.key,
                entry.node.value.describe()
            ),
        );
        return None;
    };
    let items = items
        .iter()
        .map(|item| TextItem {
            key: &item.key,
            span: item.key_span.clone().or(item.span()),
            text: match &item.node.value {
                Val::Str(s) => Ok(s.as_str()),
                other => Err(other.describe()),
            },
        })
        .collect();
    Some(localized_items(
        items,
        entry.span(),
        field,
        Some(&entry.key),
        locales,
        sink,
    ))
}

/// The checks behind [`localized`], shared with zones.geojson's `properties.name`.
pub(crate) fn localized_items(
    items: Vec<TextItem<'_>>,
    whole: Span,
    field: &str,
    toml_key: Option<&str>,
    locales: Option<&[Locale]>,
    sink: &mut Sink<'_>,
) -> LocalizedText {
    let mut texts = BTreeMap::new();
    // Locales written at all, even with a broken text: those are not "missing" as well.
    let mut written: Vec<Locale> = Vec::new();
    for item in items {
        let item_field = format!("{field}.{}", item.key);
        let locale = match Locale::parse(item.key) {
            Ok(locale) => locale,
            Err(error) => {
                sink.push(item.span, item_field, error.to_string());
                continue;
            }
        };
        written.push(locale.clone());
        if let Some(declared) = locales
            && !declared.contains(&locale)
        {
            sink.push(
                item.span.clone(),
                &item_field,
                format!(
                    "locale \"{locale}\" is not one of the council's locales ({}); add it to `locales` in tenant.toml or remove this text",
                    join(declared)
                ),
            );
        }
        let text = match item.text {
            Ok(text) => text,
            Err(found) => {
                sink.push(
                    item.span,
                    &item_field,
                    format!("expected the text (a quoted string), found {found}"),
                );
                continue;
            }
        };
        if text.trim().is_empty() {
            sink.push(
                item.span,
                &item_field,
                "text is empty; expected a non-empty text",
            );
            continue;
        }
        if texts.insert(locale.clone(), text.to_owned()).is_some() {
            sink.push(
                item.span,
                &item_field,
                format!("a text for locale \"{locale}\" is given twice"),
            );
        }
    }
    if let Some(declared) = locales {
        let missing: Vec<&str> = declared
            .iter()
            .filter(|l| !written.contains(l))
            .map(Locale::as_str)
            .collect();
        if !missing.is_empty() {
            let example = toml_key
                .map(|key| {
                    format!(
                        ", e.g. `{key}.{} = \"…\"`",
                        missing.first().copied().unwrap_or("da")
                    )
                })
                .unwrap_or_default();
            sink.push(
                whole,
                field,
                format!(
                    "missing text for locale(s) {}; every locale of the council ({}) needs one{example}",
                    missing.join(", "),
                    join(declared),
                ),
            );
        }
    }
    LocalizedText(texts)
}

/// A required localized field of a table.
pub(crate) fn localized_field(
    table: &Table<'_>,
    key: &str,
    locales: Option<&[Locale]>,
    sink: &mut Sink<'_>,
) -> Option<LocalizedText> {
    let entry = table.required(
        key,
        &format!("a text per language, e.g. `{key}.da = \"…\"`"),
        sink,
    )?;
    localized(entry, &table.field(key), locales, sink)
}

pub(crate) fn join(locales: &[Locale]) -> String {
    locales
        .iter()
        .map(Locale::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
