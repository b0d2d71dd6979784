//! The whole mail loop with a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL:
//! a customer's mail opens a case and the acknowledgement arrives with the number, threaded to
//! the customer's mail; the engineer's reply arrives (an internal note does not); the customer's
//! answer to it joins the case by In-Reply-To, and one that lost every header joins by the
//! signed reply token; a forged reply from another organisation does not; the accept link of a
//! proposed solution closes the case without a password. Admins' template edits are used, and
//! bad ones are refused.

use std::collections::HashSet;
use std::sync::Arc;

use casebook_server::actions::{mail::delivery, mail::ingest};
use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::Timestamp;
use mail_parser::MessageParser;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};
use crate::mail_out::{SmtpSink, free_port};

on_both_backends!(the_mail_loop_works);

/// A received message: its headers of interest and text.
#[derive(Debug)]
struct Received {
    to: String,
    subject: String,
    message_id: String,
    in_reply_to: String,
    auto_submitted: bool,
    body: String,
}

fn read(raw: &[u8]) -> Received {
    let msg = MessageParser::default().parse(raw).expect("a message");
    let to = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_owned();
    Received {
        to,
        subject: msg.subject().unwrap_or_default().to_owned(),
        message_id: format!("<{}>", msg.message_id().unwrap_or_default()),
        in_reply_to: msg
            .in_reply_to()
            .as_text()
            .map(|t| format!("<{t}>"))
            .unwrap_or_default(),
        auto_submitted: msg.header_raw("Auto-Submitted").is_some(),
        body: msg.body_text(0).unwrap_or_default().into_owned(),
    }
}

/// Sends what is due and returns the messages that arrived, each once (by Message-ID).
async fn deliver(t: &TestApp, sink: &SmtpSink, seen: &mut HashSet<String>) -> Vec<Received> {
    let done = delivery::send_due(&t.app, 100).await.unwrap();
    assert_eq!(done.failed, 0, "{done:?}");
    let fresh: Vec<Received> = sink
        .received()
        .iter()
        .map(|raw| read(raw))
        .filter(|m| seen.insert(m.message_id.clone()))
        .collect();
    assert_eq!(fresh.len(), done.sent, "each sent message arrived once");
    fresh
}

fn customer_mail(from: &str, subject: &str, id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: {id}\r\n{headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn ingest(t: &TestApp, raw: &[u8]) -> (String, Option<String>) {
    let done = ingest::ingest(&t.app, raw).await.unwrap();
    (done.disposition.to_string(), done.case)
}

async fn timeline(t: &TestApp, number: &str) -> String {
    let (status, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK);
    timeline.to_string()
}

async fn the_mail_loop_works(backend: TestBackend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, maildir.path());
    // Monday 10:00 in Shanghai.
    let start: Timestamp = "2026-11-30T02:00:00Z".parse().unwrap();
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.smtp.host = "127.0.0.1".into();
            c.smtp.port = port;
            c.smtp.security = casebook_server::config::SmtpSecurity::None;
            c.smtp.message_id_domain = "casebook.test".into();
            c.smtp.timeout_secs = 5;
            c.desk.public_url = "http://desk.invalid".into();
        },
        Arc::new(ManualClock::new(start)),
    )
    .await;
    let mut seen = HashSet::new();

    // 1. The contact writes; the acknowledgement answers their mail, in Chinese, with the number.
    let first = customer_mail(
        "contact@cn-a.test",
        "数据库连接失败",
        "<loop-1@bank.test>",
        "",
        "交易系统报 connection refused。",
    );
    let (disposition, case) = ingest(&t, &first).await;
    assert_eq!(disposition, "opened");
    let number = case.unwrap();
    let arrived = deliver(&t, &sink, &mut seen).await;
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    let ack = &arrived[0];
    assert_eq!(ack.to, "contact@cn-a.test");
    assert!(
        ack.subject.contains(&format!("问题单 {number}")),
        "{}",
        ack.subject
    );
    assert!(ack.body.contains("请引用这个问题单号") && ack.body.contains(&number));
    assert!(ack.body.contains("[ref:"), "{}", ack.body);
    assert_eq!(ack.in_reply_to, "<loop-1@bank.test>");
    assert!(ack.auto_submitted, "an acknowledgement is generated mail");

    // 2. An admin changes the text of staff replies; a broken template is refused.
    let path = "/api/v1/mail-templates/staff_reply/zh-CN";
    let (status, body) = t
        .call(
            reqwest::Method::PUT,
            &t.admin,
            path,
            Some(json!({"subject": "{{ case.number", "body": "x", "version": 0})),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let edit = json!({"subject": "回复：{{ case.title }}", "body": "{{ reply.body }}\n—— 定制模板 {{ case.number }}", "version": 0});
    let (status, body) = t
        .call(reqwest::Method::PUT, &t.engineer, path, Some(edit.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = t
        .call(reqwest::Method::PUT, &t.admin, path, Some(edit.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    let (status, body) = t
        .call(reqwest::Method::PUT, &t.admin, path, Some(edit))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");

    // 3. The engineer replies and adds an internal note: only the reply is mailed.
    let comments = format!("/api/v1/cases/{number}/comments");
    let (status, body) = t
        .post(
            &t.engineer,
            &comments,
            json!({"body": "请提供数据库日志。", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .post(
            &t.engineer,
            &comments,
            json!({"body": "INTERNAL-CANARY 怀疑是连接池", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let arrived = deliver(&t, &sink, &mut seen).await;
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    let reply = &arrived[0];
    assert!(reply.body.contains("请提供数据库日志。") && reply.body.contains("定制模板"));
    assert!(!reply.body.contains("INTERNAL-CANARY"));
    assert!(
        reply.subject.contains(&number),
        "the case tag is kept: {}",
        reply.subject
    );
    assert!(!reply.auto_submitted, "a staff reply is a person's answer");

    // 4. The customer answers that mail with a subject that lost the tag: it joins by In-Reply-To.
    let answer = customer_mail(
        "contact@cn-a.test",
        "Re: 日志",
        "<loop-2@bank.test>",
        &format!("In-Reply-To: {}\r\n", reply.message_id),
        "日志见附件说明 LOG-ANSWER",
    );
    assert_eq!(
        ingest(&t, &answer).await,
        ("threaded".to_owned(), Some(number.clone()))
    );
    assert!(timeline(&t, &number).await.contains("LOG-ANSWER"));

    // 5. Another organisation's user forges a reply to the same mail: quarantined.
    let forged = customer_mail(
        "user@cn-b.test",
        &format!("Re: [Case {number}]"),
        "<loop-3@evil.test>",
        &format!("In-Reply-To: {}\r\n", reply.message_id),
        "FORGED-REPLY",
    );
    assert_eq!(ingest(&t, &forged).await.0, "quarantined");
    assert!(!timeline(&t, &number).await.contains("FORGED-REPLY"));

    // 6. A reply with no tag and no references still joins by the signed reply token it quotes;
    //    an altered token does not.
    let token_line = reply
        .body
        .lines()
        .find(|l| l.contains("[ref:"))
        .unwrap()
        .to_owned();
    let quoted = customer_mail(
        "contact@cn-a.test",
        "补充",
        "<loop-4@bank.test>",
        "",
        &format!("TOKEN-ANSWER\r\n\r\n> {token_line}"),
    );
    assert_eq!(
        ingest(&t, &quoted).await,
        ("threaded".to_owned(), Some(number.clone()))
    );
    let altered = customer_mail(
        "contact@cn-a.test",
        "补充二",
        "<loop-5@bank.test>",
        "",
        &format!("ALTERED\r\n\r\n> {}", token_line.replace("[ref:", "[ref:x")),
    );
    assert_eq!(
        ingest(&t, &altered).await.0,
        "opened",
        "an altered token names no case, so the mail opens a new one"
    );
    let arrived = deliver(&t, &sink, &mut seen).await;
    assert_eq!(
        arrived.len(),
        1,
        "only the new case's acknowledgement: {arrived:?}"
    );

    // 7. An engineer answers by mail: an internal note, never mailed to the customer.
    let staff_mail = customer_mail(
        "engineer@vendor.test",
        &format!("Re: [Case {number}] 数据库连接失败"),
        "<loop-6@vendor.test>",
        "",
        "STAFF-BY-MAIL 客户很着急",
    );
    assert_eq!(
        ingest(&t, &staff_mail).await,
        ("threaded".to_owned(), Some(number.clone()))
    );
    let (_, customer_view) = t
        .get(&t.a.user_token, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(!customer_view.to_string().contains("STAFF-BY-MAIL"));
    assert!(timeline(&t, &number).await.contains("STAFF-BY-MAIL"));
    assert!(deliver(&t, &sink, &mut seen).await.is_empty());

    // 8. The engineer proposes a solution twice; only the latest mail's accept link works, and
    //    it closes the case.
    let accept_link = |mail: &Received| {
        mail.body
            .lines()
            .find_map(|l| l.split_whitespace().find(|w| w.contains("/mail-links/")))
            .and_then(|w| w.split("：").last())
            .map(|w| w.replace("http://desk.invalid", &t.base))
            .expect("an accept link")
    };
    t.advance(&number, &["in_progress", "solution_proposed"])
        .await;
    let arrived = deliver(&t, &sink, &mut seen).await;
    let first_proposal = arrived
        .iter()
        .find(|m| m.subject.contains("解决方案"))
        .map(accept_link)
        .expect("the first proposal's mail");
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{number}"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{number}"),
            json!({"status": "solution_proposed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let arrived = deliver(&t, &sink, &mut seen).await;
    let proposed: Vec<_> = arrived
        .iter()
        .filter(|m| m.subject.contains("解决方案"))
        .collect();
    assert_eq!(proposed.len(), 1, "{arrived:?}");
    let stale = t.client.get(&first_proposal).send().await.unwrap();
    assert_eq!(
        stale.status(),
        StatusCode::CONFLICT,
        "an earlier proposal's link does not answer the new one"
    );
    let accept = accept_link(proposed[0]);
    assert!(accept.contains(".accept."), "{accept}");
    let page = t.client.get(&accept).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&number), "{html}");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(
        case["status"], "solution_proposed",
        "showing the page changes nothing"
    );
    let done = t
        .client
        .post(&accept)
        .form(&[("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["status"], "closed");
    let again = t
        .client
        .post(&accept)
        .form(&[("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "a link answers once");
    let forged_link = accept.replace(".accept.", ".reject.");
    let refused = t.client.get(&forged_link).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    // The customer closed it themselves: no closure mail tells them what they did; the one
    // message is the satisfaction survey every closure sends.
    let arrived = deliver(&t, &sink, &mut seen).await;
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    assert!(
        arrived[0].subject.contains("满意度调查") && arrived[0].subject.contains(&number),
        "{arrived:?}"
    );
}
