use sea_orm::DbErr;

/// What went wrong in the store, in terms a use case can act on. Database failures stay
/// `Unexpected`: they are logged at the edge and shown to clients only as INTERNAL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Unexpected(#[from] DbErr),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    /// Unique-constraint violations become a `Conflict` with the given message; other
    /// database errors stay unexpected.
    pub(crate) fn conflict_on_unique(err: DbErr, message: impl Into<String>) -> Self {
        let text = err.to_string().to_lowercase();
        if text.contains("unique") || text.contains("duplicate key") {
            StoreError::Conflict(message.into())
        } else {
            StoreError::Unexpected(err)
        }
    }
}
