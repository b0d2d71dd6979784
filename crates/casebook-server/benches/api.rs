//! API benchmark (not a test): cases created per second through the HTTP API with 8 concurrent
//! clients, and the latency of the case list with filters at 100,000 and 1,000,000 cases, on SQLite and
//! PostgreSQL. Run with `cargo bench -p casebook-server --bench api`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_CREATE (cases created through the API, default 20000),
//! CASEBOOK_BENCH_CASES (sizes of the database at which
//! the lists are measured, default `100000,1000000`),
//! CASEBOOK_BENCH_LIST_REQUESTS (requests per list query, default 300).
//! PostgreSQL comes from CASEBOOK_TEST_POSTGRES_URL as in the tests.

mod common;

use common::{app_on, backend_name, env_usize, fill_cases, run_on_backends};
use std::sync::Arc;
use std::time::Instant;

use casebook_domain::ids::{OrganizationId, UserId};
use casebook_domain::policy::Role;
use casebook_domain::{Named, Tier};
use casebook_server::actions::{accounts::tokens, accounts::users, directory::organizations};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::{TestBackend, TestDb};
use hdrhistogram::Histogram;
use serde_json::json;

struct Setup {
    base: String,
    token: String,
    orgs: Vec<OrganizationId>,
    engineer: UserId,
    db: TestDb,
    _dir: tempfile::TempDir,
}

async fn setup(backend: TestBackend) -> Setup {
    let (db, app) = app_on(backend, Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    // New cases start the standard plan's two clocks (a new database's default plan is the
    // lighter no-contract plan), as the recorded figures assume.
    let mut w = app.store.write().await.unwrap();
    casebook_store::plans::set_default(&mut w, &"standard".parse().unwrap())
        .await
        .unwrap();
    w.commit().await.unwrap();
    let system = Principal::system("bench");
    let draft = serde_json::from_value(
        json!({"email": "bench@vendor.test", "name": "Bench", "role": Role::Engineer}),
    )
    .unwrap();
    let engineer = users::create(&app, &system, draft).await.unwrap();
    let token = tokens::create(&app, &system, engineer.id, "bench")
        .await
        .unwrap()
        .secret;
    let mut orgs = Vec::new();
    for i in 0..50 {
        let draft = serde_json::from_value(
            json!({"customer_number": format!("B-{i:04}"), "name": format!("客户 {i}")}),
        )
        .unwrap();
        orgs.push(
            organizations::create(&app, &system, draft)
                .await
                .unwrap()
                .id,
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = casebook_server::router::router(app);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Setup {
        base,
        token,
        orgs,
        engineer: engineer.id,
        db,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    casebook_server::app::outbound::install_crypto();
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(16)
        .build()
        .unwrap()
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Creates `total` cases with 8 concurrent clients; returns (cases per second, latencies in µs).
async fn create_cases(s: &Setup, total: usize) -> (f64, Histogram<u64>) {
    let clients = 8;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let (base, token, orgs) = (s.base.clone(), s.token.clone(), s.orgs.clone());
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut hist = Histogram::<u64>::new(3).unwrap();
            for i in (worker..total).step_by(clients) {
                let body = json!({
                    "title": format!("数据库连接池耗尽 connection pool exhausted {i}"),
                    "description": "高峰时段应用报 connection timeout，约每 20 分钟一次。",
                    "severity": 1 + (i % 4), "organization_id": orgs[i % orgs.len()], "channel": "api",
                });
                let t0 = Instant::now();
                let response = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
                response.bytes().await.unwrap();
                hist.record(t0.elapsed().as_micros() as u64).unwrap();
            }
            hist
        }));
    }
    let mut all = Histogram::<u64>::new(3).unwrap();
    for task in tasks {
        all.add(task.await.unwrap()).unwrap();
    }
    (total as f64 / start.elapsed().as_secs_f64(), all)
}

/// Fills the database up to `target` cases directly through the store (a realistic mix).
async fn fill(s: &Setup, target: usize, start: jiff::Timestamp) {
    fill_cases(&s.db.store, &s.orgs, s.engineer, target, start).await;
}

async fn list_latency(s: &Setup, query: &str, requests: usize) -> (Histogram<u64>, usize) {
    let http = client();
    let mut hist = Histogram::<u64>::new(3).unwrap();
    let mut items = 0;
    for _ in 0..requests {
        let t0 = Instant::now();
        let response = http
            .get(format!("{}/api/v1/cases?{query}", s.base))
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        hist.record(t0.elapsed().as_micros() as u64).unwrap();
        items = body["items"].as_array().map_or(0, Vec::len);
    }
    (hist, items)
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let create = env_usize("CASEBOOK_BENCH_CREATE", 20_000);
    let targets: Vec<usize> = std::env::var("CASEBOOK_BENCH_CASES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("CASEBOOK_BENCH_CASES: numbers separated by commas")
        })
        .collect();
    let requests = env_usize("CASEBOOK_BENCH_LIST_REQUESTS", 300);
    let s = setup(backend).await;
    // Warm up connections and caches.
    create_cases(&s, 200).await;
    let (rate, hist) = create_cases(&s, create).await;
    println!(
        "| {name} | create {create} cases, 8 clients | {rate:.0} cases/s | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
        ms(&hist, 0.5),
        ms(&hist, 0.95),
        ms(&hist, 0.99),
        hist.max() as f64 / 1000.0
    );
    // Filled cases are one second apart, the oldest a million seconds before the benchmark.
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1_000_000);
    for target in targets {
        list_at(&s, name, target, requests, start).await;
    }
    eprintln!(
        "{name}: peak resident memory of the benchmark process (server and client): {}",
        peak_rss()
    );
}

/// The process's peak resident set size, from /proc.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Fills the database to `target` cases and measures the list queries.
async fn list_at(s: &Setup, name: &str, target: usize, requests: usize, start: jiff::Timestamp) {
    let t0 = Instant::now();
    fill(s, target, start).await;
    if s.db.backend == TestBackend::Postgres {
        // What autovacuum does soon after a bulk load; without it the planner guesses.
        s.db.execute_raw("ANALYZE").await.unwrap();
    }
    eprintln!(
        "{name}: filled to {target} cases in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let org = s.orgs[7];
    let queries = [
        ("newest 50, no filter", "limit=50".to_owned()),
        ("status=in_progress", "status=in_progress".to_owned()),
        (
            "status=new,assigned&severity=1",
            "status=new,assigned&severity=1".to_owned(),
        ),
        (
            "organization + status",
            format!("organization={org}&status=awaiting_customer"),
        ),
        (
            "owner=me&status=in_progress",
            "owner=me&status=in_progress".to_owned(),
        ),
        ("owner=none", "owner=none".to_owned()),
        (
            "tier=l2&channel=phone",
            format!("tier={}&channel=phone", Tier::L2.as_str()),
        ),
        ("case number", "q=2026-50001".to_owned()),
        ("title text (LIKE scan)", "q=failover%2099".to_owned()),
        ("page 20 via cursor", String::new()),
    ];
    for (label, query) in queries {
        let query = if query.is_empty() {
            cursor_after_pages(s, 20).await
        } else {
            query
        };
        let (hist, items) = list_latency(s, &query, requests).await;
        println!(
            "| {name} | list at {target} cases: {label} | {items} items | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
            ms(&hist, 0.5),
            ms(&hist, 0.95),
            ms(&hist, 0.99),
            hist.max() as f64 / 1000.0
        );
    }
}

async fn cursor_after_pages(s: &Setup, pages: usize) -> String {
    let http = client();
    let mut cursor = String::new();
    for _ in 0..pages {
        let url = if cursor.is_empty() {
            format!("{}/api/v1/cases?limit=50", s.base)
        } else {
            format!("{}/api/v1/cases?limit=50&cursor={cursor}", s.base)
        };
        let body: serde_json::Value = http
            .get(url)
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // A small database has fewer pages: the deepest one there is.
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    format!("limit=50&cursor={cursor}")
}

fn main() {
    if let Ok(filter) = std::env::var("CASEBOOK_BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .init();
    }
    println!("| backend | benchmark | result | p50 | p95 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    run_on_backends(run);
}
