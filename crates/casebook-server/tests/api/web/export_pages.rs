//! The queue's export box over HTTP: its forms carry the queue's filters, and submitting one
//! with the session cookie downloads the cases the queue shows, with the headers in the page's
//! language.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(the_queue_downloads_what_it_shows);

/// The query a GET form sends with its hidden fields and these visible values.
fn submitted(page: &str, action: &str, visible: &[(&str, &str)]) -> String {
    let doc = Html::parse_document(page);
    let form = Selector::parse(&format!("form[action='{action}']")).unwrap();
    let hidden = Selector::parse("input[type='hidden']").unwrap();
    let form = doc.select(&form).next().expect("the export form");
    let mut pairs: Vec<(String, String)> = form
        .select(&hidden)
        .map(|i| {
            (
                i.value().attr("name").unwrap().to_owned(),
                i.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    pairs.extend(
        visible
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn the_queue_downloads_what_it_shows(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let own = t.case_of_a().await;
    let other = t.case_of_b().await;
    user_with_password(
        &t,
        "lead@vendor.test",
        "lead@vendor.test",
        "coordinator",
        None,
    )
    .await;
    let web = WebClient::new(&t);
    web.sign_in("lead@vendor.test", PASSWORD).await;
    web.choose_language("/console", "zh-CN").await;
    let a = t.a.org_id;
    let (status, page) = web
        .get(&format!("/console?queue=all&organization={a}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("queue with the export box", &page);
    let query = submitted(
        &page,
        "/api/v1/exports/cases",
        &[("from", ""), ("to", ""), ("format", "csv")],
    );
    assert!(query.contains(&format!("organization={a}")), "{query}");
    assert!(
        query.contains("status=new%2C"),
        "the queue's open statuses: {query}"
    );
    let response = web
        .get_response(&format!("/api/v1/exports/cases?{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("\u{feff}问题编号,"), "{text}");
    assert!(text.contains(&own), "{text}");
    assert!(!text.contains(&other), "{text}");
    let query = submitted(
        &page,
        "/api/v1/exports/work",
        &[("from", ""), ("to", ""), ("format", "xlsx")],
    );
    assert!(query.contains(&format!("organization={a}")), "{query}");
    let response = web
        .get_response(&format!("/api/v1/exports/work?{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
}
