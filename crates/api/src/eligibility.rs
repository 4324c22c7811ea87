//! Staff eligibility checks: look the person (and the vehicle) up in the council's registers,
//! turn what they say into [`civicpay_rules::Facts`], and run the council's rules for the
//! product. Every person look-up is recorded first in the council's `person_lookups` log
//! (who, why, and a keyed pseudonym of the national id — never the number).
//!
//! The registers and rules of every council are built once at server start
//! ([`Eligibility::load`]); each register sits behind [`Resilient`] (timeouts, retries, circuit
//! breaker, cache), shared by every request of that council.

use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use civicpay_domain::{ProductKind, Sku};
use civicpay_registries::{
    AddressQuery, AddressRegistry, Audited, FileRegistry, Holder, IdCountry, LookupContext,
    LookupLog, NationalId, PersonLookup, PersonStatus, Plate, RegistryError, ResilienceConfig,
    Resilient, VehicleKind, VehicleRegistry,
};
use civicpay_rules::{CompiledRule, Evaluation, Facts, KindCounts};
use civicpay_store::{HeldPermits, ProductRecord, TenantScope};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What a check says when the person register does not answer. Never a silent pass.
pub const REGISTER_UNAVAILABLE: &str =
    "the person register did not answer; try again later, or continue manually with a reason";

/// Every "a register did not answer" message contains this.
const DID_NOT_ANSWER: &str = "did not answer; try again later";

/// The error is a register that did not answer (the clerk may continue manually).
pub fn is_register_unavailable(e: &ApiError) -> bool {
    e.code == crate::error::ErrorCode::Conflict && e.message.contains(DID_NOT_ANSWER)
}

/// What a check says for a council without registers.
pub const REGISTERS_NOT_CONFIGURED: &str = "registers not configured for this council";

type SharedRegistry = Arc<FileRegistry>;

/// One council's registers, each behind its own [`Resilient`] (own cache and breaker).
pub struct CouncilRegistries {
    people: Arc<Resilient<SharedRegistry>>,
    vehicles: Arc<Resilient<SharedRegistry>>,
    addresses: Arc<Resilient<SharedRegistry>>,
}

impl CouncilRegistries {
    fn new(registry: FileRegistry) -> Self {
        let registry = Arc::new(registry);
        let wrap = |name: &str| {
            Arc::new(Resilient::new(
                registry.clone(),
                name,
                ResilienceConfig::default(),
            ))
        };
        Self {
            people: wrap("people"),
            vehicles: wrap("vehicles"),
            addresses: wrap("addresses"),
        }
    }
}

/// One council's compiled rules and its registers.
pub struct CouncilEligibility {
    pub country: IdCountry,
    /// Every rule of the council's `rules.toml`, compiled once; `evaluate` picks the product's.
    pub rules: Vec<CompiledRule>,
    /// `None` for a council without a `registry/` folder.
    pub registries: Option<CouncilRegistries>,
    /// Proration, emission-class prices and the registered-letter rule (`pricing.toml`).
    pub pricing: civicpay_tenant_config::PricingConfig,
}

/// The eligibility machinery of every council, by slug, and the key person look-ups are
/// pseudonymised with.
pub struct Eligibility {
    councils: BTreeMap<String, CouncilEligibility>,
    pseudonym_key: Vec<u8>,
}

impl Eligibility {
    /// No council configured (tests and tools that do not check eligibility).
    pub fn empty(pseudonym_key: &[u8]) -> Self {
        Self {
            councils: BTreeMap::new(),
            pseudonym_key: pseudonym_key.to_vec(),
        }
    }

    /// Reads every council folder of `tenants_dir` that loads: its rules (compiled) and, when
    /// it has a `registry/` folder, its file-backed registers. A folder that does not load is
    /// skipped with an error in the log (its checks then answer "not configured").
    pub fn load(tenants_dir: &Path, pseudonym_key: &[u8]) -> Self {
        let mut councils = BTreeMap::new();
        for (dir, loaded) in civicpay_tenant_config::load_all(tenants_dir) {
            let config = match loaded {
                Ok(config) => config,
                Err(e) => {
                    tracing::error!(dir = %dir.display(), error = %e, "council folder does not load; no eligibility checks for it");
                    continue;
                }
            };
            let country = match IdCountry::from_iso(config.country.as_str()) {
                Ok(country) => country,
                Err(e) => {
                    tracing::warn!(council = %config.slug, error = %e, "no eligibility checks for this council");
                    continue;
                }
            };
            let mut rules = Vec::with_capacity(config.rules.len());
            let mut broken = false;
            for spec in &config.rules {
                match CompiledRule::compile(spec.clone()) {
                    Ok(rule) => rules.push(rule),
                    Err(e) => {
                        tracing::error!(council = %config.slug, rule = %spec.id, error = %e, "rule does not compile");
                        broken = true;
                    }
                }
            }
            if broken {
                continue;
            }
            let registries = if FileRegistry::dir_of(&dir).is_dir() {
                match FileRegistry::load_tenant(&dir, config.country.as_str()) {
                    Ok(registry) => Some(CouncilRegistries::new(registry)),
                    Err(e) => {
                        tracing::error!(council = %config.slug, error = %e, "the council's registers do not load");
                        None
                    }
                }
            } else {
                None
            };
            councils.insert(
                config.slug.to_string(),
                CouncilEligibility {
                    country,
                    rules,
                    registries,
                    pricing: config.pricing.clone(),
                },
            );
        }
        Self {
            councils,
            pseudonym_key: pseudonym_key.to_vec(),
        }
    }

    /// The keyed pseudonym of a national id (the one the look-up log and permits store).
    pub fn pseudonym(&self, id: &NationalId) -> String {
        id.pseudonym(&self.pseudonym_key)
    }

    /// The national id sealed for storage with a permit (see [`NationalId::seal`]).
    pub fn seal(&self, id: &NationalId) -> String {
        id.seal(&self.pseudonym_key)
    }

    /// Opens an id sealed by [`Eligibility::seal`].
    pub fn unseal(
        &self,
        country: IdCountry,
        sealed: &str,
    ) -> Result<NationalId, civicpay_registries::IdError> {
        NationalId::unseal(country, &self.pseudonym_key, sealed)
    }

    pub fn council(&self, slug: &str) -> Option<&CouncilEligibility> {
        self.councils.get(slug)
    }
}

/// The [`LookupLog`] of a council, in its `person_lookups` table.
pub struct DbLookupLog {
    scope: TenantScope,
    key: Vec<u8>,
}

impl DbLookupLog {
    pub fn new(scope: TenantScope, pseudonym_key: &[u8]) -> Self {
        Self {
            scope,
            key: pseudonym_key.to_vec(),
        }
    }
}

#[async_trait]
impl LookupLog for DbLookupLog {
    async fn record(
        &self,
        who: &str,
        subject: &civicpay_registries::NationalId,
        purpose: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        self.scope
            .record_person_lookup(who, &subject.pseudonym(&self.key), purpose)
            .await
            .map(|_| ())
            .map_err(|e| {
                tracing::error!(error = %e, "a person look-up could not be recorded");
                RegistryError::Unavailable(
                    "the look-up could not be recorded, so it was not made; try again later".into(),
                )
            })
    }
}

/// Where one fact came from and when.
#[derive(Debug, Clone)]
pub struct FactSource {
    pub register: &'static str,
    pub source: String,
    pub fetched_at: DateTime<Utc>,
}

/// The answer to a check: the rules' evaluation, the facts they saw (masked ids only) and
/// where those facts came from.
#[derive(Debug, Clone)]
pub struct EligibilityCheck {
    pub evaluation: Evaluation,
    pub facts: Facts,
    pub sources: Vec<FactSource>,
    /// The person's name and one-line address as the register gave them (kept with a permit
    /// for letters and the re-match; never put into the facts the rules see).
    pub person_name: Option<String>,
    pub person_address: Option<String>,
}

fn registry_error(register: &str, err: RegistryError) -> ApiError {
    match err {
        RegistryError::Unavailable(detail) => {
            tracing::warn!(register, detail = %detail, "register unavailable during an eligibility check");
            if register == "person" {
                ApiError::conflict(REGISTER_UNAVAILABLE)
            } else {
                ApiError::conflict(format!(
                    "the {register} register did not answer; try again later, or continue manually with a reason"
                ))
            }
        }
        RegistryError::NotConfigured => ApiError::conflict(REGISTERS_NOT_CONFIGURED),
        RegistryError::Invalid(message) => ApiError::bad_input(message),
    }
}

fn person_status(status: PersonStatus) -> &'static str {
    match status {
        PersonStatus::Active => "active",
        PersonStatus::Dead => "dead",
        PersonStatus::Emigrated => "emigrated",
        PersonStatus::Unknown => "unknown",
    }
}

fn vehicle_kind(kind: VehicleKind) -> &'static str {
    match kind {
        VehicleKind::PassengerCar => "passenger_car",
        VehicleKind::Van => "van",
        VehicleKind::Motorcycle => "motorcycle",
        VehicleKind::Truck => "truck",
        VehicleKind::Other => "other",
    }
}

/// A check's input, parsed and validated: the council's machinery, the product, the ids.
pub struct CheckRequest<'a> {
    pub council: &'a CouncilEligibility,
    pub purpose: String,
    pub product: ProductRecord,
    pub id: NationalId,
    pub plate: Option<Plate>,
}

impl CheckRequest<'_> {
    /// The keyed pseudonym of the applicant's national id (as in the look-up log).
    pub fn holder_key(&self, state: &crate::context::ApiState) -> String {
        self.id.pseudonym(&state.eligibility.pseudonym_key)
    }
}

/// Parses and validates a check's input: BAD_USER_INPUT for bad ids or purpose, NOT_FOUND for
/// an unknown product, CONFLICT for a council without rules or registers.
pub async fn parse_check<'a>(
    req: &'a RequestContext,
    scope: &TenantScope,
    sku: &str,
    national_id: &str,
    plate: Option<&str>,
    purpose: &str,
) -> ApiResult<CheckRequest<'a>> {
    let slug = scope.tenant().slug.to_string();
    let council = req.state.eligibility.council(&slug).ok_or_else(|| {
        ApiError::conflict("eligibility checks are not configured for this council")
    })?;
    let purpose = purpose.trim();
    if purpose.is_empty() {
        return Err(ApiError::bad_input(
            "purpose: required — say why the person is looked up (e.g. \"application at the counter\")",
        ));
    }
    if purpose.chars().count() > 200 {
        return Err(ApiError::bad_input("purpose: at most 200 characters"));
    }
    let sku = Sku::parse(sku).map_err(|e| ApiError::bad_input(format!("sku: {e}")))?;
    let id = NationalId::parse(council.country, national_id)
        .map_err(|e| ApiError::bad_input(format!("nationalId: {e}")))?;
    let plate = plate
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Plate::parse)
        .transpose()
        .map_err(|e| ApiError::bad_input(format!("plate: {e}")))?;
    let product = scope
        .product_by_sku(&sku)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("product {sku} not found")))?;
    if council.registries.is_none() {
        return Err(ApiError::conflict(REGISTERS_NOT_CONFIGURED));
    }
    Ok(CheckRequest {
        council,
        purpose: purpose.to_owned(),
        product,
        id,
        plate,
    })
}

/// The "existing permits" facts from the applicant's and the vehicle's held permits (active,
/// pending payment or waiting for review).
pub fn permit_facts(held: &HeldPermits) -> civicpay_rules::Permits {
    let counts = |by_kind: &[(String, i64)]| {
        let mut counts = KindCounts::default();
        for (kind, n) in by_kind {
            if let Ok(kind) = ProductKind::parse(kind) {
                counts.set(kind, *n);
            }
        }
        counts
    };
    civicpay_rules::Permits {
        active_of_kind: counts(&held.holder_by_kind),
        active_for_vehicle: counts(&held.vehicle_by_kind),
        active_resident_zone: held.holder_resident_zone.clone().unwrap_or_default(),
    }
}

/// Checks whether the person with `national_id` (and the vehicle with `plate`) may have the
/// product `sku` of the scope's council, as staff member `caller_label` for `purpose`. The
/// "existing permits" facts are the stored held permits of the person and the vehicle.
///
/// Bad ids are BAD_USER_INPUT; a register that does not answer is CONFLICT (never a pass); a
/// person or vehicle the registers do not know is no error: the rules see empty facts and
/// reject with their own message.
#[allow(clippy::too_many_arguments)]
pub async fn check_eligibility(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    sku: &str,
    national_id: &str,
    plate: Option<&str>,
    purpose: &str,
) -> ApiResult<EligibilityCheck> {
    let check = parse_check(req, scope, sku, national_id, plate, purpose).await?;
    let held = scope
        .held_permits(
            &check.holder_key(&req.state),
            check.plate.as_ref().map(Plate::as_str),
            None,
        )
        .await?;
    evaluate_check(req, scope, caller_label, &check, permit_facts(&held)).await
}

/// Gathers the facts of a parsed check from the council's registers (the person look-up is
/// logged first), adds the given `existing` permits facts, and runs the product's rules.
pub async fn evaluate_check(
    req: &RequestContext,
    scope: &TenantScope,
    caller_label: &str,
    check: &CheckRequest<'_>,
    existing: civicpay_rules::Permits,
) -> ApiResult<EligibilityCheck> {
    let state = &req.state;
    let council = check.council;
    let product = &check.product;
    let id = &check.id;
    let registries = council
        .registries
        .as_ref()
        .ok_or_else(|| ApiError::conflict(REGISTERS_NOT_CONFIGURED))?;
    let mut sources = Vec::new();
    let mut facts = Facts::empty();
    facts.today = Utc::now().date_naive();
    facts.product = civicpay_rules::ProductFacts {
        sku: product.sku.to_string(),
        kind: product.kind.as_str().to_owned(),
        zone: product.zone_code.clone().unwrap_or_default(),
    };
    facts.applicant.kind = civicpay_rules::ApplicantKind::Person;
    facts.applicant.id_masked = id.masked();
    // Age is not derived yet (the registers' NationalId does not expose a birth date): it stays
    // 0, so an age rule fails rather than passes.

    // The person, through the audited look-up: recorded before the register is asked.
    let lookup = Audited::new(
        registries.people.clone(),
        Arc::new(DbLookupLog::new(
            scope.clone(),
            &state.eligibility.pseudonym_key,
        )) as Arc<dyn LookupLog>,
    );
    let person = lookup
        .person(&LookupContext::new(caller_label, &check.purpose), id)
        .await
        .map_err(|e| registry_error("person", e))?;
    if let Some(person) = &person {
        sources.push(FactSource {
            register: "person",
            source: person.source.clone(),
            fetched_at: person.fetched_at,
        });
        facts.applicant.status = person_status(person.status).to_owned();
        facts.address.private_road = person.address.attributes.private_road;
        facts.address.garage_right = person
            .address
            .attributes
            .garage_right
            .clone()
            .unwrap_or_default();
        if let Some(point) = person.address.coordinates {
            let zone = match registries
                .addresses
                .zone_for(&AddressQuery::Point(point))
                .await
            {
                Ok(zone) => zone,
                // A council without zones: the address is in no zone (zone rules then fail).
                Err(RegistryError::NotConfigured) => None,
                Err(e) => return Err(registry_error("address", e)),
            };
            if let Some(zone) = zone {
                sources.push(FactSource {
                    register: "address",
                    source: zone.source.clone(),
                    fetched_at: zone.fetched_at,
                });
                // "In the city" is approximated as "inside one of the council's zones".
                facts.address.in_city = true;
                facts.address.zone = zone.zone_code.to_string();
                facts.address.private_road |= zone.attributes.private_road;
                if facts.address.garage_right.is_empty() {
                    facts.address.garage_right =
                        zone.attributes.garage_right.clone().unwrap_or_default();
                }
            }
        }
    }

    if let Some(plate) = &check.plate {
        let vehicle = registries
            .vehicles
            .vehicle(plate)
            .await
            .map_err(|e| registry_error("vehicle", e))?;
        if let Some(vehicle) = vehicle {
            sources.push(FactSource {
                register: "vehicle",
                source: vehicle.source.clone(),
                fetched_at: vehicle.fetched_at,
            });
            facts.vehicle = civicpay_rules::Vehicle {
                present: true,
                kind: vehicle_kind(vehicle.kind).to_owned(),
                weight_kg: i64::from(vehicle.total_weight_kg),
                fuel_class: vehicle.fuel_class.clone(),
                country: vehicle.country.to_string(),
                stolen: vehicle.stolen,
                owned_or_used_by_applicant: person.is_some()
                    && vehicle.is_held_by(&Holder::Person(id.clone())),
            };
        }
    }

    facts.permits = existing;

    let evaluation =
        civicpay_rules::evaluate(&council.rules, &facts, &req.locale, &req.fallback_locale());
    Ok(EligibilityCheck {
        evaluation,
        facts,
        sources,
        person_name: person.as_ref().map(|p| p.name.clone()),
        person_address: person.as_ref().map(|p| p.address.one_line()),
    })
}
