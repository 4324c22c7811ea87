//! The registry folder lives beside the tenant configuration: the configuration still loads,
//! and its zones build the same index.

use civicpay_registries::{AddressQuery, AddressRegistry, FileRegistry, IdCountry, ZoneIndex};
use std::path::PathBuf;

#[tokio::test]
async fn tenant_config_loads_with_a_registry_folder_and_feeds_the_zone_index() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants/kobenhavn");
    let config = match civicpay_tenant_config::load(&dir) {
        Ok(config) => config,
        Err(e) => panic!("tenant folder with registry/ rejected: {e:?}"),
    };
    let zones = config
        .zones
        .iter()
        .map(|z| (z.code.to_string(), z.geometry.clone()))
        .collect();
    let index = ZoneIndex::from_geojson_features(zones).unwrap_or_else(|e| panic!("{e}"));
    let country = IdCountry::from_iso(config.country.as_str()).unwrap_or_else(|e| panic!("{e}"));
    let registry = FileRegistry::load(&FileRegistry::dir_of(&dir), country, index)
        .unwrap_or_else(|e| panic!("{e}"));
    let zone = registry
        .zone_for(&AddressQuery::Text("Nyhavn 18, 1051 København K".into()))
        .await;
    let Ok(Some(zone)) = zone else {
        panic!("{zone:?}");
    };
    assert_eq!(zone.zone_code.as_str(), "K1");
    assert_eq!(zone.attributes.garage_right.as_deref(), Some("G-NYHAVN"));
}

#[test]
fn rotterdam_config_loads_with_a_registry_folder() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants/rotterdam");
    assert!(civicpay_tenant_config::load(&dir).is_ok());
}
