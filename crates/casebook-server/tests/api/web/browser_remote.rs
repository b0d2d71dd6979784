//! Remote diagnosis in a real browser (the setup of `browser.rs`), on SQLite and PostgreSQL:
//! an engineer requests a session from the case page's form; the customer's administrator, in
//! the portal in Chinese, sees the request with its purpose and window and approves it; the
//! engineer starts it, pastes a transcript into its log and ends it; the session's log page
//! shows the lines and that the log still matches its seal. Screenshots are kept.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;

on_both_backends!(a_customer_approves_a_remote_session_in_the_portal);

async fn a_customer_approves_a_remote_session_in_the_portal(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "wang@vendor.test", "王工", "engineer", None).await;
    user_with_password(
        &t,
        "li@cn-a.test",
        "李经理",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let number = t.case_of_a().await;
    let case_page = format!("/console/cases/{number}");

    let mut b = Browser::start(&t.base, name).await;
    b.sign_in("wang@vendor.test").await;
    b.go(&case_page).await;
    b.fill("#remote-purpose", "Collect the controller logs")
        .await;
    b.fill("#remote-method", "SSH over the customer's VPN")
        .await;
    b.submit("#remote-request button[type=submit]").await;
    let (_, sessions) = t
        .get(
            &t.engineer,
            &format!("/api/v1/cases/{number}/remote-sessions"),
        )
        .await;
    let id = sessions[0]["id"].as_i64().expect("the requested session");
    let shown = b.text("#remote").await;
    assert!(
        shown.contains("Waiting for approval") && shown.contains("Collect the controller logs"),
        "{shown}"
    );
    b.sign_out().await;

    b.sign_in("li@cn-a.test").await;
    b.switch_language().await;
    b.go(&format!("/portal/cases/{number}")).await;
    let asked = b.text("#remote").await;
    assert!(
        asked.contains("等待审批") && asked.contains("SSH over the customer's VPN"),
        "{asked}"
    );
    assert!(b.fits_width().await, "the request fits the window");
    b.shot("portal-remote-approve-zh").await;
    b.submit(&format!("#remote-approve-{id}")).await;
    let approved = b.text("#remote").await;
    assert!(
        approved.contains("已批准") && approved.contains("李经理"),
        "{approved}"
    );
    b.el(&format!("#remote-revoke-{id}")).await;
    b.sign_out().await;

    b.sign_in("wang@vendor.test").await;
    b.go(&case_page).await;
    b.submit(&format!("#remote-start-{id}")).await;
    b.fill(
        &format!("#remote-lines-{id}"),
        "$ show controller status\ncontroller B: offline",
    )
    .await;
    b.submit(".remote-log-form button[type=submit]").await;
    b.submit(&format!("#remote-end-{id}")).await;
    let ended = b.text("#remote").await;
    // The language chosen in the portal stays with the browser.
    assert!(
        ended.contains("已结束") && ended.contains("2 行"),
        "{ended}"
    );
    b.submit(&format!("#remote-{id} a[href='/console/remote/{id}']"))
        .await;
    let log = b.text("#remote-log").await;
    assert!(log.contains("controller B: offline"), "{log}");
    b.el("#seal-intact").await;
    b.shot("console-remote-log").await;
    b.close().await;
}
