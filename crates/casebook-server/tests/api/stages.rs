//! Per-tier clocks (OLA) on SQLite and PostgreSQL: a case's business time at each tier and with
//! each owner, on its SLA calendar (China 5×8, 08:30–17:00), follows assignment, escalation and
//! the way back, stops when the case closes, and is for staff only. Internal targets per tier
//! and severity warn the owner and tell the tier's leads of a breach, once each, and follow
//! changes of severity and of the targets.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use casebook_server::actions::cases::ola;

use crate::contracts::base;
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    time_at_each_tier_and_with_each_owner,
    internal_targets_warn_and_tell_the_tier_leads
);

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

/// The kinds of the OLA notifications `token`'s user has, newest first.
async fn ola_news(t: &TestApp, token: &str) -> Vec<String> {
    let (_, notes) = t.get(token, "/api/v1/notifications").await;
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["kind"].as_str().filter(|k| k.starts_with("ola_")))
        .map(str::to_owned)
        .collect()
}

/// The OLA mail waiting in the outbox: (kind, recipient, subject).
async fn ola_mail(t: &TestApp) -> Vec<(String, String, String)> {
    let mut db = t.app.store.read().await.unwrap();
    casebook_store::notifications::unsent_mail(&mut db, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.1.starts_with("ola_"))
        .map(|m| (m.1, m.2, m.3))
        .collect()
}

async fn internal_targets_warn_and_tell_the_tier_leads(backend: TestBackend) {
    // Monday 23 November 2026, 23:00 in Shanghai; the case is of severity 2.
    let b = base(backend).await;
    let t = &b.t;
    let targets = json!({"targets": [
        {"tier": "l2", "severity": 2, "minutes": 120, "warn_percent": 50},
        {"tier": "l2", "severity": 3, "minutes": 240},
        {"tier": "l1", "severity": 2, "minutes": 480}]});

    // Refused, and nothing changes: not an administrator, two targets for one tier and
    // severity, a target of nothing, a warning at 100 %, a severity 5, an unknown tier.
    let (status, body) = t
        .put(&t.engineer, "/api/v1/ola-targets", targets.clone())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    for (bad, field) in [
        (
            json!([{"tier": "l2", "severity": 2, "minutes": 60}, {"tier": "l2", "severity": 2, "minutes": 90}]),
            "targets[1]",
        ),
        (
            json!([{"tier": "l2", "severity": 2, "minutes": 0}]),
            "targets[0].minutes",
        ),
        (
            json!([{"tier": "l2", "severity": 2, "minutes": 60, "warn_percent": 100}]),
            "targets[0].warn_percent",
        ),
    ] {
        let (status, body) = t
            .put(&t.admin, "/api/v1/ola-targets", json!({"targets": bad}))
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(
            body["error"]["details"]["fields"][0]["field"], field,
            "{body}"
        );
    }
    for bad in [
        json!({"tier": "l2", "severity": 5, "minutes": 60}),
        json!({"tier": "l9", "severity": 2, "minutes": 60}),
    ] {
        let (status, body) = t
            .put(&t.admin, "/api/v1/ola-targets", json!({"targets": [bad]}))
            .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{status} {body}"
        );
    }
    let (_, none) = t.get(&t.engineer, "/api/v1/ola-targets").await;
    assert_eq!(none, json!({"targets": []}));
    let (status, set) = t.put(&t.admin, "/api/v1/ola-targets", targets).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (_, read) = t.get(&t.engineer, "/api/v1/ola-targets").await;
    assert_eq!(read["targets"].as_array().unwrap().len(), 3, "{read}");
    assert_eq!(
        read["targets"][2]["warn_percent"], 75,
        "the default warning share: {read}"
    );

    // The administrator leads L2.
    let (_, me) = t.get(&t.admin, "/api/v1/me").await;
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{}", me["user"]["id"]),
            json!({"leads_tier": "l2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

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
    // Tuesday 09:30: straight to L2 with the engineer. Two business hours: warned at 10:30,
    // due at 11:30 (03:30 UTC).
    b.clock.advance(SignedDuration::from_mins(10 * 60 + 30));
    change(json!({"owner_id": t.engineer_id, "tier": "l2", "reason": "直接转二线"})).await;
    let (_, got) = t.get(&t.engineer, &stages).await;
    let stays = got["targets"].as_array().unwrap();
    assert_eq!(stays.len(), 1, "intake has no target: {got}");
    assert_eq!(
        (
            &stays[0]["tier"],
            &stays[0]["target_minutes"],
            &stays[0]["state"]
        ),
        (&json!("l2"), &json!(120), &json!("running"))
    );
    assert_eq!(stays[0]["warn_at"], "2026-11-24T02:30:00Z");
    assert_eq!(stays[0]["due_at"], "2026-11-24T03:30:00Z");

    b.clock.advance(SignedDuration::from_mins(59));
    assert_eq!(
        ola::sweep(&t.app, 100).await.unwrap(),
        0,
        "nothing due at 10:29"
    );
    b.clock.advance(SignedDuration::from_mins(1));
    assert_eq!(
        ola::sweep(&t.app, 100).await.unwrap(),
        1,
        "the warning at 10:30"
    );
    assert_eq!(ola::sweep(&t.app, 100).await.unwrap(), 0, "told once");
    assert_eq!(ola_news(t, &t.engineer).await, ["ola_warning"]);
    assert!(
        ola_news(t, &t.admin).await.is_empty(),
        "the lead hears of breaches only"
    );
    let (_, got) = t.get(&t.engineer, &stages).await;
    assert_eq!(got["targets"][0]["state"], "warning", "{got}");

    // 11:30: over the target; the owner and the tier's lead are told, in their language.
    b.clock.advance(SignedDuration::from_mins(60));
    assert_eq!(ola::sweep(&t.app, 100).await.unwrap(), 1);
    assert_eq!(
        ola_news(t, &t.engineer).await,
        ["ola_breach", "ola_warning"]
    );
    assert_eq!(ola_news(t, &t.admin).await, ["ola_breach"]);
    let mail = ola_mail(t).await;
    assert_eq!(mail.len(), 3, "{mail:?}");
    assert!(
        mail.iter().any(|(kind, _, subject)| kind == "ola_breach"
            && subject.contains(&number)
            && subject.contains("二线")),
        "{mail:?}"
    );
    let (_, got) = t.get(&t.engineer, &stages).await;
    assert_eq!(got["targets"][0]["state"], "breached", "{got}");

    // Severity 3 has four hours at L2: the deadlines move to 12:30 and 13:30 and are told
    // again when they come.
    change(json!({"severity": 3, "reason": "影响范围缩小"})).await;
    let (_, got) = t.get(&t.engineer, &stages).await;
    assert_eq!(
        (&got["targets"][0]["due_at"], &got["targets"][0]["state"]),
        (&json!("2026-11-24T05:30:00Z"), &json!("running")),
        "{got}"
    );
    b.clock.advance(SignedDuration::from_mins(120));
    assert_eq!(
        ola::sweep(&t.app, 100).await.unwrap(),
        2,
        "warning and breach at 13:30"
    );
    assert_eq!(ola::sweep(&t.app, 100).await.unwrap(), 0);

    // 13:40 back to L1, which has no target for severity 3: the L2 stay ended late.
    b.clock.advance(SignedDuration::from_mins(10));
    change(json!({"tier": "l1", "reason": "二线已给出方案"})).await;
    let (_, got) = t.get(&t.engineer, &stages).await;
    let stays = got["targets"].as_array().unwrap();
    assert_eq!(stays.len(), 1, "{got}");
    assert_eq!(
        (&stays[0]["state"], &stays[0]["ended_at"]),
        (&json!("breached"), &json!("2026-11-24T05:40:00Z"))
    );

    // A new target reaches the stay that lasts: one business hour at L1 from 13:40.
    let (status, body) = t
        .put(
            &t.admin,
            "/api/v1/ola-targets",
            json!({"targets": [{"tier": "l1", "severity": 3, "minutes": 60}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, got) = t.get(&t.engineer, &stages).await;
    let stays = got["targets"].as_array().unwrap();
    assert_eq!(stays.len(), 2, "{got}");
    assert_eq!(
        (&stays[1]["tier"], &stays[1]["due_at"], &stays[1]["state"]),
        (
            &json!("l1"),
            &json!("2026-11-24T06:40:00Z"),
            &json!("running")
        )
    );

    // Internal: customers are refused the targets.
    let (status, body) = t.get(&t.a.user_token, "/api/v1/ola-targets").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
}
