//! Data-protection log of person look-ups: who looked up whom, when and why. Application code
//! reaches the person register only through [`PersonLookup`], whose implementation
//! ([`Audited`]) records the look-up *before* asking the register (cache hits and failed
//! look-ups are look-ups too) and refuses to look up when the record cannot be written.

use crate::ids::NationalId;
use crate::ports::{Person, PersonRegistry, RegistryError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// Who is asking and why — the use case, e.g. `permit.apply`, `permit.rematch`,
/// `staff.manual_lookup: customer at the counter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupContext {
    /// The staff user, the citizen's own session (`citizen:self`) or the job (`job:rematch`).
    pub who: String,
    pub purpose: String,
}

impl LookupContext {
    pub fn new(who: impl Into<String>, purpose: impl Into<String>) -> Self {
        Self {
            who: who.into(),
            purpose: purpose.into(),
        }
    }
}

/// Where person look-ups are recorded. An implementation must store the subject only masked
/// ([`NationalId::masked`]) and/or pseudonymised ([`NationalId::pseudonym`]), never in clear.
#[async_trait]
pub trait LookupLog: Send + Sync {
    async fn record(
        &self,
        who: &str,
        subject: &NationalId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RegistryError>;
}

/// One recorded look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupEntry {
    pub who: String,
    /// `211062****`.
    pub subject_masked: String,
    /// HMAC-SHA256 of the number with the log's key: finds every look-up of one person.
    pub subject_pseudonym: String,
    pub purpose: String,
    pub at: DateTime<Utc>,
}

/// An in-memory [`LookupLog`] for tests and demos.
#[derive(Debug)]
pub struct InMemoryLookupLog {
    key: Vec<u8>,
    entries: Mutex<Vec<LookupEntry>>,
    fail: Mutex<bool>,
}

impl InMemoryLookupLog {
    pub fn new(pseudonym_key: &[u8]) -> Self {
        Self {
            key: pseudonym_key.to_vec(),
            entries: Mutex::new(Vec::new()),
            fail: Mutex::new(false),
        }
    }

    pub fn entries(&self) -> Vec<LookupEntry> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Makes every following `record` fail (to test that look-ups stop without a record).
    pub fn set_failing(&self, failing: bool) {
        if let Ok(mut fail) = self.fail.lock() {
            *fail = failing;
        }
    }
}

#[async_trait]
impl LookupLog for InMemoryLookupLog {
    async fn record(
        &self,
        who: &str,
        subject: &NationalId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        if self.fail.lock().map(|f| *f).unwrap_or(true) {
            return Err(RegistryError::Unavailable(
                "the look-up could not be recorded, so it was not made; try again later".into(),
            ));
        }
        let entry = LookupEntry {
            who: who.to_owned(),
            subject_masked: subject.masked(),
            subject_pseudonym: subject.pseudonym(&self.key),
            purpose: purpose.to_owned(),
            at,
        };
        self.entries
            .lock()
            .map_err(|_| RegistryError::Unavailable("the look-up log is broken".into()))?
            .push(entry);
        Ok(())
    }
}

/// How application code looks a person up: always with a reason.
#[async_trait]
pub trait PersonLookup: Send + Sync {
    async fn person(
        &self,
        ctx: &LookupContext,
        id: &NationalId,
    ) -> Result<Option<Person>, RegistryError>;
}

/// A person register whose every look-up is recorded in a [`LookupLog`] first.
pub struct Audited<R> {
    inner: R,
    log: Arc<dyn LookupLog>,
}

impl<R> Audited<R> {
    pub fn new(inner: R, log: Arc<dyn LookupLog>) -> Self {
        Self { inner, log }
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }
}

#[async_trait]
impl<R: PersonRegistry> PersonLookup for Audited<R> {
    async fn person(
        &self,
        ctx: &LookupContext,
        id: &NationalId,
    ) -> Result<Option<Person>, RegistryError> {
        if ctx.who.trim().is_empty() || ctx.purpose.trim().is_empty() {
            return Err(RegistryError::Invalid(
                "a person look-up needs who is asking and why".into(),
            ));
        }
        self.log
            .record(&ctx.who, id, &ctx.purpose, Utc::now())
            .await?;
        self.inner.person(id).await
    }
}
