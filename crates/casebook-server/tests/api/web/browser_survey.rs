//! The satisfaction survey in a real browser (Debian's chromium through chromedriver, with the
//! setup of `browser.rs`), in Chinese, on SQLite and PostgreSQL: the contact follows the survey
//! mail's link without signing in, answers the resolution with 1 and the speed with 2 and writes
//! a comment; the page thanks them, and the link then says it was used. The contract's service
//! manager finds the follow-up in the console, due the next business day, and completes it with
//! a note; the results page counts the answer. No console errors, and the survey page fits the
//! window.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;
use crate::surveys::closed_case;

on_both_backends!(a_survey_answered_through_its_link_reaches_the_manager);

async fn a_survey_answered_through_its_link_reaches_the_manager(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    let manager = user_with_password(&t, "zhou.jl@vendor.test", "周经理", "manager", None).await;
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-SAT", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "service_manager_id": manager}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let number = closed_case(&t, Some(t.a.contact_id), "邮件网关频繁重启").await;
    let (_, surveys) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    let survey = &surveys["surveys"][0];
    let expires: jiff::Timestamp = survey["expires_at"].as_str().unwrap().parse().unwrap();
    let key = casebook_server::actions::notify::tokens::signing_key(&t.app)
        .await
        .unwrap();
    let id = survey["id"].as_i64().unwrap();
    let link = format!(
        "/surveys/{}",
        casebook_server::actions::notify::tokens::survey_token(&key, id, expires)
    );

    let mut b = Browser::start(&t.base, name).await;
    b.go("/sign-in").await;
    if b.lang().await != "zh-CN" {
        b.switch_language().await;
    }
    assert_eq!(b.lang().await, "zh-CN");
    b.go(&link).await;
    let page = b.text("main").await;
    assert!(
        page.contains("满意度调查")
            && page.contains("问题的解决结果您是否满意")
            && page.contains(&number),
        "{page}"
    );
    assert!(b.fits_width().await, "the survey page fits the window");
    b.click("label[for='resolution-1']").await;
    b.click("label[for='speed-2']").await;
    b.fill("#survey-comment", "工程师回复太慢，等了两天").await;
    b.shot("survey-link-zh").await;
    b.submit(".survey-form button[type=submit]").await;
    let done = b.text("main").await;
    assert!(done.contains("感谢您的评价"), "{done}");
    b.go(&link).await;
    let used = b.text("main").await;
    assert!(used.contains("已经提交过"), "{used}");
    // The used link's page is answered with 409 on purpose; chromium logs that status.
    let before = b.errors.len();
    b.errors
        .retain(|e| !(e.starts_with(&link) && e.contains("409 (Conflict)")));
    assert_eq!(before - b.errors.len(), 1, "the used link answered 409");

    // The manager completes the follow-up in the console.
    b.sign_in("zhou.jl@vendor.test").await;
    b.go("/console/surveys/follow-ups").await;
    let list = b.text("main").await;
    assert!(
        list.contains(&number) && list.contains("评分过低") && list.contains("工程师回复太慢"),
        "{list}"
    );
    b.fill("textarea[name=note]", "已电话回访，客户接受改进措施")
        .await;
    b.submit(".follow-up form button[type=submit]").await;
    let after = b.text("main").await;
    assert!(after.contains("没有回访任务"), "{after}");
    let (_, all) = t.get(&t.manager, "/api/v1/survey-follow-ups").await;
    assert_eq!(
        all["items"][0]["note"], "已电话回访，客户接受改进措施",
        "{all}"
    );
    b.go("/console/surveys").await;
    let results = b.text("main").await;
    assert!(
        results.contains("100.0%") && results.contains("1.00"),
        "{results}"
    );
    assert!(b.errors.is_empty(), "console errors: {:#?}", b.errors);
    b.close().await;
}
