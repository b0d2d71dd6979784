//! The quarantine review over the API, on SQLite and PostgreSQL: staff list and read held mail
//! and download it raw; a forged reply released into a case becomes an internal note the
//! customer never sees; a stranger's mail opens a case for the organisation the reviewer names;
//! a message is decided once; a message over a limit can only be discarded; customers get 403.

use casebook_server::actions::mail::ingest;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(quarantined_mail_is_reviewed_once);

fn mail(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn held(t: &TestApp, raw: &[u8]) -> i64 {
    let done = ingest::ingest(&t.app, raw).await.unwrap();
    assert_eq!(done.disposition, "quarantined", "{done:?}");
    let (status, list) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list[0]["id"].as_i64().unwrap()
}

async fn quarantined_mail_is_reviewed_once(backend: TestBackend) {
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.mail.max_message_bytes = 64 * 1024;
            c.mail.oversized = casebook_server::config::Oversized::Quarantine;
        },
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let number = t.case_of_a().await;

    // A reply from another organisation is held; the reviewer reads it and releases it.
    let forged = held(
        &t,
        &mail(
            "user@cn-b.test",
            &format!("Re: [Case {number}]"),
            "<r1@b.test>",
            "FORGED-TEXT 请看这个",
        ),
    )
    .await;
    let (status, detail) = t
        .get(&t.engineer, &format!("/api/v1/mail/messages/{forged}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert!(
        detail["text"].as_str().unwrap().contains("FORGED-TEXT"),
        "{detail}"
    );
    assert!(detail["reason"].as_str().unwrap().contains("may not see"));
    let raw = t
        .client
        .get(t.url(&format!("/api/v1/mail/messages/{forged}/raw")))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    assert!(
        raw.text()
            .await
            .unwrap()
            .contains("Message-ID: <r1@b.test>")
    );
    for token in [&t.a.user_token, &t.a.admin_token] {
        let (status, body) = t.get(token, "/api/v1/mail/quarantine").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }

    let release = format!("/api/v1/mail/messages/{forged}/release");
    let (status, body) = t
        .post(&t.engineer, &release, json!({"case_number": number}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disposition"], "released");
    assert_eq!(body["case"], number.as_str());
    let (_, staff_view) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let note = staff_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["body"]
                .as_str()
                .is_some_and(|b| b.contains("FORGED-TEXT"))
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        note["visibility"], "internal",
        "a stranger's text is an internal note: {staff_view}"
    );
    let (_, customer_view) = t
        .get(&t.a.user_token, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(!customer_view.to_string().contains("FORGED-TEXT"));
    let (status, body) = t
        .post(&t.engineer, &release, json!({"case_number": number}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "mail_reviewed");

    // A stranger's mail opens a case for the organisation the reviewer names.
    let stranger = held(
        &t,
        &mail(
            "new.person@cn-a.test",
            "打印机无法连接",
            "<r2@a.test>",
            "STRANGER-TEXT",
        ),
    )
    .await;
    let (status, case) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{stranger}/open"),
            json!({"organization_id": t.a.org_id, "severity": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["title"], "打印机无法连接");
    assert_eq!(case["channel"], "email");
    assert_eq!(case["severity"], 2);
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("STRANGER-TEXT")
    );
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{stranger}/discard"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "mail_reviewed");

    // A message over the size limit, kept whole (`oversized = "quarantine"`), can only be
    // discarded.
    let big = mail(
        "someone@nowhere.test",
        "big",
        "<r3@n.test>",
        &"x".repeat(100 * 1024),
    );
    let oversize = held(&t, &big).await;
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{oversize}/release"),
            json!({"case_number": number}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "mail_unreadable");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{oversize}/discard"),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disposition"], "discarded");
    assert!(body["reason"].as_str().unwrap().contains("spam"));
    let (_, list) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    assert_eq!(list, json!([]), "nothing is left to review");

    // Unknown fields and unknown messages are refused.
    let (status, body) = t
        .post(
            &t.engineer,
            "/api/v1/mail/messages/999999/discard",
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{forged}/release"),
            json!({"case": number}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

on_both_backends!(mail_policies_follow_the_configuration);

async fn mail_policies_follow_the_configuration(backend: TestBackend) {
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.mail.unknown_senders = casebook_server::config::UnknownSenders::Case;
            c.mail.review_organization = "CN-A".into();
            c.mail.foreign_replies = casebook_server::config::ForeignReplies::NewCase;
            c.mail.max_new_cases_per_sender_hour = 2;
            c.mail.max_messages_per_sender_hour = 5;
        },
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let number = t.case_of_a().await;
    let ingest = |raw: Vec<u8>| {
        let app = t.app.clone();
        async move { ingest::ingest(&app, &raw).await.unwrap() }
    };

    // An unknown sender's mail opens a case for review in the configured organisation.
    let done = ingest(mail(
        "who@nowhere.test",
        "求助",
        "<p1@n.test>",
        "UNKNOWN-TEXT",
    ))
    .await;
    assert_eq!(done.disposition, "opened", "{done:?}");
    let (_, case) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{}", done.case.unwrap()),
        )
        .await;
    assert_eq!(case["organization"]["customer_number"], "CN-A");
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("mail from who@nowhere.test")
    );

    // Another organisation's reply never joins the case: it opens a case of their own.
    let done = ingest(mail(
        "user@cn-b.test",
        &format!("Re: [Case {number}]"),
        "<p2@b.test>",
        "FOREIGN-TEXT",
    ))
    .await;
    assert_eq!(done.disposition, "opened", "{done:?}");
    assert_ne!(done.case.as_deref(), Some(number.as_str()));
    let (_, case) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{}", done.case.unwrap()),
        )
        .await;
    assert_eq!(case["organization"]["customer_number"], "CN-B");
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(!timeline.to_string().contains("FOREIGN-TEXT"));

    // A sender opens at most two cases an hour by mail, and sends at most five messages.
    for (i, expected) in ["opened", "opened", "quarantined"].iter().enumerate() {
        let done = ingest(mail(
            "contact@cn-a.test",
            &format!("new problem {i}"),
            &format!("<c{i}@a.test>"),
            "text",
        ))
        .await;
        assert_eq!(&done.disposition, expected, "{done:?}");
        if *expected == "quarantined" {
            assert!(
                done.reason.contains("max_new_cases_per_sender_hour"),
                "{done:?}"
            );
        }
    }
    let mut last = None;
    for i in 0..3 {
        last = Some(
            ingest(mail(
                "contact@cn-a.test",
                &format!("Re: [Case {number}]"),
                &format!("<f{i}@a.test>"),
                "more",
            ))
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(last.disposition, "quarantined", "{last:?}");
    assert!(
        last.reason.contains("max_messages_per_sender_hour"),
        "{last:?}"
    );
}
