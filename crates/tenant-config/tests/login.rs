//! login.toml: the council's citizen eID log-in (OpenID Connect), checked when the folder
//! loads, every problem with file, line and column; the client secret is only ever named.

use civicpay_domain::Locale;
use civicpay_tenant_config::{ConfigErrors, load};
use std::path::{Path, PathBuf};

fn demo(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tenants")
        .join(slug)
}

/// A copy of the demo council kobenhavn (locales da, en) with `login.toml` added.
fn with_login(text: &str) -> (tempfile::TempDir, PathBuf) {
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
    std::fs::write(dir.join("login.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    (root, dir)
}

fn problems(text: &str) -> Vec<(usize, String, String)> {
    let (_root, dir) = with_login(text);
    match load(&dir) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(ConfigErrors(errors)) => errors
            .into_iter()
            .map(|e| {
                assert_eq!(e.file, dir.join("login.toml"), "{e}");
                (e.line.unwrap_or(0), e.field.clone(), e.message.clone())
            })
            .collect(),
    }
}

fn text_of(found: &[(usize, String, String)]) -> String {
    found
        .iter()
        .map(|(line, field, message)| format!("{line}: {field}: {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

const GOOD: &str = r#"issuer = "https://broker.example/op/"
client_id = "civicpay-kobenhavn"
client_secret_env = "KOBENHAVN_OIDC_CLIENT_SECRET"
scopes = ["mitid", "ssn"]
national_id_claim = "dk:gov:saml:attribute:CprNumberIdentifier"
label.da = "Log ind med MitID"
label.en = "Log in with MitID"
"#;

#[test]
fn a_council_without_login_toml_has_no_eid_log_in() {
    let config = load(&demo("kobenhavn")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.login, None);
}

#[test]
fn the_log_in_is_read_with_the_name_of_its_secret() {
    let (_root, dir) = with_login(GOOD);
    let config = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let login = config.login.unwrap_or_else(|| panic!("no login"));
    assert_eq!(login.issuer, "https://broker.example/op");
    assert_eq!(login.client_id, "civicpay-kobenhavn");
    assert_eq!(
        login.client_secret_env.as_deref(),
        Some("KOBENHAVN_OIDC_CLIENT_SECRET")
    );
    assert_eq!(login.redirect_url, None);
    assert_eq!(login.scopes, ["mitid", "ssn"]);
    assert_eq!(
        login.national_id_claim,
        "dk:gov:saml:attribute:CprNumberIdentifier"
    );
    assert_eq!(login.name_claim, None);
    assert_eq!(login.company_id_claim, None);
    let da = Locale::parse("da").unwrap_or_else(|e| panic!("{e}"));
    let en = Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login.label_for(&en, &da), "Log in with MitID");
    assert_eq!(login.label_for(&da, &da), "Log ind med MitID");

    // A public client on a local fake provider, with its own callback path and name claim.
    let (_root, dir) = with_login(
        r#"issuer = "http://127.0.0.1:4000/op"
client_id = "c"
redirect_url = "/t/kobenhavn/eid/back"
national_id_claim = "cpr"
name_claim = "full_name"
company_id_claim = "dk:gov:saml:attribute:CvrNumberIdentifier"
label = { da = "MitID", en = "MitID" }
"#,
    );
    let login = load(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .login
        .unwrap_or_else(|| panic!("no login"));
    assert_eq!(login.client_secret_env, None);
    assert_eq!(login.redirect_url.as_deref(), Some("/t/kobenhavn/eid/back"));
    assert_eq!(login.name_claim.as_deref(), Some("full_name"));
    assert_eq!(
        login.company_id_claim.as_deref(),
        Some("dk:gov:saml:attribute:CvrNumberIdentifier")
    );
    assert!(login.scopes.is_empty());
}

#[test]
fn a_secret_written_in_the_file_is_refused() {
    let found = problems(
        r#"issuer = "https://broker.example/op"
client_id = "civicpay-kobenhavn"
client_secret = "s3cret-of-the-council"
national_id_claim = "cpr"
label.da = "Log ind med MitID"
label.en = "Log in with MitID"
"#,
    );
    let text = text_of(&found);
    assert_eq!(found.len(), 1, "{text}");
    assert_eq!(found[0].0, 3, "{text}");
    assert_eq!(found[0].1, "client_secret");
    assert!(found[0].2.contains("never goes in this file"), "{text}");
    assert!(!text.contains("s3cret-of-the-council"), "{text}");

    // The secret pasted where its variable's name belongs.
    let found = problems(
        r#"issuer = "https://broker.example/op"
client_id = "civicpay-kobenhavn"
client_secret_env = "s3cret-of-the-council"
national_id_claim = "cpr"
label.da = "Log ind med MitID"
label.en = "Log in with MitID"
"#,
    );
    let text = text_of(&found);
    assert_eq!(found.len(), 1, "{text}");
    assert_eq!((found[0].0, found[0].1.as_str()), (3, "client_secret_env"));
    assert!(
        text.contains("is not an environment variable name"),
        "{text}"
    );
    assert!(
        !text.contains("s3cret-of-the-council"),
        "not echoed: {text}"
    );
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let found = problems(
        r#"issuer = "http://broker.example/op"
client_id = " "
redirect_url = "//evil.example/cb"
scopes = ["mitid", "mitid", "two words"]
national_id_claim = "the cpr"
name_claim = 7
label.da = "Log ind med MitID"
labl.en = "Log in"
"#,
    );
    let text = text_of(&found);
    assert!(
        text.contains("1: issuer:") && text.contains("is not an https:// URL"),
        "{text}"
    );
    assert!(text.contains("2: client_id:"), "{text}");
    assert!(text.contains("3: redirect_url:"), "{text}");
    assert!(text.contains("scope \"mitid\" is listed twice"), "{text}");
    assert!(text.contains("\"two words\" is not a scope"), "{text}");
    assert!(text.contains("5: national_id_claim:"), "{text}");
    assert!(text.contains("6: name_claim:"), "{text}");
    assert!(
        text.contains("missing text for locale(s) en"),
        "every locale needs a label: {text}"
    );
    assert!(
        text.contains("unknown field `labl`") && text.contains("did you mean `label`"),
        "{text}"
    );

    // Required fields.
    let found = problems("label.da = \"x\"\nlabel.en = \"y\"\n");
    let text = text_of(&found);
    for field in ["issuer", "client_id", "national_id_claim"] {
        assert!(text.contains(&format!("missing field `{field}`")), "{text}");
    }
}
