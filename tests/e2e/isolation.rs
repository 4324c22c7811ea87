//! One council's staff, sessions and keys never reach another council's data.

use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::json;

async fn rotterdam_product_id(app: &TestApp) -> String {
    let body = app.gql(Some("rotterdam"), "{ products { id } }").await;
    body["data"]["products"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn staff_of_one_council_cannot_read_or_change_another_councils_catalogue() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "admin@kbh.test", Role::TenantAdmin)
        .await;
    app.create_user(Some("rotterdam"), "admin@rdam.test", Role::TenantAdmin)
        .await;
    let kbh_admin = app.logged_in(Some("kobenhavn"), "admin@kbh.test").await;
    let foreign_id = rotterdam_product_id(&app).await;

    // Guessing another council's product id on one's own endpoint: not found, for reads and writes.
    for query in [
        r#"query($id: ID!) { product(id: $id) { sku } }"#,
        r#"mutation($id: ID!) { updateProduct(id: $id, input: { ledgerKey: "stolen" }) { sku } }"#,
        r#"mutation($id: ID!) { retireProduct(id: $id) { sku } }"#,
        r#"mutation($id: ID!) { addPriceVersion(productId: $id, input: { effectiveFrom: "2099-01-01", price: "1.00" }) { sku } }"#,
    ] {
        let body = app
            .gql_with(
                &kbh_admin,
                Some("kobenhavn"),
                query,
                json!({ "id": foreign_id }),
            )
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }

    // The Copenhagen session on Rotterdam's endpoint is no session at all.
    let me = app
        .gql_with(&kbh_admin, Some("rotterdam"), "{ me { email } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"], serde_json::Value::Null, "{me}");
    let write = app
        .gql_with(
            &kbh_admin,
            Some("rotterdam"),
            r#"mutation($id: ID!) { retireProduct(id: $id) { sku } }"#,
            json!({ "id": foreign_id }),
        )
        .await;
    assert_eq!(error_code(&write), "UNAUTHENTICATED", "{write}");
    let users = app
        .gql_with(
            &kbh_admin,
            Some("rotterdam"),
            "{ users { email } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&users), "UNAUTHENTICATED");

    // Lists are per council: Copenhagen's admin sees only Copenhagen's staff and audit log.
    let own_users = app
        .gql_with(
            &kbh_admin,
            Some("kobenhavn"),
            "{ users { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own_users["data"]["users"],
        json!([{ "email": "admin@kbh.test" }])
    );

    // The product is untouched.
    let product = app
        .gql(
            Some("rotterdam"),
            &format!(r#"{{ product(id: "{foreign_id}") {{ status }} }}"#),
        )
        .await;
    assert_eq!(product["data"]["product"]["status"], "ACTIVE");
}

#[tokio::test]
async fn a_councils_api_key_works_only_for_that_council() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "admin@kbh.test", Role::TenantAdmin)
        .await;
    let admin = app.logged_in(Some("kobenhavn"), "admin@kbh.test").await;
    let created = app
        .gql_with(
            &admin,
            Some("kobenhavn"),
            r#"mutation { createApiKey(input: { name: "ERP sync", scopes: [CATALOGUE_WRITE] }) { key apiKey { id prefix scopes } } }"#,
            json!({}),
        )
        .await;
    let key = created["data"]["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        key.starts_with(
            created["data"]["createApiKey"]["apiKey"]["prefix"]
                .as_str()
                .unwrap()
        )
    );

    let with_key = |slug: &'static str, key: String, query: &'static str| {
        let app = &app;
        async move {
            TestApp::client()
                .post(app.endpoint(Some(slug)))
                .bearer_auth(key)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
        }
    };
    let create = r#"mutation { createProduct(input: { sku: "ERP-1", kind: FEE, names: [{locale: "da", text: "Fra ERP"}], ledgerKey: "6100", vatCode: "standard", price: "10.00" }) { sku } }"#;
    let ok: serde_json::Value = with_key("kobenhavn", key.clone(), create)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["data"]["createProduct"]["sku"], "ERP-1", "{ok}");

    // The same key on Rotterdam's endpoint is refused outright.
    let foreign = with_key("rotterdam", key.clone(), create).await;
    assert_eq!(foreign.status(), 401);
    let body: serde_json::Value = foreign.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    // Garbage and mistyped keys are refused by their checksum.
    let garbage = with_key("kobenhavn", "cpk_garbage".into(), "{ tenant { slug } }").await;
    assert_eq!(garbage.status(), 401);
    let mut typo = key.clone().into_bytes();
    typo[8] = if typo[8] == b'x' { b'y' } else { b'x' };
    let typo = with_key(
        "kobenhavn",
        String::from_utf8(typo).unwrap(),
        "{ tenant { slug } }",
    )
    .await;
    let body: serde_json::Value = typo.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{body}"
    );

    // A key's scopes bound it: catalogue_write cannot manage staff.
    let users: serde_json::Value = with_key("kobenhavn", key.clone(), "{ users { email } }")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&users), "FORBIDDEN", "{users}");

    // Revoked keys stop working.
    let revoked = app
        .gql_with(
            &admin,
            Some("kobenhavn"),
            r#"mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }"#,
            json!({ "id": key_id }),
        )
        .await;
    assert!(
        revoked["data"]["revokeApiKey"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let after = with_key("kobenhavn", key, "{ tenant { slug } }").await;
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn row_level_security_hides_other_councils_rows_on_postgres() {
    if !civicpay_tests::on_postgres() {
        eprintln!(
            "row-level security exists on PostgreSQL only; run with CIVICPAYTEST_DB=postgres"
        );
        return;
    }
    use sea_orm::{ConnectionTrait, Database, Statement};
    let app = spawn_app().await;
    // Connect as a role without superuser rights: policies bind it (superusers bypass RLS).
    let db = Database::connect(&app.database_url).await.unwrap();
    let role = format!("civicpay_rls_{}", std::process::id());
    let setup = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} NOSUPERUSER; END IF; END $$;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};"
    );
    db.execute_unprepared(&setup).await.unwrap();
    let kbh = app
        .platform
        .store
        .tenant_by_slug("kobenhavn")
        .await
        .unwrap()
        .unwrap();
    let count = |setting: String| {
        let db = &db;
        let role = role.clone();
        async move {
            use sea_orm::TransactionTrait;
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared(&format!("SET LOCAL ROLE {role}"))
                .await
                .unwrap();
            if !setting.is_empty() {
                txn.execute_unprepared(&format!("SET LOCAL app.tenant_id = '{setting}'"))
                    .await
                    .unwrap();
            }
            let row = txn
                .query_one_raw(Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT count(DISTINCT tenant_id) AS n, count(*) AS total FROM products",
                ))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            let total: i64 = row.try_get("", "total").unwrap();
            txn.rollback().await.unwrap();
            (n, total)
        }
    };
    assert_eq!(count(String::new()).await, (0, 0), "no tenant set: no rows");
    let (councils, rows) = count(kbh.id.to_string()).await;
    assert_eq!(councils, 1);
    assert!(rows > 10);
    let (all, _) = count("platform".into()).await;
    assert_eq!(all, 4);
}
