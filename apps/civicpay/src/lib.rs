//! civicpay, the one binary: `serve`, `migrate`, `tenant …`, `user …`, `api-key …`, `schema`.
//! This library half builds the platform from a [`Config`] so that integration tests start the
//! very same server on a random port.

pub mod cli;
pub mod config;
pub mod http;
pub mod import;
pub mod jobs;
pub mod pay;
pub mod seed;
pub mod telemetry;

use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use civicpay_api::ApiState;
use civicpay_auth::{InMemorySessions, RedisSessions, SessionStore};
use civicpay_store::Store;
pub use config::Config;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;

/// Everything the server needs, connected and checked.
#[derive(Clone)]
pub struct Platform {
    pub config: Config,
    pub store: Store,
    pub sessions: Arc<dyn SessionStore>,
}

/// Connects the database (and Redis when configured), failing with a message that says what
/// could not be reached; applies migrations when `auto_migrate` is on.
pub async fn connect(config: &Config) -> anyhow::Result<Platform> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                redact(&config.database_url)
            )
        })?;
    store.ping().await.with_context(|| {
        format!(
            "the database at {} does not answer",
            redact(&config.database_url)
        )
    })?;
    if config.auto_migrate {
        store
            .migrate()
            .await
            .context("applying migrations failed")?;
    } else {
        let pending = store.pending_migrations().await?;
        if !pending.is_empty() {
            anyhow::bail!(
                "the database has {} pending migration(s) ({}); run `civicpay migrate` first",
                pending.len(),
                pending.join(", ")
            );
        }
    }
    let sessions: Arc<dyn SessionStore> = match &config.redis_url {
        Some(url) => Arc::new(
            RedisSessions::connect(url)
                .await
                .with_context(|| format!("cannot reach Redis at {}", redact(url)))?,
        ),
        None => Arc::new(InMemorySessions::default()),
    };
    Ok(Platform {
        config: config.clone(),
        store,
        sessions,
    })
}

/// Hides the password part of a connection URL in messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The sandbox PSP's signing secret when none is configured. The sandbox moves no money, so a
/// known default only lets someone fake sandbox payments — set `sandbox_secret` on any shared
/// installation.
const DEV_SANDBOX_SECRET: &str = "whsec_civicpay-sandbox-development-secret-0001";

/// The person look-up pseudonym key when none is configured. Anyone who knows it can test a
/// national id against the look-up log, so set `lookup_pseudonym_key` on any shared
/// installation.
const DEV_LOOKUP_PSEUDONYM_KEY: &str = "civicpay-development-lookup-pseudonym-key-0001";

/// The application state every door shares (HTTP, background jobs, CLI): the PSPs (the
/// sandbox, and Stripe when its secrets are set), every council's rules and registers, and the
/// public base URL. Returns the sandbox too, for its hosted pages.
pub fn api_state(
    platform: &Platform,
    base_url: String,
) -> anyhow::Result<(ApiState, civicpay_psp::SandboxGateway)> {
    let sandbox_secret = match &platform.config.sandbox_secret {
        Some(secret) => civicpay_notify::WebhookSecret::new(secret.expose_secret().to_owned())
            .map_err(|e| anyhow::anyhow!("sandbox_secret: {e}"))?,
        None => civicpay_notify::WebhookSecret::new(DEV_SANDBOX_SECRET.to_owned())
            .map_err(|e| anyhow::anyhow!("built-in sandbox secret: {e}"))?,
    };
    let sandbox = civicpay_psp::SandboxGateway::new(
        platform.store.connection().clone(),
        &base_url,
        sandbox_secret,
    );
    let mut gateways = civicpay_psp::Gateways::default().with(Arc::new(sandbox.clone()));
    // Stripe runs when its secrets are in the environment (STRIPE_SECRET_KEY and
    // STRIPE_WEBHOOK_SECRET, or their _FILE forms); never from tenants/.
    if let Some(stripe) = civicpay_psp::StripeConfig::from_env()
        .map_err(|e| anyhow::anyhow!("Stripe configuration: {e}"))?
    {
        let gateway = civicpay_psp::StripeGateway::new(stripe)
            .map_err(|e| anyhow::anyhow!("Stripe configuration: {e}"))?;
        gateways = gateways.with(Arc::new(gateway));
    }
    let pseudonym_key = match &platform.config.lookup_pseudonym_key {
        Some(key) => key.expose_secret().as_bytes().to_vec(),
        None => {
            if platform.config.environment == "production" {
                tracing::warn!(
                    "lookup_pseudonym_key is not set: person look-ups are pseudonymised with the built-in development key"
                );
            }
            DEV_LOOKUP_PSEUDONYM_KEY.as_bytes().to_vec()
        }
    };
    let eligibility = Arc::new(civicpay_api::eligibility::Eligibility::load(
        &platform.config.tenants_dir,
        &pseudonym_key,
    ));
    if platform.config.development_login && platform.config.environment == "production" {
        anyhow::bail!(
            "development_login is on in the production environment: anyone could log in as anyone; set CIVICPAY_DEVELOPMENT_LOGIN=false"
        );
    }
    let mailer = if platform.config.mail_url.trim().is_empty() {
        None
    } else {
        Some(Arc::new(
            civicpay_notify::Mailer::from_url(
                &platform.config.mail_url,
                &platform.config.mail_from,
            )
            .map_err(|e| anyhow::anyhow!("mail: {e}"))?,
        ))
    };
    let api = ApiState {
        store: platform.store.clone(),
        sessions: platform.sessions.clone(),
        secure_cookies: platform.config.secure_cookies,
        gateways,
        base_url,
        sandbox_fallback: platform.config.sandbox_fallback,
        eligibility,
        mailer,
        development_login: platform.config.development_login,
        oidc: civicpay_api::citizen_login::OidcLogins::load_shared(&platform.config.tenants_dir),
    };
    Ok((api, sandbox))
}

/// Builds the HTTP server on an already bound listener (port 0 in tests), and starts the
/// background jobs when `run_jobs` is on.
pub fn server(
    platform: &Platform,
    listener: TcpListener,
) -> anyhow::Result<actix_web::dev::Server> {
    let base_url = match &platform.config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let (api, sandbox) = api_state(platform, base_url)?;
    if platform.config.run_jobs {
        jobs::spawn(api.clone(), platform.config.rematch_every_hours);
    }
    let data = web::Data::new(http::AppData {
        api,
        sandbox: Some(sandbox),
        schema: civicpay_api::build_schema(),
        redis_configured: platform.config.redis_url.is_some(),
    });
    let shop = web::Data::from(
        civicpay_web::Shop::new(data.api.clone(), &platform.config.tenants_dir)
            .map_err(|e| anyhow::anyhow!("the shop's templates: {e:?}"))?,
    );
    let metrics = telemetry::metrics()?;
    let mut server = HttpServer::new(move || {
        App::new()
            // Innermost, so every response is compressed as the client accepts (brotli, gzip,
            // deflate; none without `Accept-Encoding`): pages, assets, GraphQL, JSON, PDFs and
            // the streamed CSV export, which the encoder flushes whenever the stream pauses.
            // Headers set by handlers (CSP, no-store, …) pass through; it adds
            // `Vary: accept-encoding` and leaves images other than SVG as they are.
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(telemetry::request_id_header))
            .wrap(metrics.clone())
            .wrap(tracing_actix_web::TracingLogger::<telemetry::CivicpaySpan>::new())
            .app_data(data.clone())
            .app_data(shop.clone())
            .configure(http::routes)
            .configure(civicpay_web::routes)
            .default_service(web::to(http::not_found))
    })
    // Compressed answers are streamed (chunked) and leave in several writes; with Nagle's
    // algorithm the last small one waited for the client's delayed ACK (~40 ms a request on a
    // keep-alive connection). actix writes whole chunks, so coalescing them gains nothing.
    .tcp_nodelay(true)
    .listen(listener)?
    .shutdown_timeout(10);
    if platform.config.workers > 0 {
        server = server.workers(platform.config.workers);
    }
    Ok(server.run())
}
