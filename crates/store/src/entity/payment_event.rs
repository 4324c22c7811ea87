use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub payment_id: Uuid,
    pub sequence: i32,
    pub event: String,
    pub from_status: String,
    pub to_status: String,
    pub actor: Json,
    pub psp_reference: Option<String>,
    pub psp_event_id: Option<String>,
    pub amount_minor: Option<i64>,
    pub detail: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
