//! Loading real and broken tenant folders.

use civicpay_domain::{ProductKind, Sku, ZoneCode};
use civicpay_tenant_config::{ConfigError, ConfigErrors, TenantConfig, load, load_all};
use std::path::{Path, PathBuf};

fn shipped_tenants() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", dir.join(name).display()));
}

/// A tempdir with a folder `slug` inside, holding the given files.
fn fixture(slug: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = root.path().join(slug);
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for (name, text) in files {
        write(&dir, name, text);
    }
    (root, dir)
}

fn errors_of(result: Result<TenantConfig, ConfigErrors>) -> Vec<ConfigError> {
    match result {
        Ok(config) => panic!("expected errors, got a valid config for {}", config.slug),
        Err(errors) => errors.0,
    }
}

fn ok(result: Result<TenantConfig, ConfigErrors>) -> TenantConfig {
    result.unwrap_or_else(|errors| panic!("expected a valid config, got:\n{errors}"))
}

/// (file name, line, column, field) of each error, for exact assertions.
fn places(errors: &[ConfigError]) -> Vec<(String, Option<usize>, Option<usize>, String)> {
    errors
        .iter()
        .map(|e| {
            let file = e
                .file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            (file, e.line, e.column, e.field.clone())
        })
        .collect()
}

fn find<'a>(errors: &'a [ConfigError], field: &str) -> &'a ConfigError {
    errors.iter().find(|e| e.field == field).unwrap_or_else(|| {
        panic!(
            "no error for {field}; got:\n{}",
            ConfigErrors(errors.to_vec())
        )
    })
}

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
methods = ["card", "mobilepay"]

[[vat_code]]
code = "standard"
rate = "25"
name.da = "Moms 25 %"
name.en = "VAT 25%"
"##;

const PRODUCTS: &str = r#"[[product]]
sku = "P-1"
kind = "permit"
name.da = "Licens"
name.en = "Permit"
ledger_key = "6110-parking"
vat_code = "standard"
[[product.price]]
effective_from = 2027-01-01
amount = "810.00"
[[product.price]]
effective_from = 2026-01-01
amount = "795.00"
"#;

#[test]
fn every_shipped_tenant_loads_without_errors() {
    let results = load_all(&shipped_tenants());
    let slugs: Vec<String> = results
        .iter()
        .map(|(dir, _)| {
            dir.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    for demo in ["kobenhavn", "krakow", "odense", "rotterdam"] {
        assert!(
            slugs.iter().any(|s| s == demo),
            "{demo} missing from {slugs:?}"
        );
    }
    let mut sorted = slugs.clone();
    sorted.sort();
    assert_eq!(slugs, sorted, "load_all sorts by path");
    for (dir, result) in results {
        let config = result.unwrap_or_else(|errors| panic!("{}:\n{errors}", dir.display()));
        assert!(
            !config.products.is_empty(),
            "{} has no products",
            dir.display()
        );
        for product in &config.products {
            for locale in &config.locales {
                assert!(
                    product.name.0.contains_key(locale),
                    "{} lacks a {locale} name",
                    product.sku
                );
            }
            assert!(
                product
                    .prices
                    .iter()
                    .all(|p| p.amount.currency() == config.currency)
            );
        }
    }
}

#[test]
fn kobenhavn_has_the_seed_catalogue() {
    let config = ok(load(&shipped_tenants().join("kobenhavn")));
    assert_eq!(config.slug.as_str(), "kobenhavn");
    assert_eq!(config.currency.code(), "DKK");
    assert_eq!(config.hosts, ["pay.kobenhavn.example"]);
    assert_eq!(config.branding.logo.as_deref(), Some("logo.svg"));
    let zones: Vec<&str> = config.zones.iter().map(|z| z.code.as_str()).collect();
    assert_eq!(zones, ["K1", "K2", "K3"]);
    let kinds = |kind: ProductKind| config.products.iter().filter(|p| p.kind == kind).count();
    assert_eq!(kinds(ProductKind::PermitCorrection), 5);
    assert_eq!(kinds(ProductKind::ScratchTicket), 3);
    assert!(kinds(ProductKind::PeriodCard) >= 4);

    let sku = |s: &str| Sku::parse(s).unwrap_or_else(|e| panic!("{e}"));
    let tag = config
        .product(&sku("T-GARAGE"))
        .unwrap_or_else(|| panic!("no garage tag"));
    assert_eq!(tag.prices[0].amount.amount_minor(), 0);
    assert_eq!(
        tag.zone,
        Some(ZoneCode::parse("K1").unwrap_or_else(|e| panic!("{e}")))
    );
    let resident = config
        .product(&sku("P-RES-K1"))
        .unwrap_or_else(|| panic!("no resident permit"));
    let history: Vec<String> = resident
        .prices
        .iter()
        .map(|p| format!("{} {}", p.effective_from, p.amount.amount_minor()))
        .collect();
    assert_eq!(history, ["2026-01-01 162000", "2027-01-01 174000"]);
    assert!(resident.prices.iter().all(|p| p.vat_code == "exempt"));
    assert!(
        config
            .product(&sku("F-REG-LETTER"))
            .is_some_and(|p| p.kind == ProductKind::Fee)
    );
    assert_eq!(
        config.vat_code("standard").map(|v| v.rate.basis_points()),
        Some(2500)
    );
}

#[test]
fn a_minimal_fixture_loads_and_sorts_prices() {
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", TENANT), ("products.toml", PRODUCTS)],
    );
    let config = ok(load(&dir));
    let dates: Vec<String> = config.products[0]
        .prices
        .iter()
        .map(|p| p.effective_from.to_string())
        .collect();
    assert_eq!(dates, ["2026-01-01", "2027-01-01"]);
    assert!(config.zones.is_empty());
    assert!(config.products[0].description.is_empty());
}

#[test]
fn a_broken_folder_reports_every_problem_with_its_place() {
    let tenant = r##"slug = "wrong-slug"
name.da = "Testby Kommune"
country = "DK"
currency = "DKX"
timezone = "Copenhagen"
default_locale = "en"
locales = ["da"]
hosts = ["pay.testby.example", "pay.testby.example"]
colour = "#fff"

[branding]
primary_color = "#12345"
logo = "missing.svg"

[payment]
gateway = "sandbox"
methods = ["card", "mobilepay"]

[[vat_code]]
code = "standard"
rate = "25"
name.da = "Moms"
"##;
    let products = r#"[[product]]
sku = "A-1"
kind = "permit"
name.da = "Licens"
ledger_key = "6110"
vat_code = "standrd"
[[product.price]]
effective_from = 2026-01-01
amount = "10.00"
[[product.price]]
effective_from = 2026-01-01
amount = 12.5

[[product]]
sku = "A-1"
kind = "permitt"
name.da = "Licens 2"
name.en = "Permit 2"
ledger_key = "6110"
vat_code = "standard"
zone = "K9"
prise = 1
"#;
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", tenant), ("products.toml", products)],
    );
    let errors = errors_of(load(&dir));
    let t = |line, column, field: &str| {
        (
            "tenant.toml".to_owned(),
            Some(line),
            Some(column),
            field.to_owned(),
        )
    };
    let p = |line, column, field: &str| {
        (
            "products.toml".to_owned(),
            Some(line),
            Some(column),
            field.to_owned(),
        )
    };
    assert_eq!(
        places(&errors),
        vec![
            t(1, 8, "slug"),
            t(4, 12, "currency"),
            t(5, 12, "timezone"),
            t(6, 18, "default_locale"),
            t(8, 32, "hosts[1]"),
            t(9, 1, "colour"),
            t(12, 17, "branding.primary_color"),
            t(13, 8, "branding.logo"),
            p(6, 12, "product[0].vat_code"),
            p(11, 18, "product[0].price[1].effective_from"),
            p(12, 10, "product[0].price[1].amount"),
            p(14, 1, "product[1].price"),
            p(15, 7, "product[1].sku"),
            p(16, 8, "product[1].kind"),
            p(18, 6, "product[1].name.en"),
            p(21, 8, "product[1].zone"),
            p(22, 1, "product[1].prise"),
        ],
        "\n{}",
        ConfigErrors(errors.clone())
    );

    let shown = ConfigErrors(errors.clone()).to_string();
    let vat = find(&errors, "product[0].vat_code");
    assert!(
        vat.to_string().ends_with(
            "products.toml:6:12: product[0].vat_code: unknown VAT code \"standrd\"; expected one of: standard"
        ),
        "{vat}"
    );
    assert!(
        find(&errors, "slug")
            .message
            .contains("does not match the folder name \"testby\""),
        "{shown}"
    );
    assert!(
        find(&errors, "colour")
            .message
            .contains("unknown field `colour`")
    );
    assert!(
        find(&errors, "product[1].prise")
            .message
            .contains("did you mean `price`?")
    );
    assert!(
        find(&errors, "product[1].sku")
            .message
            .contains("first at line 2")
    );
    assert!(
        find(&errors, "product[0].price[1].effective_from")
            .message
            .contains("first at line 8")
    );
    assert!(
        find(&errors, "product[1].zone")
            .message
            .contains("no zones.geojson")
    );
    assert!(
        find(&errors, "default_locale")
            .message
            .contains("not in `locales`")
    );
    assert_eq!(shown.lines().count(), errors.len());
}

#[test]
fn slug_must_match_the_folder() {
    let (_root, dir) = fixture(
        "odense",
        &[("tenant.toml", TENANT), ("products.toml", PRODUCTS)],
    );
    let errors = errors_of(load(&dir));
    assert_eq!(
        places(&errors),
        vec![(
            "tenant.toml".to_owned(),
            Some(1),
            Some(8),
            "slug".to_owned()
        )]
    );
    assert!(
        errors[0].message.contains("expected slug = \"odense\""),
        "{}",
        errors[0]
    );
}

#[test]
fn unknown_fields_are_errors() {
    let tenant = TENANT.replace("[payment]\n", "[payment]\nmethod = [\"card\"]\n");
    let products = PRODUCTS.replace(
        "amount = \"795.00\"",
        "amount = \"795.00\"\ncurrency = \"DKK\"",
    );
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", &tenant), ("products.toml", &products)],
    );
    let errors = errors_of(load(&dir));
    assert_eq!(
        places(&errors),
        vec![
            (
                "tenant.toml".to_owned(),
                Some(15),
                Some(1),
                "payment.method".to_owned()
            ),
            (
                "products.toml".to_owned(),
                Some(14),
                Some(1),
                "product[0].price[1].currency".to_owned()
            ),
        ],
        "\n{}",
        ConfigErrors(errors.clone())
    );
    assert!(
        errors[0].message.contains("did you mean `methods`?"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1]
            .message
            .contains("expected one of: effective_from, amount"),
        "{}",
        errors[1]
    );
}

#[test]
fn syntax_errors_point_at_their_line_and_other_files_are_still_checked() {
    let tenant = TENANT.replace("country = \"DK\"", "country = \"DK");
    let products = PRODUCTS.replace(
        "vat_code = \"standard\"",
        "vat_code = \"standard\"\nkind = \"fee\"",
    );
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", &tenant), ("products.toml", &products)],
    );
    let errors = errors_of(load(&dir));
    assert_eq!(errors.len(), 2, "{}", ConfigErrors(errors.clone()));
    assert_eq!(errors[0].file, dir.join("tenant.toml"));
    assert_eq!(errors[0].line, Some(4));
    assert!(
        errors[0].message.starts_with("TOML syntax error"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[1].file, dir.join("products.toml"));
    assert_eq!(errors[1].line, Some(8));
    assert!(errors[1].message.contains("duplicate key"), "{}", errors[1]);
}

#[test]
fn zone_problems_are_located_in_the_geojson() {
    let zones = r#"{
  "type": "FeatureCollection",
  "features": [
    {
      "type": "Feature",
      "properties": { "code": "Z1", "name": { "da": "Zone 1", "en": "Zone 1" } },
      "geometry": {
        "type": "Polygon",
        "coordinates": [
          [[12.5, 55.6], [12.6, 55.6], [12.6, 55.7], [12.5, 55.71]]
        ]
      }
    },
    {
      "type": "Feature",
      "properties": { "code": "Z1", "name": { "da": "Zone 2" } },
      "geometry": {
        "type": "Polygon",
        "coordinates": [
          [[12.5, 55.6], [212.6, 55.6], [12.5, 55.6]]
        ]
      }
    },
    {
      "type": "Feature",
      "properties": { "code": "Z3", "name": { "da": "Zone 3", "en": "Zone 3" } },
      "geometry": { "type": "Point", "coordinates": [12.5, 55.6] }
    }
  ]
}
"#;
    let products = PRODUCTS.replace(
        "vat_code = \"standard\"",
        "vat_code = \"standard\"\nzone = \"Z1\"",
    );
    let (_root, dir) = fixture(
        "testby",
        &[
            ("tenant.toml", TENANT),
            ("products.toml", &products),
            ("zones.geojson", zones),
        ],
    );
    let errors = errors_of(load(&dir));
    let z = |line, field: &str| ("zones.geojson".to_owned(), Some(line), field.to_owned());
    let got: Vec<_> = places(&errors)
        .into_iter()
        .map(|(file, line, _, field)| (file, line, field))
        .collect();
    assert_eq!(
        got,
        vec![
            z(10, "feature[0].geometry.coordinates[0]"),
            z(16, "feature[1].properties.code"),
            z(16, "feature[1].properties.name"),
            z(20, "feature[1].geometry.coordinates[0]"),
            z(20, "feature[1].geometry.coordinates[0][1]"),
            z(27, "feature[2].geometry.type"),
        ],
        "\n{}",
        ConfigErrors(errors.clone())
    );
    assert!(
        find(&errors, "feature[0].geometry.coordinates[0]")
            .message
            .contains("not closed")
    );
    assert!(
        find(&errors, "feature[1].geometry.coordinates[0]")
            .message
            .contains("at least 4")
    );
    assert!(
        find(&errors, "feature[1].geometry.coordinates[0][1]")
            .message
            .contains("longitude 212.6")
    );
    assert!(
        find(&errors, "feature[1].properties.name")
            .message
            .contains("missing text for locale(s) en")
    );
    assert!(
        find(&errors, "feature[2].geometry.type")
            .message
            .contains("Point is not allowed")
    );
}

#[test]
fn json_syntax_errors_have_a_line() {
    let (_root, dir) = fixture(
        "testby",
        &[
            ("tenant.toml", TENANT),
            ("products.toml", PRODUCTS),
            (
                "zones.geojson",
                "{\n  \"type\": \"FeatureCollection\",\n  \"features\": [,]\n}\n",
            ),
        ],
    );
    let errors = errors_of(load(&dir));
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    assert_eq!(errors[0].line, Some(3));
    assert!(
        errors[0].message.starts_with("JSON syntax error"),
        "{}",
        errors[0]
    );
}

#[test]
fn missing_and_stray_files_are_reported() {
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", TENANT), ("product.toml", PRODUCTS)],
    );
    let errors = errors_of(load(&dir));
    let files: Vec<_> = errors
        .iter()
        .map(|e| {
            e.file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        files,
        ["products.toml", "product.toml"],
        "{}",
        ConfigErrors(errors.clone())
    );
    assert!(errors[0].message.contains("file not found"));
    assert!(
        errors[1].message.contains("did you mean products.toml?"),
        "{}",
        errors[1]
    );
}

#[test]
fn a_host_claimed_by_two_councils_fails_both() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for slug in ["testby", "otherby"] {
        let dir = root.path().join(slug);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
        write(
            &dir,
            "tenant.toml",
            &TENANT.replace("slug = \"testby\"", &format!("slug = \"{slug}\"")),
        );
        write(&dir, "products.toml", PRODUCTS);
    }
    let results = load_all(root.path());
    assert_eq!(results.len(), 2);
    for (dir, result) in results {
        let errors = errors_of(result);
        assert_eq!(errors.len(), 1, "{}", dir.display());
        assert_eq!(errors[0].line, Some(9));
        assert_eq!(errors[0].field, "hosts");
        assert!(
            errors[0].message.contains("also claimed by"),
            "{}",
            errors[0]
        );
    }
}

#[test]
fn currency_and_amount_rules() {
    let tenant = TENANT.replace("currency = \"DKK\"", "currency = \"EUR\"");
    let products = PRODUCTS
        .replace("\"810.00\"", "\"810.005\"")
        .replace("\"795.00\"", "\"-1.00\"");
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", &tenant), ("products.toml", &products)],
    );
    let errors = errors_of(load(&dir));
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    // mobilepay is fine in EUR; the amounts are not.
    assert_eq!(
        fields,
        ["product[0].price[0].amount", "product[0].price[1].amount"],
        "{}",
        ConfigErrors(errors.clone())
    );
    assert!(errors[1].message.contains("negative"), "{}", errors[1]);

    let tenant = TENANT.replace("\"mobilepay\"", "\"ideal\"");
    let (_root, dir) = fixture(
        "testby",
        &[("tenant.toml", &tenant), ("products.toml", PRODUCTS)],
    );
    let errors = errors_of(load(&dir));
    assert_eq!(
        places(&errors),
        vec![(
            "tenant.toml".to_owned(),
            Some(16),
            Some(20),
            "payment.methods[1]".to_owned()
        )]
    );
    assert!(errors[0].message.contains("needs EUR"), "{}", errors[0]);
}
