//! SLA clocks on real cases: the plan chosen at opening, pauses while the customer is awaited,
//! met and breached targets, recomputation on a severity change, escalations that fire exactly
//! once (also with two sweeps at the same moment), notifications, the urgency queue.

use std::sync::Arc;

use casebook_server::actions::cases::sla;
use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(clocks_follow_the_case, escalations_fire_exactly_once);

/// Monday 23 November 2026, 09:00 in Shanghai.
const MONDAY_9: &str = "2026-11-23T01:00:00Z";

async fn at_monday_nine(backend: TestBackend) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(MONDAY_9.parse().unwrap()));
    let t = TestApp::spawn_with(backend, |_| {}, clock.clone()).await;
    // These tests follow the standard plan: make it the plan of customers without a contract.
    let mut db = t.app.store.write().await.unwrap();
    casebook_store::plans::set_default(&mut db, &"standard".parse().unwrap())
        .await
        .unwrap();
    db.commit().await.unwrap();
    (t, clock)
}

fn clock_of<'a>(sla: &'a Value, metric: &str, cycle: i64) -> &'a Value {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == metric && c["cycle"] == cycle)
        .unwrap_or_else(|| panic!("no {metric} clock {cycle} in {sla}"))
}

fn kinds(clock: &Value) -> Vec<&str> {
    clock["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

async fn clocks_follow_the_case(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    // A customer files on the web: the initial response is due by the next business day.
    let web = t.case_of_a().await;
    let (status, s) = t
        .get(&t.a.user_token, &format!("/api/v1/cases/{web}/sla"))
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        (s["plan"].as_str(), s["plan_source"].as_str()),
        (Some("standard"), Some("default"))
    );
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(ir["target"], "nbd");
    assert_eq!(
        ir["deadline"], "2026-11-24T09:00:00Z",
        "end of Tuesday in Shanghai"
    );
    assert!(
        ir.get("escalations").is_none(),
        "customers do not see escalations"
    );

    // A coordinator takes a severity 2 call: two working hours.
    let phone = t
        .open_case(
            &t.coordinator,
            json!({"title": "存储阵列性能下降", "description": "IO latency 200 ms", "severity": 2,
            "organization_id": t.a.org_id, "channel": "phone"}),
        )
        .await;
    let sla_path = format!("/api/v1/cases/{phone}/sla");
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    assert_eq!(
        clock_of(&s, "initial_response", 1)["deadline"],
        "2026-11-23T03:00:00Z"
    );
    assert_eq!(clock_of(&s, "resolution", 1)["state"], "running");

    // In progress at 09:00, waiting for the customer from 10:00 to 12:00: the clocks stand still.
    t.advance(&phone, &["in_progress"]).await;
    clock.advance(SignedDuration::from_hours(1));
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{phone}"),
            json!({"status": "awaiting_customer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(ir["state"], "paused");
    assert_eq!(ir["deadline"], Value::Null);
    assert_eq!(
        (
            ir["consumed_minutes"].as_i64(),
            ir["remaining_minutes"].as_i64()
        ),
        (Some(60), Some(60))
    );
    clock.advance(SignedDuration::from_hours(2));
    let (status, _) = t
        .post(
            &t.a.admin_token,
            &format!("/api/v1/cases/{phone}/comments"),
            json!({"body": "日志已上传"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(ir["state"], "running");
    assert_eq!(
        ir["deadline"], "2026-11-23T05:00:00Z",
        "13:00: the two paused hours added"
    );
    assert_eq!(kinds(ir), ["started", "paused", "resumed"]);

    // Raised to severity 1 at 12:00: its clocks run on 7×24 and the history is recomputed.
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{phone}"),
            json!({"severity": 1, "reason": "整个业务中断"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(ir["calendar"], "24x7");
    assert_eq!(kinds(ir), ["started", "paused", "resumed", "recomputed"]);
    assert_eq!(
        ir["deadline"], "2026-11-23T05:00:00Z",
        "still one hour used and two paused"
    );

    // A public staff reply at 12:30 meets the initial response and starts the update clock.
    clock.advance(SignedDuration::from_mins(30));
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{phone}/comments"),
            json!({"body": "已定位到控制器缓存问题"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(
        (ir["state"].as_str(), ir["breached"].as_bool()),
        (Some("met"), Some(false))
    );
    assert_eq!(clock_of(&s, "update_interval", 1)["state"], "running");
    // An internal note does not count as an update.
    let (_, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{phone}/comments"),
            json!({"body": "内部", "visibility": "internal"}),
        )
        .await;
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    assert!(
        s["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["cycle"] != 2)
    );

    // Closing: the customer accepts the solution; resolution is met, the update clock cancelled.
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{phone}"),
            json!({"status": "solution_proposed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .patch(
            &t.a.admin_token,
            &format!("/api/v1/cases/{phone}"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, s) = t.get(&t.engineer, &sla_path).await;
    assert_eq!(clock_of(&s, "resolution", 1)["state"], "met");
    assert_eq!(clock_of(&s, "update_interval", 1)["state"], "cancelled");

    // Another organisation's case is not found, as everywhere.
    let (status, body) = t.get(&t.b.user_token, &sla_path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

async fn escalations_fire_exactly_once(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{}", t.engineer_id),
            json!({"leads_tier": "intake"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["leads_tier"], "intake");
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{}", t.a.user_id),
            json!({"duty_manager": true}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let number = t
        .open_case(
            &t.coordinator,
            json!({"title": "核心交换机端口闪断", "description": "每小时数次", "severity": 2,
            "organization_id": t.a.org_id, "channel": "phone"}),
        )
        .await;
    assert_eq!(
        sla::sweep(&t.app, 100).await.unwrap(),
        0,
        "nothing is due yet"
    );

    // 75 % of two hours at 10:30: the owner is warned; nobody owns it, so the coordinators are.
    clock.advance(SignedDuration::from_mins(91));
    assert_eq!(sla::sweep(&t.app, 100).await.unwrap(), 1);
    assert_eq!(
        sla::sweep(&t.app, 100).await.unwrap(),
        0,
        "a step fires once"
    );
    let (_, notes) = t
        .get(&t.coordinator, "/api/v1/notifications?unread=true")
        .await;
    let items = notes["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{notes}");
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["case_number"].as_str()),
        (Some("sla_warning"), Some(number.as_str()))
    );

    // 100 % at 11:00: the breach goes to the tier's lead, and the clock records it.
    clock.advance(SignedDuration::from_mins(30));
    assert_eq!(sla::sweep(&t.app, 100).await.unwrap(), 1);
    let (_, notes) = t.get(&t.engineer, "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "sla_breach", "{notes}");
    let (_, s) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    let ir = clock_of(&s, "initial_response", 1);
    assert_eq!(ir["breached"], true);
    assert!(kinds(ir).contains(&"breached"));
    assert_eq!(ir["escalations"].as_array().unwrap().len(), 2);

    // 150 % at 12:00 with two server processes sweeping at once: it fires once.
    clock.advance(SignedDuration::from_mins(60));
    let other = t.second_process().await;
    let (a, b) = tokio::join!(sla::sweep(&t.app, 100), sla::sweep(&other, 100));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(sla::sweep(&other, 100).await.unwrap(), 0);

    // Notifications are private and can be marked read.
    let id = notes["items"][0]["id"].as_i64().unwrap();
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/notifications/read",
            json!({"ids": [id]}),
        )
        .await;
    assert_eq!(
        (status, body["marked"].as_i64()),
        (StatusCode::OK, Some(0)),
        "not theirs"
    );
    let (status, body) = t
        .post(
            &t.engineer,
            "/api/v1/notifications/read",
            json!({"ids": [id]}),
        )
        .await;
    assert_eq!((status, body["marked"].as_i64()), (StatusCode::OK, Some(1)));
    let (_, unread) = t
        .get(&t.engineer, "/api/v1/notifications?unread=true")
        .await;
    assert!(
        unread["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != id)
    );

    // The mail is in the outbox, once per recipient and step.
    let mut db = t.app.store.read().await.unwrap();
    let mail = casebook_store::notifications::unsent_mail(&mut db, 100)
        .await
        .unwrap();
    assert!(
        mail.iter()
            .any(|(_, kind, to, _)| kind == "sla_breach" && to == "engineer@vendor.test"),
        "{mail:?}"
    );
    let sla_mail: Vec<_> = mail.iter().filter(|m| m.1.starts_with("sla_")).collect();
    let keys: std::collections::BTreeSet<_> = sla_mail.iter().map(|m| (&m.1, &m.2)).collect();
    assert_eq!(keys.len(), sla_mail.len(), "no mail twice");
    drop(db);

    // The urgency queue: running clocks by deadline, staff only.
    let (status, queue) = t.get(&t.engineer, "/api/v1/sla/queue?limit=10").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let first = &queue["items"][0];
    assert_eq!(
        (first["number"].as_str(), first["metric"].as_str()),
        (Some(number.as_str()), Some("initial_response"))
    );
    assert!(first["minutes_left"].as_i64().unwrap() < 0);
    let (status, body) = t.get(&t.a.user_token, "/api/v1/sla/queue").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
}
