//! `pricing.toml` (optional): how the council prorates permit corrections, its emission-class
//! price tables and the registered-letter rule (S0-7). The arithmetic itself lives in
//! `civicpay_domain::pricing`; this file only reads and checks the council's figures.

use crate::error::Sink;
use crate::node::{Node, Span, Table, Val, expect_array, node_str};
use crate::products::{amount_value, read_date};
use crate::{PricingConfig, ProductConfig};
use chrono::NaiveDate;
use civicpay_domain::{
    EmissionTable, ProductKind, ProrationUnit, RegisteredLetterRule, Sku, normalize_fuel_class,
};
use civicpay_money::{Currency, Money};
use std::collections::BTreeMap;

const ROOT_FIELDS: &[&str] = &["proration", "emission_table", "registered_letter"];
const PRORATION_FIELDS: &[&str] = &["unit"];
const TABLE_FIELDS: &[&str] = &["products", "effective_from", "prices"];
const LETTER_FIELDS: &[&str] = &["fee_sku", "kinds", "above"];

/// What pricing is checked against; `None` where another file was too broken to tell.
pub(crate) struct Context<'a> {
    pub currency: Option<Currency>,
    /// The council's products, `None` when products.toml is broken.
    pub products: Option<&'a [ProductConfig]>,
}

pub(crate) fn read(root: &Node, ctx: &Context<'_>, sink: &mut Sink<'_>) -> Option<PricingConfig> {
    let table = Table::root(root, sink)?;
    table.deny_unknown(ROOT_FIELDS, sink);
    let proration = read_proration(&table, sink);
    let emission_tables = read_emission_tables(&table, ctx, sink);
    let registered_letter = read_registered_letter(&table, ctx, sink);
    Some(PricingConfig {
        proration: proration?,
        emission_tables: emission_tables?,
        registered_letter: registered_letter?,
    })
}

fn read_proration(root: &Table<'_>, sink: &mut Sink<'_>) -> Option<ProrationUnit> {
    let Some(entry) = root.get("proration") else {
        return Some(ProrationUnit::default());
    };
    let table = Table::of(&entry.node, entry.span(), "proration".to_owned(), sink)?;
    table.deny_unknown(PRORATION_FIELDS, sink);
    let (raw, span) = table.string("unit", "\"month\" or \"day\"", sink)?;
    match ProrationUnit::parse(raw) {
        Ok(unit) => Some(unit),
        Err(_) => {
            sink.push(
                span,
                table.field("unit"),
                format!(
                    "unknown proration unit \"{raw}\"; expected \"month\" (a started month counts in full; the default) or \"day\""
                ),
            );
            None
        }
    }
}

/// The line of a span, for "(first at line N)".
fn line_of(sink: &Sink<'_>, span: &Span) -> String {
    span.as_ref()
        .map(|s| format!(" (line {})", sink.source.position(s.start).0))
        .unwrap_or_default()
}

/// An emission table as read, with where its products were written (for later checks).
struct ReadTable {
    table: EmissionTable,
    field: String,
    product_spans: Vec<Span>,
}

fn read_emission_tables(
    root: &Table<'_>,
    ctx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<EmissionTable>> {
    const WHAT: &str = "[[emission_table]] tables";
    let Some(entry) = root.get("emission_table") else {
        return Some(Vec::new());
    };
    let items = expect_array(entry, "emission_table", WHAT, sink)?;
    let mut tables: Vec<ReadTable> = Vec::new();
    let mut seen: Vec<(Sku, NaiveDate, Span)> = Vec::new();
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(table) = Table::of(item, entry.span(), format!("emission_table[{i}]"), sink)
        else {
            complete = false;
            continue;
        };
        match read_table(&table, ctx, &mut seen, sink) {
            Some(t) => tables.push(t),
            None => complete = false,
        }
    }
    if complete && let Some(products) = ctx.products {
        complete = check_price_changes(&tables, products, sink);
    }
    complete.then(|| tables.into_iter().map(|t| t.table).collect())
}

fn read_table(
    table: &Table<'_>,
    ctx: &Context<'_>,
    seen: &mut Vec<(Sku, NaiveDate, Span)>,
    sink: &mut Sink<'_>,
) -> Option<ReadTable> {
    table.deny_unknown(TABLE_FIELDS, sink);
    let products = read_products(table, ctx, sink);
    let date = read_date(table, sink);
    let prices = read_prices(table, ctx.currency, sink);

    let (products, product_spans): (Vec<Sku>, Vec<Span>) = products?.into_iter().unzip();
    let (effective_from, _) = date?;
    let mut fresh = true;
    for (index, (sku, span)) in products.iter().zip(&product_spans).enumerate() {
        if let Some((_, _, first)) = seen
            .iter()
            .find(|(s, d, _)| s == sku && *d == effective_from)
        {
            let first_line = line_of(sink, first);
            sink.push(
                span.clone(),
                format!("{}[{index}]", table.field("products")),
                format!(
                    "\"{sku}\" already has an emission table taking effect on {effective_from}{first_line}; expected at most one table per product and date"
                ),
            );
            fresh = false;
        }
    }
    if !fresh {
        return None;
    }
    for (sku, span) in products.iter().zip(&product_spans) {
        seen.push((sku.clone(), effective_from, span.clone()));
    }
    Some(ReadTable {
        table: EmissionTable {
            products,
            effective_from,
            prices: prices?,
        },
        field: table.path.clone(),
        product_spans,
    })
}

/// `products = ["P-RES-K1", …]`: permits from products.toml, each once.
fn read_products(
    table: &Table<'_>,
    ctx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<(Sku, Span)>> {
    const WHAT: &str = "a list of permit SKUs from products.toml, e.g. products = [\"P-RES-K1\"]";
    let field = table.field("products");
    let entry = table.required("products", WHAT, sink)?;
    let items = expect_array(entry, &field, WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            &field,
            format!("the list is empty; expected {WHAT}"),
        );
        return None;
    }
    let mut skus: Vec<(Sku, Span)> = Vec::new();
    let mut complete = true;
    for (j, node) in items.iter().enumerate() {
        let item_field = format!("{field}[{j}]");
        let span = node.span.clone().or_else(|| entry.span());
        let Some((raw, span)) = node_str(node, span, &item_field, "a SKU from products.toml", sink)
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
        if let Some((_, first)) = skus.iter().find(|(s, _)| *s == sku) {
            let first_line = line_of(sink, first);
            sink.push(
                span,
                &item_field,
                format!("\"{raw}\" is listed twice{first_line}; expected each product once"),
            );
            complete = false;
            continue;
        }
        if let Some(products) = ctx.products {
            match products.iter().find(|p| p.sku == sku) {
                None => {
                    sink.push(span, &item_field, unknown_product(raw, products));
                    complete = false;
                    continue;
                }
                Some(product) if product.kind != ProductKind::Permit => {
                    sink.push(
                        span,
                        &item_field,
                        format!(
                            "product \"{raw}\" has kind \"{}\"; emission prices apply to products of kind \"permit\"",
                            product.kind.as_str()
                        ),
                    );
                    complete = false;
                    continue;
                }
                Some(_) => {}
            }
        }
        skus.push((sku, span));
    }
    complete.then_some(skus)
}

fn unknown_product(raw: &str, products: &[ProductConfig]) -> String {
    let known: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
    let hint = crate::node::closest(raw, &known)
        .map(|k| format!(" (did you mean \"{k}\"?)"))
        .unwrap_or_default();
    format!("unknown product \"{raw}\"{hint}; expected a SKU from products.toml")
}

/// `prices.electric = "465.00"`: fuel class (lower-case, as the vehicle register gives it) to
/// the price of the whole permit period.
fn read_prices(
    table: &Table<'_>,
    currency: Option<Currency>,
    sink: &mut Sink<'_>,
) -> Option<BTreeMap<String, Money>> {
    const WHAT: &str =
        "a price per fuel class, e.g. `prices.electric = \"465.00\"` (one key per class)";
    const AMOUNT: &str = "an amount in major units as a string, e.g. prices.electric = \"465.00\"";
    let field = table.field("prices");
    let entry = table.required("prices", WHAT, sink)?;
    let Val::Table(classes) = &entry.node.value else {
        sink.push(
            entry.span(),
            &field,
            format!("expected {WHAT}, found {}", entry.node.value.describe()),
        );
        return None;
    };
    if classes.is_empty() {
        sink.push(
            entry.span(),
            &field,
            format!("no fuel class is given; expected {WHAT}"),
        );
        return None;
    }
    let mut prices = BTreeMap::new();
    let mut complete = true;
    for class in classes {
        let class_field = format!("{field}.{}", class.key);
        let normal = normalize_fuel_class(&class.key);
        if normal.is_empty() || normal != class.key || normal.chars().any(char::is_whitespace) {
            sink.push(
                class.key_span.clone().or_else(|| class.span()),
                &class_field,
                format!(
                    "fuel class {:?} is not written as the register's class in lower case without spaces; expected e.g. \"electric\"{}",
                    class.key,
                    if normal.is_empty() || normal.chars().any(char::is_whitespace) {
                        String::new()
                    } else {
                        format!(" (here: \"{normal}\")")
                    }
                ),
            );
            complete = false;
            continue;
        }
        match amount_value(class, &class_field, AMOUNT, currency, sink) {
            Some(Some(amount)) => {
                prices.insert(normal, amount);
            }
            // The currency is broken in tenant.toml, which reports it.
            Some(None) | None => complete = false,
        }
    }
    complete.then_some(prices)
}

/// A table keeps applying until a later table for the product: when the product's own price
/// changes in products.toml after the table took effect, a table must take effect by then too,
/// or the old emission prices would silently override the new price.
fn check_price_changes(
    tables: &[ReadTable],
    products: &[ProductConfig],
    sink: &mut Sink<'_>,
) -> bool {
    let mut ok = true;
    for read in tables {
        let from = read.table.effective_from;
        for (index, (sku, span)) in read
            .table
            .products
            .iter()
            .zip(&read.product_spans)
            .enumerate()
        {
            let Some(product) = products.iter().find(|p| &p.sku == sku) else {
                continue;
            };
            let uncovered = product
                .prices
                .iter()
                .map(|p| p.effective_from)
                .filter(|&change| change > from)
                .find(|&change| {
                    !tables.iter().any(|other| {
                        other.table.products.contains(sku)
                            && other.table.effective_from > from
                            && other.table.effective_from <= change
                    })
                });
            if let Some(change) = uncovered {
                sink.push(
                    span.clone(),
                    format!("{}.products[{index}]", read.field),
                    format!(
                        "\"{sku}\" has a new price from {change} in products.toml, but this table (from {from}) would keep replacing it for the fuel classes it lists; add an [[emission_table]] for \"{sku}\" with effective_from = {change}"
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}

fn read_registered_letter(
    root: &Table<'_>,
    ctx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Option<RegisteredLetterRule>> {
    let Some(entry) = root.get("registered_letter") else {
        return Some(None);
    };
    let table = Table::of(
        &entry.node,
        entry.span(),
        "registered_letter".to_owned(),
        sink,
    )?;
    table.deny_unknown(LETTER_FIELDS, sink);

    let fee_sku = table
        .string(
            "fee_sku",
            "the SKU of a fee product, e.g. \"F-REG-LETTER\"",
            sink,
        )
        .and_then(|(raw, span)| {
            let field = table.field("fee_sku");
            let sku = match Sku::parse(raw) {
                Ok(sku) => sku,
                Err(e) => {
                    sink.push(span, field, e.to_string());
                    return None;
                }
            };
            if let Some(products) = ctx.products {
                match products.iter().find(|p| p.sku == sku) {
                    None => {
                        sink.push(span, field, unknown_product(raw, products));
                        return None;
                    }
                    Some(p) if p.kind != ProductKind::Fee => {
                        sink.push(
                            span,
                            field,
                            format!(
                                "product \"{raw}\" has kind \"{}\"; expected a product of kind \"fee\"",
                                p.kind.as_str()
                            ),
                        );
                        return None;
                    }
                    Some(_) => {}
                }
            }
            Some(sku)
        });
    let kinds = read_kinds(&table, ctx, sink);
    const AMOUNT: &str = "an amount in major units as a string, e.g. above = \"500.00\"";
    let above = table
        .required("above", AMOUNT, sink)
        .and_then(|entry| amount_value(entry, &table.field("above"), AMOUNT, ctx.currency, sink));

    Some(Some(RegisteredLetterRule {
        fee_sku: fee_sku?,
        kinds: kinds?,
        above: above??,
    }))
}

/// `kinds = ["period_card", "scratch_ticket"]`: product kinds, each once and each sold.
fn read_kinds(
    table: &Table<'_>,
    ctx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<ProductKind>> {
    const WHAT: &str =
        "a list of product kinds, e.g. kinds = [\"period_card\", \"scratch_ticket\"]";
    let field = table.field("kinds");
    let entry = table.required("kinds", WHAT, sink)?;
    let items = expect_array(entry, &field, WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            &field,
            format!("the list is empty; expected {WHAT}"),
        );
        return None;
    }
    let mut kinds: Vec<ProductKind> = Vec::new();
    let mut complete = true;
    for (j, node) in items.iter().enumerate() {
        let item_field = format!("{field}[{j}]");
        let span = node.span.clone().or_else(|| entry.span());
        let Some((raw, span)) = node_str(node, span, &item_field, "a product kind", sink) else {
            complete = false;
            continue;
        };
        let kind = match ProductKind::parse(raw) {
            Ok(kind) => kind,
            Err(e) => {
                sink.push(span, &item_field, e.to_string());
                complete = false;
                continue;
            }
        };
        if kinds.contains(&kind) {
            sink.push(
                span,
                &item_field,
                format!("kind \"{raw}\" is listed twice; expected each kind once"),
            );
            complete = false;
            continue;
        }
        if let Some(products) = ctx.products
            && !products.iter().any(|p| p.kind == kind)
        {
            sink.push(
                span,
                &item_field,
                format!(
                    "no product in products.toml has kind \"{raw}\"; the rule would never apply"
                ),
            );
            complete = false;
            continue;
        }
        kinds.push(kind);
    }
    complete.then_some(kinds)
}
