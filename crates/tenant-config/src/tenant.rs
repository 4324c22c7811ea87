//! `tenant.toml`: who the council is, where it is served, how it is paid, its VAT codes.

use crate::error::Sink;
use crate::fields::{join, localized_field, parsed};
use crate::node::{Node, Span, Table, Val, expect_array, node_str};
use crate::{Branding, PaymentConfig, VatCodeConfig};
use civicpay_domain::{CountryCode, Email, Locale, LocalizedText, TenantSlug};
use civicpay_money::{Currency, VatRate};
use std::path::{Component, Path};

pub(crate) const FIELDS: &[&str] = &[
    "slug",
    "name",
    "country",
    "currency",
    "timezone",
    "default_locale",
    "locales",
    "hosts",
    "branding",
    "payment",
    "vat_code",
];
const BRANDING_FIELDS: &[&str] = &["primary_color", "logo", "support_email"];
const PAYMENT_FIELDS: &[&str] = &["gateway", "methods"];
const VAT_CODE_FIELDS: &[&str] = &["code", "rate", "name"];

/// Payment gateways the platform can talk to.
pub const GATEWAYS: &[&str] = &["sandbox", "stripe"];
/// Payment methods a council may offer.
pub const PAYMENT_METHODS: &[&str] = &[
    "card",
    "mobilepay",
    "ideal",
    "blik",
    "p24",
    "cash",
    "invoice",
];
/// Logo file types the shop can show.
const LOGO_EXTENSIONS: &[&str] = &["svg", "png", "jpg", "jpeg", "webp"];
/// First part of an IANA time-zone name.
const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Etc",
    "Europe",
    "Indian",
    "Pacific",
];

/// What could be read from tenant.toml; a `None` means the field was missing or broken (and an
/// error says so). Later files are checked against whatever is known.
#[derive(Default)]
pub(crate) struct TenantDraft {
    pub slug: Option<TenantSlug>,
    pub name: Option<LocalizedText>,
    pub country: Option<CountryCode>,
    pub currency: Option<Currency>,
    pub timezone: Option<String>,
    pub default_locale: Option<Locale>,
    /// `None` when the list itself is broken: then texts are not checked against it.
    pub locales: Option<Vec<Locale>>,
    pub hosts: Option<Vec<String>>,
    pub branding: Option<Branding>,
    pub payment: Option<PaymentConfig>,
    pub vat_codes: Option<Vec<VatCodeConfig>>,
    /// Every well-formed VAT code written, even where its rate or name is broken, so that
    /// products' references can be judged; `None` when the section is unusable.
    pub vat_code_names: Option<Vec<String>>,
    /// False when some `[[vat_code]]` has no usable code (so a reference may be to it).
    pub vat_code_names_complete: bool,
}

pub(crate) fn read(
    root: &Node,
    dir: &Path,
    folder_name: Option<&str>,
    sink: &mut Sink<'_>,
) -> TenantDraft {
    let mut draft = TenantDraft::default();
    let Some(table) = Table::root(root, sink) else {
        return draft;
    };
    table.deny_unknown(FIELDS, sink);

    draft.locales = read_locales(&table, sink);
    let locales = draft.locales.as_deref();

    if let Some((slug, span)) = parsed(
        &table,
        "slug",
        "the council's slug",
        TenantSlug::parse,
        sink,
    ) {
        if let Some(folder) = folder_name
            && slug.as_str() != folder
        {
            sink.push(
                span,
                "slug",
                format!(
                    "slug \"{slug}\" does not match the folder name \"{folder}\"; expected slug = \"{folder}\" (or rename the folder)"
                ),
            );
        }
        draft.slug = Some(slug);
    }
    draft.name = localized_field(&table, "name", locales, sink);
    draft.country = parsed(
        &table,
        "country",
        "an ISO 3166-1 alpha-2 country code such as \"DK\"",
        CountryCode::parse,
        sink,
    )
    .map(|(c, _)| c);
    draft.currency = parsed(
        &table,
        "currency",
        "an ISO 4217 currency code such as \"DKK\"",
        Currency::parse,
        sink,
    )
    .map(|(c, _)| c);
    draft.timezone = parsed(
        &table,
        "timezone",
        "an IANA time zone such as \"Europe/Copenhagen\"",
        check_timezone,
        sink,
    )
    .map(|(t, _)| t);
    if let Some((default_locale, span)) = parsed(
        &table,
        "default_locale",
        "a locale such as \"da\"",
        Locale::parse,
        sink,
    ) {
        if let Some(locales) = locales
            && !locales.contains(&default_locale)
        {
            sink.push(
                span,
                "default_locale",
                format!(
                    "default locale \"{default_locale}\" is not in `locales` ({}); expected one of them",
                    join(locales)
                ),
            );
        }
        draft.default_locale = Some(default_locale);
    }
    draft.hosts = read_hosts(&table, sink);
    draft.branding = read_branding(&table, dir, sink);
    draft.payment = read_payment(&table, draft.currency, sink);
    let (vat_codes, names, complete) = read_vat_codes(&table, locales, sink);
    draft.vat_codes = vat_codes;
    draft.vat_code_names = names;
    draft.vat_code_names_complete = complete;
    draft
}

fn read_locales(table: &Table<'_>, sink: &mut Sink<'_>) -> Option<Vec<Locale>> {
    const WHAT: &str = "a list of locales such as [\"da\", \"en\"]";
    let entry = table.required("locales", WHAT, sink)?;
    let items = expect_array(entry, "locales", WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            "locales",
            format!("the list is empty; expected {WHAT}"),
        );
        return None;
    }
    let mut locales: Vec<Locale> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let field = format!("locales[{i}]");
        let span = item.span.clone().or(entry.span());
        let Some((raw, span)) = node_str(item, span, &field, "a locale", sink) else {
            ok = false;
            continue;
        };
        match Locale::parse(raw) {
            Ok(locale) if locales.contains(&locale) => {
                sink.push(span, field, format!("locale \"{locale}\" is listed twice"));
            }
            Ok(locale) => locales.push(locale),
            Err(e) => {
                sink.push(span, field, e.to_string());
                ok = false;
            }
        }
    }
    ok.then_some(locales)
}

fn read_hosts(table: &Table<'_>, sink: &mut Sink<'_>) -> Option<Vec<String>> {
    const WHAT: &str = "a list of host names such as [\"pay.kobenhavn.example\"]";
    let entry = table.required("hosts", WHAT, sink)?;
    let items = expect_array(entry, "hosts", WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            entry.span(),
            "hosts",
            format!("the list is empty; expected {WHAT}"),
        );
        return None;
    }
    let mut hosts: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("hosts[{i}]");
        let span = item.span.clone().or(entry.span());
        let Some((raw, span)) = node_str(item, span, &field, "a host name", sink) else {
            continue;
        };
        match check_host(raw) {
            Ok(()) if hosts.iter().any(|h| h == raw) => {
                sink.push(span, field, format!("host \"{raw}\" is listed twice"));
            }
            Ok(()) => hosts.push(raw.to_owned()),
            Err(message) => sink.push(span, field, message),
        }
    }
    Some(hosts)
}

/// A host name as the platform routes on it: lower-case ASCII (IDNs in punycode), at least two
/// dot-separated labels of 1–63 letters, digits or inner hyphens, no scheme, port or path.
pub(crate) fn check_host(raw: &str) -> Result<(), String> {
    const EXPECTED: &str = "expected a lower-case host name such as \"pay.kobenhavn.example\" (no scheme, port or path)";
    if raw.contains("://") || raw.contains('/') || raw.contains(':') {
        return Err(format!(
            "host \"{raw}\" is not a bare host name; {EXPECTED}"
        ));
    }
    if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "host \"{raw}\" has upper-case letters; expected \"{}\"",
            raw.to_ascii_lowercase()
        ));
    }
    let labels: Vec<&str> = raw.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_is_numeric = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if raw.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || top_is_numeric {
        return Err(format!("host \"{raw}\" is invalid; {EXPECTED}"));
    }
    Ok(())
}

/// An IANA zone name has the shape Area/Location (no time-zone database is consulted).
fn check_timezone(raw: &str) -> Result<String, String> {
    let mut parts = raw.split('/');
    let area = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let segment_ok = |s: &&str| {
        s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    if TZ_AREAS.contains(&area) && !rest.is_empty() && rest.iter().all(segment_ok) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "time zone \"{raw}\" is invalid: expected an IANA name Area/City such as \"Europe/Copenhagen\" (area one of {}; use \"Etc/UTC\" for UTC)",
            TZ_AREAS.join(", ")
        ))
    }
}

fn read_branding(table: &Table<'_>, dir: &Path, sink: &mut Sink<'_>) -> Option<Branding> {
    let entry = table.required(
        "branding",
        "a [branding] table with at least primary_color",
        sink,
    )?;
    let branding = Table::of(&entry.node, entry.key_span.clone(), "branding".into(), sink)?;
    branding.deny_unknown(BRANDING_FIELDS, sink);

    let primary_color = parsed(
        &branding,
        "primary_color",
        "a colour \"#rrggbb\"",
        |raw| {
            let hex = raw.strip_prefix('#').unwrap_or("");
            if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(raw.to_ascii_lowercase())
            } else {
                Err(format!(
                    "colour \"{raw}\" is invalid; expected \"#rrggbb\" with six hex digits, e.g. \"#1f5ca8\""
                ))
            }
        },
        sink,
    )
    .map(|(c, _)| c);

    let mut ok = true;
    let logo = match branding.opt_string("logo", "a file path", sink) {
        Some((raw, span)) => match check_logo(dir, raw) {
            Ok(()) => Some(raw.to_owned()),
            Err(message) => {
                sink.push(span, branding.field("logo"), message);
                ok = false;
                None
            }
        },
        None => {
            ok &= branding.get("logo").is_none();
            None
        }
    };
    let support_email = match branding.opt_string("support_email", "an e-mail address", sink) {
        Some((raw, span)) => match Email::parse(raw) {
            Ok(email) => Some(email),
            Err(e) => {
                sink.push(span, branding.field("support_email"), e.to_string());
                ok = false;
                None
            }
        },
        None => {
            ok &= branding.get("support_email").is_none();
            None
        }
    };
    let primary_color = primary_color?;
    ok.then_some(Branding {
        primary_color,
        logo,
        support_email,
    })
}

/// The logo is a file inside the tenant folder, given relative to it.
fn check_logo(dir: &Path, raw: &str) -> Result<(), String> {
    let path = Path::new(raw);
    let inside = !raw.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(format!(
            "logo \"{raw}\" must be a path relative to the tenant folder without \"..\", e.g. \"logo.svg\""
        ));
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !LOGO_EXTENSIONS.contains(&extension.as_str()) {
        return Err(format!(
            "logo \"{raw}\" has an unsupported file type; expected one of: {}",
            LOGO_EXTENSIONS.join(", ")
        ));
    }
    if !dir.join(path).is_file() {
        return Err(format!(
            "logo file \"{raw}\" does not exist in {}; expected a file next to tenant.toml",
            dir.display()
        ));
    }
    Ok(())
}

fn read_payment(
    table: &Table<'_>,
    currency: Option<Currency>,
    sink: &mut Sink<'_>,
) -> Option<PaymentConfig> {
    let entry = table.required(
        "payment",
        "a [payment] table with gateway and methods",
        sink,
    )?;
    let payment = Table::of(&entry.node, entry.key_span.clone(), "payment".into(), sink)?;
    payment.deny_unknown(PAYMENT_FIELDS, sink);

    let gateway = parsed(
        &payment,
        "gateway",
        "a payment gateway",
        |raw| {
            if GATEWAYS.contains(&raw) {
                Ok(raw.to_owned())
            } else {
                Err(format!(
                    "unknown gateway \"{raw}\"; expected one of: {}",
                    GATEWAYS.join(", ")
                ))
            }
        },
        sink,
    )
    .map(|(g, _)| g);

    const WHAT: &str = "a list of payment methods such as [\"card\"]";
    let methods_entry = payment.required("methods", WHAT, sink)?;
    let items = expect_array(methods_entry, "payment.methods", WHAT, sink)?;
    if items.is_empty() {
        sink.push(
            methods_entry.span(),
            "payment.methods",
            format!("the list is empty; expected {WHAT}"),
        );
    }
    let mut methods: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("payment.methods[{i}]");
        let span = item.span.clone().or(methods_entry.span());
        let Some((raw, span)) = node_str(item, span, &field, "a payment method", sink) else {
            continue;
        };
        if !PAYMENT_METHODS.contains(&raw) {
            sink.push(
                span,
                field,
                format!(
                    "unknown payment method \"{raw}\"; expected one of: {}",
                    PAYMENT_METHODS.join(", ")
                ),
            );
            continue;
        }
        if methods.iter().any(|m| m == raw) {
            sink.push(
                span,
                field,
                format!("payment method \"{raw}\" is listed twice"),
            );
            continue;
        }
        if let Some(currency) = currency
            && let Some(allowed) = method_currencies(raw)
            && !allowed.contains(&currency.code())
        {
            sink.push(
                span.clone(),
                &field,
                format!(
                    "payment method \"{raw}\" is not available for {}; it needs {}",
                    currency.code(),
                    allowed.join(" or ")
                ),
            );
        }
        methods.push(raw.to_owned());
    }
    Some(PaymentConfig {
        gateway: gateway?,
        methods,
    })
}

/// Currencies a local payment method settles in; `None` for methods without a restriction.
fn method_currencies(method: &str) -> Option<&'static [&'static str]> {
    match method {
        "ideal" => Some(&["EUR"]),
        "blik" => Some(&["PLN"]),
        "p24" => Some(&["PLN", "EUR"]),
        _ => None,
    }
}

fn read_vat_codes(
    table: &Table<'_>,
    locales: Option<&[Locale]>,
    sink: &mut Sink<'_>,
) -> (Option<Vec<VatCodeConfig>>, Option<Vec<String>>, bool) {
    const WHAT: &str = "one or more [[vat_code]] tables with code, rate and name";
    let Some(entry) = table.required("vat_code", WHAT, sink) else {
        return (None, None, false);
    };
    let Some(items) = expect_array(entry, "vat_code", WHAT, sink) else {
        return (None, None, false);
    };
    if items.is_empty() {
        sink.push(
            entry.span(),
            "vat_code",
            format!("the list is empty; expected {WHAT}"),
        );
    }
    let mut codes: Vec<VatCodeConfig> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("vat_code[{i}]");
        let Some(vat) = Table::of(item, entry.span(), path, sink) else {
            complete = false;
            continue;
        };
        vat.deny_unknown(VAT_CODE_FIELDS, sink);
        let code = parsed(
            &vat,
            "code",
            "a VAT code such as \"standard\"",
            |raw| {
                let ok = (1..=32).contains(&raw.len())
                    && raw.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if ok {
                    Ok(raw.to_owned())
                } else {
                    Err(format!(
                        "VAT code \"{raw}\" is invalid; expected 1-32 characters a-z, 0-9, '-' or '_' (e.g. \"standard\")"
                    ))
                }
            },
            sink,
        );
        if let Some((code, span)) = &code {
            if names.contains(code) {
                sink.push(
                    span.clone(),
                    vat.field("code"),
                    format!("VAT code \"{code}\" is defined twice"),
                );
            } else {
                names.push(code.clone());
            }
        } else {
            complete = false;
        }
        let rate = read_rate(&vat, sink);
        let name = localized_field(&vat, "name", locales, sink);
        if let (Some((code, _)), Some(rate), Some(name)) = (code, rate, name) {
            codes.push(VatCodeConfig { code, rate, name });
        }
    }
    (Some(codes), Some(names), complete)
}

/// `rate = "25"` or `rate = 25` (percent); fractions only as strings (`"12.5"`), never floats.
fn read_rate(vat: &Table<'_>, sink: &mut Sink<'_>) -> Option<VatRate> {
    const WHAT: &str = "a VAT rate in percent such as \"25\"";
    let entry = vat.required("rate", WHAT, sink)?;
    let field = vat.field("rate");
    let raw = match &entry.node.value {
        Val::Str(s) => s.clone(),
        Val::Int(i) => i.to_string(),
        Val::Float => {
            sink.push(
                entry.span(),
                field,
                "VAT rate written as a floating-point number; expected a string such as \"12.5\" (exact decimals)",
            );
            return None;
        }
        other => {
            sink.push(
                entry.span(),
                field,
                format!("expected {WHAT}, found {}", other.describe()),
            );
            return None;
        }
    };
    match VatRate::parse(&raw) {
        Ok(rate) => Some(rate),
        Err(e) => {
            sink.push(
                entry.span(),
                field,
                format!("{e}; expected a percentage such as \"25\", \"9\" or \"0\""),
            );
            None
        }
    }
}

/// Points at a value of tenant.toml by its text, for checks made after parsing (hosts shared
/// between councils).
pub(crate) fn span_of_quoted(text: &str, value: &str) -> Span {
    let needle = format!("\"{value}\"");
    text.find(&needle).map(|start| start..start + needle.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(check_host("pay.kobenhavn.example").is_ok());
        assert!(check_host("xn--kbenhavn-54a.example").is_ok());
        for bad in [
            "Pay.kobenhavn.example",
            "https://pay.x.example",
            "pay.x.example:8080",
            "localhost",
            "-a.example",
            "a..example",
            "10.0.0.1",
            "pay_x.example",
        ] {
            assert!(check_host(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn timezones() {
        assert!(check_timezone("Europe/Copenhagen").is_ok());
        assert!(check_timezone("America/Argentina/Buenos_Aires").is_ok());
        assert!(check_timezone("Etc/GMT+1").is_ok());
        for bad in [
            "UTC",
            "Europe",
            "europe/copenhagen",
            "Mars/Olympus",
            "Europe/",
            "CET",
        ] {
            assert!(check_timezone(bad).is_err(), "{bad} accepted");
        }
    }
}
