//! What the language test adds to the demo data so that every kind of text is on some page: a
//! case with a timeline entry of every kind (the customer's reply that resumes it, an
//! entitlement override among them), a device of the demo fleet that opens a case, reports it
//! again, clears it, storms, falls silent and comes back, a quarantined mail, fired SLA
//! escalations and renewal reminders (their mail and notifications).

use std::sync::Arc;

use casebook_server::actions::call_home::watch;
use casebook_server::cli::demo::call_home::FLEET_ORGANIZATION;
use casebook_server::clock::{Clock, ManualClock};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::call_home_events::Device;
use crate::helpers::TestApp;

/// The event messages the fleet's device sent (the users' data of the device pages).
pub const DEVICE_MESSAGES: [&str; 3] = [
    "控制器 B 故障切换 / controller B failed over",
    "控制器 B 已恢复 / controller B is back",
    "风扇转速过低 / fan speed low",
];

/// The serial number of the demo fleet's unit the test plays.
pub const DEVICE: &str = "SIM-0001";

/// A case of tenant A with a timeline entry of every kind; returns its number.
pub async fn case_with_every_entry(t: &TestApp) -> String {
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    // Owner and status.
    t.advance(&number, &["in_progress"]).await;
    for change in [
        json!({"title": "数据库无法连接（补丁升级后）"}),
        json!({"severity": 1, "reason": "生产库全部停机"}),
        json!({"tier": "l2", "reason": "需要二线分析"}),
    ] {
        let (status, body) = t.patch(&t.engineer, &path, change).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let comments = format!("{path}/comments");
    for (token, body) in [
        (&t.engineer, json!({"body": "请提供数据库日志。"})),
        (
            &t.engineer,
            json!({"body": "内部：怀疑连接池配置。", "visibility": "internal"}),
        ),
    ] {
        let (status, made) = t.post(token, &comments, body).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
    }
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"status": "awaiting_customer"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The customer's reply resumes the case ("the customer replied").
    let (status, made) = t
        .post(&t.a.user_token, &comments, json!({"body": "日志已附上。"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (_, case) = t.get(&t.engineer, &path).await;
    assert_eq!(case["status"], "in_progress", "{case}");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"2026-11-29 08:00 ERROR pool exhausted\n".to_vec())
            .file_name("db.log"),
    );
    let response = t
        .client
        .post(t.url(&format!("{path}/attachments")))
        .bearer_auth(&t.engineer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // Tenant A has no contract: the coordinator overrides the refusal.
    let (status, body) = t
        .post(
            &t.coordinator,
            &format!("{path}/entitlement/override"),
            json!({"reason": "续约合同已签，纸质合同邮寄中", "plan": "standard"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A proposed solution: its mail carries the accept and reject links.
    let (status, body) = t
        .patch(
            &t.engineer,
            &path,
            json!({"status": "solution_proposed", "reason": "已调整连接池上限并重启服务"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    number
}

fn event(key: &str, kind: &str, code: &str, message: &str, at: Timestamp) -> Value {
    json!({"idempotency_key": key, "type": kind, "serial_number": DEVICE, "code": code,
        "severity": "major", "message": message, "occurred_at": at.to_string()})
}

fn heartbeat(key: &str, at: Timestamp) -> Value {
    json!({"idempotency_key": key, "type": "heartbeat", "serial_number": DEVICE,
        "heartbeat_interval_secs": 60, "occurred_at": at.to_string()})
}

/// The demo fleet's first unit plays every call-home note: a fault opens a case, is reported
/// again and clears, a storm starts and ends, the device falls silent and beats again.
pub async fn device_with_every_note(t: &TestApp, clock: &Arc<ManualClock>) -> String {
    let device = Device::of(t, FLEET_ORGANIZATION).await;
    let post = |body: Value| device.post_at(body, clock.now());
    let (status, beat) = post(heartbeat("hb-1", clock.now())).await;
    assert_eq!(status, StatusCode::OK, "{beat}");
    let [fault, back, fan] = DEVICE_MESSAGES;
    let (_, opened) = post(event("f-1", "fault", "E7001", fault, clock.now())).await;
    assert_eq!(opened["results"][0]["outcome"], "case_opened", "{opened}");
    let number = opened["results"][0]["case"].as_str().unwrap().to_owned();
    let (_, again) = post(event("f-2", "fault", "E7001", fault, clock.now())).await;
    assert_eq!(again["results"][0]["outcome"], "correlated", "{again}");
    let (_, cleared) = post(event("r-1", "recovery", "E7001", back, clock.now())).await;
    assert_eq!(cleared["results"][0]["outcome"], "recovered", "{cleared}");
    // More events than the storm limit in its window: the device's case says a storm started.
    let limit = t.app.config.call_home.storm_max_events;
    let storm: Vec<Value> = (0..=limit)
        .map(|n| event(&format!("s-{n}"), "fault", "E7001", fault, clock.now()))
        .collect();
    let (status, stormed) = post(json!({"events": storm})).await;
    assert_eq!(status, StatusCode::OK, "{stormed}");
    // After the suppression, the next event ends the storm.
    let suppress = t.app.config.call_home.storm_suppress_minutes;
    clock.advance(SignedDuration::from_mins(i64::from(suppress) + 1));
    let (_, ended) = post(event("f-3", "fault", "E7001", fan, clock.now())).await;
    assert_eq!(
        ended["results"].as_array().map(Vec::len),
        Some(1),
        "{ended}"
    );
    // Minutes without a heartbeat (60 s each): silent; then it beats again.
    clock.advance(SignedDuration::from_mins(10));
    assert!(watch::sweep(&t.app, 100).await.unwrap() >= 1);
    let (status, beat) = post(heartbeat("hb-2", clock.now())).await;
    assert_eq!(status, StatusCode::OK, "{beat}");
    // A rule for the rules' pages.
    let rule = json!({"event_code": "W*", "action": "ignore"});
    let (status, made) = t.post(&t.engineer, "/api/v1/call-home/rules", rule).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    number
}

/// A message from a stranger: the quarantine.
pub async fn quarantined_mail(t: &TestApp) {
    let raw = "From: Stranger <stranger@unknown.example>\r\nTo: support@casebook.example\r\n\
        Subject: 服务器无法开机\r\nMessage-ID: <stranger-1@unknown.example>\r\n\
        Date: Mon, 30 Nov 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        机房的服务器无法开机，请尽快联系。\r\n";
    casebook_server::actions::mail::ingest::ingest(&t.app, raw.as_bytes())
        .await
        .unwrap();
    let (_, held) = t.get(&t.admin, "/api/v1/mail/quarantine").await;
    assert!(
        held.to_string().contains("stranger@unknown.example"),
        "{held}"
    );
}

/// Fires what the background jobs fire: SLA escalations of the demo's late cases, renewal
/// reminders and the calendars' missing holidays (their mail and notifications).
pub async fn background_jobs(t: &TestApp) {
    casebook_server::actions::cases::sla::sweep(&t.app, 100_000)
        .await
        .unwrap();
    casebook_server::actions::contracts::renewals::remind(&t.app)
        .await
        .unwrap();
    casebook_server::actions::contracts::calendars::notify_missing_holidays(&t.app)
        .await
        .unwrap();
}

/// Every mail in the outbox: `(kind, recipient, subject, body)`.
pub async fn outbox(t: &TestApp) -> Vec<(String, String, String, String)> {
    let now = t.app.clock.now();
    let mut db = t.app.store.write().await.unwrap();
    let mail = casebook_store::notifications::claim_due_mail(
        &mut db,
        now + SignedDuration::from_hours(24 * 365),
        now + SignedDuration::from_hours(24 * 366),
        100_000,
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
    mail.into_iter()
        .map(|m| (m.kind, m.recipient, m.subject, m.body))
        .collect()
}

/// The demo's remote sessions (on the customer's cases).
pub async fn remote_sessions(t: &TestApp, cases: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for number in cases {
        let (_, list) = t
            .get(&t.admin, &format!("/api/v1/cases/{number}/remote-sessions"))
            .await;
        found.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["id"].as_i64())
                .map(|i| i.to_string()),
        );
    }
    assert!(found.len() >= 3, "the demo has remote sessions: {found:?}");
    found
}

/// The demo's on-site visits (on the customer's cases).
pub async fn visits_of(t: &TestApp, cases: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for number in cases {
        let (_, list) = t
            .get(&t.admin, &format!("/api/v1/cases/{number}/visits"))
            .await;
        found.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["id"].as_i64())
                .map(|i| i.to_string()),
        );
    }
    assert!(found.len() >= 2, "the demo has on-site visits: {found:?}");
    found
}

/// The links below `path` in the newest queued mail (at most two; older ones may have expired).
pub fn links_to(outbox: &[(String, String, String, String)], path: &str) -> Vec<String> {
    let mut links: Vec<String> = outbox
        .iter()
        .rev()
        .flat_map(|(_, _, _, body)| body.split_whitespace())
        .filter_map(|w| w.find(path).map(|at| w[at..].to_owned()))
        .collect();
    links.dedup();
    links.truncate(2);
    assert!(!links.is_empty(), "the demo's mail has links to {path}");
    links
}
