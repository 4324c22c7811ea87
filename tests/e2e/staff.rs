//! Staff log-in, lockout, sessions and permissions.

use civicpay_domain::Role;
use civicpay_tests::{PASSWORD, TestApp, error_code, spawn_app, spawn_app_with};
use serde_json::json;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { email role tenantSlug } }";

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    app.create_user(Some("odense"), "kasse@odense.test", Role::Cashier)
        .await;
    let client = TestApp::client();
    let response = client
        .post(app.endpoint(Some("odense")))
        .json(&json!({ "query": LOGIN, "variables": { "e": "Kasse@Odense.test", "p": PASSWORD } }))
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP must not set Secure: {cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"]["login"]["role"], "CASHIER");
    let me = app
        .gql_with(&client, Some("odense"), "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], "kasse@odense.test");

    // A cashier may read but not change the catalogue.
    let write = app
        .gql_with(
            &client,
            Some("odense"),
            r#"mutation { retireZone(code: "X") }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&write), "FORBIDDEN", "{write}");

    app.gql_with(&client, Some("odense"), "mutation { logout }", json!({}))
        .await;
    let me = app
        .gql_with(&client, Some("odense"), "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"], serde_json::Value::Null);
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = spawn_app_with(|c| c.secure_cookies = true).await;
    app.create_user(Some("odense"), "a@odense.test", Role::Finance)
        .await;
    let response = TestApp::client()
        .post(app.endpoint(Some("odense")))
        .json(&json!({ "query": LOGIN, "variables": { "e": "a@odense.test", "p": PASSWORD } }))
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let app = spawn_app().await;
    app.create_user(Some("krakow"), "urzednik@krakow.test", Role::Caseworker)
        .await;
    let try_login = |password: &'static str| {
        let app = &app;
        async move {
            app.gql_with(
                &TestApp::client(),
                Some("krakow"),
                LOGIN,
                json!({ "e": "urzednik@krakow.test", "p": password }),
            )
            .await
        }
    };
    let unknown = app
        .gql_with(
            &TestApp::client(),
            Some("krakow"),
            LOGIN,
            json!({ "e": "nobody@krakow.test", "p": "whatever" }),
        )
        .await;
    let wrong = try_login("wrong password 1").await;
    // Unknown e-mail and wrong password are indistinguishable.
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    for _ in 0..4 {
        try_login("wrong password").await;
    }
    let locked = try_login(PASSWORD).await;
    assert_eq!(error_code(&locked), "UNAUTHENTICATED", "{locked}");
    assert!(
        locked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("locked"),
        "{locked}"
    );
}

#[tokio::test]
async fn staff_of_one_council_cannot_log_in_at_another() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "admin@kbh.test", Role::TenantAdmin)
        .await;
    let body = app
        .gql_with(
            &TestApp::client(),
            Some("rotterdam"),
            LOGIN,
            json!({ "e": "admin@kbh.test", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn vendor_staff_log_in_on_the_platform_endpoint() {
    let app = spawn_app().await;
    app.create_user(None, "vendor@civicpay.test", Role::VendorAdmin)
        .await;
    let client = app.logged_in(None, "vendor@civicpay.test").await;
    let me = app
        .gql_with(&client, None, "{ me { role tenantSlug } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({ "role": "VENDOR_ADMIN", "tenantSlug": null })
    );
}

#[tokio::test]
async fn sessions_live_in_redis_when_configured() {
    let Ok(url) = std::env::var("CIVICPAYTEST_REDIS_URL") else {
        eprintln!("CIVICPAYTEST_REDIS_URL not set: Redis session test not run");
        return;
    };
    let app = spawn_app_with(|c| c.redis_url = Some(url)).await;
    app.create_user(Some("rotterdam"), "beheer@rdam.test", Role::TenantAdmin)
        .await;
    let client = app.logged_in(Some("rotterdam"), "beheer@rdam.test").await;
    let me = app
        .gql_with(&client, Some("rotterdam"), "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["email"], "beheer@rdam.test");
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["redis"], "ok", "{ready}");
}
