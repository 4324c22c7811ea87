//! The audit trail's vocabulary: who did what to which thing, with the state before and after.

use serde::{Deserialize, Serialize};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A logged-in staff member.
    Staff { user_id: uuid::Uuid, email: String },
    /// A council system with an API key.
    ApiKey { key_id: uuid::Uuid, name: String },
    /// The CLI run by an operator on the server (`civicpay tenant apply`, `user create`).
    Cli { operator: String },
    /// The platform itself (jobs, start-up seeding).
    System,
    /// A citizen in the council's shop, by their masked national id.
    Citizen { masked_id: String },
}

impl Actor {
    /// A short label for logs and the audit list: `staff:admin@…`, `cli:root`.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { email, .. } => format!("staff:{email}"),
            Actor::ApiKey { name, .. } => format!("api_key:{name}"),
            Actor::Cli { operator } => format!("cli:{operator}"),
            Actor::System => "system".to_owned(),
            Actor::Citizen { masked_id } => format!("citizen:{masked_id}"),
        }
    }
}
