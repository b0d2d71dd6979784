//! Time accounting in a real browser (Debian's chromium through chromedriver, with the setup of
//! `browser.rs`), on SQLite and PostgreSQL: an engineer records 90 minutes with a reply in the
//! console's reply box and 30 more with the time form; the customer's administrator follows the
//! portal's contracts page to the contract's hours, sees what is used and left, the month and the
//! case the time went to, but not the time's notes; a customer user of the same organisation
//! gets no link (the API test checks the refusal). No console errors, and the page fits the
//! window.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;

on_both_backends!(time_recorded_in_the_console_shows_in_the_portal);

async fn time_recorded_in_the_console_shows_in_the_portal(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "li.gong@vendor.test", "李工", "engineer", None).await;
    user_with_password(
        &t,
        "it@alpha.test",
        "信息中心",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(
        &t,
        "staff@alpha.test",
        "普通用户",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-HOURS", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "hours": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let id = contract["id"].as_i64().unwrap();
    let number = t.case_of_a().await;

    let mut b = Browser::start(&t.base, name).await;
    b.go("/sign-in").await;
    b.switch_language().await;
    b.sign_in("li.gong@vendor.test").await;
    b.go(&format!("/console/cases/{number}")).await;
    b.fill("#reply-body", "已远程登录服务器，调整了连接池参数。")
        .await;
    b.fill("#r-minutes", "90").await;
    b.el("#r-activity")
        .await
        .select_by_value("remote")
        .await
        .unwrap();
    b.submit(".reply-form button[type=submit]").await;
    let box_text = b.text("#work").await;
    assert!(box_text.contains("1.5"), "{box_text}");
    // Time alone, not billable.
    b.click("#work summary").await;
    b.fill("#w-minutes", "30").await;
    b.el("#w-activity")
        .await
        .select_by_value("analysis")
        .await
        .unwrap();
    b.fill("#w-note", "分析 AWR 报告").await;
    b.click("#w-billable").await;
    b.submit("#work form.stack button[type=submit]").await;
    let box_text = b.text("#work").await;
    assert!(
        box_text.contains("分析 AWR 报告") && box_text.contains("0.5"),
        "{box_text}"
    );
    b.shot("console-case-work-zh").await;
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/work"))
        .await;
    assert_eq!(work["billable_minutes"], 90, "{work}");
    assert_eq!(work["other_minutes"], 30, "{work}");
    b.sign_out().await;

    // The customer's administrator: contracts, then the contract's hours.
    b.sign_in("it@alpha.test").await;
    b.go("/portal/contracts").await;
    b.submit(&format!("a[href='/portal/contracts/{id}/usage']"))
        .await;
    assert_eq!(b.path().await, format!("/portal/contracts/{id}/usage"));
    let page = b.text("main").await;
    assert!(page.contains("已用 1.5 小时，共 2 小时"), "{page}");
    assert!(page.contains("剩余 0.5 小时"), "{page}");
    let month = t
        .app
        .clock
        .now()
        .to_zoned(t.app.config.time_zone())
        .strftime("%Y-%m")
        .to_string();
    assert!(page.contains(&month), "{page}");
    let cases = b.text("#cases-of-month + table").await;
    assert!(cases.contains(&number) && cases.contains("1.5"), "{cases}");
    assert!(b.fits_width().await, "the hours page fits the window");
    b.shot("portal-hours-zh").await;
    b.submit(&format!("a[href='/portal/cases/{number}']")).await;
    assert_eq!(b.path().await, format!("/portal/cases/{number}"));
    let case_page = b.source().await;
    assert!(
        !case_page.contains("分析 AWR 报告"),
        "the time's notes are internal"
    );
    b.sign_out().await;

    // Another customer of the organisation is refused the hours.
    b.sign_in("staff@alpha.test").await;
    b.go("/portal/contracts").await;
    let list = b.source().await;
    assert!(
        !list.contains(&format!("/portal/contracts/{id}/usage")),
        "no link for them"
    );
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
