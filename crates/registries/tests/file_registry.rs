//! The file-backed registers against the demo data in `tenants/`.

use civicpay_registries::{
    AddressQuery, AddressRegistry, BusinessRegistry, CompanyId, Coordinates, FileRegistry, Holder,
    IdCountry, NationalId, PersonRegistry, PersonStatus, Plate, RegistryError, VehicleKind,
    VehicleRegistry, ZoneIndex,
};
use std::path::PathBuf;

fn tenant(slug: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tenants")
        .join(slug)
}

fn kobenhavn() -> FileRegistry {
    match FileRegistry::load_tenant(&tenant("kobenhavn"), "DK") {
        Ok(registry) => registry,
        Err(e) => panic!("{e}"),
    }
}

fn cpr(raw: &str) -> NationalId {
    match NationalId::cpr(raw) {
        Ok(id) => id,
        Err(e) => panic!("{e}"),
    }
}

fn plate(raw: &str) -> Plate {
    match Plate::parse(raw) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn kobenhavn_demo_data_loads_and_matches_zones() {
    let registry = kobenhavn();
    assert!(registry.people_count() >= 12);
    assert!(registry.company_count() >= 4);
    assert!(registry.vehicle_count() >= 12);

    // Every person with coordinates: in a zone, except the one outside the city.
    let mut zones_seen = std::collections::BTreeSet::new();
    let people = std::fs::read_to_string(tenant("kobenhavn").join("registry/people.json"))
        .unwrap_or_default();
    let people: Vec<serde_json::Value> = serde_json::from_str(&people).unwrap_or_default();
    let mut statuses = Vec::new();
    for entry in &people {
        let id = cpr(entry["national_id"].as_str().unwrap_or_default());
        let Ok(Some(person)) = registry.person(&id).await else {
            panic!("{id} not found");
        };
        statuses.push(person.status);
        let zone = registry
            .zone_for(&AddressQuery::Text(person.address.one_line()))
            .await;
        let Ok(zone) = zone else {
            panic!("zone look-up failed: {zone:?}");
        };
        match (person.address.municipality_code.as_str(), zone) {
            ("0101", Some(zone)) => {
                assert_eq!(zone.attributes, person.address.attributes);
                zones_seen.insert(zone.zone_code.to_string());
            }
            ("0101", None) => panic!("{} is in no zone", person.name),
            (_, zone) => assert!(zone.is_none(), "outside the city but in {zone:?}"),
        }
    }
    assert_eq!(
        zones_seen.into_iter().collect::<Vec<_>>(),
        ["K1", "K2", "K3"]
    );
    assert!(statuses.contains(&PersonStatus::Dead));
    assert!(statuses.contains(&PersonStatus::Emigrated));
}

#[tokio::test]
async fn private_road_and_garage_right_come_with_the_address() {
    let registry = kobenhavn();
    let Ok(Some(lars)) = registry.person(&cpr("030772-0000")).await else {
        panic!("Lars Holm missing");
    };
    assert!(lars.address.attributes.private_road);
    assert_eq!(lars.source, "file:kobenhavn/people.json");
    let by_text = registry
        .zone_for(&AddressQuery::Text(
            "hjertensfrydsvej 9 , 1256  København K".into(),
        ))
        .await;
    let Ok(Some(zone)) = by_text else {
        panic!("address register entry not found: {by_text:?}");
    };
    assert!(zone.attributes.private_road);
    assert_eq!(zone.zone_code.as_str(), "K1");
    let by_point = registry
        .zone_for(&AddressQuery::Point(Coordinates {
            lon: 12.08,
            lat: 55.64,
        }))
        .await;
    assert!(matches!(by_point, Ok(None)), "Roskilde is in no zone");
}

#[tokio::test]
async fn vehicles_carry_holders_and_flags() {
    let registry = kobenhavn();
    let Ok(Some(leased)) = registry.vehicle(&plate("gh 45 678")).await else {
        panic!("GH45678 missing");
    };
    assert!(leased.is_held_by(&Holder::Person(cpr("081179-3000"))));
    assert!(matches!(leased.owners.first(), Some(Holder::Company(_))));

    let Ok(Some(stolen)) = registry.vehicle(&plate("RS89012")).await else {
        panic!("stolen car missing");
    };
    assert!(stolen.stolen);
    let Ok(Some(foreign)) = registry.vehicle(&plate("B-AB 1234")).await else {
        panic!("foreign car missing");
    };
    assert_eq!(foreign.country.as_str(), "DE");
    let Ok(Some(truck)) = registry.vehicle(&plate("TU90123")).await else {
        panic!("truck missing");
    };
    assert_eq!(truck.kind, VehicleKind::Truck);
    assert!(truck.total_weight_kg > 3_500);
    assert!(matches!(
        registry.vehicle(&plate("ZZ00000")).await,
        Ok(None)
    ));
}

#[tokio::test]
async fn companies_have_production_units() {
    let registry = kobenhavn();
    let Ok(id) = CompanyId::cvr("25698126") else {
        panic!("demo CVR invalid");
    };
    let Ok(Some(company)) = registry.company(&id).await else {
        panic!("company missing");
    };
    assert_eq!(company.production_units.len(), 2);
    assert!(
        company
            .production_units
            .iter()
            .any(|u| u.address.municipality_code != "0101")
    );
}

#[tokio::test]
async fn rotterdam_demo_data_loads() {
    let registry = match FileRegistry::load_tenant(&tenant("rotterdam"), "NL") {
        Ok(registry) => registry,
        Err(e) => panic!("{e}"),
    };
    let Ok(id) = NationalId::bsn("999993653") else {
        panic!("BSN vector rejected");
    };
    let Ok(Some(person)) = registry.person(&id).await else {
        panic!("person missing");
    };
    assert_eq!(person.address.city, "Rotterdam");
    let Ok(Some(car)) = registry.vehicle(&plate("6-TJR-64")).await else {
        panic!("car missing");
    };
    assert!(car.is_held_by(&Holder::Person(id)));
    // Rotterdam has no zones: address → zone is not configured.
    let zone = registry
        .zone_for(&AddressQuery::Text("Coolsingel 40".into()))
        .await;
    assert_eq!(zone, Err(RegistryError::NotConfigured));
}

#[tokio::test]
async fn a_missing_file_means_not_configured() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let registry = FileRegistry::load(dir.path(), IdCountry::Denmark, ZoneIndex::default());
    let Ok(registry) = registry else {
        panic!("an empty folder is a valid (unconfigured) registry");
    };
    assert_eq!(
        registry.person(&cpr("211062-5629")).await,
        Err(RegistryError::NotConfigured)
    );
}

#[test]
fn bad_entries_are_reported_with_file_and_entry() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let people = r#"[
      {"national_id": "211062-5629", "name": "Good", "moved_in": "2020-01-01", "status": "active",
       "address": {"street": "A", "number": "1", "postcode": "1000", "city": "K", "municipality_code": "0101"}},
      {"national_id": "511062-5629", "name": "Bad date", "moved_in": "2020-01-01", "status": "active",
       "address": {"street": "A", "number": "1", "postcode": "1000", "city": "K", "municipality_code": "0101"}},
      {"national_id": "211062-5629", "name": "Twice", "moved_in": "2020-01-01", "status": "alive",
       "address": {"street": "A", "number": "1", "postcode": "1000", "city": "K", "municipality_code": "0101"}}
    ]"#;
    let vehicles = r#"[{"plate": "AB12345", "kind": "car", "total_weight_kg": 1000, "fuel_class": "petrol", "country": "DK"},
                       {"plate": "AB12346", "kind": "van", "total_weight_kg": 1000, "fuel_class": "petrol", "country": "DK",
                        "owners": [{"id_kind": "company", "id": "13585627"}]}]"#;
    let written = std::fs::write(dir.path().join("people.json"), people)
        .and_then(|()| std::fs::write(dir.path().join("vehicles.json"), vehicles))
        .and_then(|()| std::fs::write(dir.path().join("companies.json"), "{}"));
    assert!(written.is_ok());
    let Err(RegistryError::Invalid(message)) =
        FileRegistry::load(dir.path(), IdCountry::Denmark, ZoneIndex::default())
    else {
        panic!("bad data accepted");
    };
    assert!(
        message.contains("people.json: entry 1 (name \"Bad date\"): CPR number is invalid"),
        "{message}"
    );
    assert!(message.contains("people.json: entry 2"), "{message}");
    assert!(message.contains("unknown variant `alive`"), "{message}");
    assert!(message.contains("vehicles.json: entry 0"), "{message}");
    assert!(message.contains("unknown variant `car`"), "{message}");
    assert!(
        message.contains(
            "vehicles.json: entry 1 (plate \"AB12346\"): owners[0]: CVR number is invalid"
        ),
        "{message}"
    );
    assert!(
        message.contains("companies.json: expected a JSON array"),
        "{message}"
    );
    // National ids are never repeated in clear, not even in errors.
    assert!(
        !message.contains("5110625629") && !message.contains("511062-5629"),
        "{message}"
    );
}
