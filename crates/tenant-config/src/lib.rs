//! civicpay-tenant-config: reads and validates a council's onboarding folder
//! (`tenants/<slug>/`: `tenant.toml`, `products.toml`, optional `zones.geojson`, `rules.toml`,
//! `pricing.toml`, `registry.toml` and `login.toml`) into a typed
//! [`TenantConfig`], or into [`ConfigErrors`] listing *every* problem at once, each with file,
//! line, column, field and what was expected. It owns the file format and all its rules, and
//! nothing else: it must not depend on a database, the network or an async runtime — only on
//! the file system under the folder it is given — so `civicpay tenant validate` runs anywhere
//! (laptop, CI) and `civicpay tenant apply` (in the store crate) only ever sees valid input.

mod error;
mod fields;
mod login;
mod node;
mod pricing;
mod products;
mod registry;
mod rules;
mod tenant;
mod zones;

pub use error::{ConfigError, ConfigErrors};
pub use login::LoginConfig;
pub use registry::{REGISTERS, RegisterSource, RegistryConfig};
pub use tenant::{GATEWAYS, PAYMENT_METHODS};
pub use zones::validate_geometry;

use civicpay_domain::{
    CountryCode, Email, EmissionTable, Locale, LocalizedText, PriceVersion, ProductKind,
    ProrationUnit, RegisteredLetterRule, Sku, TenantSlug, ZoneCode,
};
use civicpay_money::{Currency, VatRate};
use civicpay_rules::RuleSpec;
use error::{Sink, Source, file_error};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file names a tenant folder may hold.
pub const TENANT_FILE: &str = "tenant.toml";
pub const PRODUCTS_FILE: &str = "products.toml";
pub const ZONES_FILE: &str = "zones.geojson";
pub const RULES_FILE: &str = "rules.toml";
pub const PRICING_FILE: &str = "pricing.toml";
pub const REGISTRY_FILE: &str = "registry.toml";
pub const LOGIN_FILE: &str = "login.toml";

/// A council, as configured in its folder and fully validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantConfig {
    pub slug: TenantSlug,
    pub name: LocalizedText,
    pub country: CountryCode,
    pub currency: Currency,
    /// IANA name such as "Europe/Copenhagen" (shape Area/City checked; no tz database).
    pub timezone: String,
    /// One of `locales`.
    pub default_locale: Locale,
    /// At least one; unique; in file order.
    pub locales: Vec<Locale>,
    /// Lower-case host names the council's shop is served on; unique.
    pub hosts: Vec<String>,
    pub branding: Branding,
    pub payment: PaymentConfig,
    pub vat_codes: Vec<VatCodeConfig>,
    /// In file order.
    pub products: Vec<ProductConfig>,
    /// In file order; empty without zones.geojson.
    pub zones: Vec<ZoneConfig>,
    /// The council's eligibility rules (rules.toml), in file order; empty without the file.
    /// Every rule compiles with `civicpay_rules::CompiledRule::compile`.
    pub rules: Vec<RuleSpec>,
    /// Proration, emission-class prices and the registered-letter rule (pricing.toml); the
    /// defaults without the file.
    pub pricing: PricingConfig,
    /// Which adapter answers for each register (registry.toml); file-backed by default.
    pub registry: RegistryConfig,
    /// The citizens' eID log-in (login.toml); `None` without the file: no eID log-in.
    pub login: Option<LoginConfig>,
}

impl TenantConfig {
    pub fn product(&self, sku: &Sku) -> Option<&ProductConfig> {
        self.products.iter().find(|p| &p.sku == sku)
    }
    pub fn vat_code(&self, code: &str) -> Option<&VatCodeConfig> {
        self.vat_codes.iter().find(|v| v.code == code)
    }
    pub fn zone(&self, code: &ZoneCode) -> Option<&ZoneConfig> {
        self.zones.iter().find(|z| &z.code == code)
    }
    /// The rules for a product (by SKU or by its kind), in file order.
    pub fn rules_for(&self, product: &ProductConfig) -> Vec<&RuleSpec> {
        self.rules
            .iter()
            .filter(|r| {
                r.applies_to
                    .matches(product.sku.as_str(), product.kind.as_str())
            })
            .collect()
    }
}

/// How the council prices permit corrections (pricing.toml); see `civicpay_domain::pricing`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PricingConfig {
    /// How extensions, cancellations and zone changes are prorated; `month` by default.
    pub proration: ProrationUnit,
    /// In file order. Every product is of kind `permit`; no product has two tables taking
    /// effect on the same date; every price change of a product in products.toml after one of
    /// its tables took effect is matched by a later table at or before the change. Fuel classes
    /// are lower-case, amounts in the council's currency and not negative.
    pub emission_tables: Vec<EmissionTable>,
    /// S0-7; `None` when the council adds no registered-letter fee. The fee product exists and
    /// is of kind `fee`; every kind is sold by some product; `above` is in the council's currency.
    pub registered_letter: Option<RegisteredLetterRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branding {
    /// `#rrggbb`, lower-case.
    pub primary_color: String,
    /// Path relative to the tenant folder; the file exists.
    pub logo: Option<String>,
    pub support_email: Option<Email>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentConfig {
    /// One of [`GATEWAYS`]: "sandbox" or "stripe".
    pub gateway: String,
    /// At least one of [`PAYMENT_METHODS`], unique, usable in the council's currency.
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VatCodeConfig {
    /// The council's name for the rate, e.g. "standard"; lower-case, unique.
    pub code: String,
    pub rate: VatRate,
    pub name: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductConfig {
    pub sku: Sku,
    pub kind: ProductKind,
    pub name: LocalizedText,
    /// Empty when the file gives none.
    pub description: LocalizedText,
    /// The finance system's key revenue is booked to, e.g. "6110-parking-resident".
    pub ledger_key: String,
    /// One of the council's `vat_codes`.
    pub vat_code: String,
    /// At least one; sorted by `effective_from`, dates unique; amounts in the council's
    /// currency and not negative; each carries the product's `vat_code`.
    pub prices: Vec<PriceVersion>,
    /// One of the council's `zones`.
    pub zone: Option<ZoneCode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneConfig {
    pub code: ZoneCode,
    pub name: LocalizedText,
    /// The feature's GeoJSON geometry object as written: a Polygon or MultiPolygon with closed
    /// rings of at least four [longitude, latitude] positions in range.
    pub geometry: serde_json::Value,
}

/// Reads and validates the tenant folder `dir`, collecting every problem across its files.
pub fn load(dir: &Path) -> Result<TenantConfig, ConfigErrors> {
    let mut errors = Vec::new();
    if !dir.is_dir() {
        errors.push(file_error(
            dir,
            "not a directory; expected a tenant folder such as tenants/kobenhavn",
        ));
        return Err(ConfigErrors(errors));
    }
    let folder_name = folder_name(dir);

    let draft = match read_source(&dir.join(TENANT_FILE), true, &mut errors) {
        Some(source) => {
            let mut sink = Sink {
                source: &source,
                errors: &mut errors,
            };
            match node::parse(&mut sink) {
                Some(root) => tenant::read(&root, dir, folder_name.as_deref(), &mut sink),
                None => tenant::TenantDraft::default(),
            }
        }
        None => tenant::TenantDraft::default(),
    };
    let locales = draft.locales.as_deref();

    let zones_path = dir.join(ZONES_FILE);
    let has_zones_file = zones_path.exists();
    let zones_read = if has_zones_file {
        match read_source(&zones_path, true, &mut errors) {
            Some(source) => {
                let mut sink = Sink {
                    source: &source,
                    errors: &mut errors,
                };
                zones::read(&source, locales, &mut sink)
            }
            None => zones::ZonesRead {
                zones: None,
                codes: None,
                codes_complete: false,
            },
        }
    } else {
        zones::ZonesRead {
            zones: Some(Vec::new()),
            codes: Some(Vec::new()),
            codes_complete: true,
        }
    };

    let products = match read_source(&dir.join(PRODUCTS_FILE), true, &mut errors) {
        Some(source) => {
            let mut sink = Sink {
                source: &source,
                errors: &mut errors,
            };
            let ctx = products::Context {
                currency: draft.currency,
                locales,
                vat_codes: draft.vat_code_names.as_deref(),
                vat_codes_complete: draft.vat_code_names_complete,
                zones: zones_read.codes.as_deref(),
                zones_complete: zones_read.codes_complete,
                has_zones_file,
            };
            node::parse(&mut sink).and_then(|root| products::read(&root, &ctx, &mut sink))
        }
        None => None,
    };

    let rules_path = dir.join(RULES_FILE);
    let rules = if rules_path.exists() {
        match read_source(&rules_path, true, &mut errors) {
            Some(source) => {
                let mut sink = Sink {
                    source: &source,
                    errors: &mut errors,
                };
                let ctx = rules::Context {
                    locales,
                    products: products
                        .as_ref()
                        .map(|ps| ps.iter().map(|p| (p.sku.clone(), p.kind)).collect()),
                };
                node::parse(&mut sink).and_then(|root| rules::read(&root, &ctx, &mut sink))
            }
            None => None,
        }
    } else {
        Some(Vec::new())
    };

    let pricing_path = dir.join(PRICING_FILE);
    let pricing = if pricing_path.exists() {
        match read_source(&pricing_path, true, &mut errors) {
            Some(source) => {
                let mut sink = Sink {
                    source: &source,
                    errors: &mut errors,
                };
                let ctx = pricing::Context {
                    currency: draft.currency,
                    products: products.as_deref(),
                };
                node::parse(&mut sink).and_then(|root| pricing::read(&root, &ctx, &mut sink))
            }
            None => None,
        }
    } else {
        Some(PricingConfig::default())
    };

    let registry_path = dir.join(REGISTRY_FILE);
    let registry = if registry_path.exists() {
        match read_source(&registry_path, true, &mut errors) {
            Some(source) => {
                let mut sink = Sink {
                    source: &source,
                    errors: &mut errors,
                };
                node::parse(&mut sink).and_then(|root| registry::read(&root, &mut sink))
            }
            None => None,
        }
    } else {
        Some(RegistryConfig::default())
    };

    let login_path = dir.join(LOGIN_FILE);
    let login = if login_path.exists() {
        match read_source(&login_path, true, &mut errors) {
            Some(source) => {
                let mut sink = Sink {
                    source: &source,
                    errors: &mut errors,
                };
                let ctx = login::Context { locales };
                node::parse(&mut sink)
                    .and_then(|root| login::read(&root, &ctx, &mut sink))
                    .map(Some)
            }
            None => None,
        }
    } else {
        Some(None)
    };

    check_stray_files(dir, &mut errors);

    if !errors.is_empty() {
        sort_errors(&mut errors);
        return Err(ConfigErrors(errors));
    }
    let built = (|| {
        Some(TenantConfig {
            slug: draft.slug?,
            name: draft.name?,
            country: draft.country?,
            currency: draft.currency?,
            timezone: draft.timezone?,
            default_locale: draft.default_locale?,
            locales: draft.locales?,
            hosts: draft.hosts?,
            branding: draft.branding?,
            payment: draft.payment?,
            vat_codes: draft.vat_codes?,
            products: products?,
            zones: zones_read.zones?,
            rules: rules?,
            pricing: pricing?,
            registry: registry?,
            login: login?,
        })
    })();
    built.ok_or_else(|| {
        ConfigErrors(vec![file_error(
            dir,
            "internal error: the folder was read without errors but is incomplete; please report this",
        )])
    })
}

/// Loads every subfolder of `root` that holds a tenant.toml, sorted by path. On top of each
/// folder's own checks, a host claimed by two councils is an error in both. If `root` cannot be
/// read, the result is one entry for `root` with that error.
pub fn load_all(root: &Path) -> Vec<(PathBuf, Result<TenantConfig, ConfigErrors>)> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) => {
            return vec![(
                root.to_path_buf(),
                Err(ConfigErrors(vec![file_error(
                    root,
                    format!("cannot read the tenants folder: {e}"),
                )])),
            )];
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && path.join(TENANT_FILE).is_file())
        .collect();
    dirs.sort();
    let mut results: Vec<(PathBuf, Result<TenantConfig, ConfigErrors>)> = dirs
        .into_iter()
        .map(|dir| {
            let result = load(&dir);
            (dir, result)
        })
        .collect();
    check_shared_hosts(&mut results);
    results
}

fn check_shared_hosts(results: &mut [(PathBuf, Result<TenantConfig, ConfigErrors>)]) {
    let mut claims: Vec<(String, usize, String)> = Vec::new();
    for (index, (_, result)) in results.iter().enumerate() {
        if let Ok(config) = result {
            for host in &config.hosts {
                claims.push((host.clone(), index, config.slug.to_string()));
            }
        }
    }
    let mut found: Vec<(usize, ConfigError)> = Vec::new();
    for (host, index, _) in &claims {
        let others: Vec<&str> = claims
            .iter()
            .filter(|(h, i, _)| h == host && i != index)
            .map(|(_, _, slug)| slug.as_str())
            .collect();
        if others.is_empty() {
            continue;
        }
        let Some((dir, _)) = results.get(*index) else {
            continue;
        };
        let path = dir.join(TENANT_FILE);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let source = Source::new(path, text);
        let span = tenant::span_of_quoted(&source.text, host);
        found.push((
            *index,
            source.error(
                span,
                "hosts",
                format!(
                    "host \"{host}\" is also claimed by {}; expected every host to belong to one council",
                    others.join(", ")
                ),
            ),
        ));
    }
    for (index, error) in found {
        if let Some((_, result)) = results.get_mut(index) {
            match result {
                Err(errors) => errors.0.push(error),
                Ok(_) => *result = Err(ConfigErrors(vec![error])),
            }
        }
    }
}

/// The folder's own name, which the slug must equal.
fn folder_name(dir: &Path) -> Option<String> {
    let name = |p: &Path| p.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    name(dir).or_else(|| dir.canonicalize().ok().as_deref().and_then(name))
}

fn read_source(path: &Path, required: bool, errors: &mut Vec<ConfigError>) -> Option<Source> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(Source::new(path.to_path_buf(), text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if required {
                errors.push(file_error(
                    path,
                    "file not found; every tenant folder needs tenant.toml and products.toml",
                ));
            }
            None
        }
        Err(e) => {
            errors.push(file_error(
                path,
                format!("cannot read the file ({e}); expected UTF-8 text"),
            ));
            None
        }
    }
}

/// Configuration-looking files the loader would silently skip are most likely misnamed.
fn check_stray_files(dir: &Path, errors: &mut Vec<ConfigError>) {
    // On equally close names the first wins: "prices.toml" is nearer to pricing than rules.
    const KNOWN: &[&str] = &[
        TENANT_FILE,
        PRODUCTS_FILE,
        ZONES_FILE,
        PRICING_FILE,
        RULES_FILE,
        REGISTRY_FILE,
        LOGIN_FILE,
    ];
    const CONFIG_EXTENSIONS: &[&str] = &["toml", "geojson", "json", "yaml", "yml"];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut stray: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            CONFIG_EXTENSIONS.contains(&ext) && !KNOWN.contains(&name)
        })
        .collect();
    stray.sort();
    for path in stray {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let hint = node::closest(name, KNOWN)
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        errors.push(file_error(
            &path,
            format!(
                "unexpected file{hint}; a tenant folder holds {TENANT_FILE}, {PRODUCTS_FILE} and optionally {ZONES_FILE}, {RULES_FILE}, {PRICING_FILE}, {REGISTRY_FILE} and {LOGIN_FILE}"
            ),
        ));
    }
}

/// tenant.toml first, then products.toml, zones.geojson, rules.toml, pricing.toml and other
/// files; by line within each.
fn sort_errors(errors: &mut [ConfigError]) {
    let rank = |e: &ConfigError| match e.file.file_name().and_then(|n| n.to_str()) {
        Some(TENANT_FILE) => 0,
        Some(PRODUCTS_FILE) => 1,
        Some(ZONES_FILE) => 2,
        Some(RULES_FILE) => 3,
        Some(PRICING_FILE) => 4,
        Some(REGISTRY_FILE) => 5,
        Some(LOGIN_FILE) => 6,
        _ => 7,
    };
    errors.sort_by_key(|e| {
        (
            rank(e),
            e.file.clone(),
            e.line.unwrap_or(0),
            e.column.unwrap_or(0),
        )
    });
}
