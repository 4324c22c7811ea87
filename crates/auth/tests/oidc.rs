//! The OpenID Connect relying party against a local fake eID provider (wiremock) that serves a
//! discovery document, a JWKS with an RSA key, and a token endpoint answering with an ID token
//! this test signs (RS256). A good login, what the authorize URL and the token request carry,
//! and every refusal: bad signature, wrong audience, expired, wrong nonce, wrong issuer, a state
//! that does not match, a login started too long ago, a missing national-id claim, a token
//! endpoint refusing the code, a provider whose discovery fails; and signing-key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use civicpay_auth::{
    IdTokenRejection, Identity, OidcConfig, OidcError, OidcProvider, PendingLogin,
};
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::url::Url;
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// Test-only RSA keys, made for these tests with `openssl genrsa -traditional 2048`. They guard
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

const CLIENT_ID: &str = "civicpay-aarhus";
const CLIENT_SECRET: &str = "s3cret-of-the-council";
const REDIRECT: &str = "https://pay.example/t/aarhus/login/callback";
const CPR_CLAIM: &str = "dk:gov:saml:attribute:CprNumberIdentifier";
const CPR: &str = "0101701234";
const CODE: &str = "the-authorization-code";
const ACCESS_TOKEN: &str = "the-access-token";

fn key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

fn jwks(keys: &[&CoreRsaPrivateSigningKey]) -> Value {
    let set = CoreJsonWebKeySet::new(keys.iter().map(|k| k.as_verification_key()).collect());
    serde_json::to_value(set).unwrap()
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

struct Fake {
    server: MockServer,
    issuer: String,
    key: CoreRsaPrivateSigningKey,
}

/// A provider at `{server}/op` with one signing key, `k1`.
async fn fake() -> Fake {
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
    let key = key(PROVIDER_KEY, "k1");
    Mock::given(method("GET"))
        .and(path("/op/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&key])))
        .mount(&server)
        .await;
    Fake {
        server,
        issuer,
        key,
    }
}

fn config(fake: &Fake) -> OidcConfig {
    OidcConfig {
        issuer: fake.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(SecretString::from(CLIENT_SECRET)),
        redirect_url: REDIRECT.into(),
        scopes: vec!["mitid".into(), "ssn".into()],
        national_id_claim: CPR_CLAIM.into(),
        name_claim: None,
    }
}

async fn provider(fake: &Fake) -> OidcProvider {
    OidcProvider::discover(config(fake)).await.unwrap()
}

/// The claims of a good ID token for `pending`.
fn good_claims(fake: &Fake, pending: &PendingLogin) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "iss": fake.issuer,
        "aud": CLIENT_ID,
        "sub": "7f1c2a9e-mitid-uuid",
        "iat": now,
        "exp": now + 300,
        "nonce": pending.nonce,
        "acr": "https://data.gov.dk/concept/core/nsis/loa/Substantial",
        "name": "Mette Sørensen",
        CPR_CLAIM: CPR,
    })
}

/// The token endpoint answers with `id_token`.
async fn token_endpoint_answers(fake: &Fake, id_token: &str) {
    Mock::given(method("POST"))
        .and(path("/op/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        })))
        .mount(&fake.server)
        .await;
}

/// Starts a login, has the provider answer with the claims `edit` makes of good ones (signed
/// with the provider's key), and finishes it.
async fn login_with(edit: impl FnOnce(&mut Value)) -> Result<Identity, OidcError> {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    let mut claims = good_claims(&fake, &pending);
    edit(&mut claims);
    let id_token = sign(&claims, &fake.key, "k1");
    token_endpoint_answers(&fake, &id_token).await;
    let result = provider.finish(&pending, CODE, &pending.state).await;
    if let Err(e) = &result {
        assert_safe_message(e, &id_token, &pending);
    }
    result
}

/// No error message carries the national id, the code, a token or a secret of the login.
fn assert_safe_message(e: &OidcError, id_token: &str, pending: &PendingLogin) {
    let message = format!("{e} {e:?}");
    for secret in [
        CPR,
        CODE,
        id_token,
        ACCESS_TOKEN,
        CLIENT_SECRET,
        &pending.nonce,
        &pending.pkce_verifier,
    ] {
        assert!(!message.contains(secret), "{message:?} shows a secret");
    }
}

fn rejection(result: Result<Identity, OidcError>) -> IdTokenRejection {
    match result {
        Err(OidcError::InvalidIdToken(r)) => r,
        other => panic!("expected InvalidIdToken, got {other:?}"),
    }
}

async fn token_requests(fake: &Fake) -> Vec<Request> {
    fake.server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/op/token")
        .collect()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    openidconnect::url::form_urlencoded::parse(body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn a_good_login_gives_the_national_id_and_name() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let start = provider.begin();
    let id_token = sign(&good_claims(&fake, &start.pending), &fake.key, "k1");
    token_endpoint_answers(&fake, &id_token).await;

    // The future is Send: a handler may run it on any worker.
    fn send<T: Send>(t: T) -> T {
        t
    }
    let identity = send(provider.finish(&start.pending, CODE, &start.pending.state))
        .await
        .unwrap();

    assert_eq!(identity.national_id, CPR);
    assert_eq!(identity.name.as_deref(), Some("Mette Sørensen"));
    assert_eq!(identity.subject, "7f1c2a9e-mitid-uuid");
    assert_eq!(identity.issuer, fake.issuer);
    assert_eq!(
        identity.acr.as_deref(),
        Some("https://data.gov.dk/concept/core/nsis/loa/Substantial")
    );
    assert!(!format!("{identity:?}").contains(CPR));
}

#[tokio::test]
async fn national_id_and_name_come_from_the_configured_claims() {
    let fake = fake().await;
    let provider = OidcProvider::discover(OidcConfig {
        national_id_claim: "bsn".into(),
        name_claim: Some("full_name".into()),
        client_secret: None,
        ..config(&fake)
    })
    .await
    .unwrap();
    let pending = provider.begin().pending;
    let mut claims = good_claims(&fake, &pending);
    claims["bsn"] = json!(999993653);
    claims["full_name"] = json!("Jan de Vries");
    token_endpoint_answers(&fake, &sign(&claims, &fake.key, "k1")).await;

    let identity = provider
        .finish(&pending, CODE, &pending.state)
        .await
        .unwrap();
    assert_eq!(identity.national_id, "999993653");
    assert_eq!(identity.name.as_deref(), Some("Jan de Vries"));

    // A public client: no Basic credentials, the client id in the body.
    let request = &token_requests(&fake).await[0];
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(form(&request.body)["client_id"], CLIENT_ID);
}

#[tokio::test]
async fn the_authorize_url_carries_pkce_state_nonce_and_scopes() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let start = provider.begin();
    let url = Url::parse(&start.authorize_url).unwrap();
    assert_eq!(
        format!("{}{}", url.origin().ascii_serialization(), url.path()),
        format!("{}/op/authorize", fake.server.uri())
    );
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let pending = &start.pending;

    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT);
    assert_eq!(query["state"], pending.state);
    assert_eq!(query["nonce"], pending.nonce);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(
        query["code_challenge"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(pending.pkce_verifier.as_bytes()))
    );
    let scopes: Vec<&str> = query["scope"].split(' ').collect();
    assert_eq!(scopes, ["openid", "mitid", "ssn"]);
    assert!(pending.state.len() >= 22 && pending.nonce.len() >= 22);
    assert!(pending.pkce_verifier.len() >= 43);
    assert!(
        (Utc::now() - pending.created_at).num_seconds().abs() < 5,
        "created now"
    );

    // Every login is new.
    let again = provider.begin().pending;
    assert_ne!(again.state, pending.state);
    assert_ne!(again.nonce, pending.nonce);
    assert_ne!(again.pkce_verifier, pending.pkce_verifier);

    // What the app stores survives a round trip.
    let stored = serde_json::to_string(pending).unwrap();
    assert_eq!(
        &serde_json::from_str::<PendingLogin>(&stored).unwrap(),
        pending
    );
    // Its Debug shows no secret.
    let shown = format!("{pending:?}");
    assert!(!shown.contains(&pending.pkce_verifier) && !shown.contains(&pending.nonce));
}

#[tokio::test]
async fn the_token_request_carries_the_code_and_the_pkce_verifier() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    token_endpoint_answers(&fake, &sign(&good_claims(&fake, &pending), &fake.key, "k1")).await;
    provider
        .finish(&pending, CODE, &pending.state)
        .await
        .unwrap();

    let requests = token_requests(&fake).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    let body = form(&request.body);
    assert_eq!(body["grant_type"], "authorization_code");
    assert_eq!(body["code"], CODE);
    assert_eq!(body["code_verifier"], pending.pkce_verifier);
    assert_eq!(body["redirect_uri"], REDIRECT);
    assert!(!body.contains_key("client_secret"));
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        basic.as_str()
    );
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    // The forger claims the provider's key id.
    let forged = sign(&good_claims(&fake, &pending), &key(OTHER_KEY, "k1"), "k1");
    token_endpoint_answers(&fake, &forged).await;
    let result = provider.finish(&pending, CODE, &pending.state).await;
    if let Err(e) = &result {
        assert_safe_message(e, &forged, &pending);
    }
    assert!(matches!(
        rejection(result),
        IdTokenRejection::BadSignature(_)
    ));
}

#[tokio::test]
async fn a_token_signed_by_an_unknown_key_is_refused() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    let forged = sign(&good_claims(&fake, &pending), &key(OTHER_KEY, "k9"), "k9");
    token_endpoint_answers(&fake, &forged).await;
    let result = provider.finish(&pending, CODE, &pending.state).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::BadSignature(_)
    ));
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let result = login_with(|c| c["aud"] = json!("civicpay-odense")).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::WrongAudience(_)
    ));
    let result = login_with(|c| c["aud"] = json!([CLIENT_ID, "someone-else"])).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::WrongAudience(_)
    ));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let result = login_with(|c| {
        let now = Utc::now().timestamp();
        c["iat"] = json!(now - 900);
        c["exp"] = json!(now - 600);
    })
    .await;
    assert!(matches!(rejection(result), IdTokenRejection::Expired(_)));
}

#[tokio::test]
async fn a_token_with_another_nonce_is_refused() {
    let result = login_with(|c| c["nonce"] = json!("a-nonce-of-another-login")).await;
    assert!(matches!(rejection(result), IdTokenRejection::WrongNonce(_)));
    let result = login_with(|c| {
        c.as_object_mut().unwrap().remove("nonce");
    })
    .await;
    assert!(matches!(rejection(result), IdTokenRejection::WrongNonce(_)));
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let result = login_with(|c| c["iss"] = json!("https://evil.example/op")).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::WrongIssuer(_)
    ));
}

#[tokio::test]
async fn a_state_that_does_not_match_is_refused_before_the_code_is_used() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    token_endpoint_answers(&fake, &sign(&good_claims(&fake, &pending), &fake.key, "k1")).await;
    let other = provider.begin().pending;
    let result = provider.finish(&pending, CODE, &other.state).await;
    assert!(
        matches!(result, Err(OidcError::StateMismatch)),
        "{result:?}"
    );
    let result = provider.finish(&pending, CODE, "").await;
    assert!(
        matches!(result, Err(OidcError::StateMismatch)),
        "{result:?}"
    );
    assert!(token_requests(&fake).await.is_empty());
}

#[tokio::test]
async fn a_login_started_over_ten_minutes_ago_is_refused() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let mut pending = provider.begin().pending;
    token_endpoint_answers(&fake, &sign(&good_claims(&fake, &pending), &fake.key, "k1")).await;
    pending.created_at = Utc::now() - Duration::minutes(10) - Duration::seconds(1);
    let result = provider.finish(&pending, CODE, &pending.state).await;
    assert!(matches!(result, Err(OidcError::Expired)), "{result:?}");
    assert!(token_requests(&fake).await.is_empty());

    // Nine minutes is still in time.
    pending.created_at = Utc::now() - Duration::minutes(9);
    provider
        .finish(&pending, CODE, &pending.state)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_without_the_national_id_claim_is_refused() {
    let result = login_with(|c| {
        c.as_object_mut().unwrap().remove(CPR_CLAIM);
    })
    .await;
    match result {
        Err(OidcError::MissingClaim(claim)) => assert_eq!(claim, CPR_CLAIM),
        other => panic!("expected MissingClaim, got {other:?}"),
    }
    let result = login_with(|c| c[CPR_CLAIM] = json!("  ")).await;
    assert!(
        matches!(result, Err(OidcError::MissingClaim(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_refused_code_is_a_token_endpoint_error() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    let pending = provider.begin().pending;
    Mock::given(method("POST"))
        .and(path("/op/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "the code was already used"
        })))
        .mount(&fake.server)
        .await;
    let result = provider.finish(&pending, CODE, &pending.state).await;
    match &result {
        Err(OidcError::TokenEndpoint(message)) => {
            assert!(message.contains("invalid_grant"), "{message}");
            assert!(message.contains("already used"), "{message}");
        }
        other => panic!("expected TokenEndpoint, got {other:?}"),
    }
    assert_safe_message(&result.unwrap_err(), "(no ID token was issued)", &pending);
}

#[tokio::test]
async fn a_provider_whose_discovery_fails_is_a_discovery_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/op/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(500).set_body_string("internal error"))
        .mount(&server)
        .await;
    let fake = Fake {
        issuer: format!("{}/op", server.uri()),
        server,
        key: key(PROVIDER_KEY, "k1"),
    };
    let result = OidcProvider::discover(config(&fake)).await;
    match result {
        Err(OidcError::Discovery(message)) => assert!(message.contains("500"), "{message}"),
        other => panic!("expected Discovery, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_again() {
    let fake = fake().await;
    let provider = provider(&fake).await;
    // The provider rotates: its JWKS now also has k2, and it signs with k2.
    let new_key = key(OTHER_KEY, "k2");
    Mock::given(method("GET"))
        .and(path("/op/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&fake.key, &new_key])))
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let pending = provider.begin().pending;
    token_endpoint_answers(&fake, &sign(&good_claims(&fake, &pending), &new_key, "k2")).await;
    let identity = provider
        .finish(&pending, CODE, &pending.state)
        .await
        .unwrap();
    assert_eq!(identity.national_id, CPR);
}

#[tokio::test]
async fn a_misconfigured_council_is_refused_before_any_request() {
    let fake = fake().await;
    for bad in [
        OidcConfig {
            issuer: "http://broker.example/op".into(),
            ..config(&fake)
        },
        OidcConfig {
            redirect_url: "not a url".into(),
            ..config(&fake)
        },
        OidcConfig {
            national_id_claim: " ".into(),
            ..config(&fake)
        },
    ] {
        let result = OidcProvider::discover(bad).await;
        assert!(matches!(result, Err(OidcError::Config(_))), "{result:?}");
    }
    assert!(fake.server.received_requests().await.unwrap().is_empty());
}

#[test]
fn the_provider_can_be_shared_between_requests() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<OidcProvider>();
}
