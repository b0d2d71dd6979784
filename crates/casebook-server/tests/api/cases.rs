//! Cases through the API: opening, the lifecycle with its refusals, comments, timeline,
//! filters and concurrent updates.

use std::sync::Arc;

use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{INTERNAL_CANARY, TestApp, assert_error};

on_both_backends!(
    opening_a_case_numbers_and_defaults_it,
    the_full_lifecycle_with_customer_confirmation,
    illegal_transitions_are_refused_clearly,
    reopening_is_limited_to_the_window,
    customers_reply_but_never_see_internal_notes,
    filters_and_pagination,
    concurrent_updates_lose_nothing,
    stale_versions_get_409,
    field_and_owner_changes_are_on_the_timeline,
);

async fn opening_a_case_numbers_and_defaults_it(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, case) = t.post(&t.a.user_token, "/api/v1/cases", json!({"title": "  控制器反复切换  ", "description": "升级后出现", "severity": 2, "category": "defect"})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let year = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .year();
    assert_eq!(case["number"], format!("{year}-00001"));
    assert_eq!(case["title"], "控制器反复切换");
    assert_eq!(case["status"], "new");
    assert_eq!(
        case["channel"], "web",
        "a customer's API call is a web filing"
    );
    assert_eq!(case["organization"]["customer_number"], "CN-A");
    assert_eq!(
        case["contact"]["name"], "Alpha 阿尔法 user",
        "a customer user is the contact of their case"
    );
    assert!(
        case.get("tier").is_none_or(|t| t.is_null()),
        "customers do not see the tier: {case}"
    );

    let (status, staff_view) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{}", case["number"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(staff_view["tier"], "intake");

    let (status, by_phone) = t.post(&t.coordinator, "/api/v1/cases", json!({
        "title": "Gateway refuses VPN", "description": "after certificate renewal", "severity": 1,
        "organization_id": t.b.org_id, "contact_id": t.b.contact_id, "channel": "phone", "owner_id": t.engineer_id, "tier": "l1"
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{by_phone}");
    assert_eq!(by_phone["number"], format!("{year}-00002"));
    assert_eq!(by_phone["status"], "assigned");
    assert_eq!(by_phone["owner"]["name"], "engineer@vendor.test");
    assert_eq!(by_phone["channel"], "phone");

    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/cases",
            json!({"title": "x", "description": "y", "severity": 3}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "organization_id");
}

async fn the_full_lifecycle_with_customer_confirmation(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    t.advance(&number, &["in_progress", "awaiting_customer"])
        .await;
    let (status, reply) = t
        .post(
            &t.a.user_token,
            &format!("{path}/comments"),
            json!({"body": "日志已上传"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let (_, case) = t.get(&t.a.user_token, &path).await;
    assert_eq!(
        case["status"], "in_progress",
        "a customer's reply resumes a case waiting for them"
    );

    let (status, _) = t
        .patch(&t.engineer, &path, json!({"status": "solution_proposed"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rejected) = t
        .patch(
            &t.a.user_token,
            &path,
            json!({"status": "in_progress", "reason": "仍然报错"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "in_progress");
    t.patch(&t.engineer, &path, json!({"status": "solution_proposed"}))
        .await;
    let (status, closed) = t
        .patch(&t.a.user_token, &path, json!({"status": "closed"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        closed["closure_confirmation"]["confirmed_by"]["id"],
        t.a.user_id
    );
    assert!(closed["closed_at"].is_string());

    let (_, timeline) = t.get(&t.engineer, &format!("{path}/timeline")).await;
    let transitions: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["change"]["transition"].as_str())
        .collect();
    assert_eq!(
        transitions,
        [
            "assign",
            "start_work",
            "await_customer",
            "resume",
            "propose_solution",
            "reject_solution",
            "propose_solution",
            "accept_solution"
        ]
    );
    let closing = timeline["items"].as_array().unwrap().last().unwrap();
    assert_eq!(closing["actor"]["id"], t.a.user_id);
    assert!(closing["at"].is_string());
}

async fn illegal_transitions_are_refused_clearly(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"status": "closed"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "transition_not_allowed",
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from new to closed")
    );
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"status": "in_progress"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "owner_required",
    );
    let (status, body) = t
        .patch(&t.a.user_token, &path, json!({"status": "assigned"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "transition_staff_only",
    );
    let (status, body) = t
        .patch(&t.a.user_token, &path, json!({"severity": 1}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"status": "finished"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    let (status, _) = t
        .patch(
            &t.a.user_token,
            &path,
            json!({"status": "cancelled", "reason": "duplicate"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"title": "edited"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "case_closed");
    let (status, body) = t
        .post(
            &t.a.user_token,
            &format!("{path}/comments"),
            json!({"body": "hello?"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "case_closed");
    let (_, case) = t.get(&t.engineer, &path).await;
    assert_eq!(case["status"], "cancelled");
    assert_eq!(
        case["title"], "数据库无法连接",
        "nothing changed by the refused requests"
    );
}

async fn reopening_is_limited_to_the_window(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let t = TestApp::spawn_with(backend, |c| c.cases.reopen_days = 7, clock.clone()).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    t.advance(&number, &["in_progress", "solution_proposed"])
        .await;
    t.patch(&t.a.user_token, &path, json!({"status": "closed"}))
        .await;
    clock.advance(SignedDuration::from_hours(24 * 6));
    let (status, reopened) = t
        .patch(
            &t.a.user_token,
            &path,
            json!({"status": "in_progress", "reason": "问题复现"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["closed_at"], serde_json::Value::Null);
    assert_eq!(reopened["closure_confirmation"], serde_json::Value::Null);
    t.patch(&t.engineer, &path, json!({"status": "solution_proposed"}))
        .await;
    t.patch(&t.engineer, &path, json!({"status": "closed"}))
        .await;
    clock.advance(SignedDuration::from_hours(24 * 8));
    let (status, body) = t
        .patch(&t.a.user_token, &path, json!({"status": "in_progress"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "reopen_window_passed");
}

async fn customers_reply_but_never_see_internal_notes(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    let (status, note) = t
        .post(
            &t.engineer,
            &format!("{path}/comments"),
            json!({"body": format!("suspect defect {INTERNAL_CANARY}"), "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(note["kind"], "note");
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("{path}/comments"),
            json!({"body": "请提供日志"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .post(
            &t.a.user_token,
            &format!("{path}/comments"),
            json!({"body": "secret", "visibility": "internal"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    for token in [&t.a.user_token, &t.a.admin_token] {
        let (_, timeline) = t.get(token, &format!("{path}/timeline")).await;
        let text = timeline.to_string();
        assert!(!text.contains(INTERNAL_CANARY), "{text}");
        assert!(
            timeline["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["visibility"] == "public")
        );
        assert!(text.contains("请提供日志"));
        let (_, case) = t.get(token, &path).await;
        assert!(!case.to_string().contains(INTERNAL_CANARY));
    }
    let (_, staff_timeline) = t.get(&t.engineer, &format!("{path}/timeline")).await;
    assert!(staff_timeline.to_string().contains(INTERNAL_CANARY));
}

async fn filters_and_pagination(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    for i in 0..7 {
        let severity = if i < 2 { 1 } else { 3 };
        t.open_case(&t.coordinator, json!({"title": format!("存储阵列 {i}"), "description": "d", "severity": severity, "organization_id": t.a.org_id})).await;
    }
    let b_case = t.case_of_b().await;
    t.advance(&b_case, &[]).await;
    let (_, sev1) = t.get(&t.engineer, "/api/v1/cases?severity=1").await;
    assert_eq!(sev1["items"].as_array().unwrap().len(), 2);
    let (_, mine) = t.get(&t.engineer, "/api/v1/cases?owner=me").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["number"], b_case);
    let (_, unassigned) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases?owner=none&organization={}", t.a.org_id),
        )
        .await;
    assert_eq!(unassigned["items"].as_array().unwrap().len(), 7);
    let (_, by_text) = t
        .get(&t.engineer, "/api/v1/cases?q=%E9%98%B5%E5%88%97%205")
        .await;
    assert_eq!(by_text["items"].as_array().unwrap().len(), 1, "{by_text}");
    let (_, by_number) = t
        .get(&t.engineer, &format!("/api/v1/cases?q={b_case}"))
        .await;
    assert_eq!(by_number["items"][0]["number"], b_case);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=3&cursor={c}"),
            None => "/api/v1/cases?limit=3".to_owned(),
        };
        let (status, page) = t.get(&t.engineer, &path).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["number"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");

    let (status, body) = t.get(&t.engineer, "/api/v1/cases?status=open").await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "status");
    let (status, body) = t.get(&t.engineer, "/api/v1/cases?stauts=new").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_query");
    let (status, body) = t.get(&t.engineer, "/api/v1/cases?cursor=abc").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_cursor");
    let (status, body) = t.get(&t.a.user_token, "/api/v1/cases?tier=l2").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

async fn concurrent_updates_lose_nothing(backend: TestBackend) {
    let t = Arc::new(TestApp::spawn(backend).await);
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    let fields = [
        json!({"patch_level": "FP3"}),
        json!({"operating_system": "Kylin V10"}),
        json!({"environment": "2 nodes"}),
        json!({"category": "performance"}),
        json!({"severity": 1}),
        json!({"title": "连接池耗尽"}),
    ];
    let mut tasks = Vec::new();
    for body in fields.clone() {
        let (t, path) = (t.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            t.patch(&t.engineer, &path, body).await
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, case) = t.get(&t.engineer, &path).await;
    assert_eq!(case["patch_level"], "FP3");
    assert_eq!(case["operating_system"], "Kylin V10");
    assert_eq!(case["environment"], "2 nodes");
    assert_eq!(case["category"], "performance");
    assert_eq!(case["severity"], 1);
    assert_eq!(case["title"], "连接池耗尽");
    assert_eq!(case["version"], 7, "six changes, each applied once");
}

async fn stale_versions_get_409(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    let response = t
        .client
        .get(t.url(&path))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let first = t
        .client
        .patch(t.url(&path))
        .bearer_auth(&t.engineer)
        .header("If-Match", &etag)
        .json(&json!({"title": "first"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let second = t
        .client
        .patch(t.url(&path))
        .bearer_auth(&t.engineer)
        .header("If-Match", &etag)
        .json(&json!({"title": "second"}))
        .send()
        .await
        .unwrap();
    let status = second.status();
    let body: serde_json::Value = second.json().await.unwrap();
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");
    let (status, body) = t
        .patch(&t.engineer, &path, json!({"title": "third", "version": 1}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");
    let (_, case) = t.get(&t.engineer, &path).await;
    assert_eq!(case["title"], "first");
}

async fn field_and_owner_changes_are_on_the_timeline(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let path = format!("/api/v1/cases/{number}");
    t.advance(&number, &["in_progress"]).await;
    let (status, body) = t
        .patch(
            &t.coordinator,
            &path,
            json!({"tier": "l2", "severity": 1, "reason": "需要二线分析"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .patch(&t.coordinator, &path, json!({"owner_id": null}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = t
        .patch(&t.coordinator, &path, json!({"owner_id": t.a.user_id}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["field"], "owner_id",
        "customers cannot own cases"
    );

    let (_, staff) = t.get(&t.engineer, &format!("{path}/timeline")).await;
    let kinds: Vec<&str> = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "owner_change",
            "status_change",
            "status_change",
            "severity_change",
            "tier_change"
        ]
    );
    let tier = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "tier_change")
        .unwrap();
    assert_eq!(tier["visibility"], "internal");
    assert_eq!(tier["change"]["to"], "l2");
    assert_eq!(tier["change"]["reason"], "需要二线分析");
    let (_, customer) = t.get(&t.a.user_token, &format!("{path}/timeline")).await;
    assert!(
        customer["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "tier_change")
    );
}
