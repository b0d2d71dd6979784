//! IMAP mailboxes against a real server on loopback (Debian's dovecot-imapd, started by each
//! test with its own configuration, port and maildir), on SQLite and PostgreSQL: a customer's
//! unseen message opens a case and is flagged `\Seen` only once stored; polling again opens
//! nothing twice; with the database down the messages stay unseen and `casebook mail poll`
//! exits 75, and the next poll stores them; `after = "move"` and `"delete"` (oversized
//! messages: `mail_oversized.rs`); a wrong password or a server that is not
//! there is a clear error and exit 75; the server's watcher takes new mail in at once through
//! IDLE; TLS and STARTTLS with a self-signed certificate trusted through `ca_file`.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::types::{Fetch, Flag};
use casebook_server::actions::mail::imap::{self, Polled};
use casebook_server::app::AppState;
use casebook_server::clock::SystemClock;
use casebook_server::config::{ImapAfter, ImapMailbox, ImapSecurity};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::Connection;
use tokio::net::TcpStream;

use crate::cli::casebook_with;
use crate::helpers::TestApp;
use crate::processes::{self, Running};

mod tls;

on_both_backends!(mailbox_messages_are_taken_in_once,);

const USER: &str = "alice";
const PASSWORD: &str = "secret";
/// The limit the tests configure, so that an oversized message is cheap to make.
pub(crate) const LIMIT: usize = 64 * 1024;

/// A dovecot of our own on free loopback ports, in the foreground (`-F`) in a process group of
/// its own with its login, auth and mail processes; dropping it stops them all (SIGTERM lets the
/// master stop them first). dovecot overwrites its environment, run marker included, with its
/// process title, so it runs beside a shell that keeps the marker (`processes.rs`).
pub(crate) struct Dovecot {
    process: Running,
    pub(crate) port: u16,
    tls_port: u16,
    /// The self-signed certificate of the TLS listener.
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn dovecot_binary() -> PathBuf {
    let on_path = Command::new("dovecot")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let binary = if on_path {
        PathBuf::from("dovecot")
    } else {
        PathBuf::from("/usr/sbin/dovecot")
    };
    assert!(
        on_path || binary.exists(),
        "dovecot is missing: install Debian's dovecot-imapd (`apt-get install dovecot-imapd`; .ci/run does)"
    );
    binary
}

/// Who dovecot's processes and the mail run as.
struct Accounts {
    internal_user: String,
    internal_group: String,
    login_user: String,
    mail_uid: String,
    mail_gid: String,
}

/// Root hands dovecot's processes to the package's users (dovecot refuses root for logins and
/// mail); anyone else runs everything as themselves.
fn accounts(dir: &Path) -> Accounts {
    let meta = std::fs::metadata(dir).unwrap();
    if meta.uid() == 0 {
        // The mail user writes the maildir under our temporary directory.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.join("mail"), std::fs::Permissions::from_mode(0o777)).unwrap();
        return Accounts {
            internal_user: "dovecot".into(),
            internal_group: "dovecot".into(),
            login_user: "dovenull".into(),
            mail_uid: "dovecot".into(),
            mail_gid: "dovecot".into(),
        };
    }
    let id = |flag: &str| {
        let out = Command::new("id").arg(flag).output().unwrap().stdout;
        String::from_utf8_lossy(&out).trim().to_owned()
    };
    Accounts {
        internal_user: id("-un"),
        internal_group: id("-gn"),
        login_user: id("-un"),
        mail_uid: meta.uid().to_string(),
        mail_gid: meta.gid().to_string(),
    }
}

fn dovecot_config(dir: &Path, port: u16, tls_port: u16, cert: &Path, key: &Path) -> String {
    let Accounts {
        internal_user,
        internal_group,
        login_user,
        mail_uid,
        mail_gid,
    } = accounts(dir);
    let d = dir.display();
    format!(
        r#"protocols = imap
listen = 127.0.0.1
instance_name = casebook-test-{port}
base_dir = {d}/run
state_dir = {d}/state
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={d}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
# No chroots: only root may chroot, and the test may run as anyone.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"#,
        cert = cert.display(),
        key = key.display(),
    )
}

impl Dovecot {
    pub(crate) fn start() -> Dovecot {
        let binary = dovecot_binary();
        let dir = tempfile::tempdir().unwrap();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::write(
            dir.path().join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let (cert, key) = crate::mail_out::self_signed_certificate(dir.path());
        let (port, tls_port) = (free_port(), free_port());
        let config = dir.path().join("dovecot.conf");
        std::fs::write(
            &config,
            dovecot_config(dir.path(), port, tls_port, &cert, &key),
        )
        .unwrap();
        let mut process = Running::spawn(
            processes::beside_a_marked_shell(binary)
                .arg("-F")
                .arg("-c")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        )
        .expect("dovecot starts");
        let stderr = process.child().stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let mut log = Vec::new();
        for line in lines.by_ref().take(40).map_while(Result::ok) {
            let started = line.contains("starting up");
            log.push(line);
            if started {
                break;
            }
        }
        assert!(
            log.last().is_some_and(|l| l.contains("starting up")),
            "dovecot did not start:\n{}",
            log.join("\n")
        );
        // Keep reading its log so it never blocks on a full pipe; a failing test shows it.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                eprintln!("dovecot: {line}");
            }
        });
        Dovecot {
            process,
            port,
            tls_port,
            cert,
            _dir: dir,
        }
    }

    /// The test's own IMAP session, to deliver and inspect mail.
    pub(crate) async fn session(&self) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().expect("a greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Delivers a message by APPEND.
    pub(crate) async fn deliver(&self, folder: &str, raw: &[u8]) {
        let mut session = self.session().await;
        session.append(folder, None, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }

    /// For each message of the folder (none when it does not exist), whether it is `\Seen`.
    pub(crate) async fn seen(&self, folder: &str) -> Vec<bool> {
        let mut session = self.session().await;
        let Ok(selected) = session.select(folder).await else {
            return Vec::new();
        };
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
            .map(|f| f.flags().any(|flag| matches!(flag, Flag::Seen)))
            .collect()
    }

    /// Makes every message of the folder unseen again.
    async fn unsee_all(&self, folder: &str) {
        let mut session = self.session().await;
        session.select(folder).await.unwrap();
        let _: Vec<Fetch> = session
            .store("1:*", "-FLAGS.SILENT (\\Seen)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    }

    /// A plain-text mailbox of this server, marking messages `\Seen`.
    pub(crate) fn mailbox(&self, name: &str) -> ImapMailbox {
        ImapMailbox {
            name: name.into(),
            host: "127.0.0.1".into(),
            port: self.port,
            security: ImapSecurity::None,
            username: USER.into(),
            password: PASSWORD.into(),
            timeout_secs: 10,
            ..ImapMailbox::default()
        }
    }
}

pub(crate) fn mail(
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

async fn case_titles(t: &TestApp) -> Vec<String> {
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Writes the test's configuration with these mailboxes into a file for the CLI.
fn config_file(t: &TestApp, dir: &Path, mailboxes: Vec<ImapMailbox>) -> PathBuf {
    let mut config = t.app.config.clone();
    config.imap.mailboxes = mailboxes;
    let path = dir.join("casebook.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    path
}

/// `casebook mail poll` with a configuration file; its exit code, JSON lines and stderr.
pub(crate) async fn poll_cli(
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, Vec<Value>, String) {
    let mut args = vec!["--config", config.to_str().unwrap(), "mail", "poll"];
    args.extend_from_slice(extra);
    let out: Output = casebook_with(&args, env, b"").await;
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::String(l.to_owned())))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The database goes away for the app returned: SQLite is locked by another connection (writes
/// wait for the busy timeout, then fail); PostgreSQL's pool is closed. Dropping the guard frees
/// SQLite again.
async fn database_down(
    t: &TestApp,
    backend: TestBackend,
) -> (AppState, Option<sqlx::SqliteConnection>) {
    match backend {
        TestBackend::Sqlite => {
            let mut lock = sqlx::SqliteConnection::connect(t.app.store.url())
                .await
                .unwrap();
            sqlx::query("BEGIN EXCLUSIVE")
                .execute(&mut lock)
                .await
                .unwrap();
            (t.app.clone(), Some(lock))
        }
        TestBackend::Postgres => {
            let app = t.second_process().await;
            app.store.close().await;
            (app, None)
        }
    }
}

async fn mailbox_messages_are_taken_in_once(backend: TestBackend) {
    let dovecot = Dovecot::start();
    let t = TestApp::spawn_with(
        backend,
        |c| c.mail.max_message_bytes = LIMIT,
        Arc::new(SystemClock),
    )
    .await;
    let files = tempfile::tempdir().unwrap();
    let support = dovecot.mailbox("support");
    let config = config_file(&t, files.path(), vec![support.clone()]);

    dovecot
        .deliver(
            "INBOX",
            &mail(
                "Alpha contact <contact@cn-a.test>",
                "Database cluster down",
                "<imap-1@cn-a.test>",
                "",
                "两台数据库服务器都无法启动。",
            ),
        )
        .await;
    dovecot
        .deliver(
            "INBOX",
            &mail(
                "someone@unknown.test",
                "Hello",
                "<imap-2@unknown.test>",
                "",
                "Who?",
            ),
        )
        .await;

    // The database is down: nothing is stored, so nothing is marked.
    let (down, lock) = database_down(&t, backend).await;
    let polled = imap::poll_once(&down, &support).await.unwrap();
    assert_eq!(
        (polled.fetched, polled.stored, polled.failed),
        (2, 0, 1),
        "{polled:?}"
    );
    assert!(
        polled
            .error
            .as_deref()
            .is_some_and(|e| e.contains("unavailable")),
        "{polled:?}"
    );
    if let Some(mut lock) = lock {
        sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    }
    assert_eq!(dovecot.seen("INBOX").await, [false, false]);
    let (code, _, stderr) = poll_cli(
        &config,
        &[],
        &[
            (
                "CASEBOOK_DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/none",
            ),
            ("CASEBOOK_DATABASE_ACQUIRE_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    assert_eq!(code, 75, "{stderr}");
    assert!(stderr.contains("database is unavailable"), "{stderr}");
    assert_eq!(dovecot.seen("INBOX").await, [false, false]);
    assert!(case_titles(&t).await.is_empty());

    // The database is back: the next poll stores both and only then flags them.
    let (code, lines, stderr) = poll_cli(&config, &[], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["mailbox"], "support");
    assert_eq!(
        lines[0]["polled"],
        serde_json::json!({"fetched": 2, "stored": 2, "failed": 0})
    );
    assert_eq!(case_titles(&t).await, ["Database cluster down"]);
    assert_eq!(dovecot.seen("INBOX").await, [true, true]);
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(list["items"][0]["channel"], "email");
    let number = list["items"][0]["number"].as_str().unwrap().to_owned();

    // Polling again takes nothing; the same messages unseen again open nothing twice.
    let again = imap::poll_once(&t.app, &support).await.unwrap();
    assert_eq!(again, Polled::default());
    dovecot.unsee_all("INBOX").await;
    let again = imap::poll_once(&t.app, &support).await.unwrap();
    assert_eq!((again.fetched, again.stored, again.failed), (2, 2, 0));
    assert_eq!(case_titles(&t).await.len(), 1);
    assert_eq!(dovecot.seen("INBOX").await, [true, true]);

    // after = "move": a reply joins its case, and the message moves to a folder made for it
    // (named in Chinese, so in modified UTF-7 on the wire).
    let archive = ImapMailbox {
        after: ImapAfter::Move,
        move_to: "Casebook/已处理".into(),
        ..dovecot.mailbox("archive")
    };
    dovecot
        .deliver(
            "INBOX",
            &mail(
                "contact@cn-a.test",
                &format!("Re: [Case {number}] Database cluster down"),
                "<imap-4@cn-a.test>",
                "",
                "MOVED-REPLY 已重启",
            ),
        )
        .await;
    let polled = imap::poll_once(&t.app, &archive).await.unwrap();
    assert_eq!((polled.fetched, polled.stored), (1, 1));
    assert_eq!(dovecot.seen("INBOX").await, [true, true], "moved out");
    assert_eq!(dovecot.seen("Casebook/&XfJZBHQG-").await, [true]);
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(timeline.to_string().contains("MOVED-REPLY"), "{timeline}");

    // after = "delete": an auto-reply is recorded and removed from the server.
    let sweeper = ImapMailbox {
        after: ImapAfter::Delete,
        ..dovecot.mailbox("sweeper")
    };
    dovecot
        .deliver(
            "INBOX",
            &mail(
                "user@cn-a.test",
                "Out of office",
                "<imap-5@cn-a.test>",
                "Auto-Submitted: auto-replied\r\n",
                "我正在休假",
            ),
        )
        .await;
    let polled = imap::poll_once(&t.app, &sweeper).await.unwrap();
    assert_eq!((polled.fetched, polled.stored), (1, 1));
    assert_eq!(dovecot.seen("INBOX").await.len(), 2, "deleted");
    assert_eq!(case_titles(&t).await.len(), 1);

    // A wrong password and a server that is not there: clear errors, exit 75.
    let wrong = ImapMailbox {
        password: "wrong".into(),
        ..dovecot.mailbox("wrong-password")
    };
    let err = imap::poll_once(&t.app, &wrong).await.unwrap_err();
    assert_eq!(err.doing, "log in as alice");
    assert!(err.detail.contains("Authentication failed"), "{err}");
    let gone = ImapMailbox {
        port: free_port(),
        ..dovecot.mailbox("gone")
    };
    let err = imap::poll_once(&t.app, &gone).await.unwrap_err();
    assert_eq!(err.doing, "connect", "{err}");
    let config = config_file(&t, files.path(), vec![support.clone(), wrong]);
    let (code, lines, stderr) = poll_cli(&config, &[], &[]).await;
    assert_eq!(code, 75, "{stderr}");
    assert!(
        stderr.contains("\"wrong-password\": cannot log in as alice"),
        "{stderr}"
    );
    assert_eq!(lines.len(), 2, "every mailbox is polled: {lines:?}");
    assert_eq!(lines[0]["polled"]["fetched"], 0);
    let (code, lines, _) = poll_cli(&config, &["--mailbox", "support"], &[]).await;
    assert_eq!((code, lines.len()), (0, 1));
    let (code, _, stderr) = poll_cli(&config, &["--mailbox", "nosuch"], &[]).await;
    assert_eq!(code, 78, "{stderr}");
    let config = config_file(&t, files.path(), Vec::new());
    let (code, _, stderr) = poll_cli(&config, &[], &[]).await;
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("no [[imap.mailboxes]]"), "{stderr}");

    // The server's watcher: with an hour between polls, new mail still comes in at once (IDLE).
    let watched = ImapMailbox {
        poll_interval_secs: 3600,
        ..support
    };
    let app = t.app.clone();
    let watcher = tokio::spawn(async move { imap::watch(&app, &watched).await });
    for (i, title) in ["Watched one", "Watched two"].iter().enumerate() {
        let id = format!("<imap-watch-{i}@cn-a.test>");
        dovecot
            .deliver("INBOX", &mail("user@cn-a.test", title, &id, "", "请处理"))
            .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !case_titles(&t).await.iter().any(|c| c == title) {
            assert!(Instant::now() < deadline, "{title} was not taken in");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    watcher.abort();
    assert_eq!(case_titles(&t).await.len(), 3);
}
