//! What the server benchmarks share: settings from the environment, the backends to run, and a
//! `main` that runs a benchmark on each.

use casebook_store::testing::TestBackend;

/// A number from the environment, or the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
