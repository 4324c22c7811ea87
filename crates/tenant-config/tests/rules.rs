//! rules.toml: council rules are compiled when the folder is loaded, and every broken rule is
//! reported with its file, line and column.

use civicpay_tenant_config::{ConfigError, ConfigErrors, TenantConfig, load};
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
"#;

fn folder(rules: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = root.path().join("testby");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for (name, text) in [
        ("tenant.toml", TENANT),
        ("products.toml", PRODUCTS),
        ("rules.toml", rules),
    ] {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
    (root, dir)
}

fn errors_of(result: Result<TenantConfig, ConfigErrors>) -> Vec<ConfigError> {
    match result {
        Ok(config) => panic!("expected errors, got {} valid rules", config.rules.len()),
        Err(errors) => errors.0,
    }
}

/// The only error, checked to be in rules.toml at `line:column` for `field`.
fn single(dir: &Path, line: usize, column: usize, field: &str) -> ConfigError {
    let errors = errors_of(load(dir));
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    let error = errors
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(error.file, dir.join("rules.toml"));
    assert_eq!(
        (error.line, error.column, error.field.as_str()),
        (Some(line), Some(column), field),
        "{error}"
    );
    error
}

const GOOD: &str = r#"[[rule]]
id = "zone"
product = "P-RES"
when = "address.zone == product.zone && !address.private_road"
message.da = "Adressen ligger ikke i zonen."
message.en = "The address is not in the zone."

[[rule]]
id = "adult"
kind = "permit"
outcome = "review"
when = "applicant.age >= 18"
message = { da = "Ansøgeren er under 18.", en = "The applicant is under 18." }
"#;

#[test]
fn good_rules_load_in_file_order() {
    let (_root, dir) = folder(GOOD);
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = config.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["zone", "adult"]);
    assert_eq!(config.rules[1].outcome, civicpay_rules::Outcome::Review);
    let product = &config.products[0];
    assert_eq!(config.rules_for(product).len(), 2);
}

#[test]
fn a_folder_without_rules_has_none() {
    let (_root, dir) = folder("");
    std::fs::remove_file(dir.join("rules.toml")).unwrap_or_else(|e| panic!("{e}"));
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.rules.is_empty());
}

#[test]
fn a_cel_syntax_error_points_into_the_expression() {
    let (_root, dir) = folder(&GOOD.replace("product.zone && !", "product.zone && && !"));
    let error = single(&dir, 4, 41, "rule[0].when");
    assert!(error.message.contains("CEL syntax error"), "{error}");
}

#[test]
fn an_unknown_field_is_named_with_a_suggestion() {
    let (_root, dir) = folder(&GOOD.replace("address.private_road", "address.privat_road"));
    let error = single(&dir, 4, 50, "rule[0].when");
    assert!(
        error
            .message
            .contains("unknown field `privat_road` of `address` (did you mean `private_road`?)"),
        "{error}"
    );
}

#[test]
fn an_unknown_field_in_a_branch_never_evaluated_is_still_found() {
    // `false && …` never evaluates its right side; the syntax tree is checked as well.
    let (_root, dir) = folder(&GOOD.replace(
        "address.zone == product.zone && !address.private_road",
        "false && vehicle.colour == \\\"red\\\"",
    ));
    let error = single(&dir, 4, 8, "rule[0].when");
    assert!(
        error
            .message
            .contains("unknown field `colour` of `vehicle`"),
        "{error}"
    );
}

#[test]
fn an_unknown_fact_is_an_error() {
    let (_root, dir) = folder(&GOOD.replace("applicant.age >= 18", "person.age >= 18"));
    let error = single(&dir, 12, 9, "rule[1].when");
    assert!(error.message.contains("unknown fact `person`"), "{error}");
}

#[test]
fn an_unknown_map_key_is_an_error() {
    let (_root, dir) = folder(&GOOD.replace(
        "applicant.age >= 18",
        "permits.active_of_kind['permits'] == 0",
    ));
    let error = single(&dir, 12, 33, "rule[1].when");
    assert!(
        error
            .message
            .contains("unknown field `permits` of `permits.active_of_kind`"),
        "{error}"
    );
}

#[test]
fn a_non_boolean_expression_is_an_error() {
    let (_root, dir) = folder(&GOOD.replace("applicant.age >= 18", "applicant.age + 1"));
    let error = single(&dir, 12, 8, "rule[1].when");
    assert!(error.message.contains("not true or false"), "{error}");
}

#[test]
fn a_missing_message_and_other_field_problems_are_all_reported() {
    let rules = GOOD
        .replace("message.en = \"The address is not in the zone.\"\n", "")
        .replace("product = \"P-RES\"", "product = [\"P-RESS\"]")
        .replace("outcome = \"review\"", "outcome = \"warn\"");
    let (_root, dir) = folder(&rules);
    let errors = errors_of(load(&dir));
    let places: Vec<(Option<usize>, &str)> =
        errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        places,
        [
            (Some(3), "rule[0].product[0]"),
            (Some(5), "rule[0].message"),
            (Some(10), "rule[1].outcome")
        ],
        "{}",
        ConfigErrors(errors.clone())
    );
    assert!(
        errors[0]
            .message
            .contains("unknown product \"P-RESS\" (did you mean \"P-RES\"?)")
    );
    assert!(errors[1].message.contains("missing text for locale(s) en"));
}

#[test]
fn ids_are_unique_and_product_or_kind_is_required() {
    let rules = format!(
        "{GOOD}\n[[rule]]\nid = \"zone\"\nwhen = \"true\"\nmessage.da = \"x\"\nmessage.en = \"x\"\n"
    );
    let (_root, dir) = folder(&rules);
    let errors = errors_of(load(&dir));
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["rule[2].product", "rule[2].id"],
        "{}",
        ConfigErrors(errors.clone())
    );
    assert!(errors[1].message.contains("used twice (first at line 2)"));
}
