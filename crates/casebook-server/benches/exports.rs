//! Export benchmark (not a test): 1,000,000 cases, each with a met initial-response clock and a
//! running resolution clock on the China 5×8 calendar, exported through the HTTP endpoint of a
//! separate `casebook serve` process as CSV and as XLSX; rows per second and the server's
//! memory (resident before, peak after from `/proc/PID/status` `VmHWM`).
//! Run with `cargo bench -p casebook-server --bench exports`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_CASES (default 1000000), CASEBOOK_BENCH_EXPORT_FORMATS (default `csv,xlsx`).

mod common;
#[allow(dead_code)]
mod served;

use std::sync::Arc;
use std::time::Instant;

use casebook_domain::sla::clock::{ClockEvent, ClockEventKind, ClockState};
use casebook_domain::sla::plan::{Metric, Target};
use casebook_server::actions::{accounts::tokens, accounts::users};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::sla::StoredClock;
use casebook_store::testing::TestBackend;
use common::{app_with_index, backend_name, env_usize, fill_cases, organizations, run_on_backends};
use serde_json::json;
use served::{serve, status_mb};

fn clock(case: casebook_domain::ids::CaseId, metric: Metric, at: jiff::Timestamp) -> StoredClock {
    let met = metric == Metric::InitialResponse;
    let mut events = vec![ClockEvent {
        at,
        kind: ClockEventKind::Started,
    }];
    if met {
        events.push(ClockEvent {
            at: at + jiff::SignedDuration::from_mins(40),
            kind: ClockEventKind::Met,
        });
    }
    StoredClock {
        id: 0,
        case_id: case,
        metric,
        cycle: 1,
        calendar: casebook_domain::sla::china::CHINA_5X8.parse().unwrap(),
        target: Target::Minutes(if met { 120 } else { 2400 }),
        state: if met {
            ClockState::Met
        } else {
            ClockState::Running
        },
        started_at: at,
        deadline: None,
        breached: false,
        events,
    }
}

/// Two clocks for every case that has none yet, 2,000 cases per transaction.
async fn fill_clocks(store: &casebook_store::Store) {
    let mut before: Option<i64> = None;
    loop {
        let mut db = store.write().await.unwrap();
        let rows = casebook_store::exports::cases(
            &mut db,
            casebook_domain::policy::CaseScope::All,
            &Default::default(),
            Default::default(),
            before,
            2000,
        )
        .await
        .unwrap();
        let Some(last) = rows.last() else {
            break;
        };
        before = Some(last.id);
        let clocks: Vec<_> = rows
            .iter()
            .flat_map(|r| {
                let id = casebook_domain::ids::Id::new(r.id);
                [
                    (
                        clock(id, Metric::InitialResponse, r.created_at.0),
                        Vec::new(),
                    ),
                    (clock(id, Metric::Resolution, r.created_at.0), Vec::new()),
                ]
            })
            .collect();
        // 500 clocks a statement stay under SQLite's limit of bound variables.
        for part in clocks.chunks(500) {
            casebook_store::sla::insert_clocks(&mut db, part, jiff::Timestamp::now())
                .await
                .unwrap();
        }
        db.commit().await.unwrap();
    }
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let target = env_usize("CASEBOOK_BENCH_CASES", 1_000_000);
    let index = tempfile::tempdir().unwrap();
    let (db, app) = app_with_index(backend, Arc::new(SystemClock), index.path()).await;
    let system = Principal::system("bench");
    let orgs = organizations(&app, 50).await;
    let manager = users::create(&app, &system, serde_json::from_value(json!({"email": "manager@vendor.test", "name": "经理", "role": "manager", "password": "bench-password-1"})).unwrap()).await.unwrap();
    let token = tokens::create(&app, &system, manager.id, "bench")
        .await
        .unwrap()
        .secret;
    let t0 = Instant::now();
    fill_cases(
        &db.store,
        &orgs,
        manager.id,
        target,
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 400),
    )
    .await;
    fill_clocks(&db.store).await;
    if backend == TestBackend::Postgres {
        db.execute_raw("ANALYZE").await.unwrap();
    }
    eprintln!(
        "{name}: filled to {target} cases with two clocks each in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // The server finds its search index current, as a running server's is: otherwise its first
    // minute rebuilds the index of every case beside the export (CPU and memory not the
    // export's).
    let t0 = Instant::now();
    let documents = casebook_server::search::rebuild(&app, &|_, _| {})
        .await
        .unwrap();
    eprintln!(
        "{name}: search index of {documents} documents built in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    drop(app);
    let (mut server, base) = serve(&db.url, index.path()).await;
    let pid = server.id().unwrap();
    casebook_server::app::outbound::install_crypto();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let formats =
        std::env::var("CASEBOOK_BENCH_EXPORT_FORMATS").unwrap_or_else(|_| "csv,xlsx".into());
    for format in formats.split(',') {
        let started_mb = status_mb(pid, "VmRSS");
        let t = Instant::now();
        let response = http
            .get(format!(
                "{base}/api/v1/exports/cases?format={format}&lang=en"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let first = t.elapsed();
        let mut response = response;
        let mut bytes = 0usize;
        let mut lines = 0usize;
        let mut first_byte = None;
        while let Some(chunk) = response.chunk().await.unwrap() {
            first_byte.get_or_insert(t.elapsed());
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let took = t.elapsed().as_secs_f64();
        let rows = if format == "xlsx" { target } else { lines - 1 };
        assert_eq!(rows, target, "every case exported once");
        println!(
            "{name}: export of {target} cases as {format}: {took:.1} s, {:.0} rows/s, {:.0} MB; headers after {:.0} ms, first byte after {:.1} s; server resident {started_mb:.0} MB before, peak {:.0} MB (VmHWM), {:.0} MB after ({:.0} MB anonymous, {:.0} MB of files)",
            target as f64 / took,
            bytes as f64 / 1e6,
            first.as_secs_f64() * 1000.0,
            first_byte.unwrap_or_default().as_secs_f64(),
            status_mb(pid, "VmHWM"),
            status_mb(pid, "VmRSS"),
            status_mb(pid, "RssAnon"),
            status_mb(pid, "RssFile"),
        );
    }
    server.kill().await.unwrap();
}

fn main() {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load before the benchmark: {}", load.trim());
    }
    run_on_backends(run);
}
