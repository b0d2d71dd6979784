//! Call-home benchmark (not a test): a fleet of devices of one organisation under one contract
//! that covers the call-home channel sends signed batches of events over real HTTP to the real
//! router (served in this process on a loopback port), on SQLite and PostgreSQL. Every device
//! first reports one fault, which opens its case (not timed).
//!
//! Phase 1 times the intake with correlation and deduplication: concurrent tasks, each a gateway
//! with a key of its own, send batches of about 60 % heartbeats, 25 % repeats of the device's
//! open fault (correlated into its case), 10 % warnings and 5 % recovery-then-fault pairs or
//! inventory; every tenth batch is sent a second time (new nonce, same idempotency keys) and must
//! be answered as duplicates. The answers and what the database kept are checked.
//!
//! Phase 2 times fairness: one normal device sends one heartbeat every 20 ms alone, then while
//! another device floods with batches of 500 faults from 4 tasks (its storm suppression starts,
//! as it would), first through a gateway key of its own, then through the flooding device's key.
//!
//! Run with `cargo bench -p casebook-server --bench call_home`; see docs/benchmarks.md.
//!
//! Settings (environment): CASEBOOK_BENCH_BACKENDS (default `sqlite,postgres`),
//! CASEBOOK_BENCH_DEVICES (units, default 2000), CASEBOOK_BENCH_TASKS (concurrent senders of
//! phase 1, default 8), CASEBOOK_BENCH_KEYS (their keys, default one per task; the server takes
//! one batch of a key at a time), CASEBOOK_BENCH_BATCH (events per batch, default 100, at most
//! 500), CASEBOOK_BENCH_EVENTS (new events of phase 1, default 100000; the resent batches come on
//! top), CASEBOOK_BENCH_SECONDS (time cap of phase 1, default 600),
//! CASEBOOK_BENCH_NORMAL_EVENTS (heartbeats of the normal device per series, default 250; each
//! series stops after 60 s).
//!
//! Phase 1 sends each device far more than the default storm limit (10 faults, warnings and
//! recoveries per hour): it runs on an application whose `call_home.storm_max_events` is raised
//! to 1,000,000, over the same store. Phase 2 runs on the configured limit. On PostgreSQL the
//! benchmark runs `ANALYZE` after the setup and after phase 1, as autovacuum does soon after a
//! load. Batches of concurrent tasks cover distinct devices while tasks × batch size stays below
//! the number of devices.

mod common;
#[path = "call_home/phase1.rs"]
mod phase1;

use common::{app_on, backend_name, env_usize, run_on_backends};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use casebook_domain::ids::{CaseId, OrganizationId};
use casebook_server::actions::call_home::keys::{self, sign};
use casebook_server::actions::{
    contracts, directory::organizations, directory::products, directory::units,
};
use casebook_server::app::App;
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{call_home, call_home_read};
use hdrhistogram::Histogram;
use phase1::{check_kept, phase1};
use serde_json::{Value, json};

const PATH: &str = "/api/v1/call-home/events";
const FAULT_CODES: [&str; 5] = ["E1234", "E2001", "E3105", "E4410", "E5020"];
const WARNING_CODES: [&str; 2] = ["W0301", "W0420"];
/// The most events in one request (docs/call-home.md).
const LARGEST_BATCH: usize = 500;
/// Flooding tasks of phase 2.
const FLOOD_TASKS: usize = 4;
/// The normal device's pace in phase 2.
const NORMAL_GAP: Duration = Duration::from_millis(20);

fn serial(device: usize) -> String {
    format!("CH{device:05}")
}

fn now_text() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// What an event reports, and what the server answers for it once every device has a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heartbeat,
    Fault,
    Warning,
    Recovery,
    Inventory,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Heartbeat | Kind::Warning | Kind::Inventory => "recorded",
            Kind::Fault => "correlated",
            Kind::Recovery => "recovered",
        }
    }
}

/// One event of `device` as a device sends it.
fn event(kind: Kind, device: usize, key: &str, n: usize) -> Value {
    let serial = serial(device);
    let fault_code = FAULT_CODES[device % FAULT_CODES.len()];
    let at = now_text();
    match kind {
        Kind::Heartbeat => json!({"idempotency_key": key, "type": "heartbeat",
            "serial_number": serial, "occurred_at": at, "heartbeat_interval_secs": 300}),
        Kind::Fault => json!({"idempotency_key": key, "type": "fault", "serial_number": serial,
            "code": fault_code, "severity": "major",
            "message": format!("控制器 B 故障切换 / controller B failover, path {}", n % 4),
            "occurred_at": at,
            "log_excerpt": format!("08:00:00 ctrl-b: path {} down\n08:00:01 ctrl-b: failover to ctrl-a\n08:00:03 ctrl-a: io resumed\n", n % 4)}),
        Kind::Warning => json!({"idempotency_key": key, "type": "warning", "serial_number": serial,
            "code": WARNING_CODES[n % WARNING_CODES.len()], "severity": "minor",
            "message": "风扇转速偏低 / fan speed below threshold", "occurred_at": at}),
        Kind::Recovery => {
            json!({"idempotency_key": key, "type": "recovery", "serial_number": serial,
            "code": fault_code, "message": "路径已恢复 / path restored", "occurred_at": at})
        }
        Kind::Inventory => {
            json!({"idempotency_key": key, "type": "inventory", "serial_number": serial,
            "version": format!("5.4.{}", n % 10), "occurred_at": at,
            "configuration": {"raid": "6", "controllers": 2, "disks": 24, "firmware": format!("5.4.{}", n % 10)}})
        }
    }
}

/// A batch ready to send: its body and the outcome expected for each event, in order.
struct Batch {
    body: Bytes,
    expected: Vec<&'static str>,
}

fn batch_of(events: Vec<(usize, Kind, Value)>) -> Batch {
    let mut events = events;
    // A gateway sends each device's events together, in order.
    events.sort_by_key(|(device, _, _)| *device);
    let expected = events.iter().map(|(_, kind, _)| kind.expected()).collect();
    let values: Vec<Value> = events.into_iter().map(|(_, _, v)| v).collect();
    let body = serde_json::to_vec(&json!({ "events": values })).unwrap();
    Batch {
        body: body.into(),
        expected,
    }
}

/// Batch `b` of phase 1. Event `g` (counted over the whole phase) is for device `g % devices`;
/// its kind follows a pattern of 40 that shifts by one each round over the fleet, so every
/// device sends every kind: 24 heartbeats, 10 repeats of the open fault, 4 warnings, and either
/// a recovery followed by the fault again on the same device or two inventories.
fn phase1_batch(b: usize, size: usize, total: usize, devices: usize) -> Batch {
    let first = b * size;
    let events = (first..(first + size).min(total))
        .map(|g| {
            let pattern = g + g / devices;
            let slot = pattern % 40;
            let pair = (pattern / 40).is_multiple_of(2);
            let mut device = g % devices;
            let kind = match slot {
                0..24 => Kind::Heartbeat,
                24..34 => Kind::Fault,
                34..38 => Kind::Warning,
                38 if pair => Kind::Recovery,
                39 if pair => {
                    // The fault comes back on the device that just recovered.
                    device = (g + devices - 1) % devices;
                    Kind::Fault
                }
                _ => Kind::Inventory,
            };
            (device, kind, event(kind, device, &format!("p1-{g}"), g))
        })
        .collect();
    batch_of(events)
}

/// The answer to a batch.
#[derive(serde::Deserialize)]
struct Answer {
    accepted: usize,
    duplicates: usize,
    results: Vec<Outcome>,
}

#[derive(serde::Deserialize)]
struct Outcome {
    outcome: String,
    duplicate: bool,
}

/// A device client: the key, and the server it talks to.
#[derive(Clone)]
struct Sender {
    http: reqwest::Client,
    url: String,
    key: String,
    secret: String,
    nonces: Arc<AtomicU64>,
}

impl Sender {
    fn new(base: &str, key: &keys::NewKeyFile, nonces: Arc<AtomicU64>) -> Self {
        casebook_server::app::outbound::install_crypto();
        Sender {
            http: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(32)
                .build()
                .unwrap(),
            url: format!("{base}{PATH}"),
            key: key.key_id.clone(),
            secret: key.secret.clone(),
            nonces,
        }
    }

    /// Sends a signed body (a new nonce each time); the time from signing to the whole answer,
    /// and the answer. Anything but 200 fails the benchmark.
    async fn send(&self, body: &Bytes) -> (Duration, Answer) {
        let nonce = format!(
            "bench-nonce-{:012}",
            self.nonces.fetch_add(1, Ordering::Relaxed)
        );
        let started = Instant::now();
        let timestamp = jiff::Timestamp::now().as_second();
        let signature = sign(&self.secret, timestamp, &nonce, "POST", PATH, body);
        let response = self
            .http
            .post(&self.url)
            .header("X-Casebook-Key", &self.key)
            .header("X-Casebook-Timestamp", timestamp.to_string())
            .header("X-Casebook-Nonce", &nonce)
            .header("X-Casebook-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("an answer");
        let status = response.status();
        let bytes = response.bytes().await.expect("the whole answer");
        let took = started.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        (took, serde_json::from_slice(&bytes).expect("an answer"))
    }
}

/// Serves the real router of `app` on a loopback port; its base URL.
async fn serve(app: Arc<App>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = casebook_server::router::router(app);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// The organisation, product, units and contract (through the actions).
async fn setup(app: &Arc<App>, devices: usize) -> OrganizationId {
    let system = Principal::system("bench");
    let draft =
        serde_json::from_value(json!({"customer_number": "CH-0001", "name": "华信存储 客户"}))
            .unwrap();
    let org = organizations::create(app, &system, draft).await.unwrap().id;
    let draft = serde_json::from_value(json!({"name": "HX-9000", "vendor": "Huaxin"})).unwrap();
    let product = products::create(app, &system, draft).await.unwrap().id;
    // Four tasks make the units, each unit in its own transaction as the API makes it.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                let system = Principal::system("bench");
                let mut made = Vec::new();
                for d in (w..devices).step_by(4) {
                    let draft = serde_json::from_value(json!({"organization_id": org,
                        "serial_number": serial(d), "product_id": product, "product_version": "5.3.2"}))
                    .unwrap();
                    made.push(units::create(&app, &system, draft).await.unwrap().id);
                }
                made
            })
        })
        .collect();
    let mut unit_ids = Vec::with_capacity(devices);
    for worker in workers {
        unit_ids.extend(worker.await.unwrap());
    }
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year();
    let draft = serde_json::from_value(json!({"contract_number": "HT-CALL-BENCH",
        "organization_id": org, "plan": "standard", "starts_on": format!("{}-01-01", year - 1),
        "ends_on": format!("{}-12-31", year + 2), "units": unit_ids,
        "channels": ["call_home", "web", "email", "phone"]}))
    .unwrap();
    contracts::create(app, &system, draft).await.unwrap();
    org
}

/// A new key of the organisation, as a gateway holds it.
async fn make_key(app: &App, label: &str) -> keys::NewKeyFile {
    let draft = serde_json::from_value(json!({"organization": "CH-0001", "label": label})).unwrap();
    keys::create(app, &Principal::system("bench"), draft)
        .await
        .unwrap()
}

/// Every device reports one fault, which opens its case (4 tasks, batches of 50).
async fn open_cases(senders: &[Sender], devices: usize) {
    let batches: Vec<Bytes> = (0..devices)
        .collect::<Vec<_>>()
        .chunks(50)
        .map(|chunk| {
            let events: Vec<Value> = chunk
                .iter()
                .map(|&d| event(Kind::Fault, d, &format!("open-{d}"), d))
                .collect();
            serde_json::to_vec(&json!({ "events": events }))
                .unwrap()
                .into()
        })
        .collect();
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let sender = senders[t % senders.len()].clone();
            let (batches, next) = (batches.clone(), next.clone());
            tokio::spawn(async move {
                while let Some(body) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (_, answer) = sender.send(body).await;
                    for r in &answer.results {
                        assert_eq!(r.outcome, "case_opened");
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn latencies(h: &Histogram<u64>) -> String {
    format!(
        "p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms | max {:.2} ms",
        ms(h, 0.5),
        ms(h, 0.95),
        ms(h, 0.99),
        h.max() as f64 / 1000.0
    )
}

/// The normal device: one heartbeat every 20 ms, each answered before the next is sent.
async fn normal_device(
    sender: &Sender,
    device: usize,
    label: &str,
    count: usize,
) -> Histogram<u64> {
    let cap = Duration::from_secs(60);
    let started = Instant::now();
    let mut hist = Histogram::<u64>::new(3).unwrap();
    let mut tick = tokio::time::interval(NORMAL_GAP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for i in 0..count {
        if started.elapsed() > cap {
            break;
        }
        tick.tick().await;
        let body = event(Kind::Heartbeat, device, &format!("normal-{label}-{i}"), i);
        let (took, answer) = sender
            .send(&serde_json::to_vec(&body).unwrap().into())
            .await;
        hist.record(took.as_micros() as u64).unwrap();
        assert_eq!(answer.accepted, 1);
        assert_eq!(answer.results[0].outcome, "recorded");
    }
    hist
}

/// The flood: batches of 500 faults of one device from 4 tasks until told to stop (or 150 s,
/// longer than the two series of the normal device it runs under; or 5,000 batches per task).
async fn flood(
    sender: Sender,
    device: usize,
    stop: Arc<AtomicBool>,
) -> (Histogram<u64>, BTreeMap<String, usize>) {
    let started = Instant::now();
    let workers: Vec<_> = (0..FLOOD_TASKS)
        .map(|t| {
            let (sender, stop) = (sender.clone(), stop.clone());
            tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new(3).unwrap();
                let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
                for seq in 0..5000 {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(150)
                    {
                        break;
                    }
                    let events: Vec<Value> = (0..LARGEST_BATCH)
                        .map(|j| event(Kind::Fault, device, &format!("flood-{t}-{seq}-{j}"), j))
                        .collect();
                    let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
                    let (took, answer) = sender.send(&body.into()).await;
                    hist.record(took.as_micros() as u64).unwrap();
                    assert_eq!(answer.accepted, LARGEST_BATCH);
                    for r in answer.results {
                        assert!(
                            matches!(r.outcome.as_str(), "correlated" | "suppressed"),
                            "{}",
                            r.outcome
                        );
                        *outcomes.entry(r.outcome).or_default() += 1;
                    }
                }
                (hist, outcomes)
            })
        })
        .collect();
    let mut hist = Histogram::<u64>::new(3).unwrap();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for worker in workers {
        let (h, o) = worker.await.unwrap();
        hist.add(h).unwrap();
        for (outcome, n) in o {
            *outcomes.entry(outcome).or_default() += n;
        }
    }
    (hist, outcomes)
}

/// PostgreSQL: statistics of the tables just filled, as autovacuum takes them within a minute
/// or so of a load (without them, the lookup of earlier events by idempotency key scans all the
/// organisation's events; see docs/benchmarks.md).
async fn analyze(db: &TestDb) {
    if db.backend == TestBackend::Postgres {
        db.execute_raw("ANALYZE").await.unwrap();
    }
}

fn outcome_list(outcomes: &BTreeMap<String, usize>) -> String {
    outcomes
        .iter()
        .map(|(o, n)| format!("{o}={n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run(backend: TestBackend) {
    let name = backend_name(backend);
    let devices = env_usize("CASEBOOK_BENCH_DEVICES", 2_000).max(2);
    let tasks = env_usize("CASEBOOK_BENCH_TASKS", 8).max(1);
    let keys = env_usize("CASEBOOK_BENCH_KEYS", tasks).clamp(1, tasks);
    let size = env_usize("CASEBOOK_BENCH_BATCH", 100).clamp(1, LARGEST_BATCH);
    let total = env_usize("CASEBOOK_BENCH_EVENTS", 100_000);
    let cap = Duration::from_secs(env_usize("CASEBOOK_BENCH_SECONDS", 600) as u64);
    let normal_events = env_usize("CASEBOOK_BENCH_NORMAL_EVENTS", 250);

    let (db, app) = app_on(backend, Arc::new(SystemClock)).await;
    // Phase 1 sends each device more than the storm limit allows: the same store, the limit
    // raised.
    let mut config = app.config.clone();
    config.call_home.storm_max_events = config.call_home.storm_max_events.max(1_000_000);
    let fleet_app = App::with_store(config, app.store.clone(), app.clock.clone());
    let t0 = Instant::now();
    let org = setup(&app, devices).await;
    let nonces = Arc::new(AtomicU64::new(0));
    let fleet_base = serve(fleet_app.clone()).await;
    let mut gateways = Vec::new();
    for k in 0..keys {
        let key = make_key(&app, &format!("gateway {k}")).await;
        gateways.push(Sender::new(&fleet_base, &key, nonces.clone()));
    }
    let setup_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    open_cases(&gateways, devices).await;
    eprintln!(
        "{name}: {devices} units under one contract in {setup_secs:.1} s; {devices} cases opened by call home in {:.1} s ({:.0}/s)",
        t0.elapsed().as_secs_f64(),
        devices as f64 / t0.elapsed().as_secs_f64()
    );
    analyze(&db).await;

    // Phase 1: throughput with correlation and deduplication.
    let batches: Vec<Batch> = (0..total.div_ceil(size))
        .map(|b| phase1_batch(b, size, total, devices))
        .collect();
    let (done, secs) = phase1(&gateways, Arc::new(batches), tasks, cap).await;
    let capped = if done.new_events < total {
        " (time cap reached)"
    } else {
        ""
    };
    let mut all = done.new.clone();
    all.add(&done.dup).unwrap();
    let events = done.new_events + done.dup_events;
    println!(
        "| {name} | {devices} devices, {} new + {} duplicate events in batches of {size}, {tasks} tasks, {keys} key{}{capped} | {:.0} events/s | {} |",
        done.new_events,
        done.dup_events,
        if keys == 1 { "" } else { "s" },
        events as f64 / secs,
        latencies(&all)
    );
    println!(
        "| {name} | of which new events ({} batches) | {:.0} events/s | {} |",
        done.new.len(),
        done.new_events as f64 / secs,
        latencies(&done.new)
    );
    println!(
        "| {name} | of which duplicates ({} batches sent again, all answered as duplicates) | {:.0} events/s | {} |",
        done.dup.len(),
        done.dup_events as f64 / secs,
        latencies(&done.dup)
    );
    eprintln!(
        "{name}: phase 1 took {secs:.1} s; outcomes of new events: {}",
        outcome_list(&done.outcomes)
    );
    check_kept(&app, org, devices, &done).await;
    analyze(&db).await;

    // Phase 2, on the configured storm limit: one normal device alone, then while another
    // device floods; the normal device sends through a gateway of its own, then through the
    // flooding device's gateway (the same key).
    let base = serve(app.clone()).await;
    let flood_gateway = Sender::new(
        &base,
        &make_key(&app, "flooding gateway").await,
        nonces.clone(),
    );
    let own_gateway = Sender::new(&base, &make_key(&app, "normal gateway").await, nonces);
    let (flooder, normal) = (0, 1);
    let alone = normal_device(&own_gateway, normal, "alone", normal_events).await;
    let stop = Arc::new(AtomicBool::new(false));
    let flood_started = Instant::now();
    let flooding = tokio::spawn(flood(flood_gateway.clone(), flooder, stop.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = normal_device(&own_gateway, normal, "flood", normal_events).await;
    let shared = normal_device(&flood_gateway, normal, "shared", normal_events).await;
    stop.store(true, Ordering::Relaxed);
    let (flood_hist, flood_outcomes) = flooding.await.unwrap();
    let flood_secs = flood_started.elapsed().as_secs_f64();
    let series = [
        (
            "normal device alone, one heartbeat every 20 ms".to_owned(),
            &alone,
        ),
        (
            format!(
                "the same while another device floods ({FLOOD_TASKS} tasks × batches of {LARGEST_BATCH} faults), its own key"
            ),
            &during,
        ),
        ("the same, the flooding device's key".to_owned(), &shared),
    ];
    for (what, hist) in series {
        println!(
            "| {name} | {what} | {} heartbeats | {} |",
            hist.len(),
            latencies(hist)
        );
    }
    println!(
        "| {name} | the flood: {} batches of {LARGEST_BATCH} faults of one device | {:.0} events/s | {} |",
        flood_hist.len(),
        flood_hist.len() as f64 * LARGEST_BATCH as f64 / flood_secs,
        latencies(&flood_hist)
    );
    eprintln!("{name}: flood outcomes: {}", outcome_list(&flood_outcomes));
    assert!(
        flood_outcomes.contains_key("suppressed"),
        "the flooding device is suppressed"
    );
}

fn main() {
    run_on_backends(run);
}
