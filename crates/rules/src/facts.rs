//! The typed facts a council's rules are written over.
//!
//! Every field is always present (a missing value is written as `""`, `0` or `false`, and the
//! permit counters carry every product kind), because CEL in `cel-interpreter` treats a missing
//! field as an error, and a rule must never pass or fail silently on a fact nobody filled in.

use chrono::NaiveDate;
use civicpay_domain::{ProductKind, Sku, ZoneCode};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Everything a rule may look at, one CEL variable per field: `applicant`, `address`,
/// `vehicle`, `company`, `permits`, `product` and `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub applicant: Applicant,
    pub address: Address,
    pub vehicle: Vehicle,
    pub company: Company,
    pub permits: Permits,
    pub product: ProductFacts,
    /// The council's business date, `"2026-03-01"` in CEL (ISO dates compare as strings).
    pub today: NaiveDate,
}

/// Who applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applicant {
    /// `"person"` or `"company"`.
    pub kind: ApplicantKind,
    /// The national or company id with all but the last digits masked, e.g. `"******-1234"`;
    /// never the id in clear.
    pub id_masked: String,
    /// Age in whole years; 0 for a company.
    pub age: i64,
    /// `"active"`, `"dead"`, `"emigrated"`, `"unknown"` (from the person register); `"active"`
    /// or `"closed"` for a company.
    pub status: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    #[default]
    Person,
    Company,
}

/// The applicant's registered address (a person's home, a company's production unit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// Inside the council's area.
    pub in_city: bool,
    /// The council's zone code the address lies in; `""` when none.
    pub zone: String,
    /// The address is on a private road (no resident permits there in Copenhagen).
    pub private_road: bool,
    /// The zone of an underground garage the address gives a right to; `""` when none.
    pub garage_right: String,
}

/// The vehicle applied for; `present = false` (and every other field empty) when none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vehicle {
    pub present: bool,
    /// `"passenger_car"`, `"van"`, `"truck"`, `"motorcycle"`, `"other"`; `""` when none.
    pub kind: String,
    /// Total (technically permitted) weight in kg; 0 when none.
    pub weight_kg: i64,
    /// Fuel or emission class as the register gives it, e.g. `"petrol"`, `"diesel"`,
    /// `"electric"`, `"euro6"`; `""` when unknown.
    pub fuel_class: String,
    /// ISO 3166-1 alpha-2 country of registration, e.g. `"DK"`; `""` when none.
    pub country: String,
    /// Reported stolen or otherwise flagged in the vehicle register.
    pub stolen: bool,
    /// The applicant is among the vehicle's registered owners or users.
    pub owned_or_used_by_applicant: bool,
}

/// The company applying; `present = false` for a person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Company {
    pub present: bool,
    /// At least one production unit at an address in the council's area.
    pub has_unit_in_city: bool,
}

/// The applicant's and the vehicle's existing active permits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Permits {
    /// Active permits of the applicant, by product kind: `permits.active_of_kind["permit"]`.
    pub active_of_kind: KindCounts,
    /// Active permits on the vehicle (anyone's), by product kind.
    pub active_for_vehicle: KindCounts,
    /// The zone of the applicant's active resident permit (a `permit` product with a zone);
    /// `""` when none.
    pub active_resident_zone: String,
}

/// A count per product kind that always holds every kind (0 unless set), so that
/// `permits.active_of_kind["tag"]` is never a missing key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindCounts(BTreeMap<&'static str, i64>);

impl KindCounts {
    pub fn get(&self, kind: ProductKind) -> i64 {
        self.0.get(kind.as_str()).copied().unwrap_or(0)
    }
    pub fn set(&mut self, kind: ProductKind, count: i64) -> &mut Self {
        self.0.insert(kind.as_str(), count);
        self
    }
    /// Counts `kinds`, one per item.
    pub fn count(kinds: impl IntoIterator<Item = ProductKind>) -> Self {
        let mut counts = Self::default();
        for kind in kinds {
            let n = counts.get(kind).saturating_add(1);
            counts.set(kind, n);
        }
        counts
    }
}

impl Serialize for KindCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(ProductKind::ALL.len()))?;
        for kind in ProductKind::ALL {
            map.serialize_entry(kind.as_str(), &self.get(kind))?;
        }
        map.end()
    }
}

/// The product applied for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProductFacts {
    pub sku: String,
    /// A product kind as in products.toml: `"permit"`, `"tag"`, …
    pub kind: String,
    /// The product's zone; `""` when it has none.
    pub zone: String,
}

impl ProductFacts {
    pub fn new(sku: &Sku, kind: ProductKind, zone: Option<&ZoneCode>) -> Self {
        Self {
            sku: sku.to_string(),
            kind: kind.as_str().to_owned(),
            zone: zone.map(ZoneCode::to_string).unwrap_or_default(),
        }
    }
}

impl Facts {
    /// A complete, plausible set of facts (a resident with a car, a company with a unit),
    /// used to check rules when they are loaded.
    pub fn sample() -> Self {
        let mut active = KindCounts::default();
        active.set(ProductKind::Permit, 1);
        Facts {
            applicant: Applicant {
                kind: ApplicantKind::Person,
                id_masked: "******-1234".into(),
                age: 40,
                status: "active".into(),
            },
            address: Address {
                in_city: true,
                zone: "K1".into(),
                private_road: true,
                garage_right: "K1".into(),
            },
            vehicle: Vehicle {
                present: true,
                kind: "passenger_car".into(),
                weight_kg: 1500,
                fuel_class: "petrol".into(),
                country: "DK".into(),
                stolen: true,
                owned_or_used_by_applicant: true,
            },
            company: Company {
                present: true,
                has_unit_in_city: true,
            },
            permits: Permits {
                active_of_kind: active.clone(),
                active_for_vehicle: active,
                active_resident_zone: "K1".into(),
            },
            product: ProductFacts {
                sku: "P-RES-K1".into(),
                kind: "permit".into(),
                zone: "K1".into(),
            },
            today: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
        }
    }

    /// The opposite sample: every flag false, every text and count empty. Checking a rule
    /// against both samples runs both sides of most `&&`, `||` and `?:`.
    pub fn empty() -> Self {
        Facts {
            applicant: Applicant::default(),
            address: Address::default(),
            vehicle: Vehicle::default(),
            company: Company::default(),
            permits: Permits::default(),
            product: ProductFacts::default(),
            today: NaiveDate::default(),
        }
    }
}
