//! The data-protection log of person look-ups: who looked up whom (as a keyed pseudonym, never
//! the national id), when and why.

use crate::entity::person_lookup;
use crate::error::StoreError;
use crate::scope::TenantScope;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

/// One recorded person look-up.
#[derive(Debug, Clone, Serialize)]
pub struct PersonLookupRecord {
    pub id: Uuid,
    pub who: String,
    /// HMAC-SHA256 (hex) of the national id with the platform's pseudonym key.
    pub subject: String,
    pub purpose: String,
    pub created_at: DateTime<Utc>,
}

impl From<person_lookup::Model> for PersonLookupRecord {
    fn from(m: person_lookup::Model) -> Self {
        Self {
            id: m.id,
            who: m.who,
            subject: m.subject,
            purpose: m.purpose,
            created_at: m.created_at,
        }
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl TenantScope {
    /// Records a person look-up. `subject_pseudonym` must be the keyed pseudonym of the
    /// national id (`NationalId::pseudonym`), never the number; anything that is not a 64-digit
    /// hex string is refused, so a number in clear cannot slip in.
    pub async fn record_person_lookup(
        &self,
        who: &str,
        subject_pseudonym: &str,
        purpose: &str,
    ) -> Result<PersonLookupRecord, StoreError> {
        if subject_pseudonym.len() != 64
            || !subject_pseudonym.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(StoreError::Invalid(
                "a person look-up's subject must be its 64-character pseudonym".into(),
            ));
        }
        if who.trim().is_empty() || purpose.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a person look-up needs who is asking and why".into(),
            ));
        }
        let txn = self.begin().await?;
        let model = person_lookup::Model {
            id: Uuid::now_v7(),
            tenant_id: self.tenant_id(),
            who: clip(who.trim(), 300),
            subject: subject_pseudonym.to_ascii_lowercase(),
            purpose: clip(purpose.trim(), 200),
            created_at: Utc::now(),
        };
        person_lookup::Entity::insert(person_lookup::ActiveModel {
            id: Set(model.id),
            tenant_id: Set(model.tenant_id),
            who: Set(model.who.clone()),
            subject: Set(model.subject.clone()),
            purpose: Set(model.purpose.clone()),
            created_at: Set(model.created_at),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(model.into())
    }

    /// The council's newest person look-ups, newest first.
    pub async fn person_lookups(&self, limit: u64) -> Result<Vec<PersonLookupRecord>, StoreError> {
        let txn = self.begin_read().await?;
        let rows = person_lookup::Entity::find()
            .filter(person_lookup::Column::TenantId.eq(self.tenant_id()))
            .order_by_desc(person_lookup::Column::CreatedAt)
            .order_by_desc(person_lookup::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
