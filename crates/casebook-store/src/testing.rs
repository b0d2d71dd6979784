//! Test support (feature `testing`): a fresh, migrated database per test on either backend.
//!
//! PostgreSQL is found through `CASEBOOK_TEST_POSTGRES_URL` (a URL of a database the tests may use
//! to create and drop databases), else `postgres://postgres@127.0.0.1:5432/postgres`. If it cannot
//! be reached the test fails with a message saying so: it is never skipped.

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::{Store, StoreOptions};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the test PostgreSQL server.
    Postgres,
}

/// The administrative URL of the test PostgreSQL server.
pub fn postgres_admin_url() -> String {
    std::env::var("CASEBOOK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database that is removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    /// The migrated store.
    pub store: Store,
    /// Its URL, for starting a server process on it.
    pub url: String,
    /// The backend.
    pub backend: TestBackend,
    dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl TestDb {
    /// Creates and migrates a new database.
    pub async fn create(backend: TestBackend) -> TestDb {
        let (url, dir, pg_database) = match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory for the test database");
                let url = format!("sqlite://{}", dir.path().join("casebook.db").display());
                (url, Some(dir), None)
            }
            TestBackend::Postgres => {
                let name = format!("cb_test_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is needed for this test but is not reachable at {}: {e}.\n\
                         Run the tests with scripts/test (it finds or starts a server), or set \
                         CASEBOOK_TEST_POSTGRES_URL.",
                        crate::redact(&admin)
                    )
                });
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create a test database");
                conn.close().await.ok();
                (with_database(&admin, &name), None, Some(name))
            }
        };
        let store = Store::open(&test_options(&url))
            .await
            .expect("open and migrate the test database");
        TestDb {
            store,
            url,
            backend,
            dir,
            pg_database,
        }
    }

    /// The directory of an SQLite test database (for attachments and backups).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// Runs one SQL statement outside the store's API (for tampering tests).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, crate::StoreError> {
        let mut db = self.store.write().await?;
        let affected =
            exec_db!(db, c => sqlx::query(AssertSqlSafe(sql.to_owned())).execute(c).await)?;
        db.commit().await?;
        Ok(affected)
    }
}

/// The URL with its database name replaced (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Store options for tests: a short wait for connections so faults show quickly.
pub fn test_options(url: &str) -> StoreOptions {
    let mut options = StoreOptions::new(url);
    options.acquire_timeout = std::time::Duration::from_secs(3);
    options.max_connections = 8;
    options
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_database.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Dropping runs on its own thread and runtime: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .ok()
            })
        })
        .join();
    }
}

/// Declares each named `async fn(TestBackend)` as two tests, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::testing::TestBackend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::testing::TestBackend::Postgres).await
            }
        }
    )*};
}
