//! A browser leaves nothing running: ending the WebDriver session closes chromium (its crash
//! handler too, which runs outside chromedriver's process group), [`Browser::close`] then stops
//! chromedriver, and a test that panics with its browser open takes the whole process tree down
//! as the `Browser` is dropped.

use std::time::Duration;

use super::browser::Browser;
use crate::processes::{self, Process};

/// How long processes may take to end after they were told to.
const ENDING: Duration = Duration::from_secs(20);

/// The browser's processes: all mention its profile folder (chromedriver and the crash handler
/// in their environment, the others on their command line).
fn processes_of(profile: &str) -> Vec<Process> {
    processes::mentioning(profile)
}

fn names(processes: &[Process]) -> Vec<String> {
    processes
        .iter()
        .map(|p| format!("{} {}", p.pid, p.name))
        .collect()
}

/// Starts a browser and shows a page, so that it runs a renderer too; returns it with its
/// profile folder.
async fn browser_with_a_page() -> (Browser, String) {
    let b = Browser::start("http://127.0.0.1:9", "teardown").await;
    b.c.goto("data:text/html,<title>t</title><p>Hello")
        .await
        .expect("a page");
    let profile = b.profile().display().to_string();
    let running = processes_of(&profile);
    let has = |name: &str| running.iter().any(|p| p.name.starts_with(name));
    assert!(
        has("chromedriver") && has("chromium") && has("chrome_crashpad"),
        "chromedriver, chromium and its crash handler run: {:?}",
        names(&running)
    );
    assert!(
        running.iter().filter(|p| p.name == "chromium").count() >= 2,
        "the browser runs helper processes: {:?}",
        names(&running)
    );
    (b, profile)
}

#[tokio::test]
async fn ending_the_session_closes_the_browser() {
    let (b, profile) = browser_with_a_page().await;
    let driver = b.driver_group();
    b.c.clone()
        .close()
        .await
        .expect("the WebDriver session ends");
    // chromedriver still runs; everything else of the browser ended without a signal of ours.
    let only_chromedriver = processes::eventually(ENDING, || {
        processes_of(&profile).iter().all(|p| p.pid == driver)
    });
    assert!(
        only_chromedriver,
        "left after the session ended: {:?}",
        names(&processes_of(&profile))
    );
    drop(b);
    assert!(
        processes_of(&profile).is_empty(),
        "left after dropping the browser: {:?}",
        names(&processes_of(&profile))
    );
}

#[tokio::test]
async fn closing_leaves_nothing_running() {
    let (b, profile) = browser_with_a_page().await;
    b.close().await;
    assert!(
        processes::eventually(ENDING, || processes_of(&profile).is_empty()),
        "left after close: {:?}",
        names(&processes_of(&profile))
    );
    assert!(
        !std::path::Path::new(&profile).exists(),
        "the profile folder is removed"
    );
}

#[tokio::test]
async fn a_test_that_panics_leaves_nothing_running() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let (b, profile) = browser_with_a_page().await;
        tx.send(profile).unwrap();
        // The browser is still open when the test fails.
        let _open = &b;
        panic!("a failing test with its browser open (this panic is expected)");
    });
    let failed = test.await.expect_err("the test panicked");
    assert!(failed.is_panic());
    let profile = rx.await.expect("the browser had started");
    assert!(
        processes::eventually(ENDING, || processes_of(&profile).is_empty()),
        "left after the panic: {:?}",
        names(&processes_of(&profile))
    );
}
