use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub reference_scheme: String,
    pub external_reference: Option<String>,
    pub status: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub currency: String,
    pub allow_partial: bool,
    pub due_date: Option<Date>,
    pub expires_at: Option<DateTimeUtc>,
    pub debtor_kind: Option<String>,
    pub debtor_key: Option<String>,
    pub debtor_display: Option<String>,
    pub description: String,
    pub callback_url: Option<String>,
    pub return_url: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    /// `automatic`, or `manual`: the payer's payment is only authorized, and staff capture it
    /// on approval (a permit under review, S0-6).
    pub capture_mode: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
