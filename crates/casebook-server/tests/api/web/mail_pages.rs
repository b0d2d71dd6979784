//! The console's mail pages through their forms, on SQLite and PostgreSQL: mail refused for its
//! size is listed; a reviewer reads a quarantined message, a wrong case number comes back with
//! what was typed, a release and a discard happen once, a form without its CSRF token changes
//! nothing; an administrator edits a mail template (a broken one comes back as typed), sees it
//! marked edited and resets it; an engineer cannot reach the templates.

use casebook_server::actions::mail::ingest;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(mail_pages_review_and_edit);

async fn quarantined(t: &TestApp, id: &str, body: &str) -> i64 {
    let raw = format!(
        "From: someone@nowhere.test\r\nSubject: 陌生来信 {id}\r\nMessage-ID: <{id}@nowhere.test>\r\n\r\n{body}\r\n"
    );
    let done = ingest::ingest(&t.app, raw.as_bytes()).await.unwrap();
    assert_eq!(done.disposition, "quarantined");
    let mut db = t.app.store.read().await.unwrap();
    casebook_store::mail::quarantined(&mut db, 1).await.unwrap()[0].id
}

async fn mail_pages_review_and_edit(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "boss@vendor.test", "管理员", "admin", None).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let number = t.case_of_a().await;
    let first = quarantined(&t, "q1", "QUARANTINED-BODY").await;
    // A message refused for its size (only its headers were read from its mailbox).
    let head = b"From: big@cn-a.test\r\nSubject: REFUSED-SUBJECT \xe8\xb6\x85\xe5\xa4\xa7\r\nMessage-ID: <big@cn-a.test>\r\n\r\n";
    let arrived = ingest::Arrived {
        raw: head,
        size: 40 << 20,
        source: ingest::Source::Mailbox("support"),
    };
    assert!(
        ingest::ingest_arrived(&t.app, arrived)
            .await
            .unwrap()
            .is_refused()
    );
    let web = WebClient::new(&t);
    web.sign_in("boss@vendor.test", PASSWORD).await;

    let (status, list) = web.get("/console/mail").await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("mail list", &list);
    assert!(list.contains(&format!("/console/mail/{first}")), "{list}");
    assert!(
        list.contains("REFUSED-SUBJECT 超大") && list.contains("IMAP 邮箱 support"),
        "{list}"
    );
    let page_path = format!("/console/mail/{first}");
    let (status, page) = web.get(&page_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("QUARANTINED-BODY"));
    let csrf = web.csrf(&page_path).await;

    // Without the CSRF token nothing happens.
    let (status, _, _) = web
        .post_form(
            &format!("{page_path}/discard"),
            &[("_csrf", "forged"), ("reason", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A malformed case number comes back with what was typed.
    let (status, _, page) = web
        .post_form(
            &format!("{page_path}/release"),
            &[("_csrf", &csrf), ("case_number", "not-a-case")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("value=\"not-a-case\""), "{page}");
    assert_valid("refused release", &page);
    // Released into the case, once.
    let (status, location, _) = web
        .post_form(
            &format!("{page_path}/release"),
            &[("_csrf", &csrf), ("case_number", &number)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(page_path.as_str()));
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(timeline.to_string().contains("QUARANTINED-BODY"));
    let (status, _, page) = web
        .post_form(
            &format!("{page_path}/discard"),
            &[("_csrf", &csrf), ("reason", "late")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");

    // Another one is discarded with a note.
    let second = quarantined(&t, "q2", "SPAM").await;
    let (status, location, _) = web
        .post_form(
            &format!("/console/mail/{second}/discard"),
            &[("_csrf", &csrf), ("reason", "广告")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/console/mail"));
    let (_, detail) = t
        .get(&t.engineer, &format!("/api/v1/mail/messages/{second}"))
        .await;
    assert_eq!(detail["disposition"], "discarded");
    assert!(detail["reason"].as_str().unwrap().contains("广告"));

    // The template editor: a broken template comes back as typed; a good one is used.
    let edit = "/console/mail/templates/case_closed/zh-CN";
    let (status, page) = web.get(edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"version\" value=\"0\""), "{page}");
    let (status, _, page) = web
        .post_form(
            edit,
            &[
                ("_csrf", &csrf),
                ("subject", "{{ case.number"),
                ("body", "BROKEN-BODY"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("BROKEN-BODY") && page.contains("{{ case.number"));
    let (status, location, _) = web
        .post_form(
            edit,
            &[
                ("_csrf", &csrf),
                ("subject", "已关闭 {{ case.number }}"),
                (
                    "body",
                    "您的问题单 {{ case.number }} 已关闭。\r\n{{ desk.name }}",
                ),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(edit));
    let (_, page) = web.get(edit).await;
    assert!(
        page.contains("2026-00042"),
        "the preview uses sample values"
    );
    assert!(page.contains("/reset"), "an edited template can be reset");
    let (_, api) = t
        .get(&t.admin, "/api/v1/mail-templates/case_closed/zh-CN")
        .await;
    assert_eq!(api["edited"], true);
    assert_eq!(
        api["body"],
        "您的问题单 {{ case.number }} 已关闭。\n{{ desk.name }}"
    );
    let (status, _, _) = web
        .post_form(&format!("{edit}/reset"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, api) = t
        .get(&t.admin, "/api/v1/mail-templates/case_closed/zh-CN")
        .await;
    assert_eq!(api["edited"], false);

    // An engineer reviews mail but does not edit templates.
    let engineer = WebClient::new(&t);
    engineer.sign_in("eng@vendor.test", PASSWORD).await;
    let (status, _) = engineer.get(&format!("/console/mail/{second}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = engineer.get("/console/mail/templates").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
