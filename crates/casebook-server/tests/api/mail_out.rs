//! The outbox sender against a real SMTP server on loopback (aiosmtpd from PyPI, writing what it
//! receives into a maildir), on SQLite and PostgreSQL: messages arrive with stable Message-IDs and
//! safe headers, a bad recipient and a server that is down are retried later with backoff, a
//! message held by another sender is not sent twice, failures are listed for admins. Over
//! STARTTLS and implicit TLS a server with a self-signed certificate is trusted only through
//! `smtp.ca_file`; without it the handshake fails and the failure is recorded.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use casebook_server::actions::mail::delivery::{self, Delivery};
use casebook_server::clock::{Clock, ManualClock};
use casebook_store::notifications;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::{SignedDuration, Timestamp};

use crate::helpers::TestApp;
use crate::processes::Running;

on_both_backends!(
    the_outbox_is_delivered_once_with_retries,
    starttls_and_tls_trust_the_ca_file
);

/// aiosmtpd on a port (shared with the mail loop test), storing messages in a maildir; stopped
/// with its process group when dropped.
pub struct SmtpSink {
    _process: Running,
    dir: PathBuf,
}

impl SmtpSink {
    pub fn start(port: u16, dir: &Path) -> SmtpSink {
        SmtpSink::start_with(port, dir, std::iter::empty::<&OsStr>())
    }

    /// Like `start`, with more command-line arguments (e.g. `--tlscert`/`--tlskey` for
    /// STARTTLS, `--smtpscert`/`--smtpskey` for implicit TLS).
    pub fn start_with<I, S>(port: u16, dir: &Path, extra_args: I) -> SmtpSink
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut process = Running::spawn(
            Command::new("python3")
                .args([
                    "-u",
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-d",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                ])
                .args(extra_args)
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        )
        .expect("python3 runs");
        let stderr = process.child().stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let ready = lines
            .by_ref()
            .take(20)
            .map_while(Result::ok)
            .any(|l| l.contains("Server is listening"));
        assert!(
            ready,
            "aiosmtpd did not start: install it with `pip install aiosmtpd` (.ci/run does)"
        );
        // Keep reading its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        SmtpSink {
            _process: process,
            dir: dir.to_owned(),
        }
    }

    pub fn received(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read(e.path()).unwrap());
                }
            }
        }
        out
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A self-signed certificate and its key for `localhost` and 127.0.0.1.
pub fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command runs (Debian package openssl)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

async fn enqueue(t: &TestApp, key: &str, recipient: &str, subject: &str, now: Timestamp) {
    let mut db = t.app.store.write().await.unwrap();
    notifications::enqueue_mail(
        &mut db,
        "test",
        recipient,
        subject,
        "正文：请处理。\nBody line two.",
        key,
        now,
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
}

async fn the_outbox_is_delivered_once_with_retries(backend: TestBackend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, maildir.path());
    let start: Timestamp = "2026-11-30T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.smtp.host = "127.0.0.1".into();
            c.smtp.port = port;
            c.smtp.security = casebook_server::config::SmtpSecurity::None;
            c.smtp.message_id_domain = "casebook.test".into();
            c.smtp.timeout_secs = 5;
        },
        clock.clone(),
    )
    .await;

    enqueue(
        &t,
        "warn-1",
        "zhang@bank.test",
        "[Case 2026-00001] 首次响应即将超时\r\nBcc: victim@evil.test",
        start,
    )
    .await;
    enqueue(&t, "warn-2", "li@bank.test", "Renewal reminder", start).await;
    enqueue(&t, "bad-1", "not an address", "never", start).await;
    let done = delivery::send_due(&t.app, 100).await.unwrap();
    assert_eq!(done, Delivery { sent: 2, failed: 1 });
    let received = sink.received();
    assert_eq!(received.len(), 2);
    let parsed: Vec<_> = received
        .iter()
        .map(|raw| mail_parser::MessageParser::default().parse(raw).unwrap())
        .collect();
    let warn = parsed
        .iter()
        .find(|m| {
            m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some("zhang@bank.test")
        })
        .unwrap();
    assert_eq!(
        warn.subject(),
        Some("[Case 2026-00001] 首次响应即将超时 Bcc: victim@evil.test"),
        "one header line"
    );
    assert!(warn.header_raw("Bcc").is_none(), "no injected header");
    assert_eq!(
        format!("<{}>", warn.message_id().unwrap()),
        delivery::message_id("warn-1", "casebook.test")
    );
    assert!(warn.body_text(0).unwrap().contains("请处理"));

    // Nothing is sent twice; the failed one waits for its backoff; admins see it.
    assert_eq!(
        delivery::send_due(&t.app, 100).await.unwrap(),
        Delivery::default()
    );
    assert_eq!(sink.received().len(), 2);
    let mut db = t.app.store.read().await.unwrap();
    let failed = notifications::failed_mail(&mut db, 10).await.unwrap();
    drop(db);
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].1 == "not an address" && !failed[0].4.is_empty(),
        "{failed:?}"
    );

    let system = casebook_server::policy::Principal::system("test");
    let listed = casebook_server::actions::mail::review::failed_deliveries(&t.app, &system, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].recipient, "not an address");

    // The server goes down: the message waits and goes when it is back.
    drop(sink);
    enqueue(&t, "warn-3", "wang@bank.test", "Escalation", start).await;
    let done = delivery::send_due(&t.app, 100).await.unwrap();
    assert_eq!(done.sent, 0);
    assert!(done.failed >= 1);
    let sink = SmtpSink::start(port, maildir.path());
    assert_eq!(
        delivery::send_due(&t.app, 100).await.unwrap().sent,
        0,
        "not before its backoff"
    );
    clock.advance(SignedDuration::from_mins(3));
    let done = delivery::send_due(&t.app, 100).await.unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    assert_eq!(sink.received().len(), 3);

    // A message another sender holds is left to it until its hold runs out.
    enqueue(&t, "warn-4", "zhao@bank.test", "Held", clock.now()).await;
    let mut db = t.app.store.write().await.unwrap();
    let held = notifications::claim_due_mail(
        &mut db,
        clock.now(),
        clock.now() + SignedDuration::from_mins(5),
        10,
    )
    .await
    .unwrap();
    db.commit().await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(delivery::send_due(&t.app, 100).await.unwrap().sent, 0);
    clock.advance(SignedDuration::from_mins(6));
    let done = delivery::send_due(&t.app, 100).await.unwrap();
    assert_eq!(done.sent, 1, "taken over after the hold ran out");
    assert_eq!(sink.received().len(), 4);
}

async fn starttls_and_tls_trust_the_ca_file(backend: TestBackend) {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_certificate(certs.path());
    let (starttls_port, tls_port) = (free_port(), free_port());
    let (starttls_dir, tls_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let starttls_sink = SmtpSink::start_with(
        starttls_port,
        starttls_dir.path(),
        [
            OsStr::new("--tlscert"),
            cert.as_os_str(),
            OsStr::new("--tlskey"),
            key.as_os_str(),
        ],
    );
    let tls_sink = SmtpSink::start_with(
        tls_port,
        tls_dir.path(),
        [
            OsStr::new("--smtpscert"),
            cert.as_os_str(),
            OsStr::new("--smtpskey"),
            key.as_os_str(),
        ],
    );
    let start: Timestamp = "2026-11-30T02:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let ca_file = cert.to_str().unwrap().to_owned();
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.smtp.host = "127.0.0.1".into();
            c.smtp.port = starttls_port;
            c.smtp.security = casebook_server::config::SmtpSecurity::Starttls;
            c.smtp.ca_file = ca_file.clone();
            c.smtp.message_id_domain = "casebook.test".into();
            c.smtp.timeout_secs = 5;
        },
        clock.clone(),
    )
    .await;
    // Other senders on the same outbox: implicit TLS, and both without the CA file.
    let with_smtp = |configure: &dyn Fn(&mut casebook_server::config::SmtpConfig)| {
        let mut config = t.app.config.clone();
        configure(&mut config.smtp);
        casebook_server::app::App::with_store(config, t.app.store.clone(), clock.clone())
    };
    let tls = with_smtp(&|s| {
        s.port = tls_port;
        s.security = casebook_server::config::SmtpSecurity::Tls;
    });
    let untrusted_tls = with_smtp(&|s| {
        s.port = tls_port;
        s.security = casebook_server::config::SmtpSecurity::Tls;
        s.ca_file = String::new();
    });
    let untrusted_starttls = with_smtp(&|s| s.ca_file = String::new());

    // STARTTLS, trusting the self-signed server through ca_file.
    enqueue(&t, "starttls-1", "zhang@bank.test", "Over STARTTLS", start).await;
    let done = delivery::send_due(&t.app, 10).await.unwrap();
    assert_eq!(done, Delivery { sent: 1, failed: 0 });
    let received = starttls_sink.received();
    assert_eq!(received.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&received[0])
        .unwrap();
    assert_eq!(message.subject(), Some("Over STARTTLS"));

    // Implicit TLS.
    enqueue(&t, "tls-1", "li@bank.test", "Over TLS", start).await;
    let done = delivery::send_due(&tls, 10).await.unwrap();
    assert_eq!(done, Delivery { sent: 1, failed: 0 });
    let received = tls_sink.received();
    assert_eq!(received.len(), 1);
    let message = mail_parser::MessageParser::default()
        .parse(&received[0])
        .unwrap();
    assert_eq!(message.subject(), Some("Over TLS"));
    assert_eq!(
        format!("<{}>", message.message_id().unwrap()),
        delivery::message_id("tls-1", "casebook.test")
    );

    // Without the CA file the handshake fails (implicit TLS, then STARTTLS after the
    // backoff): the message stays in the outbox with the error.
    enqueue(&t, "untrusted-1", "wang@bank.test", "Not trusted", start).await;
    let done = delivery::send_due(&untrusted_tls, 10).await.unwrap();
    assert_eq!(done, Delivery { sent: 0, failed: 1 });
    clock.advance(SignedDuration::from_mins(2));
    let done = delivery::send_due(&untrusted_starttls, 10).await.unwrap();
    assert_eq!(done, Delivery { sent: 0, failed: 1 });
    assert_eq!(starttls_sink.received().len(), 1);
    assert_eq!(tls_sink.received().len(), 1);
    let mut db = t.app.store.read().await.unwrap();
    let failed = notifications::failed_mail(&mut db, 10).await.unwrap();
    drop(db);
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (_, recipient, _, attempts, last_error) = &failed[0];
    assert_eq!((recipient.as_str(), *attempts), ("wang@bank.test", 2));
    assert!(last_error.contains("certificate"), "{last_error}");

    // With the CA file again it goes out once its backoff has passed.
    clock.advance(SignedDuration::from_mins(3));
    let done = delivery::send_due(&t.app, 10).await.unwrap();
    assert_eq!(done, Delivery { sent: 1, failed: 0 });
    assert_eq!(starttls_sink.received().len(), 2);
}
