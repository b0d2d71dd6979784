//! The managers' dashboard in a real browser (Debian's chromium through chromedriver, with the
//! setup of `browser.rs`), in Chinese, on SQLite and PostgreSQL: a manager opens it from the
//! menu, reads the scenario of `dashboard_pages.rs` drawn and tabled, narrows it to one
//! organisation with the filter form (no script needed), and the figures follow. No console
//! errors, the page fits the window; a screenshot is kept.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use super::browser::Browser;
use super::dashboard_pages::{PERIOD, scenario};
use super::user_with_password;

on_both_backends!(a_manager_reads_the_dashboard_in_chinese);

async fn a_manager_reads_the_dashboard_in_chinese(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let s = scenario(backend).await;
    let t = &s.t;
    user_with_password(t, "zhou@vendor.test", "周经理", "manager", None).await;
    let mut b = Browser::start(&t.base, name).await;
    b.go("/sign-in").await;
    b.switch_language().await;
    b.sign_in("zhou@vendor.test").await;
    b.submit("nav a[href='/console/dashboard']").await;
    assert_eq!(b.path().await, "/console/dashboard");
    assert_eq!(b.lang().await, "zh-CN");
    // The default period (six months up to today) holds the whole scenario.
    let volume = b.text("#chart-volume-by-channel table").await;
    assert!(volume.contains("电话") && volume.contains('4'), "{volume}");
    b.go(&format!("/console/dashboard?{PERIOD}")).await;
    let attainment = b.text("#chart-sla-attainment table").await;
    assert!(
        attainment.contains("首次响应") && attainment.contains("50.0%"),
        "{attainment}"
    );
    let drawn = b.el("#chart-backlog-by-severity svg[role=img]").await;
    let size = drawn.rectangle().await.unwrap();
    assert!(
        size.2 > 200.0 && size.3 > 100.0,
        "the chart is drawn: {size:?}"
    );
    assert!(b.fits_width().await, "the dashboard fits the window");
    b.shot("console-dashboard-zh").await;
    b.go(&format!("/console/dashboard?{PERIOD}#chart-sla-attainment"))
        .await;
    b.shot("console-dashboard-charts-zh").await;

    // One organisation, chosen in the form.
    b.el("#d-org")
        .await
        .select_by_value(&t.a.org_id.to_string())
        .await
        .unwrap();
    b.submit(".dashboard-filters button[type=submit]").await;
    let volume = b.text("#chart-volume-by-organization table").await;
    assert!(
        volume.contains("Alpha") && !volume.contains("Beta"),
        "{volume}"
    );
    let channel = b.text("#chart-volume-by-channel table").await;
    assert!(channel.contains('3'), "{channel}");
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
