//! A TOML document as a tree of values that remember where they were written.
//!
//! `toml` 0.8 hands out byte spans through `toml::Spanned`, which works by a private serde
//! protocol (a struct with magic field names). We speak that protocol directly so that every
//! key and value of an arbitrary document carries its span; then all checks — unknown fields,
//! wrong types, semantic rules — can run over the whole file and report every problem at once
//! instead of stopping at serde's first error. The tests in this crate pin exact line numbers,
//! so a change of the protocol in a future `toml` would be caught at once.

use crate::error::Sink;
#[cfg(test)]
use crate::error::Source;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;

const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A TOML value with its byte span, when the parser knows it (dotted-key tables have none).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub span: Option<Range<usize>>,
    pub value: Val,
}

#[derive(Debug, Clone)]
pub(crate) enum Val {
    Str(String),
    Int(i64),
    /// Floats are never valid in this format (amounts and rates are strings), so only the
    /// fact is kept, for messages.
    Float,
    Bool,
    Datetime(toml::value::Datetime),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

impl Val {
    /// "a string", "an integer", … for messages like "expected a string, found an integer".
    pub fn describe(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float => "a floating-point number",
            Val::Bool => "a boolean",
            Val::Datetime(_) => "a date/time",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }
}

/// A key of a table with its span, and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Option<Range<usize>>,
    pub node: Node,
}

impl Entry {
    /// Where to point for a problem with the value: the value itself, else its key.
    pub fn span(&self) -> Option<Range<usize>> {
        self.node.span.clone().or_else(|| self.key_span.clone())
    }
}

struct Key {
    name: String,
    span: Option<Range<usize>>,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key {
            name: v.to_owned(),
            span: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        let (span, name) = read_spanned::<A, String>(&mut map)?;
        Ok(Key {
            name,
            span: Some(span),
        })
    }
}

/// Reads a spanned struct: the three fields start, end and value, in that order.
fn read_spanned<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
) -> Result<(Range<usize>, T), A::Error> {
    let _start_key: Option<String> = map.next_key()?;
    read_spanned_after_start(map)
}

/// Reads a spanned struct whose first key (start) has been consumed already.
fn read_spanned_after_start<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
) -> Result<(Range<usize>, T), A::Error> {
    let start: usize = map.next_value()?;
    let _end_key: Option<String> = map.next_key()?;
    let end: usize = map.next_value()?;
    let _value_key: Option<String> = map.next_key()?;
    let value: T = map.next_value()?;
    Ok((start..end, value))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, NodeVisitor)
    }
}

/// The value inside a spanned wrapper: read without asking for a span again.
struct Bare(Node);

impl<'de> Deserialize<'de> for Bare {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor).map(Bare)
    }
}

struct NodeVisitor;

fn unspanned(value: Val) -> Node {
    Node { span: None, value }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(unspanned(Val::Bool))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(unspanned(Val::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(|v| unspanned(Val::Int(v)))
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(unspanned(Val::Float))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(unspanned(Val::Str(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(unspanned(Val::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(unspanned(Val::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let Some(first) = map.next_key::<Key>()? else {
            return Ok(unspanned(Val::Table(Vec::new())));
        };
        if first.name == SPANNED_START {
            let (span, Bare(mut node)) = read_spanned_after_start::<A, Bare>(&mut map)?;
            node.span = Some(span);
            return Ok(node);
        }
        if first.name == DATETIME_FIELD {
            let raw: String = map.next_value()?;
            return raw
                .parse::<toml::value::Datetime>()
                .map(|d| unspanned(Val::Datetime(d)))
                .map_err(de::Error::custom);
        }
        let mut entries = Vec::new();
        let node: Node = map.next_value()?;
        entries.push(Entry {
            key: first.name,
            key_span: first.span,
            node,
        });
        while let Some(key) = map.next_key::<Key>()? {
            let node: Node = map.next_value()?;
            entries.push(Entry {
                key: key.name,
                key_span: key.span,
                node,
            });
        }
        Ok(unspanned(Val::Table(entries)))
    }
}

/// Parses a TOML document; a syntax error becomes one located error.
pub(crate) fn parse(sink: &mut Sink<'_>) -> Option<Node> {
    match toml::from_str::<Node>(&sink.source.text) {
        Ok(node) => Some(node),
        Err(error) => {
            let message = error
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            sink.push(error.span(), "", format!("TOML syntax error: {message}"));
            None
        }
    }
}

/// A table being read: its entries, where it is, and its path for messages.
pub(crate) struct Table<'n> {
    pub entries: &'n [Entry],
    pub span: Option<Range<usize>>,
    pub path: String,
}

impl<'n> Table<'n> {
    pub fn root(node: &'n Node, sink: &mut Sink<'_>) -> Option<Self> {
        Self::of(node, None, String::new(), sink)
    }

    /// Views `node` as a table, reporting "expected a table" otherwise.
    pub fn of(
        node: &'n Node,
        fallback_span: Option<Range<usize>>,
        path: String,
        sink: &mut Sink<'_>,
    ) -> Option<Self> {
        match &node.value {
            Val::Table(entries) => Some(Table {
                entries,
                span: node.span.clone().or(fallback_span),
                path,
            }),
            other => {
                sink.push(
                    node.span.clone().or(fallback_span),
                    path,
                    format!("expected a table, found {}", other.describe()),
                );
                None
            }
        }
    }

    pub fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn get(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Reports every key not in `allowed`, suggesting the closest allowed one.
    pub fn deny_unknown(&self, allowed: &[&str], sink: &mut Sink<'_>) {
        for entry in self.entries {
            if allowed.contains(&entry.key.as_str()) {
                continue;
            }
            let hint = match closest(&entry.key, allowed) {
                Some(best) => format!(" (did you mean `{best}`?)"),
                None => String::new(),
            };
            sink.push(
                entry.key_span.clone().or_else(|| entry.node.span.clone()),
                self.field(&entry.key),
                format!(
                    "unknown field `{}`{hint}; expected one of: {}",
                    entry.key,
                    allowed.join(", ")
                ),
            );
        }
    }

    /// The entry for `key`, reporting it missing when absent.
    pub fn required(&self, key: &str, what: &str, sink: &mut Sink<'_>) -> Option<&'n Entry> {
        let entry = self.get(key);
        if entry.is_none() {
            let place = if self.path.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", self.path)
            };
            sink.push(
                self.span.clone(),
                self.field(key),
                format!("missing field `{key}`{place}; expected {what}"),
            );
        }
        entry
    }

    /// A required string field.
    pub fn string(&self, key: &str, what: &str, sink: &mut Sink<'_>) -> Option<(&'n str, Span)> {
        let entry = self.required(key, what, sink)?;
        expect_str(entry, &self.field(key), what, sink)
    }

    /// An optional string field.
    pub fn opt_string(
        &self,
        key: &str,
        what: &str,
        sink: &mut Sink<'_>,
    ) -> Option<(&'n str, Span)> {
        let entry = self.get(key)?;
        expect_str(entry, &self.field(key), what, sink)
    }
}

pub(crate) type Span = Option<Range<usize>>;

/// The string in `entry`, or an error naming what was found instead.
pub(crate) fn expect_str<'n>(
    entry: &'n Entry,
    field: &str,
    what: &str,
    sink: &mut Sink<'_>,
) -> Option<(&'n str, Span)> {
    node_str(&entry.node, entry.span(), field, what, sink)
}

pub(crate) fn node_str<'n>(
    node: &'n Node,
    span: Span,
    field: &str,
    what: &str,
    sink: &mut Sink<'_>,
) -> Option<(&'n str, Span)> {
    match &node.value {
        Val::Str(s) => Some((s.as_str(), span)),
        other => {
            sink.push(
                span,
                field,
                format!(
                    "expected {what} (a quoted string), found {}",
                    other.describe()
                ),
            );
            None
        }
    }
}

/// The items of an array, or an error naming what was found instead.
pub(crate) fn expect_array<'n>(
    entry: &'n Entry,
    field: &str,
    what: &str,
    sink: &mut Sink<'_>,
) -> Option<&'n [Node]> {
    match &entry.node.value {
        Val::Array(items) => Some(items),
        other => {
            sink.push(
                entry.span(),
                field,
                format!("expected {what}, found {}", other.describe()),
            );
            None
        }
    }
}

/// The allowed name closest to a misspelt one, if it is close enough to be a typo.
pub(crate) fn closest<'a>(wrong: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(wrong, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            let insert = current[j] + 1;
            let delete = previous[j + 1] + 1;
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_source(source: &Source, errors: &mut Vec<crate::ConfigError>) -> Option<Node> {
        let mut sink = Sink { source, errors };
        parse(&mut sink)
    }

    fn tree(text: &str) -> (Source, Node) {
        let source = Source::new("t.toml".into(), text.to_owned());
        let mut errors = Vec::new();
        let node = parse_source(&source, &mut errors).unwrap_or_else(|| panic!("{errors:?}"));
        (source, node)
    }

    #[test]
    fn keys_and_values_carry_spans() {
        let (source, node) = tree("a = 1\n\n[t]\nname.da = \"x\"\nwhen = 2026-01-01\n");
        let Val::Table(root) = &node.value else {
            panic!("root not a table")
        };
        let t = &root[1];
        assert_eq!(t.key, "t");
        let span = t
            .node
            .span
            .clone()
            .unwrap_or_else(|| panic!("table without span"));
        assert_eq!(source.position(span.start), (3, 1));
        let Val::Table(inner) = &t.node.value else {
            panic!("t not a table")
        };
        let when = &inner[1];
        assert!(matches!(when.node.value, Val::Datetime(_)));
        let span = when.span().unwrap_or_else(|| panic!("no span"));
        assert_eq!(source.position(span.start), (5, 8));
    }

    #[test]
    fn typo_suggestions() {
        assert_eq!(closest("colour", &["color", "logo"]), Some("color"));
        assert_eq!(closest("vat_cod", &["vat_code", "sku"]), Some("vat_code"));
        assert_eq!(closest("zzzzzz", &["vat_code", "sku"]), None);
    }
}
