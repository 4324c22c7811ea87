//! The platform around the API: council resolution, GraphiQL, limits, health and metrics.

use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::json;

#[tokio::test]
async fn platform_endpoint_lists_councils() {
    let app = spawn_app().await;
    let body = app
        .gql(None, "{ tenants { slug name country currency } }")
        .await;
    let slugs: Vec<&str> = body["data"]["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["kobenhavn", "krakow", "odense", "rotterdam"]);
    // Council fields need a council.
    let body = app.gql(None, "{ products { sku } }").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn unknown_council_is_a_clear_404() {
    let app = spawn_app().await;
    let response = TestApp::client()
        .post(app.endpoint(Some("atlantis")))
        .json(&json!({ "query": "{ tenant { slug } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("atlantis")
    );
    let page = reqwest::get(format!("{}/no/such/page", app.address))
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn council_resolved_from_its_host_name() {
    let app = spawn_app().await;
    let body: serde_json::Value = TestApp::client()
        .post(format!("{}/graphql", app.address))
        .header("Host", "betalen.rotterdam.example")
        .json(&json!({ "query": "{ tenant { slug currency } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["tenant"],
        json!({ "slug": "rotterdam", "currency": "EUR" }),
        "{body}"
    );
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    for path in ["/graphql", "/t/kobenhavn/graphql"] {
        let response = reqwest::get(format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.to_lowercase().contains("graphiql"), "{path}");
        assert!(
            html.contains(path),
            "{path} GraphiQL does not post to itself"
        );
    }
    let missing = reqwest::get(format!("{}/t/atlantis/graphql", app.address))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn overly_deep_queries_are_refused() {
    let app = spawn_app().await;
    // Introspection nests as deep as one likes: 16 levels is over the limit of 12.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(12),
        "} ".repeat(12)
    );
    let body = app.gql(Some("kobenhavn"), &deep).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested too deep"),
        "{body}"
    );
}

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let app = spawn_app().await;
    let health = reqwest::get(format!("{}/healthz", app.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    app.gql(Some("kobenhavn"), "{ tenant { slug } }").await;
    let metrics = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("civicpay_http_requests_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn committed_sdl_matches_the_code() {
    let committed = std::fs::read_to_string(civicpay_tests::repo_root().join("schema.graphql"))
        .expect("schema.graphql is committed at the repository root");
    let current = civicpay_api::sdl();
    if committed != current {
        if std::env::var("UPDATE_SCHEMA").is_ok() {
            std::fs::write(civicpay_tests::repo_root().join("schema.graphql"), &current).unwrap();
        } else {
            panic!(
                "schema.graphql differs from the code: run `civicpay schema > schema.graphql` (or UPDATE_SCHEMA=1 scripts/test) and review the diff"
            );
        }
    }
}

/// With SENTRY_DSN set, an internal error reaches Sentry (a local fake that speaks its envelope
/// endpoint) exactly as an event, while the client sees only an opaque INTERNAL message.
#[tokio::test]
async fn internal_errors_are_opaque_to_clients_and_reported_to_sentry() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let sentry = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&sentry)
        .await;
    let dsn = format!("http://publickey@{}/42", sentry.address());

    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("broken.db");
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(civicpay_tests::civicpay_bin())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("SENTRY_DSN", &dsn)
        .env("CIVICPAY_TENANTS_DIR", civicpay_tests::tenants_dir())
        .env_remove("REDIS_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "server did not start");

    // Break the database under the running server: the catalogue query now fails inside.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("DROP TABLE price_versions")
        .await
        .unwrap();
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/t/kobenhavn/graphql"))
        .json(&json!({ "query": "{ products { sku } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("price_versions"),
        "internal detail leaked: {message}"
    );

    let mut reported = false;
    for _ in 0..100 {
        let requests = sentry.received_requests().await.unwrap_or_default();
        if requests
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("price_versions"))
        {
            reported = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(reported, "no Sentry event with the error's detail arrived");
}
