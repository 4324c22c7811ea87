//! The eID log-in through the shop's pages, over HTTP, against the fake eID provider of
//! `civicpay-fake-oidc`: a copy of the demo councils in which Copenhagen (a confidential
//! client) and Rotterdam (a public one) have a `login.toml` at the fake, and Odense none. The
//! login page shows the button; a browser (a reqwest client with a cookie jar that follows no
//! redirect) walks login page → `POST login/eid` → the fake's authorize → the callback and lands
//! where it started, logged in; and every callback the shop must not trust is a 401 page that
//! says why, with no session: a replay, a state it did not issue, a forged or foreign or expired
//! token, the person cancelling at the broker, a login begun at another council.

use civicpay_fake_oidc::{CPR_CLAIM, FakeProvider};
use civicpay_tests::{TestApp, copy_dir, spawn_app_with, tenants_dir};
use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

/// Mette Sørensen in Copenhagen's demo register (`tenants/kobenhavn/registry/people.json`).
const CPR: &str = "1204851006";
const NAME: &str = "Mette Sørensen";
const LABEL_DA: &str = "Log ind med MitID (test)";
const LABEL_EN: &str = "Log in with MitID (test)";
const LABEL_NL: &str = "Inloggen met DigiD (test)";
/// Copenhagen's client at the fake provider.
const CLIENT_ID: &str = "civicpay-kobenhavn";
/// The variable Copenhagen's `login.toml` names for its client secret. The server reads it from
/// the environment, and a test cannot set one (`std::env::set_var` is unsafe under edition 2024
/// and the workspace forbids unsafe code), so it names one cargo sets for every test it runs
/// (the value `civicpay-tests`); the fake provider requires exactly that secret over HTTP Basic,
/// so the secret's whole way — `client_secret_env` → the environment → the token request — is
/// checked.
const SECRET_ENV: &str = "CARGO_PKG_NAME";
const BACK: &str = "/t/kobenhavn/my/permits";

struct EidApp {
    app: TestApp,
    fake: FakeProvider,
    _tenants: tempfile::TempDir,
}

impl EidApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.address)
    }
}

fn login_toml(issuer: &str, client_id: &str, secret_env: Option<&str>, labels: &str) -> String {
    let secret = secret_env
        .map(|name| format!("client_secret_env = \"{name}\"\n"))
        .unwrap_or_default();
    format!(
        "issuer = \"{issuer}\"\nclient_id = \"{client_id}\"\n{secret}scopes = [\"mitid\", \"ssn\"]\n\
         national_id_claim = \"{CPR_CLAIM}\"\n\n[label]\n{labels}"
    )
}

/// The platform on a copy of `tenants/` whose Copenhagen and Rotterdam log in at a fresh fake
/// provider vouching for Mette Sørensen.
async fn spawn_eid_app() -> EidApp {
    let fake = FakeProvider::start(CPR).await;
    let secret = std::env::var(SECRET_ENV)
        .unwrap_or_else(|_| panic!("cargo sets {SECRET_ENV} for the tests it runs"));
    fake.require_client_secret(CLIENT_ID, &secret);
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    copy_dir(&tenants_dir(), &tenants);
    std::fs::write(
        tenants.join("kobenhavn/login.toml"),
        login_toml(
            &fake.issuer,
            CLIENT_ID,
            Some(SECRET_ENV),
            &format!("da = \"{LABEL_DA}\"\nen = \"{LABEL_EN}\"\n"),
        ),
    )
    .unwrap();
    std::fs::write(
        tenants.join("rotterdam/login.toml"),
        login_toml(
            &fake.issuer,
            "civicpay-rotterdam",
            None,
            &format!("nl = \"{LABEL_NL}\"\nen = \"Log in with DigiD (test)\"\n"),
        ),
    )
    .unwrap();
    let app = spawn_app_with(|c| c.tenants_dir = tenants.clone()).await;
    EidApp {
        app,
        fake,
        _tenants: dir,
    }
}

/// One browser: its own cookie jar, no redirects followed, English pages.
fn browser() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `Set-Cookie` header for cookie `name`, if the response sets (or clears) it.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value a `Set-Cookie` header gives its cookie.
fn cookie_value(header: &str) -> String {
    header
        .split_once('=')
        .and_then(|(_, rest)| rest.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// `myProfile` at the council's GraphQL with the browser's cookies: null when not logged in.
async fn my_profile(e: &EidApp, client: &reqwest::Client, slug: &str) -> Value {
    let body: Value = client
        .post(e.app.endpoint(Some(slug)))
        .json(&json!({ "query": "{ myProfile { name loginMethod } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["myProfile"].clone()
}

/// A log-in started at Copenhagen's login page as a browser does it: the page, its eID form
/// (`back` = [`BACK`]), and the provider's authorize, which redirects back. Returns the callback
/// URL the provider sent the browser to and the pending-login token the shop set as a cookie.
async fn start_login(e: &EidApp, client: &reqwest::Client) -> (String, String) {
    let (status, html) = get(client, &e.url("/t/kobenhavn/login")).await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    assert!(!csrf.is_empty(), "{html}");
    let r = client
        .post(e.url("/t/kobenhavn/login/eid"))
        .form(&[("csrf", csrf.as_str()), ("back", BACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.text().await);
    let authorize = location(&r);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", e.fake.issuer)),
        "{authorize}"
    );
    let pending = set_cookie(&r, "civicpay_login").expect("the pending-login cookie");
    for part in [
        "Path=/t/kobenhavn/login",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
    ] {
        assert!(pending.contains(part), "{pending}");
    }
    assert!(
        set_cookie(&r, "civicpay_session").is_none(),
        "no session yet"
    );

    // At the provider: the person logs in (or cancels), and it redirects back.
    let r = client.get(&authorize).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302, "{:?}", r.text().await);
    let callback = location(&r);
    assert!(
        callback.starts_with(&e.url("/t/kobenhavn/login/callback?")),
        "{callback}"
    );
    (callback, cookie_value(&pending))
}

/// The callback answered 401 with the shop's error page saying that the log-in did not succeed
/// (in English, or Danish at Odense, which has no other language) and `why`, set no session,
/// and cleared the pending-login cookie.
async fn assert_refused(r: reqwest::Response, why: &str) -> String {
    assert_eq!(r.status().as_u16(), 401);
    let session = set_cookie(&r, "civicpay_session");
    assert!(session.is_none(), "a session cookie was set: {session:?}");
    let pending = set_cookie(&r, "civicpay_login").unwrap_or_default();
    assert!(
        pending.starts_with("civicpay_login=;") && pending.contains("Max-Age=0"),
        "the pending-login cookie is cleared: {pending}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error\""), "{html}");
    assert!(
        html.contains("The log-in did not succeed") || html.contains("Du blev ikke logget ind"),
        "{html}"
    );
    assert!(html.contains(why), "expected {why:?} in {html}");
    assert!(!html.contains(CPR), "no national id on the page");
    html
}

#[tokio::test]
async fn the_login_page_shows_the_councils_eid_button() {
    let e = spawn_eid_app().await;
    let client = browser();
    let (status, html) = get(&client, &e.url("/t/kobenhavn/login")).await;
    assert_eq!(status, 200, "{html}");
    // The form posts to the eID route (tera writes the `/` of the council's base as `&#x2F;`).
    assert!(
        html.replace("&#x2F;", "/")
            .contains("action=\"/t/kobenhavn/login/eid\""),
        "{html}"
    );
    assert!(html.contains("id=\"eid-login\""), "{html}");
    assert!(html.contains(LABEL_EN), "{html}");

    // In the council's own language, the label login.toml gives for it.
    let danish = reqwest::Client::new();
    let r = danish
        .get(e.url("/t/kobenhavn/login"))
        .header(ACCEPT_LANGUAGE, "da")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(LABEL_DA), "{html}");
    assert!(!html.contains(LABEL_EN), "{html}");

    let r = danish
        .get(e.url("/t/rotterdam/login"))
        .header(ACCEPT_LANGUAGE, "nl")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(LABEL_NL), "{html}");
    // Odense has no login.toml: no eID button.
    let (status, html) = get(&client, &e.url("/t/odense/login")).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("id=\"eid-login\""), "{html}");
}

#[tokio::test]
async fn a_citizen_logs_in_with_the_eid_and_lands_where_they_were() {
    let e = spawn_eid_app().await;
    let client = browser();
    assert_eq!(my_profile(&e, &client, "kobenhavn").await, Value::Null);
    let (callback, _) = start_login(&e, &client).await;
    // The provider was sent the shop's own callback, from the platform's URL.
    assert_eq!(
        e.fake.redirect_uris(),
        [e.url("/t/kobenhavn/login/callback")]
    );

    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.text().await);
    assert_eq!(location(&r), BACK);
    let session = set_cookie(&r, "civicpay_session").expect("the session cookie");
    assert!(!cookie_value(&session).is_empty(), "{session}");
    for part in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(session.contains(part), "{session}");
    }
    assert!(!session.contains("Max-Age=0"), "{session}");
    let pending = set_cookie(&r, "civicpay_login").expect("the pending-login cookie cleared");
    assert!(
        pending.starts_with("civicpay_login=;") && pending.contains("Max-Age=0"),
        "{pending}"
    );
    assert!(pending.contains("Path=/t/kobenhavn/login"), "{pending}");

    // Logged in as the person the eID vouched for (the name from the council's register: the
    // token had none).
    let (status, html) = get(&client, &e.url(BACK)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(NAME), "{html}");
    assert_eq!(
        my_profile(&e, &client, "kobenhavn").await,
        json!({ "name": NAME, "loginMethod": "oidc" })
    );
    // The confidential client sent its secret (the fake refuses the code without it).
    let basic = e
        .fake
        .server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/op/token")
        .filter_map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok().map(str::to_owned))
        })
        .collect::<Vec<_>>();
    assert_eq!(basic.len(), 1, "{basic:?}");
    assert!(basic[0].starts_with("Basic "), "{basic:?}");
    // A session of Copenhagen is nobody's at Rotterdam.
    assert_eq!(my_profile(&e, &client, "rotterdam").await, Value::Null);
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let e = spawn_eid_app().await;
    let client = browser();
    let (callback, pending) = start_login(&e, &client).await;
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);

    // The same code and state again, with the pending-login cookie as it was (an attacker who
    // copied the URL and the cookie, or a browser that kept it): that login was used.
    let attacker = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = attacker
        .get(&callback)
        .header("cookie", format!("civicpay_login={pending}"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_refused(r, "already used").await;

    // The same browser reloading the callback: the shop cleared its pending-login cookie.
    let r = client.get(&callback).send().await.unwrap();
    assert_refused(r, "started in another browser").await;
    // Still the one session of the first callback, nothing more.
    assert_eq!(
        my_profile(&e, &client, "kobenhavn").await["loginMethod"],
        "oidc"
    );
    let tokens = e
        .fake
        .server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/op/token")
        .count();
    assert_eq!(tokens, 1, "the replays never reached the provider");
}

/// The callback URL with its `state` replaced.
fn with_state(callback: &str, state: &str) -> String {
    let mut url = reqwest::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "state" {
                (k, state.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

#[tokio::test]
async fn a_callback_with_a_state_that_was_not_issued_is_refused() {
    let e = spawn_eid_app().await;
    let client = browser();
    let (callback, _) = start_login(&e, &client).await;
    let r = client
        .get(with_state(&callback, "a-state-nobody-issued"))
        .send()
        .await
        .unwrap();
    assert_refused(r, "state does not match").await;
    // The pending login is gone with it: the real state cannot be used afterwards either.
    let r = client.get(&callback).send().await.unwrap();
    assert_refused(r, "started in another browser").await;
    assert_eq!(my_profile(&e, &client, "kobenhavn").await, Value::Null);
}

#[tokio::test]
async fn tokens_the_shop_must_not_trust_are_refused() {
    let e = spawn_eid_app().await;
    type Edit = fn(&mut civicpay_fake_oidc::Behaviour);
    let cases: [(&str, Edit, &str); 3] = [
        (
            "signed by another key",
            |b| b.forged_signature = true,
            "bad signature",
        ),
        (
            "for another client",
            |b| b.audience = Some("civicpay-odense".into()),
            "wrong audience",
        ),
        (
            "expired",
            |b| b.expired = true,
            "ID token was refused: expired",
        ),
    ];
    for (what, edit, why) in cases {
        e.fake.behave(|b| {
            *b = civicpay_fake_oidc::Behaviour::vouching_for(CPR);
            edit(b);
        });
        let client = browser();
        let (callback, _) = start_login(&e, &client).await;
        let r = client.get(&callback).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "a token {what}");
        assert_refused(r, why).await;
        assert_eq!(
            my_profile(&e, &client, "kobenhavn").await,
            Value::Null,
            "a token {what}"
        );
    }
}

#[tokio::test]
async fn a_person_who_cancels_at_the_broker_is_told_and_not_logged_in() {
    let e = spawn_eid_app().await;
    e.fake
        .behave(|b| b.access_denied = Some("The user cancelled <b>the log-in</b>".into()));
    let client = browser();
    let (callback, _) = start_login(&e, &client).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    assert!(!callback.contains("code="), "{callback}");
    let r = client.get(&callback).send().await.unwrap();
    // Our own sentence, never the provider's (or a link-crafter's) text.
    let html = assert_refused(r, "you cancelled it at the eID provider").await;
    assert!(!html.contains("The user cancelled"), "{html}");
    // A crafted link with someone's own words: only the sanitised error code is shown.
    let crafted = format!(
        "{}/t/kobenhavn/login/callback?error=server_error%3Cb%3E&error_description=Call+0800+123+to+verify",
        e.app.address
    );
    let r = client.get(&crafted).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("(error server_errorb)"), "{html}");
    assert!(!html.contains("Call 0800"), "not shown: {html}");
    assert_eq!(my_profile(&e, &client, "kobenhavn").await, Value::Null);
    // Only the page was refused: logging in again works.
    e.fake.behave(|b| b.access_denied = None);
    let (callback, _) = start_login(&e, &client).await;
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        my_profile(&e, &client, "kobenhavn").await["name"],
        json!(NAME)
    );
}

#[tokio::test]
async fn a_login_begun_at_one_council_does_not_log_in_at_another() {
    let e = spawn_eid_app().await;
    let client = browser();
    let (callback, pending) = start_login(&e, &client).await;
    let query = callback.split_once('?').unwrap().1.to_owned();

    // The browser does not even send Copenhagen's pending-login cookie to Rotterdam's callback
    // (it is scoped to /t/kobenhavn/login).
    let r = client
        .get(e.url(&format!("/t/rotterdam/login/callback?{query}")))
        .send()
        .await
        .unwrap();
    assert_refused(r, "started in another browser").await;

    // Presented there with the cookie anyway (copied, or a proxy that rewrote the path): the
    // pending login names Copenhagen, so Rotterdam refuses it — and it is used up.
    let elsewhere = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = elsewhere
        .get(e.url(&format!("/t/rotterdam/login/callback?{query}")))
        .header("cookie", format!("civicpay_login={pending}"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_refused(r, "started for another council").await;
    let r = client.get(&callback).send().await.unwrap();
    assert_refused(r, "already used").await;

    // At a council without an eID log-in just the same.
    let (callback, pending) = start_login(&e, &client).await;
    let query = callback.split_once('?').unwrap().1.to_owned();
    let r = elsewhere
        .get(e.url(&format!("/t/odense/login/callback?{query}")))
        .header("cookie", format!("civicpay_login={pending}"))
        .header(ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_refused(r, "started for another council").await;

    for slug in ["kobenhavn", "rotterdam", "odense"] {
        assert_eq!(my_profile(&e, &client, slug).await, Value::Null, "{slug}");
        assert_eq!(
            my_profile(&e, &elsewhere, slug).await,
            Value::Null,
            "{slug}"
        );
    }
}
