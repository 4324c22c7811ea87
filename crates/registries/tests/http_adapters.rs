//! The HTTP adapters against local fake registers (wiremock) answering with the documented
//! shapes: good answers parsed into typed facts, not found, server errors, refused
//! credentials, malformed bodies, slow servers, and the request each adapter sends. Last, an
//! adapter behind `Resilient` against a slow register under 50 concurrent look-ups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use civicpay_registries::http::brp::FIELDS;
use civicpay_registries::{
    AddressQuery, AddressRegistry, BusinessRegistry, CompanyId, CompanyStatus, Coordinates,
    CvrDistribution, HaalCentraalBrp, HttpConfig, NationalId, PdokLocatieserver, PersonRegistry,
    PersonStatus, Plate, RdwOpenData, RegistryError, ResilienceConfig, Resilient, VehicleKind,
    VehicleRegistry, ZoneIndex,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{basic_auth, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BSN: &str = "999993653";
const BRP_PATH: &str = "/haalcentraal/api/brp/personen";
/// Short, so the slow-server tests are quick; the bound asserted is generous.
const TIMEOUT: Duration = Duration::from_millis(200);
const BOUND: Duration = Duration::from_secs(2);

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn config(server: &MockServer, base_path: &str) -> HttpConfig {
    HttpConfig::new(format!("{}{base_path}", server.uri())).with_timeout(TIMEOUT)
}

fn bsn() -> NationalId {
    NationalId::bsn(BSN).unwrap()
}

fn unavailable(result: Result<impl std::fmt::Debug, RegistryError>) -> String {
    match result {
        Err(RegistryError::Unavailable(message)) => message,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn invalid(result: Result<impl std::fmt::Debug, RegistryError>) -> String {
    match result {
        Err(RegistryError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A slow server's answer comes back as Unavailable, well within the bound.
async fn assert_times_out<T: std::fmt::Debug>(
    call: impl std::future::Future<Output = Result<T, RegistryError>>,
    register: &str,
) {
    let started = Instant::now();
    let message = unavailable(call.await);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= TIMEOUT,
        "gave up after {elapsed:?}, before the timeout"
    );
    assert!(elapsed < BOUND, "took {elapsed:?}");
    assert!(message.contains(register), "{message}");
    assert!(
        message.contains("did not answer within 200 ms"),
        "{message}"
    );
    assert!(message.contains("try again later"), "{message}");
}

fn slow(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        .set_delay(Duration::from_secs(5))
}

// ---------------------------------------------------------------------------------------
// Haal Centraal BRP
// ---------------------------------------------------------------------------------------

fn brp(server: &MockServer) -> HaalCentraalBrp {
    HaalCentraalBrp::new(config(server, "/haalcentraal/api/brp").with_api_key("test-api-key"))
        .unwrap()
}

fn brp_answer(persoon: Value) -> Value {
    json!({"type": "RaadpleegMetBurgerservicenummer", "personen": [persoon]})
}

#[tokio::test]
async fn brp_sends_the_documented_query_and_parses_the_person() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BRP_PATH))
        .and(header("x-api-key", "test-api-key"))
        .and(header("content-type", "application/json; charset=utf-8"))
        .and(body_json(json!({
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": [BSN],
            "fields": FIELDS,
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("brp_raadpleeg_999993653.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let person = brp(&server).person(&bsn()).await.unwrap().unwrap();
    assert_eq!(person.national_id, bsn());
    assert_eq!(person.name, "Suzanne Moulin");
    assert_eq!(person.address.street, "Coolsingel");
    assert_eq!(person.address.number, "40a");
    assert_eq!(person.address.postcode, "3011AD");
    assert_eq!(person.address.city, "Rotterdam");
    assert_eq!(person.address.municipality_code, "0599");
    assert_eq!(person.address.coordinates, None);
    assert_eq!(
        person.address.one_line(),
        "Coolsingel 40a, 3011AD Rotterdam"
    );
    // datumVan (aanvang adreshouding) wins over datumIngangGeldigheid.
    assert_eq!(
        person.moved_in,
        NaiveDate::from_ymd_opt(2017, 4, 1).unwrap()
    );
    assert_eq!(person.status, PersonStatus::Active);
    assert!(
        person.source.starts_with("Haal Centraal BRP (127.0.0.1)"),
        "{}",
        person.source
    );
    assert!(chrono::Utc::now() - person.fetched_at < chrono::Duration::seconds(5));
    // The number is in the body only, never in the URL.
    let requests = server.received_requests().await.unwrap();
    assert!(!requests[0].url.as_str().contains(BSN));
}

#[tokio::test]
async fn brp_unknown_number_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(BRP_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"type": "RaadpleegMetBurgerservicenummer", "personen": []})),
        )
        .mount(&server)
        .await;
    assert_eq!(brp(&server).person(&bsn()).await, Ok(None));
}

#[tokio::test]
async fn not_found_status_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    assert_eq!(brp(&server).person(&bsn()).await, Ok(None));
    assert_eq!(cvr(&server).company(&cvr_id()).await, Ok(None));
    let plate = Plate::parse("6TJR64").unwrap();
    assert_eq!(rdw(&server).vehicle(&plate).await, Ok(None));
    let query = AddressQuery::Text("Coolsingel 40".into());
    assert_eq!(pdok(&server).zone_for(&query).await, Ok(None));
}

#[tokio::test]
async fn brp_suspended_records_give_dead_emigrated_or_void() {
    let dead = json!({
        "burgerservicenummer": BSN,
        "naam": {"volledigeNaam": "Pieter de Boer"},
        "gemeenteVanInschrijving": {"code": "0518", "omschrijving": "'s-Gravenhage"},
        "verblijfplaats": {
            "type": "Adres",
            "verblijfadres": {"officieleStraatnaam": "Spui", "huisnummer": 70, "postcode": "2511BT", "woonplaats": "'s-Gravenhage"},
            "datumVan": {"type": "JaarMaandDatum", "jaar": 2020, "maand": 3, "langFormaat": "maart 2020"}
        },
        "opschortingBijhouding": {
            "reden": {"code": "O", "omschrijving": "overlijden"},
            "datum": {"type": "Datum", "datum": "2024-02-11", "langFormaat": "11 februari 2024"}
        }
    });
    let emigrated = json!({
        "burgerservicenummer": BSN,
        "naam": {"volledigeNaam": "Pieter de Boer"},
        "gemeenteVanInschrijving": {"code": "1999", "omschrijving": "Registratie Niet Ingezetenen (RNI)"},
        "verblijfplaats": {
            "type": "VerblijfplaatsBuitenland",
            "verblijfadres": {"regel1": "1600 Pennsylvania Avenue NW", "regel2": "Washington, DC 20500", "land": {"code": "6014", "omschrijving": "Verenigde Staten van Amerika"}},
            "datumVan": {"type": "JaarDatum", "jaar": 2021, "langFormaat": "2021"}
        },
        "opschortingBijhouding": {"reden": {"code": "E", "omschrijving": "emigratie"}}
    });
    let void = json!({
        "burgerservicenummer": BSN,
        "opschortingBijhouding": {"reden": {"code": "F", "omschrijving": "fout"}}
    });
    for (persoon, expected) in [
        (dead, Some(PersonStatus::Dead)),
        (emigrated, Some(PersonStatus::Emigrated)),
        (void, None),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(brp_answer(persoon)))
            .mount(&server)
            .await;
        let person = brp(&server).person(&bsn()).await.unwrap();
        assert_eq!(person.as_ref().map(|p| p.status), expected);
        if let Some(person) = person {
            match person.status {
                PersonStatus::Dead => {
                    assert_eq!(
                        person.moved_in,
                        NaiveDate::from_ymd_opt(2020, 3, 1).unwrap()
                    );
                    assert_eq!(person.address.municipality_code, "0518");
                }
                _ => {
                    assert_eq!(
                        person.moved_in,
                        NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()
                    );
                    assert_eq!(person.address.street, "1600 Pennsylvania Avenue NW");
                    assert_eq!(
                        person.address.city,
                        "Washington, DC 20500, Verenigde Staten van Amerika"
                    );
                    assert_eq!(person.address.municipality_code, "1999");
                }
            }
        }
    }
}

#[tokio::test]
async fn brp_server_error_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "type": "https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.1",
            "title": "Interne server fout.",
            "status": 500,
            "instance": "/haalcentraal/api/brp/personen"
        })))
        .mount(&server)
        .await;
    let message = unavailable(brp(&server).person(&bsn()).await);
    assert!(
        message.contains("person register (Haal Centraal BRP)"),
        "{message}"
    );
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("try again later"), "{message}");
}

#[tokio::test]
async fn brp_refused_credentials_are_unavailable_and_say_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "https://datatracker.ietf.org/doc/html/rfc7235#section-3.1",
            "title": "Niet geauthenticeerd.",
            "status": 401
        })))
        .mount(&server)
        .await;
    let message = unavailable(brp(&server).person(&bsn()).await);
    assert!(
        message.contains("refused civicpay's credentials"),
        "{message}"
    );
    assert!(message.contains("HTTP 401"), "{message}");
}

#[tokio::test]
async fn brp_rejected_question_is_invalid_without_the_number() {
    let server = MockServer::start().await;
    // A problem document that echoes the number must not carry it into the message.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1",
            "title": "Een of meerdere parameters zijn niet correct.",
            "status": 400,
            "detail": "De foutieve parameter(s) zijn: burgerservicenummer[0].",
            "code": "paramsValidation",
            "invalidParams": [{"name": "burgerservicenummer[0]", "code": "pattern", "reason": "Waarde 999993653 voldoet niet aan patroon ^[0-9]{9}$."}]
        })))
        .mount(&server)
        .await;
    let message = invalid(brp(&server).person(&bsn()).await);
    assert!(
        message.contains("rejected the question (HTTP 400)"),
        "{message}"
    );
    assert!(
        message.contains("Een of meerdere parameters zijn niet correct."),
        "{message}"
    );
    assert!(!message.contains(BSN), "{message}");
}

#[tokio::test]
async fn brp_malformed_answers_are_invalid_and_name_what_is_missing() {
    let no_name = brp_answer(json!({
        "burgerservicenummer": BSN,
        "gemeenteVanInschrijving": {"code": "0599", "omschrijving": "Rotterdam"},
        "verblijfplaats": {"type": "Adres", "verblijfadres": {"officieleStraatnaam": "Coolsingel", "huisnummer": 40}}
    }));
    let wrong_type = json!({"type": "RaadpleegMetBurgerservicenummer", "personen": [{"burgerservicenummer": 999993653}]});
    let cases = [
        (
            ResponseTemplate::new(200).set_body_json(no_name),
            "naam.volledigeNaam",
        ),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"type": "RaadpleegMetBurgerservicenummer"})),
            "\"personen\"",
        ),
        (
            ResponseTemplate::new(200).set_body_raw("<html>Gateway</html>", "text/html"),
            "not the documented JSON",
        ),
        (
            ResponseTemplate::new(200).set_body_json(wrong_type),
            "not the documented JSON",
        ),
    ];
    for (response, missing) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let message = invalid(brp(&server).person(&bsn()).await);
        assert!(
            message.contains("person register (Haal Centraal BRP)"),
            "{message}"
        );
        assert!(message.contains(missing), "{message}");
        assert!(!message.contains(BSN), "{message}");
    }
}

#[tokio::test]
async fn brp_answer_about_another_number_is_refused() {
    let server = MockServer::start().await;
    let mut other = fixture("brp_raadpleeg_999993653.json");
    other["personen"][0]["burgerservicenummer"] = json!("999990019");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(other))
        .mount(&server)
        .await;
    let message = invalid(brp(&server).person(&bsn()).await);
    assert!(
        message.contains("different burgerservicenummer"),
        "{message}"
    );
}

#[tokio::test]
async fn brp_slow_server_is_unavailable_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow(fixture("brp_raadpleeg_999993653.json")))
        .mount(&server)
        .await;
    assert_times_out(
        brp(&server).person(&bsn()),
        "person register (Haal Centraal BRP)",
    )
    .await;
}

#[tokio::test]
async fn brp_asks_only_about_dutch_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let cpr = NationalId::cpr("211062-5629").unwrap();
    let message = invalid(brp(&server).person(&cpr).await);
    assert!(message.contains("BSN"), "{message}");
}

#[tokio::test]
async fn an_unreachable_register_is_unavailable() {
    // A port nothing listens on: bind, take the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let registry = HaalCentraalBrp::new(
        HttpConfig::new(format!("http://127.0.0.1:{port}/haalcentraal/api/brp"))
            .with_timeout(TIMEOUT),
    )
    .unwrap();
    let message = unavailable(registry.person(&bsn()).await);
    assert!(message.contains("try again later"), "{message}");
}

#[test]
fn bad_configuration_is_refused_clearly() {
    let message = match HaalCentraalBrp::new(HttpConfig::new("not a url")) {
        Err(RegistryError::Invalid(message)) => message,
        other => panic!("{other:?}"),
    };
    assert!(message.contains("base URL"), "{message}");
    assert!(
        RdwOpenData::new(HttpConfig::new("ftp://opendata.rdw.nl")).is_err(),
        "only http(s)"
    );
    assert!(
        RdwOpenData::new(
            HttpConfig::new(RdwOpenData::DEFAULT_BASE_URL).with_timeout(Duration::ZERO)
        )
        .is_err()
    );
    // A key never shows in debug output.
    let registry = HaalCentraalBrp::new(
        HttpConfig::new(HaalCentraalBrp::DEFAULT_BASE_URL).with_api_key("k-123-secret"),
    )
    .unwrap();
    assert!(!format!("{registry:?}").contains("k-123-secret"));
    let cvr = CvrDistribution::new(
        HttpConfig::new(CvrDistribution::DEFAULT_BASE_URL),
        "user",
        "pw-secret",
    )
    .unwrap();
    assert!(!format!("{cvr:?}").contains("pw-secret"));
}

// ---------------------------------------------------------------------------------------
// RDW Open Data
// ---------------------------------------------------------------------------------------

fn rdw(server: &MockServer) -> RdwOpenData {
    RdwOpenData::new(config(server, "")).unwrap()
}

async fn mount_rdw(server: &MockServer, kenteken: &str, vehicle: Value, fuel: Value) {
    Mock::given(method("GET"))
        .and(path("/resource/m9d7-ebf2.json"))
        .and(query_param("kenteken", kenteken))
        .respond_with(ResponseTemplate::new(200).set_body_json(vehicle))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/resource/8ys7-d773.json"))
        .and(query_param("kenteken", kenteken))
        .respond_with(ResponseTemplate::new(200).set_body_json(fuel))
        .mount(server)
        .await;
}

#[tokio::test]
async fn rdw_parses_vehicle_and_fuel_and_says_what_open_data_lacks() {
    let server = MockServer::start().await;
    mount_rdw(
        &server,
        "6TJR64",
        fixture("rdw_m9d7-ebf2_6TJR64.json"),
        fixture("rdw_8ys7-d773_6TJR64.json"),
    )
    .await;
    let plate = Plate::parse("6-tjr-64").unwrap();
    let vehicle = rdw(&server).vehicle(&plate).await.unwrap().unwrap();
    assert_eq!(vehicle.plate.as_str(), "6TJR64");
    assert_eq!(vehicle.kind, VehicleKind::PassengerCar);
    assert_eq!(vehicle.total_weight_kg, 1490);
    assert_eq!(vehicle.fuel_class, "Benzine");
    assert_eq!(vehicle.country.as_str(), "NL");
    assert!(vehicle.owners.is_empty() && vehicle.users.is_empty());
    assert!(!vehicle.stolen);
    assert_eq!(vehicle.flagged, None);
    assert!(
        vehicle.source.contains("RDW Open Data"),
        "{}",
        vehicle.source
    );
    assert!(
        vehicle.source.contains("no owners or users"),
        "{}",
        vehicle.source
    );
    assert!(
        vehicle.source.contains("no stolen status"),
        "{}",
        vehicle.source
    );
}

#[tokio::test]
async fn rdw_sends_the_app_token_when_configured() {
    let server = MockServer::start().await;
    for dataset in ["/resource/m9d7-ebf2.json", "/resource/8ys7-d773.json"] {
        Mock::given(method("GET"))
            .and(path(dataset))
            .and(header("x-app-token", "soda-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&server)
            .await;
    }
    let registry = RdwOpenData::new(config(&server, "").with_api_key("soda-token")).unwrap();
    assert_eq!(
        registry.vehicle(&Plate::parse("GZ-123-K").unwrap()).await,
        Ok(None)
    );
}

#[tokio::test]
async fn rdw_kinds_and_hybrid_fuels() {
    let server = MockServer::start().await;
    mount_rdw(
        &server,
        "VNB12X",
        json!([{"kenteken": "VNB12X", "voertuigsoort": "Bedrijfsauto", "toegestane_maximum_massa_voertuig": "3100"}]),
        json!([
            {"kenteken": "VNB12X", "brandstof_volgnummer": "2", "brandstof_omschrijving": "Elektriciteit"},
            {"kenteken": "VNB12X", "brandstof_volgnummer": "1", "brandstof_omschrijving": "Benzine"}
        ]),
    )
    .await;
    mount_rdw(
        &server,
        "BXLT42",
        json!([{"kenteken": "BXLT42", "voertuigsoort": "Bedrijfsauto", "toegestane_maximum_massa_voertuig": "18000"}]),
        json!([{"kenteken": "BXLT42", "brandstof_volgnummer": "1", "brandstof_omschrijving": "Diesel"}]),
    )
    .await;
    mount_rdw(
        &server,
        "WTX12B",
        json!([{"kenteken": "WTX12B", "voertuigsoort": "Aanhangwagen", "technische_max_massa_voertuig": "750"}]),
        json!([]),
    )
    .await;
    let registry = rdw(&server);
    let van = registry
        .vehicle(&Plate::parse("VNB-12-X").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(van.kind, VehicleKind::Van);
    assert_eq!(van.total_weight_kg, 3100);
    assert_eq!(van.fuel_class, "Benzine/Elektriciteit");
    let truck = registry
        .vehicle(&Plate::parse("BX-LT-42").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(truck.kind, VehicleKind::Truck);
    assert_eq!(truck.fuel_class, "Diesel");
    let trailer = registry
        .vehicle(&Plate::parse("WT-X1-2B").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(trailer.kind, VehicleKind::Other);
    assert_eq!(trailer.total_weight_kg, 750);
    assert_eq!(trailer.fuel_class, "unknown");
}

#[tokio::test]
async fn rdw_unknown_plate_is_none() {
    let server = MockServer::start().await;
    mount_rdw(&server, "ZZ999Z", json!([]), json!([])).await;
    assert_eq!(
        rdw(&server)
            .vehicle(&Plate::parse("ZZ-999-Z").unwrap())
            .await,
        Ok(None)
    );
}

#[tokio::test]
async fn rdw_errors_are_classified() {
    let plate = Plate::parse("6-TJR-64").unwrap();
    let cases: [(ResponseTemplate, bool, &str); 5] = [
        (ResponseTemplate::new(500), true, "HTTP 500"),
        (ResponseTemplate::new(429), true, "too many requests"),
        (ResponseTemplate::new(403).set_body_json(json!({"code": "permission_denied", "error": true, "message": "Invalid app_token specified"})), true, "refused civicpay's credentials"),
        (
            ResponseTemplate::new(400).set_body_json(json!({"code": "query.compiler.malformed", "error": true, "message": "Could not parse SoQL query"})),
            false,
            "Could not parse SoQL query",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"kenteken": "6TJR64"})),
            false,
            "not the documented JSON",
        ),
    ];
    for (response, is_unavailable, says) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&server)
            .await;
        let result = rdw(&server).vehicle(&plate).await;
        let message = if is_unavailable {
            unavailable(result)
        } else {
            invalid(result)
        };
        assert!(message.contains("vehicle register (RDW)"), "{message}");
        assert!(message.contains(says), "{message}");
    }
}

#[tokio::test]
async fn rdw_malformed_row_names_the_missing_field() {
    let server = MockServer::start().await;
    mount_rdw(
        &server,
        "6TJR64",
        json!([{"kenteken": "6TJR64", "voertuigsoort": "Personenauto"}]),
        fixture("rdw_8ys7-d773_6TJR64.json"),
    )
    .await;
    let message = invalid(rdw(&server).vehicle(&Plate::parse("6TJR64").unwrap()).await);
    assert!(
        message.contains("toegestane_maximum_massa_voertuig"),
        "{message}"
    );
}

#[tokio::test]
async fn rdw_slow_server_is_unavailable_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(slow(fixture("rdw_m9d7-ebf2_6TJR64.json")))
        .mount(&server)
        .await;
    let registry = rdw(&server);
    let plate = Plate::parse("6TJR64").unwrap();
    assert_times_out(registry.vehicle(&plate), "vehicle register (RDW)").await;
}

// ---------------------------------------------------------------------------------------
// CVR
// ---------------------------------------------------------------------------------------

const CVR_USER: &str = "civicpay_kbh";
const CVR_PASSWORD: &str = "cvr-test-password";

fn cvr(server: &MockServer) -> CvrDistribution {
    CvrDistribution::new(config(server, ""), CVR_USER, CVR_PASSWORD).unwrap()
}

fn cvr_id() -> CompanyId {
    CompanyId::cvr("31022142").unwrap()
}

fn no_hits() -> Value {
    json!({"took": 1, "timed_out": false, "hits": {"total": 0, "max_score": null, "hits": []}})
}

#[tokio::test]
async fn cvr_parses_company_and_current_production_units() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/virksomhed/_search"))
        .and(basic_auth(CVR_USER, CVR_PASSWORD))
        .and(body_json(
            json!({"query": {"term": {"Vrvirksomhed.cvrNummer": 31022142}}, "size": 1}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("cvr_virksomhed_31022142.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Only the two units whose period is open (1019876543 closed in 2016).
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/produktionsenhed/_search"))
        .and(basic_auth(CVR_USER, CVR_PASSWORD))
        .and(body_json(json!({
            "query": {"terms": {"VrproduktionsEnhed.pNummer": ["1012345678", "1023456789"]}},
            "size": 2
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("cvr_produktionsenheder_31022142.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let company = cvr(&server).company(&cvr_id()).await.unwrap().unwrap();
    assert_eq!(company.company_id, cvr_id());
    assert_eq!(company.name, "Nørrebro Blomster ApS");
    assert_eq!(company.status, CompanyStatus::Active);
    assert!(
        company.source.starts_with("CVR (127.0.0.1"),
        "{}",
        company.source
    );
    let units = &company.production_units;
    assert_eq!(units.len(), 2);
    // In the company's order, not the search's.
    assert_eq!(units[0].p_number, "1012345678");
    assert_eq!(units[0].name, "Nørrebro Blomster");
    assert_eq!(
        units[0].address.one_line(),
        "Jægersborggade 14, 2200 København N"
    );
    assert_eq!(units[0].address.municipality_code, "0101");
    assert_eq!(units[0].address.coordinates, None);
    assert_eq!(units[1].p_number, "1023456789");
    assert_eq!(units[1].name, "Nørrebro Blomster Værksted");
    assert_eq!(units[1].address.street, "Rantzausgade");
    assert_eq!(units[1].address.number, "3B, st. th");
    assert_eq!(units[1].address.postcode, "2200");
    assert_eq!(units[1].address.city, "København N");
}

#[tokio::test]
async fn cvr_unknown_company_is_none_and_units_are_not_searched() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/virksomhed/_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(no_hits()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/produktionsenhed/_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(no_hits()))
        .expect(0)
        .mount(&server)
        .await;
    assert_eq!(cvr(&server).company(&cvr_id()).await, Ok(None));
}

#[tokio::test]
async fn cvr_statuses() {
    for (status, metadata, expected) in [
        ("UNDER KONKURS", "UNDER KONKURS", CompanyStatus::Bankrupt),
        ("OPLØST EFTER KONKURS", "Ophørt", CompanyStatus::Dissolved),
        ("TVANGSOPLØST", "Ophørt", CompanyStatus::Dissolved),
        (
            "UNDER FRIVILLIG LIKVIDATION",
            "UNDER FRIVILLIG LIKVIDATION",
            CompanyStatus::Unknown,
        ),
    ] {
        let mut answer = fixture("cvr_virksomhed_31022142.json");
        let company = &mut answer["hits"]["hits"][0]["_source"]["Vrvirksomhed"];
        company["virksomhedsstatus"] = json!([
            {"status": "NORMAL", "periode": {"gyldigFra": "2007-11-01", "gyldigTil": "2023-05-31"}},
            {"status": status, "periode": {"gyldigFra": "2023-06-01", "gyldigTil": null}}
        ]);
        company["virksomhedMetadata"]["sammensatStatus"] = json!(metadata);
        company["penheder"] = json!([]);
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/cvr-permanent/virksomhed/_search"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&server)
            .await;
        let company = cvr(&server).company(&cvr_id()).await.unwrap().unwrap();
        assert_eq!(company.status, expected, "{status}");
        assert!(company.production_units.is_empty());
    }
}

#[tokio::test]
async fn cvr_errors_are_classified() {
    let cases: [(ResponseTemplate, bool, &str); 5] = [
        (ResponseTemplate::new(401).set_body_string("Unauthorized"), true, "refused civicpay's credentials"),
        (ResponseTemplate::new(503), true, "HTTP 503"),
        (
            ResponseTemplate::new(400).set_body_json(json!({"error": "SearchPhaseExecutionException[Failed to execute phase [query]]", "status": 400})),
            false,
            "SearchPhaseExecutionException",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"took": 1, "timed_out": false})),
            false,
            "has no \"hits\"",
        ),
        (
            ResponseTemplate::new(200).set_body_raw("{\"hits\": {\"hits\": [", "application/json"),
            false,
            "not the documented JSON",
        ),
    ];
    for (response, is_unavailable, says) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let result = cvr(&server).company(&cvr_id()).await;
        let message = if is_unavailable {
            unavailable(result)
        } else {
            invalid(result)
        };
        assert!(message.contains("business register (CVR)"), "{message}");
        assert!(message.contains(says), "{message}");
    }
}

#[tokio::test]
async fn cvr_unit_without_address_is_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/virksomhed/_search"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("cvr_virksomhed_31022142.json")),
        )
        .mount(&server)
        .await;
    let mut units = fixture("cvr_produktionsenheder_31022142.json");
    let unit = &mut units["hits"]["hits"][0]["_source"]["VrproduktionsEnhed"];
    unit["beliggenhedsadresse"] = json!([]);
    Mock::given(method("POST"))
        .and(path("/cvr-permanent/produktionsenhed/_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(units))
        .mount(&server)
        .await;
    let message = invalid(cvr(&server).company(&cvr_id()).await);
    assert!(
        message.contains("production unit 1023456789 has no beliggenhedsadresse"),
        "{message}"
    );
}

#[tokio::test]
async fn cvr_slow_server_is_unavailable_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow(fixture("cvr_virksomhed_31022142.json")))
        .mount(&server)
        .await;
    let registry = cvr(&server);
    let id = cvr_id();
    assert_times_out(registry.company(&id), "business register (CVR)").await;
}

#[tokio::test]
async fn cvr_asks_only_about_danish_numbers() {
    let server = MockServer::start().await;
    let kvk = CompanyId::kvk("24382106").unwrap();
    let message = invalid(cvr(&server).company(&kvk).await);
    assert!(message.contains("Danish CVR numbers only"), "{message}");
}

// ---------------------------------------------------------------------------------------
// PDOK Locatieserver + zones
// ---------------------------------------------------------------------------------------

const PDOK_PATH: &str = "/bzk/locatieserver/search/v3_1/free";

/// Rotterdam centre (R1) and Kop van Zuid (R2), roughly.
fn rotterdam_zones() -> ZoneIndex {
    let square = |x0: f64, y0: f64, x1: f64, y1: f64| json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]});
    ZoneIndex::from_geojson_features(vec![
        ("R1".into(), square(4.46, 51.915, 4.50, 51.93)),
        ("R2".into(), square(4.48, 51.895, 4.51, 51.912)),
    ])
    .unwrap()
}

fn pdok(server: &MockServer) -> PdokLocatieserver {
    PdokLocatieserver::new(config(server, ""), rotterdam_zones()).unwrap()
}

fn pdok_doc(patch: Value) -> Value {
    let mut answer = fixture("pdok_free_coolsingel_40.json");
    let doc = &mut answer["response"]["docs"][0];
    if let (Some(doc), Value::Object(patch)) = (doc.as_object_mut(), patch) {
        doc.extend(patch);
    }
    answer
}

#[tokio::test]
async fn pdok_geocodes_the_address_and_the_zones_give_the_zone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PDOK_PATH))
        .and(query_param("q", "Coolsingel 40, Rotterdam"))
        .and(query_param("fq", "type:adres"))
        .and(query_param("rows", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("pdok_free_coolsingel_40.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let registry = pdok(&server);

    let address = registry
        .locate("  Coolsingel 40,   Rotterdam ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(address.one_line(), "Coolsingel 40, 3011AD Rotterdam");
    assert_eq!(address.municipality_code, "0599");
    assert_eq!(
        address.coordinates,
        Some(Coordinates {
            lon: 4.47833516,
            lat: 51.92251397
        })
    );

    let zone = registry
        .zone_for(&AddressQuery::Text("Coolsingel 40, Rotterdam".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(zone.zone_code.as_str(), "R1");
    assert_eq!(zone.attributes, Default::default());
    assert!(
        zone.source.contains("PDOK Locatieserver"),
        "{}",
        zone.source
    );
    assert!(
        zone.source.contains("Coolsingel 40, 3011AD Rotterdam"),
        "{}",
        zone.source
    );
}

#[tokio::test]
async fn pdok_fuzzy_match_on_another_house_number_is_not_the_address() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PDOK_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(pdok_doc(json!({
            "weergavenaam": "Coolsingel 4, 3011AD Rotterdam", "huisnummer": 4, "huis_nlt": "4"
        }))))
        .mount(&server)
        .await;
    let query = AddressQuery::Text("Coolsingel 40 Rotterdam".into());
    assert_eq!(pdok(&server).zone_for(&query).await, Ok(None));
}

#[tokio::test]
async fn pdok_no_match_outside_zones_and_no_number_are_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PDOK_PATH))
        .and(query_param("q", "Nergensstraat 1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"response": {"numFound": 0, "start": 0, "maxScore": 0.0, "numFoundExact": true, "docs": []}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PDOK_PATH))
        .and(query_param("q", "Damrak 1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pdok_doc(json!({
            "weergavenaam": "Damrak 1, 1012LG Amsterdam", "straatnaam": "Damrak", "huisnummer": 1,
            "huis_nlt": "1", "postcode": "1012LG", "woonplaatsnaam": "Amsterdam", "gemeentecode": "0363",
            "centroide_ll": "POINT(4.89513 52.37562)"
        }))))
        .mount(&server)
        .await;
    let registry = pdok(&server);
    for text in ["Nergensstraat 1", "Damrak 1", "Coolsingel"] {
        assert_eq!(
            registry.zone_for(&AddressQuery::Text(text.into())).await,
            Ok(None),
            "{text}"
        );
    }
    // "Coolsingel" (no number) was not even asked.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn pdok_points_need_no_geocoding_and_no_zones_is_not_configured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let zone = pdok(&server)
        .zone_for(&AddressQuery::Point(Coordinates {
            lon: 4.49,
            lat: 51.905,
        }))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(zone.zone_code.as_str(), "R2");
    let unzoned = PdokLocatieserver::new(config(&server, ""), ZoneIndex::default()).unwrap();
    assert_eq!(
        unzoned
            .zone_for(&AddressQuery::Text("Coolsingel 40".into()))
            .await,
        Err(RegistryError::NotConfigured)
    );
}

#[tokio::test]
async fn pdok_errors_are_classified() {
    let query = AddressQuery::Text("Coolsingel 40".into());
    let cases: [(ResponseTemplate, bool, &str); 4] = [
        (ResponseTemplate::new(502), true, "HTTP 502"),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"title": "Bad Request", "status": 400, "detail": "unknown query parameter"}),
            ),
            false,
            "Bad Request",
        ),
        (
            ResponseTemplate::new(200).set_body_json(pdok_doc(
                json!({"centroide_ll": "POINT(92797.71 436984.86)"}),
            )),
            false,
            "centroide_ll",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"responseHeader": {"status": 0}})),
            false,
            "no \"response\"",
        ),
    ];
    for (response, is_unavailable, says) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&server)
            .await;
        let result = pdok(&server).zone_for(&query).await;
        let message = if is_unavailable {
            unavailable(result)
        } else {
            invalid(result)
        };
        assert!(
            message.contains("address register (PDOK Locatieserver)"),
            "{message}"
        );
        assert!(message.contains(says), "{message}");
    }
}

#[tokio::test]
async fn pdok_slow_server_is_unavailable_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(slow(fixture("pdok_free_coolsingel_40.json")))
        .mount(&server)
        .await;
    let registry = pdok(&server);
    let query = AddressQuery::Text("Coolsingel 40".into());
    assert_times_out(
        registry.zone_for(&query),
        "address register (PDOK Locatieserver)",
    )
    .await;
}

// ---------------------------------------------------------------------------------------
// Behind Resilient: a slow register does not starve the runtime
// ---------------------------------------------------------------------------------------

/// 50 concurrent look-ups against a register that takes 5 s, behind `Resilient` with a
/// 300 ms timeout: all 50 come back unavailable within a bound, while a ticker keeps ticking
/// and a look-up at a fast register completes in the meantime.
async fn fifty_slow_look_ups_do_not_starve_the_runtime() {
    let slow_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(slow(fixture("brp_raadpleeg_999993653.json")))
        .mount(&slow_server)
        .await;
    let fast_server = MockServer::start().await;
    mount_rdw(
        &fast_server,
        "6TJR64",
        fixture("rdw_m9d7-ebf2_6TJR64.json"),
        fixture("rdw_8ys7-d773_6TJR64.json"),
    )
    .await;

    let slow_brp = HaalCentraalBrp::new(
        HttpConfig::new(format!("{}/haalcentraal/api/brp", slow_server.uri()))
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let resilient = std::sync::Arc::new(Resilient::new(
        slow_brp,
        "person register",
        ResilienceConfig {
            timeout: Duration::from_millis(300),
            retries: 0,
            failure_threshold: 1_000,
            ..ResilienceConfig::default()
        },
    ));
    let fast_rdw = RdwOpenData::new(config(&fast_server, "")).unwrap();

    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let ticker = {
        let ticks = std::sync::Arc::clone(&ticks);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };

    let started = Instant::now();
    let mut lookups = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let resilient = std::sync::Arc::clone(&resilient);
        lookups.spawn(async move { resilient.person(&bsn()).await });
    }
    // Meanwhile a fast register answers promptly.
    let vehicle = fast_rdw.vehicle(&Plate::parse("6-TJR-64").unwrap()).await;
    let fast_elapsed = started.elapsed();
    assert!(matches!(vehicle, Ok(Some(_))), "{vehicle:?}");
    assert!(
        fast_elapsed < Duration::from_millis(300),
        "fast look-up took {fast_elapsed:?}"
    );

    let mut count = 0;
    while let Some(result) = lookups.join_next().await {
        let message = unavailable(result.unwrap());
        assert!(
            message.contains("did not answer within 300 ms"),
            "{message}"
        );
        count += 1;
    }
    let elapsed = started.elapsed();
    let ticked = ticks.load(std::sync::atomic::Ordering::Relaxed);
    ticker.abort();
    assert_eq!(count, 50);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < BOUND, "50 slow look-ups took {elapsed:?}");
    // ~30 ticks of 10 ms fit in 300 ms; 10 is a generous floor for a busy machine.
    assert!(
        ticked >= 10,
        "the ticker ticked only {ticked} times in {elapsed:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn fifty_slow_look_ups_on_a_current_thread_runtime() {
    fifty_slow_look_ups_do_not_starve_the_runtime().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_slow_look_ups_on_two_workers() {
    fifty_slow_look_ups_do_not_starve_the_runtime().await;
}
