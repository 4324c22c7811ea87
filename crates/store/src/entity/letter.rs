use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub permit_id: Uuid,
    pub run_id: Option<Uuid>,
    pub kind: String,
    pub locale: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub subject: String,
    pub body: String,
    pub pdf: Vec<u8>,
    pub email: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
