//! A local fake eID provider (OpenID Connect) for the citizen log-in's tests, on wiremock: the
//! discovery document, a JWKS with a test-only RSA key, an authorize endpoint handing out
//! one-time codes bound to the login's nonce, PKCE challenge, client and redirect URI, and a
//! token endpoint that checks them and signs RS256 ID tokens — so a test walks the whole flow:
//! begin → authorize → callback → finish. [`Behaviour`] says who logs in and how the provider
//! misbehaves.
//!
//! ```no_run
//! # async fn example(authorize_url: &str) {
//! use civicpay_fake_oidc::{COMPANY_CLAIM, FakeProvider};
//! let fake = FakeProvider::start("1204851006").await; // at `fake.issuer` = `{server}/op`
//! fake.behave(|b| {
//!     b.name = Some("Mette Sørensen".into());
//!     b.extra_claims.insert(COMPANY_CLAIM.into(), "31022142".into());
//! });
//! // What the browser does at the authorize URL the relying party made:
//! let (code, state) = fake.authorize(authorize_url).await;
//! # }
//! ```
//!
//! [`FakeProvider::metadata_only`] serves discovery and the JWKS alone, for tests that answer the
//! token endpoint themselves with tokens they sign ([`sign`], [`provider_key`], [`other_key`],
//! [`jwks`]).
//!
//! Test support only: a dev-dependency, never part of the platform.
// Test support: a broken fixture should fail the test at once, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::url::{Url, form_urlencoded};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// Test-only RSA keys, made for these tests with `openssl genrsa -traditional 2048`. They guard
// nothing: one plays the provider's signing key, the other an attacker's (or the provider's
// next key, in a key-rotation test).
const PROVIDER_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIIEpAIBAAKCAQEAuB0XykLfT6VuqJ/5iRRR2ywVZ+nqVvpdN0s70L7fGfE5Uo4/\n\
4OH1jK5zY/esLpeb0WdceQ8y6nbhMnrQDFdCw6IknUCQ/A1vQpMp87lb52rrghZ5\n\
lrx1oFdargdLTCLEwdpLH6Udhp+Jqg2S3o3gKmMjtOmcY9/JIuvJdBRFP49VGRhQ\n\
+qrexxVeNZ4sBMW9hXwcNv2BO1DpnBMg2qeoSvsUf1kUrowiHl7K0PJweg7J0kbG\n\
3sBaRSNdRQepBQY6HG+slie4otxTEw1BamaRWQfoRtfeKW4uDoecmpnBCuFC2BF7\n\
nTsybdwVkGvnwJPYfcUlSiS/UKxDIud+5tHV7wIDAQABAoIBACF2MCezhbCNCZKe\n\
GJUgW0wxM+bB7bRHJn/xLXrf5d5qKBfoAJYXmzApWJF3pxSEu24Qkg7ygzd3ybAK\n\
ABvuFBVIN81YucEFlA4OfxZrvtdNaGYpPYn20I4GslVkv/ujag0tZm/m63nXLwb4\n\
FpRaRr6NbCTqPGEuf/jXz7JIKNnHHSFnuWrp/JJpHBIQHVQPkY2rt1UrRrT4mwkx\n\
vwA4C5Gqikw1p3c+jfueidHvQ6p+XQFYryIMpBa72FPuN86mV8KZm9uS+exRjgLd\n\
La2q7y3u8GeQWNCuGhpJ/zviGllH+qSWpIixRV812EesvJRc81vYA6d/coiWpksC\n\
N8R0GmECgYEA4TL551bC8Airiltk/c3E2nXJG7Z37GJzgUJOUhz/o4zWA3+b1FCw\n\
jy6pilsdMNM83lRbuScAYth28rjhx6sxAvL1umnHASvDFsCN00LRaXIFUx003MEW\n\
qUb756FJUjCfMI5mFj1W80lobpeb77V64bfl1uoQEUYSA36Xm7iJ0Z8CgYEA0UuR\n\
UQ9ya92xMdCiNQY3mCHrVZghFYTSUTUQWbEwhgGbr4NnoZ+agrSigC0UCZpEgimF\n\
2wAp7Df/CHAcFdFJSfgqATFeIHjvymFYXcfMPrsDDFm+Kgc9TVzgCH9K7Qc2vxPC\n\
dH+N+THWSxnNqepERx4BiIuO84xUKdAEbmV0ubECgYEAkBug06svn47MxwLpQ4jz\n\
maCaCwPfBgOSSnr1x5IK/MvY//Ae9eSUt2tyzrizm1TxtIxjDb6pfpdqtrQctzsT\n\
aAG1wY6C7Hrmop6hozk07LcsNR2RgFqHd9eWx4jsdI3ssJPPPBgQliq5i1u1S9Xk\n\
RqD5kWfC1Gr0iAvwVJPojZ0CgYBU0Gi9DqNxrs8lvsRc9H4G+ofhkdqmW8LXAcf0\n\
cOeXBoPOplOSnZkBqq3Hf30FPyzQCn+h9fkHLtH822GmPb+TaCutfBIG2rthqf0j\n\
U9oi+aoMkTmM0o43EZIAH4V/dFLtL9a3WxFvkJCksnozhynQIArDCLsPWyioIRIK\n\
oragoQKBgQCAq0N2t7IJGu9yRwzUDaQfPlaFOLS7uBXiQ6fY744yKlY7MqISbvFJ\n\
3TRajNUdC7G/iOHFbX5TE0azJiXNVqBc95eQKzyx6IqGsSElRiSI4/fFXjxhgSOq\n\
YjgkuB4orLds2o3nmK/AzJW6BANu2qIdwJ7SUslVjeNEYUyZW1iByQ==\n\
-----END RSA PRIVATE KEY-----";
const OTHER_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\n\
MIIEogIBAAKCAQEAvXqIZSSFTPXKYESgKkwEV3MoeHDU0w4NCjPbBhpbr7ZJ+k29\n\
eo19u77ragqs/IbceQ9Pj1jZPq3Y0ZbjhKiDlZUZkqp6n55tdMRdXI5/oyKGGIWg\n\
TumIvMzTVtENzY1Adrd6WNqiqRnlRDWaQ7hcv+XBr/pRWsl0cJMYOQ0zpdVEyvR6\n\
v4+iwW2Jg3DRD+2GJweEGflC03SysNAHZbTHlowwxzQd4+Cv0Vgtye7qv8fOA+9z\n\
egedbs9iV9NibqJJSAxnFOoRtkt6ygADHRC2pf63Js+6OC2KE2FPBHDkynTRcnHX\n\
qLWUj/71uH9g47igNcKIwHoMHgK6aCovvGFmGQIDAQABAoIBAAvD/5M0PNjGDG6E\n\
5GMr/DsH6hPsgbKnVTT0el27JkVXbumNiT4CajPNy6V2iz5VC3yy8DBJBphnSCbf\n\
lTooEp+ntgJO9rVRq59MEDYOnStemfAM4CL2Smja2SazbYV9h2q3wu+gh+gzNPLS\n\
10TsPkomNKw+QW3/Q204HRFx2eqqo6/ckgG8gz4endy9YkIJ62yC/V1mP40YQwYJ\n\
Yzz1joTniQh0bICcM1+VYsc6MfcYXS9lubUoalr8wPxZImdm92joYfezeSUUBeCj\n\
0bTYzKxTDzm2VV7KzwMtLV9BTa39TLL3hmuWdtcd2NA5A13+LipHE9zliHmJJldY\n\
gh0xwHkCgYEA5DQ5dPSaXK5EhftQfpMOC5VOSS9GhOsxb1Lml9a/sdeMW7DvFkOs\n\
iA8ruQUmbBessXvlbO/jNMTp/B4dc8xaSmk2JpAiSh9V9FnGQOsL7SReOGEFw3rB\n\
0nDXT1LUjpk49xlDsyE0r1uFTEsOhs3XBtBstKUCaGWkTie9d4gUg10CgYEA1I7J\n\
wErw7zkyQyPGLThjNVgrSc0f85OqI9z1RsXbS2ByW8V/8eOooO5RbDTKbsksnQiw\n\
iKN8ajYDuOD5Cb6Y9/10SEA/N+Ab/t0S5EfQyxI8R/63ToTLEK5CYEqvDj1gS7Cj\n\
aI5eHL8sYo7zIGpEmthoiNc4RNIXB/prLkynXe0CgYAfYyd79KC+mqGGJBjgL+3A\n\
nhqUalIyuf6kpyxcOgdHuLPvcJiR4WD7ncqPuiuctmzkRHw7zYrcmTDtol6+rJ7G\n\
mU3/Y9ezhjfWUfq4txt+1H+5FW8rgdjizu5uVKAztNNm+SycmLacX+QnqDMpS2qF\n\
32j0N7XrEf/VWBXxOOBJaQKBgBL+L0jfaWf21Gbra2ne//5kQnn1ukUpjKpntAL+\n\
6vlxRMaufyA+F3NJ2Dyy+uOrVjEx9ZRAB332FZ8PezFDtqdyHlHWa8+yVs4PMwDy\n\
6dU7a+eC+x4o/3weFhBEnB/JnDEnN3LAReiLrIuh+leLJ1YuwCh6Eq0TmLs9xRX+\n\
A3aBAoGAaXH7wZAZVR6rlre54JVSg7iLrDsMyeDZHMzyNB/2NewGArnnXCQ7aWgK\n\
mHhL/EddWbQYoCVDiRRQhee1QwEPwWhI/FYjywjZi39OpHjpxOnNCL4q0VdBGq9S\n\
B6WeSOxr8TV79QQLm49Uhgl1IhDDZxzvUZVgTD73aH7eHH3ky5w=\n\
-----END RSA PRIVATE KEY-----";

/// The claim the fake puts the national id in (as a Danish broker does).
pub const CPR_CLAIM: &str = "dk:gov:saml:attribute:CprNumberIdentifier";
/// The claim a Danish business eID (MitID Erhverv) puts the company number (CVR) in: for
/// [`Behaviour::extra_claims`].
pub const COMPANY_CLAIM: &str = "dk:gov:saml:attribute:CvrNumberIdentifier";
/// The key id the fake's JWKS publishes its signing key under, and its tokens carry.
pub const SIGNING_KID: &str = "k1";
/// The `sub` of the fake's tokens.
pub const SUBJECT: &str = "fake-mitid-uuid";

/// The provider's signing key (the one in its JWKS), under key id `kid`.
pub fn provider_key(kid: &str) -> CoreRsaPrivateSigningKey {
    key(PROVIDER_KEY, kid)
}

/// Another RSA key, under key id `kid`: an attacker's, or the provider's next one.
pub fn other_key(kid: &str) -> CoreRsaPrivateSigningKey {
    key(OTHER_KEY, kid)
}

fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

/// A JWKS document publishing the public halves of `keys`.
pub fn jwks(keys: &[&CoreRsaPrivateSigningKey]) -> Value {
    let set = CoreJsonWebKeySet::new(keys.iter().map(|k| k.as_verification_key()).collect());
    serde_json::to_value(set).unwrap()
}

/// A compact JWS of `claims`, RS256, with `kid` in the header.
pub fn sign(claims: &Value, key: &CoreRsaPrivateSigningKey, kid: &str) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Who logs in next, and how the provider misbehaves. Change it with [`FakeProvider::behave`];
/// it applies to the codes the authorize endpoint hands out and the tokens the token endpoint
/// signs from then on.
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// The national id the eID vouches for, as [`CPR_CLAIM`] carries it.
    pub national_id: String,
    /// The `name` claim; `None`: the token has none.
    pub name: Option<String>,
    /// Replaces the audience (the token was meant for another client).
    pub audience: Option<String>,
    /// Signs with an attacker's key ([`other_key`]) under the provider's key id.
    pub forged_signature: bool,
    /// The token expired ten minutes ago (`iat` a quarter of an hour ago), well past any leeway.
    pub expired: bool,
    /// Claims merged into the ID token's last, so they add to the standard ones or replace them
    /// (`iss`, `aud`, `exp`, `nonce`, the national id…), e.g. a company number
    /// `{COMPANY_CLAIM: "31022142"}`.
    pub extra_claims: Map<String, Value>,
    /// `Some(description)`: the person cancels at the broker. The authorize endpoint hands out
    /// no code and redirects back with `error=access_denied`, `error_description` and the
    /// `state`, as RFC 6749 §4.1.2.1 says.
    pub access_denied: Option<String>,
}

impl Behaviour {
    /// A well-behaved provider vouching for `national_id`, without a name.
    pub fn vouching_for(national_id: &str) -> Self {
        Self {
            national_id: national_id.to_owned(),
            ..Self::default()
        }
    }
}

struct Grant {
    nonce: String,
    code_challenge: String,
    client_id: String,
    redirect_uri: String,
}

struct Shared {
    issuer: String,
    behaviour: Behaviour,
    grants: HashMap<String, Grant>,
    issued: u64,
    /// Every `redirect_uri` the authorize endpoint was sent.
    redirect_uris: Vec<String>,
    /// Confidential clients: client id → the secret the token endpoint requires (HTTP Basic).
    secrets: HashMap<String, String>,
}

/// The fake provider, at [`FakeProvider::issuer`] = `{server}/op`: discovery at
/// `/op/.well-known/openid-configuration`, JWKS at `/op/jwks` (one key, [`SIGNING_KID`]), authorize at
/// `/op/authorize`, token at `/op/token`.
pub struct FakeProvider {
    /// The wiremock server: mount more mocks on it (they win over the fake's with a higher
    /// priority), read `received_requests()`.
    pub server: MockServer,
    /// The issuer, as discovery announces it and its tokens carry: `{server}/op`.
    pub issuer: String,
    key: CoreRsaPrivateSigningKey,
    shared: Arc<Mutex<Shared>>,
}

struct Authorize(Arc<Mutex<Shared>>);

impl Respond for Authorize {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let field = |name: &str| query.get(name).cloned().unwrap_or_default();
        if field("response_type") != "code" || field("code_challenge_method") != "S256" {
            return ResponseTemplate::new(400).set_body_string("code flow with PKCE S256 only");
        }
        let Ok(mut back) = Url::parse(&field("redirect_uri")) else {
            return ResponseTemplate::new(400).set_body_string("no usable redirect_uri");
        };
        let mut shared = self.0.lock().unwrap();
        shared.redirect_uris.push(field("redirect_uri"));
        if let Some(description) = shared.behaviour.access_denied.clone() {
            back.query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", &description)
                .append_pair("state", &field("state"));
            return ResponseTemplate::new(302).insert_header("location", back.as_str());
        }
        shared.issued += 1;
        let code = format!("code-{}-{}", shared.issued, field("state").len());
        shared.grants.insert(
            code.clone(),
            Grant {
                nonce: field("nonce"),
                code_challenge: field("code_challenge"),
                client_id: field("client_id"),
                redirect_uri: field("redirect_uri"),
            },
        );
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &field("state"));
        ResponseTemplate::new(302).insert_header("location", back.as_str())
    }
}

/// The client's credentials as the token request carries them: HTTP Basic (each half
/// form-urlencoded, RFC 6749 §2.3.1) or `client_id` in the body (a public client).
fn client_of(request: &Request, form: &HashMap<String, String>) -> (String, Option<String>) {
    let basic = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let decode = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    match basic.as_deref().and_then(|b| b.split_once(':')) {
        Some((id, secret)) => (decode(id), Some(decode(secret))),
        None => (form.get("client_id").cloned().unwrap_or_default(), None),
    }
}

struct Token {
    shared: Arc<Mutex<Shared>>,
    key: CoreRsaPrivateSigningKey,
    other_key: CoreRsaPrivateSigningKey,
}

impl Respond for Token {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        let refuse = |status: u16, error: &str, why: &str| {
            ResponseTemplate::new(status)
                .set_body_json(json!({ "error": error, "error_description": why }))
        };
        if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return refuse(400, "unsupported_grant_type", "authorization_code only");
        }
        let mut shared = self.shared.lock().unwrap();
        let (client_id, secret) = client_of(request, &form);
        if let Some(required) = shared.secrets.get(&client_id)
            && secret.as_ref() != Some(required)
        {
            return refuse(401, "invalid_client", "client authentication failed");
        }
        // A code works once.
        let Some(grant) = form.get("code").and_then(|c| shared.grants.remove(c)) else {
            return refuse(400, "invalid_grant", "unknown or used code");
        };
        if client_id != grant.client_id {
            return refuse(
                400,
                "invalid_grant",
                "the code was issued to another client",
            );
        }
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.code_challenge {
            return refuse(400, "invalid_grant", "PKCE verifier does not match");
        }
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return refuse(
                400,
                "invalid_grant",
                "redirect_uri differs from the authorize request's",
            );
        }
        let behaviour = shared.behaviour.clone();
        let now = Utc::now().timestamp();
        let (iat, exp) = if behaviour.expired {
            (now - 900, now - 600)
        } else {
            (now, now + 300)
        };
        let mut claims = json!({
            "iss": shared.issuer,
            "aud": behaviour.audience.clone().unwrap_or(grant.client_id),
            "sub": SUBJECT,
            "iat": iat,
            "exp": exp,
            "nonce": grant.nonce,
            CPR_CLAIM: behaviour.national_id,
        });
        if let Some(name) = &behaviour.name {
            claims["name"] = json!(name);
        }
        if let Some(all) = claims.as_object_mut() {
            all.extend(behaviour.extra_claims.clone());
        }
        let signer = if behaviour.forged_signature {
            &self.other_key
        } else {
            &self.key
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "the-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": sign(&claims, signer, SIGNING_KID),
        }))
    }
}

impl FakeProvider {
    /// The whole provider, vouching for `national_id` (without a name) until told otherwise.
    pub async fn start(national_id: &str) -> Self {
        let fake = Self::metadata_only().await;
        fake.behave(|b| b.national_id = national_id.to_owned());
        Mock::given(method("GET"))
            .and(path("/op/authorize"))
            .respond_with(Authorize(fake.shared.clone()))
            .mount(&fake.server)
            .await;
        Mock::given(method("POST"))
            .and(path("/op/token"))
            .respond_with(Token {
                shared: fake.shared.clone(),
                key: provider_key(SIGNING_KID),
                other_key: other_key(SIGNING_KID),
            })
            .mount(&fake.server)
            .await;
        fake
    }

    /// Only the discovery document and the JWKS: the test mounts its own token endpoint
    /// (`/op/token`) answering with tokens it signs ([`FakeProvider::sign`]); [`Behaviour`] and
    /// [`FakeProvider::authorize`] do nothing here.
    pub async fn metadata_only() -> Self {
        let server = MockServer::start().await;
        let base = server.uri();
        let issuer = format!("{base}/op");
        Mock::given(method("GET"))
            .and(path("/op/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{base}/op/authorize"),
                "token_endpoint": format!("{base}/op/token"),
                "jwks_uri": format!("{base}/op/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "mitid", "ssn"]
            })))
            .mount(&server)
            .await;
        let key = provider_key(SIGNING_KID);
        Mock::given(method("GET"))
            .and(path("/op/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&key])))
            .mount(&server)
            .await;
        let shared = Arc::new(Mutex::new(Shared {
            issuer: issuer.clone(),
            behaviour: Behaviour::default(),
            grants: HashMap::new(),
            issued: 0,
            redirect_uris: Vec::new(),
            secrets: HashMap::new(),
        }));
        Self {
            server,
            issuer,
            key,
            shared,
        }
    }

    /// The provider's signing key (the one its JWKS publishes, [`SIGNING_KID`]).
    pub fn key(&self) -> &CoreRsaPrivateSigningKey {
        &self.key
    }

    /// `claims` signed as the provider signs its tokens (RS256, [`SIGNING_KID`]).
    pub fn sign(&self, claims: &Value) -> String {
        sign(claims, &self.key, SIGNING_KID)
    }

    /// Changes what the next codes and tokens say.
    pub fn behave(&self, edit: impl FnOnce(&mut Behaviour)) {
        edit(&mut self.shared.lock().unwrap().behaviour);
    }

    /// Makes `client_id` a confidential client: the token endpoint then refuses its requests
    /// (401 `invalid_client`) unless they carry `secret` with HTTP Basic. Other clients are
    /// public (the client id in the body).
    pub fn require_client_secret(&self, client_id: &str, secret: &str) {
        self.shared
            .lock()
            .unwrap()
            .secrets
            .insert(client_id.to_owned(), secret.to_owned());
    }

    /// The redirect URIs the authorize endpoint was sent, in order.
    pub fn redirect_uris(&self) -> Vec<String> {
        self.shared.lock().unwrap().redirect_uris.clone()
    }

    /// What the browser does with the authorize URL: the provider authenticates the person (or
    /// they cancel, [`Behaviour::access_denied`]) and it redirects back; returns that callback
    /// URL (with `code` and `state`, or `error`, `error_description` and `state`).
    pub async fn authorize_redirect(&self, authorize_url: &str) -> String {
        let client = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client.get(authorize_url).send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            302,
            "{:?}",
            response.text().await
        );
        response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// [`FakeProvider::authorize_redirect`] for a person who logs in: the callback URL's `code`
    /// and `state`.
    pub async fn authorize(&self, authorize_url: &str) -> (String, String) {
        let location = self.authorize_redirect(authorize_url).await;
        let back: HashMap<String, String> = Url::parse(&location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        let (Some(code), Some(state)) = (back.get("code"), back.get("state")) else {
            panic!("the provider redirected back without a code: {location}");
        };
        (code.clone(), state.clone())
    }
}
