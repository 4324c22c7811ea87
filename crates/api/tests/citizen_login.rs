//! The citizen's eID log-in, service side (`civicpay_api::citizen_login`), against a local fake
//! OpenID provider (`civicpay-fake-oidc`): begin → the provider's authorize → finish gives the citizen's session; a
//! pending login works once, only at its own council, and is nobody's session in the meantime;
//! a token the relying party refuses (wrong audience, forged signature) refuses the log-in.
//! On SQLite in a temporary folder, with a copy of the demo councils whose `login.toml` points
//! at the fake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use civicpay_api::citizen_login::{
    OidcLogins, begin_oidc_login, default_return_to, finish_oidc_login, has_oidc_login, oidc_label,
};
use civicpay_api::context::resolve_caller;
use civicpay_api::eligibility::Eligibility;
use civicpay_api::{ApiState, Caller, ErrorCode, RequestContext, build_schema};
use civicpay_auth::{InMemorySessions, Session};
use civicpay_domain::Locale;
use civicpay_domain::audit::Actor;
use civicpay_fake_oidc::{CPR_CLAIM, FakeProvider};
use civicpay_registries::{IdCountry, NationalId};
use civicpay_store::{Store, TenantRecord};
use std::path::Path;
use std::sync::Arc;

const PSEUDONYM_KEY: &[u8] = b"citizen-login-test-pseudonym-key";
const BASE_URL: &str = "https://pay.example";
/// Mette Sørensen in Copenhagen's demo register.
const CPR: &str = "1204851006";
const CLIENT_SECRET_ENV: &str = "KOBENHAVN_OIDC_CLIENT_SECRET";
const CLIENT_SECRET: &str = "s3cret-of-the-council";

struct Setup {
    state: ApiState,
    kobenhavn: Arc<TenantRecord>,
    odense: Arc<TenantRecord>,
    fake: FakeProvider,
    _dir: tempfile::TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A `login.toml` at the fake provider; `labels` are `locale = "text"` lines.
fn login_toml(issuer: &str, client_id: &str, secret_env: Option<&str>, labels: &str) -> String {
    let secret = secret_env
        .map(|name| format!("client_secret_env = \"{name}\"\n"))
        .unwrap_or_default();
    format!(
        "issuer = \"{issuer}\"\nclient_id = \"{client_id}\"\n{secret}scopes = [\"mitid\", \"ssn\"]\n\
         national_id_claim = \"{CPR_CLAIM}\"\n\n[label]\n{labels}"
    )
}

/// The demo councils copied, Copenhagen and Odense with an eID log-in at the fake provider
/// (Copenhagen a confidential client, Odense a public one), applied to a fresh SQLite database.
async fn setup() -> Setup {
    setup_with("").await
}

/// [`setup`] with `extra` lines added to Copenhagen's `login.toml` (before its labels).
async fn setup_with(extra: &str) -> Setup {
    let fake = FakeProvider::start(CPR).await;
    // Copenhagen's token requests must carry its secret.
    fake.require_client_secret("civicpay-kobenhavn", CLIENT_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants"),
        &tenants,
    );
    let kobenhavn_login = login_toml(
        &fake.issuer,
        "civicpay-kobenhavn",
        Some(CLIENT_SECRET_ENV),
        "da = \"Log ind med MitID\"\nen = \"Log in with MitID\"\n",
    )
    .replacen("\n\n[label]", &format!("\n{extra}\n[label]"), 1);
    std::fs::write(tenants.join("kobenhavn/login.toml"), kobenhavn_login).unwrap();
    std::fs::write(
        tenants.join("odense/login.toml"),
        login_toml(
            &fake.issuer,
            "civicpay-odense",
            None,
            "da = \"Log ind med MitID\"\n",
        ),
    )
    .unwrap();

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("civicpay.db").display()
    );
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    for (path, loaded) in civicpay_tenant_config::load_all(&tenants) {
        let config = loaded.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        store
            .apply_tenant_config(&config, &Actor::System, false)
            .await
            .unwrap();
    }
    let oidc = OidcLogins::load(&tenants)
        .with_secrets(|name| (name == CLIENT_SECRET_ENV).then(|| CLIENT_SECRET.to_owned()));
    let state = ApiState {
        store: store.clone(),
        sessions: Arc::new(InMemorySessions::default()),
        secure_cookies: false,
        gateways: civicpay_psp::Gateways::default(),
        base_url: BASE_URL.into(),
        sandbox_fallback: true,
        eligibility: Arc::new(Eligibility::load(&tenants, PSEUDONYM_KEY)),
        mailer: None,
        development_login: false,
        oidc: Arc::new(oidc),
    };
    let kobenhavn = store.tenant_by_slug("kobenhavn").await.unwrap().unwrap();
    let odense = store.tenant_by_slug("odense").await.unwrap().unwrap();
    Setup {
        state,
        kobenhavn,
        odense,
        fake,
        _dir: dir,
    }
}

/// Begin at `tenant`, let the fake provider authenticate: the pending token and the callback's
/// code and state.
async fn begin_and_authorize(
    s: &Setup,
    tenant: &TenantRecord,
    return_to: Option<&str>,
) -> (String, String, String) {
    let (pending, authorize_url) = begin_oidc_login(&s.state, tenant, return_to)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        authorize_url.starts_with(&format!("{}/authorize?", s.fake.issuer)),
        "{authorize_url}"
    );
    let (code, state) = s.fake.authorize(&authorize_url).await;
    (pending, code, state)
}

fn assert_refused(result: civicpay_api::ApiResult<impl Sized>, contains: &str) {
    match result {
        Ok(_) => panic!("expected the log-in to be refused ({contains})"),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::Unauthenticated, "{e:?}");
            assert!(
                e.message.starts_with("the eID log-in failed: "),
                "{}",
                e.message
            );
            assert!(e.message.contains(contains), "{}", e.message);
            assert!(!e.message.contains(CPR), "no national id in {}", e.message);
        }
    }
}

#[tokio::test]
async fn a_login_gives_the_citizen_session_of_the_eid_person() {
    let s = setup().await;
    assert!(has_oidc_login(&s.state, &s.kobenhavn));
    let en = Locale::parse("en").unwrap();
    assert_eq!(
        oidc_label(&s.state, &s.kobenhavn, &en).as_deref(),
        Some("Log in with MitID")
    );
    let da = Locale::parse("da").unwrap();
    assert_eq!(
        oidc_label(&s.state, &s.kobenhavn, &da).as_deref(),
        Some("Log ind med MitID")
    );
    let rotterdam = s
        .state
        .store
        .tenant_by_slug("rotterdam")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(oidc_label(&s.state, &rotterdam, &en), None);
    assert!(!has_oidc_login(&s.state, &rotterdam));
    assert_eq!(
        begin_oidc_login(&s.state, &rotterdam, None)
            .await
            .err()
            .map(|e| e.code),
        Some(ErrorCode::NotFound)
    );

    let (pending, code, state) =
        begin_and_authorize(&s, &s.kobenhavn, Some("/t/kobenhavn/permits?sku=P-RES-K1")).await;
    // The callback the provider was sent is derived from the public URL.
    assert_eq!(
        s.fake.redirect_uris(),
        [format!("{BASE_URL}/t/kobenhavn/login/callback")]
    );
    let (session, token, return_to) =
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));

    let id = NationalId::parse(IdCountry::Denmark, CPR).unwrap();
    assert_eq!(session.tenant_id, s.kobenhavn.id);
    assert_eq!(session.holder_key, s.state.eligibility.pseudonym(&id));
    assert_eq!(session.masked_id, id.masked());
    assert_eq!(
        s.state
            .eligibility
            .unseal(IdCountry::Denmark, &session.national_id_sealed)
            .unwrap()
            .expose_digits(),
        CPR
    );
    assert!(!session.national_id_sealed.contains(CPR));
    // The token had no name: the register's.
    assert_eq!(session.name, "Mette Sørensen");
    assert_eq!(session.method, "oidc");
    assert_eq!(return_to, "/t/kobenhavn/permits?sku=P-RES-K1");
    assert_eq!(
        s.state.sessions.get(&token).await.unwrap(),
        Some(Session::Citizen(session.clone()))
    );

    // It is a citizen's session in the council's GraphQL.
    let profile = my_profile(&s, &s.kobenhavn, &token).await;
    assert_eq!(
        profile,
        serde_json::json!({ "name": "Mette Sørensen", "loginMethod": "oidc" })
    );

    // A name claim wins over the register; an unusable return_to is ignored.
    s.fake.behave(|b| b.name = Some("Mette S.".into()));
    let (pending, code, state) =
        begin_and_authorize(&s, &s.kobenhavn, Some("https://evil.example/")).await;
    let (session, _, return_to) =
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(session.name, "Mette S.");
    assert_eq!(return_to, default_return_to("kobenhavn"));
}

/// `myProfile { name loginMethod }` with `token` as the session cookie, through the same
/// `resolve_caller` as the HTTP layer.
async fn my_profile(s: &Setup, tenant: &Arc<TenantRecord>, token: &str) -> serde_json::Value {
    let caller = resolve_caller(&s.state, Some(tenant), Some(token), None)
        .await
        .unwrap();
    let request =
        async_graphql::Request::new("{ myProfile { name loginMethod } }").data(RequestContext {
            state: s.state.clone(),
            tenant: Some(tenant.clone()),
            caller,
            locale: tenant.default_locale.clone(),
            request_id: "test".into(),
        });
    let response = build_schema().execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.into_json().unwrap()["myProfile"].clone()
}

#[tokio::test]
async fn a_pending_login_is_anonymous_until_it_is_finished() {
    let s = setup().await;
    let (pending, authorize_url) = begin_oidc_login(&s.state, &s.kobenhavn, None)
        .await
        .unwrap();
    assert!(!authorize_url.is_empty());
    let caller = resolve_caller(&s.state, Some(&s.kobenhavn), Some(&pending), None)
        .await
        .unwrap();
    assert!(matches!(caller, Caller::Anonymous), "{caller:?}");
    assert_eq!(
        my_profile(&s, &s.kobenhavn, &pending).await,
        serde_json::Value::Null
    );
    // And being looked at did not use it up: the log-in can still finish.
    let (code, state) = s.fake.authorize(&authorize_url).await;
    finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[tokio::test]
async fn a_pending_login_works_once() {
    let s = setup().await;
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // The same callback again (a replay, a reload, an attacker with the URL).
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "already used",
    );

    // A wrong state uses it up too: the provider is never asked with it again.
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, "another-state").await,
        "state does not match",
    );
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "already used",
    );

    // A session's token is no pending login, and trying it leaves the session alone.
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    let (_, token, _) = finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap();
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &token, &code, &state).await,
        "not started in this browser",
    );
    assert!(matches!(
        s.state.sessions.get(&token).await.unwrap(),
        Some(Session::Citizen(_))
    ));
}

#[tokio::test]
async fn a_pending_login_of_one_council_is_refused_at_another() {
    let s = setup().await;
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.odense, &pending, &code, &state).await,
        "another council",
    );
    // It was taken when it was presented: not usable at its own council afterwards either.
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "already used",
    );
    // Odense's own log-in works (a public client at the same provider).
    let (pending, code, state) = begin_and_authorize(&s, &s.odense, None).await;
    let (session, _, _) = finish_oidc_login(&s.state, &s.odense, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(session.tenant_id, s.odense.id);
    // Odense has no register: the masked id stands in for the name.
    assert_eq!(session.name, session.masked_id);
}

#[tokio::test]
async fn tokens_the_relying_party_refuses_refuse_the_log_in() {
    let s = setup().await;
    s.fake
        .behave(|b| b.audience = Some("civicpay-somewhere-else".into()));
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "wrong audience",
    );

    s.fake.behave(|b| {
        b.audience = None;
        b.forged_signature = true;
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "bad signature",
    );

    // A national id that is not a CPR number.
    s.fake.behave(|b| {
        b.forged_signature = false;
        b.national_id = "999993653".into();
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "did not give a national id of this council's country",
    );
}

#[tokio::test]
async fn a_missing_client_secret_is_a_configuration_problem() {
    let s = setup().await;
    let oidc = OidcLogins::load(&s._dir.path().join("tenants")).with_secrets(|_| None);
    let state = ApiState {
        oidc: Arc::new(oidc),
        ..s.state.clone()
    };
    let e = begin_oidc_login(&state, &s.kobenhavn, None)
        .await
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::Conflict, "{e:?}");
    assert!(e.message.contains("not set up correctly"), "{}", e.message);
    // Odense needs no secret.
    assert!(begin_oidc_login(&state, &s.odense, None).await.is_ok());
}

const CVR_CLAIM: &str = "dk:gov:saml:attribute:CvrNumberIdentifier";

#[tokio::test]
async fn a_business_eid_logs_the_person_in_for_the_company_it_names() {
    let s = setup_with(&format!("company_id_claim = \"{CVR_CLAIM}\"\n")).await;
    // A person's own log-in: no company claim in the token.
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    let (own, _, _) = finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(own.company, None);

    // MitID Erhverv: the token names the company the person logs in for.
    s.fake.behave(|b| {
        b.extra_claims
            .insert(CVR_CLAIM.into(), serde_json::json!("31022142"));
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    let (firm, token, _) = finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let company = firm.company.clone().expect("a company session");
    assert_eq!(company.company_id, "31022142");
    assert_eq!(
        company.name, "Nørrebro Blomster ApS",
        "from the business register"
    );
    let cvr = civicpay_registries::CompanyId::parse(IdCountry::Denmark, "31022142").unwrap();
    assert_eq!(firm.holder_key, s.state.eligibility.company_pseudonym(&cvr));
    assert_ne!(
        firm.holder_key, own.holder_key,
        "the company's permits, not the person's"
    );
    assert_eq!(firm.name, own.name, "the person who acts");
    assert_eq!(
        s.state.sessions.get(&token).await.unwrap(),
        Some(Session::Citizen(firm))
    );

    // A company number the register does not know is named by its number.
    s.fake.behave(|b| {
        b.extra_claims
            .insert(CVR_CLAIM.into(), serde_json::json!("10000009"));
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    let (unknown, _, _) = finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(unknown.company.unwrap().name, "CVR 10000009");

    // A number that is not a CVR number refuses the log-in, saying why.
    s.fake.behave(|b| {
        b.extra_claims
            .insert(CVR_CLAIM.into(), serde_json::json!("12345678"));
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    assert_refused(
        finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state).await,
        "company number",
    );
}

#[tokio::test]
async fn without_a_company_claim_configured_the_claim_is_ignored() {
    let s = setup().await;
    s.fake.behave(|b| {
        b.extra_claims
            .insert(CVR_CLAIM.into(), serde_json::json!("31022142"));
    });
    let (pending, code, state) = begin_and_authorize(&s, &s.kobenhavn, None).await;
    let (session, _, _) = finish_oidc_login(&s.state, &s.kobenhavn, &pending, &code, &state)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        session.company, None,
        "the council does not offer company log-in"
    );
}
