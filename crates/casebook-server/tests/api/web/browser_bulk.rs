//! Bulk actions on the queue in a real browser (Debian's chromium through chromedriver, with
//! the setup of `browser.rs`), on SQLite and PostgreSQL: a coordinator ticks every case of the
//! unassigned queue with "select all", one case is changed behind the page's back (the live
//! refresh leaves the ticked table alone), and the tier change applied to the selection changes
//! the others and reports the conflicting one as changed by someone else. No console errors.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;

on_both_backends!(bulk_tier_change_with_one_conflict_in_a_browser);

async fn bulk_tier_change_with_one_conflict_in_a_browser(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "coord@vendor.test", "赵协调", "coordinator", None).await;
    let mut numbers = Vec::new();
    for title in ["邮件服务器无法收信", "存储阵列告警", "打印服务停止"] {
        let number = t
            .open_case(
                &t.coordinator,
                json!({"title": title, "description": "客户来电", "severity": 3,
                    "organization_id": t.a.org_id, "channel": "phone"}),
            )
            .await;
        numbers.push(number);
    }
    let mut b = Browser::start(&t.base, name).await;
    b.go("/sign-in").await;
    b.switch_language().await;
    b.sign_in("coord@vendor.test").await;
    b.go("/console?queue=unassigned").await;
    for n in &numbers {
        b.el(&format!("input[name=case][value^='{n}@']")).await;
    }
    // "Select all" is shown by the page's script and ticks every row of the page.
    b.click("#select-page:not([hidden])").await;
    for n in &numbers {
        let ticked = b
            .el(&format!("input[name=case][value^='{n}@']"))
            .await
            .prop("checked")
            .await
            .unwrap();
        assert_eq!(ticked.as_deref(), Some("true"), "{n} is ticked");
    }
    b.shot("console-bulk-selected-zh").await;

    // Someone changes the second case while the page is open.
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{}", numbers[1]),
            json!({"severity": 2, "reason": "影响扩大"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    b.el("#bulk-kind")
        .await
        .select_by_value("tier")
        .await
        .unwrap();
    b.el("#bulk-tier")
        .await
        .select_by_value("l2")
        .await
        .unwrap();
    b.fill("#bulk-text", "需要二线存储专家分析").await;
    b.submit("#bulk-form button[type=submit]").await;
    b.el(".bulk-results").await;
    b.shot("console-bulk-results-zh").await;
    let ok = b.text("tbody").await;
    assert!(ok.contains("已修改") && ok.contains("已被他人修改"), "{ok}");
    let failed = b.text("tr.bulk-failed").await;
    assert!(failed.contains(&numbers[1]), "{failed}");
    for (i, n) in numbers.iter().enumerate() {
        let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{n}")).await;
        assert_eq!(case["tier"] == "l2", i != 1, "{n}: {case}");
    }
    // Back to the queue, where the second case can be changed again at its new version.
    b.submit("a.button[href^='/console?']").await;
    assert_eq!(b.path().await, "/console?queue=unassigned");
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
