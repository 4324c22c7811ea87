//! A local fake eID provider (OpenID Connect) for the citizen log-in's tests, built like the
//! one in `crates/auth/tests/oidc.rs` (wiremock: discovery document, JWKS with an RSA key,
//! RS256 ID tokens this code signs) and extended with an authorize endpoint that hands out
//! one-time codes bound to the login's nonce and PKCE challenge, and a token endpoint that
//! checks them — so a test walks the whole flow: begin → authorize → callback → finish.
//!
//! Test support only; never part of the platform.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::url::{Url, form_urlencoded};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// Test-only RSA keys (copied from crates/auth/tests/oidc.rs), made with `openssl genrsa -traditional 2048`. They guard
// nothing: one plays the provider's signing key, the other an attacker's.
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

fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

/// A compact JWS, RS256, with `kid` in the header.
fn sign(claims: &Value, key: &CoreRsaPrivateSigningKey, kid: &str) -> String {
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

/// Who logs in next, and how the provider misbehaves.
#[derive(Clone)]
pub struct Behaviour {
    /// The national id the eID vouches for, as its claim carries it.
    pub national_id: String,
    /// The `name` claim; `None`: the token has none.
    pub name: Option<String>,
    /// Replaces the audience (the token was meant for another client).
    pub audience: Option<String>,
    /// Signs with an attacker's key under the provider's key id.
    pub forged_signature: bool,
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
}

pub struct FakeProvider {
    pub server: MockServer,
    pub issuer: String,
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
        let mut shared = self.0.lock().unwrap();
        shared.issued += 1;
        let code = format!("code-{}-{}", shared.issued, field("state").len());
        shared.redirect_uris.push(field("redirect_uri"));
        shared.grants.insert(
            code.clone(),
            Grant {
                nonce: field("nonce"),
                code_challenge: field("code_challenge"),
                client_id: field("client_id"),
                redirect_uri: field("redirect_uri"),
            },
        );
        let mut back = Url::parse(&field("redirect_uri")).unwrap();
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &field("state"));
        ResponseTemplate::new(302).insert_header("location", back.as_str())
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
        let invalid_grant = |why: &str| {
            ResponseTemplate::new(400)
                .set_body_json(json!({ "error": "invalid_grant", "error_description": why }))
        };
        let mut shared = self.shared.lock().unwrap();
        // A code works once.
        let Some(grant) = form.get("code").and_then(|c| shared.grants.remove(c)) else {
            return invalid_grant("unknown or used code");
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.code_challenge {
            return invalid_grant("PKCE verifier does not match");
        }
        if form.get("redirect_uri") != Some(&grant.redirect_uri) {
            return invalid_grant("redirect_uri differs from the authorize request's");
        }
        let behaviour = shared.behaviour.clone();
        let now = Utc::now().timestamp();
        let mut claims = json!({
            "iss": shared.issuer,
            "aud": behaviour.audience.clone().unwrap_or(grant.client_id),
            "sub": "fake-mitid-uuid",
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            CPR_CLAIM: behaviour.national_id,
        });
        if let Some(name) = &behaviour.name {
            claims["name"] = json!(name);
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
            "id_token": sign(&claims, signer, "k1"),
        }))
    }
}

impl FakeProvider {
    /// A provider at `{server}/op` with one signing key, `k1`, vouching for `national_id`.
    pub async fn start(national_id: &str) -> Self {
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
        let signing = key(PROVIDER_KEY, "k1");
        let set = CoreJsonWebKeySet::new(vec![signing.as_verification_key()]);
        Mock::given(method("GET"))
            .and(path("/op/jwks"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::to_value(set).unwrap()),
            )
            .mount(&server)
            .await;
        let shared = Arc::new(Mutex::new(Shared {
            issuer: issuer.clone(),
            behaviour: Behaviour {
                national_id: national_id.to_owned(),
                name: None,
                audience: None,
                forged_signature: false,
            },
            grants: HashMap::new(),
            issued: 0,
            redirect_uris: Vec::new(),
        }));
        Mock::given(method("GET"))
            .and(path("/op/authorize"))
            .respond_with(Authorize(shared.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/op/token"))
            .respond_with(Token {
                shared: shared.clone(),
                key: signing,
                other_key: key(OTHER_KEY, "k1"),
            })
            .mount(&server)
            .await;
        Self {
            server,
            issuer,
            shared,
        }
    }

    /// Changes what the next tokens say.
    pub fn behave(&self, edit: impl FnOnce(&mut Behaviour)) {
        edit(&mut self.shared.lock().unwrap().behaviour);
    }

    /// The redirect URIs the authorize endpoint was sent, in order.
    pub fn redirect_uris(&self) -> Vec<String> {
        self.shared.lock().unwrap().redirect_uris.clone()
    }

    /// What the browser does with the authorize URL: the provider authenticates the person and
    /// redirects back; returns the callback URL's `code` and `state`.
    pub async fn authorize(&self, authorize_url: &str) -> (String, String) {
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
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let back: HashMap<String, String> = Url::parse(&location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        (back["code"].clone(), back["state"].clone())
    }
}
