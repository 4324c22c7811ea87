//! How long do 200 concurrent look-ups take against a register that needs 5 s to answer,
//! with a 300 ms timeout? A local fake BRP (wiremock, loopback only) delays every answer by
//! 5 s; the look-ups go through the real `HaalCentraalBrp` adapter, alone and behind
//! `Resilient`, on a current-thread and on a 2-worker runtime.
//!
//! `cargo run -p civicpay-registries --example slow_registry`

use civicpay_registries::{
    HaalCentraalBrp, HttpConfig, NationalId, PersonRegistry, RegistryError, ResilienceConfig,
    Resilient,
};
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOOKUPS: usize = 200;
const SERVER_DELAY: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_millis(300);

struct Outcome {
    total: Duration,
    slowest: Duration,
    unavailable: usize,
    other: usize,
}

async fn run(registry: Arc<dyn PersonRegistry>) -> Result<Outcome, Box<dyn Error>> {
    let id = NationalId::bsn("999993653")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..LOOKUPS {
        let registry = Arc::clone(&registry);
        let id = id.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let result = registry.person(&id).await;
            (t.elapsed(), result)
        });
    }
    let mut outcome = Outcome {
        total: Duration::ZERO,
        slowest: Duration::ZERO,
        unavailable: 0,
        other: 0,
    };
    while let Some(joined) = tasks.join_next().await {
        let (took, result) = joined?;
        outcome.slowest = outcome.slowest.max(took);
        match result {
            Err(RegistryError::Unavailable(_)) => outcome.unavailable += 1,
            _ => outcome.other += 1,
        }
    }
    outcome.total = started.elapsed();
    Ok(outcome)
}

async fn scenarios(runtime: &str) -> Result<(), Box<dyn Error>> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"personen": []}))
                .set_delay(SERVER_DELAY),
        )
        .mount(&server)
        .await;
    let base = format!("{}/haalcentraal/api/brp", server.uri());

    let plain: Arc<dyn PersonRegistry> = Arc::new(HaalCentraalBrp::new(
        HttpConfig::new(&base).with_timeout(TIMEOUT),
    )?);
    let resilient_no_retry: Arc<dyn PersonRegistry> = Arc::new(Resilient::new(
        HaalCentraalBrp::new(HttpConfig::new(&base).with_timeout(Duration::from_secs(10)))?,
        "person register",
        ResilienceConfig {
            timeout: TIMEOUT,
            retries: 0,
            failure_threshold: 1_000,
            ..ResilienceConfig::default()
        },
    ));
    let resilient_default: Arc<dyn PersonRegistry> = Arc::new(Resilient::new(
        HaalCentraalBrp::new(HttpConfig::new(&base).with_timeout(TIMEOUT))?,
        "person register",
        ResilienceConfig {
            timeout: TIMEOUT,
            ..ResilienceConfig::default()
        },
    ));
    for (name, registry) in [
        ("adapter alone (HTTP timeout 300 ms)", plain),
        ("Resilient, timeout 300 ms, no retries", resilient_no_retry),
        (
            "Resilient, timeout 300 ms, 2 retries + breaker (defaults)",
            resilient_default,
        ),
    ] {
        let o = run(registry).await?;
        println!(
            "{runtime:>15} | {name:<58} | {LOOKUPS} look-ups in {:>9.1?} | slowest {:>9.1?} | unavailable {} other {}",
            o.total, o.slowest, o.unavailable, o.other
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    println!(
        "{LOOKUPS} concurrent look-ups, fake register delays every answer by {SERVER_DELAY:?}"
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(scenarios("current-thread"))?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(scenarios("2 workers"))?;
    Ok(())
}
