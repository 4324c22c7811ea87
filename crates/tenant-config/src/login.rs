//! `login.toml` (optional): the council's citizen log-in with the national eID — the OpenID
//! Connect provider (an eID broker: MitID / NemLog-in, DigiD, login.gov.pl), the client the
//! council registered there, the claims holding the national id and the name, and the button's
//! label per language. The client secret is only ever *named* (the environment variable that
//! holds it): the folder is committed. Without the file the council has no eID log-in.

use crate::error::Sink;
use crate::fields::localized;
use crate::node::{Node, Table};
use civicpay_domain::{Locale, LocalizedText};
use serde::Serialize;

const FIELDS: &[&str] = &[
    "issuer",
    "client_id",
    "client_secret_env",
    "redirect_url",
    "scopes",
    "national_id_claim",
    "name_claim",
    "company_id_claim",
    "label",
];

/// A council's eID log-in as `login.toml` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginConfig {
    /// The provider's issuer identifier, without a trailing `/`: `https://…`, or `http://` to
    /// a loopback address (a local fake provider).
    pub issuer: String,
    pub client_id: String,
    /// The name of the environment variable holding the client secret (upper-case letters,
    /// digits, `_`); `None`: a public client (PKCE alone).
    pub client_secret_env: Option<String>,
    /// The callback registered with the provider: an absolute `http(s)://` URL, or a path
    /// starting with `/` joined to the platform's public URL. `None`:
    /// `{public URL}/t/{slug}/login/callback`.
    pub redirect_url: Option<String>,
    /// Scopes besides `openid` (always asked for), in file order, unique, e.g. `["mitid"]`.
    pub scopes: Vec<String>,
    /// The ID token claim with the national id, e.g. `dk:gov:saml:attribute:CprNumberIdentifier`.
    pub national_id_claim: String,
    /// The claim with the person's name; `None`: the standard `name`. A token without it
    /// takes the name from the council's person register.
    pub name_claim: Option<String>,
    /// The claim with the company number a person logs in for (business eIDs such as MitID
    /// Erhverv: `dk:gov:saml:attribute:CvrNumberIdentifier`); `None`: people only. A token
    /// without the claim is a person acting for themselves.
    pub company_id_claim: Option<String>,
    /// The log-in button's text in every locale of the council, e.g. "Log ind med MitID".
    pub label: LocalizedText,
}

pub(crate) struct Context<'a> {
    /// The council's locales; `None` when tenant.toml's list is broken.
    pub locales: Option<&'a [Locale]>,
}

fn env_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// `https://…`, or `http://` to localhost / 127.x / [::1].
fn secure_url(raw: &str) -> bool {
    if let Some(rest) = raw.strip_prefix("https://") {
        return !rest.is_empty() && !rest.starts_with('/');
    }
    let Some(rest) = raw.strip_prefix("http://") else {
        return false;
    };
    let host_port = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn claim_ok(claim: &str) -> bool {
    !claim.is_empty() && claim.len() <= 200 && !claim.chars().any(char::is_whitespace)
}

pub(crate) fn read(root: &Node, ctx: &Context<'_>, sink: &mut Sink<'_>) -> Option<LoginConfig> {
    let table = Table::root(root, sink)?;
    let mut ok = true;
    // A secret written in the file, under the name a reader might expect.
    if let Some(entry) = table.get("client_secret") {
        sink.push(
            entry.key_span.clone().or(entry.span()),
            "client_secret",
            "the client secret never goes in this file (the folder is committed): put it in an environment variable and name that variable in `client_secret_env`",
        );
        ok = false;
    }
    let known: Vec<&str> = FIELDS.iter().copied().chain(["client_secret"]).collect();
    // `client_secret` has its own message above; every other unknown key is reported here.
    let unknown_before = sink.errors.len();
    table.deny_unknown(&known, sink);
    if sink.errors.len() > unknown_before {
        ok = false;
    }

    let issuer = match table.string(
        "issuer",
        "the provider's issuer URL, e.g. \"https://broker.example/op\"",
        sink,
    ) {
        Some((raw, span)) => {
            let trimmed = raw.trim_end_matches('/');
            if secure_url(trimmed) {
                Some(trimmed.to_owned())
            } else {
                sink.push(
                    span,
                    "issuer",
                    format!(
                        "{raw:?} is not an https:// URL; expected the provider's issuer such as \"https://broker.example/op\" (plain http only to localhost)"
                    ),
                );
                None
            }
        }
        None => None,
    };

    let client_id = match table.string(
        "client_id",
        "the client id the council registered with the provider",
        sink,
    ) {
        Some((raw, span)) if raw.trim().is_empty() || raw.trim() != raw => {
            sink.push(
                span,
                "client_id",
                "the client id is empty or has spaces around it; expected the id as the provider issued it",
            );
            None
        }
        Some((raw, _)) => Some(raw.to_owned()),
        None => None,
    };

    let client_secret_env = match table.opt_string(
        "client_secret_env",
        "the name of an environment variable",
        sink,
    ) {
        Some((raw, _)) if env_name_ok(raw) => Some(raw.to_owned()),
        Some((raw, span)) => {
            // Do not echo what may be the secret itself.
            let shown = if raw.len() > 4 { "the value" } else { raw };
            sink.push(
                span,
                "client_secret_env",
                format!(
                    "{shown:?} is not an environment variable name; expected upper-case letters, digits and _ such as \"KOBENHAVN_OIDC_CLIENT_SECRET\" (the secret itself never goes in this file)"
                ),
            );
            ok = false;
            None
        }
        None => {
            if table.get("client_secret_env").is_some() {
                ok = false;
            }
            None
        }
    };

    let redirect_url = match table.opt_string(
        "redirect_url",
        "an http(s):// URL or a path starting with /",
        sink,
    ) {
        Some((raw, span)) => {
            let valid = if raw.starts_with('/') {
                !raw.starts_with("//")
                    && raw.len() > 1
                    && !raw.chars().any(|c| c.is_whitespace() || c == '\\')
            } else {
                (raw.starts_with("https://") || raw.starts_with("http://"))
                    && !raw.chars().any(char::is_whitespace)
            };
            if valid {
                Some(raw.to_owned())
            } else {
                sink.push(
                    span,
                    "redirect_url",
                    format!(
                        "{raw:?} is neither an http(s):// URL nor a path starting with /; expected e.g. \"/t/kobenhavn/login/callback\""
                    ),
                );
                ok = false;
                None
            }
        }
        None => {
            if table.get("redirect_url").is_some() {
                ok = false;
            }
            None
        }
    };

    let mut scopes = Vec::new();
    if let Some(entry) = table.get("scopes") {
        const WHAT: &str = "a list of scopes such as [\"mitid\", \"ssn\"]";
        match crate::node::expect_array(entry, "scopes", WHAT, sink) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("scopes[{i}]");
                    let span = item.span.clone().or(entry.span());
                    match crate::node::node_str(item, span, &field, WHAT, sink) {
                        Some((raw, span)) => {
                            if raw.is_empty()
                                || raw.len() > 100
                                || !raw.chars().all(|c| c.is_ascii_graphic() && c != '"')
                            {
                                sink.push(
                                    span,
                                    field,
                                    format!("{raw:?} is not a scope; expected a word without spaces such as \"mitid\""),
                                );
                                ok = false;
                            } else if scopes.iter().any(|s| s == raw) {
                                sink.push(span, field, format!("scope {raw:?} is listed twice"));
                                ok = false;
                            } else {
                                scopes.push(raw.to_owned());
                            }
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }

    let mut claim = |key: &str, required: bool| -> Option<Option<String>> {
        let what = "the name of an ID token claim, e.g. \"cpr\"";
        let found = if required {
            table.string(key, what, sink)
        } else {
            table.opt_string(key, what, sink)
        };
        match found {
            Some((raw, _)) if claim_ok(raw) => Some(Some(raw.to_owned())),
            Some((raw, span)) => {
                sink.push(
                    span,
                    key,
                    format!("{raw:?} is not a claim name; expected a name without spaces such as \"cpr\" or \"dk:gov:saml:attribute:CprNumberIdentifier\""),
                );
                None
            }
            None if !required && table.get(key).is_none() => Some(None),
            None => None,
        }
    };
    let national_id_claim = claim("national_id_claim", true).flatten();
    let name_claim = claim("name_claim", false);
    let company_id_claim = claim("company_id_claim", false);

    let label = match table.required(
        "label",
        "the log-in button's text per language, e.g. `label.da = \"Log ind med MitID\"`",
        sink,
    ) {
        Some(entry) => {
            let before = sink.errors.len();
            let text = localized(entry, "label", ctx.locales, sink);
            if sink.errors.len() > before {
                None
            } else {
                text
            }
        }
        None => None,
    };
    let config = LoginConfig {
        issuer: issuer?,
        client_id: client_id?,
        client_secret_env,
        redirect_url,
        scopes,
        national_id_claim: national_id_claim?,
        name_claim: name_claim?,
        company_id_claim: company_id_claim?,
        label: label?,
    };
    ok.then_some(config)
}

impl LoginConfig {
    /// The button's label in `locale`, else in `fallback`, else any.
    pub fn label_for(&self, locale: &Locale, fallback: &Locale) -> &str {
        self.label.get(locale, fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_or_loopback() {
        assert!(secure_url("https://broker.example/op"));
        assert!(secure_url("http://127.0.0.1:4000/op"));
        assert!(secure_url("http://localhost/op"));
        assert!(secure_url("http://[::1]:8080"));
        assert!(!secure_url("http://broker.example/op"));
        assert!(!secure_url("http://127.0.0.1.evil.example/op"));
        assert!(!secure_url("https://"));
        assert!(!secure_url("broker.example"));
    }
}
