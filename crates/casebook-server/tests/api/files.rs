//! Attachments: stored in the database or in files, hashed, named by the server, served as
//! downloads; internal ones invisible to customers.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    attachments_in_the_database,
    attachments_in_files,
    replies_carry_files_and_hostile_names_are_cleaned
);

async fn upload(t: &TestApp, token: &str, number: &str, form: Form) -> (StatusCode, Value) {
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn round_trip(t: &TestApp) {
    let number = t.case_of_a().await;
    let content = "2026-11-02 10:42:07 ERROR 连接池已满\n"
        .repeat(50)
        .into_bytes();
    let form = Form::new().part(
        "file",
        Part::bytes(content.clone())
            .file_name("server.log")
            .mime_str("text/plain")
            .unwrap(),
    );
    let (status, event) = upload(t, &t.a.user_token, &number, form).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let meta = &event["attachments"][0];
    assert_eq!(meta["file_name"], "server.log");
    assert_eq!(meta["size"], content.len());
    assert_eq!(meta["sha256"], hex::encode(Sha256::digest(&content)));
    let url = format!("/api/v1/cases/{number}/attachments/{}", meta["id"]);
    let response = t
        .client
        .get(t.url(&url))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"server.log\"; filename*=UTF-8''server.log"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), content.as_slice());

    let internal = Form::new().text("visibility", "internal").part(
        "file",
        Part::bytes(b"<script>alert(1)</script>".to_vec())
            .file_name("dump.html")
            .mime_str("text/html")
            .unwrap(),
    );
    let (status, event) = upload(t, &t.engineer, &number, internal).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let hidden = format!(
        "/api/v1/cases/{number}/attachments/{}",
        event["attachments"][0]["id"]
    );
    let (status, body) = t.get(&t.a.user_token, &hidden).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (_, listed) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/cases/{number}/attachments"),
        )
        .await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "customers do not see internal files"
    );
    let staff = t
        .client
        .get(t.url(&hidden))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        staff.headers()["content-type"],
        "application/octet-stream",
        "active content is never served as HTML"
    );
    let form = Form::new()
        .text("visibility", "internal")
        .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let (status, body) = upload(t, &t.a.user_token, &number, form).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let form = Form::new().text("colour", "red");
    let (status, body) = upload(t, &t.engineer, &number, form).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

async fn attachments_in_the_database(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    round_trip(&t).await;
}

async fn attachments_in_files(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let t = TestApp::spawn_with(
        backend,
        move |c| {
            c.attachments.storage = casebook_server::config::AttachmentStorage::Filesystem;
            c.attachments.dir = path;
        },
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    round_trip(&t).await;
    let stored: Vec<_> = walk(dir.path());
    assert_eq!(stored.len(), 2, "{stored:?}");
    for file in stored {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "the server names files by hash: {name}"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

async fn replies_carry_files_and_hostile_names_are_cleaned(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let form = Form::new()
        .text("body", "截图见附件")
        .part(
            "file",
            Part::bytes(b"\x89PNG....".to_vec())
                .file_name("../../etc/passwd\u{202E}gnp.exe")
                .mime_str("image/png")
                .unwrap(),
        )
        .part("file", Part::bytes(b"second".to_vec()).file_name("CON.txt"));
    let response = t
        .client
        .post(t.url(&format!("/api/v1/cases/{number}/comments")))
        .bearer_auth(&t.a.user_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let event: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{event}");
    assert_eq!(event["kind"], "reply");
    assert_eq!(event["body"], "截图见附件");
    let names: Vec<&str> = event["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["passwdgnp.exe", "_CON.txt"]);
    let (_, timeline) = t
        .get(
            &t.a.admin_token,
            &format!("/api/v1/cases/{number}/timeline"),
        )
        .await;
    let reply = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reply")
        .unwrap();
    assert_eq!(reply["attachments"].as_array().unwrap().len(), 2);
}
