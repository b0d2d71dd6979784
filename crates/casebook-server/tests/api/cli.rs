//! The command line: config example, admin users and tokens, backup, audit verify, migrate.

use std::process::Output;
use std::time::Duration;

use casebook_server::actions::accounts::sessions;
use casebook_server::app::App;
use casebook_server::clock::SystemClock;
use casebook_store::testing::{TestBackend, TestDb, test_options};
use casebook_store::{Store, on_both_backends, organizations};
use serde_json::json;

use crate::helpers::test_config;
use crate::processes::{Contained, Group};

on_both_backends!(admin_commands_backup_and_audit_verify);

async fn casebook(args: &[&str], url: &str, stdin: Option<&str>) -> Output {
    casebook_with(
        args,
        &[("CASEBOOK_DATABASE_URL", url)],
        stdin.unwrap_or_default().as_bytes(),
    )
    .await
}

/// Runs the real binary with these arguments, environment and standard input, in a process
/// group of its own that is stopped if the command overruns or the test panics.
pub async fn casebook_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_casebook"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .contained();
    let mut child = command.spawn().expect("run the casebook binary");
    let _group = Group::of(child.id().expect("the command runs"));
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command finishes")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn config_example_is_valid_toml() {
    let out = casebook(&["config", "example"], "sqlite://unused.db", None).await;
    assert!(out.status.success());
    let parsed: casebook_server::config::Config = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(parsed, casebook_server::config::Config::default());
}

async fn admin_commands_backup_and_audit_verify(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    {
        let mut db = t.store.write().await.unwrap();
        let draft =
            serde_json::from_value(json!({"customer_number": "CLI-1", "name": "命令行客户"}))
                .unwrap();
        organizations::insert(&mut db, &draft, jiff::Timestamp::now())
            .await
            .unwrap();
        db.commit().await.unwrap();
    }

    let out = casebook(
        &[
            "admin",
            "create-user",
            "--email",
            "Ops@Vendor.test",
            "--name",
            "运维",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &t.url,
        Some("a long enough password\n"),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ops@vendor.test"));
    let out = casebook(
        &[
            "admin",
            "create-user",
            "--email",
            "cust@cli.test",
            "--name",
            "客户",
            "--role",
            "customer_admin",
            "--org",
            "cli-1",
        ],
        &t.url,
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = casebook(
        &[
            "admin",
            "create-user",
            "--email",
            "x@vendor.test",
            "--name",
            "X",
            "--role",
            "superuser",
        ],
        &t.url,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("superuser"),
        "{}",
        text(&out.stderr)
    );
    let out = casebook(
        &[
            "admin",
            "create-user",
            "--email",
            "y@vendor.test",
            "--name",
            "Y",
            "--role",
            "engineer",
            "--password-stdin",
        ],
        &t.url,
        Some("short\n"),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("password"),
        "{}",
        text(&out.stderr)
    );

    let out = casebook(
        &[
            "admin",
            "create-token",
            "--email",
            "ops@vendor.test",
            "--name",
            "monitoring",
        ],
        &t.url,
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let app = App::with_store(
        test_config(&t.url, dir.path()),
        t.store.clone(),
        std::sync::Arc::new(SystemClock),
    );
    let principal = sessions::authenticate_token(&app, &token).await.unwrap();
    assert_eq!(principal.label, "ops@vendor.test");
    let signed_in = sessions::sign_in(&app, "ops@vendor.test", "a long enough password")
        .await
        .unwrap();
    assert_eq!(signed_in.user.name, "运维");

    let backup = dir.path().join("backup.bin");
    let out = casebook(&["backup", backup.to_str().unwrap()], &t.url, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&backup).unwrap();
    match backend {
        TestBackend::Sqlite => {
            assert!(bytes.starts_with(b"SQLite format 3"));
            let copy = Store::open(&test_options(&format!("sqlite://{}", backup.display())))
                .await
                .unwrap();
            let mut db = copy.read().await.unwrap();
            assert!(
                organizations::find_by_customer_number(&mut db, "CLI-1")
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        TestBackend::Postgres => assert!(bytes.starts_with(b"PGDMP"), "a pg_dump custom archive"),
    }
    let out = casebook(&["backup", backup.to_str().unwrap()], &t.url, None).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "an existing file is never overwritten"
    );

    let out = casebook(&["audit", "verify"], &t.url, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("intact"));
    match backend {
        TestBackend::Sqlite => t
            .execute_raw("DROP TRIGGER audit_log_no_update")
            .await
            .unwrap(),
        TestBackend::Postgres => t
            .execute_raw("ALTER TABLE audit_log DISABLE TRIGGER USER")
            .await
            .unwrap(),
    };
    t.execute_raw("UPDATE audit_log SET actor_label = 'forged' WHERE seq = 1")
        .await
        .unwrap();
    let out = casebook(&["audit", "verify"], &t.url, None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Altered"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn migrate_creates_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let out = casebook(&["migrate"], &url, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("migrations applied"));
    let out = casebook(&["migrate"], "mysql://nope", None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unsupported database URL"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn calendar_deadline_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cal.db").display());
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "calendar",
            "deadline",
            "--calendar",
            "china-5x8",
            "--start",
            "2026-09-30T16:50:00+08:00",
        ];
        a.extend_from_slice(extra);
        a
    };
    let out = casebook(&args(&["--minutes", "120"]), &url, None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "2026-10-08T10:20:00+08:00");
    let out = casebook(&args(&["--nbd"]), &url, None).await;
    assert_eq!(text(&out.stdout).trim(), "2026-10-08T17:00:00+08:00");
    let out = casebook(&args(&[]), &url, None).await;
    assert_eq!(out.status.code(), Some(2), "clap refuses a missing target");
    let out = casebook(&args(&["--minutes", "1", "--nbd"]), &url, None).await;
    assert_eq!(out.status.code(), Some(2));
    let out = casebook(
        &[
            "calendar",
            "deadline",
            "--calendar",
            "mars",
            "--start",
            "2026-09-30T16:50:00+08:00",
            "--nbd",
        ],
        &url,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("calendar not found"),
        "{}",
        text(&out.stderr)
    );
}
