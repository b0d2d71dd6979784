//! What the server benchmarks share: settings from the environment, a fresh application per
//! backend, and a `main` that runs a benchmark on each backend.

use std::sync::Arc;

use casebook_server::app::App;
use casebook_server::clock::Clock;
use casebook_server::config::{Config, Overrides};
use casebook_store::Store;
use casebook_store::testing::{TestBackend, TestDb};

/// A number from the environment, or the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh database of `backend` and an application on it, configured as the server is
/// (CASEBOOK_* variables tune the run). Keep the `TestDb`: dropping it removes the database.
pub async fn app_on(backend: TestBackend, clock: Arc<dyn Clock>) -> (TestDb, Arc<App>) {
    let db = TestDb::create(backend).await;
    let overrides = Overrides {
        listen: None,
        database_url: Some(db.url.clone()),
    };
    let config = Config::load(None, std::env::vars(), &overrides).expect("a valid configuration");
    let store = Store::open(&config.store_options()).await.unwrap();
    let app = App::with_store(config, store, clock);
    (db, app)
}

/// The backend's name in the tables.
pub fn backend_name(backend: TestBackend) -> &'static str {
    match backend {
        TestBackend::Sqlite => "SQLite",
        TestBackend::Postgres => "PostgreSQL",
    }
}

/// Runs `bench` on each backend of CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`), each
/// within an hour. `cargo test --benches --list` asks for a list: there is none.
pub fn run_on_backends<F: Future<Output = ()>>(bench: impl Fn(TestBackend) -> F) {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let backends =
        std::env::var("CASEBOOK_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for backend in backends.split(',') {
        let backend = match backend.trim() {
            "sqlite" => TestBackend::Sqlite,
            "postgres" => TestBackend::Postgres,
            other => panic!("unknown backend {other}"),
        };
        runtime
            .block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3600), bench(backend)).await
            })
            .expect("the benchmark finishes within an hour");
    }
}
