//! Call home on SQLite and PostgreSQL, what watches it: refused device requests are counted per
//! code and key (also across processes), a file an event brings is kept on its case for staff
//! only, bad base64 is refused with its field, a device that stops sending heartbeats is flagged
//! silent once and staff are told, a recovery under a closing rule proposes closing the case,
//! and the `[call_home]` settings (storm limit, not-entitled faults opening cases) apply.

use std::sync::Arc;

use casebook_server::actions::call_home::keys::sign;
use casebook_server::actions::call_home::watch;
use casebook_server::clock::{Clock, ManualClock, SystemClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

on_both_backends!(
    refusals_are_counted_and_files_kept,
    silent_devices_are_flagged_once,
    settings_and_closing_rules_apply,
    the_same_batch_through_two_keys_at_once
);

const PATH: &str = "/api/v1/call-home/events";

/// A device with its key, signing with the application's clock.
struct Signer<'t> {
    t: &'t TestApp,
    key: String,
    secret: String,
    sent: std::cell::Cell<u32>,
}

impl<'t> Signer<'t> {
    async fn of(t: &'t TestApp, organization: &str) -> Signer<'t> {
        let body = json!({"organization": organization});
        let (status, made) = t.post(&t.admin, "/api/v1/call-home/keys", body).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        Signer {
            t,
            key: made["key_id"].as_str().unwrap().to_owned(),
            secret: made["secret"].as_str().unwrap().to_owned(),
            sent: Default::default(),
        }
    }

    /// Sends `body` signed with `secret` at `timestamp`, with `nonce` (or a new one).
    async fn send(
        &self,
        body: &[u8],
        secret: &str,
        timestamp: i64,
        nonce: Option<&str>,
    ) -> (StatusCode, Value) {
        self.sent.set(self.sent.get() + 1);
        let fresh = format!("watch-{:010}-{}", self.sent.get(), self.key);
        let nonce = nonce.unwrap_or(&fresh);
        let signature = sign(secret, timestamp, nonce, "POST", PATH, body);
        let response = self
            .t
            .client
            .post(self.t.url(PATH))
            .header("X-Casebook-Key", &self.key)
            .header("X-Casebook-Timestamp", timestamp.to_string())
            .header("X-Casebook-Nonce", nonce)
            .header("X-Casebook-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    fn now(&self) -> i64 {
        self.t.app.clock.now().as_second()
    }

    async fn post(&self, body: Value) -> (StatusCode, Value) {
        let body = body.to_string();
        self.send(body.as_bytes(), &self.secret, self.now(), None)
            .await
    }
}

fn event(key: &str, serial: &str, code: &str, kind: &str) -> Value {
    json!({"idempotency_key": key, "type": kind, "serial_number": serial, "code": code,
        "severity": "major", "message": "控制器 B 故障切换", "occurred_at": "2026-11-29T08:00:00Z"})
}

/// A product, a unit under an active contract (`SN-COVERED`) and one without (`SN-BARE`) in
/// organisation CN-A.
async fn installed_base(t: &TestApp) {
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    let unit = |serial: &str| json!({"organization_id": t.a.org_id, "serial_number": serial, "product_id": product["id"]});
    let (status, covered) = t
        .post(&t.coordinator, "/api/v1/units", unit("SN-COVERED"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{covered}");
    let (status, bare) = t
        .post(&t.coordinator, "/api/v1/units", unit("SN-BARE"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bare}");
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-WATCH-1", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [covered["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
}

fn count_of(refusals: &Value, code: &str, key: &str) -> i64 {
    refusals
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == code && r["key_id"] == key)
        .map(|r| r["count"].as_i64().unwrap())
        .sum()
}

async fn refusals_are_counted_and_files_kept(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    installed_base(&t).await;
    let device = Signer::of(&t, "CN-A").await;
    let body = event("w-1", "SN-COVERED", "E1234", "fault").to_string();
    let now = device.now();

    // Each refusal, twice where it is cheap, and one accepted request whose nonce is replayed.
    for _ in 0..2 {
        let (status, _) = device.send(body.as_bytes(), "chs_wrong", now, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = device
        .send(body.as_bytes(), &device.secret, now - 3600, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let nonce = "watch-replayed-nonce-1";
    let (status, first) = device
        .send(body.as_bytes(), &device.secret, now, Some(nonce))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, _) = device
        .send(body.as_bytes(), &device.secret, now, Some(nonce))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stranger = t
        .client
        .post(t.url(PATH))
        .header("X-Casebook-Key", "chk_nobody")
        .header("X-Casebook-Timestamp", now.to_string())
        .header("X-Casebook-Nonce", "watch-stranger-nonce")
        .header("X-Casebook-Signature", "v1=00")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let huge = vec![b' '; 4 * 1024 * 1024 + 10];
    let (status, too_large) = device.send(&huge, &device.secret, now, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large["error"]["code"], "payload_too_large");

    // A file in bad base64 is refused with its field; a good one is kept on the case, internal.
    let mut bad = event("w-2", "SN-COVERED", "E1234", "fault");
    bad["attachment"] = json!({"file_name": "ctrl.log", "content_base64": "not base64!"});
    let (status, refused) = device.post(bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        refused["error"]["details"]["fields"][0]["field"], "events[0].attachment.content_base64",
        "{refused}"
    );
    let mut with_file = event("w-3", "SN-COVERED", "E9000", "fault");
    with_file["attachment"] = json!({"file_name": "ctrl-b.log", "content_type": "text/plain",
        "content_base64": "MDg6MDA6MDAgY3RybC1iOiBmYWlsb3Zlcgo="});
    let (status, opened) = device.post(with_file).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["results"][0]["outcome"], "case_opened", "{opened}");
    let number = opened["results"][0]["case"].as_str().unwrap();
    let files = format!("/api/v1/cases/{number}/attachments");
    let (status, staff_files) = t.get(&t.engineer, &files).await;
    assert_eq!(status, StatusCode::OK, "{staff_files}");
    let file = &staff_files[0];
    assert_eq!(file["file_name"], "ctrl-b.log", "{staff_files}");
    assert_eq!(file["size"], 26, "{staff_files}");
    let (_, customer_files) = t.get(&t.a.user_token, &files).await;
    assert!(
        !customer_files.to_string().contains("ctrl-b.log"),
        "a device's file is for staff: {customer_files}"
    );

    // Staff see the counts, before and after they reach the database; customers may not.
    let (status, counted) = t
        .get(&t.engineer, "/api/v1/call-home/refusals?days=1")
        .await;
    assert_eq!(status, StatusCode::OK, "{counted}");
    let key = device.key.as_str();
    for (code, key, expected) in [
        ("signature_invalid", key, 2),
        ("timestamp_out_of_window", key, 1),
        ("nonce_replayed", key, 1),
        ("key_unknown", "", 1),
        ("payload_too_large", "", 1),
        ("validation_failed", key, 1),
    ] {
        assert_eq!(count_of(&counted, code, key), expected, "{code}: {counted}");
    }
    let (status, _) = t.get(&t.a.user_token, "/api/v1/call-home/refusals").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let flushed = watch::flush_refusals(&t.app).await.unwrap();
    assert_eq!(flushed, 6, "one row per day, code and key");
    let other = t.second_process().await;
    let day = t.app.clock.now().strftime("%Y-%m-%d").to_string();
    let mut db = other.store.read().await.unwrap();
    let stored = casebook_store::call_home_watch::refusals_since(&mut db, &day)
        .await
        .unwrap();
    let of = |code: &str, key: &str| {
        stored
            .iter()
            .filter(|r| r.code == code && r.key_id == key)
            .map(|r| r.count)
            .sum::<i64>()
    };
    assert_eq!(of("signature_invalid", key), 2, "{stored:?}");
    assert_eq!(of("key_unknown", ""), 1, "{stored:?}");
}

async fn silent_devices_are_flagged_once(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let t = TestApp::spawn_with(
        backend,
        |c| c.call_home.silent_after_missed = 2,
        clock.clone(),
    )
    .await;
    installed_base(&t).await;
    // A subscription to call-home events (never sent here: its queue is read).
    let (status, saved) = t
        .post(&t.admin, "/api/v1/subscriptions", json!({"name": "NOC", "kind": "webhook",
            "url": "https://noc.example.com/casebook", "events": ["call_home.fault", "call_home.silent"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let queue = format!(
        "/api/v1/subscriptions/{}/deliveries",
        saved["subscription"]["id"]
    );
    let device = Signer::of(&t, "CN-A").await;
    let (_, opened) = device
        .post(event("s-1", "SN-COVERED", "E1234", "fault"))
        .await;
    let number = opened["results"][0]["case"].as_str().unwrap().to_owned();
    let (_, queued) = t.get(&t.admin, &queue).await;
    assert_eq!(
        queued["items"][0]["event_type"], "call_home.fault",
        "{queued}"
    );
    assert_eq!(queued["items"][0]["case_number"], number.as_str());
    let mut beat = event("s-2", "SN-COVERED", "", "heartbeat");
    beat["heartbeat_interval_secs"] = json!(60);
    for field in ["code", "severity", "message"] {
        beat.as_object_mut().unwrap().remove(field);
    }
    let (status, answer) = device.post(beat.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // Two intervals of 60 s: not silent after 100 s, silent after 130 s, flagged once.
    clock.advance(SignedDuration::from_secs(100));
    assert_eq!(watch::sweep(&t.app, 50).await.unwrap(), 0);
    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(watch::sweep(&t.app, 50).await.unwrap(), 1);
    assert_eq!(watch::sweep(&t.app, 50).await.unwrap(), 0);
    let other = t.second_process().await;
    assert_eq!(watch::sweep(&other, 50).await.unwrap(), 0);
    let (_, told) = t
        .get(&t.coordinator, "/api/v1/notifications?unread=true")
        .await;
    let told = told.to_string();
    assert!(
        told.contains("设备静默：SN-COVERED"),
        "coordinators are told, in their language (the desk's, Chinese): {told}"
    );
    let (_, queued) = t.get(&t.admin, &queue).await;
    assert_eq!(
        queued["items"][0]["event_type"], "call_home.silent",
        "{queued}"
    );
    assert_eq!(
        queued["items"].as_array().unwrap().len(),
        2,
        "one silence, one event: {queued}"
    );
    let timeline = format!("/api/v1/cases/{number}/timeline");
    let (_, notes) = t.get(&t.engineer, &timeline).await;
    assert!(
        notes.to_string().contains("stopped sending heartbeats"),
        "{notes}"
    );

    // It speaks again: noted, and a later silence is flagged again.
    beat["idempotency_key"] = json!("s-3");
    let (status, _) = device.post(beat).await;
    assert_eq!(status, StatusCode::OK);
    let (_, notes) = t.get(&t.engineer, &timeline).await;
    assert!(
        notes.to_string().contains("sends heartbeats again"),
        "{notes}"
    );
    clock.advance(SignedDuration::from_secs(121));
    assert_eq!(watch::sweep(&t.app, 50).await.unwrap(), 1);
}

async fn settings_and_closing_rules_apply(backend: TestBackend) {
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.call_home.not_entitled = casebook_server::config::NotEntitled::Case;
            c.call_home.storm_max_events = 3;
        },
        Arc::new(SystemClock),
    )
    .await;
    installed_base(&t).await;
    let (status, rule) = t
        .post(
            &t.coordinator,
            "/api/v1/call-home/rules",
            json!({"event_code": "E77*", "action": "open_case", "close_on_recovery": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    assert_eq!(rule["close_on_recovery"], true);
    let device = Signer::of(&t, "CN-A").await;

    // Not entitled, but the desk opens such cases: a case with the check's outcome.
    let (_, bare) = device.post(event("c-1", "SN-BARE", "E1234", "fault")).await;
    let result = &bare["results"][0];
    assert_eq!(result["outcome"], "case_opened", "{bare}");
    assert!(
        result["reason"]
            .as_str()
            .unwrap()
            .starts_with("not entitled"),
        "{bare}"
    );
    let (_, case) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{}", result["case"].as_str().unwrap()),
        )
        .await;
    assert_ne!(case["entitlement"]["outcome"], "entitled", "{case}");

    // The closing rule: the recovery proposes closing to the coordinators (no owner yet).
    let (_, fault) = device
        .post(event("c-2", "SN-COVERED", "E7701", "fault"))
        .await;
    assert_eq!(fault["results"][0]["outcome"], "case_opened", "{fault}");
    let (_, cleared) = device
        .post(event("c-3", "SN-COVERED", "E7701", "recovery"))
        .await;
    assert_eq!(cleared["results"][0]["outcome"], "recovered", "{cleared}");
    assert_eq!(
        cleared["results"][0]["reason"], "the rule proposes closing the case",
        "{cleared}"
    );
    let (_, told) = t
        .get(&t.coordinator, "/api/v1/notifications?unread=true")
        .await;
    let number = fault["results"][0]["case"].as_str().unwrap();
    assert!(
        told.to_string()
            .contains(&format!("建议关闭问题单 {number}")),
        "{told}"
    );

    // The storm limit of the settings: the fourth fault, warning or recovery is suppressed.
    let (_, again) = device
        .post(event("c-4", "SN-COVERED", "E7701", "fault"))
        .await;
    assert_eq!(again["results"][0]["outcome"], "correlated", "{again}");
    let (_, storm) = device
        .post(event("c-5", "SN-COVERED", "E7701", "fault"))
        .await;
    assert_eq!(storm["results"][0]["outcome"], "suppressed", "{storm}");
}

/// A gateway's batch sent through two keys of the organisation at once (a rotation's grace
/// period, two servers): each event is kept once, and both answers are whole, one of them with
/// the other's outcomes as duplicates, whatever the order the two batches meet in.
async fn the_same_batch_through_two_keys_at_once(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    installed_base(&t).await;
    let (old, new) = (Signer::of(&t, "CN-A").await, Signer::of(&t, "CN-A").await);
    // Odd rounds name unknown devices only: nothing is locked, the two inserts meet head on.
    for round in 0..6 {
        let mut events: Vec<Value> = (0..20)
            .map(|i| event(&format!("twice-{round}-{i}"), "SN-NOWHERE", "E1", "fault"))
            .collect();
        if round % 2 == 0 {
            let mut beat = event(
                &format!("twice-{round}-beat"),
                "SN-COVERED",
                "",
                "heartbeat",
            );
            for field in ["code", "severity", "message"] {
                beat.as_object_mut().unwrap().remove(field);
            }
            events.push(beat);
        }
        let sent = events.len() as u64;
        let body = json!({ "events": events });
        let ((a_status, a), (b_status, b)) =
            tokio::join!(old.post(body.clone()), new.post(body.clone()));
        assert_eq!(
            (a_status, b_status),
            (StatusCode::OK, StatusCode::OK),
            "{a}\n{b}"
        );
        let (a_new, b_new) = (
            a["accepted"].as_u64().unwrap(),
            b["accepted"].as_u64().unwrap(),
        );
        assert_eq!(a_new + b_new, sent, "each event once: {a}\n{b}");
        for answer in [&a, &b] {
            for result in answer["results"].as_array().unwrap() {
                let expected = if result["idempotency_key"]
                    .as_str()
                    .unwrap()
                    .ends_with("beat")
                {
                    "recorded"
                } else {
                    "unknown_device"
                };
                assert_eq!(result["outcome"], expected, "{answer}");
            }
        }
    }
}
