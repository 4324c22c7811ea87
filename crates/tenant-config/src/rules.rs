//! `rules.toml` (optional): the council's eligibility rules, each a CEL expression compiled and
//! checked by `civicpay-rules` (syntax, known facts and fields, a boolean result).

use crate::error::Sink;
use crate::fields::localized_field;
use crate::node::{Node, Span, Table, Val, expect_array, node_str};
use civicpay_domain::{Locale, ProductKind, Sku};
use civicpay_rules::{AppliesTo, CompiledRule, Outcome, RuleError, RuleSpec};

const ROOT_FIELDS: &[&str] = &["rule"];
pub(crate) const RULE_FIELDS: &[&str] = &["id", "product", "kind", "when", "message", "outcome"];

/// What rules are checked against; `None` where another file was too broken to tell.
pub(crate) struct Context<'a> {
    pub locales: Option<&'a [Locale]>,
    /// The council's products (SKU and kind), `None` when products.toml is broken.
    pub products: Option<Vec<(Sku, ProductKind)>>,
}

pub(crate) fn read(root: &Node, ctx: &Context<'_>, sink: &mut Sink<'_>) -> Option<Vec<RuleSpec>> {
    let table = Table::root(root, sink)?;
    table.deny_unknown(ROOT_FIELDS, sink);
    const WHAT: &str = "[[rule]] tables";
    let Some(entry) = table.get("rule") else {
        return Some(Vec::new());
    };
    let items = expect_array(entry, "rule", WHAT, sink)?;
    let mut rules = Vec::new();
    let mut seen_ids: Vec<(String, Span)> = Vec::new();
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(rule) = Table::of(item, entry.span(), format!("rule[{i}]"), sink) else {
            complete = false;
            continue;
        };
        match read_rule(&rule, ctx, &mut seen_ids, sink) {
            Some(r) => rules.push(r),
            None => complete = false,
        }
    }
    complete.then_some(rules)
}

fn read_rule(
    rule: &Table<'_>,
    ctx: &Context<'_>,
    seen_ids: &mut Vec<(String, Span)>,
    sink: &mut Sink<'_>,
) -> Option<RuleSpec> {
    rule.deny_unknown(RULE_FIELDS, sink);

    let id = rule
        .string("id", "a short rule name such as \"resident-zone\"", sink)
        .and_then(|(raw, span)| {
            let ok = (1..=40).contains(&raw.len())
                && raw
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !ok {
                sink.push(
                    span,
                    rule.field("id"),
                    format!("rule id {raw:?} is invalid; expected 1-40 characters a-z, 0-9, '-' or '_'"),
                );
                return None;
            }
            if let Some((_, first)) = seen_ids.iter().find(|(s, _)| s == raw) {
                let first_line = first
                    .as_ref()
                    .map(|s| format!(" (first at line {})", sink.source.position(s.start).0))
                    .unwrap_or_default();
                sink.push(
                    span,
                    rule.field("id"),
                    format!("rule id \"{raw}\" is used twice{first_line}; expected every rule to have its own id"),
                );
                return None;
            }
            seen_ids.push((raw.to_owned(), span));
            Some(raw.to_owned())
        });

    let applies_to = read_applies_to(rule, ctx, sink);
    let message = localized_field(rule, "message", ctx.locales, sink);
    let outcome = match rule.opt_string("outcome", "\"reject\" or \"review\"", sink) {
        None if rule.get("outcome").is_none() => Some(Outcome::Reject),
        None => None,
        Some((raw, span)) => match Outcome::parse(raw) {
            Some(outcome) => Some(outcome),
            None => {
                sink.push(
                    span,
                    rule.field("outcome"),
                    format!("unknown outcome \"{raw}\"; expected \"reject\" (the default) or \"review\" (a caseworker decides)"),
                );
                None
            }
        },
    };
    let when = rule.string(
        "when",
        "a CEL condition such as \"address.zone == product.zone\"",
        sink,
    );

    let spec = RuleSpec {
        id: id?,
        applies_to: applies_to?,
        when: when.as_ref()?.0.to_owned(),
        message: message?,
        outcome: outcome?,
    };
    let (raw_when, when_span) = when?;
    match CompiledRule::compile(spec.clone()) {
        Ok(_) => Some(spec),
        Err(error) => {
            let span = locate(sink, raw_when, when_span, &error);
            sink.push(span, rule.field("when"), error.to_string());
            None
        }
    }
}

/// `product = "SKU"`, `product = ["SKU", …]` or `kind = "permit"`: exactly one.
fn read_applies_to(rule: &Table<'_>, ctx: &Context<'_>, sink: &mut Sink<'_>) -> Option<AppliesTo> {
    const WHAT: &str =
        "`product = \"P-RES-K1\"`, `product = [\"P-RES-K1\", …]` or `kind = \"permit\"`";
    match (rule.get("product"), rule.get("kind")) {
        (Some(_), Some(kind)) => {
            sink.push(
                kind.key_span.clone().or_else(|| kind.span()),
                rule.field("kind"),
                "both `product` and `kind` are given; expected one of them",
            );
            None
        }
        (None, None) => {
            sink.push(
                rule.span.clone(),
                rule.field("product"),
                format!(
                    "missing field `product` in `{}`; expected {WHAT}",
                    rule.path
                ),
            );
            None
        }
        (None, Some(_)) => {
            let (raw, span) = rule.string("kind", "a product kind", sink)?;
            match ProductKind::parse(raw) {
                Ok(kind) => {
                    if let Some(products) = &ctx.products
                        && !products.iter().any(|(_, k)| *k == kind)
                    {
                        sink.push(
                            span,
                            rule.field("kind"),
                            format!("no product in products.toml has kind \"{raw}\"; the rule would never apply"),
                        );
                        return None;
                    }
                    Some(AppliesTo::Kind(kind))
                }
                Err(e) => {
                    sink.push(span, rule.field("kind"), e.to_string());
                    None
                }
            }
        }
        (Some(entry), None) => {
            let field = rule.field("product");
            let items: Vec<(&Node, Span, String)> = match &entry.node.value {
                Val::Array(items) => {
                    if items.is_empty() {
                        sink.push(
                            entry.span(),
                            &field,
                            format!("the list is empty; expected {WHAT}"),
                        );
                        return None;
                    }
                    items
                        .iter()
                        .enumerate()
                        .map(|(j, n)| {
                            (
                                n,
                                n.span.clone().or_else(|| entry.span()),
                                format!("{field}[{j}]"),
                            )
                        })
                        .collect()
                }
                _ => vec![(&entry.node, entry.span(), field.clone())],
            };
            let mut skus = Vec::new();
            let mut complete = true;
            for (node, span, item_field) in items {
                let Some((raw, span)) =
                    node_str(node, span, &item_field, "a SKU from products.toml", sink)
                else {
                    complete = false;
                    continue;
                };
                let sku = match Sku::parse(raw) {
                    Ok(sku) => sku,
                    Err(e) => {
                        sink.push(span, &item_field, e.to_string());
                        complete = false;
                        continue;
                    }
                };
                if let Some(products) = &ctx.products
                    && !products.iter().any(|(s, _)| *s == sku)
                {
                    let known: Vec<&str> = products.iter().map(|(s, _)| s.as_str()).collect();
                    let hint = crate::node::closest(raw, &known)
                        .map(|k| format!(" (did you mean \"{k}\"?)"))
                        .unwrap_or_default();
                    sink.push(
                        span,
                        &item_field,
                        format!(
                            "unknown product \"{raw}\"{hint}; expected a SKU from products.toml"
                        ),
                    );
                    complete = false;
                    continue;
                }
                skus.push(sku);
            }
            complete.then_some(AppliesTo::Products(skus))
        }
    }
}

/// Where in the file to point for a problem with the expression: at the problem itself when
/// the expression is written as a plain one-line string (no escapes), else at the string.
fn locate(sink: &Sink<'_>, when: &str, span: Span, error: &RuleError) -> Span {
    let span = span?;
    let written = sink.source.text.get(span.clone())?;
    let quote_len =
        if written.len() >= 6 && (written.starts_with("\"\"\"") || written.starts_with("'''")) {
            3
        } else {
            1
        };
    let inner = written.get(quote_len..written.len().saturating_sub(quote_len));
    if inner != Some(when) || when.contains('\n') {
        return Some(span);
    }
    let offset = match error {
        RuleError::Syntax {
            line: 1, column, ..
        } => when
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| i),
        RuleError::UnknownFact { name, .. } => find_word(when, name, &[]),
        RuleError::UnknownField { field, .. } => find_word(when, field, &['.', '"', '\'']),
        _ => None,
    };
    match offset {
        Some(offset) => {
            let start = span.start.saturating_add(quote_len).saturating_add(offset);
            Some(start..start.saturating_add(1))
        }
        None => Some(span),
    }
}

/// The byte offset of `word` standing alone (not part of a longer name) in `text`, preferring
/// an occurrence right after one of `after` (a field after `.`, a map key after a quote).
fn find_word(text: &str, word: &str, after: &[char]) -> Option<usize> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let standalone: Vec<(usize, Option<char>)> = text
        .match_indices(word)
        .map(|(i, _)| (i, text.get(..i).and_then(|s| s.chars().next_back())))
        .filter(|&(i, before)| {
            let next = text
                .get(i.saturating_add(word.len())..)
                .and_then(|s| s.chars().next());
            !before.is_some_and(is_name) && !next.is_some_and(is_name)
        })
        .collect();
    standalone
        .iter()
        .find(|(_, before)| before.is_some_and(|c| after.contains(&c)))
        .or_else(|| standalone.first())
        .map(|(i, _)| *i)
}
