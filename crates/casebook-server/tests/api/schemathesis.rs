//! Schemathesis against the served OpenAPI document: every operation, every check, on a fresh
//! server with the demo data. Any server error, undocumented status, response that breaks its
//! schema, schema-valid request refused as unreadable or schema-invalid request accepted fails
//! the test. Schemathesis is a Python tool (`.ci/run` installs the pinned version); a machine
//! without it fails here with the command that installs it, never skips.
//!
//! Two runs: the first with the demo admin's token over every operation except those that can
//! end the caller's own access; the second, last, with another admin's token over just those.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::processes::{Contained, Group};

on_both_backends!(schemathesis_finds_no_fault);

/// The version `.ci/run` installs; another one may generate other requests and check otherwise.
const VERSION: &str = "4.32.5";

/// Generated requests per operation and phase: enough to reach each operation's refusals and
/// boundaries, few enough for a few minutes on two cores.
const MAX_EXAMPLES: &str = "25";

/// A fixed seed, so that a failure is the same on the next run; change it to explore.
const SEED: &str = "19";

/// The operations that can end the access of the token that calls them: revoking a token,
/// signing out (everywhere, with the tokens), changing a user (deactivating or demoting the
/// caller, a new password that revokes tokens).
const SESSION_ENDING: [&str; 4] = [
    "DELETE /api/v1/tokens/{id}",
    "POST /api/v1/auth/sign-out",
    "POST /api/v1/users/{id}/sign-out-everywhere",
    "PATCH /api/v1/users/{id}",
];

/// Operations run apart from the others, beside the session-ending ones: DELETE of a mail
/// template removes the administrator's edit and the built-in text answers again (docs/mail.md,
/// "Templates"), which the stateful phase's use_after_free check calls a deleted resource still
/// there. The stateful phase reads the checks of the whole run, not those of an operation, so
/// the `[[operations]]` setting below does not reach it; run apart, no GET of the template
/// follows the DELETE, and every other check still applies to it.
const APART: [&str; 1] = ["DELETE /api/v1/mail-templates/{kind}/{lang}"];

/// Schemathesis's configuration; each setting that narrows a check says why.
const CONFIG: &str = r#"
# Written by crates/casebook-server/tests/api/schemathesis.rs.

# The cursor is opaque: only a `next_cursor` the server made is one, and any other string is
# refused with 400 `invalid_cursor` (docs/api.md). JSON Schema cannot describe the strings the
# server made, so generated requests send the empty cursor, which is the first page;
# bad_input.rs tests refused cursors.
[parameters]
"query.cursor" = ""

# positive_data_acceptance: a request that fits the schema may still be refused with 422 for
# what JSON Schema cannot say (an organisation id that does not exist, an e-mail address already
# taken, `to` before `from`, a contract that does not cover the unit): docs/api.md documents
# 422 `validation_failed` for these. 400 stays unexpected: a schema-valid request must always
# be readable. negative_data_rejection is unchanged, so every request the schema forbids must
# be refused.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# negative_data_rejection: a body over the size limit is refused with 413 before it is read, so
# whether it was also schema-invalid never comes up; 413 is a refusal like the defaults.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# use_after_free: DELETE of a mail template removes the administrator's edit and the built-in
# text answers again (docs/mail.md, "Templates"); the template is still there by design.
[[operations]]
include-path = "/api/v1/mail-templates/{kind}/{lang}"
checks.use_after_free.enabled = false
"#;

/// The `st` command of the pinned schemathesis, or a failure saying how to install it.
fn schemathesis() -> PathBuf {
    let install = format!("python3 -m pip install schemathesis=={VERSION} (as .ci/run does)");
    // pip puts `st` in the scripts folder of the Python that installed it.
    let scripts = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let st = scripts
        .map(|dir| dir.join("st"))
        .filter(|st| st.exists())
        .unwrap_or_else(|| PathBuf::from("st"));
    let version = std::process::Command::new(&st)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("schemathesis is missing ({e}): {install}"));
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.contains(VERSION),
        "schemathesis {VERSION} is needed, found {version:?}: {install}"
    );
    st
}

/// Runs `st run` against the served document with `token`; panics with its output on failure.
/// A run that stopped only on hypothesis's own internal error ("AST constructor recursion depth
/// mismatch", raised by Python's `ast` while hypothesis describes a generator, before any
/// request) tested nothing of that operation: it runs again, at most twice more, and the last
/// result counts. A run that found a fault fails at once.
async fn run(st: &Path, dir: &Path, t: &TestApp, token: &str, operations: &[String], label: &str) {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        let Err(text) = run_once(st, dir, t, token, operations, label).await else {
            return;
        };
        let tooling =
            text.contains("AST constructor recursion depth mismatch") && !text.contains("FAILURES");
        if !tooling || attempt == ATTEMPTS {
            panic!("schemathesis ({label}) found faults:\n{text}");
        }
        eprintln!("schemathesis ({label}): hypothesis failed internally, running again");
    }
}

/// One `st run`; its output when it found faults.
async fn run_once(
    st: &Path,
    dir: &Path,
    t: &TestApp,
    token: &str,
    operations: &[String],
    label: &str,
) -> Result<(), String> {
    let output = dir.join(format!("{label}.txt"));
    let mut command = tokio::process::Command::new(st);
    command
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .arg(t.url("/api/v1/openapi.json"))
        .args(["--checks", "all"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", SEED])
        // One worker: with two, hypothesis describes its generators on two threads at once, and
        // CPython's `ast` module, whose recursion-depth counter the threads share, raised
        // "AST constructor recursion depth mismatch" in most runs (three in a row on one CI-like
        // machine), before any request of the operation was made.
        .args(["--workers", "1"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "20"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--no-color"])
        .args(operations)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{label}.err"))).unwrap())
        .kill_on_drop(true)
        .contained();
    let mut child = command.spawn().expect("schemathesis starts");
    // Stops schemathesis and anything it started when the test ends, failed or not.
    let _group = Group::of(child.id().expect("schemathesis runs"));
    let started = Instant::now();
    let status = match tokio::time::timeout(Duration::from_secs(1200), child.wait()).await {
        Ok(status) => status.expect("schemathesis runs"),
        Err(_) => {
            child.kill().await.ok();
            panic!("schemathesis ({label}) did not finish in 20 minutes");
        }
    };
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    let errors = std::fs::read_to_string(dir.join(format!("{label}.err"))).unwrap_or_default();
    eprintln!(
        "schemathesis ({label}) took {:.0?}: {}",
        started.elapsed(),
        text.lines().last().unwrap_or_default()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("({status}):\n{text}\n{errors}"))
    }
}

async fn schemathesis_finds_no_fault(backend: TestBackend) {
    let st = schemathesis();
    let t = TestApp::spawn(backend).await;
    let token = casebook_server::cli::demo::load(&t.app)
        .await
        .expect("the demo data loads");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schemathesis.toml"), CONFIG).unwrap();

    let mut others = Vec::new();
    let mut ending = Vec::new();
    for name in SESSION_ENDING.into_iter().chain(APART) {
        others.extend(["--exclude-name".to_owned(), name.to_owned()]);
        ending.extend(["--include-name".to_owned(), name.to_owned()]);
    }
    run(&st, dir.path(), &t, &token, &others, "main").await;
    // An operation that ended the run's own access would have made the rest of it 401s, which
    // the document allows: it belongs in SESSION_ENDING.
    let (status, me) = t.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "the main run lost its access: {me}");
    run(&st, dir.path(), &t, &t.admin, &ending, "session-ending").await;
}
