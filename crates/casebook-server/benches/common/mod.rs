//! What the server benchmarks share: settings from the environment, a fresh application per
//! backend, and a `main` that runs a benchmark on each backend.

use std::sync::Arc;

use casebook_domain::ids::{OrganizationId, UserId};
use casebook_domain::{Category, Channel, Named, Severity, Status, Tier};
use casebook_server::app::App;
use casebook_server::clock::Clock;
use casebook_server::config::{Config, Overrides};
use casebook_store::Store;
use casebook_store::cases::{self, CaseColumns};
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
#[allow(dead_code)] // Not every benchmark uses the configured index directory.
pub async fn app_on(backend: TestBackend, clock: Arc<dyn Clock>) -> (TestDb, Arc<App>) {
    app_configured(backend, clock, None).await
}

/// As [`app_on`], with the search index in `index`.
#[allow(dead_code)] // Only the benchmarks that search or serve need an index of their own.
pub async fn app_with_index(
    backend: TestBackend,
    clock: Arc<dyn Clock>,
    index: &std::path::Path,
) -> (TestDb, Arc<App>) {
    app_configured(backend, clock, Some(index)).await
}

async fn app_configured(
    backend: TestBackend,
    clock: Arc<dyn Clock>,
    index: Option<&std::path::Path>,
) -> (TestDb, Arc<App>) {
    let db = TestDb::create(backend).await;
    let overrides = Overrides {
        listen: None,
        database_url: Some(db.url.clone()),
    };
    let mut config =
        Config::load(None, std::env::vars(), &overrides).expect("a valid configuration");
    if let Some(index) = index {
        config.search.index_dir = index.to_path_buf();
    }
    let store = Store::open(&config.store_options()).await.unwrap();
    let app = App::with_store(config, store, clock);
    (db, app)
}

/// `n` customer organisations `B-0000`, `B-0001`, … named 客户 0, 客户 1, …
#[allow(dead_code)] // Not every benchmark makes its own organisations.
pub async fn organizations(app: &App, n: usize) -> Vec<OrganizationId> {
    let system = casebook_server::policy::Principal::system("bench");
    let mut orgs = Vec::with_capacity(n);
    for i in 0..n {
        let draft = serde_json::from_value(
            serde_json::json!({"customer_number": format!("B-{i:04}"), "name": format!("客户 {i}")}),
        )
        .unwrap();
        let org = casebook_server::actions::directory::organizations::create(app, &system, draft)
            .await
            .unwrap();
        orgs.push(org.id);
    }
    orgs
}

/// The backend's name in the tables.
pub fn backend_name(backend: TestBackend) -> &'static str {
    match backend {
        TestBackend::Sqlite => "SQLite",
        TestBackend::Postgres => "PostgreSQL",
    }
}

/// Runs `bench` on each backend of CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`), each
/// within CASEBOOK_BENCH_TIMEOUT_SECS (default an hour). `cargo test --benches --list` asks for a
/// list: there is none.
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
    let limit =
        std::time::Duration::from_secs(env_usize("CASEBOOK_BENCH_TIMEOUT_SECS", 3600) as u64);
    for backend in backends.split(',') {
        let backend = match backend.trim() {
            "sqlite" => TestBackend::Sqlite,
            "postgres" => TestBackend::Postgres,
            other => panic!("unknown backend {other}"),
        };
        runtime
            .block_on(async { tokio::time::timeout(limit, bench(backend)).await })
            .expect("the benchmark finishes within CASEBOOK_BENCH_TIMEOUT_SECS");
    }
}

/// Fills the database up to `target` cases directly through the store (a realistic mix of
/// statuses, severities, tiers and channels, one case per second from `start`).
#[allow(dead_code)] // Not every benchmark fills cases.
pub async fn fill_cases(
    store: &Store,
    orgs: &[OrganizationId],
    engineer: UserId,
    target: usize,
    start: jiff::Timestamp,
) {
    let mut db = store.read().await.unwrap();
    let mut have = cases::count(&mut db).await.unwrap() as usize;
    drop(db);
    let statuses = [
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::AwaitingCustomer,
        Status::SolutionProposed,
        Status::Closed,
        Status::Closed,
        Status::Closed,
        Status::Cancelled,
    ];
    while have < target {
        let mut db = store.write().await.unwrap();
        for _ in 0..2000.min(target - have) {
            let status = statuses[have % statuses.len()];
            let columns = CaseColumns {
                title: format!("控制器 B 在固件升级后反复切换 controller failover {have}"),
                description: "升级到 FW 5.4 后，控制器 B 每天 2–3 次发生切换。".into(),
                organization_id: orgs[have % orgs.len()],
                contact_id: None,
                product_id: None,
                product_version: None,
                patch_level: None,
                operating_system: Some("Kylin V10".into()),
                environment: String::new(),
                category: Category::ALL[have % Category::ALL.len()],
                severity: Severity::ALL[have % 4],
                channel: Channel::ALL[have % Channel::ALL.len()],
                tier: Tier::ALL[have % Tier::ALL.len()],
                status,
                owner_id: (status != Status::New && !have.is_multiple_of(7)).then_some(engineer),
                closed_at: None,
                closure_confirmed_by: None,
                closure_confirmed_at: None,
            };
            let number = cases::next_number(&mut db, 2026).await.unwrap();
            let at = start + jiff::SignedDuration::from_secs(have as i64);
            cases::insert(&mut db, number, &columns, None, at)
                .await
                .unwrap();
            have += 1;
        }
        db.commit().await.unwrap();
    }
}
