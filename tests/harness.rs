//! The test harness: a real server on a random port with a fresh database per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use civicpay::{Config, Platform};
use civicpay_domain::Role;
use civicpay_domain::audit::Actor;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "a long enough test password";

/// Which database the suite runs on: `CIVICPAYTEST_DB=postgres` or SQLite (default).
pub fn on_postgres() -> bool {
    std::env::var("CIVICPAYTEST_DB").is_ok_and(|v| v == "postgres")
}

pub fn pg_admin_url() -> String {
    std::env::var("CIVICPAYTEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn tenants_dir() -> PathBuf {
    repo_root().join("tenants")
}

/// Copies a folder tree (a tenants folder a test changes, e.g. its registers).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database URL: a temporary SQLite file, or a new PostgreSQL database named
/// `civicpay_t_<pid>_<n>` (scripts/test drops them after the run).
pub async fn fresh_database(dir: &tempfile::TempDir) -> String {
    if on_postgres() {
        let name = format!(
            "civicpay_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = sea_orm::Database::connect(pg_admin_url()).await.unwrap();
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let base = pg_admin_url();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        format!("{prefix}/{name}")
    } else {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("civicpay.db").display()
        )
    }
}

pub struct TestApp {
    pub address: String,
    pub platform: Platform,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// Starts the platform with every demo council applied and no staff.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // Errors the server logs show up in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,sqlx=error,sea_orm=error".into()),
        )
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(&dir).await;
    let mut config = Config {
        database_url: database_url.clone(),
        tenants_dir: tenants_dir(),
        seed_demo: false,
        workers: 2,
        // Citizens' e-mails land as .eml files in the test's own folder.
        mail_url: format!("file:{}", dir.path().join("mail").display()),
        ..Config::default()
    };
    adjust(&mut config);
    let app = start(config, true).await;
    TestApp { _dir: dir, ..app }
}

/// Starts another server on the database of `app`, as a restart (or a second node) would.
pub async fn restart_on(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        database_url: app.database_url.clone(),
        tenants_dir: tenants_dir(),
        seed_demo: false,
        workers: 2,
        mail_url: app.platform.config.mail_url.clone(),
        ..Config::default()
    };
    adjust(&mut config);
    start(config, false).await
}

async fn start(config: Config, apply_councils: bool) -> TestApp {
    let database_url = config.database_url.clone();
    let platform = civicpay::connect(&config).await.unwrap();
    for (dir, loaded) in civicpay_tenant_config::load_all(&config.tenants_dir)
        .into_iter()
        .filter(|_| apply_councils)
    {
        let cfg = loaded.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        platform
            .store
            .apply_tenant_config(&cfg, &Actor::System, false)
            .await
            .unwrap();
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server = civicpay::server(&platform, listener).unwrap();
    tokio::spawn(server);
    TestApp {
        address,
        platform,
        database_url,
        _dir: tempfile::tempdir().unwrap(),
    }
}

/// A council system's API key with the `payments` scope, made as the CLI makes one.
pub async fn payments_key(app: &TestApp, slug: &str) -> String {
    let tenant = app
        .platform
        .store
        .tenant_by_slug(slug)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no council {slug}"));
    let (key, _) = civicpay_api::service::create_api_key(
        &app.platform.store.scope(tenant),
        "case system",
        vec![civicpay_domain::ApiScope::Payments],
        &Actor::System,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    key
}

impl TestApp {
    /// The e-mails sent so far (the .eml files of the file mailer), waiting up to 10 s for at
    /// least `at_least` of them.
    pub async fn emails(&self, at_least: usize) -> Vec<String> {
        let dir = self
            .platform
            .config
            .mail_url
            .strip_prefix("file:")
            .map(PathBuf::from)
            .expect("tests use the file mailer");
        let mut found = Vec::new();
        for _ in 0..100 {
            found = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if found.len() >= at_least {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        found
    }

    /// Creates a staff user (`tenant = None` for vendor staff) with [`PASSWORD`].
    pub async fn create_user(&self, tenant: Option<&str>, email: &str, role: Role) {
        let tenant = match tenant {
            Some(slug) => Some(
                self.platform
                    .store
                    .tenant_by_slug(slug)
                    .await
                    .unwrap()
                    .unwrap(),
            ),
            None => None,
        };
        civicpay_api::service::create_staff_user(
            &self.platform.store,
            tenant,
            email,
            role,
            &SecretString::from(PASSWORD.to_owned()),
            &Actor::System,
        )
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    }

    pub fn endpoint(&self, tenant: Option<&str>) -> String {
        match tenant {
            Some(slug) => format!("{}/t/{slug}/graphql", self.address),
            None => format!("{}/graphql", self.address),
        }
    }

    /// A client with its own cookie jar: one browser.
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// Posts a GraphQL request and returns the JSON body (whatever the status).
    pub async fn gql_with(
        &self,
        client: &reqwest::Client,
        tenant: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        client
            .post(self.endpoint(tenant))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn gql(&self, tenant: Option<&str>, query: &str) -> Value {
        self.gql_with(&Self::client(), tenant, query, json!({}))
            .await
    }

    /// A client logged in as `email` on the council's endpoint (or the platform's).
    pub async fn logged_in(&self, tenant: Option<&str>, email: &str) -> reqwest::Client {
        let client = Self::client();
        let body = self
            .gql_with(
                &client,
                tenant,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { email role } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        assert_eq!(
            body["data"]["login"]["email"], email,
            "login failed: {body}"
        );
        client
    }
}

/// The `extensions.code` of the first error, or "" when there is none.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Path of the built `civicpay` binary, for CLI tests.
pub fn civicpay_bin() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    target.join("debug").join("civicpay")
}
