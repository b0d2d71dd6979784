//! The demo's call-home fleet, on SQLite and PostgreSQL: the demo data with its key file, played
//! by the real `casebook call-home simulate`: faults open cases under the fleet's 7×24 contract,
//! repeats fold into them, recoveries annotate them, one device's storm is suppressed, and when
//! the fleet stops sending heartbeats its devices are flagged silent.

use std::sync::Arc;

use casebook_server::actions::call_home::watch;
use casebook_server::cli::demo;
use casebook_server::clock::{Clock, ManualClock, SystemClock};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;

use crate::cli::casebook_with;
use crate::helpers::TestApp;

on_both_backends!(the_demo_fleet_calls_home);

async fn the_demo_fleet_calls_home(backend: TestBackend) {
    // The desk's clock stands still while the fleet plays (within the signatures' window), then
    // moves on to when heartbeats are overdue.
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let t = TestApp::spawn_with(backend, |_| {}, clock.clone()).await;
    demo::load(&t.app).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let key_file = demo::call_home::key_file(&t.app, data.path())
        .await
        .unwrap();
    assert_eq!(
        demo::call_home::key_file(&t.app, data.path())
            .await
            .unwrap(),
        key_file,
        "made once"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let simulate = format!(
        "call-home simulate --devices {} --rate 24 --duration 3 --seed 11 --target {} --key-file {}",
        demo::call_home::FLEET_SIZE,
        t.base,
        key_file.display()
    );
    let args: Vec<&str> = simulate.split(' ').collect();
    let run = casebook_with(&args, &[], b"").await;
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Every case the fleet opened runs on its contract's 7×24 plan; repeats and recoveries are
    // on them, and one storm.
    let (status, list) = t
        .get(&t.engineer, "/api/v1/cases?channel=call_home&limit=200")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let cases = list["items"].as_array().unwrap();
    assert!(!cases.is_empty(), "{out}");
    let mut timelines = String::new();
    for case in cases {
        let number = case["number"].as_str().unwrap();
        let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
        let e = &case["entitlement"];
        assert_eq!(
            (
                e["outcome"].as_str(),
                e["contract_number"].as_str(),
                e["plan"].as_str()
            ),
            (
                Some("entitled"),
                Some("HT-CN-10001-CH"),
                Some("premium-7x24")
            ),
            "{case}"
        );
        let (_, timeline) = t
            .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
            .await;
        timelines.push_str(&timeline.to_string());
    }
    for seen in ["again", "cleared", "Event storm"] {
        assert!(timelines.contains(seen), "{seen}: {timelines}");
    }

    // The fleet is quiet now: a few minutes on, its devices are flagged silent, each once.
    clock.advance(SignedDuration::from_mins(10));
    let flagged = watch::sweep(&t.app, 50).await.unwrap();
    assert_eq!(flagged, demo::call_home::FLEET_SIZE as usize, "{out}");
    assert_eq!(watch::sweep(&t.app, 50).await.unwrap(), 0);
}
