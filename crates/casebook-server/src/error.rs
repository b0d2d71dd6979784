//! Why a use case did not happen, in one type every layer shares: the use cases return it, the
//! search engine and the shared request helpers too, and `http::error` maps it to a response.

use casebook_domain::FieldError;
use casebook_domain::lifecycle::LifecycleError;
use casebook_store::StoreError;

/// Why a use case did not happen. The HTTP mapping lives in `http::error`.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The object does not exist, or the principal may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No valid credentials.
    #[error("sign in or send a valid API token")]
    Unauthenticated,
    /// The principal may see the object but not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Input fields are invalid.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// For a person.
        message: String,
    },
    /// A status change the lifecycle refuses.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// The record changed since the client read it.
    #[error("the record was changed by someone else; reload it and try again")]
    StaleVersion,
    /// Content above a configured limit.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Too many attempts; try again after the given seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited {
        /// Seconds to wait.
        retry_after_secs: i64,
    },
    /// A pagination cursor that this server did not make.
    #[error("the cursor is not valid; start again from the first page")]
    InvalidCursor,
    /// The database is unreachable or busy.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A fault of the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ActionError {
    /// The stable code the API answers with (`version_conflict`, `forbidden`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ActionError::NotFound(_) => "not_found",
            ActionError::Unauthenticated => "unauthenticated",
            ActionError::Forbidden(_) => "forbidden",
            ActionError::Validation(_) => "validation_failed",
            ActionError::Conflict { code, .. } => code,
            ActionError::Lifecycle(e) => e.code(),
            ActionError::StaleVersion => "version_conflict",
            ActionError::TooLarge { .. } => "payload_too_large",
            ActionError::RateLimited { .. } => "rate_limited",
            ActionError::InvalidCursor => "invalid_cursor",
            ActionError::Unavailable(_) => "database_unavailable",
            ActionError::Internal(_) => "internal",
        }
    }

    /// A single invalid field.
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ActionError::Validation(vec![FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
        }])
    }
}

impl From<StoreError> for ActionError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(m) => ActionError::Unavailable(m),
            StoreError::StaleVersion => ActionError::StaleVersion,
            StoreError::InvalidCursor => ActionError::InvalidCursor,
            StoreError::Duplicate(what) => ActionError::Conflict {
                code: "duplicate",
                message: format!("a record with the same unique value already exists ({what})"),
            },
            other => ActionError::Internal(other.to_string()),
        }
    }
}

/// Result of actions.
pub type ActionResult<T> = Result<T, ActionError>;
