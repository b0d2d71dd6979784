//! Mail over `mail.max_message_bytes`, on SQLite and PostgreSQL. Through the real `casebook mail
//! ingest`: refused with exit 65 and a `5.3.4` reason on standard error (the MTA bounces it to
//! its sender with that text), nothing kept, the refusal listed for staff with the sender,
//! subject and size as received (60 MB read to the end); with `mail.oversized = "quarantine"`
//! kept whole in the quarantine (exit 0), where it can only be downloaded or discarded. From an
//! IMAP mailbox (dovecot): a refused message is never moved or deleted but flagged `\Seen` and
//! `\Flagged` where it is, its refusal listed; in quarantine mode it is fetched and kept whole,
//! then handled as `after` says.

use std::process::Output;

use async_imap::types::{Fetch, Flag};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use futures_util::TryStreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::cli::casebook_with;
use crate::helpers::{TestApp, assert_error};
use crate::mail_imap::{Dovecot, LIMIT, mail, poll_cli};

on_both_backends!(
    oversized_mail_is_refused_or_kept_whole,
    oversized_mailbox_messages_stay_or_are_kept_whole
);

/// A fault on the desk's side never bounces a sender's mail: `mail ingest` exits 75, so the MTA
/// keeps the message and retries (Postfix bounces 1, 70 and 74 for good).
#[tokio::test]
async fn failures_on_the_desks_side_are_retried() {
    let raw = b"From: a@cn-a.test\r\nSubject: hi\r\nMessage-ID: <retry-1@a.test>\r\n\r\nhello\r\n";
    for env in [
        ("CASEBOOK_CONFIG", "/nonexistent/casebook.toml"),
        ("CASEBOOK_MAIL_MAX_MESSAGE_BYTES", "a lot"),
    ] {
        let out = casebook_with(&["mail", "ingest"], &[env], raw).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(75), "{env:?}: {stderr}");
        assert!(stderr.contains("try again later"), "{env:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing claims the message was taken"
        );
    }
}

/// A message of `size` bytes exactly (CRLF lines), from the contact of organisation A.
fn big_message(id: &str, subject: &str, size: usize) -> Vec<u8> {
    let mut raw = format!(
        "From: contact@cn-a.test\r\nTo: support@vendor.test\r\nSubject: {subject}\r\nMessage-ID: <{id}@big.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    .into_bytes();
    let line = b"log line 0123456789 abcdefghijklmnopqrstuvwxyz\r\n";
    while raw.len() + line.len() <= size {
        raw.extend_from_slice(line);
    }
    raw.resize(size, b'.');
    raw
}

async fn ingest(t: &TestApp, raw: &[u8], env: &[(&str, &str)]) -> Output {
    let url = t.app.store.url().to_owned();
    let mut all = vec![("CASEBOOK_DATABASE_URL", url.as_str())];
    all.extend_from_slice(env);
    casebook_with(&["mail", "ingest"], &all, raw).await
}

/// Every stored message: Message-ID, disposition, size as received, bytes kept.
async fn stored(t: &TestApp) -> Vec<(String, String, i64, i64)> {
    let url = t.app.store.url();
    let sql = "SELECT m.message_id, m.disposition, m.size, CAST(length(r.raw) AS BIGINT) \
               FROM mail_messages m JOIN mail_raw r ON r.mail_id = m.id ORDER BY m.id";
    if url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut db).await.unwrap()
    }
}

async fn refused(t: &TestApp) -> Vec<Value> {
    let (status, list) = t.get(&t.engineer, "/api/v1/mail/refused").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn oversized_mail_is_refused_or_kept_whole(backend: TestBackend) {
    const MB: usize = 1024 * 1024;
    // The server reviewing the quarantine has the limit the command has.
    let t = TestApp::spawn_with(
        backend,
        |c| c.mail.max_message_bytes = MB,
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let limit = [("CASEBOOK_MAIL_MAX_MESSAGE_BYTES", "1048576")];

    // Refused: exit 65 with the reason first on standard error, nothing on standard output
    // (Postfix puts the output into the bounce and takes a leading status code as the DSN).
    let big = big_message("refused", "整机日志 full logs", 3 * MB + 17);
    let out = ingest(&t, &big, &limit).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.starts_with("5.3.4 "), "{stderr}");
    assert!(
        stderr.contains(&(3 * MB + 17).to_string()) && stderr.contains("1048576"),
        "{stderr}"
    );
    assert!(stored(&t).await.is_empty(), "nothing is kept");
    // Staff see who sent what and how large; customers may not.
    let list = refused(&t).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let entry = &list[0];
    assert_eq!(entry["from_address"], "contact@cn-a.test");
    assert_eq!(entry["subject"], "整机日志 full logs");
    assert_eq!(entry["message_id"], "<refused@big.test>");
    assert_eq!(entry["size"], json!(3 * MB + 17));
    assert_eq!(entry["source"], "pipe");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("mail.max_message_bytes"),
        "{entry}"
    );
    let (status, body) = t.get(&t.a.admin_token, "/api/v1/mail/refused").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, cases) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(cases["items"], json!([]), "no case");

    // The database is away: the MTA is asked to try again rather than told the mail bounced
    // before the refusal is recorded.
    let out = casebook_with(
        &["mail", "ingest"],
        &[
            (
                "CASEBOOK_DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/none",
            ),
            ("CASEBOOK_DATABASE_ACQUIRE_TIMEOUT_SECS", "1"),
            limit[0],
        ],
        &big,
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // At the default limit, 60 MB are read to their end (the MTA writing them never sees a
    // broken pipe) and refused.
    let sixty = big_message("sixty", "60 MB", 60 * MB);
    let out = ingest(&t, &sixty, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("62914560 bytes") && stderr.contains("31457280"),
        "{stderr}"
    );
    assert_eq!(refused(&t).await[0]["size"], json!(60 * MB));

    // Quarantined whole when so configured: every byte kept, exit 0.
    let whole = big_message("kept-whole", "完整保留", 2 * MB + 5);
    let out = ingest(
        &t,
        &whole,
        &[limit[0], ("CASEBOOK_MAIL_OVERSIZED", "quarantine")],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["disposition"], "quarantined", "{done}");
    assert!(
        done["reason"]
            .as_str()
            .unwrap()
            .contains("larger than 1048576 bytes (mail.max_message_bytes)"),
        "{done}"
    );
    let rows = stored(&t).await;
    assert_eq!(
        rows,
        [(
            "<kept-whole@big.test>".to_owned(),
            "quarantined".to_owned(),
            whole.len() as i64,
            whole.len() as i64
        )]
    );
    // It can be downloaded whole and discarded, not put into a case.
    let (_, held) = t.get(&t.engineer, "/api/v1/mail/quarantine").await;
    let id = held[0]["id"].as_i64().unwrap();
    let raw = t
        .client
        .get(t.url(&format!("/api/v1/mail/messages/{id}/raw")))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(raw.as_ref(), whole.as_slice());
    let number = t.case_of_a().await;
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/mail/messages/{id}/release"),
            json!({"case_number": number}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "mail_unreadable");
    assert_eq!(refused(&t).await.len(), 2, "a kept message is not refused");
}

/// The flags of each message of the folder: (`\Seen`, `\Flagged`).
async fn flags(dovecot: &Dovecot, folder: &str) -> Vec<(bool, bool)> {
    let mut session = dovecot.session().await;
    let selected = session.select(folder).await.unwrap();
    if selected.exists == 0 {
        return Vec::new();
    }
    let fetches: Vec<Fetch> = session
        .fetch("1:*", "(FLAGS)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    fetches
        .iter()
        .map(|f| {
            (
                f.flags().any(|flag| matches!(flag, Flag::Seen)),
                f.flags().any(|flag| matches!(flag, Flag::Flagged)),
            )
        })
        .collect()
}

async fn oversized_mailbox_messages_stay_or_are_kept_whole(backend: TestBackend) {
    let dovecot = Dovecot::start();
    let t = TestApp::spawn_with(
        backend,
        |c| c.mail.max_message_bytes = LIMIT,
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let files = tempfile::tempdir().unwrap();
    // A mailbox whose messages are deleted once stored.
    let sweeper = casebook_server::config::ImapMailbox {
        after: casebook_server::config::ImapAfter::Delete,
        ..dovecot.mailbox("sweeper")
    };
    let mut config = t.app.config.clone();
    config.imap.mailboxes = vec![sweeper];
    let config_path = files.path().join("casebook.toml");
    std::fs::write(&config_path, toml::to_string(&config).unwrap()).unwrap();

    // Refused: the oversized message stays where it is, flagged; the other one is taken in.
    let big = big_message("imap-big", "Full dump", 3 * LIMIT + 1);
    dovecot.deliver("INBOX", &big).await;
    dovecot
        .deliver(
            "INBOX",
            &mail(
                "contact@cn-a.test",
                "Small one",
                "<imap-small@cn-a.test>",
                "",
                "请处理",
            ),
        )
        .await;
    let (code, lines, stderr) = poll_cli(&config_path, &[], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        lines[0]["polled"],
        json!({"fetched": 2, "stored": 1, "refused": 1, "failed": 0}),
        "{lines:?}"
    );
    assert_eq!(
        flags(&dovecot, "INBOX").await,
        [(true, true)],
        "kept, not deleted"
    );
    let list = refused(&t).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["size"], json!(big.len()));
    assert_eq!(list[0]["subject"], "Full dump");
    assert_eq!(list[0]["source"], "imap:sweeper");
    assert!(
        stored(&t)
            .await
            .iter()
            .all(|r| r.0 != "<imap-big@big.test>")
    );
    // It is not taken again.
    let (code, lines, _) = poll_cli(&config_path, &[], &[]).await;
    assert_eq!((code, &lines[0]["polled"]["fetched"]), (0, &json!(0)));
    assert_eq!(refused(&t).await.len(), 1);

    // In quarantine mode the message is fetched whole, kept whole, then deleted as configured.
    let second = big_message("imap-whole", "Second dump", 2 * LIMIT + 3);
    dovecot.deliver("INBOX", &second).await;
    let (code, lines, stderr) = poll_cli(
        &config_path,
        &[],
        &[("CASEBOOK_MAIL_OVERSIZED", "quarantine")],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines[0]["polled"]["stored"], 1, "{lines:?}");
    let row = stored(&t)
        .await
        .into_iter()
        .find(|r| r.0 == "<imap-whole@big.test>")
        .expect("kept");
    assert_eq!(
        (row.1.as_str(), row.2, row.3),
        ("quarantined", second.len() as i64, second.len() as i64)
    );
    assert_eq!(
        flags(&dovecot, "INBOX").await.len(),
        1,
        "deleted once kept whole"
    );
}
