//! Merging a duplicate into another case and splitting a reply into a new case, through the
//! API on SQLite and PostgreSQL: the duplicate's timeline, files and mail threading follow, its
//! clocks stop while the survivor's keep running, its number still resolves (`merged_into`);
//! merges across organisations, into itself, into or of a merged case, with a stale version and
//! by customers are refused and change nothing; a split copies the reply's text and files.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::case_links::links_of;
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    merge_moves_timeline_files_clocks_and_mail,
    merge_refusals_change_nothing,
    split_a_reply_into_a_new_case
);

async fn reply_with_file(t: &TestApp, token: &str, number: &str, body: &str, file: &str) -> Value {
    let form = Form::new().text("body", body.to_owned()).part(
        "file",
        Part::bytes(format!("log of {file}").into_bytes()).file_name(file.to_owned()),
    );
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/comments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn get(t: &TestApp, number: &str, what: &str) -> Value {
    let (status, body) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}{what}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Each clock's metric, state and deadline (what a merge could change; the minutes left move
/// with the time of the request).
fn clock_terms(sla: &Value) -> Vec<Value> {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["metric"], c["state"], c["deadline"], c["events"]]))
        .collect()
}

fn clock_states(sla: &Value) -> Vec<String> {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap().to_owned())
        .collect()
}

async fn merge(t: &TestApp, token: &str, from: &str, body: Value) -> (StatusCode, Value) {
    t.post(token, &format!("/api/v1/cases/{from}/merge"), body)
        .await
}

async fn merge_moves_timeline_files_clocks_and_mail(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let survivor = t.case_of_a().await;
    let dup = t
        .open_case(&t.a.user_token, json!({"title": "又一次：数据库连不上", "description": "重复报障：连接被拒绝", "severity": 2}))
        .await;
    reply_with_file(&t, &t.a.user_token, &dup, "附上数据库日志", "db.log").await;
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{dup}/comments"),
            json!({"body": "看起来与主案相同", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(clock_states(&get(&t, &dup, "/sla").await).contains(&"running".to_owned()));
    let survivor_clocks = clock_terms(&get(&t, &survivor, "/sla").await);

    let version = get(&t, &dup, "").await["version"].as_i64().unwrap();
    let (status, merged) = merge(
        &t,
        &t.engineer,
        &dup,
        json!({"into": survivor, "reason": "同一故障", "version": version}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(
        merged["number"],
        survivor.as_str(),
        "the survivor is returned"
    );

    // The merged number still resolves: closed, naming the survivor.
    let closed = get(&t, &dup, "").await;
    assert_eq!(
        (closed["status"].as_str(), closed["merged_into"].as_str()),
        (Some("closed"), Some(survivor.as_str()))
    );
    let (status, as_customer) = t
        .get(&t.a.user_token, &format!("/api/v1/cases/{dup}"))
        .await;
    assert_eq!(
        (status, as_customer["merged_into"].as_str()),
        (StatusCode::OK, Some(survivor.as_str()))
    );
    assert_eq!(
        links_of(&t, &t.engineer, &dup).await,
        vec![("duplicate_of".to_owned(), survivor.clone())]
    );
    // It stays closed: no reopening or change of a merged case.
    let (status, err) = t
        .patch(
            &t.a.user_token,
            &format!("/api/v1/cases/{dup}"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_error(status, &err, StatusCode::CONFLICT, "case_merged");

    // Its conversation and files are the survivor's now; it keeps its opening and the merge.
    let moved = get(&t, &survivor, "/timeline").await.to_string();
    for text in [
        "附上数据库日志",
        "看起来与主案相同",
        "重复报障：连接被拒绝",
        "db.log",
        "merged_from",
        "同一故障",
    ] {
        assert!(moved.contains(text), "{text} in {moved}");
    }
    let kept = get(&t, &dup, "/timeline").await;
    let kinds: Vec<&str> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "merged"], "{kept}");
    assert_eq!(kept["items"][1]["change"]["case"], survivor.as_str());
    let files = get(&t, &survivor, "/attachments").await;
    let file = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file_name"] == "db.log")
        .expect("the file moved");
    let response = t
        .client
        .get(t.url(&format!(
            "/api/v1/cases/{survivor}/attachments/{}",
            file["id"]
        )))
        .bearer_auth(&t.a.user_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "log of db.log");
    assert_eq!(get(&t, &dup, "/attachments").await, json!([]));
    // Customers see the moved public entries, never the moved internal note.
    let (_, seen) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/cases/{survivor}/timeline"),
        )
        .await;
    assert!(
        seen.to_string().contains("附上数据库日志")
            && !seen.to_string().contains("看起来与主案相同")
    );

    // Clocks: the duplicate's stop as cancelled, the survivor's are as they were.
    let states = clock_states(&get(&t, &dup, "/sla").await);
    assert!(
        !states.is_empty() && states.iter().all(|s| s == "cancelled"),
        "{states:?}"
    );
    assert_eq!(
        clock_terms(&get(&t, &survivor, "/sla").await),
        survivor_clocks
    );

    // A customer's mail reply to the merged case, by its subject tag, lands in the survivor.
    let reply = format!(
        "From: user@cn-a.test\r\nTo: support@vendor.test\r\nSubject: Re: [Case {dup}] 又一次\r\nMessage-ID: <merge-reply@cn-a.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n重启后仍然失败\r\n"
    );
    let got = casebook_server::actions::mail::ingest::ingest(&t.app, reply.as_bytes())
        .await
        .unwrap();
    assert_eq!(got.disposition, "threaded", "{}", got.reason);
    assert_eq!(got.case.as_deref(), Some(survivor.as_str()));
    assert!(
        get(&t, &survivor, "/timeline")
            .await
            .to_string()
            .contains("重启后仍然失败")
    );

    // The audit log has the merge with the case before and after.
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=case&object_id={dup}"),
        )
        .await;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "case.merge")
        .expect("audited");
    assert_eq!(entry["after"]["merged_into"], survivor.as_str());
}

async fn merge_refusals_change_nothing(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (a1, a2, a3) = (
        t.case_of_a().await,
        t.case_of_a().await,
        t.case_of_a().await,
    );
    let b1 = t.case_of_b().await;
    let body = |into: &str| json!({"into": into, "reason": "dup"});
    let (status, err) = merge(&t, &t.engineer, &a1, body(&a1)).await;
    assert_error(status, &err, StatusCode::CONFLICT, "merge_into_itself");
    let (status, err) = merge(&t, &t.engineer, &a1, body(&b1)).await;
    assert_error(
        status,
        &err,
        StatusCode::CONFLICT,
        "merge_across_organizations",
    );
    let (status, err) = merge(&t, &t.engineer, &a1, json!({"into": a2, "reason": "  "})).await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, err) = merge(&t, &t.engineer, &a1, body("2020-99999")).await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, err) = merge(
        &t,
        &t.engineer,
        &a1,
        json!({"into": a2, "reason": "dup", "version": 99}),
    )
    .await;
    assert_error(status, &err, StatusCode::CONFLICT, "version_conflict");
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{a1}/merge")))
        .bearer_auth(&t.engineer)
        .header("If-Match", "\"99\"")
        .json(&body(&a2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let (status, err) = merge(&t, &t.a.admin_token, &a1, body(&a2)).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "forbidden");
    let (status, err) = merge(&t, &t.a.admin_token, &b1, body(&a2)).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "not_found");
    // Nothing of it changed a case.
    for n in [&a1, &a2, &b1] {
        let case = get(&t, n, "").await;
        assert!(
            case["merged_into"].is_null() && case["status"] == "new",
            "{case}"
        );
        assert_eq!(
            get(&t, n, "/timeline").await["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    // Once merged, neither the merged case nor a merge into it is taken.
    let (status, _) = merge(&t, &t.engineer, &a1, body(&a2)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = merge(&t, &t.engineer, &a1, body(&a3)).await;
    assert_error(status, &err, StatusCode::CONFLICT, "already_merged");
    let (status, err) = merge(&t, &t.engineer, &a3, body(&a1)).await;
    assert_error(status, &err, StatusCode::CONFLICT, "merged_case");
    // Nor one into a closed or cancelled case.
    let path = format!("/api/v1/cases/{a3}");
    let (status, cancelled) = t
        .patch(&t.engineer, &path, json!({"status": "cancelled"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (status, err) = merge(&t, &t.engineer, &a2, body(&a3)).await;
    assert_error(status, &err, StatusCode::CONFLICT, "case_closed");
}

async fn split_a_reply_into_a_new_case(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let source = t.case_of_a().await;
    let reply = reply_with_file(
        &t,
        &t.a.user_token,
        &source,
        "另一个问题：备份任务每晚失败\n错误码 E42",
        "backup.log",
    )
    .await;
    let split = |body: Value, token: String| {
        let t = &t;
        let source = source.clone();
        async move {
            t.post(&token, &format!("/api/v1/cases/{source}/split"), body)
                .await
        }
    };
    let (status, new) = split(json!({"event_id": reply["id"]}), t.engineer.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let number = new["number"].as_str().unwrap().to_owned();
    assert_eq!(new["title"], "另一个问题：备份任务每晚失败");
    assert_eq!(
        new["description"],
        "另一个问题：备份任务每晚失败\n错误码 E42"
    );
    assert_eq!(new["organization"]["id"], t.a.org_id);
    assert_eq!(
        new["contact"]["id"],
        get(&t, &source, "").await["contact"]["id"]
    );
    let files = get(&t, &number, "/attachments").await;
    assert_eq!(files[0]["file_name"], "backup.log", "{files}");
    assert_eq!(
        links_of(&t, &t.engineer, &number).await,
        vec![("split_from".to_owned(), source.clone())]
    );
    assert_eq!(
        links_of(&t, &t.a.user_token, &source).await,
        vec![("split_into".to_owned(), number.clone())]
    );
    assert!(
        get(&t, &source, "/timeline")
            .await
            .to_string()
            .contains("\"split_into\"")
    );
    // The source keeps its reply and file.
    assert_eq!(
        get(&t, &source, "/attachments")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Refused: an internal note, an entry of another case, the opening entry, a customer.
    let (status, note) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{source}/comments"),
            json!({"body": "内部", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = split(json!({"event_id": note["id"]}), t.engineer.clone()).await;
    assert_eq!(
        assert_error(
            status,
            &err,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )["fields"][0]["code"],
        "internal"
    );
    let other = t.case_of_a().await;
    let opening = get(&t, &other, "/timeline").await["items"][0]["id"].clone();
    let (status, err) = split(json!({"event_id": opening}), t.engineer.clone()).await;
    assert_eq!(
        assert_error(
            status,
            &err,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )["fields"][0]["code"],
        "not_found"
    );
    let opening = get(&t, &source, "/timeline").await["items"][0]["id"].clone();
    let (status, err) = split(json!({"event_id": opening}), t.engineer.clone()).await;
    assert_eq!(
        assert_error(
            status,
            &err,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )["fields"][0]["code"],
        "not_a_reply"
    );
    let (status, err) = split(json!({"event_id": reply["id"]}), t.a.admin_token.clone()).await;
    assert_error(status, &err, StatusCode::FORBIDDEN, "forbidden");
    let (_, list) = t.get(&t.engineer, "/api/v1/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        3,
        "only one case was split off"
    );
}
