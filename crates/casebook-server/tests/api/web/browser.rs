//! The support loop in a real browser: Debian's chromium driven through chromedriver
//! (WebDriver), on SQLite and PostgreSQL. A customer files a case in Chinese with a file; the
//! coordinator finds it in the unassigned queue and assigns it; the engineer replies publicly and
//! adds an internal note, then proposes a solution; the customer sees the reply but not the
//! note and confirms closure; another customer cannot reach the case by its URL. No page logs a
//! console error (CSP violations included). Screenshots of the main pages in both languages go
//! to `target/browser-artifacts/`.
//!
//! chromium and chromedriver must be installed (`apt-get install chromium chromium-driver
//! fonts-noto-cjk`; `.ci/run` does it): without them this test fails, it never skips.
//!
//! A test ends its browser with [`Browser::close`]: the WebDriver session ends, so chromedriver
//! closes the browser, then chromedriver stops. If the test panics first, dropping the
//! `Browser` stops chromedriver's process group, the browser's processes with it
//! (`processes.rs`); `browser_teardown.rs` checks both ways leave nothing running.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{PASSWORD, user_with_password};
use crate::helpers::{INTERNAL_CANARY, TestApp};
use crate::processes::Running;

on_both_backends!(the_support_loop_in_a_browser);

/// How long a page may take to show an element.
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// chromedriver's log endpoint (the browser console).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The variable chromedriver and the browser get the profile folder in, so that every process
/// of one browser can be found (the crash handler leaves the process group and does not
/// mention the profile on its command line).
pub(crate) const BROWSER_TAG: &str = "CASEBOOK_TEST_BROWSER";

pub(crate) struct Browser {
    pub(crate) c: Client,
    /// chromedriver, in a process group with the browser it starts; dropping it stops them.
    driver: Running,
    /// The browser's profile folder, removed after the processes that use it ended.
    profile: tempfile::TempDir,
    base: String,
    backend: &'static str,
    pub(crate) errors: Vec<String>,
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub(crate) async fn start(base: &str, backend: &'static str) -> Browser {
        let chromium =
            std::env::var("CASEBOOK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromium).exists(),
            "no chromium at {chromium}: install Debian's chromium, chromium-driver and fonts-noto-cjk (.ci/run does)"
        );
        let port = free_port();
        let profile = tempfile::Builder::new()
            .prefix("casebook-browser-")
            .tempdir()
            .unwrap();
        let mut driver = Running::spawn(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .env(BROWSER_TAG, profile.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .expect("chromedriver runs: install Debian's chromium-driver (.ci/run does)");
        // chromedriver says when it listens; read at most a few lines of its output.
        let stdout = driver.child().stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .take(20)
                .map_while(Result::ok)
                .any(|l| l.contains("started successfully"))
        })
        .await
        .unwrap();
        assert!(ready, "chromedriver did not start");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--window-size=1366,900", "--lang=en-US",
                         format!("--user-data-dir={}", profile.path().display())]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session");
        Browser {
            c,
            driver,
            profile,
            base: base.to_owned(),
            backend,
            errors: Vec::new(),
        }
    }

    /// Ends the WebDriver session, so that chromedriver closes the browser, then stops
    /// chromedriver.
    pub(crate) async fn close(self) {
        let Browser {
            c,
            mut driver,
            profile,
            ..
        } = self;
        c.close().await.expect("the WebDriver session ends");
        driver.stop();
        drop(profile);
    }

    /// The browser's profile folder; every process of the browser mentions it.
    pub(crate) fn profile(&self) -> &std::path::Path {
        self.profile.path()
    }

    /// chromedriver's process group.
    pub(crate) fn driver_group(&self) -> u32 {
        self.driver.group().id()
    }

    /// Collects the console errors logged since the last look.
    pub(crate) async fn collect_errors(&mut self, at: &str) {
        let log = self.c.issue_cmd(BrowserLog).await.expect("the browser log");
        for entry in log.as_array().cloned().unwrap_or_default() {
            if entry["level"] == "SEVERE" {
                self.errors.push(format!("{at}: {}", entry["message"]));
            }
        }
    }

    pub(crate) async fn go(&mut self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigation");
        self.collect_errors(path).await;
    }

    pub(crate) async fn el(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let el = self.el(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    pub(crate) async fn click(&mut self, css: &str) {
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let url = self.c.current_url().await.unwrap();
        self.collect_errors(url.path()).await;
    }

    /// Clicks something that loads a new page, and waits until the new page is there.
    pub(crate) async fn submit(&mut self, css: &str) {
        self.c
            .execute("document.documentElement.dataset.leaving = '1';", vec![])
            .await
            .unwrap();
        self.click(css).await;
        self.c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("html:not([data-leaving])"))
            .await
            .unwrap_or_else(|e| panic!("no new page after clicking {css}: {e}"));
        let url = self.c.current_url().await.unwrap();
        self.collect_errors(url.path()).await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.el(css).await.text().await.unwrap()
    }

    pub(crate) async fn source(&self) -> String {
        self.c.source().await.unwrap()
    }

    pub(crate) async fn path(&self) -> String {
        let url = self.c.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub(crate) async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(
            artifacts().join(format!("{name}-{}.png", self.backend)),
            png,
        )
        .unwrap();
    }

    pub(crate) async fn sign_in(&mut self, email: &str) {
        self.go("/sign-in").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.submit("form[action='/sign-in'] button[type=submit]")
            .await;
        self.el("header .who").await;
    }

    pub(crate) async fn sign_out(&mut self) {
        self.submit("form[action='/sign-out'] button").await;
        self.el("#email").await;
    }

    /// Switches the page language with the header's button.
    pub(crate) async fn switch_language(&mut self) {
        self.submit(".lang-switch button").await;
    }

    /// Presses keys as a person would (WebDriver key actions on the focused page).
    pub(crate) async fn keys(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.c.perform_actions(actions).await.expect("key presses");
    }

    /// Whether the page fits the window's width (no horizontal scrolling).
    pub(crate) async fn fits_width(&self) -> bool {
        let fits = self
            .c
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap();
        fits == Value::Bool(true)
    }

    pub(crate) async fn lang(&self) -> String {
        self.el("html")
            .await
            .attr("lang")
            .await
            .unwrap()
            .unwrap_or_default()
    }
}

async fn the_support_loop_in_a_browser(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(
        &t,
        "li@cn-b.test",
        "李雷",
        "customer_user",
        Some(t.b.org_id),
    )
    .await;
    user_with_password(&t, "coord@vendor.test", "赵协调", "coordinator", None).await;
    let engineer = user_with_password(&t, "eng@vendor.test", "刘工程师", "engineer", None).await;
    let mut b = Browser::start(&t.base, name).await;

    // The sign-in page, in English first (the browser's language), then Chinese by the switch.
    b.go("/sign-in").await;
    assert_eq!(b.lang().await, "en");
    b.shot("sign-in-en").await;
    b.switch_language().await;
    assert_eq!(b.lang().await, "zh-CN");
    b.shot("sign-in-zh").await;

    // A customer files a case in Chinese, with a log file.
    b.sign_in("wang@cn-a.test").await;
    assert_eq!(b.path().await, "/portal");
    b.submit("a[href='/portal/cases/new']").await;
    b.shot("portal-new-case-zh").await;
    b.fill("#n-title", "数据库连接失败，交易中断").await;
    b.click("#sev-2").await;
    b.fill(
        "#n-description",
        "今天上午九点起，应用无法连接数据库，报错 connection refused。",
    )
    .await;
    b.fill("#n-os", "麒麟 V10").await;
    let log = tempfile::NamedTempFile::with_suffix(".log").unwrap();
    std::fs::write(log.path(), "2026-11-29 09:00:01 ERROR connection refused\n").unwrap();
    b.el("#n-files")
        .await
        .send_keys(log.path().to_str().unwrap())
        .await
        .unwrap();
    b.submit("form.new-case button[type=submit]").await;
    let notice = b.text("#opened").await;
    let number = b.text("h1 .number").await;
    assert!(
        notice.contains(&number),
        "the case number at once: {notice}"
    );
    assert!(b.source().await.contains(".log"), "the file is on the case");
    // The initial-response deadline counts down in the page.
    b.c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//time[@data-countdown and contains(., '剩余')]",
        ))
        .await
        .expect("a running countdown");
    b.shot("portal-case-opened-zh").await;
    // The log previewed: numbered lines, and a search marks the word.
    b.submit("#timeline a.preview").await;
    b.el("#L1").await;
    b.fill("#p-q", "refused").await;
    b.submit(".log-search button[type=submit]").await;
    assert_eq!(b.text("#log mark").await, "refused");
    b.shot("portal-log-preview-zh").await;
    b.go("/portal").await;
    b.shot("portal-cases-zh").await;
    b.go("/portal/contracts").await;
    b.shot("portal-contracts-zh").await;
    b.sign_out().await;

    // The coordinator finds it in the unassigned queue and assigns it to the engineer.
    b.sign_in("coord@vendor.test").await;
    assert_eq!(b.path().await, "/console");
    b.submit("nav.tabs a[href='/console?queue=unassigned']")
        .await;
    b.shot("console-unassigned-zh").await;
    b.submit(&format!("a.case-link[href='/console/cases/{number}']"))
        .await;
    b.el(&format!("#c-owner option[value='{engineer}']"))
        .await
        .click()
        .await
        .unwrap();
    b.submit("form[action$='/change'] button[type=submit]")
        .await;
    let owner = b.text(".facts").await;
    assert!(owner.contains("刘工程师"), "{owner}");
    // Phone intake: the organisation's open cases show at once; picking the caller narrows
    // them to the caller's, and the case opened is the caller's, in the category "fault".
    b.go("/console/intake?customer_number=CN-A").await;
    b.el("#entitlement").await;
    assert!(b.text("#caller-cases").await.contains(&number));
    b.el(&format!("#i-caller option[value='{}']", t.a.contact_id))
        .await
        .click()
        .await
        .unwrap();
    b.submit("#caller-picker button[type=submit]").await;
    let picked = b.el("#i-caller option[selected]").await.attr("value").await;
    assert_eq!(picked.unwrap(), Some(t.a.contact_id.to_string()));
    b.shot("console-intake-zh").await;
    b.fill("#i-title", "来电：备份任务失败").await;
    b.click("#sev-3").await;
    b.fill(
        "#i-description",
        "客户来电，昨晚备份任务失败，报磁带库离线。",
    )
    .await;
    b.submit("form[action='/console/intake'][method='post'] button[type=submit]")
        .await;
    let path = b.path().await;
    let phoned = path.trim_start_matches("/console/cases/").to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{phoned}")).await;
    assert_eq!(case["contact"]["id"], json!(t.a.contact_id), "{case}");
    assert_eq!(
        (case["channel"].as_str(), case["category"].as_str()),
        (Some("phone"), Some("defect"))
    );

    // The queue updates by itself when a case is opened elsewhere (no reload).
    b.go("/console?queue=unassigned").await;
    b.c.execute("window.casebookMarker = 42;", vec![])
        .await
        .unwrap();
    let other = t.case_of_a().await;
    b.el(&format!("a.case-link[href='/console/cases/{other}']"))
        .await;
    let marker =
        b.c.execute("return window.casebookMarker;", vec![])
            .await
            .unwrap();
    assert_eq!(marker, json!(42), "the row arrived without a reload");

    // Keyboard: "?" shows the shortcuts, "g i" goes to phone intake.
    b.keys("?").await;
    assert!(
        b.el("#shortcuts")
            .await
            .attr("open")
            .await
            .unwrap()
            .is_some(),
        "the shortcuts dialog opened"
    );
    b.click("#shortcuts button").await;
    b.keys("gi").await;
    b.el("#l-customer").await;
    assert_eq!(b.path().await, "/console/intake");

    // At 200 % zoom (half the width) the pages reflow instead of scrolling sideways.
    b.c.set_window_size(683, 900).await.unwrap();
    for path in [
        "/console?queue=unassigned".to_owned(),
        format!("/console/cases/{number}"),
        "/console/intake?customer_number=CN-A".into(),
    ] {
        b.go(&path).await;
        assert!(b.fits_width().await, "{path} scrolls sideways at 200 %");
    }
    b.shot("console-case-narrow-zh").await;
    b.c.set_window_size(1366, 900).await.unwrap();
    b.sign_out().await;

    // The engineer replies publicly, adds an internal note, then proposes a solution.
    b.sign_in("eng@vendor.test").await;
    b.go(&format!("/console/cases/{number}")).await;
    b.fill("#reply-body", "您好，请检查数据库监听端口 5432 是否开放。")
        .await;
    b.submit("form.reply-form button[type=submit]").await;
    b.click("#vis-internal").await;
    b.fill(
        "#reply-body",
        &format!("内部：怀疑防火墙策略变更 {INTERNAL_CANARY}"),
    )
    .await;
    b.submit("form.reply-form button[type=submit]").await;
    let timeline = b.text("#timeline").await;
    assert!(
        timeline.contains("5432") && timeline.contains(INTERNAL_CANARY),
        "{timeline}"
    );
    // A macro from the reply box, by keyboard: "m" picks the template, "Insert" puts its text for
    // this case into the reply box (from the API, no reload), "Apply" posts it and starts work.
    let (status, made) = t
        .post(
            &t.admin,
            "/api/v1/reply-templates",
            json!({"name": "开始处理", "shared": true,
            "body_zh": "您好，问题 {{ case.number }} 已由{{ engineer.name }}开始处理。",
            "body_en": "Case {{ case.number }} is being worked on.",
            "changes": {"status": "in_progress"}}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{made}");
    b.go(&format!("/console/cases/{number}")).await;
    b.keys("m").await;
    let focused =
        b.c.execute("return document.activeElement.id;", vec![])
            .await
            .unwrap();
    assert_eq!(focused, json!("t-template"));
    b.click("#template-picker button[value='insert']").await;
    let wanted = format!("问题 {number} 已由刘工程师开始处理");
    b.el("#reply-body[data-inserted]").await;
    let typed =
        b.c.execute(
            "return document.getElementById('reply-body').value;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        typed.as_str().unwrap_or_default().contains(&wanted),
        "{typed}"
    );
    b.submit("#template-picker button[value='apply']").await;
    assert!(b.text("#timeline").await.contains(&wanted));
    assert!(b.text(".facts .status").await.contains("处理中"));
    for status in ["solution_proposed"] {
        b.el(&format!("#c-status option[value='{status}']"))
            .await
            .click()
            .await
            .unwrap();
        b.submit("form[action$='/change'] button[type=submit]")
            .await;
    }
    assert!(b.text(".facts .status").await.contains("待客户确认"));
    b.shot("console-case-zh").await;
    b.switch_language().await;
    assert_eq!(b.lang().await, "en");
    b.shot("console-case-en").await;
    b.go("/console").await;
    b.shot("console-queue-en").await;
    b.go("/console/intake?customer_number=CN-A").await;
    b.shot("console-intake-en").await;
    b.sign_out().await;

    // The customer sees the reply, not the note, and confirms closure.
    b.sign_in("wang@cn-a.test").await;
    b.go(&format!("/portal/cases/{number}")).await;
    let page = b.source().await;
    assert!(page.contains("5432"), "the public reply is shown");
    assert!(!page.contains(INTERNAL_CANARY), "the internal note is not");
    b.shot("portal-solution-proposed-zh").await;
    b.submit("#accept-solution").await;
    b.el(".facts .status-closed").await;
    b.switch_language().await;
    b.shot("portal-case-closed-en").await;
    b.go("/portal/cases/new").await;
    b.shot("portal-new-case-en").await;
    b.sign_out().await;

    // Another customer cannot reach the case by its URL.
    b.sign_in("li@cn-b.test").await;
    b.go(&format!("/portal/cases/{number}")).await;
    let page = b.source().await;
    assert!(!page.contains("数据库连接失败"), "nothing of the case");
    assert!(b.text("main h1").await.len() > 3, "a not-found page");
    // (The 404 itself is logged by the browser as a failed resource: expected, removed below.)
    b.errors
        .retain(|e| !(e.contains(&number) && e.contains("404")));

    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["status"], "closed");
    assert_eq!(
        case["closure_confirmation"]["confirmed_by"]["name"],
        "王小明"
    );
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
