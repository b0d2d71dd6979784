//! The queue page over HTTP: the time-left column and its order, tab counts of cases (not
//! clocks), the columns and density each engineer saves (kept across sessions, their own,
//! refused when unknown), and bulk actions from the page's form with a result per case.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;
use crate::queues::{at_monday_nine, severity_one};

on_both_backends!(
    the_queue_shows_time_left_and_counts_cases,
    columns_and_density_are_saved_per_user,
    the_bulk_form_reports_each_case
);

async fn signed_in(t: &TestApp, email: &str, role: &str) -> WebClient {
    user_with_password(t, email, email, role, None).await;
    let web = WebClient::new(t);
    web.sign_in(email, PASSWORD).await;
    web
}

fn count_of(page: &str, queue: &str) -> String {
    let doc = Html::parse_document(page);
    let tab =
        Selector::parse(&format!("nav.tabs a[href='/console?queue={queue}'] .count")).unwrap();
    doc.select(&tab)
        .next()
        .map(|c| c.text().collect())
        .unwrap_or_default()
}

fn texts(page: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse(css).unwrap())
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

async fn the_queue_shows_time_left_and_counts_cases(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    let first = severity_one(&t, "核心交换机宕机").await;
    clock.advance(SignedDuration::from_mins(30));
    let second = severity_one(&t, "数据库集群停机").await;
    let web = signed_in(&t, "lead@vendor.test", "coordinator").await;
    web.choose_language("/console", "en").await;

    // 10:15: the first has 45 minutes left (a warning), the second 1 h 15 min.
    clock.advance(SignedDuration::from_mins(45));
    let (status, page) = web.get("/console?queue=all&sort=due").await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("queue by deadline", &page);
    let numbers = texts(&page, "#queue-rows tbody a.case-link");
    assert_eq!(
        numbers,
        [first.clone(), second.clone()],
        "nearest deadline first"
    );
    let left = texts(&page, "#queue-rows tbody time.left");
    assert_eq!(left, ["45m left", "1h 15m left"]);
    let doc = Html::parse_document(&page);
    let classes: Vec<String> = doc
        .select(&Selector::parse("#queue-rows tbody time.left").unwrap())
        .map(|e| e.value().attr("class").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(classes, ["left left-warning", "left left-ok"]);
    let (_, newest) = web.get("/console?queue=all&sort=newest").await;
    assert_eq!(
        texts(&newest, "#queue-rows tbody a.case-link"),
        [second.clone(), first.clone()]
    );

    // Both are overdue a day later, each with two breached clocks: the tabs count two cases.
    clock.advance(SignedDuration::from_hours(26));
    // The session ended meanwhile.
    web.sign_in("lead@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/console?queue=breaching").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(count_of(&page, "breaching"), "2", "{page}");
    assert_eq!(count_of(&page, "all"), "2");
    let left = texts(&page, "#queue-rows tbody time.left");
    assert!(
        left.iter().all(|l| l.starts_with("overdue by 1d")),
        "{left:?}"
    );

    // In Chinese the same column reads naturally.
    web.choose_language("/console", "zh-CN").await;
    let (_, page) = web.get("/console?queue=breaching").await;
    let left = texts(&page, "#queue-rows tbody time.left");
    assert!(left.iter().all(|l| l.starts_with("已超时 1天")), "{left:?}");
    assert!(page.contains("剩余时间"));
}

async fn columns_and_density_are_saved_per_user(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    t.case_of_a().await;
    let web = signed_in(&t, "eng1@vendor.test", "engineer").await;
    let (_, page) = web.get("/console?queue=all").await;
    assert!(page.contains("density-comfortable"));
    let headers = texts(&page, "#queue-rows thead th");
    assert!(page.contains("sort=due"), "the time-left column sorts");
    let default_count = headers.len();

    let csrf = web.csrf("/console").await;
    let (status, location, _) = web
        .post_form(
            "/console/queue/setup",
            &[
                ("_csrf", &csrf),
                ("back", "queue=all"),
                ("column", "title"),
                ("column", "created"),
                ("column", "status"),
                ("density", "compact"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/console?queue=all"))
    );
    // Kept for this user in a new session, in the fixed column order.
    let again = WebClient::new(&t);
    again.sign_in("eng1@vendor.test", PASSWORD).await;
    again.choose_language("/console", "en").await;
    let (_, page) = again.get("/console?queue=all").await;
    assert_valid("queue with a saved set-up", &page);
    assert!(page.contains("density-compact"));
    assert_eq!(
        texts(&page, "#queue-rows thead th"),
        ["", "Number", "Title", "Status", "Opened"]
    );
    let (_, fragment) = again.get("/console?queue=all&fragment=1").await;
    assert!(fragment.contains("density-compact") && fragment.contains("Opened"));

    // Unknown columns and densities are refused; the saved set-up stays.
    for (column, density) in [("secret", "compact"), ("title", "tiny")] {
        let (status, _, _) = web
            .post_form(
                "/console/queue/setup",
                &[("_csrf", &csrf), ("column", column), ("density", density)],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, _, _) = web
        .post_form(
            "/console/queue/setup",
            &[("column", "title"), ("density", "comfortable")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (_, page) = again.get("/console?queue=all").await;
    assert!(page.contains("density-compact"));

    // Another engineer still has the defaults.
    let other = signed_in(&t, "eng2@vendor.test", "engineer").await;
    let (_, page) = other.get("/console?queue=all").await;
    assert!(page.contains("density-comfortable"));
    assert_eq!(texts(&page, "#queue-rows thead th").len(), default_count);
}

async fn the_bulk_form_reports_each_case(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let one = t.case_of_a().await;
    let two = t.case_of_a().await;
    let web = signed_in(&t, "coord2@vendor.test", "coordinator").await;
    web.choose_language("/console", "en").await;
    let (_, page) = web.get("/console?queue=unassigned").await;
    let doc = Html::parse_document(&page);
    let values: Vec<String> = doc
        .select(&Selector::parse("input[name=case]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .collect();
    assert_eq!(values.len(), 2, "{values:?}");
    assert!(values.iter().any(|v| v.starts_with(&format!("{one}@"))));
    // The second case changes after the page was read.
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{two}"),
            json!({"severity": 1, "reason": "升级"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let csrf = web.csrf("/console").await;
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("back", "queue=unassigned"),
        ("kind", "assign"),
        ("owner_id", ""),
        ("text", ""),
    ];
    let engineer = t.engineer_id.to_string();
    form[3].1 = &engineer;
    for v in &values {
        form.push(("case", v));
    }
    let (status, _, page) = web.post_form("/console/bulk", &form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_valid("bulk results", &page);
    let ok = texts(&page, "tr.bulk-ok a.case-link");
    let failed = texts(&page, "tr.bulk-failed a.case-link");
    assert_eq!((ok, failed), (vec![one.clone()], vec![two.clone()]));
    assert!(page.contains("someone else changed this case"), "{page}");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{one}")).await;
    assert_eq!(case["owner"]["id"], t.engineer_id);
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{two}")).await;
    assert!(case["owner"].is_null(), "{case}");

    // A change without its reason is refused as a whole, and says why.
    form[2].1 = "tier";
    form.push(("tier", "l2"));
    let (status, _, page) = web.post_form("/console/bulk", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("reason"), "{page}");
}
