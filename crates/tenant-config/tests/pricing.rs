//! pricing.toml: proration, emission-class price tables and the registered-letter rule are
//! checked when the folder is loaded, and every problem is reported with its file, line and
//! column.

use chrono::NaiveDate;
use civicpay_domain::{
    Delivery, ProductKind, ProrationUnit, Sku, emission_price, registered_letter_applies,
};
use civicpay_money::Money;
use civicpay_tenant_config::{ConfigError, ConfigErrors, TenantConfig, load, load_all};
use std::path::{Path, PathBuf};

const TENANT: &str = r##"slug = "testby"
name.da = "Testby Kommune"
name.en = "Testby Municipality"
country = "DK"
currency = "DKK"
timezone = "Europe/Copenhagen"
default_locale = "da"
locales = ["da", "en"]
hosts = ["pay.testby.example"]

[branding]
primary_color = "#123456"

[payment]
gateway = "sandbox"
methods = ["card"]

[[vat_code]]
code = "exempt"
rate = "0"
name.da = "Momsfri"
name.en = "VAT exempt"
"##;

const PRODUCTS: &str = r#"[[product]]
sku = "P-RES"
kind = "permit"
name.da = "Licens"
name.en = "Permit"
ledger_key = "6110-parking"
vat_code = "exempt"
[[product.price]]
effective_from = 2026-01-01
amount = "795.00"
[[product.price]]
effective_from = 2027-01-01
amount = "810.00"

[[product]]
sku = "C-RENEW"
kind = "permit_correction"
name.da = "Fornyelse"
name.en = "Renewal"
ledger_key = "6190-parking"
vat_code = "exempt"
[[product.price]]
effective_from = 2026-01-01
amount = "50.00"

[[product]]
sku = "PC-WEEK"
kind = "period_card"
name.da = "Ugekort"
name.en = "Week card"
ledger_key = "6140-parking"
vat_code = "exempt"
[[product.price]]
effective_from = 2026-01-01
amount = "300.00"

[[product]]
sku = "ST-DAY"
kind = "scratch_ticket"
name.da = "Dagsbillet"
name.en = "Day ticket"
ledger_key = "6150-parking"
vat_code = "exempt"
[[product.price]]
effective_from = 2026-01-01
amount = "150.00"

[[product]]
sku = "F-LETTER"
kind = "fee"
name.da = "Anbefalet brev"
name.en = "Registered letter"
ledger_key = "6170-parking"
vat_code = "exempt"
[[product.price]]
effective_from = 2026-01-01
amount = "60.00"
"#;

/// Line numbers in the tests below refer to this file.
const GOOD: &str = r#"[proration]
unit = "day"

[[emission_table]]
products = ["P-RES"]
effective_from = 2026-01-01
prices.electric = "465.00"
prices.petrol = "795.00"

[[emission_table]]
products = ["P-RES"]
effective_from = 2027-01-01
prices.electric = "500.00"

[registered_letter]
fee_sku = "F-LETTER"
kinds = ["period_card", "scratch_ticket"]
above = "500.00"
"#;

fn folder(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = root.path().join("testby");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
    (root, dir)
}

fn with_pricing(pricing: &str) -> (tempfile::TempDir, PathBuf) {
    folder(&[
        ("tenant.toml", TENANT),
        ("products.toml", PRODUCTS),
        ("pricing.toml", pricing),
    ])
}

fn errors_of(result: Result<TenantConfig, ConfigErrors>) -> Vec<ConfigError> {
    match result {
        Ok(config) => panic!("expected errors, got a valid config: {:?}", config.pricing),
        Err(errors) => errors.0,
    }
}

/// The only error, checked to be in pricing.toml at `line:column` for `field`.
fn single(pricing: &str, line: usize, column: usize, field: &str) -> ConfigError {
    let (_root, dir) = with_pricing(pricing);
    let errors = errors_of(load(&dir));
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    let error = errors
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(error.file, dir.join("pricing.toml"));
    assert_eq!(
        (error.line, error.column, error.field.as_str()),
        (Some(line), Some(column), field),
        "{error}"
    );
    error
}

fn replaced(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from:?} is not in GOOD");
    GOOD.replacen(from, to, 1)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn minor(money: Option<Money>) -> Option<i64> {
    money.map(|m| m.amount_minor())
}

#[test]
fn a_good_pricing_file_loads() {
    let (_root, dir) = with_pricing(GOOD);
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let pricing = &config.pricing;
    assert_eq!(pricing.proration, ProrationUnit::Day);
    assert_eq!(pricing.emission_tables.len(), 2);
    let first = &pricing.emission_tables[0];
    assert_eq!(first.products, [sku("P-RES")]);
    assert_eq!(first.effective_from, date("2026-01-01"));
    let classes: Vec<(&str, i64)> = first
        .prices
        .iter()
        .map(|(class, amount)| (class.as_str(), amount.amount_minor()))
        .collect();
    assert_eq!(classes, [("electric", 46_500), ("petrol", 79_500)]);
    let tables = &pricing.emission_tables;
    let price =
        |class: &str, on: &str| minor(emission_price(tables, &sku("P-RES"), class, date(on)));
    assert_eq!(price("electric", "2026-06-01"), Some(46_500));
    assert_eq!(price("electric", "2027-06-01"), Some(50_000));
    assert_eq!(price("petrol", "2027-06-01"), None);

    let letter = pricing
        .registered_letter
        .as_ref()
        .unwrap_or_else(|| panic!("no registered-letter rule"));
    assert_eq!(letter.fee_sku, sku("F-LETTER"));
    assert_eq!(
        letter.kinds,
        [ProductKind::PeriodCard, ProductKind::ScratchTicket]
    );
    assert_eq!(letter.above.amount_minor(), 50_000);
    assert_eq!(letter.above.currency(), config.currency);
}

#[test]
fn without_pricing_toml_the_defaults_apply() {
    let (_root, dir) = folder(&[("tenant.toml", TENANT), ("products.toml", PRODUCTS)]);
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.pricing.proration, ProrationUnit::Month);
    assert!(config.pricing.emission_tables.is_empty());
    assert!(config.pricing.registered_letter.is_none());
    // An empty file is the defaults too.
    let (_root, dir) = with_pricing("");
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.pricing, Default::default());
}

#[test]
fn an_unknown_proration_unit_is_an_error() {
    let error = single(
        &replaced("unit = \"day\"", "unit = \"week\""),
        2,
        8,
        "proration.unit",
    );
    assert!(
        error
            .message
            .starts_with("unknown proration unit \"week\"; expected \"month\""),
        "{error}"
    );
}

#[test]
fn an_unknown_sku_is_named_with_a_suggestion() {
    let error = single(
        &replaced("products = [\"P-RES\"]", "products = [\"P-RESS\"]"),
        5,
        13,
        "emission_table[0].products[0]",
    );
    assert_eq!(
        error.message,
        "unknown product \"P-RESS\" (did you mean \"P-RES\"?); expected a SKU from products.toml"
    );
}

#[test]
fn emission_prices_apply_to_permits_only() {
    let error = single(
        &replaced("products = [\"P-RES\"]", "products = [\"C-RENEW\"]"),
        5,
        13,
        "emission_table[0].products[0]",
    );
    assert!(
        error.message.contains(
            "has kind \"permit_correction\"; emission prices apply to products of kind \"permit\""
        ),
        "{error}"
    );
}

#[test]
fn an_amount_with_too_many_decimals_for_the_currency_is_an_error() {
    let error = single(
        &replaced("\"465.00\"", "\"465.001\""),
        7,
        19,
        "emission_table[0].prices.electric",
    );
    assert!(
        error.message.contains("has 3 decimals but DKK has 2"),
        "{error}"
    );
    let error = single(
        &replaced("\"465.00\"", "465.00"),
        7,
        19,
        "emission_table[0].prices.electric",
    );
    assert!(
        error.message.starts_with("amount is a bare number"),
        "{error}"
    );
    let error = single(
        &replaced("\"465.00\"", "\"465,00\""),
        7,
        19,
        "emission_table[0].prices.electric",
    );
    assert!(
        error.message.contains("use '.' as the decimal point"),
        "{error}"
    );
    let error = single(
        &replaced("above = \"500.00\"", "above = \"-1\""),
        18,
        9,
        "registered_letter.above",
    );
    assert!(error.message.contains("is negative"), "{error}");
}

#[test]
fn a_fuel_class_must_be_lower_case() {
    let error = single(
        &replaced("prices.electric", "prices.Electric"),
        7,
        8,
        "emission_table[0].prices.Electric",
    );
    assert!(
        error.message.contains("lower case") && error.message.contains("(here: \"electric\")"),
        "{error}"
    );
}

#[test]
fn two_tables_for_a_product_on_one_date_are_an_error() {
    let error = single(
        &replaced("effective_from = 2027-01-01", "effective_from = 2026-01-01"),
        11,
        13,
        "emission_table[1].products[0]",
    );
    assert_eq!(
        error.message,
        "\"P-RES\" already has an emission table taking effect on 2026-01-01 (line 5); expected at most one table per product and date"
    );
}

#[test]
fn a_price_change_without_a_new_table_is_an_error() {
    // P-RES's own price changes on 2027-01-01; without the 2027 table the 2026 one would keep
    // replacing it.
    let pricing = replaced(
        "[[emission_table]]\nproducts = [\"P-RES\"]\neffective_from = 2027-01-01\nprices.electric = \"500.00\"\n\n",
        "",
    );
    let error = single(&pricing, 5, 13, "emission_table[0].products[0]");
    assert!(
        error
            .message
            .starts_with("\"P-RES\" has a new price from 2027-01-01 in products.toml"),
        "{error}"
    );
    assert!(
        error
            .message
            .ends_with("add an [[emission_table]] for \"P-RES\" with effective_from = 2027-01-01"),
        "{error}"
    );
}

#[test]
fn the_fee_must_be_an_existing_fee_product() {
    let error = single(
        &replaced("fee_sku = \"F-LETTER\"", "fee_sku = \"PC-WEEK\""),
        16,
        11,
        "registered_letter.fee_sku",
    );
    assert_eq!(
        error.message,
        "product \"PC-WEEK\" has kind \"period_card\"; expected a product of kind \"fee\""
    );
    let error = single(
        &replaced("fee_sku = \"F-LETTER\"", "fee_sku = \"F-LETTR\""),
        16,
        11,
        "registered_letter.fee_sku",
    );
    assert!(
        error.message.contains("(did you mean \"F-LETTER\"?)"),
        "{error}"
    );
}

#[test]
fn an_unknown_product_kind_is_an_error() {
    let error = single(
        &replaced("\"scratch_ticket\"]", "\"scratch\"]"),
        17,
        25,
        "registered_letter.kinds[1]",
    );
    assert!(
        error
            .message
            .starts_with("product kind \"scratch\" is invalid: expected one of permit"),
        "{error}"
    );
    let error = single(
        &replaced("\"scratch_ticket\"]", "\"tag\"]"),
        17,
        25,
        "registered_letter.kinds[1]",
    );
    assert!(
        error
            .message
            .contains("no product in products.toml has kind \"tag\""),
        "{error}"
    );
}

#[test]
fn every_problem_is_reported_at_once_in_line_order() {
    let pricing = GOOD
        .replace("unit = \"day\"", "units = \"day\"")
        .replace(
            "effective_from = 2026-01-01",
            "effective_from = \"2026-01-01\"",
        )
        .replace("fee_sku = \"F-LETTER\"", "fee = \"F-LETTER\"")
        .replace("above = \"500.00\"", "above = 500");
    let (_root, dir) = with_pricing(&pricing);
    let errors = errors_of(load(&dir));
    let places: Vec<(Option<usize>, &str)> =
        errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        places,
        [
            (Some(1), "proration.unit"),
            (Some(2), "proration.units"),
            (Some(6), "emission_table[0].effective_from"),
            (Some(15), "registered_letter.fee_sku"),
            (Some(16), "registered_letter.fee"),
            (Some(18), "registered_letter.above"),
        ],
        "{}",
        ConfigErrors(errors.clone())
    );
    assert!(
        errors[1]
            .message
            .contains("unknown field `units` (did you mean `unit`?)"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].message.contains("the date is quoted"),
        "{}",
        errors[2]
    );
    let shown = errors[5].to_string();
    assert!(
        shown.ends_with("pricing.toml:18:9: registered_letter.above: amount is a bare number; expected an amount in major units as a string, e.g. above = \"500.00\" (quoted, so no floating-point rounding can creep in)"),
        "{shown}"
    );
}

#[test]
fn a_syntax_error_has_a_line_and_a_misnamed_file_a_hint() {
    let (_root, dir) = with_pricing("[proration\nunit = \"day\"\n");
    let errors = errors_of(load(&dir));
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    assert_eq!(errors[0].line, Some(1));
    assert!(errors[0].message.starts_with("TOML syntax error"));

    let (_root, dir) = folder(&[
        ("tenant.toml", TENANT),
        ("products.toml", PRODUCTS),
        ("prices.toml", GOOD),
    ]);
    let errors = errors_of(load(&dir));
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    assert!(
        errors[0].message.contains("did you mean pricing.toml?"),
        "{}",
        errors[0]
    );
}

fn shipped_tenants() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants")
}

#[test]
fn kobenhavn_prices_resident_permits_by_every_fuel_class_in_its_register() {
    let dir = shipped_tenants().join("kobenhavn");
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let pricing = &config.pricing;
    assert_eq!(pricing.proration, ProrationUnit::Month);

    let register = std::fs::read_to_string(dir.join("registry/vehicles.json"))
        .unwrap_or_else(|e| panic!("vehicles.json: {e}"));
    let vehicles: Vec<serde_json::Value> =
        serde_json::from_str(&register).unwrap_or_else(|e| panic!("vehicles.json: {e}"));
    let mut classes: Vec<String> = vehicles
        .iter()
        .filter_map(|v| v.get("fuel_class").and_then(|c| c.as_str()))
        .map(civicpay_domain::normalize_fuel_class)
        .collect();
    classes.sort();
    classes.dedup();
    assert!(!classes.is_empty());

    for permit in ["P-RES-K1", "P-RES-K2", "P-RES-K3"] {
        let product = config
            .product(&sku(permit))
            .unwrap_or_else(|| panic!("no {permit}"));
        for on in ["2026-01-01", "2026-12-31", "2027-01-01"] {
            for class in &classes {
                assert!(
                    emission_price(&pricing.emission_tables, &product.sku, class, date(on))
                        .is_some(),
                    "{permit} has no {class} price on {on}"
                );
            }
            // Electric cars pay less than the permit's own price.
            let own = civicpay_domain::current_price(&product.prices, date(on))
                .map(|p| p.amount.amount_minor())
                .unwrap_or_else(|| panic!("{permit} has no price on {on}"));
            let electric = minor(emission_price(
                &pricing.emission_tables,
                &product.sku,
                "electric",
                date(on),
            ));
            assert!(electric.is_some_and(|e| e < own), "{permit} on {on}");
        }
    }
    assert_eq!(
        minor(emission_price(
            &pricing.emission_tables,
            &sku("P-RES-K1"),
            "electric",
            date("2026-07-15"),
        )),
        Some(46_500)
    );

    let letter = pricing
        .registered_letter
        .as_ref()
        .unwrap_or_else(|| panic!("no registered-letter rule"));
    assert!(
        config
            .product(&letter.fee_sku)
            .is_some_and(|p| p.kind == ProductKind::Fee)
    );
    let price = |s: &str| {
        let product = config.product(&sku(s)).unwrap_or_else(|| panic!("no {s}"));
        (product.kind, product.prices[0].amount)
    };
    let applies = |lines: &[(ProductKind, Money)]| {
        registered_letter_applies(letter, Delivery::Post, lines).unwrap_or_else(|e| panic!("{e}"))
    };
    // One week card (300.00) is not over 500; two are; a month card (1000.00) is.
    assert!(!applies(&[price("PC-WEEK")]));
    assert!(applies(&[price("PC-WEEK"), price("PC-WEEK")]));
    assert!(applies(&[price("PC-MONTH")]));
}

#[test]
fn councils_without_pricing_toml_load_with_the_defaults() {
    for (dir, result) in load_all(&shipped_tenants()) {
        let config = result.unwrap_or_else(|errors| panic!("{}:\n{errors}", dir.display()));
        if !dir.join("pricing.toml").exists() {
            assert_eq!(config.pricing, Default::default(), "{}", dir.display());
        }
    }
}

/// The error lines shown in docs/tenant-config.md are what the loader says.
#[test]
fn the_documented_kobenhavn_errors_are_real() {
    let shipped = shipped_tenants().join("kobenhavn");
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = root.path().join("kobenhavn");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for entry in std::fs::read_dir(&shipped).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if let (true, Some(name)) = (path.is_file(), path.file_name()) {
            std::fs::copy(&path, dir.join(name)).unwrap_or_else(|e| panic!("copy: {e}"));
        }
    }
    let pricing = std::fs::read_to_string(shipped.join("pricing.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .replacen("\"P-RES-K1\"", "\"P-RES-K4\"", 1)
        .replace("fee_sku = \"F-REG-LETTER\"", "fee_sku = \"PC-WEEK\"");
    std::fs::write(dir.join("pricing.toml"), pricing).unwrap_or_else(|e| panic!("{e}"));
    let errors = errors_of(load(&dir));
    let shown: Vec<String> = errors
        .iter()
        .map(|e| {
            e.to_string()
                .replace(&root.path().display().to_string(), "tenants")
        })
        .collect();
    assert_eq!(
        shown,
        [
            "tenants/kobenhavn/pricing.toml:18:13: emission_table[0].products[0]: unknown product \"P-RES-K4\" (did you mean \"P-RES-K1\"?); expected a SKU from products.toml",
            "tenants/kobenhavn/pricing.toml:40:11: registered_letter.fee_sku: product \"PC-WEEK\" has kind \"period_card\"; expected a product of kind \"fee\"",
        ]
    );
}
