//! A merge in a real browser (Debian's chromium through chromedriver, with the setup of
//! `browser.rs`), on SQLite and PostgreSQL: a customer's mail opens a case that duplicates one
//! already open; the coordinator merges it from the console's "Links" box (confirmation and
//! reason) and lands on the surviving case with a note; then the customer answers the first
//! mail (`In-Reply-To` its Message-ID, no case tag), delivered through `casebook mail ingest`,
//! and the reply lands in the surviving case. No page logs a console error.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;
use crate::mail::ingest;

on_both_backends!(a_merge_in_the_browser_keeps_mail_threading);

fn mail(subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: contact@cn-a.test\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn a_merge_in_the_browser_keeps_mail_threading(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    // The case being worked on names the contact who writes in, so their mail may reach it.
    let survivor = t
        .open_case(
            &t.coordinator,
            json!({"title": "数据库无法连接", "description": "应用报 connection refused", "severity": 2,
                "organization_id": t.a.org_id, "contact_id": t.a.contact_id, "channel": "phone"}),
        )
        .await;
    let first = mail(
        "数据库又连不上了",
        "<dup-1@cn-a.test>",
        "",
        "和上次一样，连接被拒绝。",
    );
    let (code, opened) = ingest(&t, &first, &[]).await;
    assert_eq!(
        (code, opened["disposition"].as_str()),
        (0, Some("opened")),
        "{opened}"
    );
    let dup = opened["case"].as_str().unwrap().to_owned();

    let mut b = Browser::start(&t.base, name).await;
    b.sign_in("coord@vendor.test").await;
    b.go(&format!("/console/cases/{dup}")).await;
    b.click("details.merge summary").await;
    b.fill("#merge-into", &survivor).await;
    b.fill("#merge-reason", "与已有问题相同").await;
    b.click("#merge-confirm").await;
    b.submit("#merge-form button[type=submit]").await;
    assert_eq!(
        b.path().await,
        format!("/console/cases/{survivor}?merged={dup}")
    );
    assert!(b.text("#merged-note").await.contains(&dup));
    assert!(
        b.text("#timeline")
            .await
            .contains("和上次一样，连接被拒绝。")
    );
    b.shot("case-merged").await;
    let errors = std::mem::take(&mut b.errors);
    b.close().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");

    let (status, merged) = t.get(&t.engineer, &format!("/api/v1/cases/{dup}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(merged["merged_into"], json!(survivor));

    // The customer answers the mail that opened the merged case: it joins the survivor.
    let reply = mail(
        "Re: 数据库又连不上了",
        "<dup-2@cn-a.test>",
        "In-Reply-To: <dup-1@cn-a.test>\r\nReferences: <dup-1@cn-a.test>\r\n",
        "重启后依旧失败。",
    );
    let (code, threaded) = ingest(&t, &reply, &[]).await;
    assert_eq!(
        (code, threaded["disposition"].as_str()),
        (0, Some("threaded")),
        "{threaded}"
    );
    assert_eq!(threaded["case"], json!(survivor));
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{survivor}/timeline"))
        .await;
    assert!(
        timeline.to_string().contains("重启后依旧失败。"),
        "{timeline}"
    );
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{dup}/timeline"))
        .await;
    assert!(
        !timeline.to_string().contains("重启后依旧失败。"),
        "{timeline}"
    );
}
