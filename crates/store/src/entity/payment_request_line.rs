use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_request_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub payment_request_id: Uuid,
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub vat_code: String,
    pub vat_rate_bp: i32,
    pub vat_minor: i64,
    pub line_total_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
