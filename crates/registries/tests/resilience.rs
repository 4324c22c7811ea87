//! `Resilient` and the person look-up log, against a fake register that can be slow or fail.

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use civicpay_registries::{
    Address, AddressAttributes, CircuitState, InMemoryLookupLog, LookupContext, NationalId, Person,
    PersonLookup, PersonRegistry, PersonStatus, RegistryError, ResilienceConfig, Resilient,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ok,
    Slow,
    Down,
    Invalid,
}

struct Fake {
    calls: AtomicU32,
    mode: std::sync::Mutex<Mode>,
}

impl Fake {
    fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicU32::new(0),
            mode: std::sync::Mutex::new(mode),
        })
    }
    fn set(&self, mode: Mode) {
        if let Ok(mut m) = self.mode.lock() {
            *m = mode;
        }
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl PersonRegistry for Fake {
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mode = self.mode.lock().map(|m| *m).unwrap_or(Mode::Down);
        match mode {
            Mode::Slow => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(None)
            }
            Mode::Down => Err(RegistryError::Unavailable("503 from the fake".into())),
            Mode::Invalid => Err(RegistryError::Invalid("bad request".into())),
            Mode::Ok => Ok(Some(Person {
                national_id: id.clone(),
                name: "Test Person".into(),
                address: Address {
                    street: "Testvej".into(),
                    number: "1".into(),
                    postcode: "1000".into(),
                    city: "København K".into(),
                    municipality_code: "0101".into(),
                    coordinates: None,
                    attributes: AddressAttributes::default(),
                },
                moved_in: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                status: PersonStatus::Active,
                fetched_at: Utc::now(),
                source: "fake".into(),
            })),
        }
    }
}

fn id() -> NationalId {
    match NationalId::cpr("211062-5629") {
        Ok(id) => id,
        Err(e) => panic!("{e}"),
    }
}

fn wrap(fake: &Arc<Fake>, config: ResilienceConfig) -> Resilient<Arc<Fake>> {
    Resilient::new(Arc::clone(fake), "person register", config)
}

#[tokio::test(start_paused = true)]
async fn a_slow_register_times_out_after_three_seconds_per_attempt() {
    let fake = Fake::new(Mode::Slow);
    let registry = wrap(&fake, ResilienceConfig::default());
    let started = Instant::now();
    let result = registry.person(&id()).await;
    let Err(RegistryError::Unavailable(message)) = result else {
        panic!("expected unavailable, got {result:?}");
    };
    assert_eq!(
        message,
        "the person register did not answer within 3 s; try again later"
    );
    // 3 attempts × 3 s + backoff 200 ms + 400 ms.
    assert_eq!(fake.calls(), 3);
    assert_eq!(started.elapsed(), Duration::from_millis(9_600));
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_and_only_for_unavailable() {
    let fake = Fake::new(Mode::Down);
    let registry = wrap(&fake, ResilienceConfig::default());
    assert!(registry.person(&id()).await.is_err());
    assert_eq!(fake.calls(), 3, "one attempt and two retries");

    let fake = Fake::new(Mode::Invalid);
    let registry = wrap(&fake, ResilienceConfig::default());
    assert_eq!(
        registry.person(&id()).await,
        Err(RegistryError::Invalid("bad request".into()))
    );
    assert_eq!(fake.calls(), 1, "an invalid question is not retried");
    assert_eq!(registry.circuit_state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn the_circuit_opens_after_five_failures_and_recovers() {
    let fake = Fake::new(Mode::Down);
    let config = ResilienceConfig {
        retries: 0,
        cache_ttl: Duration::ZERO,
        ..ResilienceConfig::default()
    };
    let registry = wrap(&fake, config);
    for _ in 0..5 {
        assert!(registry.person(&id()).await.is_err());
    }
    assert_eq!(fake.calls(), 5);
    assert_eq!(registry.circuit_state(), CircuitState::Open);

    // Open: fails at once without calling the register.
    let result = registry.person(&id()).await;
    let Err(RegistryError::Unavailable(message)) = result else {
        panic!("expected unavailable, got {result:?}");
    };
    assert!(message.contains("try again later"), "{message}");
    assert_eq!(fake.calls(), 5);

    // After 30 s one probe goes through; it fails, so the circuit opens again.
    tokio::time::advance(Duration::from_secs(30)).await;
    assert!(registry.person(&id()).await.is_err());
    assert_eq!(fake.calls(), 6);
    assert_eq!(registry.circuit_state(), CircuitState::Open);
    assert!(registry.person(&id()).await.is_err());
    assert_eq!(fake.calls(), 6);

    // The register comes back: the next probe closes the circuit.
    fake.set(Mode::Ok);
    tokio::time::advance(Duration::from_secs(29)).await;
    assert!(registry.person(&id()).await.is_err(), "still open");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(matches!(registry.person(&id()).await, Ok(Some(_))));
    assert_eq!(registry.circuit_state(), CircuitState::Closed);
    assert!(matches!(registry.person(&id()).await, Ok(Some(_))));
    assert_eq!(fake.calls(), 8);
}

#[tokio::test(start_paused = true)]
async fn retries_count_towards_the_breaker() {
    let fake = Fake::new(Mode::Down);
    let registry = wrap(&fake, ResilienceConfig::default());
    assert!(registry.person(&id()).await.is_err());
    assert!(registry.person(&id()).await.is_err());
    // 3 + 2 attempts: the fifth failure opened the circuit, the last retry was not made.
    assert_eq!(fake.calls(), 5);
    assert_eq!(registry.circuit_state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn the_cache_keeps_facts_for_its_ttl_with_their_original_time() {
    let fake = Fake::new(Mode::Ok);
    let registry = wrap(&fake, ResilienceConfig::default());
    let Ok(Some(first)) = registry.person(&id()).await else {
        panic!("no answer");
    };
    tokio::time::advance(Duration::from_secs(599)).await;
    let Ok(Some(again)) = registry.person(&id()).await else {
        panic!("no answer");
    };
    assert_eq!(fake.calls(), 1, "served from the cache");
    assert_eq!(again.fetched_at, first.fetched_at);
    // A cached fact is served even while the register is down.
    fake.set(Mode::Down);
    assert!(registry.person(&id()).await.is_ok());
    fake.set(Mode::Ok);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(registry.person(&id()).await.is_ok());
    assert_eq!(fake.calls(), 2, "expired after 10 minutes");
}

#[tokio::test(start_paused = true)]
async fn each_council_has_its_own_cache_and_ttl() {
    let fake = Fake::new(Mode::Ok);
    let kobenhavn = wrap(&fake, ResilienceConfig::default());
    let odense = wrap(
        &fake,
        ResilienceConfig {
            cache_ttl: Duration::from_secs(60),
            ..ResilienceConfig::default()
        },
    );
    assert!(kobenhavn.person(&id()).await.is_ok());
    assert!(odense.person(&id()).await.is_ok());
    assert_eq!(fake.calls(), 2, "no sharing between councils");
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(kobenhavn.person(&id()).await.is_ok());
    assert!(odense.person(&id()).await.is_ok());
    assert_eq!(fake.calls(), 3, "only Odense's entry expired");
}

#[tokio::test(start_paused = true)]
async fn every_person_look_up_is_logged_without_the_number_in_clear() {
    let fake = Fake::new(Mode::Ok);
    let log = Arc::new(InMemoryLookupLog::new(b"test-key"));
    let persons = wrap(&fake, ResilienceConfig::default()).audited(log.clone());
    let ctx = LookupContext::new("staff:anna@kk.dk", "permit.apply");
    assert!(persons.person(&ctx, &id()).await.is_ok());
    assert!(persons.person(&ctx, &id()).await.is_ok(), "cache hit");
    fake.set(Mode::Down);
    let other = match NationalId::cpr("0101651234") {
        Ok(id) => id,
        Err(e) => panic!("{e}"),
    };
    assert!(
        persons.person(&ctx, &other).await.is_err(),
        "failed look-up"
    );
    let entries = log.entries();
    assert_eq!(entries.len(), 3, "cache hits and failures are look-ups too");
    assert_eq!(entries[0].who, "staff:anna@kk.dk");
    assert_eq!(entries[0].purpose, "permit.apply");
    assert_eq!(entries[0].subject_masked, "211062****");
    assert_eq!(entries[0].subject_pseudonym, entries[1].subject_pseudonym);
    assert_ne!(entries[0].subject_pseudonym, entries[2].subject_pseudonym);
    let dumped = format!("{entries:?} {:?}", persons.inner().inner().calls());
    for clear in ["2110625629", "211062-5629", "0101651234"] {
        assert!(!dumped.contains(clear), "{dumped}");
    }
    // The person fact's Debug output masks the number too.
    fake.set(Mode::Ok);
    let Ok(Some(person)) = persons.person(&ctx, &id()).await else {
        panic!("no answer");
    };
    assert!(!format!("{person:?}").contains("2110625629"));
}

#[tokio::test]
async fn no_record_no_look_up() {
    let fake = Fake::new(Mode::Ok);
    let log = Arc::new(InMemoryLookupLog::new(b"test-key"));
    let persons = wrap(&fake, ResilienceConfig::default()).audited(log.clone());
    log.set_failing(true);
    let ctx = LookupContext::new("job:rematch", "permit.rematch");
    assert!(matches!(
        persons.person(&ctx, &id()).await,
        Err(RegistryError::Unavailable(_))
    ));
    assert_eq!(fake.calls(), 0);
    log.set_failing(false);
    let anonymous = LookupContext::new("", "");
    assert!(matches!(
        persons.person(&anonymous, &id()).await,
        Err(RegistryError::Invalid(_))
    ));
    assert_eq!(fake.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn concurrent_slow_calls_all_time_out() {
    let fake = Fake::new(Mode::Slow);
    let registry = Arc::new(wrap(
        &fake,
        ResilienceConfig {
            retries: 0,
            failure_threshold: 1_000,
            ..ResilienceConfig::default()
        },
    ));
    let started = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let registry = Arc::clone(&registry);
            tokio::spawn(async move { registry.person(&id()).await })
        })
        .collect();
    for task in tasks {
        let result = task.await;
        assert!(matches!(result, Ok(Err(RegistryError::Unavailable(_)))));
    }
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(fake.calls(), 100);
}
