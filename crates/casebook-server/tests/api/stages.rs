//! Per-tier clocks (OLA) on SQLite and PostgreSQL: a case's business time at each tier and with
//! each owner, on its SLA calendar (China 5×8, 08:30–17:00), follows assignment, escalation and
//! the way back, stops when the case closes, and is for staff only.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::base;
use crate::helpers::assert_error;

on_both_backends!(time_at_each_tier_and_with_each_owner);

fn minutes(list: &Value) -> Vec<(Value, i64, i64, bool)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let who = if s["tier"].is_null() {
                s["owner"]["name"].clone()
            } else {
                s["tier"].clone()
            };
            (
                who,
                s["business_seconds"].as_i64().unwrap() / 60,
                s["stretches"].as_i64().unwrap(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn time_at_each_tier_and_with_each_owner(backend: TestBackend) {
    // Monday 23 November 2026, 23:00 in Shanghai: outside the 5×8 hours.
    let b = base(backend).await;
    let t = &b.t;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    let stages = format!("{path}/stages");
    let change = |body: Value| {
        let path = path.clone();
        async move {
            let (status, case) = t.patch(&t.coordinator, &path, body).await;
            assert_eq!(status, StatusCode::OK, "{case}");
        }
    };
    // Tuesday 09:30: assigned at L1 (an hour of business time at intake, unassigned).
    b.clock.advance(SignedDuration::from_mins(10 * 60 + 30));
    change(json!({"owner_id": t.engineer_id, "tier": "l1", "reason": "首层处理"})).await;
    // 11:00: escalated to L2; 12:00: back to L1; 13:00: read.
    b.clock.advance(SignedDuration::from_mins(90));
    change(json!({"tier": "l2", "reason": "需要二线分析"})).await;
    b.clock.advance(SignedDuration::from_mins(60));
    change(json!({"tier": "l1", "reason": "二线已给出方案"})).await;
    b.clock.advance(SignedDuration::from_mins(60));
    let (status, got) = t.get(&t.engineer, &stages).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        minutes(&got["tiers"]),
        [
            (json!("intake"), 60, 1, false),
            (json!("l1"), 90 + 60, 2, true),
            (json!("l2"), 60, 1, false),
        ],
        "{got}"
    );
    let owners = minutes(&got["owners"]);
    assert_eq!(owners.len(), 2, "{got}");
    assert_eq!((owners[0].1, owners[0].3), (60, false), "unassigned: {got}");
    assert!(got["owners"][0]["owner"].is_null(), "{got}");
    assert_eq!(owners[1], (json!("engineer@vendor.test"), 210, 1, true));
    assert_eq!(got["tiers"][0]["elapsed_seconds"], (10 * 60 + 30) * 60);

    // Closed at 13:00: the time stops.
    t.advance(&number, &["in_progress", "solution_proposed", "closed"])
        .await;
    b.clock.advance(SignedDuration::from_mins(120));
    let (_, later) = t.get(&t.engineer, &stages).await;
    let l1 = minutes(&later["tiers"]);
    assert_eq!(l1[1], (json!("l1"), 150, 2, false), "{later}");
    assert!(minutes(&later["owners"]).iter().all(|o| !o.3), "{later}");

    // Reopened by the customer: a new stretch at the tier it has.
    let (status, reopened) = t
        .patch(
            &t.a.user_token,
            &path,
            json!({"status": "in_progress", "reason": "问题再次出现"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    b.clock.advance(SignedDuration::from_mins(30));
    let (_, again) = t.get(&t.engineer, &stages).await;
    assert_eq!(
        minutes(&again["tiers"])[1],
        (json!("l1"), 180, 3, true),
        "{again}"
    );

    // Staff only; another organisation's case does not exist.
    let (status, body) = t.get(&t.a.user_token, &stages).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.get(&t.b.user_token, &stages).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
