//! `casebook mail ingest` with the real binary, on SQLite and PostgreSQL: a customer's mail opens
//! a case (GBK text decoded), its redelivery changes nothing, replies join their case by the
//! subject tag and by In-Reply-To with the quoted history folded away, a forged reply from
//! another organisation and mail from strangers go to the quarantine, auto-replies are ignored,
//! unreadable input is quarantined, and an unreachable database asks the MTA to retry (exit
//! 75). Two deliveries of one message at once open one case. (Oversized mail:
//! `mail_oversized.rs`.)

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::casebook_with;
use crate::helpers::TestApp;

on_both_backends!(
    mail_opens_threads_and_quarantines,
    two_deliveries_at_once_make_one_case
);

/// Runs `casebook mail ingest` with `raw`; its exit code and the JSON line it printed.
pub(crate) async fn ingest(t: &TestApp, raw: &[u8], extra_env: &[(&str, &str)]) -> (i32, Value) {
    let url = t.app.store.url().to_owned();
    let mut env = vec![("CASEBOOK_DATABASE_URL", url.as_str())];
    env.extend_from_slice(extra_env);
    let out = casebook_with(&["mail", "ingest"], &env, raw).await;
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    assert!(
        code != 0 || !result.is_null(),
        "stdout {stdout} stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, result)
}

fn message(
    from: &str,
    subject: &str,
    message_id: &str,
    extra_headers: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\nDate: Sun, 29 Nov 2026 10:00:00 +0800\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn timeline_text(t: &TestApp, number: &str) -> String {
    let (status, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK);
    timeline.to_string()
}

async fn mail_opens_threads_and_quarantines(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;

    // A contact without an account writes in GBK: a new case on the email channel, opened by the
    // customer user Casebook makes for the contact.
    let (gbk, _, _) = encoding_rs::GBK.encode("数据库连接失败，交易中断。请尽快处理。");
    let mut first = b"From: =?GBK?B?0KHG9w==?= <contact@cn-a.test>\r\nTo: support@vendor.test\r\nSubject: =?UTF-8?B?5pWw5o2u5bqT6L+e5o6l5aSx6LSl?=\r\nMessage-ID: <m1@bank.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    first.extend_from_slice(&gbk);
    first.extend_from_slice(b"\r\n");
    let (code, opened) = ingest(&t, &first, &[]).await;
    assert_eq!(
        (code, opened["disposition"].as_str()),
        (0, Some("opened")),
        "{opened}"
    );
    let number = opened["case"].as_str().unwrap().to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["channel"], "email");
    assert_eq!(case["title"], "数据库连接失败");
    assert!(
        case["description"].as_str().unwrap().contains("交易中断"),
        "{case}"
    );
    assert_eq!(case["organization"]["customer_number"], "CN-A");
    assert_eq!(
        case["contact"]["id"], t.a.contact_id,
        "the contact is the case's contact"
    );
    let (_, users) = t.get(&t.admin, "/api/v1/users?q=contact%40cn-a.test").await;
    assert_eq!(users["items"][0]["contact_id"], t.a.contact_id);
    assert_eq!(users["items"][0]["role"], "customer_user");

    // The MTA delivers it again: nothing changes.
    let (code, again) = ingest(&t, &first, &[]).await;
    assert_eq!(
        (code, again["disposition"].as_str()),
        (0, Some("duplicate"))
    );
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // A reply by the subject tag, with quoted history.
    let reply = message(
        "contact@cn-a.test",
        &format!("Re: [Case {number}] 数据库连接失败"),
        "<m2@bank.test>",
        "",
        "已重启，问题依旧。\r\n\r\n在 2026年11月29日 10:00，技术支持 写道：\r\n> 请重启服务。",
    );
    let (_, threaded) = ingest(&t, &reply, &[]).await;
    assert_eq!(threaded["disposition"], "threaded", "{threaded}");
    assert_eq!(threaded["case"], number.as_str());
    let timeline = timeline_text(&t, &number).await;
    assert!(
        timeline.contains("已重启，问题依旧。") && !timeline.contains("请重启服务"),
        "{timeline}"
    );

    // The organisation's customer admin answers by In-Reply-To, without a tag.
    let by_reference = message(
        "admin@cn-a.test",
        "Re: 进展",
        "<m3@bank.test>",
        "In-Reply-To: <m1@bank.test>\r\n",
        "日志已上传",
    );
    // The contact's mail is the customer's: their name on it, and it answers no SLA clock.
    assert!(timeline.contains("Alpha 阿尔法 contact"), "{timeline}");
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    let initial = sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "initial_response")
        .unwrap();
    assert_eq!(
        initial["state"], "running",
        "a customer's reply does not meet the response target: {sla}"
    );
    let (_, threaded) = ingest(&t, &by_reference, &[]).await;
    assert_eq!(threaded["disposition"], "threaded", "{threaded}");
    assert!(timeline_text(&t, &number).await.contains("日志已上传"));
    // Another customer user of the same organisation, not named on the case, may not join it.
    let nosy = message(
        "user@cn-a.test",
        &format!("Re: [Case {number}]"),
        "<m3b@bank.test>",
        "",
        "NOSY-REPLY",
    );
    let (_, quarantined) = ingest(&t, &nosy, &[]).await;
    assert_eq!(quarantined["disposition"], "quarantined", "{quarantined}");

    // Another organisation's user forges a reply: quarantined, the case is untouched.
    let forged = message(
        "user@cn-b.test",
        &format!("Re: [Case {number}] 数据库连接失败"),
        "<m4@other.test>",
        "",
        "FORGED-REPLY",
    );
    let (_, quarantined) = ingest(&t, &forged, &[]).await;
    assert_eq!(quarantined["disposition"], "quarantined", "{quarantined}");
    assert!(!timeline_text(&t, &number).await.contains("FORGED-REPLY"));

    // Auto-replies are recorded and nothing else; strangers go to the quarantine.
    let auto = message(
        "user@cn-a.test",
        &format!("自动回复: [Case {number}]"),
        "<m5@bank.test>",
        "Auto-Submitted: auto-replied\r\n",
        "我正在休假",
    );
    let (_, ignored) = ingest(&t, &auto, &[]).await;
    assert_eq!(ignored["disposition"], "ignored");
    assert!(!timeline_text(&t, &number).await.contains("我正在休假"));
    let stranger = message(
        "someone@unknown.test",
        "Hello",
        "<m6@unknown.test>",
        "",
        "Who are you?",
    );
    let (_, quarantined) = ingest(&t, &stranger, &[]).await;
    assert_eq!(quarantined["disposition"], "quarantined");
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "no case from strangers"
    );

    // Not a message at all: kept in the quarantine, exit 0.
    let (code, empty) = ingest(&t, b"", &[]).await;
    assert_eq!(
        (code, empty["disposition"].as_str()),
        (0, Some("quarantined")),
        "{empty}"
    );

    // Staff review the quarantine.
    let system = casebook_server::policy::Principal::system("test");
    let held = casebook_server::actions::mail::review::quarantine(&t.app, &system, 50)
        .await
        .unwrap();
    assert!(
        held.iter()
            .any(|m| m.reason == "unknown sender someone@unknown.test"),
        "{held:?}"
    );
    assert!(
        held.iter().any(|m| m.from_address == "user@cn-b.test"),
        "the forged reply is there"
    );
    assert!(
        held.iter().all(|m| m.from_address != "contact@cn-a.test"),
        "threaded mail is not"
    );

    // No database: the MTA is told to try again later.
    let out = casebook_with(
        &["mail", "ingest"],
        &[
            (
                "CASEBOOK_DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/none",
            ),
            ("CASEBOOK_DATABASE_ACQUIRE_TIMEOUT_SECS", "1"),
        ],
        &first,
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn two_deliveries_at_once_make_one_case(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    // An MTA that delivers the same message twice at once (two pipes): one case, one duplicate,
    // the message kept once.
    let raw = message(
        "contact@cn-a.test",
        "交换机重启",
        "<twice@bank.test>",
        "",
        "核心交换机反复重启。",
    );
    let (first, second) = tokio::join!(ingest(&t, &raw, &[]), ingest(&t, &raw, &[]));
    let mut outcomes = [first, second].map(|(code, done)| {
        assert_eq!(code, 0, "{done}");
        (
            done["disposition"].as_str().unwrap_or_default().to_owned(),
            done,
        )
    });
    outcomes.sort_by(|a, b| b.0.cmp(&a.0));
    let [(opened, done), (duplicate, again)] = outcomes;
    assert_eq!(
        (opened.as_str(), duplicate.as_str()),
        ("opened", "duplicate"),
        "{done} {again}"
    );
    assert_eq!(again["reason"], "opened");
    let number = done["case"].as_str().unwrap().to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("核心交换机反复重启"),
        "{case}"
    );
    let (_, list) = t
        .get(
            &t.engineer,
            "/api/v1/cases?q=%E4%BA%A4%E6%8D%A2%E6%9C%BA%E9%87%8D%E5%90%AF",
        )
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}
