//! The on-duty rota on SQLite and PostgreSQL: a severity-1 case opened at 02:00 on a holiday
//! pages the engineer of the holiday shift (in the app, and @-mentioned by the DingTalk robot
//! with their mobile), is not acknowledged, and escalates once to the shift's duty manager;
//! acknowledgement through the API, and the page of the signed link; a severity-1 case in
//! business hours pages nobody; swaps need a reason and the right person; bad shifts and
//! assignments are refused field by field; customers see no rota.

use std::sync::Arc;

use casebook_server::actions::duty::pages;
use casebook_server::actions::integrations::send;
use casebook_server::actions::notify::tokens;
use casebook_server::clock::{Clock, ManualClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::receivers::Receiver;

on_both_backends!(
    a_holiday_night_page_escalates_and_is_acknowledged,
    the_rota_refuses_bad_input
);

/// 2 October 2026 02:00 in Shanghai: National Day, a holiday.
const HOLIDAY_NIGHT: &str = "2026-10-01T18:00:00Z";

async fn shift(t: &TestApp, body: Value) -> i64 {
    let (status, made) = t.post(&t.manager, "/api/v1/duty/shifts", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["id"].as_i64().unwrap()
}

async fn notices(t: &TestApp, token: &str) -> String {
    t.get(token, "/api/v1/notifications").await.1.to_string()
}

async fn a_holiday_night_page_escalates_and_is_acknowledged(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(HOLIDAY_NIGHT.parse().unwrap()));
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.integrations.allow_networks = vec!["127.0.0.1".into()];
            c.duty.ack_minutes = 15;
        },
        clock.clone(),
    )
    .await;
    let holiday = shift(&t, json!({"team": "一线", "name": "节假日", "starts": "08:30", "ends": "08:30", "days": "non_working"})).await;
    let day = shift(&t, json!({"team": "一线", "name": "白班", "starts": "08:30", "ends": "17:00", "days": "working"})).await;
    let (status, body) = t.put(&t.manager, "/api/v1/duty/assignments", json!({"assignments": [
        {"shift_id": holiday, "date": "2026-10-01", "engineer_id": t.engineer_id, "manager_id": t.manager_id},
        {"shift_id": day, "date": "2026-10-08", "engineer_id": t.engineer_id}]})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = t
        .put(
            &t.engineer,
            &format!("/api/v1/users/{}/duty-contact", t.engineer_id),
            json!({"mobile": "13800138000", "dingtalk_id": "eng-ding"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, rota) = t
        .get(&t.coordinator, "/api/v1/duty/rota?from=2026-10-01&days=3")
        .await;
    assert_eq!(rota["now"][0]["shift"]["name"], "节假日", "{rota}");
    assert_eq!(rota["now"][0]["engineer"]["id"], t.engineer_id);
    assert_eq!(rota["now"][0]["manager"]["id"], t.manager_id);

    let secret = "SECduty0123456789abcdef";
    let ding = Receiver::dingtalk(secret).await;
    let (status, saved) = t
        .post(
            &t.admin,
            "/api/v1/subscriptions",
            json!({"name": "值班群", "kind": "dingtalk",
        "url": format!("{}/robot/send?access_token=duty", ding.base), "secret": secret,
        "events": ["case.opened"], "filters": {"severities": [1]}, "mention_duty": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");

    // 02:00 on a holiday: a severity-1 case pages the engineer on duty.
    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": "全部业务中断", "description": "存储阵列离线", "severity": 1}),
        )
        .await;
    assert!(notices(&t, &t.engineer).await.contains("duty_page"));
    // The robot's message reaches the fake DingTalk, the engineer @-mentioned by mobile. The
    // fake checks the signature against real time, so the robot is sent at the real clock.
    let real = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let sender = t.second_process_with_clock(real).await;
    assert_eq!(send::deliver_due(&sender, 8).await.unwrap().delivered, 1);
    let message = ding.got()[0].json();
    assert_eq!(
        message["at"]["atMobiles"],
        json!(["13800138000"]),
        "{message}"
    );
    assert!(
        message["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("@13800138000")
    );
    assert!(
        message["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains(&number)
    );

    let (_, list) = t.get(&t.engineer, "/api/v1/duty/pages").await;
    let page = list[0].clone();
    assert_eq!(
        (page["case_number"].as_str(), page["reason"].as_str()),
        (Some(number.as_str()), Some("sev1_after_hours"))
    );
    assert!(page["acknowledged_at"].is_null());
    // Not acknowledged in 15 minutes: the duty manager is told, once.
    assert_eq!(pages::sweep(&t.app, 50).await.unwrap(), 0, "not due yet");
    clock.advance(SignedDuration::from_mins(16));
    assert_eq!(pages::sweep(&t.app, 50).await.unwrap(), 1);
    assert_eq!(
        pages::sweep(&t.app, 50).await.unwrap(),
        0,
        "an escalation happens once"
    );
    assert!(notices(&t, &t.manager).await.contains("duty_escalation"));
    // The manager acknowledges; again changes nothing.
    let id = page["id"].as_i64().unwrap();
    let (status, acked) = t
        .post(
            &t.manager,
            &format!("/api/v1/duty/pages/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acked}");
    assert_eq!(acked["acknowledged_by"], t.manager_id);
    let (_, again) = t
        .post(
            &t.engineer,
            &format!("/api/v1/duty/pages/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(again["acknowledged_by"], t.manager_id);

    // A severity-3 case pages nobody; the signed link of the page names it, a forged one nothing.
    let other = t
        .open_case(
            &t.a.user_token,
            json!({"title": "备份失败", "description": "nightly", "severity": 3}),
        )
        .await;
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{other}")).await;
    assert!(case["number"].is_string());
    let key = tokens::signing_key(&t.app).await.unwrap();
    let (_, list) = t.get(&t.engineer, "/api/v1/duty/pages").await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "a severity-3 case pages nobody: {list}"
    );
    let token = tokens::page_token(
        &key,
        id,
        casebook_domain::ids::Id::new(t.engineer_id),
        clock.now() + SignedDuration::from_hours(1),
    );
    let link = t
        .client
        .get(t.url(&format!("/duty/ack/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), StatusCode::OK);
    assert!(link.text().await.unwrap().contains(&number));
    let forged = t
        .client
        .get(t.url(&format!("/duty/ack/{}x", &token[..token.len() - 1])))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);

    // A working day at 10:00: a severity-1 case is in business hours and pages nobody.
    let working_day: jiff::Timestamp = "2026-10-08T02:00:00Z".parse().unwrap();
    clock.advance(working_day.duration_since(clock.now()));
    t.open_case(
        &t.a.user_token,
        json!({"title": "白天的 1 级问题", "description": "x", "severity": 1}),
    )
    .await;
    let (_, list) = t.get(&t.engineer, "/api/v1/duty/pages").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Swaps: a reason is needed; the engineer on duty may hand over; a coordinator may not.
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/duty/assignments/{day}/2026-10-08/swap"),
            json!({"engineer_id": t.manager_id, "reason": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/duty/assignments/{day}/2026-10-08/swap"),
            json!({"engineer_id": t.manager_id, "reason": "病假"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/duty/assignments/{day}/2026-10-08/swap"),
            json!({"engineer_id": t.manager_id, "reason": "病假 sick leave"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, rota) = t
        .get(&t.engineer, "/api/v1/duty/rota?from=2026-10-08&days=1")
        .await;
    let swapped = rota["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["shift"]["id"] == day)
        .unwrap()
        .clone();
    assert_eq!(
        (
            swapped["engineer"]["id"].as_i64(),
            swapped["swapped_from"]["id"].as_i64()
        ),
        (Some(t.manager_id), Some(t.engineer_id))
    );
    assert_eq!(swapped["swap_reason"], "病假 sick leave");
    let console = t
        .client
        .get(t.url("/console/duty"))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::OK);
}

async fn the_rota_refuses_bad_input(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let bad = [
        (
            json!({"team": "", "name": "夜班", "starts": "17:00", "ends": "08:30", "days": "every"}),
            "team",
        ),
        (
            json!({"team": "L1", "name": "夜班", "starts": "5pm", "ends": "08:30", "days": "every"}),
            "starts",
        ),
        (
            json!({"team": "L1", "name": "夜班", "starts": "17:00", "ends": "24:30", "days": "every"}),
            "ends",
        ),
    ];
    for (body, field) in bad {
        let (status, error) = t
            .post(&t.manager, "/api/v1/duty/shifts", body.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            error["error"]["details"]["fields"][0]["field"], field,
            "{error}"
        );
    }
    let (status, _) = t.post(&t.manager, "/api/v1/duty/shifts", json!({"team": "L1", "name": "x", "starts": "08:30", "ends": "17:00", "days": "weekdays"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = t.post(&t.engineer, "/api/v1/duty/shifts", json!({"team": "L1", "name": "x", "starts": "08:30", "ends": "17:00", "days": "working"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let working = shift(&t, json!({"team": "L1", "name": "白班", "starts": "08:30", "ends": "17:00", "days": "working"})).await;
    let assign = |date: &str, engineer: i64| json!({"assignments": [{"shift_id": working, "date": date, "engineer_id": engineer}]});
    // A Sunday is not a working day; a customer user is not staff; an unknown shift.
    for (body, field) in [
        (assign("2026-12-06", t.engineer_id), "assignments[0].date"),
        (
            assign("2026-12-07", t.a.user_id),
            "assignments[0].engineer_id",
        ),
        (
            json!({"assignments": [{"shift_id": 9999, "date": "2026-12-07", "engineer_id": t.engineer_id}]}),
            "assignments[0].shift_id",
        ),
        (json!({"assignments": []}), "assignments"),
    ] {
        let (status, error) = t
            .put(&t.manager, "/api/v1/duty/assignments", body.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(
            error["error"]["details"]["fields"][0]["field"], field,
            "{error}"
        );
    }
    let (status, _) = t
        .put(
            &t.engineer,
            "/api/v1/duty/assignments",
            assign("2026-12-07", t.engineer_id),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .put(
            &t.engineer,
            &format!("/api/v1/users/{}/duty-contact", t.engineer_id),
            json!({"mobile": "call me"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = t
        .put(
            &t.engineer,
            &format!("/api/v1/users/{}/duty-contact", t.manager_id),
            json!({"mobile": "13800138000"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in [
        "/api/v1/duty/rota",
        "/api/v1/duty/pages",
        "/api/v1/duty/shifts",
    ] {
        let (status, _) = t.get(&t.a.user_token, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = t.get(&t.engineer, "/api/v1/duty/rota?days=32").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
