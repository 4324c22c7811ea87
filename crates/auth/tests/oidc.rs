//! The OpenID Connect relying party against a local fake eID provider (`civicpay-fake-oidc`,
//! on wiremock) that serves a discovery document and a JWKS with an RSA key; most tests answer
//! the token endpoint themselves with an ID token they sign (RS256). A good login, what the
//! authorize URL and the token request carry, and every refusal: bad signature, wrong audience,
//! expired, wrong nonce, wrong issuer, a state that does not match, a login started too long
//! ago, a missing national-id claim, a token endpoint refusing the code, a provider whose
//! discovery fails; signing-key rotation; and the whole flow through the fake's own authorize
//! and token endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use civicpay_auth::{
    IdTokenRejection, Identity, OidcConfig, OidcError, OidcProvider, PendingLogin,
};
use civicpay_fake_oidc::{CPR_CLAIM, FakeProvider, jwks, other_key, sign};
use openidconnect::url::Url;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CLIENT_ID: &str = "civicpay-aarhus";
const CLIENT_SECRET: &str = "s3cret-of-the-council";
const REDIRECT: &str = "https://pay.example/t/aarhus/login/callback";
const CPR: &str = "0101701234";
const CODE: &str = "the-authorization-code";
const ACCESS_TOKEN: &str = "the-access-token";

/// A provider at `{server}/op` with one signing key, `k1`, serving discovery and its JWKS.
async fn fake() -> FakeProvider {
    FakeProvider::metadata_only().await
}

fn config(fake: &FakeProvider) -> OidcConfig {
    config_at(&fake.issuer)
}

fn config_at(issuer: &str) -> OidcConfig {
    OidcConfig {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(SecretString::from(CLIENT_SECRET)),
        redirect_url: REDIRECT.into(),
        scopes: vec!["mitid".into(), "ssn".into()],
        national_id_claim: CPR_CLAIM.into(),
        name_claim: None,
    }
}

async fn provider(fake: &FakeProvider) -> OidcProvider {
    OidcProvider::discover(config(fake)).await.unwrap()
}

/// The claims of a good ID token for `pending`.
fn good_claims(fake: &FakeProvider, pending: &PendingLogin) -> Value {
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
async fn token_endpoint_answers(fake: &FakeProvider, id_token: &str) {
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
    let id_token = fake.sign(&claims);
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

async fn token_requests(fake: &FakeProvider) -> Vec<Request> {
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
    let id_token = fake.sign(&good_claims(&fake, &start.pending));
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
    token_endpoint_answers(&fake, &fake.sign(&claims)).await;

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
    token_endpoint_answers(&fake, &fake.sign(&good_claims(&fake, &pending))).await;
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
    let forged = sign(&good_claims(&fake, &pending), &other_key("k1"), "k1");
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
    let forged = sign(&good_claims(&fake, &pending), &other_key("k9"), "k9");
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
    token_endpoint_answers(&fake, &fake.sign(&good_claims(&fake, &pending))).await;
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
    token_endpoint_answers(&fake, &fake.sign(&good_claims(&fake, &pending))).await;
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
    let result = OidcProvider::discover(config_at(&format!("{}/op", server.uri()))).await;
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
    let new_key = other_key("k2");
    Mock::given(method("GET"))
        .and(path("/op/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[fake.key(), &new_key])))
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

/// Begins a login, lets the fake's authorize endpoint authenticate the person and finishes it
/// with the code and state it redirected back with.
async fn through_the_fake(
    fake: &FakeProvider,
    provider: &OidcProvider,
) -> Result<Identity, OidcError> {
    let start = provider.begin();
    let (code, state) = fake.authorize(&start.authorize_url).await;
    assert_eq!(state, start.pending.state);
    provider.finish(&start.pending, &code, &state).await
}

#[tokio::test]
async fn the_whole_flow_runs_through_the_fake_providers_own_endpoints() {
    let fake = FakeProvider::start(CPR).await;
    fake.require_client_secret(CLIENT_ID, CLIENT_SECRET);
    let provider = OidcProvider::discover(OidcConfig {
        name_claim: Some("full_name".into()),
        ..config(&fake)
    })
    .await
    .unwrap();
    // Extra claims are merged into the token's.
    fake.behave(|b| {
        b.extra_claims
            .insert("full_name".into(), json!("Mette Sørensen"));
        b.extra_claims.insert("acr".into(), json!("substantial"));
    });
    let start = provider.begin();
    let (code, state) = fake.authorize(&start.authorize_url).await;
    let identity = provider
        .finish(&start.pending, &code, &state)
        .await
        .unwrap();
    assert_eq!(identity.national_id, CPR);
    assert_eq!(identity.name.as_deref(), Some("Mette Sørensen"));
    assert_eq!(identity.subject, civicpay_fake_oidc::SUBJECT);
    assert_eq!(identity.issuer, fake.issuer);
    assert_eq!(identity.acr.as_deref(), Some("substantial"));
    assert_eq!(fake.redirect_uris(), [REDIRECT]);

    // A code works once.
    match provider.finish(&start.pending, &code, &state).await {
        Err(OidcError::TokenEndpoint(message)) => {
            assert!(message.contains("invalid_grant"), "{message}")
        }
        other => panic!("expected TokenEndpoint, got {other:?}"),
    }

    // Extra claims win over the standard ones.
    fake.behave(|b| {
        b.extra_claims.insert(CPR_CLAIM.into(), json!("0202802345"));
    });
    let identity = through_the_fake(&fake, &provider).await.unwrap();
    assert_eq!(identity.national_id, "0202802345");

    fake.behave(|b| {
        b.extra_claims.clear();
        b.expired = true;
    });
    let result = through_the_fake(&fake, &provider).await;
    assert!(matches!(rejection(result), IdTokenRejection::Expired(_)));

    fake.behave(|b| {
        b.expired = false;
        b.forged_signature = true;
    });
    let result = through_the_fake(&fake, &provider).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::BadSignature(_)
    ));

    fake.behave(|b| {
        b.forged_signature = false;
        b.audience = Some("civicpay-odense".into());
    });
    let result = through_the_fake(&fake, &provider).await;
    assert!(matches!(
        rejection(result),
        IdTokenRejection::WrongAudience(_)
    ));
    fake.behave(|b| b.audience = None);

    // The token endpoint wants the client's secret.
    let wrong_secret = OidcProvider::discover(OidcConfig {
        client_secret: Some(SecretString::from("not-the-secret")),
        ..config(&fake)
    })
    .await
    .unwrap();
    match through_the_fake(&fake, &wrong_secret).await {
        Err(OidcError::TokenEndpoint(message)) => {
            assert!(message.contains("invalid_client"), "{message}")
        }
        other => panic!("expected TokenEndpoint, got {other:?}"),
    }

    // The person cancels at the broker: back with the error and the state, no code.
    fake.behave(|b| b.access_denied = Some("The user cancelled the log-in".into()));
    let start = provider.begin();
    let back = Url::parse(&fake.authorize_redirect(&start.authorize_url).await).unwrap();
    assert_eq!(
        format!("{}{}", back.origin().ascii_serialization(), back.path()),
        REDIRECT
    );
    let query: HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["error_description"], "The user cancelled the log-in");
    assert_eq!(query["state"], start.pending.state);
    assert!(!query.contains_key("code"), "{back}");
}

#[test]
fn the_provider_can_be_shared_between_requests() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<OidcProvider>();
}
