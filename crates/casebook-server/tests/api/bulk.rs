//! Bulk changes through the API (`POST /api/v1/cases/bulk`): each case its own transaction
//! with its own result, a case changed since it was read refused without undoing the others,
//! refusals of the lifecycle per case, internal notes, and requests refused as a whole (too many
//! cases, a case twice, no reason, a customer) that change nothing.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{INTERNAL_CANARY, TestApp, assert_error};

on_both_backends!(
    bulk_changes_each_case_on_its_own,
    bulk_requests_refused_as_a_whole_change_nothing
);

async fn case(t: &TestApp, number: &str) -> Value {
    let (status, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

async fn three_cases(t: &TestApp) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for title in ["打印服务停止", "备份作业失败", "VPN 无法连接"] {
        let number = t
            .open_case(
                &t.coordinator,
                json!({"title": title, "description": "见附件日志", "severity": 3,
                    "organization_id": t.a.org_id, "channel": "phone"}),
            )
            .await;
        let version = case(t, &number).await["version"].as_i64().unwrap();
        out.push((number, version));
    }
    out
}

fn items(cases: &[(String, i64)]) -> Value {
    cases
        .iter()
        .map(|(n, v)| json!({"number": n, "version": v}))
        .collect()
}

async fn bulk_changes_each_case_on_its_own(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let cases = three_cases(&t).await;
    // Someone changes the second case after the list was read.
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{}", cases[1].0),
            json!({"title": "备份作业失败（已更新）"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let request = json!({"change": {"kind": "tier", "tier": "l2", "reason": "需要二线分析"},
        "items": items(&cases)});
    let (status, body) = t.post(&t.coordinator, "/api/v1/cases/bulk", request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["number"], cases[0].0.as_str());
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"]["code"], "version_conflict");
    assert!(
        results[1]["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(results[2]["ok"], true);
    for (i, changed) in [(0, true), (1, false), (2, true)] {
        let now = case(&t, &cases[i].0).await;
        assert_eq!(now["tier"] == "l2", changed, "case {i}: {now}");
        if changed {
            assert_eq!(results[i]["version"], now["version"]);
        }
    }
    let (_, timeline) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{}/timeline", cases[0].0),
        )
        .await;
    assert!(timeline.to_string().contains("需要二线分析"), "{timeline}");

    // Assign all three at their current versions; then a status no case can reach from
    // where it is is refused per case with the lifecycle's code.
    let mut current = Vec::new();
    for (n, _) in &cases {
        current.push((n.clone(), case(&t, n).await["version"].as_i64().unwrap()));
    }
    let (status, body) = t
        .post(&t.coordinator, "/api/v1/cases/bulk",
            json!({"change": {"kind": "assign", "owner_id": t.engineer_id}, "items": items(&current)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ok"] == true),
        "{body}"
    );
    let mut current = Vec::new();
    for (n, _) in &cases {
        let now = case(&t, n).await;
        assert_eq!(now["owner"]["id"], t.engineer_id);
        current.push((n.clone(), now["version"].as_i64().unwrap()));
    }
    let (status, body) = t
        .post(&t.engineer, "/api/v1/cases/bulk",
            json!({"change": {"kind": "status", "status": "closed", "reason": "批量关闭"}, "items": items(&current)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["ok"], false, "{body}");
        assert!(
            r["error"]["code"]
                .as_str()
                .unwrap()
                .starts_with("transition_"),
            "{body}"
        );
    }
    for (n, v) in &current {
        assert_eq!(
            case(&t, n).await["version"],
            *v,
            "a refused case is unchanged"
        );
    }

    // An internal note on each: staff see it, the customer does not.
    let note = format!("批量备注 {INTERNAL_CANARY}");
    let (status, body) = t
        .post(
            &t.engineer,
            "/api/v1/cases/bulk",
            json!({"change": {"kind": "note", "body": note}, "items": items(&current)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ok"] == true),
        "{body}"
    );
    let timeline = format!("/api/v1/cases/{}/timeline", current[0].0);
    let (_, staff_view) = t.get(&t.engineer, &timeline).await;
    assert!(staff_view.to_string().contains(INTERNAL_CANARY));
    let (status, customer_view) = t.get(&t.a.admin_token, &timeline).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!customer_view.to_string().contains(INTERNAL_CANARY));
}

async fn bulk_requests_refused_as_a_whole_change_nothing(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let cases = three_cases(&t).await;
    let mut before = Vec::new();
    for (n, _) in &cases {
        before.push(case(&t, n).await);
    }
    let tier = json!({"kind": "tier", "tier": "l2", "reason": "需要二线分析"});
    let path = "/api/v1/cases/bulk";

    // More than 100 cases: refused with the limit named.
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"number": format!("2026-{:05}", 90000 + i), "version": 1}))
        .chain(std::iter::once(
            json!({"number": cases[0].0, "version": cases[0].1}),
        ))
        .collect();
    let (status, body) = t
        .post(&t.coordinator, path, json!({"change": tier, "items": many}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "items");
    assert_eq!(details["fields"][0]["code"], "too_many");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("100"),
        "{body}"
    );

    // No cases, a case twice, a change without its reason, an unknown kind.
    let refused = [
        json!({"change": tier, "items": []}),
        json!({"change": tier, "items": [items(&cases)[0], items(&cases)[0]]}),
        json!({"change": {"kind": "severity", "severity": 1, "reason": ""}, "items": items(&cases)}),
        json!({"change": {"kind": "delete"}, "items": items(&cases)}),
        json!({"change": tier, "items": [{"number": cases[0].0}]}),
    ];
    for request in refused {
        let (status, body) = t.post(&t.coordinator, path, request.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{request}: {body}"
        );
        assert!(body["error"]["code"].is_string(), "{body}");
    }

    // A customer may not bulk-change, not even their own organisation's cases.
    let (status, body) = t
        .post(
            &t.a.admin_token,
            path,
            json!({"change": tier, "items": items(&cases)}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    for ((n, _), was) in cases.iter().zip(&before) {
        assert_eq!(&case(&t, n).await, was, "{n} is unchanged");
    }
}
