//! Search synonyms on SQLite and PostgreSQL: the starter list finds 硬盘 when 磁盘 is typed
//! (highlighted), a group an admin adds applies to the next search without re-indexing and
//! stops applying when deleted; bad groups, stale edits and people other than admins are
//! refused, and nothing is changed by a refusal.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::search::{find, numbers, q, wait_for};

on_both_backends!(synonyms_widen_searches, synonym_edits_are_checked);

async fn synonyms_widen_searches(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, groups) = t.get(&t.engineer, "/api/v1/search/synonyms").await;
    assert_eq!(status, StatusCode::OK, "{groups}");
    let starter = groups.as_array().unwrap();
    assert!(starter.len() >= 40, "the starter list: {groups}");
    assert!(
        starter
            .iter()
            .any(|g| g["words"] == json!(["磁盘", "硬盘", "disk"])),
        "{groups}"
    );

    let disk = t
        .open_case(
            &t.a.user_token,
            json!({"title": "存储柜硬盘指示灯变红", "description": "槽位 3 亮红灯", "severity": 3}),
        )
        .await;
    let gate = t
        .open_case(
            &t.a.user_token,
            json!({"title": "网闸策略同步失败", "description": "内外网无法交换文件", "severity": 3}),
        )
        .await;
    // 磁盘 (typed) finds 硬盘 (written), highlighted.
    let body = wait_for(&t, &t.engineer, &q("磁盘"), |b| {
        numbers(b).contains(&disk)
    })
    .await;
    let hit = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["number"] == disk.as_str())
        .unwrap();
    assert!(
        hit["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>硬盘</mark>"),
        "{hit}"
    );
    wait_for(&t, &t.engineer, &q("网闸"), |b| {
        numbers(b).contains(&gate)
    })
    .await;

    // A group added now applies to the next search; deleted, it no longer does.
    assert!(!numbers(&find(&t, &t.engineer, &q("隔离网关")).await).contains(&gate));
    let (status, group) = t
        .post(
            &t.admin,
            "/api/v1/search/synonyms",
            json!({"words": ["网闸", "隔离网关"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(group["version"], 1);
    assert!(numbers(&find(&t, &t.engineer, &q("隔离网关")).await).contains(&gate));
    // Customers' searches use them too.
    assert!(numbers(&find(&t, &t.a.user_token, &q("隔离网关")).await).contains(&gate));
    let path = format!("/api/v1/search/synonyms/{}", group["id"]);
    let (status, _) = t.call(Method::DELETE, &t.admin, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!numbers(&find(&t, &t.engineer, &q("隔离网关")).await).contains(&gate));
    let (status, body) = t.get(&t.engineer, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

async fn synonym_edits_are_checked(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let list = "/api/v1/search/synonyms";
    let (_, before) = t.get(&t.engineer, list).await;
    let refused = |body: &Value, words: &str| {
        assert_eq!(body["error"]["code"], "validation_failed", "{body}");
        assert_eq!(
            body["error"]["details"]["fields"][0]["field"], "words",
            "{body}"
        );
        let message = body["error"]["details"]["fields"][0]["message"]
            .as_str()
            .unwrap();
        assert!(message.contains(words), "{body}");
    };
    for (words, why) in [
        (json!(["磁盘"]), "at least two"),
        (json!(["Down", "down"]), "twice"),
        (json!("宕机"), "at least two"),
        (
            json!([
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"
            ]),
            "at most 12",
        ),
        (json!(["x".repeat(41), "y"]), "at most 40"),
    ] {
        let (status, body) = t.post(&t.admin, list, json!({ "words": words })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{words}: {body}");
        refused(&body, why);
    }
    // Only admins change them; customers do not even read them.
    let (status, body) = t
        .post(&t.engineer, list, json!({"words": ["甲", "乙"]}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.get(&t.a.user_token, list).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, after) = t.get(&t.engineer, list).await;
    assert_eq!(before, after, "nothing changed by the refusals");

    // One text with commas is a group too; an edit on a stale copy is refused.
    let (status, group) = t
        .post(&t.admin, list, json!({"words": "工单，问题单、ticket"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(group["words"], json!(["工单", "问题单", "ticket"]));
    let path = format!("{list}/{}", group["id"]);
    let (status, edited) = t
        .patch(
            &t.admin,
            &path,
            json!({"words": ["工单", "ticket"], "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["version"], 2);
    let (status, body) = t
        .patch(
            &t.admin,
            &path,
            json!({"words": ["工单", "案例"], "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, kept) = t.get(&t.engineer, &path).await;
    assert_eq!(
        kept["words"],
        json!(["工单", "ticket"]),
        "the refused edit changed nothing"
    );
    let (status, body) = t.call(Method::DELETE, &t.engineer, &path, None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    // Deleting is repeatable: a group that is gone answers the same.
    let (status, _) = t.call(Method::DELETE, &t.admin, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.call(Method::DELETE, &t.admin, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = t.get(&t.engineer, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}
