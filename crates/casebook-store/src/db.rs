//! One `Store` over SQLite or PostgreSQL, chosen from the database URL, and the `Db` handle that
//! every store function takes: a pooled connection for reads, a transaction for writes.
//!
//! The same SQL text with `$1..$N` runs on both backends; [`on_db!`] expands one body for each
//! concrete connection type, so no query goes through sqlx's `Any` driver.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{
    Connection, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction,
};

use crate::audit::PendingAudit;
use crate::error::{StoreError, StoreResult};
use crate::group_commit::{Member, Writer};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, one file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// How SQLite syncs its write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// Every commit reaches the disk before it is acknowledged (the default).
    #[default]
    Full,
    /// Commits survive a crash of the process but the last ones may be lost on power failure.
    Normal,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    /// Connections for readers (PostgreSQL: all connections).
    pub max_connections: u32,
    /// How long a request waits for a free connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
    /// How long SQLite waits for a lock held by another process.
    pub sqlite_busy_timeout: Duration,
    /// SQLite's sync level.
    pub sqlite_sync: SqliteSync,
}

impl StoreOptions {
    /// Defaults for a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::Full,
        }
    }
}

#[derive(Debug)]
enum Pools {
    /// Readers share a pool; all writes go through one connection with group commit, so
    /// writers queue fairly instead of spinning on SQLite's busy handler.
    Sqlite {
        read: SqlitePool,
        writer: Writer,
    },
    Postgres(PgPool),
}

/// The database of one Casebook installation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pools: Arc<Pools>,
    url: Arc<str>,
}

/// The SQLite page cache of the one writing connection: 32 MB.
const WRITER_CACHE: &str = "-32000";

/// The SQLite page cache of each reading connection: 8 MB. Every connection has its own cache,
/// and the pool hands out its idle connections in turn, so a long read such as an export warms
/// the cache of every connection the pool holds: 16 readers at 32 MB could keep 512 MB. The
/// operating system caches the file too, so a smaller cache per reader costs a copy from that
/// cache, not a disk read.
const READER_CACHE: &str = "-8000";

impl Store {
    /// Connects (creating an SQLite file if needed). Does not migrate.
    pub async fn connect(options: &StoreOptions) -> StoreResult<Store> {
        let url = options.url.as_str();
        let pools = if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(StoreError::Config(
                    "in-memory SQLite is not supported: readers and the writer need one shared file".into(),
                ));
            }
            let sync = match options.sqlite_sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            };
            let base = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(options.sqlite_busy_timeout)
                .synchronous(sync)
                .pragma("temp_store", "memory")
                .pragma("cache_size", WRITER_CACHE);
            let write =
                SqliteConnection::connect_with(&base.clone().create_if_missing(true)).await?;
            let writer = Writer::new(write, options.acquire_timeout);
            // A connection to a local file does not break between uses: no ping before each.
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .test_before_acquire(false)
                .connect_lazy_with(base.read_only(true).pragma("cache_size", READER_CACHE));
            Pools::Sqlite { read, writer }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // The default `plan_cache_mode` (`auto`): statements are prepared once per
            // connection and, after five executions, run on a cached generic plan, which saves a
            // planning step each time (mail intake ingested 45 % more per second than with
            // `force_custom_plan` on every connection). Lists are the exception: they bind their
            // LIMIT, keyset bounds and optional filters (`$1 IS NULL OR …`), which a generic plan
            // cannot use (it degrades to full joins and sorts). Those statements, and only those,
            // are built with `.persistent(false)`: sqlx sends them as the unnamed statement,
            // which PostgreSQL plans with the bound values on every execution.
            let connect = PgConnectOptions::from_str(url)?.application_name("casebook");
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://…",
                redact(url)
            )));
        };
        Ok(Store {
            pools: Arc::new(pools),
            url: url.into(),
        })
    }

    /// Applies the embedded migrations that are not applied yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &*self.pools {
            Pools::Sqlite { writer, .. } => {
                writer
                    .exclusive(async |c| Ok(SQLITE_MIGRATIONS.run(c).await?))
                    .await?
            }
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        let mut db = self.write().await?;
        let now = casebook_domain::Timestamp::now();
        crate::calendars::seed_builtin(&mut db, now).await?;
        crate::plans::seed_builtin(&mut db, now).await?;
        crate::lookalikes::backfill(&mut db).await?;
        db.commit().await
    }

    /// Connects and migrates.
    pub async fn open(options: &StoreOptions) -> StoreResult<Store> {
        let store = Store::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match &*self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL the store was opened with (may contain a password; see [`redact`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection for reading.
    pub async fn read(&self) -> StoreResult<Db> {
        let conn = match &*self.pools {
            Pools::Sqlite { read, .. } => DbConn::SqliteRead(read.acquire().await?),
            Pools::Postgres(pool) => DbConn::PgRead(pool.acquire().await?),
        };
        Ok(Db {
            conn,
            audit: Vec::new(),
            after_commit: Vec::new(),
        })
    }

    /// A transaction for writing; nothing is stored until [`Db::commit`].
    pub async fn write(&self) -> StoreResult<Db> {
        let conn = match &*self.pools {
            Pools::Sqlite { writer, .. } => DbConn::SqliteGroup(writer.begin().await?),
            Pools::Postgres(pool) => DbConn::PgTx(pool.begin().await?),
        };
        Ok(Db {
            conn,
            audit: Vec::new(),
            after_commit: Vec::new(),
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        let mut db = self.read().await?;
        on_db!(db, c => c.ping().await)?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &*self.pools {
            Pools::Sqlite { read, .. } => read.close().await,
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// A URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

enum DbConn {
    SqliteGroup(Member),
    PgTx(Transaction<'static, Postgres>),
    SqliteRead(PoolConnection<Sqlite>),
    PgRead(PoolConnection<Postgres>),
}

/// A connection borrowed for one statement.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// What store functions run on: a read connection or a write transaction.
pub struct Db {
    conn: DbConn,
    pub(crate) audit: Vec<PendingAudit>,
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.conn {
            DbConn::SqliteGroup(_) => "Db(sqlite write)",
            DbConn::PgTx(_) => "Db(postgres write)",
            DbConn::SqliteRead(_) => "Db(sqlite read)",
            DbConn::PgRead(_) => "Db(postgres read)",
        })
    }
}

impl Db {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.conn {
            DbConn::SqliteGroup(member) => Conn::Sqlite(member.conn()),
            DbConn::PgTx(tx) => Conn::Postgres(tx),
            DbConn::SqliteRead(c) => Conn::Sqlite(c),
            DbConn::PgRead(c) => Conn::Postgres(c),
        }
    }

    /// The backend of this connection.
    pub fn backend(&self) -> Backend {
        match self.conn {
            DbConn::SqliteGroup(_) | DbConn::SqliteRead(_) => Backend::Sqlite,
            DbConn::PgTx(_) | DbConn::PgRead(_) => Backend::Postgres,
        }
    }

    /// Whether this handle is a write transaction.
    pub fn is_write(&self) -> bool {
        matches!(self.conn, DbConn::SqliteGroup(_) | DbConn::PgTx(_))
    }

    /// Runs `f` once the transaction has committed (never if it does not): e.g. waking the
    /// sender of what the transaction queued.
    pub fn after_commit(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(f));
    }

    /// Appends the queued audit entries to the chain and commits, then runs what waits for the
    /// commit. A read handle is released.
    pub async fn commit(mut self) -> StoreResult<()> {
        crate::audit::flush(&mut self).await?;
        match self.conn {
            DbConn::SqliteGroup(member) => member.commit().await?,
            DbConn::PgTx(tx) => tx.commit().await?,
            DbConn::SqliteRead(_) | DbConn::PgRead(_) => {}
        }
        for f in self.after_commit {
            f();
        }
        Ok(())
    }
}
