//! The command line. Every command calls the same services as GraphQL does.

use crate::config::Config;
use anyhow::Context as _;
use civicpay_domain::audit::Actor;
use civicpay_domain::{ApiScope, Role};
use civicpay_store::Store;
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "civicpay",
    version,
    about = "civicpay: one platform on which councils take payment for anything they sell or bill",
    long_about = "civicpay serves many councils (tenants) from one binary. Without configuration it \
                  runs on an embedded SQLite file with the demo councils of tenants/ loaded. \
                  Configuration: defaults, then civicpay.toml (or --config), then the environment \
                  (CIVICPAY_*, DATABASE_URL, REDIS_URL, SENTRY_DSN); see docs/configuration.md."
)]
pub struct Cli {
    /// Configuration file (default: ./civicpay.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the platform: GraphQL at /graphql and /t/{slug}/graphql, health at /healthz.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Apply database migrations (or roll them back).
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Onboard and inspect councils.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API keys for council systems.
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    /// Manage the secret outgoing webhooks to council systems are signed with.
    #[command(name = "webhook-secret")]
    WebhookSecret {
        #[command(subcommand)]
        action: WebhookSecretAction,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Permit work from the command line.
    Permits {
        #[command(subcommand)]
        action: PermitsAction,
    },
    /// Import data from council systems' files.
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportAction {
    /// Import bills from a CSV or JSON file (format: docs/api.md, "Importing bills"). Every
    /// row is checked first and every problem reported with file:line, field and what was
    /// expected; then all bills are written in one transaction, or none. Bills whose
    /// external_reference exists already are skipped, so a file can be imported again.
    Bills {
        /// The council's slug.
        #[arg(long)]
        tenant: String,
        /// A .csv file with a header row, or a .json array of bills.
        file: PathBuf,
        /// Check the file and show what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PermitsAction {
    /// Re-match every active permit of a council against the registers (S0-8): names and
    /// addresses updated, permits no longer entitled deactivated with the failing rule as the
    /// reason and a letter (PDF) to the holder. Prints progress; an interrupted run is
    /// resumed with --resume and never does anything twice.
    Rematch {
        /// The council's slug.
        #[arg(long)]
        tenant: String,
        /// Only report what it would do; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Resume this interrupted run instead of starting a new one.
        #[arg(long, value_name = "RUN_ID")]
        resume: Option<uuid::Uuid>,
    },
}

#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back every migration: empties the database.
    Down,
    /// Down, then up: proves every migration can be undone.
    Redo,
    /// List migrations not yet applied.
    Status,
}

#[derive(Subcommand, Debug)]
pub enum TenantAction {
    /// Check a council folder and report every problem with file:line, field and what was
    /// expected. Exits 1 when there is any.
    Validate {
        /// The council's folder, e.g. tenants/kobenhavn.
        dir: PathBuf,
    },
    /// Show the difference between a council folder and the database, then apply it.
    /// Idempotent: a second apply changes nothing.
    Apply {
        dir: PathBuf,
        /// Only show the difference.
        #[arg(long)]
        dry_run: bool,
    },
    /// List the councils in the database.
    List,
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Create a staff user. The password is read from the terminal (asked twice) or, when
    /// standard input is not a terminal, from its first line — never from the command line.
    Create {
        /// The council's slug; omit only for --role vendor_admin.
        #[arg(long)]
        tenant: Option<String>,
        /// vendor_admin, tenant_admin, caseworker, cashier, finance or enforcement.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum WebhookSecretAction {
    /// Make a new signing secret and print it once. The previous secrets keep signing next to
    /// it for --overlap-hours, so receivers can switch without missing a webhook.
    Rotate {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 24)]
        overlap_hours: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyAction {
    /// Create an API key and print it once.
    Create {
        #[arg(long)]
        tenant: String,
        /// catalogue_read, catalogue_write or payments; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// What the key is for, e.g. "library system".
        #[arg(long, default_value = "council system")]
        name: String,
    },
}

fn operator() -> Actor {
    Actor::Cli {
        operator: std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into()),
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let platform = crate::connect(config).await?;
    Ok(platform.store)
}

/// `tenant validate`: prints every problem; returns whether the folder is valid.
pub fn validate(dir: &std::path::Path) -> bool {
    match civicpay_tenant_config::load(dir) {
        Ok(cfg) => {
            println!(
                "{}: valid — council {} ({}, {}), {} product(s), {} zone(s), {} VAT code(s)",
                dir.display(),
                cfg.slug,
                cfg.country,
                cfg.currency,
                cfg.products.len(),
                cfg.zones.len(),
                cfg.vat_codes.len()
            );
            true
        }
        Err(errors) => {
            for e in errors.iter() {
                eprintln!("{e}");
            }
            eprintln!("{}: {} problem(s)", dir.display(), errors.len());
            false
        }
    }
}

pub async fn tenant(config: &Config, action: TenantAction) -> anyhow::Result<bool> {
    match action {
        TenantAction::Validate { dir } => Ok(validate(&dir)),
        TenantAction::Apply { dir, dry_run } => {
            let cfg = match civicpay_tenant_config::load(&dir) {
                Ok(cfg) => cfg,
                Err(errors) => {
                    for e in errors.iter() {
                        eprintln!("{e}");
                    }
                    eprintln!(
                        "{}: {} problem(s); nothing applied",
                        dir.display(),
                        errors.len()
                    );
                    return Ok(false);
                }
            };
            let store = open_store(config).await?;
            let report = store
                .apply_tenant_config(&cfg, &operator(), dry_run)
                .await?;
            if report.changes.is_empty() {
                println!("council {}: up to date, nothing to change", cfg.slug);
                return Ok(true);
            }
            for change in &report.changes {
                println!("{change}");
            }
            if report.applied {
                println!("council {}: applied", cfg.slug);
            } else if dry_run {
                println!("council {}: dry run, nothing written", cfg.slug);
            } else {
                println!("council {}: up to date, nothing to change", cfg.slug);
            }
            Ok(true)
        }
        TenantAction::List => {
            let store = open_store(config).await?;
            let tenants = store.tenants().await?;
            if tenants.is_empty() {
                println!("no councils yet: civicpay tenant apply tenants/<slug>");
            }
            for t in tenants {
                println!(
                    "{:<16} {:<28} {} {} {:<20} hosts: {}  config {}",
                    t.slug.as_str(),
                    t.name.get(&t.default_locale, &t.default_locale),
                    t.country,
                    t.currency,
                    t.timezone.name(),
                    if t.hosts.is_empty() {
                        "-".to_owned()
                    } else {
                        t.hosts.join(", ")
                    },
                    t.config_digest,
                );
            }
            Ok(true)
        }
    }
}

fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(!line.is_empty(), "no password on standard input");
        Ok(SecretString::from(line))
    }
}

pub async fn user(config: &Config, action: UserAction) -> anyhow::Result<bool> {
    let UserAction::Create {
        tenant,
        role,
        email,
    } = action;
    let role = Role::parse(&role)?;
    let store = open_store(config).await?;
    let tenant = match (&tenant, role.is_platform_wide()) {
        (Some(_), true) => anyhow::bail!("vendor_admin belongs to no council: leave out --tenant"),
        (None, false) => anyhow::bail!("--tenant is required for role {role}"),
        (None, true) => None,
        (Some(slug), false) => {
            Some(store.tenant_by_slug(slug).await?.with_context(|| {
                format!("unknown council {slug:?} (see `civicpay tenant list`)")
            })?)
        }
    };
    let password = read_password()?;
    let user = civicpay_api::service::create_staff_user(
        &store,
        tenant.clone(),
        &email,
        role,
        &password,
        &operator(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    println!(
        "created {} {} for {}",
        user.role,
        user.email,
        tenant.map_or("the platform".to_owned(), |t| format!("council {}", t.slug))
    );
    Ok(true)
}

pub async fn api_key(config: &Config, action: ApiKeyAction) -> anyhow::Result<bool> {
    let ApiKeyAction::Create {
        tenant,
        scopes,
        name,
    } = action;
    let scopes = scopes
        .iter()
        .map(|s| ApiScope::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let store = open_store(config).await?;
    let tenant = store
        .tenant_by_slug(&tenant)
        .await?
        .with_context(|| format!("unknown council {tenant:?} (see `civicpay tenant list`)"))?;
    let (key, record) = civicpay_api::service::create_api_key(
        &store.scope(tenant.clone()),
        &name,
        scopes,
        &operator(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    eprintln!(
        "API key {:?} for council {} (scopes: {}). It is shown only now; store it safely:",
        record.name,
        tenant.slug,
        record
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{key}");
    Ok(true)
}

pub async fn permits(config: &Config, action: PermitsAction) -> anyhow::Result<bool> {
    let PermitsAction::Rematch {
        tenant,
        dry_run,
        resume,
    } = action;
    let platform = crate::connect(config).await?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    let (state, _) = crate::api_state(&platform, base_url)?;
    let tenant = platform
        .store
        .tenant_by_slug(&tenant)
        .await?
        .with_context(|| format!("unknown council {tenant:?} (see `civicpay tenant list`)"))?;
    let scope = platform.store.scope(tenant);
    let run = match resume {
        Some(id) => scope.rematch_run(id).await?,
        None => civicpay_api::rematch::start_rematch(&state, &scope, dry_run, &operator())
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?,
    };
    println!(
        "re-match run {} ({}): {} active permit(s)",
        run.id,
        if run.dry_run { "dry run" } else { "for real" },
        run.total
    );
    let started = std::time::Instant::now();
    let done = civicpay_api::rematch::run_rematch(&state, &scope, run.id, |run| {
        eprintln!("  {}", civicpay_api::rematch::progress_line(run));
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    println!(
        "{} in {:.1?}: {}",
        done.status,
        started.elapsed(),
        civicpay_api::rematch::progress_line(&done)
    );
    if done.deactivated > 0 || done.updated > 0 || done.unavailable > 0 {
        println!(
            "findings: {{ rematchFindings(runId: \"{}\") {{ permitId action detail }} }}",
            done.id
        );
    }
    Ok(done.status == civicpay_store::RUN_COMPLETED)
}

pub async fn import(config: &Config, action: ImportAction) -> anyhow::Result<bool> {
    let ImportAction::Bills {
        tenant,
        file,
        dry_run,
    } = action;
    let store = open_store(config).await?;
    let tenant = store
        .tenant_by_slug(&tenant)
        .await?
        .with_context(|| format!("unknown council {tenant:?} (see `civicpay tenant list`)"))?;
    crate::import::bills(&store.scope(tenant), &file, dry_run, &operator()).await
}

pub async fn migrate(config: &Config, action: Option<MigrateAction>) -> anyhow::Result<bool> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                crate::redact(&config.database_url)
            )
        })?;
    match action.unwrap_or(MigrateAction::Up) {
        MigrateAction::Up => {
            let pending = store.pending_migrations().await?;
            store.migrate().await?;
            println!("applied {} migration(s)", pending.len());
        }
        MigrateAction::Down => {
            store.migrate_down_all().await?;
            println!("rolled back every migration");
        }
        MigrateAction::Redo => {
            store.migrate().await?;
            store.migrate_down_all().await?;
            store.migrate().await?;
            println!("migrations: up → down → up succeeded");
        }
        MigrateAction::Status => {
            let pending = store.pending_migrations().await?;
            if pending.is_empty() {
                println!("up to date");
            }
            for name in pending {
                println!("pending: {name}");
            }
        }
    }
    Ok(true)
}

pub async fn webhook_secret(config: &Config, action: WebhookSecretAction) -> anyhow::Result<bool> {
    let WebhookSecretAction::Rotate {
        tenant,
        overlap_hours,
    } = action;
    anyhow::ensure!(
        overlap_hours <= 720,
        "--overlap-hours: at most 720 (30 days)"
    );
    let store = open_store(config).await?;
    let tenant = store
        .tenant_by_slug(&tenant)
        .await?
        .with_context(|| format!("unknown council {tenant:?} (see `civicpay tenant list`)"))?;
    let secret = store
        .scope(tenant.clone())
        .rotate_webhook_secret(
            chrono::Duration::hours(i64::from(overlap_hours)),
            &operator(),
        )
        .await?;
    eprintln!(
        "new webhook signing secret for council {} (older secrets keep signing for {overlap_hours} h). It is shown only now:",
        tenant.slug
    );
    println!("{secret}");
    Ok(true)
}
