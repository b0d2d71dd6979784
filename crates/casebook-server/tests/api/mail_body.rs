//! The text of multipart mail, through the real `casebook mail ingest` on SQLite and
//! PostgreSQL: text after an inline image (as Apple Mail sends a screenshot in the middle of a
//! message) is kept, in order, with the image named where it was; a second text part in Big5
//! too; the text and HTML of one `multipart/alternative` count once; a text file sent as an
//! attachment stays an attachment. The quarantine's review reads, releases and opens cases with
//! the same text.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::mail::ingest;

on_both_backends!(
    text_around_inline_images_is_kept,
    the_review_reads_every_text_part
);

/// A few bytes that start like a PNG, base64-encoded.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==";

fn headers(from: &str, subject: &str, id: &str, content_type: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: <{id}@body.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    )
}

/// A `multipart/mixed` message: text, an inline screenshot, more text (Apple Mail's shape).
fn text_image_text(from: &str, subject: &str, id: &str, before: &str, after: &[u8]) -> Vec<u8> {
    let mut raw = headers(from, subject, id, "multipart/mixed; boundary=\"apple\"").into_bytes();
    raw.extend_from_slice(
        format!(
            "--apple\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{before}\r\n\
             --apple\r\nContent-Type: image/png; name=\"screenshot.png\"\r\nContent-Disposition: inline; filename=\"screenshot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{PNG_BASE64}\r\n\
             --apple\r\n"
        )
        .as_bytes(),
    );
    raw.extend_from_slice(after);
    raw.extend_from_slice(b"\r\n--apple--\r\n");
    raw
}

fn utf8_part(text: &str) -> Vec<u8> {
    format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
    )
    .into_bytes()
}

async fn case(t: &TestApp, number: &str) -> Value {
    let (status, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

async fn attachment_names(t: &TestApp, number: &str) -> Vec<String> {
    let (_, files) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/attachments"))
        .await;
    files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap().to_owned())
        .collect()
}

/// The texts appear in `text`, each once, in this order.
fn assert_in_order(text: &str, parts: &[&str]) {
    let mut from = 0;
    for part in parts {
        assert_eq!(text.matches(part).count(), 1, "{part:?} once in {text:?}");
        let at = text[from..]
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} after the previous part in {text:?}"));
        from += at + part.len();
    }
}

async fn text_around_inline_images_is_kept(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;

    // A new case: the text on both sides of the screenshot, the screenshot named between them.
    let raw = text_image_text(
        "contact@cn-a.test",
        "打印服务报错",
        "apple-1",
        "BEFORE-IMAGE 报错截图如下：",
        &utf8_part("AFTER-IMAGE 重启后依旧。"),
    );
    let (code, done) = ingest(&t, &raw, &[]).await;
    assert_eq!(
        (code, done["disposition"].as_str()),
        (0, Some("opened")),
        "{done}"
    );
    let number = done["case"].as_str().unwrap().to_owned();
    let description = case(&t, &number).await["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_in_order(
        &description,
        &[
            "BEFORE-IMAGE",
            "[image: screenshot.png]",
            "AFTER-IMAGE 重启后依旧。",
        ],
    );
    assert_eq!(attachment_names(&t, &number).await, ["screenshot.png"]);

    // A reply whose second text part is in Big5, with the quoted history after it folded away.
    let (big5, _, _) = encoding_rs::BIG5.encode("第二部分 SECOND-PART 已更換硬碟。");
    let mut after =
        b"Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            .to_vec();
    after.extend_from_slice(&big5);
    after.extend_from_slice(
        b"\r\n\r\nOn Sun, 29 Nov 2026, Support <support@vendor.test> wrote:\r\n> QUOTED-HISTORY",
    );
    let reply = text_image_text(
        "contact@cn-a.test",
        &format!("Re: [Case {number}]"),
        "apple-2",
        "FIRST-PART 第一部分",
        &after,
    );
    let (_, done) = ingest(&t, &reply, &[]).await;
    assert_eq!(done["disposition"], "threaded", "{done}");
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let comment = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .find(|b| b.contains("FIRST-PART"))
        .unwrap_or_else(|| panic!("the reply is in the timeline: {timeline}"))
        .to_owned();
    assert_in_order(
        &comment,
        &[
            "FIRST-PART 第一部分",
            "[image: screenshot.png]",
            "第二部分 SECOND-PART 已更換硬碟。",
        ],
    );
    assert!(!comment.contains("QUOTED-HISTORY"), "{comment}");

    // Text and HTML of the same content count once; a text file attached stays a file.
    let mut mixed = headers(
        "contact@cn-a.test",
        "日志",
        "alternative",
        "multipart/mixed; boundary=\"outer\"",
    )
    .into_bytes();
    mixed.extend_from_slice(
        b"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
          --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nALT-TEXT see the log\r\n\
          --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>ALT-TEXT see the log</p>\r\n\
          --alt--\r\n\
          --outer\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=\"server.log\"\r\n\r\nLOG-CONTENT line 1\r\n\
          --outer--\r\n",
    );
    let (_, done) = ingest(&t, &mixed, &[]).await;
    assert_eq!(done["disposition"], "opened", "{done}");
    let number = done["case"].as_str().unwrap().to_owned();
    let description = case(&t, &number).await["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_in_order(&description, &["ALT-TEXT see the log"]);
    assert!(!description.contains("LOG-CONTENT"), "{description}");
    assert_eq!(attachment_names(&t, &number).await, ["server.log"]);
}

async fn the_review_reads_every_text_part(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let held = |id: &'static str| {
        text_image_text(
            "stranger@nowhere.test",
            "截图",
            id,
            "HELD-BEFORE",
            &utf8_part("HELD-AFTER"),
        )
    };

    // The review reads the whole text, and a release quotes all of it.
    let (_, done) = ingest(&t, &held("held-1"), &[]).await;
    assert_eq!(done["disposition"], "quarantined", "{done}");
    let (_, list) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    let id = list[0]["id"].as_i64().unwrap();
    let (status, detail) = t
        .get(&t.engineer, &format!("/api/v1/mail/messages/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_in_order(
        detail["text"].as_str().unwrap(),
        &["HELD-BEFORE", "[image: screenshot.png]", "HELD-AFTER"],
    );
    assert_eq!(detail["attachments"], json!(["screenshot.png"]));
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{id}/release"),
            json!({"case_number": number}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let note = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .find(|b| b.contains("HELD-BEFORE"))
        .unwrap_or_else(|| panic!("the released note: {timeline}"))
        .to_owned();
    assert_in_order(&note, &["HELD-BEFORE", "HELD-AFTER"]);

    // A case opened from the quarantine has all of it too.
    let (_, done) = ingest(&t, &held("held-2"), &[]).await;
    assert_eq!(done["disposition"], "quarantined", "{done}");
    let (_, list) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    let id = list[0]["id"].as_i64().unwrap();
    let (status, opened) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{id}/open"),
            json!({"organization_id": t.a.org_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_in_order(
        opened["description"].as_str().unwrap(),
        &["HELD-BEFORE", "[image: screenshot.png]", "HELD-AFTER"],
    );
}
