use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rematch_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub dry_run: bool,
    pub status: String,
    pub total: i64,
    pub processed: i64,
    pub unchanged: i64,
    pub updated: i64,
    pub deactivated: i64,
    pub unavailable: i64,
    /// The last permit id handled, in id order: a resumed run continues after it.
    pub cursor: Option<Uuid>,
    pub started_by: String,
    pub started_at: DateTimeUtc,
    pub heartbeat_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
