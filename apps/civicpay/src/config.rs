//! Configuration, layered: built-in defaults → `civicpay.toml` (or `--config FILE`) →
//! environment (`CIVICPAY_…`, plus the conventional `DATABASE_URL`, `REDIS_URL`,
//! `SENTRY_DSN`). Documented in `docs/configuration.md`; passed into the app builder, never
//! read from a global, so tests override any field.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://FILE?mode=rwc` (the embedded default) or `postgres://…`.
    pub database_url: String,
    /// When set, sessions live in Redis (`redis://127.0.0.1:6379`).
    pub redis_url: Option<String>,
    /// Address to listen on.
    pub bind: String,
    /// Folder with one sub-folder per council, loaded on first start.
    pub tenants_dir: PathBuf,
    /// Apply pending migrations when `serve` starts (the embedded default needs this).
    pub auto_migrate: bool,
    /// On a database without councils, apply every folder in `tenants_dir` and create demo
    /// staff, printing their credentials once.
    pub seed_demo: bool,
    /// Mark cookies `Secure`: set it when users reach the platform over HTTPS.
    pub secure_cookies: bool,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Sentry DSN; when set, internal errors and panics are reported there.
    #[serde(skip_serializing)]
    pub sentry_dsn: Option<SecretString>,
    /// Environment name reported to Sentry and in logs.
    pub environment: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// The platform's public base URL for pay links and PSP return URLs
    /// (e.g. `https://pay.example.org`); default: `http://` + the bound address.
    pub public_url: Option<String>,
    /// Secret the built-in sandbox PSP signs its webhooks with (`whsec_` + 32 or more
    /// characters). Every node must share it.
    #[serde(skip_serializing)]
    pub sandbox_secret: Option<SecretString>,
    /// Let a council configured for a PSP this platform does not run pay through the sandbox.
    /// Right for the embedded default and demos; set `false` in production.
    pub sandbox_fallback: bool,
    /// Run the background jobs (webhook dispatch, recovery of stuck payments) in this
    /// process. Turn off on nodes that should only serve requests.
    pub run_jobs: bool,
    /// Key for the HMAC pseudonym under which person look-ups are logged (the national id is
    /// never stored). Keep it secret and stable: changing it splits one person's look-ups.
    /// Default: a built-in development key — set it on any shared installation.
    #[serde(skip_serializing)]
    pub lookup_pseudonym_key: Option<SecretString>,
    /// The registry re-match (S0-8) runs by itself for every council with registers when its
    /// last run started more than this many hours ago; 0 turns the schedule off (runs are
    /// then started with `civicpay permits rematch` or `startRematch`). Interrupted runs are
    /// resumed either way.
    pub rematch_every_hours: u32,
    /// Where citizens' e-mails go: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465`,
    /// or `file:DIR` — each message written as an `.eml` file (the embedded default,
    /// `file:mail`). Empty: no e-mail is sent (each is retried on the webhook schedule, then
    /// dead-lettered after 3 days).
    #[serde(skip_serializing, default = "default_mail_url")]
    pub mail_url: String,
    /// The sender address of those e-mails (the council's name is shown as the sender, and
    /// replies go to its support address).
    pub mail_from: String,
    /// The development log-in for citizens (`developmentLogin`: become one of a council's
    /// synthetic demo people). On by default for the embedded default; the server refuses to
    /// start with it on when `environment` is `production`.
    pub development_login: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

fn default_mail_url() -> String {
    "file:mail".into()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://civicpay.db?mode=rwc".into(),
            redis_url: None,
            bind: "127.0.0.1:8080".into(),
            tenants_dir: "tenants".into(),
            auto_migrate: true,
            seed_demo: true,
            secure_cookies: false,
            log_format: LogFormat::Text,
            sentry_dsn: None,
            environment: "development".into(),
            workers: 0,
            public_url: None,
            sandbox_secret: None,
            sandbox_fallback: true,
            run_jobs: true,
            lookup_pseudonym_key: None,
            rematch_every_hours: 24,
            mail_url: default_mail_url(),
            mail_from: "civicpay <no-reply@civicpay.localhost>".into(),
            development_login: true,
        }
    }
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `civicpay.toml` in the working
    /// directory is read when present. Errors name the key and the layer it came from.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(Box::new(figment::Error::from(format!(
                        "configuration file {} does not exist",
                        path.display()
                    ))));
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("civicpay.toml")),
        }
        figment
            .merge(Env::prefixed("CIVICPAY_"))
            .merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL", "SENTRY_DSN"]))
            .extract()
            .map_err(Box::new)
    }
}
