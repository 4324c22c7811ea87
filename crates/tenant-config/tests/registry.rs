//! registry.toml: which adapter answers for each register, checked when the folder loads, every
//! problem with file, line and column; secrets are only ever named, never written.

use civicpay_tenant_config::{ConfigErrors, RegistryConfig, load};
use std::path::{Path, PathBuf};

fn demo(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tenants")
        .join(slug)
}

/// A copy of the demo council kobenhavn with `registry.toml` replaced.
fn with_registry(text: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("kobenhavn");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(demo("kobenhavn")).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.join(entry.file_name()))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    std::fs::write(dir.join("registry.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    (root, dir)
}

fn problems(text: &str) -> Vec<(usize, String, String)> {
    let (_root, dir) = with_registry(text);
    match load(&dir) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(ConfigErrors(errors)) => errors
            .into_iter()
            .map(|e| {
                assert_eq!(e.file, dir.join("registry.toml"), "{e}");
                (e.line.unwrap_or(0), e.field.clone(), e.message.clone())
            })
            .collect(),
    }
}

#[test]
fn the_demo_councils_load_their_registers() {
    let kobenhavn = load(&demo("kobenhavn")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kobenhavn.registry.municipality_codes, ["0101"]);
    assert!(kobenhavn.registry.person.is_file());
    // Without registry.toml every register is the file-backed one.
    let rotterdam = load(&demo("rotterdam")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rotterdam.registry, RegistryConfig::default());
}

#[test]
fn public_apis_are_configured_with_the_names_of_their_secrets() {
    let (_root, dir) = with_registry(
        r#"municipality_codes = ["0599"]
cache_ttl_seconds = 30
[person]
adapter = "haal_centraal_brp"
base_url = "https://brp.example.nl/haalcentraal/api/brp/"
api_key_env = "ROTTERDAM_BRP_KEY"
timeout_ms = 1500
[vehicle]
adapter = "rdw_open_data"
[business]
adapter = "cvr_distribution"
user_env = "CVR_USER"
password_env = "CVR_PASSWORD"
[address]
adapter = "pdok_locatieserver"
"#,
    );
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let registry = config.registry;
    assert_eq!(registry.cache_ttl_seconds, Some(30));
    assert_eq!(registry.person.adapter, "haal_centraal_brp");
    assert_eq!(
        registry.person.base_url.as_deref(),
        Some("https://brp.example.nl/haalcentraal/api/brp"),
        "the trailing slash is dropped"
    );
    assert_eq!(
        registry.person.api_key_env.as_deref(),
        Some("ROTTERDAM_BRP_KEY")
    );
    assert_eq!(registry.person.timeout_ms, Some(1500));
    assert_eq!(registry.vehicle.base_url, None);
    assert_eq!(registry.business.user_env.as_deref(), Some("CVR_USER"));
    assert!(!registry.uses_files());
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let found = problems(
        r#"municipality_codes = ["01 01"]
[person]
adapter = "brp"
[vehicle]
adapter = "rdw_open_data"
base_url = "opendata.rdw.nl"
timeout_ms = 5
api_key_env = "sk_live_123"
[business]
adapter = "cvr_distribution"
[adress]
adapter = "file"
"#,
    );
    let lines: Vec<usize> = found.iter().map(|(l, _, _)| *l).collect();
    let text = found
        .iter()
        .map(|(line, field, message)| format!("{line}: {field}: {message}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("\"01 01\" is not a municipality code"),
        "{text}"
    );
    assert!(
        text.contains("unknown adapter \"brp\"") && text.contains("haal_centraal_brp"),
        "{text}"
    );
    assert!(text.contains("\"opendata.rdw.nl\" is not a URL"), "{text}");
    assert!(text.contains("from 100 to 60000, found 5"), "{text}");
    assert!(
        text.contains("\"sk_live_123\" is not an environment variable name"),
        "a secret written in the file is refused: {text}"
    );
    assert!(text.contains("needs a user and a password"), "{text}");
    assert!(
        text.contains("unknown field `adress`") && text.contains("did you mean `address`"),
        "{text}"
    );
    for line in [1, 3, 6, 7, 8, 11] {
        assert!(lines.contains(&line), "no problem on line {line}: {text}");
    }
    let found = problems("cache_ttl_seconds = -1\n");
    assert!(
        format!("{found:?}").contains("from 0 to 86400, found -1"),
        "{found:?}"
    );
    // A BRP adapter without a key is refused too.
    let found = problems("[person]\nadapter = \"haal_centraal_brp\"\n");
    assert!(format!("{found:?}").contains("needs a key"), "{found:?}");
}
