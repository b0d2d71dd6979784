//! Webhook benchmark (not a test): signed deliveries per second from the outbox to a receiver on
//! loopback, and the delay from an event's commit to its arrival while events are written at a
//! steady rate. Run with `cargo bench -p casebook-server --bench webhooks`; see
//! docs/benchmarks.md.
//!
//! 1. Backlog: CASEBOOK_BENCH_EVENTS (default 20000) events are queued for one webhook, then the
//!    sender (the server's `deliver_due` loop) delivers them; deliveries per second.
//! 2. Steady: CASEBOOK_BENCH_RATE events per second (default 1000) are written for
//!    CASEBOOK_BENCH_SECONDS (default 10), each in its own transaction through `emit`, while the
//!    sender runs; the receiver notes when each arrives; the delay from commit to arrival
//!    (median, 99th percentile, maximum).
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use casebook_domain::events::{Actor, Event, EventKind};
use casebook_server::actions::integrations::{emit, send, subscriptions};
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::TestBackend;
use common::{backend_name, env_usize, run_on_backends};
use serde_json::json;

/// What the receiver saw: arrival time of each event id.
type Seen = Arc<Mutex<HashMap<String, Instant>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Seen>, headers: HeaderMap, _body: Bytes| async move {
                    let id = headers
                        .get("x-casebook-event-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    seen.lock().unwrap().insert(id.to_owned(), Instant::now());
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn ping(id: String) -> Event {
    let actor = Actor {
        kind: "system".into(),
        name: "bench".into(),
    };
    let mut event = Event::new(EventKind::CallHomeStorm, id, jiff::Timestamp::now(), actor);
    event.device = Some(casebook_domain::events::DeviceSection {
        serial_number: "SN-BENCH".into(),
        unit_id: 1,
        organization: casebook_domain::events::IdName {
            id: 1,
            name: "客户 0".into(),
        },
        product: None,
        code: Some("E1234".into()),
        severity: Some("major".into()),
        message: Some("bench".into()),
        last_seen_at: None,
    });
    event
}

/// Writes one event in its own transaction; its id.
async fn write(app: &casebook_server::app::App) -> String {
    let mut db = app.store.write().await.unwrap();
    let mut written = String::new();
    emit::event(
        app,
        &mut db,
        EventKind::CallHomeStorm,
        None,
        jiff::Timestamp::now(),
        |id| {
            written = id.clone();
            ping(id)
        },
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
    written
}

/// The server's sender loop (as `casebook serve` runs it), until `stop`.
async fn sender(app: Arc<casebook_server::app::App>, stop: Arc<std::sync::atomic::AtomicBool>) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let pass = send::deliver_due(&app, 32).await.unwrap();
        if pass.delivered > 0 {
            continue;
        }
        tokio::select! {
            () = app.outbound.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

async fn bench(backend: TestBackend) {
    let name = backend_name(backend);
    let (_db, app) = common::app_on(backend, Arc::new(SystemClock)).await;
    let mut config = app.config.clone();
    config.integrations.allow_networks = vec!["127.0.0.1".into()];
    let app =
        casebook_server::app::App::with_store(config, app.store.clone(), Arc::new(SystemClock));
    let (url, seen) = receiver().await;
    let admin = Principal::system("bench");
    let input = serde_json::from_value(
        json!({"name": "bench", "kind": "webhook", "url": url, "events": ["call_home.storm"]}),
    )
    .unwrap();
    subscriptions::create(&app, &admin, input).await.unwrap();

    let events = env_usize("CASEBOOK_BENCH_EVENTS", 20_000);
    for _ in 0..events {
        write(&app).await;
    }
    let start = Instant::now();
    let mut delivered = 0;
    while delivered < events {
        let pass = send::deliver_due(&app, 32).await.unwrap();
        assert!(pass.failed == 0, "a delivery failed");
        assert!(pass.delivered > 0 || delivered == events, "nothing was due");
        delivered += pass.delivered;
    }
    let took = start.elapsed();
    println!(
        "{name}: backlog of {events} signed deliveries in {:.2} s: {:.0} deliveries/s",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );

    let rate = env_usize("CASEBOOK_BENCH_RATE", 1000);
    let seconds = env_usize("CASEBOOK_BENCH_SECONDS", 10);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = tokio::spawn(sender(app.clone(), stop.clone()));
    let mut committed: Vec<(String, Instant)> = Vec::with_capacity(rate * seconds);
    let begin = Instant::now();
    for n in 0..rate * seconds {
        let due = begin + Duration::from_secs_f64(n as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let id = write(&app).await;
        committed.push((id, Instant::now()));
    }
    let wrote = begin.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < events + committed.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    app.outbound.wake.notify_one();
    running.await.unwrap();
    let arrived = seen.lock().unwrap().clone();
    let mut delays: Vec<f64> = committed
        .iter()
        .filter_map(|(id, at)| {
            arrived
                .get(id)
                .map(|got| got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    assert_eq!(delays.len(), committed.len(), "every event arrived");
    delays.sort_by(f64::total_cmp);
    let pick = |q: f64| delays[((delays.len() as f64 * q) as usize).min(delays.len() - 1)];
    println!(
        "{name}: {} events written at {:.0}/s (asked {rate}/s) over {:.1} s; commit to arrival: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        committed.len(),
        committed.len() as f64 / wrote.as_secs_f64(),
        wrote.as_secs_f64(),
        pick(0.5),
        pick(0.99),
        delays[delays.len() - 1]
    );
}

fn main() {
    run_on_backends(bench);
}
