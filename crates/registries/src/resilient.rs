//! [`Resilient`]: wraps any register port with a timeout per attempt, bounded retries with
//! backoff (only when the register is unavailable), a circuit breaker and a TTL cache.
//!
//! One `Resilient` per council and register, so each council has its own cache and TTL
//! ([`ResilienceConfig::cache_ttl`]). Only found facts are cached; "not found" and errors
//! never are. A cache hit returns the fact as fetched, with its original `fetched_at`.
//!
//! The breaker counts *attempts*: each attempt that ends unavailable (timeout, 5xx, refused)
//! is a failure, any answer (including "not found" or "invalid") a success. After
//! `failure_threshold` consecutive failures it opens for `open_for`: calls fail at once with
//! "try again later". Then one probe call is let through (half-open); its success closes the
//! breaker, its failure opens it again.

use crate::ids::{CompanyId, NationalId, Plate};
use crate::lookup::{Audited, LookupLog};
use crate::ports::{
    AddressQuery, AddressRegistry, BusinessRegistry, Company, Person, PersonRegistry,
    RegistryError, Vehicle, VehicleRegistry, ZoneMatch,
};
use async_trait::async_trait;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResilienceConfig {
    /// Per attempt. Default 3 s.
    pub timeout: Duration,
    /// Extra attempts after an unavailable answer. Default 2.
    pub retries: u32,
    /// Pause before the first retry, doubled for each further one. Default 200 ms.
    pub backoff: Duration,
    /// Consecutive failed attempts that open the breaker. Default 5.
    pub failure_threshold: u32,
    /// How long the open breaker rejects calls before a probe. Default 30 s.
    pub open_for: Duration,
    /// How long a found fact is reused. Default 10 min; zero disables the cache.
    pub cache_ttl: Duration,
    /// At most this many cached facts; beyond it expired ones are dropped, then all.
    pub cache_capacity: usize,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
            retries: 2,
            backoff: Duration::from_millis(200),
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(600),
            cache_capacity: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BreakerState {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probe_started: Instant },
}

/// What the breaker looks like from outside (for health pages and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone)]
enum Cached {
    Person(Person),
    Company(Company),
    Vehicle(Vehicle),
    Zone(ZoneMatch),
}

/// A register port with timeouts, retries, a circuit breaker and a cache. Implements every
/// port its inner register implements; for people use [`Resilient::audited`] so that each
/// look-up is logged.
pub struct Resilient<R> {
    inner: R,
    name: String,
    config: ResilienceConfig,
    breaker: Mutex<BreakerState>,
    cache: Mutex<HashMap<String, (Instant, Cached)>>,
}

impl<R> Resilient<R> {
    /// `name` is how messages call the register: "person register", "vehicle register"…
    pub fn new(inner: R, name: impl Into<String>, config: ResilienceConfig) -> Self {
        Self {
            inner,
            name: name.into(),
            config,
            breaker: Mutex::new(BreakerState::Closed { failures: 0 }),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Wraps this register so every person look-up is recorded in `log` first.
    pub fn audited(self, log: Arc<dyn LookupLog>) -> Audited<Self> {
        Audited::new(self, log)
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }

    pub fn circuit_state(&self) -> CircuitState {
        match self.breaker.lock().map(|s| *s) {
            Ok(BreakerState::Closed { .. }) => CircuitState::Closed,
            Ok(BreakerState::Open { .. }) | Err(_) => CircuitState::Open,
            Ok(BreakerState::HalfOpen { .. }) => CircuitState::HalfOpen,
        }
    }

    /// Forgets every cached fact (e.g. before a registry re-match that must see fresh data).
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    fn cached(&self, key: &str) -> Option<Cached> {
        if self.config.cache_ttl.is_zero() {
            return None;
        }
        let mut cache = self.cache.lock().ok()?;
        match cache.get(key) {
            Some((stored, value)) if stored.elapsed() < self.config.cache_ttl => {
                Some(value.clone())
            }
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    fn store(&self, key: String, value: Cached) {
        if self.config.cache_ttl.is_zero() {
            return;
        }
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.len() >= self.config.cache_capacity {
            let ttl = self.config.cache_ttl;
            cache.retain(|_, (stored, _)| stored.elapsed() < ttl);
            if cache.len() >= self.config.cache_capacity {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), value));
    }

    /// Lets an attempt through, or says why not.
    fn admit(&self) -> Result<(), RegistryError> {
        let now = Instant::now();
        let mut state = self
            .breaker
            .lock()
            .map_err(|_| RegistryError::Unavailable(format!("the {} is unavailable", self.name)))?;
        match *state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { until } if now >= until => {
                *state = BreakerState::HalfOpen { probe_started: now };
                Ok(())
            }
            // A probe that never reported back (its caller went away) is given up on.
            BreakerState::HalfOpen { probe_started }
                if now >= probe_started + self.config.timeout * 2 =>
            {
                *state = BreakerState::HalfOpen { probe_started: now };
                Ok(())
            }
            BreakerState::Open { until } => Err(RegistryError::Unavailable(format!(
                "the {} is not answering (paused for {} s after repeated failures); try again later",
                self.name,
                until.saturating_duration_since(now).as_secs().max(1)
            ))),
            BreakerState::HalfOpen { .. } => Err(RegistryError::Unavailable(format!(
                "the {} is not answering; try again later",
                self.name
            ))),
        }
    }

    fn succeeded(&self) {
        if let Ok(mut state) = self.breaker.lock() {
            *state = BreakerState::Closed { failures: 0 };
        }
    }

    fn failed(&self) {
        let now = Instant::now();
        if let Ok(mut state) = self.breaker.lock() {
            let open = BreakerState::Open {
                until: now + self.config.open_for,
            };
            *state = match *state {
                BreakerState::Closed { failures } => {
                    let failures = failures.saturating_add(1);
                    if failures >= self.config.failure_threshold {
                        open
                    } else {
                        BreakerState::Closed { failures }
                    }
                }
                BreakerState::HalfOpen { .. } => open,
                already_open @ BreakerState::Open { .. } => already_open,
            };
        }
    }

    /// The cache, then up to `1 + retries` guarded attempts of `call`.
    async fn guarded<T, F, Fut>(
        &self,
        key: String,
        from_cache: fn(Cached) -> Option<T>,
        to_cache: fn(T) -> Cached,
        call: F,
    ) -> Result<Option<T>, RegistryError>
    where
        T: Clone,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, RegistryError>>,
    {
        if let Some(hit) = self.cached(&key).and_then(from_cache) {
            return Ok(Some(hit));
        }
        let mut attempt = 0u32;
        loop {
            self.admit()?;
            let outcome = match tokio::time::timeout(self.config.timeout, call()).await {
                Ok(outcome) => outcome,
                Err(_elapsed) => Err(RegistryError::Unavailable(format!(
                    "the {} did not answer within {}; try again later",
                    self.name,
                    seconds(self.config.timeout)
                ))),
            };
            match outcome {
                Err(e) if e.is_unavailable() => {
                    self.failed();
                    if attempt >= self.config.retries {
                        return Err(e);
                    }
                    let pause = self
                        .config
                        .backoff
                        .saturating_mul(2u32.saturating_pow(attempt));
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                Err(e) => {
                    self.succeeded();
                    return Err(e);
                }
                Ok(found) => {
                    self.succeeded();
                    if let Some(value) = &found {
                        self.store(key, to_cache(value.clone()));
                    }
                    return Ok(found);
                }
            }
        }
    }
}

/// `3 s`, `1.5 s`, `250 ms`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{}.{} s", d.as_secs(), d.subsec_millis() / 100)
    }
}

#[async_trait]
impl<R: PersonRegistry> PersonRegistry for Resilient<R> {
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError> {
        self.guarded(
            format!("person:{}", id.expose_digits()),
            |c| match c {
                Cached::Person(p) => Some(p),
                _ => None,
            },
            Cached::Person,
            || self.inner.person(id),
        )
        .await
    }
}

#[async_trait]
impl<R: BusinessRegistry> BusinessRegistry for Resilient<R> {
    async fn company(&self, id: &CompanyId) -> Result<Option<Company>, RegistryError> {
        self.guarded(
            format!("company:{}", id.as_str()),
            |c| match c {
                Cached::Company(v) => Some(v),
                _ => None,
            },
            Cached::Company,
            || self.inner.company(id),
        )
        .await
    }
}

#[async_trait]
impl<R: VehicleRegistry> VehicleRegistry for Resilient<R> {
    async fn vehicle(&self, plate: &Plate) -> Result<Option<Vehicle>, RegistryError> {
        self.guarded(
            format!("vehicle:{}", plate.as_str()),
            |c| match c {
                Cached::Vehicle(v) => Some(v),
                _ => None,
            },
            Cached::Vehicle,
            || self.inner.vehicle(plate),
        )
        .await
    }
}

#[async_trait]
impl<R: AddressRegistry> AddressRegistry for Resilient<R> {
    async fn zone_for(&self, query: &AddressQuery) -> Result<Option<ZoneMatch>, RegistryError> {
        let key = match query {
            AddressQuery::Text(text) => format!("address:{}", crate::file::normalise(text)),
            AddressQuery::Point(p) => format!("point:{}:{}", p.lon, p.lat),
        };
        self.guarded(
            key,
            |c| match c {
                Cached::Zone(v) => Some(v),
                _ => None,
            },
            Cached::Zone,
            || self.inner.zone_for(query),
        )
        .await
    }
}

// Shared registers (one file registry behind several decorators) are registers too.
#[async_trait]
impl<T: PersonRegistry + ?Sized> PersonRegistry for Arc<T> {
    async fn person(&self, id: &NationalId) -> Result<Option<Person>, RegistryError> {
        (**self).person(id).await
    }
}

#[async_trait]
impl<T: BusinessRegistry + ?Sized> BusinessRegistry for Arc<T> {
    async fn company(&self, id: &CompanyId) -> Result<Option<Company>, RegistryError> {
        (**self).company(id).await
    }
}

#[async_trait]
impl<T: VehicleRegistry + ?Sized> VehicleRegistry for Arc<T> {
    async fn vehicle(&self, plate: &Plate) -> Result<Option<Vehicle>, RegistryError> {
        (**self).vehicle(plate).await
    }
}

#[async_trait]
impl<T: AddressRegistry + ?Sized> AddressRegistry for Arc<T> {
    async fn zone_for(&self, query: &AddressQuery) -> Result<Option<ZoneMatch>, RegistryError> {
        (**self).zone_for(query).await
    }
}
