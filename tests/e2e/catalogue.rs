use civicpay_domain::Role;
use civicpay_tests::{TestApp, error_code, spawn_app};
use serde_json::json;

#[tokio::test]
async fn public_catalogue_in_the_requested_language() {
    let app = spawn_app().await;
    let query = "{ tenant { slug name currency locales } products { sku kind name price { amount currency } } }";
    let ask = |lang: &'static str| {
        TestApp::client()
            .post(app.endpoint(Some("kobenhavn")))
            .header("Accept-Language", lang)
            .json(&json!({ "query": query }))
            .send()
    };
    let da: serde_json::Value = ask("da").await.unwrap().json().await.unwrap();
    let en: serde_json::Value = ask("en-GB,en;q=0.9").await.unwrap().json().await.unwrap();
    let fallback: serde_json::Value = ask("fr").await.unwrap().json().await.unwrap();
    assert_eq!(da["data"]["tenant"]["currency"], "DKK");
    assert_eq!(da["data"]["tenant"]["locales"], json!(["da", "en"]));
    let da_products = da["data"]["products"].as_array().unwrap();
    let en_products = en["data"]["products"].as_array().unwrap();
    assert!(da_products.len() >= 15, "{da}");
    // Same catalogue, different language; French falls back to the council's Danish.
    assert_eq!(da_products.len(), en_products.len());
    let differing = da_products
        .iter()
        .zip(en_products)
        .filter(|(d, e)| d["name"] != e["name"])
        .count();
    assert!(differing > 0, "no name differs between da and en");
    assert_eq!(fallback["data"]["products"], da["data"]["products"]);
    for p in da_products {
        assert_eq!(p["price"]["currency"], "DKK");
        let amount = p["price"]["amount"].as_str().unwrap();
        assert!(
            amount.contains('.'),
            "amount {amount} is not a major-unit decimal"
        );
    }
}

#[tokio::test]
async fn every_demo_council_has_a_catalogue_in_its_currency() {
    let app = spawn_app().await;
    for (slug, currency) in [
        ("kobenhavn", "DKK"),
        ("odense", "DKK"),
        ("rotterdam", "EUR"),
        ("krakow", "PLN"),
    ] {
        let body = app
            .gql(
                Some(slug),
                "{ tenant { currency } products { sku price { currency } } }",
            )
            .await;
        assert_eq!(
            body["data"]["tenant"]["currency"], currency,
            "{slug}: {body}"
        );
        let products = body["data"]["products"].as_array().unwrap();
        assert!(!products.is_empty(), "{slug} has no products");
        assert!(products.iter().all(|p| p["price"]["currency"] == currency));
    }
}

#[tokio::test]
async fn admin_manages_the_catalogue_and_every_change_is_audited() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "admin@kbh.test", Role::TenantAdmin)
        .await;
    let admin = app.logged_in(Some("kobenhavn"), "admin@kbh.test").await;
    let kbh = Some("kobenhavn");

    let created = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation { createProduct(input: {
                sku: "TEST-1", kind: FEE, names: [{locale: "da", text: "Testgebyr"}, {locale: "en", text: "Test fee"}],
                ledgerKey: "6100-test", vatCode: "standard", price: "125.50"
            }) { id sku name price { amount } ledgerKey } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        created["data"]["createProduct"]["price"]["amount"], "125.50",
        "{created}"
    );
    let id = created["data"]["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let duplicate = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation { createProduct(input: { sku: "TEST-1", kind: FEE, names: [{locale: "da", text: "x"}], ledgerKey: "x", vatCode: "standard", price: "1.00" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT", "{duplicate}");

    let too_precise = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation { createProduct(input: { sku: "TEST-2", kind: FEE, names: [{locale: "da", text: "x"}], ledgerKey: "x", vatCode: "standard", price: "1.005" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&too_precise), "BAD_USER_INPUT");
    assert!(
        too_precise["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("price")
    );

    let updated = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation($id: ID!) { updateProduct(id: $id, input: { names: [{locale: "da", text: "Nyt navn"}, {locale: "en", text: "New name"}] }) { names { locale text } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateProduct"]["names"][0]["text"], "Nyt navn",
        "{updated}"
    );

    // A future price version is accepted; one for today or the past is refused.
    let future = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation($id: ID!) { addPriceVersion(productId: $id, input: { effectiveFrom: "2099-01-01", price: "150.00" }) { price { amount } prices { effectiveFrom price { amount } isFuture } } }"#,
            json!({ "id": id }),
        )
        .await;
    let prices = future["data"]["addPriceVersion"]["prices"]
        .as_array()
        .unwrap();
    assert_eq!(prices.len(), 2, "{future}");
    assert_eq!(prices[1]["price"]["amount"], "150.00");
    assert_eq!(prices[1]["isFuture"], true);
    assert_eq!(
        future["data"]["addPriceVersion"]["price"]["amount"],
        "125.50"
    );
    let past = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation($id: ID!) { addPriceVersion(productId: $id, input: { effectiveFrom: "2020-01-01", price: "1.00" }) { id } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&past), "BAD_USER_INPUT", "{past}");
    assert!(
        past["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("immutable")
    );

    let retired = app
        .gql_with(
            &admin,
            kbh,
            r#"mutation($id: ID!) { retireProduct(id: $id) { status } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(retired["data"]["retireProduct"]["status"], "RETIRED");
    // Retired products leave the public catalogue but stay visible to staff.
    let public = app.gql(kbh, r#"{ products { sku } }"#).await;
    assert!(!public.to_string().contains("TEST-1"));
    let staff = app
        .gql_with(
            &admin,
            kbh,
            r#"{ products(includeRetired: true) { sku status } }"#,
            json!({}),
        )
        .await;
    assert!(staff.to_string().contains("TEST-1"));

    let audit = app
        .gql_with(
            &admin,
            kbh,
            r#"{ auditLog(limit: 10) { action actor before after } }"#,
            json!({}),
        )
        .await;
    let actions: Vec<&str> = audit["data"]["auditLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..4],
        [
            "product.retire",
            "price_version.create",
            "product.update",
            "product.create"
        ],
        "{audit}"
    );
    let update = &audit["data"]["auditLog"][2];
    assert_eq!(update["actor"]["email"], "admin@kbh.test");
    assert_eq!(update["before"]["name"]["da"], "Testgebyr");
    assert_eq!(update["after"]["name"]["da"], "Nyt navn");
}

#[tokio::test]
async fn zones_are_managed_with_valid_geometry_only() {
    let app = spawn_app().await;
    app.create_user(Some("kobenhavn"), "admin@kbh.test", Role::TenantAdmin)
        .await;
    let admin = app.logged_in(Some("kobenhavn"), "admin@kbh.test").await;
    let zones = app
        .gql(Some("kobenhavn"), "{ zones { code name geometry } }")
        .await;
    assert_eq!(
        zones["data"]["zones"].as_array().unwrap().len(),
        3,
        "{zones}"
    );
    let open_ring = app
        .gql_with(
            &admin,
            Some("kobenhavn"),
            r#"mutation($g: JSON!) { upsertZone(input: { code: "K9", names: [{locale: "da", text: "Ni"}], geometry: $g }) { code } }"#,
            json!({ "g": { "type": "Polygon", "coordinates": [[[12.5, 55.6], [12.6, 55.6], [12.6, 55.7], [12.5, 55.71]]] } }),
        )
        .await;
    assert_eq!(error_code(&open_ring), "BAD_USER_INPUT", "{open_ring}");
    assert!(
        open_ring["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("closed")
    );
    let ok = app
        .gql_with(
            &admin,
            Some("kobenhavn"),
            r#"mutation($g: JSON!) { upsertZone(input: { code: "K9", names: [{locale: "da", text: "Ni"}], geometry: $g }) { code name } }"#,
            json!({ "g": { "type": "Polygon", "coordinates": [[[12.5, 55.6], [12.6, 55.6], [12.6, 55.7], [12.5, 55.6]]] } }),
        )
        .await;
    assert_eq!(ok["data"]["upsertZone"]["code"], "K9", "{ok}");
}
