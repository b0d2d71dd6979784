//! The hostile-mail corpus, generated here (nothing large is committed). Every message goes
//! through the real `casebook mail ingest` on SQLite and PostgreSQL, ends within the child's
//! time limit without a crash, and leaves a row in `mail_messages` with its disposition (and a
//! reason when it is quarantined). Messages over a limit are quarantined with the limit's name
//! before they are parsed: 10,000 nested multiparts, 100,000 nested messages (which overflow the
//! stack when the parser's result is dropped), 100,000 parts, 100,000 header lines, boundaries
//! that never come. (Messages over the size limit are refused: `mail_oversized.rs`.)
//! Broken encodings, NUL bytes and 8-bit garbage are read as well as they can be; a zip bomb is
//! stored as it came, never expanded; script in HTML mail never reaches a page; attachment
//! names with paths, NUL, right-to-left overrides and Windows device names are made safe.

use std::time::Duration;

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;

use crate::helpers::TestApp;
use crate::processes::{Contained, Group};
use crate::web::{PASSWORD, WebClient, user_with_password};

mod zip_bombs;

on_both_backends!(
    limits_quarantine_before_parsing,
    broken_encodings_are_read_or_kept,
    script_in_html_mail_never_reaches_a_page,
);

/// The known contact of organisation A (may open cases).
const CONTACT: &str = "contact@cn-a.test";

/// What a message of the corpus must become.
enum Expect {
    /// Quarantined with a reason that contains this text.
    Quarantined(&'static str),
    /// Opened a case.
    Opened,
}

/// One hostile message, the environment its ingest runs with, and the expected outcome.
struct Hostile {
    name: &'static str,
    raw: Vec<u8>,
    env: Vec<(&'static str, &'static str)>,
    expect: Expect,
}

fn hostile(name: &'static str, raw: Vec<u8>, expect: Expect) -> Hostile {
    Hostile {
        name,
        raw,
        env: Vec::new(),
        expect,
    }
}

/// Runs `casebook mail ingest` with `raw` on standard input; the command must end within 60 s
/// (else it is killed and the test fails) with exit 0, and print what became of the message.
async fn ingest(t: &TestApp, raw: &[u8], env: &[(&str, &str)]) -> Value {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_casebook"));
    command
        .args(["mail", "ingest"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CASEBOOK_DATABASE_URL", t.app.store.url())
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .contained();
    let mut child = command.spawn().expect("run the casebook binary");
    let _group = Group::of(child.id().expect("the command runs"));
    let mut input = child.stdin.take().unwrap();
    let raw = raw.to_vec();
    // The command reads no further than its size limit and may close the pipe early.
    let writer = tokio::spawn(async move {
        match input.write_all(&raw).await {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => panic!("{err}"),
            _ => {}
        }
    });
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the ingest ends within 60 seconds")
        .unwrap();
    writer.await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

/// A stored message: Message-ID, disposition, reason, size as received, bytes kept.
type Row = (String, String, String, i64, i64);

/// Every message in `mail_messages`, oldest first, read with SQL of its own.
async fn stored(t: &TestApp) -> Vec<Row> {
    let url = t.app.store.url();
    let sql = "SELECT m.message_id, m.disposition, m.reason, m.size, CAST(length(r.raw) AS BIGINT) \
               FROM mail_messages m LEFT JOIN mail_raw r ON r.mail_id = m.id ORDER BY m.id";
    if url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    }
}

/// Ingests each message of the corpus and checks its outcome, then that each has its row.
async fn ingest_all(t: &TestApp, corpus: &[Hostile]) -> Vec<Value> {
    let before = stored(t).await.len();
    let mut results = Vec::new();
    for message in corpus {
        let result = ingest(t, &message.raw, &message.env).await;
        let disposition = result["disposition"].as_str().unwrap_or_default();
        let reason = result["reason"].as_str().unwrap_or_default();
        match message.expect {
            Expect::Quarantined(why) => assert!(
                disposition == "quarantined" && reason.contains(why),
                "{}: {result}",
                message.name
            ),
            Expect::Opened => assert_eq!(disposition, "opened", "{}: {result}", message.name),
        }
        results.push(result);
    }
    // Nothing is lost: one row per message, decided, quarantined ones with their reason.
    let rows = stored(t).await;
    assert_eq!(rows.len() - before, corpus.len(), "{rows:?}");
    for ((message, result), row) in corpus.iter().zip(&results).zip(&rows[before..]) {
        let (_, disposition, reason, _, _) = row;
        assert_eq!(
            Some(disposition.as_str()),
            result["disposition"].as_str(),
            "{}",
            message.name
        );
        assert!(
            disposition != "quarantined" || !reason.is_empty(),
            "{}: {row:?}",
            message.name
        );
    }
    results
}

fn head(id: &str, subject: &str, content_type: &str) -> String {
    format!(
        "From: {CONTACT}\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: <{id}@hostile.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
    )
}

/// Base64 in lines of 76 characters, as mail carries it.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let flat = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = flat
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).expect("base64 is ASCII"))
        .collect();
    lines.join("\r\n")
}

/// A multipart/mixed message with these (headers, body) parts.
fn multipart(id: &str, parts: &[(String, String)]) -> Vec<u8> {
    let mut raw = head(id, id, "multipart/mixed; boundary=\"outer\"") + "\r\n";
    for (headers, body) in parts {
        raw.push_str(&format!("--outer\r\n{headers}\r\n{body}\r\n"));
    }
    raw.push_str("--outer--\r\n");
    raw.into_bytes()
}

fn text_part(text: &str) -> (String, String) {
    (
        "Content-Type: text/plain; charset=utf-8\r\n".to_owned(),
        text.to_owned(),
    )
}

fn file_part(name_parameter: &str, content: &[u8]) -> (String, String) {
    (
        format!(
            "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; {name_parameter}\r\nContent-Transfer-Encoding: base64\r\n"
        ),
        base64(content),
    )
}

/// Multiparts nested `levels` deep.
fn deep_multipart(id: &str, levels: usize) -> Vec<u8> {
    let mut raw = head(id, id, "multipart/mixed; boundary=\"b0\"") + "\r\n--b0\r\n";
    for i in 1..levels {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\ninnermost\r\n");
    for i in (0..levels).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    raw.into_bytes()
}

/// Attached messages (`message/rfc822`) nested `levels` deep, without a boundary between them.
fn nested_messages(levels: usize) -> String {
    let mut raw = String::new();
    for i in 0..levels {
        raw.push_str(&format!(
            "Content-Type: message/rfc822\r\n\r\nFrom: level{i}@hostile.test\r\nSubject: {i}\r\n"
        ));
    }
    raw + "Content-Type: text/plain\r\n\r\ninnermost\r\n"
}

fn deep_messages(id: &str, levels: usize) -> Vec<u8> {
    let nested = nested_messages(levels);
    let (headers, body) = nested.split_once("\r\n\r\n").unwrap();
    multipart(
        id,
        &[
            text_part("see attached"),
            (format!("{headers}\r\n"), body.to_owned()),
        ],
    )
}

/// A base64-encoded attached message with the deep nesting inside, where no scan of the raw
/// bytes sees it (the parser decodes and parses it).
fn deep_messages_encoded(id: &str, levels: usize) -> Vec<u8> {
    let inner = format!("From: a@hostile.test\r\n{}", nested_messages(levels));
    multipart(
        id,
        &[
            text_part("forwarded"),
            (
                "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n".into(),
                base64(inner.as_bytes()),
            ),
        ],
    )
}

fn many_parts(id: &str, parts: usize) -> Vec<u8> {
    let parts: Vec<_> = (0..parts).map(|i| text_part(&i.to_string())).collect();
    multipart(id, &parts)
}

fn many_header_lines(id: &str, lines: usize) -> Vec<u8> {
    let mut raw = head(id, id, "text/plain");
    for i in 0..lines {
        raw.push_str(&format!("X-Hostile: {i}\r\n"));
    }
    (raw + "\r\nbody\r\n").into_bytes()
}

/// Parts that each declare a multipart whose boundary never comes, then 3 MB: the parser would
/// look for each boundary to the end.
fn missing_boundaries(id: &str) -> Vec<u8> {
    let declare = (
        "Content-Type: multipart/mixed; boundary=\"never-there\"\r\n".to_owned(),
        "x".to_owned(),
    );
    let mut parts = vec![declare; 300];
    parts.push(text_part(&"y".repeat(3_000_000)));
    multipart(id, &parts)
}

async fn limits_quarantine_before_parsing(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let eleven: Vec<_> = (0..11)
        .map(|i| file_part(&format!("filename=\"f{i}.txt\""), b"file"))
        .collect();
    let mut corpus = vec![
        hostile(
            "10,000 nested multiparts",
            deep_multipart("deep-multipart", 10_000),
            Expect::Quarantined("(mail.max_depth)"),
        ),
        hostile(
            "100,000 nested messages (6 MB; parsed, they overflow the stack when dropped)",
            deep_messages("deep-messages", 100_000),
            Expect::Quarantined("(mail.max_depth)"),
        ),
        hostile(
            "10,000 nested messages inside a base64 attached message",
            deep_messages_encoded("deep-encoded", 10_000),
            Expect::Quarantined("(mail.max_depth)"),
        ),
        hostile(
            "100,000 parts",
            many_parts("many-parts", 100_000),
            Expect::Quarantined("more than 500 MIME parts (mail.max_parts)"),
        ),
        hostile(
            "100,000 header lines",
            many_header_lines("many-headers", 100_000),
            Expect::Quarantined("(mail.max_header_lines)"),
        ),
        hostile(
            "boundaries that never come",
            missing_boundaries("missing-boundaries"),
            Expect::Quarantined("boundaries that never occur"),
        ),
        hostile(
            "11 attachments",
            multipart("eleven", &eleven),
            Expect::Quarantined("more than 10 attachments (mail.max_attachments)"),
        ),
    ];
    let mut large = hostile(
        "an attachment over limits.max_attachment_bytes",
        multipart(
            "large-attachment",
            &[file_part("filename=\"big.bin\"", &vec![7u8; 4096])],
        ),
        Expect::Quarantined("larger than 2048 bytes (limits.max_attachment_bytes)"),
    );
    large.env = vec![("CASEBOOK_LIMITS_MAX_ATTACHMENT_BYTES", "2048")];
    corpus.push(large);
    ingest_all(&t, &corpus).await;

    // The quarantine shows who sent them and what about, read from the headers alone.
    let system = casebook_server::policy::Principal::system("test");
    let held = casebook_server::actions::mail::review::quarantine(&t.app, &system, 50)
        .await
        .unwrap();
    assert_eq!(held.len(), corpus.len());
    assert!(held.iter().all(|m| m.from_address == CONTACT), "{held:?}");
    assert!(held.iter().any(|m| m.subject == "deep-multipart"));
    // Every message is kept whole.
    let rows = stored(&t).await;
    assert_eq!(rows.len(), corpus.len());
    assert!(rows.iter().all(|r| r.3 == r.4), "{rows:?}");
    // None of them opened a case.
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
}

/// 64 KB of deterministic 8-bit noise.
fn noise() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn with_body(id: &str, content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!("{}{extra}\r\n", head(id, id, content_type)).into_bytes();
    raw.extend_from_slice(body);
    raw.extend_from_slice(b"\r\n");
    raw
}

async fn broken_encodings_are_read_or_kept(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut nul = with_body(
        "nul\0id",
        "text/plain; charset=utf-8",
        "",
        b"before NUL-BODY\0after",
    );
    // A NUL in the subject as well.
    let at = nul.windows(9).position(|w| w == b"Subject: ").unwrap() + 9;
    nul.splice(at..at, b"NUL\0SUBJECT ".iter().copied());
    let mut garbage_headers = b"From: \xff\xfe@\x80\x81.test\r\nSubject: \xc3\x28\xa0\xa1\r\nMessage-ID: <\xf0\x28\x8c\x28@hostile.test>\r\nContent-Type: text/plain; charset=\xff\r\n\r\n".to_vec();
    garbage_headers.extend_from_slice(&noise()[..1024]);
    let corpus = [
        hostile(
            "invalid base64",
            with_body(
                "bad-base64",
                "text/plain; charset=utf-8",
                "Content-Transfer-Encoding: base64\r\n",
                b"!!!not*base64###\r\n====\r\n",
            ),
            Expect::Opened,
        ),
        hostile(
            "invalid quoted-printable",
            with_body(
                "bad-qp",
                "text/plain; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable\r\n",
                b"=ZZ=4=\r\n=\r\nBAD-QP-TEXT =E4=B8",
            ),
            Expect::Opened,
        ),
        hostile(
            "unknown charset",
            with_body(
                "bad-charset",
                "text/plain; charset=x-klingon-9",
                "Content-Transfer-Encoding: 8bit\r\n",
                b"UNKNOWN-CHARSET \xa4\xa4\xa4\xe5\x80",
            ),
            Expect::Opened,
        ),
        hostile(
            "truncated in the middle of a header",
            head("truncated", "truncated", "multipart/mixed; bound")
                .trim_end()
                .as_bytes()
                .to_vec(),
            Expect::Opened,
        ),
        hostile(
            "multipart cut before its first boundary",
            with_body(
                "cut-multipart",
                "multipart/mixed; boundary=\"gone\"",
                "",
                b"preamble only",
            ),
            Expect::Opened,
        ),
        hostile(
            "NUL bytes in the Message-ID, subject and body",
            nul,
            // Text with control characters is refused by the case's own checks.
            Expect::Quarantined("control characters"),
        ),
        hostile(
            "8-bit garbage in the headers",
            garbage_headers,
            Expect::Quarantined("unknown sender"),
        ),
        hostile("64 KB of noise", noise(), Expect::Quarantined("")),
        hostile(
            "blank lines only",
            b"\r\n\r\n\r\n".to_vec(),
            Expect::Quarantined(""),
        ),
    ];
    let results = ingest_all(&t, &corpus).await;
    for (message, result) in corpus.iter().zip(&results) {
        if let Expect::Opened = message.expect {
            let number = result["case"].as_str().unwrap();
            let (status, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
            assert_eq!(status, StatusCode::OK, "{}: {case}", message.name);
        }
    }
    // The text that could be read is there.
    let opened = |i: usize| results[i]["case"].as_str().unwrap().to_owned();
    let (_, qp) = t
        .get(&t.engineer, &format!("/api/v1/cases/{}", opened(1)))
        .await;
    assert!(
        qp["description"].as_str().unwrap().contains("BAD-QP-TEXT"),
        "{qp}"
    );
    let (_, charset) = t
        .get(&t.engineer, &format!("/api/v1/cases/{}", opened(2)))
        .await;
    assert!(
        charset["description"]
            .as_str()
            .unwrap()
            .contains("UNKNOWN-CHARSET"),
        "{charset}"
    );
    // The NUL bytes were dropped from what is stored about the message, not the message.
    let rows = stored(&t).await;
    assert!(
        rows.iter().any(|r| r.0 == "<nulid@hostile.test>"),
        "{rows:?}"
    );
    let system = casebook_server::policy::Principal::system("test");
    let held = casebook_server::actions::mail::review::quarantine(&t.app, &system, 50)
        .await
        .unwrap();
    assert!(
        held.iter().any(|m| m.subject == "NULSUBJECT nulid"),
        "{held:?}"
    );
}

async fn script_in_html_mail_never_reaches_a_page(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let html = "<html><head><style>p{color:red}</style><script>alert('head')</script></head>\
        <body><p>Printer HOSTILE-HTML is offline.</p><script>alert(1)</script>\
        <img src=x onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">details</a>\
        <iframe src=\"https://evil.test/\"></iframe>\
        <p>&lt;script&gt;alert(4)&lt;/script&gt; &lt;img src=x onerror=alert(5)&gt;</p>\
        <a href=\"JaVaScRiPt:alert(6)\">more</a></body></html>";
    let corpus = [hostile(
        "an HTML-only message with script",
        with_body("html", "text/html; charset=utf-8", "", html.as_bytes()),
        Expect::Opened,
    )];
    let results = ingest_all(&t, &corpus).await;
    let number = results[0]["case"].as_str().unwrap().to_owned();
    // A reply whose plain text is itself HTML, by the case tag.
    let reply = format!(
        "From: {CONTACT}\r\nSubject: Re: [Case {number}]\r\nMessage-ID: <html-reply@hostile.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\nContent-Type: text/plain\r\n\r\nREPLY-TEXT <img src=x onerror=alert(7)> [link](javascript:alert(8))\r\n--alt\r\nContent-Type: text/html\r\n\r\n<p onclick=\"alert(9)\">REPLY-HTML</p>\r\n--alt--\r\n"
    );
    let threaded = ingest(&t, reply.as_bytes(), &[]).await;
    assert_eq!(threaded["disposition"], "threaded", "{threaded}");

    // The HTML became text: the script elements' content is gone.
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    let description = case["description"].as_str().unwrap();
    assert!(
        description.contains("Printer HOSTILE-HTML is offline."),
        "{case}"
    );
    assert!(
        !description.contains("alert(1)") && !description.contains("alert('head')"),
        "{description}"
    );

    // The case page shows the text and runs none of it.
    user_with_password(&t, "reader@vendor.test", "Reader", "engineer", None).await;
    let web = WebClient::new(&t);
    web.sign_in("reader@vendor.test", PASSWORD).await;
    let (status, page) = web.get(&format!("/console/cases/{number}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("HOSTILE-HTML") && page.contains("REPLY-TEXT"));
    assert_page_is_inert(&page);
}

/// No script but the page's own, no event handler attributes, no `javascript:` address.
fn assert_page_is_inert(page: &str) {
    let doc = scraper::Html::parse_document(page);
    for script in doc.select(&scraper::Selector::parse("script").unwrap()) {
        assert!(
            script.value().attr("nonce").is_some() && script.text().all(|t| !t.contains("alert")),
            "a script that is not the page's: {}",
            script.html()
        );
    }
    for element in doc.select(&scraper::Selector::parse("*").unwrap()) {
        for (name, value) in element.value().attrs() {
            let value = value.trim().to_ascii_lowercase();
            assert!(
                !name.to_ascii_lowercase().starts_with("on")
                    && !value.starts_with("javascript:")
                    && !value.contains("alert("),
                "{}",
                element.html()
            );
        }
        assert!(
            !matches!(element.value().name(), "iframe" | "object" | "embed"),
            "{}",
            element.html()
        );
    }
}
