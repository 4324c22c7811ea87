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
use civicpay_registries::http::{
    CvrDistribution, HaalCentraalBrp, HttpConfig, PdokLocatieserver, RdwOpenData,
};
use civicpay_registries::{
    AddressQuery, AddressRegistry, Audited, BusinessRegistry, CompanyId, CompanyStatus,
    FileRegistry, Holder, IdCountry, LookupContext, LookupLog, NationalId, PersonLookup,
    PersonRegistry, PersonStatus, Plate, RegistryError, ResilienceConfig, Resilient, VehicleKind,
    VehicleRegistry, ZoneIndex,
};
use civicpay_rules::{CompiledRule, Evaluation, Facts, KindCounts};
use civicpay_store::{HeldPermits, ProductRecord, TenantScope};
use civicpay_tenant_config::{RegisterSource, RegistryConfig};
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

/// One council's registers, each behind its own [`Resilient`] (own cache and breaker): the
/// file-backed demo register or a public API, as its `registry.toml` says.
pub struct CouncilRegistries {
    people: Arc<Resilient<Arc<dyn PersonRegistry>>>,
    vehicles: Arc<Resilient<Arc<dyn VehicleRegistry>>>,
    addresses: Arc<Resilient<Arc<dyn AddressRegistry>>>,
    businesses: Arc<Resilient<Arc<dyn BusinessRegistry>>>,
}

/// A secret from the environment variable `name` (a council folder names it, never holds it).
fn env_secret(register: &str, name: Option<&str>) -> Result<Option<String>, String> {
    match name {
        None => Ok(None),
        Some(name) => std::env::var(name).map(Some).map_err(|_| {
            format!("the {register} register's secret is read from ${name}, which is not set")
        }),
    }
}

fn http_config(
    register: &str,
    source: &RegisterSource,
    default_base: &str,
) -> Result<HttpConfig, String> {
    let mut config = HttpConfig::new(source.base_url.as_deref().unwrap_or(default_base));
    if let Some(ms) = source.timeout_ms {
        config = config.with_timeout(std::time::Duration::from_millis(u64::from(ms)));
    }
    if let Some(key) = env_secret(register, source.api_key_env.as_deref())? {
        config = config.with_api_key(key);
    }
    Ok(config)
}

impl CouncilRegistries {
    /// Builds the registers `config` names for the council folder `dir`; the file-backed
    /// register is read once and shared by every register that uses it.
    fn build(
        dir: &Path,
        country: &str,
        config: &RegistryConfig,
        zones: &[civicpay_tenant_config::ZoneConfig],
    ) -> Result<Self, String> {
        let file = if config.uses_files() {
            Some(Arc::new(
                FileRegistry::load_tenant(dir, country).map_err(|e| e.to_string())?,
            ))
        } else {
            None
        };
        let file_or = |register: &str| {
            file.clone().ok_or_else(|| {
                format!("the {register} register is file-backed but registry/ is missing")
            })
        };
        let person: Arc<dyn PersonRegistry> = match config.person.adapter.as_str() {
            "haal_centraal_brp" => Arc::new(
                HaalCentraalBrp::new(http_config(
                    "person",
                    &config.person,
                    HaalCentraalBrp::DEFAULT_BASE_URL,
                )?)
                .map_err(|e| e.to_string())?,
            ),
            _ => file_or("person")?,
        };
        let vehicle: Arc<dyn VehicleRegistry> = match config.vehicle.adapter.as_str() {
            "rdw_open_data" => Arc::new(
                RdwOpenData::new(http_config(
                    "vehicle",
                    &config.vehicle,
                    RdwOpenData::DEFAULT_BASE_URL,
                )?)
                .map_err(|e| e.to_string())?,
            ),
            _ => file_or("vehicle")?,
        };
        let business: Arc<dyn BusinessRegistry> = match config.business.adapter.as_str() {
            "cvr_distribution" => {
                let source = &config.business;
                let user = env_secret("business", source.user_env.as_deref())?.unwrap_or_default();
                let password =
                    env_secret("business", source.password_env.as_deref())?.unwrap_or_default();
                Arc::new(
                    CvrDistribution::new(
                        http_config("business", source, CvrDistribution::DEFAULT_BASE_URL)?,
                        user,
                        password,
                    )
                    .map_err(|e| e.to_string())?,
                )
            }
            _ => file_or("business")?,
        };
        let address: Arc<dyn AddressRegistry> = match config.address.adapter.as_str() {
            "pdok_locatieserver" => {
                let features: Vec<serde_json::Value> = zones
                    .iter()
                    .map(|z| {
                        serde_json::json!({
                            "type": "Feature",
                            "properties": { "code": z.code.to_string() },
                            "geometry": z.geometry,
                        })
                    })
                    .collect();
                let collection =
                    serde_json::json!({ "type": "FeatureCollection", "features": features });
                let index = ZoneIndex::from_feature_collection(&collection.to_string())
                    .map_err(|e| e.to_string())?;
                Arc::new(
                    PdokLocatieserver::new(
                        http_config(
                            "address",
                            &config.address,
                            PdokLocatieserver::DEFAULT_BASE_URL,
                        )?,
                        index,
                    )
                    .map_err(|e| e.to_string())?,
                )
            }
            _ => file_or("address")?,
        };
        // A register's own timeout (registry.toml) bounds each attempt; else the default.
        // …and the council's cache TTL how long an answer is reused.
        let resilience = |source: &RegisterSource| {
            let mut resilience = ResilienceConfig::default();
            if let Some(ms) = source.timeout_ms {
                resilience.timeout = std::time::Duration::from_millis(u64::from(ms));
            }
            if let Some(seconds) = config.cache_ttl_seconds {
                resilience.cache_ttl = std::time::Duration::from_secs(u64::from(seconds));
            }
            resilience
        };
        Ok(Self {
            people: Arc::new(Resilient::new(person, "people", resilience(&config.person))),
            vehicles: Arc::new(Resilient::new(
                vehicle,
                "vehicles",
                resilience(&config.vehicle),
            )),
            addresses: Arc::new(Resilient::new(
                address,
                "addresses",
                resilience(&config.address),
            )),
            businesses: Arc::new(Resilient::new(
                business,
                "businesses",
                resilience(&config.business),
            )),
        })
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
    /// The council's municipality codes (`registry.toml`); empty: "in the city" means "in
    /// one of the council's zones".
    pub municipality_codes: Vec<String>,
}

impl CouncilEligibility {
    /// Whether an address with `municipality_code`, lying in zone `zone` (if any), is in the
    /// council's area.
    fn in_city(&self, municipality_code: &str, in_a_zone: bool) -> bool {
        if self.municipality_codes.is_empty() {
            in_a_zone
        } else {
            self.municipality_codes
                .iter()
                .any(|c| c == municipality_code)
        }
    }
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
            // Registers: what registry.toml configures, else the folder registry/ when there
            // is one; a council with neither has no registers (checks answer "not configured").
            let configured = config.registry != RegistryConfig::default();
            let registries = if configured || FileRegistry::dir_of(&dir).is_dir() {
                match CouncilRegistries::build(
                    &dir,
                    config.country.as_str(),
                    &config.registry,
                    &config.zones,
                ) {
                    Ok(registries) => Some(registries),
                    Err(e) => {
                        tracing::error!(council = %config.slug, error = %e, "the council's registers cannot be set up");
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
                    municipality_codes: config.registry.municipality_codes.clone(),
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

    /// The keyed pseudonym a company holds permits under.
    pub fn company_pseudonym(&self, company: &CompanyId) -> String {
        company.pseudonym(&self.pseudonym_key)
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

/// The vehicle register's record of `plate` (`None`: unknown).
pub async fn vehicle(
    council: &CouncilEligibility,
    plate: &str,
) -> ApiResult<Option<civicpay_registries::Vehicle>> {
    let registries = council
        .registries
        .as_ref()
        .ok_or_else(|| ApiError::conflict(REGISTERS_NOT_CONFIGURED))?;
    let plate = Plate::parse(plate).map_err(|e| ApiError::bad_input(format!("plate: {e}")))?;
    registries
        .vehicles
        .vehicle(&plate)
        .await
        .map_err(|e| registry_error("vehicle", e))
}

/// The fuel or emission class the vehicle register gives for `plate` (`""` when the vehicle
/// is unknown); prices by emission class follow it.
pub async fn fuel_class(council: &CouncilEligibility, plate: &str) -> ApiResult<String> {
    Ok(vehicle(council, plate)
        .await?
        .map(|v| v.fuel_class)
        .unwrap_or_default())
}

/// A check's input, parsed and validated: the council's machinery, the product, the ids.
pub struct CheckRequest<'a> {
    pub council: &'a CouncilEligibility,
    pub purpose: String,
    pub product: ProductRecord,
    pub id: NationalId,
    pub plate: Option<Plate>,
    /// The company applying (a business permit), represented by the person `id`.
    pub company: Option<CompanyId>,
}

impl CheckRequest<'_> {
    /// The key the permit is held under: the company's pseudonym for a company's
    /// application, else the person's (as in the look-up log).
    pub fn holder_key(&self, state: &crate::context::ApiState) -> String {
        match &self.company {
            Some(company) => company.pseudonym(&state.eligibility.pseudonym_key),
            None => self.id.pseudonym(&state.eligibility.pseudonym_key),
        }
    }

    /// How the holder is shown: the company number (public), else the masked national id.
    pub fn holder_display(&self) -> String {
        match &self.company {
            Some(company) => company.to_string(),
            None => self.id.masked(),
        }
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
    company_id: Option<&str>,
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
    let company = company_id
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| CompanyId::parse(council.country, c))
        .transpose()
        .map_err(|e| ApiError::bad_input(format!("companyId: {e}")))?;
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
        company,
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
    company_id: Option<&str>,
) -> ApiResult<EligibilityCheck> {
    let check = parse_check(req, scope, sku, national_id, plate, purpose, company_id).await?;
    let held = scope
        .held_permits(
            &check.holder_key(&req.state),
            check.plate.as_ref().map(Plate::as_str),
            None,
        )
        .await?;
    evaluate_check(req, scope, caller_label, &check, permit_facts(&held)).await
}

/// Looks a person up in the council's person register through the audited look-up: the
/// look-up is recorded (who, why, pseudonym) before the register is asked.
pub async fn look_up_person(
    req: &RequestContext,
    scope: &TenantScope,
    who: &str,
    purpose: &str,
    id: &NationalId,
) -> ApiResult<Option<civicpay_registries::Person>> {
    let slug = scope.tenant().slug.to_string();
    let registries = req
        .state
        .eligibility
        .council(&slug)
        .and_then(|c| c.registries.as_ref())
        .ok_or_else(|| ApiError::conflict(REGISTERS_NOT_CONFIGURED))?;
    let lookup = Audited::new(
        registries.people.clone(),
        Arc::new(DbLookupLog::new(
            scope.clone(),
            &req.state.eligibility.pseudonym_key,
        )) as Arc<dyn LookupLog>,
    );
    lookup
        .person(&LookupContext::new(who, purpose), id)
        .await
        .map_err(|e| registry_error("person", e))
}

/// Looks a company up in the council's business register. Company numbers are public, so the
/// look-up is not logged as a person's is. CONFLICT when the council has no registers.
pub async fn look_up_company(
    state: &crate::context::ApiState,
    slug: &str,
    id: &CompanyId,
) -> ApiResult<Option<civicpay_registries::Company>> {
    let registries = state
        .eligibility
        .council(slug)
        .and_then(|c| c.registries.as_ref())
        .ok_or_else(|| ApiError::conflict(REGISTERS_NOT_CONFIGURED))?;
    registries
        .businesses
        .company(id)
        .await
        .map_err(|e| registry_error("business", e))
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
    let person = look_up_person(req, scope, caller_label, &check.purpose, id).await?;
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
                facts.address.zone = zone.zone_code.to_string();
                facts.address.private_road |= zone.attributes.private_road;
                if facts.address.garage_right.is_empty() {
                    facts.address.garage_right =
                        zone.attributes.garage_right.clone().unwrap_or_default();
                }
            }
        }
        facts.address.in_city = council.in_city(
            &person.address.municipality_code,
            !facts.address.zone.is_empty(),
        );
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
                owned_or_used_by_applicant: (person.is_some()
                    && vehicle.is_held_by(&Holder::Person(id.clone())))
                    || check
                        .company
                        .as_ref()
                        .is_some_and(|c| vehicle.is_held_by(&Holder::Company(c.clone()))),
            };
        }
    }

    // A company's application: the business register, and a production unit in one of the
    // council's zones ("in the city", as for a person's address).
    if let Some(company_id) = &check.company {
        facts.applicant.kind = civicpay_rules::ApplicantKind::Company;
        facts.applicant.id_masked = company_id.to_string();
        let company = registries
            .businesses
            .company(company_id)
            .await
            .map_err(|e| registry_error("business", e))?;
        if let Some(company) = company {
            sources.push(FactSource {
                register: "business",
                source: company.source.clone(),
                fetched_at: company.fetched_at,
            });
            facts.applicant.status = match company.status {
                CompanyStatus::Active => "active",
                _ => "closed",
            }
            .to_owned();
            let mut in_city = false;
            for unit in &company.production_units {
                let in_a_zone = match unit.address.coordinates {
                    Some(point) => {
                        match registries
                            .addresses
                            .zone_for(&AddressQuery::Point(point))
                            .await
                        {
                            Ok(zone) => zone.is_some(),
                            Err(RegistryError::NotConfigured) => false,
                            Err(e) => return Err(registry_error("address", e)),
                        }
                    }
                    None => false,
                };
                if council.in_city(&unit.address.municipality_code, in_a_zone) {
                    in_city = true;
                    break;
                }
            }
            facts.company = civicpay_rules::Company {
                present: company.status == CompanyStatus::Active,
                has_unit_in_city: in_city,
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
