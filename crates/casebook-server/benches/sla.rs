//! SLA escalation-sweep benchmark (not a test): with 100,000 open cases, each with a running
//! initial-response and resolution clock and three escalation steps per clock, 1 % of the
//! steps due: how long one sweep takes to find nothing or to fire the due steps (each in its own
//! transaction with notifications and outbox mail). Run with
//! `cargo bench -p casebook-server --bench sla`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_OPEN_CASES (default 100000).

mod common;

use common::{app_on, backend_name, env_usize, run_on_backends};
use std::sync::Arc;
use std::time::Instant;

use casebook_domain::policy::Role;
use casebook_domain::sla::clock::{ClockEvent, ClockEventKind, ClockState};
use casebook_domain::sla::plan::{Metric, Notify, Target};
use casebook_domain::{Category, Channel, Severity, Status, Tier};
use casebook_server::actions::{accounts::users, cases::sla, directory::organizations};
use casebook_server::clock::ManualClock;
use casebook_server::policy::Principal;
use casebook_store::cases::{self, CaseColumns};
use casebook_store::sla::{self as sla_store, StoredClock};
use casebook_store::testing::TestBackend;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let open = env_usize("CASEBOOK_BENCH_OPEN_CASES", 100_000);
    let now: Timestamp = "2026-11-23T03:00:00Z".parse().unwrap();
    let (db, app) = app_on(backend, Arc::new(ManualClock::new(now))).await;
    let system = Principal::system("bench");
    let org = organizations::create(
        &app,
        &system,
        serde_json::from_value(json!({"customer_number": "S-1", "name": "客户"})).unwrap(),
    )
    .await
    .unwrap()
    .id;
    for (email, role) in [
        ("coordinator@bench.test", Role::Coordinator),
        ("manager@bench.test", Role::Manager),
    ] {
        let draft =
            serde_json::from_value(json!({"email": email, "name": email, "role": role})).unwrap();
        users::create(&app, &system, draft).await.unwrap();
    }
    let plan: casebook_domain::sla::plan::PlanId = "standard".parse().unwrap();
    let calendar: casebook_domain::sla::CalendarId = "24x7".parse().unwrap();
    let t0 = Instant::now();
    let mut have = 0;
    while have < open {
        // Small writes, as the server makes them: one SQLite savepoint holding thousands of
        // cases makes every statement's journal bookkeeping grow with it.
        let mut w = app.store.write().await.unwrap();
        for _ in 0..20.min(open - have) {
            let cols = CaseColumns {
                title: format!("bench {have}"),
                description: "d".into(),
                organization_id: org,
                contact_id: None,
                product_id: None,
                product_version: None,
                patch_level: None,
                operating_system: None,
                environment: String::new(),
                category: Category::Other,
                severity: Severity::ALL[have % 4],
                channel: Channel::Phone,
                tier: Tier::L1,
                status: Status::InProgress,
                owner_id: None,
                closed_at: None,
                closure_confirmed_by: None,
                closure_confirmed_at: None,
            };
            let number = cases::next_number(&mut w, 2026).await.unwrap();
            let case_id = cases::insert(&mut w, number, &cols, None, now)
                .await
                .unwrap();
            sla_store::set_case_plan(&mut w, case_id, &plan, "default", now)
                .await
                .unwrap();
            // One case in a hundred has its warning due now; the rest are due later.
            let due = if have % 100 == 0 {
                now - SignedDuration::from_mins(1)
            } else {
                now + SignedDuration::from_hours(1 + (have % 500) as i64)
            };
            for metric in [Metric::InitialResponse, Metric::Resolution] {
                let started = now - SignedDuration::from_mins(90);
                let clock = StoredClock {
                    id: 0,
                    case_id,
                    metric,
                    cycle: 1,
                    calendar: calendar.clone(),
                    target: Target::Minutes(120),
                    state: ClockState::Running,
                    started_at: started,
                    deadline: Some(started + SignedDuration::from_mins(120)),
                    breached: false,
                    events: vec![ClockEvent {
                        at: started,
                        kind: ClockEventKind::Started,
                    }],
                };
                let first_due = if metric == Metric::InitialResponse {
                    Some(due)
                } else {
                    Some(due + SignedDuration::from_hours(600))
                };
                let steps = vec![
                    (0, 75, Notify::Owner, first_due),
                    (
                        1,
                        100,
                        Notify::TierLead,
                        first_due.map(|d| d + SignedDuration::from_mins(30)),
                    ),
                    (
                        2,
                        150,
                        Notify::DutyManager,
                        first_due.map(|d| d + SignedDuration::from_mins(90)),
                    ),
                ];
                sla_store::insert_clocks(&mut w, &[(clock, steps)], now)
                    .await
                    .unwrap();
            }
            have += 1;
        }
        w.commit().await.unwrap();
        if std::env::var("CASEBOOK_BENCH_PROGRESS").is_ok() && have % 5000 == 0 {
            eprintln!(
                "{name}: {have} cases after {:.1} s",
                t0.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "{name}: {open} open cases with clocks in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    if backend == TestBackend::Postgres {
        // The steady state autovacuum reaches on a live server (VACUUM needs its own
        // connection: it cannot run in a transaction).
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("VACUUM ANALYZE")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    println!("| backend | open cases | sweep | escalations fired | seconds | per second |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let t = Instant::now();
    let mut fired = 0;
    loop {
        let n = sla::sweep(&app, 200).await.unwrap();
        fired += n;
        if n == 0 {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "| {name} | {open} | with 1 % of the warnings due | {fired} | {secs:.3} | {:.0} |",
        fired as f64 / secs
    );
    let runs = 50;
    let t = Instant::now();
    for _ in 0..runs {
        assert_eq!(sla::sweep(&app, 200).await.unwrap(), 0);
    }
    let each = t.elapsed().as_secs_f64() / f64::from(runs);
    println!(
        "| {name} | {open} | nothing due (what every server pays every 30 s) | 0 | {each:.4} | – |"
    );
}

fn main() {
    run_on_backends(run);
}
