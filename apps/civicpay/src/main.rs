use civicpay::cli::{self, Cli, Command};
use civicpay::{Config, seed, telemetry};
use clap::Parser;
use std::net::TcpListener;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("civicpay: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("civicpay: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.bind = bind;
            }
            serve(config)
        }
        Command::Schema => {
            print!("{}", civicpay_api::sdl());
            Ok(true)
        }
        Command::Tenant { action } => runtime.block_on(cli::tenant(&config, action)),
        Command::User { action } => runtime.block_on(cli::user(&config, action)),
        Command::ApiKey { action } => runtime.block_on(cli::api_key(&config, action)),
        Command::WebhookSecret { action } => runtime.block_on(cli::webhook_secret(&config, action)),
        Command::Migrate { action } => runtime.block_on(cli::migrate(&config, action)),
        Command::Import { action } => runtime.block_on(cli::import(&config, action)),
        Command::Permits { action } => runtime.block_on(cli::permits(&config, action)),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("civicpay: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<bool> {
    let _telemetry = telemetry::init(&config)?;
    actix_web::rt::System::new().block_on(async move {
        let platform = civicpay::connect(&config).await?;
        if config.seed_demo {
            let created = seed::seed_demo(&platform.store, &config.tenants_dir).await?;
            if !created.is_empty() {
                println!("First start: demo councils loaded. Demo staff (shown only now):");
                for c in &created {
                    println!(
                        "  {:<12} {:<13} {}  password: {}",
                        c.tenant.as_deref().unwrap_or("(platform)"),
                        c.role.as_str(),
                        c.email,
                        c.password
                    );
                }
            }
        }
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let address = listener.local_addr()?;
        let server = civicpay::server(&platform, listener)?;
        println!("civicpay listening on http://{address}/");
        for tenant in platform.store.tenants().await? {
            println!("  {:<12} GraphQL/GraphiQL: http://{address}/t/{}/graphql", tenant.slug.as_str(), tenant.slug);
        }
        println!("  platform     GraphQL/GraphiQL: http://{address}/graphql");
        println!("  health: http://{address}/healthz  ready: http://{address}/readyz  metrics: http://{address}/metrics");
        server.await?;
        Ok(true)
    })
}
