//! The store's one error type, classifying database failures into what callers act on.

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is too busy; retry later (HTTP 503).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write (HTTP 409).
    #[error("a record with the same key already exists ({0})")]
    Duplicate(String),
    /// A foreign key refused the write: a referenced record does not exist.
    #[error("a referenced record does not exist ({0})")]
    MissingReference(String),
    /// A row holds a value the domain does not accept; the database was changed outside Casebook.
    #[error("invalid data in the database: {0}")]
    Corrupt(String),
    /// A pagination cursor was not made by this store.
    #[error("the cursor is not valid; start again from the first page")]
    InvalidCursor,
    /// An optimistic version check failed: someone else changed the record meanwhile.
    #[error("the record was changed by someone else; reload it and try again")]
    StaleVersion,
    /// The database URL or options are wrong.
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// Result of store functions.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Builds a `Corrupt` error for a value that does not parse.
    pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(format!("{what}: {err}"))
    }
}

// SQLite primary result codes (the low byte of the extended code).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_CANTOPEN: i32 = 14;

fn classify_database_error(db: &dyn sqlx::error::DatabaseError) -> Option<StoreError> {
    let message = db.message().to_owned();
    let detail = || {
        db.constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| message.clone())
    };
    match db.kind() {
        sqlx::error::ErrorKind::UniqueViolation => return Some(StoreError::Duplicate(detail())),
        sqlx::error::ErrorKind::ForeignKeyViolation => {
            return Some(StoreError::MissingReference(detail()));
        }
        _ => {}
    }
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let primary = code.parse::<i32>().unwrap_or_default() & 0xff;
        return match primary {
            SQLITE_BUSY | SQLITE_LOCKED => Some(StoreError::Unavailable(format!(
                "the database is busy ({message})"
            ))),
            SQLITE_IOERR | SQLITE_CANTOPEN => Some(StoreError::Unavailable(message)),
            _ => None,
        };
    }
    // PostgreSQL: connection exceptions, shutdown, too many connections, serialization, deadlock.
    let unavailable = code.starts_with("08")
        || code.starts_with("57P")
        || code == "53300"
        || code == "40001"
        || code == "40P01";
    unavailable.then_some(StoreError::Unavailable(message))
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Io(e) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Tls(e) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::PoolTimedOut => {
                StoreError::Unavailable("no database connection became free in time".into())
            }
            sqlx::Error::PoolClosed => {
                StoreError::Unavailable("the connection pool is closed".into())
            }
            sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable("the database worker stopped".into())
            }
            sqlx::Error::Database(db) => {
                classify_database_error(db.as_ref()).unwrap_or(StoreError::Database(err))
            }
            sqlx::Error::Configuration(e) => StoreError::Config(e.to_string()),
            _ => StoreError::Database(err),
        }
    }
}
