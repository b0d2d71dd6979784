//! Canned replies and macros on SQLite and PostgreSQL: personal templates are their author's,
//! shared ones are written by managers and admins; a template's text for a case fills in the
//! case's values; applying a macro posts the text and changes the case, and a change the case
//! cannot take is refused before anything is posted; bad templates and stale edits are refused.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    templates_fill_in_the_case_and_macros_change_it,
    template_edits_are_checked
);

const LIST: &str = "/api/v1/reply-templates";

async fn timeline_len(t: &TestApp, number: &str) -> usize {
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    timeline["items"].as_array().unwrap().len()
}

async fn templates_fill_in_the_case_and_macros_change_it(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t
        .open_case(
            &t.coordinator,
            json!({"title": "备份失败", "description": "磁带库离线", "severity": 3,
                "organization_id": t.a.org_id, "contact_id": t.a.contact_id, "channel": "phone"}),
        )
        .await;
    let (_, contact) = t
        .get(&t.engineer, &format!("/api/v1/contacts/{}", t.a.contact_id))
        .await;
    let contact_name = contact["name"].as_str().unwrap().to_owned();

    // A personal template: its author's only.
    let (status, mine) = t
        .post(&t.engineer, LIST, json!({"name": "请求日志",
            "body_zh": "{{ contact.name }}您好，问题 {{ case.number }}（{{ case.severity }}）请上传日志。",
            "body_en": "Hello {{ contact.name }}, please upload the logs of case {{ case.number }}."}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["owner_id"], json!(t.engineer_id));
    assert_eq!(mine["visibility"], "public");
    let path = format!("{LIST}/{}", mine["id"]);
    let (status, body) = t.get(&t.coordinator, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Its text for the case, in either language.
    let render = format!(
        "/api/v1/cases/{number}/reply-templates/{}/render",
        mine["id"]
    );
    let (status, zh) = t.post(&t.engineer, &render, json!({"lang": "zh-CN"})).await;
    assert_eq!(status, StatusCode::OK, "{zh}");
    let text = zh["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("{contact_name}您好，问题 {number}（")),
        "{text}"
    );
    let (_, en) = t.post(&t.engineer, &render, json!({"lang": "en"})).await;
    assert!(
        en["text"]
            .as_str()
            .unwrap()
            .contains(&format!("case {number}.")),
        "{en}"
    );
    let (status, body) = t.post(&t.engineer, &render, json!({"lang": "fr"})).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    // A shared macro: only managers and admins write one.
    let draft = json!({"name": "转客户等待", "shared": true, "visibility": "public",
        "body_zh": "问题 {{ case.number }} 等待您提供日志，下一个期限：{{ deadline }}。", "body_en": "",
        "changes": {"status": "awaiting_customer", "take": true}});
    let (status, body) = t.post(&t.engineer, LIST, draft.clone()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, shared) = t.post(&t.admin, LIST, draft).await;
    assert_eq!(status, StatusCode::CREATED, "{shared}");
    assert_eq!(shared["owner_id"], Value::Null);
    let (_, seen) = t.get(&t.engineer, LIST).await;
    let mut names: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["请求日志", "转客户等待"], "{seen}");

    // A new case cannot wait for the customer: refused before anything is posted.
    let apply = format!(
        "/api/v1/cases/{number}/reply-templates/{}/apply",
        shared["id"]
    );
    let before = timeline_len(&t, &number).await;
    let (status, body) = t.post(&t.engineer, &apply, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["details"]["fields"][0]["code"], "transition_not_allowed",
        "{body}"
    );
    assert_eq!(timeline_len(&t, &number).await, before, "nothing posted");

    // In progress, the macro posts its text (English asked, Chinese used: no English text) and
    // makes its changes, with its name as the reason.
    t.advance(&number, &["in_progress"]).await;
    let (status, case) = t.post(&t.engineer, &apply, json!({"lang": "en"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "awaiting_customer");
    assert_eq!(case["owner"]["id"], json!(t.engineer_id), "taken");
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let all = timeline.to_string();
    assert!(
        all.contains(&format!("问题 {number} 等待您提供日志")),
        "{all}"
    );
    assert!(
        all.contains("转客户等待"),
        "the reason names the macro: {all}"
    );

    // The engineer's own text, as edited, is what is posted.
    let apply_mine = format!(
        "/api/v1/cases/{number}/reply-templates/{}/apply",
        mine["id"]
    );
    let (status, _) = t
        .post(
            &t.engineer,
            &apply_mine,
            json!({"text": "改过的文字 EDITED-7731"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(timeline.to_string().contains("EDITED-7731"));
    // Customers neither list nor apply templates.
    let (status, body) = t.get(&t.a.user_token, LIST).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = t.post(&t.a.user_token, &apply_mine, json!({})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a case the customer user did not open"
    );
    let theirs = t.case_of_a().await;
    let theirs = format!(
        "/api/v1/cases/{theirs}/reply-templates/{}/apply",
        mine["id"]
    );
    let (status, _) = t.post(&t.a.user_token, &theirs, json!({})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "their own case, but templates are staff's"
    );
}

async fn template_edits_are_checked(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    for (draft, field) in [
        (
            json!({"name": "坏模板", "body_zh": "{{ case.number ", "body_en": ""}),
            "body_zh",
        ),
        (
            json!({"name": "空模板", "body_zh": "", "body_en": ""}),
            "body_zh",
        ),
        (json!({"name": "", "body_zh": "x", "body_en": ""}), "name"),
        (
            json!({"name": "x", "body_zh": "x", "body_en": "", "changes": {"owner": 1}}),
            "changes.owner",
        ),
        (
            json!({"name": "x", "body_zh": "x", "body_en": "", "changes": {"status": "done"}}),
            "changes.status",
        ),
    ] {
        let (status, body) = t.post(&t.engineer, LIST, draft.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{draft}: {body}");
        assert_eq!(
            body["error"]["details"]["fields"][0]["field"], field,
            "{draft}: {body}"
        );
    }
    let (_, none) = t.get(&t.engineer, LIST).await;
    assert_eq!(none, json!([]), "nothing saved by the refusals");

    let (_, made) = t
        .post(
            &t.engineer,
            LIST,
            json!({"name": "回访", "body_zh": "您好", "body_en": "Hello"}),
        )
        .await;
    let path = format!("{LIST}/{}", made["id"]);
    let (status, edited) = t
        .patch(
            &t.engineer,
            &path,
            json!({"body_en": "Hello again", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["version"], 2);
    let (status, body) = t
        .patch(
            &t.engineer,
            &path,
            json!({"body_en": "stale", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = t
        .patch(
            &t.engineer,
            &path,
            json!({"body_zh": "{% for %}", "version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, kept) = t.get(&t.engineer, &path).await;
    assert_eq!(
        (kept["body_zh"].as_str(), kept["body_en"].as_str()),
        (Some("您好"), Some("Hello again"))
    );
    // Another engineer may not change or delete it: it does not exist for them.
    let (status, _) = t
        .patch(&t.coordinator, &path, json!({"body_en": "mine now"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.call(Method::DELETE, &t.coordinator, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deleting is repeatable");
    let (status, _) = t.get(&t.engineer, &path).await;
    assert_eq!(status, StatusCode::OK, "still there for its author");
    let (status, _) = t.call(Method::DELETE, &t.engineer, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.get(&t.engineer, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
