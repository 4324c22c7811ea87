//! The command line, run as the built binary.

use civicpay_tests::{civicpay_bin, fresh_database, tenants_dir};
use std::io::Write;
use std::process::{Command, Stdio};

fn civicpay(database_url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(civicpay_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("REDIS_URL")
        .env_remove("SENTRY_DSN")
        .current_dir(civicpay_tests::repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (build it first)",
                civicpay_bin().display()
            )
        });
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn validate_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let council = dir.path().join("testby");
    std::fs::create_dir(&council).unwrap();
    for file in ["tenant.toml", "products.toml"] {
        std::fs::copy(tenants_dir().join("odense").join(file), council.join(file)).unwrap();
    }
    let tenant = std::fs::read_to_string(council.join("tenant.toml")).unwrap();
    std::fs::write(
        council.join("tenant.toml"),
        tenant
            .replace("slug = \"odense\"", "slug = \"testby\"")
            .replace("currency = \"DKK\"", "currency = \"DKX\""),
    )
    .unwrap();
    let products = std::fs::read_to_string(council.join("products.toml")).unwrap();
    std::fs::write(
        council.join("products.toml"),
        products.replacen("kind = \"", "kind = \"x", 1),
    )
    .unwrap();

    let (ok, _, stderr) = civicpay(
        "sqlite::memory:",
        &["tenant", "validate", council.to_str().unwrap()],
        None,
    );
    assert!(!ok, "a broken folder must fail");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(".toml:")).collect();
    assert!(lines.len() >= 2, "expected every problem at once: {stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("tenant.toml:") && l.contains("currency")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("products.toml:") && l.contains("kind")),
        "{stderr}"
    );

    let (ok, stdout, _) = civicpay(
        "sqlite::memory:",
        &["tenant", "validate", "tenants/kobenhavn"],
        None,
    );
    assert!(ok);
    assert!(stdout.contains("valid"), "{stdout}");
}

#[tokio::test]
async fn apply_is_idempotent_and_users_and_keys_come_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let (ok, stdout, stderr) = civicpay(&url, &["tenant", "apply", "tenants/krakow"], None);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("+ council krakow"), "{stdout}");
    assert!(stdout.contains("+ product"), "{stdout}");
    let (ok, stdout, _) = civicpay(&url, &["tenant", "apply", "tenants/krakow"], None);
    assert!(ok);
    assert!(
        stdout.contains("up to date"),
        "second apply changed something: {stdout}"
    );
    let (_, stdout, _) = civicpay(&url, &["tenant", "list"], None);
    assert!(
        stdout.contains("krakow") && stdout.contains("PLN"),
        "{stdout}"
    );

    let (ok, stdout, stderr) = civicpay(
        &url,
        &[
            "user",
            "create",
            "--tenant",
            "krakow",
            "--role",
            "finance",
            "--email",
            "ksiegowa@krakow.test",
        ],
        Some("a long enough password\n"),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("created finance ksiegowa@krakow.test"),
        "{stdout}"
    );
    let (ok, _, stderr) = civicpay(
        &url,
        &[
            "user",
            "create",
            "--tenant",
            "krakow",
            "--role",
            "cashier",
            "--email",
            "k@krakow.test",
        ],
        Some("short\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("at least 12"), "{stderr}");
    let (ok, _, stderr) = civicpay(
        &url,
        &[
            "user", "create", "--tenant", "nowhere", "--role", "cashier", "--email", "k@x.test",
        ],
        Some("a long enough password\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("unknown council \"nowhere\""), "{stderr}");

    let (ok, key, stderr) = civicpay(
        &url,
        &[
            "api-key", "create", "--tenant", "krakow", "--scope", "payments",
        ],
        None,
    );
    assert!(ok, "{stderr}");
    let key = key.trim();
    assert!(key.starts_with("cpk_") && key.len() == 42, "{key}");
    assert!(civicpay_auth_parse(key));
}

fn civicpay_auth_parse(key: &str) -> bool {
    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[tokio::test]
async fn unreachable_services_fail_at_start_with_a_clear_message() {
    let (ok, _, stderr) = civicpay(
        "postgres://nobody@127.0.0.1:1/none",
        &["serve", "--bind", "127.0.0.1:0"],
        None,
    );
    assert!(!ok);
    assert!(stderr.contains("cannot open the database"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let out = Command::new(civicpay_bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("CIVICPAY_SEED_DEMO", "false")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
}
