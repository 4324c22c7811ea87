//! `registry.toml` (optional): which adapter answers for each of the council's registers —
//! the file-backed demo register in `registry/`, or the real public API (Haal Centraal BRP,
//! RDW Open Data, CVR, PDOK Locatieserver) with its URL, timeout and the *names* of the
//! environment variables holding its credentials (never the secrets themselves: the folder is
//! committed). Without the file every register is file-backed when `registry/` exists.

use crate::error::Sink;
use crate::node::{Node, Table, Val};
use serde::Serialize;

/// The registers a council can configure, and the adapters each accepts.
pub const REGISTERS: &[(&str, &[&str])] = &[
    ("person", &["file", "haal_centraal_brp"]),
    ("vehicle", &["file", "rdw_open_data"]),
    ("business", &["file", "cvr_distribution"]),
    ("address", &["file", "pdok_locatieserver"]),
];

const SOURCE_FIELDS: &[&str] = &[
    "adapter",
    "base_url",
    "timeout_ms",
    "api_key_env",
    "user_env",
    "password_env",
];

/// Where one register's answers come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterSource {
    /// One of the register's adapters in [`REGISTERS`].
    pub adapter: String,
    /// An `http://` or `https://` URL; `None`: the adapter's public default.
    pub base_url: Option<String>,
    /// 100–60000; `None`: the adapter's default (3 s).
    pub timeout_ms: Option<u32>,
    /// Names of environment variables (upper case, digits, `_`).
    pub api_key_env: Option<String>,
    pub user_env: Option<String>,
    pub password_env: Option<String>,
}

impl RegisterSource {
    pub fn file() -> Self {
        Self {
            adapter: "file".into(),
            base_url: None,
            timeout_ms: None,
            api_key_env: None,
            user_env: None,
            password_env: None,
        }
    }

    pub fn is_file(&self) -> bool {
        self.adapter == "file"
    }
}

/// Every register's source; each defaults to the file-backed register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryConfig {
    /// The council's official municipality code(s) as the registers write them (DK
    /// kommunekode `0101`, NL CBS `0599`): an address is "in the city" when its code is one of
    /// these. Empty: an address is in the city when it lies in one of the council's zones.
    pub municipality_codes: Vec<String>,
    /// How long a register's answer is reused, in seconds (0: never); `None`: 600.
    pub cache_ttl_seconds: Option<u32>,
    pub person: RegisterSource,
    pub vehicle: RegisterSource,
    pub business: RegisterSource,
    pub address: RegisterSource,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            municipality_codes: Vec::new(),
            cache_ttl_seconds: None,
            person: RegisterSource::file(),
            vehicle: RegisterSource::file(),
            business: RegisterSource::file(),
            address: RegisterSource::file(),
        }
    }
}

impl RegistryConfig {
    /// Any register reads the folder `registry/`.
    pub fn uses_files(&self) -> bool {
        [&self.person, &self.vehicle, &self.business, &self.address]
            .iter()
            .any(|s| s.is_file())
    }
}

fn env_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

pub(crate) fn read(root: &Node, sink: &mut Sink<'_>) -> Option<RegistryConfig> {
    let table = Table::root(root, sink)?;
    let mut names: Vec<&str> = REGISTERS.iter().map(|(n, _)| *n).collect();
    names.push("municipality_codes");
    names.push("cache_ttl_seconds");
    table.deny_unknown(&names, sink);
    let mut config = RegistryConfig::default();
    let mut complete = true;
    if let Some(entry) = table.get("cache_ttl_seconds") {
        match &entry.node.value {
            Val::Int(n) if (0..=86_400).contains(n) => {
                config.cache_ttl_seconds = u32::try_from(*n).ok();
            }
            other => {
                sink.push(
                    entry.span(),
                    "cache_ttl_seconds".to_owned(),
                    format!(
                        "expected a whole number of seconds from 0 to 86400, found {}",
                        match other {
                            Val::Int(n) => n.to_string(),
                            other => other.describe().to_owned(),
                        }
                    ),
                );
                complete = false;
            }
        }
    }
    if let Some(entry) = table.get("municipality_codes") {
        const WHAT: &str = "a list of municipality codes such as [\"0101\"]";
        match crate::node::expect_array(entry, "municipality_codes", WHAT, sink) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("municipality_codes[{i}]");
                    let span = item.span.clone().or(entry.span());
                    match crate::node::node_str(item, span, &field, WHAT, sink) {
                        Some((raw, span)) => {
                            if raw.is_empty()
                                || raw.len() > 10
                                || !raw.bytes().all(|b| b.is_ascii_alphanumeric())
                            {
                                sink.push(
                                    span,
                                    field,
                                    format!("{raw:?} is not a municipality code; expected 1-10 letters or digits such as \"0101\""),
                                );
                                complete = false;
                            } else {
                                config.municipality_codes.push(raw.to_owned());
                            }
                        }
                        None => complete = false,
                    }
                }
            }
            None => complete = false,
        }
    }
    for (register, adapters) in REGISTERS {
        let Some(entry) = table.get(register) else {
            continue;
        };
        let Some(source) = Table::of(&entry.node, entry.span(), (*register).to_owned(), sink)
        else {
            complete = false;
            continue;
        };
        match read_source(&source, adapters, sink) {
            Some(read) => match *register {
                "person" => config.person = read,
                "vehicle" => config.vehicle = read,
                "business" => config.business = read,
                _ => config.address = read,
            },
            None => complete = false,
        }
    }
    complete.then_some(config)
}

fn read_source(
    table: &Table<'_>,
    adapters: &[&str],
    sink: &mut Sink<'_>,
) -> Option<RegisterSource> {
    table.deny_unknown(SOURCE_FIELDS, sink);
    let mut ok = true;
    let expected = adapters
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(" or ");
    let adapter = match table.string("adapter", &expected, sink) {
        Some((raw, _)) if adapters.contains(&raw) => Some(raw.to_owned()),
        Some((raw, span)) => {
            let hint = crate::node::closest(raw, adapters)
                .map(|a| format!(" (did you mean \"{a}\"?)"))
                .unwrap_or_default();
            sink.push(
                span,
                table.field("adapter"),
                format!("unknown adapter {raw:?}{hint}; expected {expected}"),
            );
            None
        }
        None => None,
    };
    let base_url = match table.opt_string("base_url", "an http:// or https:// URL", sink) {
        Some((raw, span)) => {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                Some(raw.trim_end_matches('/').to_owned())
            } else {
                sink.push(
                    span,
                    table.field("base_url"),
                    format!("{raw:?} is not a URL; expected an http:// or https:// URL"),
                );
                ok = false;
                None
            }
        }
        None => None,
    };
    let timeout_ms = match table.get("timeout_ms") {
        Some(entry) => match &entry.node.value {
            Val::Int(n) if (100..=60_000).contains(n) => u32::try_from(*n).ok(),
            other => {
                sink.push(
                    entry.span(),
                    table.field("timeout_ms"),
                    format!(
                        "expected a whole number of milliseconds from 100 to 60000, found {}",
                        match other {
                            Val::Int(n) => n.to_string(),
                            other => other.describe().to_owned(),
                        }
                    ),
                );
                ok = false;
                None
            }
        },
        None => None,
    };
    let mut env = |key: &str| -> Option<String> {
        let (raw, span) = table.opt_string(key, "the name of an environment variable", sink)?;
        if env_name_ok(raw) {
            Some(raw.to_owned())
        } else {
            sink.push(
                span,
                table.field(key),
                format!(
                    "{raw:?} is not an environment variable name; expected upper-case letters, digits and _ (the secret itself never goes in this file)"
                ),
            );
            ok = false;
            None
        }
    };
    let api_key_env = env("api_key_env");
    let user_env = env("user_env");
    let password_env = env("password_env");
    let adapter = adapter?;
    if adapter == "cvr_distribution" && (user_env.is_none() || password_env.is_none()) {
        sink.push(
            table.span.clone(),
            table.field("user_env"),
            "the CVR distribution API needs a user and a password: set user_env and password_env"
                .to_owned(),
        );
        ok = false;
    }
    if adapter == "haal_centraal_brp" && api_key_env.is_none() {
        sink.push(
            table.span.clone(),
            table.field("api_key_env"),
            "the Haal Centraal BRP API needs a key: set api_key_env".to_owned(),
        );
        ok = false;
    }
    ok.then_some(RegisterSource {
        adapter,
        base_url,
        timeout_ms,
        api_key_env,
        user_env,
        password_env,
    })
}
