//! Self-service deflection in a real browser (Debian's chromium through chromedriver, with the
//! setup of `browser.rs`), on SQLite and PostgreSQL: a customer types a new case's title, sees a
//! published article suggested, and leaves the page: one deflection is counted (the page's
//! beacon). Opening a suggestion and answering "yes, this solved it" counts one more; filing the
//! case after seeing suggestions counts nothing. No page logs a console error.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use super::browser::Browser;
use super::kb_pages::{deflections, published};
use super::user_with_password;
use crate::helpers::TestApp;
use crate::search::wait_for;

on_both_backends!(deflection_in_a_browser);

/// Waits until staff count `expected` deflections, failing after 20 s.
async fn until_deflections(t: &TestApp, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let count = deflections(t).await;
        if count == expected {
            return;
        }
        assert!(
            count < expected && Instant::now() < deadline,
            "{count} deflections, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deflection_in_a_browser(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    let id = published(&t, "数据库连接失败的排查", "customers").await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    // The index has the article before anyone types.
    let query = format!(
        "q={}&types=article",
        url::form_urlencoded::byte_serialize("数据库连接失败".as_bytes()).collect::<String>()
    );
    wait_for(&t, &t.a.user_token, &query, |b| b["total"] == 1).await;
    let mut b = Browser::start(&t.base, name).await;
    b.sign_in("wang@cn-a.test").await;

    // Typing the title shows the article; leaving the page counts one deflection.
    b.go("/portal/cases/new").await;
    b.fill("#n-title", "数据库连接失败").await;
    let link = b.el("#kb-suggestions a[data-article]").await;
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.starts_with(&format!("/portal/kb/{id}?from=new-case&q=")),
        "{href}"
    );
    b.shot("portal-kb-suggestions").await;
    assert_eq!(deflections(&t).await, 0, "nothing counted while typing");
    b.go("/portal").await;
    until_deflections(&t, 1).await;

    // Opening the suggestion counts nothing by itself; "yes, this solved it" counts one.
    b.go("/portal/cases/new").await;
    b.fill("#n-title", "数据库连接失败").await;
    b.submit("#kb-suggestions a[data-article]").await;
    assert!(
        b.path()
            .await
            .starts_with(&format!("/portal/kb/{id}?from=new-case")),
        "{}",
        b.path().await
    );
    b.shot("portal-kb-article").await;
    b.submit("button[name=solved][value=yes]").await;
    b.el("#thanks").await;
    until_deflections(&t, 2).await;

    // Filing the case after seeing suggestions counts nothing.
    b.go("/portal/cases/new").await;
    b.fill("#n-title", "数据库连接失败").await;
    b.el("#kb-suggestions a[data-article]").await;
    b.fill("#n-description", "应用无法连接数据库").await;
    b.submit("form.new-case button[type=submit]").await;
    b.el("#opened").await;
    b.go("/portal").await;
    b.el("header .who").await;
    assert_eq!(deflections(&t).await, 2, "a filed case is no deflection");
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
