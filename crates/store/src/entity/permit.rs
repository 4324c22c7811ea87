use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "permits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub kind: String,
    pub status: String,
    /// The HMAC pseudonym of the holder's national id, never the id.
    pub holder_key: String,
    pub holder_display: String,
    pub plate: Option<String>,
    pub zone_code: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub evaluation: Json,
    pub payment_request_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub holder_id_sealed: Option<String>,
    pub holder_name: Option<String>,
    pub holder_address: Option<String>,
    pub delivery: Option<String>,
    pub price: Option<Json>,
    pub starts_on: Option<Date>,
    pub decision_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub replaces_permit_id: Option<Uuid>,
    pub temporary_plate: Option<String>,
    pub temporary_until: Option<Date>,
    pub manual_reason: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
