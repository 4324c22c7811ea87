//! The error policy at the API edge.
//!
//! Every error a client sees carries a stable `extensions.code` from this catalogue:
//! BAD_USER_INPUT (the input is wrong; the message says which field and why), UNAUTHENTICATED
//! (no or bad credentials), FORBIDDEN (known caller, not allowed), NOT_FOUND (absent, or
//! belonging to another council — the two are indistinguishable on purpose), CONFLICT (the
//! state forbids it: duplicate, retired, immutable), INTERNAL (our fault; the message is
//! opaque, the detail is logged and sent to Sentry once, here).

use civicpay_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status for the same error outside GraphQL (pages, REST-ish endpoints).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadUserInput => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Internal => 500,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// An infrastructure failure: logged with its detail and reported to Sentry; the client
    /// gets an opaque message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let detail = detail.to_string();
        // With SENTRY_DSN set, the app's sentry-tracing layer turns this event into exactly
        // one Sentry report.
        tracing::error!(error = %detail, "internal error");
        Self::new(
            ErrorCode::Internal,
            "internal error; it has been logged (quote the request id when reporting it)",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::Conflict(message) => ApiError::conflict(message),
            StoreError::Invalid(message) => ApiError::bad_input(message),
            other @ (StoreError::Unexpected(_) | StoreError::Corrupt(_)) => {
                ApiError::internal(other)
            }
        }
    }
}

// ApiError deliberately has no `Display`: async-graphql converts any `Display` error into a
// message without a code, and every error here must keep its code.
impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        use async_graphql::ErrorExtensions as _;
        async_graphql::Error::new(err.message).extend_with(|_, ext| {
            ext.set("code", err.code.as_str());
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
