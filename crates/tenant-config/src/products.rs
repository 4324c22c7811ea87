//! `products.toml`: the council's catalogue with price history.

use crate::ProductConfig;
use crate::error::Sink;
use crate::fields::{localized, localized_field, parsed};
use crate::node::{Entry, Node, Span, Table, Val, expect_array};
use chrono::NaiveDate;
use civicpay_domain::{Locale, PriceVersion, ProductKind, Sku, ZoneCode};
use civicpay_money::{Currency, Money};

const ROOT_FIELDS: &[&str] = &["product"];
pub(crate) const PRODUCT_FIELDS: &[&str] = &[
    "sku",
    "kind",
    "name",
    "description",
    "ledger_key",
    "vat_code",
    "zone",
    "price",
];
pub(crate) const PRICE_FIELDS: &[&str] = &["effective_from", "amount"];

/// What products are checked against; `None` where tenant.toml or zones.geojson was too broken
/// to tell (their own errors are reported already, so no follow-up errors are made up).
pub(crate) struct Context<'a> {
    pub currency: Option<Currency>,
    pub locales: Option<&'a [Locale]>,
    pub vat_codes: Option<&'a [String]>,
    /// False when some VAT code in tenant.toml is itself broken.
    pub vat_codes_complete: bool,
    pub zones: Option<&'a [ZoneCode]>,
    /// False when some zone in zones.geojson has a broken code.
    pub zones_complete: bool,
    pub has_zones_file: bool,
}

pub(crate) fn read(
    root: &Node,
    ctx: &Context<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<ProductConfig>> {
    let table = Table::root(root, sink)?;
    table.deny_unknown(ROOT_FIELDS, sink);
    const WHAT: &str = "one or more [[product]] tables";
    let entry = table.required("product", WHAT, sink)?;
    let items = expect_array(entry, "product", WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            "product",
            format!("the list is empty; expected {WHAT}"),
        );
    }
    let mut products = Vec::new();
    let mut seen_skus: Vec<(Sku, Span)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(product) = Table::of(item, entry.span(), format!("product[{i}]"), sink) else {
            continue;
        };
        if let Some(p) = read_product(&product, ctx, &mut seen_skus, sink) {
            products.push(p);
        }
    }
    Some(products)
}

fn read_product(
    product: &Table<'_>,
    ctx: &Context<'_>,
    seen_skus: &mut Vec<(Sku, Span)>,
    sink: &mut Sink<'_>,
) -> Option<ProductConfig> {
    product.deny_unknown(PRODUCT_FIELDS, sink);

    let sku = parsed(
        product,
        "sku",
        "an item number such as \"P-RES\"",
        Sku::parse,
        sink,
    );
    if let Some((sku, span)) = &sku {
        if let Some((_, first)) = seen_skus.iter().find(|(s, _)| s == sku) {
            let first_line = first
                .as_ref()
                .map(|s| format!(" (first at line {})", sink.source.position(s.start).0))
                .unwrap_or_default();
            sink.push(
                span.clone(),
                product.field("sku"),
                format!("SKU \"{sku}\" is used twice{first_line}; expected every product to have its own item number"),
            );
        } else {
            seen_skus.push((sku.clone(), span.clone()));
        }
    }
    let kind = parsed(product, "kind", "a product kind", ProductKind::parse, sink).map(|(k, _)| k);
    let name = localized_field(product, "name", ctx.locales, sink);
    let description = match product.get("description") {
        Some(entry) => localized(entry, &product.field("description"), ctx.locales, sink),
        None => Some(Default::default()),
    };
    let ledger_key = parsed(
        product,
        "ledger_key",
        "a ledger key such as \"6110-parking-resident\"",
        |raw| {
            if raw.trim().is_empty() {
                Err("ledger key is empty; expected the finance system's account key, e.g. \"6110-parking-resident\"".to_owned())
            } else if raw.trim() != raw {
                Err(format!("ledger key {raw:?} has leading or trailing spaces; expected {:?}", raw.trim()))
            } else if raw.chars().any(char::is_control) || raw.chars().count() > 100 {
                Err(format!("ledger key {raw:?} is invalid; expected at most 100 characters without control characters"))
            } else {
                Ok(raw.to_owned())
            }
        },
        sink,
    )
    .map(|(k, _)| k);
    let vat_code = parsed(
        product,
        "vat_code",
        "one of the council's VAT codes",
        |raw| match ctx.vat_codes {
            Some(codes) if !codes.iter().any(|c| c == raw) => Err(format!(
                "unknown VAT code \"{raw}\"; expected one of: {}{}",
                codes.join(", "),
                if ctx.vat_codes_complete {
                    ""
                } else {
                    " (some [[vat_code]] entries in tenant.toml are broken, see above)"
                }
            )),
            _ => Ok(raw.to_owned()),
        },
        sink,
    )
    .map(|(v, _)| v);
    let zone = match product.get("zone") {
        None => Some(None),
        Some(_) => parsed(
            product,
            "zone",
            "a zone code from zones.geojson",
            |raw| {
                let code = ZoneCode::parse(raw).map_err(|e| e.to_string())?;
                match ctx.zones {
                    Some([]) if !ctx.has_zones_file => Err(format!(
                        "unknown zone \"{raw}\": the tenant folder has no zones.geojson; add the zone there or remove `zone`"
                    )),
                    Some([]) if ctx.zones_complete => Err(format!(
                        "unknown zone \"{raw}\": zones.geojson defines no zones; add it there or remove `zone`"
                    )),
                    Some(zones) if !zones.contains(&code) => Err(format!(
                        "unknown zone \"{raw}\"; expected one of the zones in zones.geojson: {}{}",
                        zones.iter().map(ZoneCode::as_str).collect::<Vec<_>>().join(", "),
                        if ctx.zones_complete {
                            ""
                        } else {
                            " (some zones there have broken codes)"
                        }
                    )),
                    _ => Ok(code),
                }
            },
            sink,
        )
        .map(|(z, _)| Some(z)),
    };
    let prices = read_prices(product, ctx.currency, sink);

    Some(ProductConfig {
        sku: sku?.0,
        kind: kind?,
        name: name?,
        description: description?,
        ledger_key: ledger_key?,
        prices: prices?
            .into_iter()
            .map(|(effective_from, amount)| PriceVersion {
                effective_from,
                amount,
                vat_code: vat_code.clone().unwrap_or_default(),
            })
            .collect(),
        vat_code: vat_code?,
        zone: zone?,
    })
}

/// The `[[product.price]]` versions, sorted by date. `None` if any is broken.
fn read_prices(
    product: &Table<'_>,
    currency: Option<Currency>,
    sink: &mut Sink<'_>,
) -> Option<Vec<(NaiveDate, Money)>> {
    const WHAT: &str = "one or more [[product.price]] tables with effective_from = 2026-01-01 and amount = \"795.00\"";
    let field = product.field("price");
    let entry = product.required("price", WHAT, sink)?;
    let items = expect_array(entry, &field, WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            &field,
            format!("the list is empty; expected {WHAT}"),
        );
        return None;
    }
    let mut prices: Vec<(NaiveDate, Money)> = Vec::new();
    let mut seen: Vec<(NaiveDate, Span)> = Vec::new();
    let mut complete = true;
    for (j, item) in items.iter().enumerate() {
        let Some(price) = Table::of(item, entry.span(), format!("{field}[{j}]"), sink) else {
            complete = false;
            continue;
        };
        price.deny_unknown(PRICE_FIELDS, sink);
        let date = read_date(&price, sink);
        if let Some((date, span)) = &date {
            if let Some((_, first)) = seen.iter().find(|(d, _)| d == date) {
                let first_line = first
                    .as_ref()
                    .map(|s| format!(" (first at line {})", sink.source.position(s.start).0))
                    .unwrap_or_default();
                sink.push(
                    span.clone(),
                    price.field("effective_from"),
                    format!("a price taking effect on {date} is given twice{first_line}; expected one price per date"),
                );
                complete = false;
            } else {
                seen.push((*date, span.clone()));
            }
        }
        let amount = read_amount(&price, currency, sink);
        // `Some(None)`: the amount is fine but the currency is broken (tenant.toml says so).
        if let (Some((date, _)), Some(Some(amount))) = (date, amount) {
            prices.push((date, amount));
        } else {
            complete = false;
        }
    }
    prices.sort_by_key(|(date, _)| *date);
    complete.then_some(prices)
}

/// The required `effective_from` date of `price` (a price version or an emission table).
pub(crate) fn read_date(price: &Table<'_>, sink: &mut Sink<'_>) -> Option<(NaiveDate, Span)> {
    const WHAT: &str = "a TOML date such as 2026-01-01 (without quotes)";
    let entry = price.required("effective_from", WHAT, sink)?;
    let field = price.field("effective_from");
    let span = entry.span();
    let message = match &entry.node.value {
        Val::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                match NaiveDate::from_ymd_opt(
                    i32::from(d.year),
                    u32::from(d.month),
                    u32::from(d.day),
                ) {
                    Some(date) => return Some((date, span)),
                    None => format!("{dt} is not a calendar date; expected {WHAT}"),
                }
            }
            _ => format!(
                "{dt} has a time of day; expected {WHAT} (prices take effect at the start of the day in the council's time zone)"
            ),
        },
        Val::Str(s) => format!("the date is quoted (\"{s}\"); expected {WHAT}"),
        other => format!("expected {WHAT}, found {}", other.describe()),
    };
    sink.push(span, field, message);
    None
}

/// `Some(None)` when the amount is well-formed but the council's currency is unknown.
fn read_amount(
    price: &Table<'_>,
    currency: Option<Currency>,
    sink: &mut Sink<'_>,
) -> Option<Option<Money>> {
    const WHAT: &str = "an amount in major units as a string, e.g. amount = \"795.00\"";
    let entry = price.required("amount", WHAT, sink)?;
    amount_value(entry, &price.field("amount"), WHAT, currency, sink)
}

/// A non-negative amount written as a quoted string in major units of the council's currency
/// (`what` describes it for messages). `Some(None)` when the amount is a string but the
/// council's currency is unknown (tenant.toml's own error says why).
pub(crate) fn amount_value(
    entry: &Entry,
    field: &str,
    what: &str,
    currency: Option<Currency>,
    sink: &mut Sink<'_>,
) -> Option<Option<Money>> {
    let span = entry.span();
    let raw = match &entry.node.value {
        Val::Str(s) => s.as_str(),
        Val::Int(_) | Val::Float => {
            sink.push(
                span,
                field,
                format!("amount is a bare number; expected {what} (quoted, so no floating-point rounding can creep in)"),
            );
            return None;
        }
        other => {
            sink.push(
                span,
                field,
                format!("expected {what}, found {}", other.describe()),
            );
            return None;
        }
    };
    let Some(currency) = currency else {
        return Some(None);
    };
    match Money::parse_major(raw, currency) {
        Ok(money) if money.amount_minor() < 0 => {
            sink.push(
                span,
                field,
                format!("amount \"{raw}\" is negative; expected zero or more"),
            );
            None
        }
        Ok(money) => Some(Some(money)),
        Err(e) => {
            sink.push(
                span,
                field,
                format!(
                    "amount \"{raw}\" is invalid ({e}); expected a number in {} with at most {} decimals, e.g. \"795.00\"",
                    currency.code(),
                    currency.minor_units()
                ),
            );
            None
        }
    }
}
