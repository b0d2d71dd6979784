//! Call home end to end, on SQLite and PostgreSQL: the real `casebook call-home simulate` against
//! a server (cases opened under the contract's SLA, repeats folded, recovery and storm notes,
//! duplicates on a second run with the same run id, loopback only, refusals give exit 1); and
//! `kill -9` of the real server while devices send events: every acknowledged event is kept
//! exactly once, sent again it is a duplicate, occurrences match the faults, the audit chain
//! holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use casebook_domain::policy::Role;
use casebook_server::actions::call_home::keys::sign;
use casebook_server::actions::{accounts::tokens, accounts::users, directory::organizations};
use casebook_server::app::App;
use casebook_server::clock::SystemClock;
use casebook_server::policy::Principal;
use casebook_store::audit::{self, Verification};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{call_home, call_home_read, cases, on_both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::casebook_with;
use crate::crash::start_server;
use crate::helpers::{TestApp, test_config};

on_both_backends!(
    the_simulator_drives_a_server,
    acknowledged_events_survive_kill_9
);

const PATH: &str = "/api/v1/call-home/events";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The arguments of a command line, with `{target}` and `{key}` filled in.
fn args<'a>(line: &'a str, target: &'a str, key: &'a str) -> Vec<&'a str> {
    let fill = |a| match a {
        "{target}" => target,
        "{key}" => key,
        a => a,
    };
    line.split_whitespace().map(fill).collect()
}

/// The `name=count` pairs of a summary line such as `outcomes: case_opened=4 recorded=50`.
fn counts(summary: &str, line: &str) -> BTreeMap<String, u64> {
    let found = summary
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .unwrap_or_else(|| panic!("no {line} in {summary}"));
    found
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, n)| (k.to_owned(), n.parse().unwrap()))
        .collect()
}

async fn the_simulator_drives_a_server(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut premium = serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap();
    premium["id"] = json!("premium-7x24");
    premium["name"] = json!("7×24 金牌");
    for terms in premium["severities"].as_array_mut().unwrap() {
        terms["calendar"] = json!("24x7");
        terms.as_object_mut().unwrap().remove("overrides");
    }
    let (status, body) = t.post(&t.admin, "/api/v1/plans", premium).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let mut units = Vec::new();
    for n in 1..=4 {
        let body = json!({"organization_id": t.a.org_id, "serial_number": format!("SIM-{n:04}"),
            "product_id": product["id"], "product_version": "5.3.2"});
        let (status, unit) = t.post(&t.coordinator, "/api/v1/units", body).await;
        assert_eq!(status, StatusCode::CREATED, "{unit}");
        units.push(unit["id"].clone());
    }
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-SIM-1", "organization_id": t.a.org_id, "plan": "premium-7x24",
                "starts_on": "2026-01-01", "ends_on": "2028-12-31", "units": units,
                "channels": ["call_home", "web"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");

    // A key file from the CLI, as an operator makes one.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("cn-a.json");
    let key_path = key_file.to_str().unwrap();
    let url = t.app.store.url().to_owned();
    let made = casebook_with(
        &[
            "call-home",
            "create-key",
            "--org",
            "CN-A",
            "--out",
            key_path,
        ],
        &[("CASEBOOK_DATABASE_URL", url.as_str())],
        b"",
    )
    .await;
    assert!(made.status.success(), "{}", text(&made.stderr));

    let simulate = args(
        "call-home simulate --devices 4 --rate 20 --duration 4 --seed 7 --run-id t1 \
         --product HX-9000 --target {target} --key-file {key}",
        &t.base,
        key_path,
    );
    let run = casebook_with(&simulate, &[], b"").await;
    let summary = text(&run.stdout);
    assert!(run.status.success(), "{summary}\n{}", text(&run.stderr));
    assert!(summary.contains("sent: 80 events"), "{summary}");
    assert!(
        summary.contains("accepted: 80 new, 0 duplicates"),
        "{summary}"
    );
    assert!(summary.contains("refused: none"), "{summary}");
    assert!(summary.contains("undelivered: none"), "{summary}");
    assert!(summary.contains("latency: p50"), "{summary}");
    let outcomes = counts(&summary, "outcomes:");
    let at_least = |outcome: &str, n: u64| {
        let got = outcomes.get(outcome).copied().unwrap_or(0);
        assert!(got >= n, "{outcome}: {got} < {n} in {summary}");
    };
    at_least("case_opened", 4);
    at_least("correlated", 3);
    at_least("recovered", 3);
    at_least("suppressed", 1);
    at_least("recorded", 4);
    assert!(!outcomes.contains_key("not_entitled") && !outcomes.contains_key("unknown_device"));
    let storm_serial = summary
        .lines()
        .find_map(|l| l.strip_prefix("storm: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no storm in {summary}"))
        .to_owned();

    // What the server kept: every case on the call-home channel under the contract's 7×24 SLA,
    // its occurrences the faults folded into it.
    let org = casebook_domain::ids::OrganizationId::new(t.a.org_id);
    let mut db = t.app.store.read().await.unwrap();
    let events = call_home_read::events(&mut db, org).await.unwrap();
    assert_eq!(events.len(), 80);
    let mut folded: BTreeMap<i64, i64> = BTreeMap::new();
    for e in &events {
        if let (Some(case), "case_opened" | "correlated") = (e.case_id, e.outcome.as_str()) {
            *folded.entry(case.get()).or_default() += 1;
        }
    }
    let mut numbers = BTreeMap::new();
    for (&case, &faults) in &folded {
        let id = casebook_domain::ids::CaseId::new(case);
        let fault = call_home::fault_of(&mut db, id).await.unwrap().unwrap();
        assert_eq!(fault.occurrences, faults, "case {case}");
        let number = cases::number_of(&mut db, id).await.unwrap().unwrap();
        numbers.insert(number.to_string(), fault.unit_id.get());
    }
    drop(db);
    assert!(folded.values().any(|n| *n > 1), "repeats fold: {folded:?}");
    let mut recovered = 0;
    let mut storms = Vec::new();
    for (number, unit) in &numbers {
        let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
        assert_eq!(case["channel"], "call_home", "{case}");
        let e = &case["entitlement"];
        assert_eq!(
            (
                e["outcome"].as_str(),
                e["contract_number"].as_str(),
                e["plan"].as_str()
            ),
            (Some("entitled"), Some("HT-SIM-1"), Some("premium-7x24")),
            "{case}"
        );
        let (_, sla) = t
            .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
            .await;
        let clocks = sla["clocks"].as_array().unwrap();
        assert!(
            clocks
                .iter()
                .any(|c| c["metric"] == "initial_response" && c["calendar"] == "24x7"),
            "{sla}"
        );
        let (_, timeline) = t
            .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
            .await;
        let timeline = timeline.to_string();
        recovered += usize::from(timeline.contains("cleared"));
        if timeline.contains("Event storm") {
            storms.push(*unit);
        }
    }
    assert!(recovered >= 3, "recovery notes on {recovered} cases");
    let (_, storm_unit) = t
        .get(
            &t.engineer,
            &format!("/api/v1/units/{}", storms.first().copied().unwrap_or(0)),
        )
        .await;
    assert_eq!(storms.len(), 1, "one storm note: {storms:?}");
    assert_eq!(
        storm_unit["serial_number"],
        storm_serial.as_str(),
        "{storm_unit}"
    );

    // The same run again (same seed and run id): every event is a duplicate, nothing changes.
    let again = casebook_with(&simulate, &[], b"").await;
    let summary = text(&again.stdout);
    assert!(again.status.success(), "{summary}\n{}", text(&again.stderr));
    assert!(
        summary.contains("accepted: 0 new, 80 duplicates"),
        "{summary}"
    );
    let mut db = t.app.store.read().await.unwrap();
    assert_eq!(call_home_read::events(&mut db, org).await.unwrap(), events);
    drop(db);

    // Not on loopback: refused before anything is sent, unless allowed.
    let remote = args(
        "call-home simulate --devices 4 --rate 20 --duration 4 --target {target} --key-file {key}",
        "http://192.0.2.1:8080",
        key_path,
    );
    let refused = casebook_with(&remote, &[], b"").await;
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("192.0.2.1 is not a loopback address") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "{}", text(&refused.stdout));

    // A wrong secret: every request refused, reported by code, exit 1.
    let mut key: Value = serde_json::from_slice(&std::fs::read(&key_file).unwrap()).unwrap();
    key["secret"] = json!(format!("{}0", key["secret"].as_str().unwrap()));
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, key.to_string()).unwrap();
    let forged_run = args(
        "call-home simulate --devices 1 --rate 2 --duration 1 --target {target} --key-file {key}",
        &t.base,
        forged.to_str().unwrap(),
    );
    let bad = casebook_with(&forged_run, &[], b"").await;
    let summary = text(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{summary}");
    assert!(
        summary.contains("refused: signature_invalid=2"),
        "{summary}"
    );
}

/// The fleet of the kill test: units, the tasks sending for them, events per unit (every fourth
/// a fault, alternating two codes: 8 faults and two cases per unit, under the storm limit).
const UNITS: usize = 48;
const WORKERS: usize = 8;
const PER_UNIT: usize = 32;

/// One request of the kill test: its events' keys and its body.
#[derive(Clone)]
struct Batch {
    keys: Vec<String>,
    body: Vec<u8>,
}

/// A worker's batches: its units' events interleaved, in batches of 1, 2, 3, 1, 2, 3… events.
fn batches_of(worker: usize) -> Vec<Batch> {
    let mut events = Vec::new();
    for i in 0..PER_UNIT {
        for unit in (worker..UNITS).step_by(WORKERS) {
            let serial = format!("K9-{unit:03}");
            let key = format!("{serial}-{i:03}");
            let event = if i % 4 == 0 {
                let code = if i % 8 == 0 { "E100" } else { "E200" };
                json!({"idempotency_key": key, "type": "fault", "serial_number": serial, "code": code,
                    "severity": "major", "message": format!("kill test {i}"), "occurred_at": "2026-11-29T08:00:00Z"})
            } else {
                json!({"idempotency_key": key, "type": "heartbeat", "serial_number": serial,
                    "heartbeat_interval_secs": 60, "occurred_at": "2026-11-29T08:00:00Z"})
            };
            events.push((key, event));
        }
    }
    let mut batches = Vec::new();
    let mut rest = events.as_slice();
    while !rest.is_empty() {
        let (now, later) = rest.split_at((batches.len() % 3 + 1).min(rest.len()));
        let body = json!({"events": now.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>()});
        batches.push(Batch {
            keys: now.iter().map(|(k, _)| k.clone()).collect(),
            body: body.to_string().into_bytes(),
        });
        rest = later;
    }
    batches
}

/// A device's signing: its key, and a counter that makes every nonce new.
struct Signer {
    key: String,
    secret: String,
    sent: AtomicU64,
}

impl Signer {
    async fn send(
        &self,
        http: &reqwest::Client,
        base: &str,
        body: &[u8],
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let nonce = format!("k9-nonce-{:012}", self.sent.fetch_add(1, Ordering::Relaxed));
        let timestamp = jiff::Timestamp::now().as_second();
        let signature = sign(&self.secret, timestamp, &nonce, "POST", PATH, body);
        let response = http
            .post(format!("{base}{PATH}"))
            .header("Content-Type", "application/json")
            .header("X-Casebook-Key", &self.key)
            .header("X-Casebook-Timestamp", timestamp.to_string())
            .header("X-Casebook-Nonce", nonce)
            .header("X-Casebook-Signature", signature)
            .body(body.to_vec())
            .send()
            .await?;
        let status = response.status();
        let answer = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, answer))
    }
}

fn http() -> reqwest::Client {
    casebook_server::app::outbound::install_crypto();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn api(base: &str, token: &str, path: &str, body: Value) -> Value {
    let response = http()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

/// Each result of an answer: its key, outcome, case and whether it was a duplicate.
fn results(answer: &Value) -> Vec<(String, String, Value, bool)> {
    answer["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {answer}"))
        .iter()
        .map(|r| {
            (
                r["idempotency_key"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["case"].clone(),
                r["duplicate"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn acknowledged_events_survive_kill_9(backend: TestBackend) {
    let test_db = TestDb::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::with_store(
        test_config(&test_db.url, dir.path()),
        test_db.store.clone(),
        Arc::new(SystemClock),
    );
    let system = Principal::system("test");
    let admin = users::create(
        &app,
        &system,
        serde_json::from_value(json!({"email": "a@vendor.test", "name": "A", "role": Role::Admin}))
            .unwrap(),
    )
    .await
    .unwrap();
    let token = tokens::create(&app, &system, admin.id, "k9")
        .await
        .unwrap()
        .secret;
    let org = organizations::create(
        &app,
        &system,
        serde_json::from_value(json!({"customer_number": "K9", "name": "Kill"})).unwrap(),
    )
    .await
    .unwrap();

    let (mut server, base) = start_server(&test_db.url, dir.path()).await;
    let product = api(
        &base,
        &token,
        "/api/v1/products",
        json!({"name": "K9-STOR", "vendor": "Huaxin"}),
    )
    .await;
    let mut units = Vec::new();
    for unit in 0..UNITS {
        let body = json!({"organization_id": org.id.get(), "serial_number": format!("K9-{unit:03}"),
            "product_id": product["id"]});
        units.push(api(&base, &token, "/api/v1/units", body).await["id"].clone());
    }
    api(
        &base,
        &token,
        "/api/v1/contracts",
        json!({"contract_number": "HT-K9", "organization_id": org.id.get(), "plan": "standard",
            "starts_on": "2026-01-01", "ends_on": "2028-12-31", "units": units}),
    )
    .await;
    let made = api(
        &base,
        &token,
        "/api/v1/call-home/keys",
        json!({"organization": "K9"}),
    )
    .await;
    let signer = Arc::new(Signer {
        key: made["key_id"].as_str().unwrap().to_owned(),
        secret: made["secret"].as_str().unwrap().to_owned(),
        sent: AtomicU64::new(0),
    });
    let plans: Vec<Vec<Batch>> = (0..WORKERS).map(batches_of).collect();
    let total: usize = plans.iter().flatten().map(|b| b.keys.len()).sum();
    assert_eq!(total, UNITS * PER_UNIT);

    // Devices send until the server dies; each 2xx answer is an acknowledgement.
    let (acknowledge, mut acknowledged_rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let mut senders = Vec::new();
    for batches in plans.clone() {
        let (base, signer, acknowledge) = (base.clone(), signer.clone(), acknowledge.clone());
        senders.push(tokio::spawn(async move {
            let http = http();
            for batch in batches {
                let Ok((status, answer)) = signer.send(&http, &base, &batch.body).await else {
                    return;
                };
                if status.is_success() {
                    let _ = acknowledge.send(answer);
                }
            }
        }));
    }
    drop(acknowledge);
    let mut acknowledged: HashMap<String, (String, Value)> = HashMap::new();
    tokio::time::timeout(Duration::from_secs(180), async {
        while acknowledged.len() < total / 5 {
            let answer = acknowledged_rx
                .recv()
                .await
                .expect("the devices keep sending");
            for (key, outcome, case, _) in results(&answer) {
                acknowledged.insert(key, (outcome, case));
            }
        }
    })
    .await
    .expect("a fifth of the events are acknowledged within three minutes");
    // SIGKILL while the devices are still sending.
    server.process.start_kill().unwrap();
    server.process.wait().await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    while let Some(answer) = acknowledged_rx.recv().await {
        for (key, outcome, case, _) in results(&answer) {
            acknowledged.insert(key, (outcome, case));
        }
    }
    assert!(
        acknowledged.len() < total,
        "the server died before the devices finished"
    );

    // After a restart every event is sent again (new nonces): the acknowledged ones are
    // duplicates with their first outcome and case.
    let (_restarted, base) = start_server(&test_db.url, dir.path()).await;
    let mut resenders = Vec::new();
    for batches in plans {
        let (base, signer) = (base.clone(), signer.clone());
        resenders.push(tokio::spawn(async move {
            let http = http();
            let mut answers = Vec::new();
            for batch in batches {
                let mut tries = 0;
                let answer = loop {
                    tries += 1;
                    match signer.send(&http, &base, &batch.body).await {
                        Ok((status, answer)) if status.is_success() => break answer,
                        other if tries >= 5 => panic!("a resend failed: {other:?}"),
                        _ => tokio::time::sleep(Duration::from_millis(500)).await,
                    }
                };
                assert_eq!(results(&answer).len(), batch.keys.len(), "{answer}");
                answers.push(answer);
            }
            answers
        }));
    }
    let mut outcomes: HashMap<String, String> = HashMap::new();
    for r in resenders {
        for answer in r.await.unwrap() {
            for (key, outcome, case, duplicate) in results(&answer) {
                if let Some((first, first_case)) = acknowledged.get(&key) {
                    assert!(duplicate, "{key} was acknowledged: {answer}");
                    assert_eq!((&outcome, &case), (first, first_case), "{key}");
                }
                assert!(outcomes.insert(key, outcome).is_none());
            }
        }
    }
    assert_eq!(outcomes.len(), total);

    // Each event is kept once, with the outcome it was answered with; each case's occurrences
    // are the faults folded into it: one case per unit and code, every fault counted.
    let mut db = test_db.store.read().await.unwrap();
    let rows = call_home_read::rows_per_key(&mut db, org.id).await.unwrap();
    assert_eq!(rows.len(), total);
    assert!(
        rows.iter()
            .all(|(key, n)| *n == 1 && outcomes.contains_key(key)),
        "{rows:?}"
    );
    let mut folded: BTreeMap<i64, i64> = BTreeMap::new();
    for e in call_home_read::events(&mut db, org.id).await.unwrap() {
        assert_eq!(Some(&e.outcome), outcomes.get(&e.idempotency_key));
        if e.event_type == "fault" {
            assert!(
                matches!(e.outcome.as_str(), "case_opened" | "correlated"),
                "{e:?}"
            );
            *folded
                .entry(e.case_id.expect("a fault's case").get())
                .or_default() += 1;
        }
    }
    assert_eq!(folded.len(), UNITS * 2, "one case per unit and code");
    for (&case, &faults) in &folded {
        let id = casebook_domain::ids::CaseId::new(case);
        let fault = call_home::fault_of(&mut db, id).await.unwrap().unwrap();
        assert_eq!(fault.occurrences, faults, "case {case}");
    }
    assert_eq!(folded.values().sum::<i64>(), (UNITS * PER_UNIT / 4) as i64);
    assert!(matches!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Intact { .. }
    ));
}
