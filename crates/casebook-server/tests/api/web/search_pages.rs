//! The search pages and the deflection routes over HTTP, on SQLite and PostgreSQL: the console's
//! search finds every kind with highlighted snippets and links to each object's page, pages on
//! with a cursor and refuses bad filters with the field named; the portal's search finds the
//! customer's own cases and never an internal note's text or another organisation's case (text
//! planted, found first by staff, so the index has it); the new-case page suggests articles and
//! a deflection is counted from `POST /portal/kb/deflected`, never without the CSRF token; every
//! page is valid HTML in both languages.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::{FOREIGN_CANARY, INTERNAL_CANARY, TestApp};
use crate::search::wait_for;

on_both_backends!(
    console_search_finds_every_kind_and_pages_on,
    portal_search_shows_only_what_the_customer_may_see,
    deflection_is_counted_from_the_post_route,
    search_pages_are_valid_in_both_languages,
);

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The results of a search page: `(kind badge class, link, text)`.
pub fn hits(page: &str) -> Vec<(String, String, String)> {
    let doc = Html::parse_document(page);
    let hit = Selector::parse("li.hit").unwrap();
    let badge = Selector::parse(".kind").unwrap();
    let link = Selector::parse(".hit-head a").unwrap();
    doc.select(&hit)
        .map(|h| {
            let kind = h
                .select(&badge)
                .next()
                .and_then(|b| b.value().classes().find(|c| c.starts_with("kind-")))
                .unwrap_or_default()
                .trim_start_matches("kind-")
                .to_owned();
            let href = h
                .select(&link)
                .next()
                .and_then(|a| a.value().attr("href"))
                .unwrap_or_default()
                .to_owned();
            (kind, href, h.text().collect())
        })
        .collect()
}

/// Fetches `path` until its page shows a result whose link is `href`, failing after 20 s.
pub async fn page_until(web: &WebClient, path: &str, href: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, page) = web.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        if hits(&page).iter().any(|(_, h, _)| h == href) {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "{path}: no link to {href} within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in a new member of staff.
pub async fn staff_web(t: &TestApp) -> WebClient {
    user_with_password(t, "admin2@vendor.test", "管理员", "admin", None).await;
    let web = WebClient::new(t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    web
}

/// Signs in a new user of organisation A with `role`.
pub async fn customer_web(t: &TestApp, email: &str, role: &str) -> WebClient {
    user_with_password(t, email, "王小明", role, Some(t.a.org_id)).await;
    let web = WebClient::new(t);
    let (_, location, _) = web.sign_in(email, PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/portal"));
    web
}

async fn console_search_finds_every_kind_and_pages_on(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = staff_web(&t).await;
    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": "数据库无法连接", "description": "应用启动时报 connections refused", "severity": 2}),
        )
        .await;
    let (_, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "HX-9000", "vendor": "Huaxin"}),
        )
        .await;
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "serial_number": "SN-QX-4471", "product_id": product["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");

    // Chinese words find the case with the words marked; the link is its console page.
    let case_href = format!("/console/cases/{number}");
    let page = page_until(
        &web,
        &format!("/console/search?q={}", urlencode("数据库连接失败")),
        &case_href,
    )
    .await;
    assert!(page.contains("<mark>"), "highlighted words");
    assert!(page.contains("id=\"search-total\""), "the total is shown");
    // Every kind links to its page.
    let org_href = format!("/console/organizations/{}", t.a.org_id);
    let page = page_until(&web, "/console/search?q=Alpha", &org_href).await;
    assert!(
        hits(&page).iter().any(|(k, _, _)| k == "organization"),
        "{:?}",
        hits(&page)
    );
    let contact_href = format!("/console/contacts/{}/edit", t.a.contact_id);
    page_until(&web, "/console/search?q=contact%40cn-a.test", &contact_href).await;
    let unit_href = format!("/console/units/{}", unit["id"]);
    page_until(&web, "/console/search?q=SN-QX-4471", &unit_href).await;

    // Kinds and filters narrow the results; the form shows them again.
    let (_, page) = web
        .get(&format!(
            "/console/search?q={}&types=organization&types=unit",
            urlencode("数据库")
        ))
        .await;
    assert!(hits(&page).is_empty(), "no case among organisations");
    assert!(page.contains("value=\"organization\" checked"));
    let (_, page) = web
        .get(&format!(
            "/console/search?q={}&types=case&severity=2&status=new&organization_id={}",
            urlencode("数据库"),
            t.a.org_id
        ))
        .await;
    assert!(hits(&page).iter().any(|(_, h, _)| h == &case_href));
    let (_, page) = web
        .get(&format!(
            "/console/search?q={}&types=case&severity=4",
            urlencode("数据库")
        ))
        .await;
    assert!(hits(&page).is_empty(), "severity 4 filters the case out");
    assert!(page.contains("class=\"empty\""), "the no-result state");

    // Paging with the cursor: 23 matching cases, 20 a page.
    for i in 0..22 {
        t.open_case(
            &t.a.user_token,
            json!({"title": format!("quasar turbine fault {i}"), "description": "quasar", "severity": 3}),
        )
        .await;
    }
    wait_for(&t, &t.engineer, "q=quasar&types=case", |b| b["total"] == 22).await;
    let (_, first) = web.get("/console/search?q=quasar&types=case").await;
    assert_eq!(hits(&first).len(), 20);
    let doc = Html::parse_document(&first);
    let next = doc
        .select(&Selector::parse("a[rel=next]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a next-page link")
        .to_owned();
    assert!(
        next.contains("cursor=s.20") && next.contains("types=case"),
        "{next}"
    );
    let (status, second) = web.get(&next).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hits(&second).len(), 2);
    let seen: Vec<_> = hits(&first)
        .into_iter()
        .chain(hits(&second))
        .map(|h| h.1)
        .collect();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 22, "no case twice over the pages");

    // Bad input is refused with the field named; the form is shown again.
    let (status, page) = web.get("/console/search?q=quasar&severity=9").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("severity"), "the field is named");
    assert!(page.contains("value=\"quasar\""), "the words are kept");
    let (status, _) = web.get("/console/search?q=quasar&types=invoice").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = web.get("/console/search?q=quasar&cursor=zzz").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Hostile words are just words.
    for q in [
        "\"unbalanced",
        "a AND OR NOT (",
        "🙂🙂 数据库 ' OR 1=1 --",
        &"长".repeat(3000),
    ] {
        let (status, page) = web
            .get(&format!("/console/search?q={}", urlencode(q)))
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_valid(q, &page);
    }
    // The header of every page has the search field.
    let (_, queue) = web.get("/console").await;
    assert!(queue.contains("action=\"/console/search\""));
    // Customers are sent to the portal.
    let customer = customer_web(&t, "wang@cn-a.test", "customer_user").await;
    let (status, _) = customer.get("/console/search?q=x").await;
    assert!(status.is_redirection());
}

async fn portal_search_shows_only_what_the_customer_may_see(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = customer_web(&t, "wang@cn-a.test", "customer_admin").await;
    let staff = staff_web(&t).await;
    let mine = t
        .open_case(
            &t.a.user_token,
            json!({"title": "存储阵列 zephyrine 告警", "description": "控制器 zephyrine 报错", "severity": 3}),
        )
        .await;
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{mine}/comments"),
            json!({"body": format!("内部 {INTERNAL_CANARY} zephyrine 客户合同快到期"), "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let theirs = t
        .open_case(
            &t.b.user_token,
            json!({"title": format!("zephyrine {FOREIGN_CANARY}"), "description": "zephyrine secret", "severity": 3}),
        )
        .await;
    // Staff find the internal note and the other organisation's case: the index has them.
    page_until(
        &staff,
        &format!("/console/search?q={INTERNAL_CANARY}"),
        &format!("/console/cases/{mine}"),
    )
    .await;
    page_until(
        &staff,
        "/console/search?q=zephyrine",
        &format!("/console/cases/{theirs}"),
    )
    .await;

    // The customer finds their own case, linked to the portal, without the note's text.
    let page = page_until(
        &web,
        "/portal/search?q=zephyrine",
        &format!("/portal/cases/{mine}"),
    )
    .await;
    assert!(!page.contains(INTERNAL_CANARY), "no internal note's text");
    assert!(
        !page.contains(FOREIGN_CANARY),
        "no other organisation's case"
    );
    assert!(!page.contains(&theirs));
    assert!(!page.contains("/console/"), "no console link");
    assert!(!page.contains("客户合同快到期"));
    // The note's own words find nothing for the customer.
    let (status, page) = web
        .get(&format!("/portal/search?q={INTERNAL_CANARY}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(hits(&page).is_empty(), "{:?}", hits(&page));
    assert!(page.contains("class=\"empty\""));
    let (_, page) = web
        .get(&format!("/portal/search?q={}", urlencode("客户合同快到期")))
        .await;
    assert!(hits(&page).is_empty(), "{:?}", hits(&page));
    // Kinds staff search are not offered; another organisation's id filters nothing in.
    let (status, _) = web
        .get("/portal/search?q=zephyrine&types=organization")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = web
        .get(&format!(
            "/portal/search?q=zephyrine&organization_id={}",
            t.b.org_id
        ))
        .await;
    assert!(!page.contains(FOREIGN_CANARY));
    assert!(!page.contains(&theirs));
    // The portal's header has its own search field; staff are sent to the console.
    let (_, home) = web.get("/portal").await;
    assert!(home.contains("action=\"/portal/search\""));
    let (status, _) = staff.get("/portal/search?q=x").await;
    assert!(status.is_redirection());
}

async fn deflections(t: &TestApp) -> i64 {
    let (status, body): (StatusCode, Value) = t.get(&t.admin, "/api/v1/search/deflections").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["count"].as_i64().unwrap()
}

async fn deflection_is_counted_from_the_post_route(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = customer_web(&t, "wang@cn-a.test", "customer_user").await;
    let (status, page) = web.get("/portal/cases/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-suggest=\"/portal/kb/suggest\""));
    assert!(page.contains("data-deflected=\"/portal/kb/deflected\""));
    let csrf = super::hidden(&page, "_csrf").unwrap();
    // Without the token nothing is counted.
    let (status, _, _) = web
        .post_form("/portal/kb/deflected", &[("q", "数据库无法连接")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = web
        .post_form(
            "/portal/kb/deflected",
            &[("_csrf", "forged"), ("q", "数据库无法连接")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(deflections(&t).await, 0);
    // With it, one deflection (an empty query is refused).
    let (status, _, _) = web
        .post_form(
            "/portal/kb/deflected",
            &[("_csrf", &csrf), ("q", "数据库无法连接")],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(deflections(&t).await, 1);
    let (status, _, _) = web
        .post_form("/portal/kb/deflected", &[("_csrf", &csrf), ("q", "  ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(deflections(&t).await, 1);
    // Staff see the count.
    let staff = staff_web(&t).await;
    let (_, page) = staff.get("/console/search").await;
    let doc = Html::parse_document(&page);
    let shown: String = doc
        .select(&Selector::parse("#deflections").unwrap())
        .next()
        .expect("the deflection count")
        .text()
        .collect();
    assert!(shown.trim().ends_with('1'), "{shown}");
    // Staff posting to the portal's route are sent away and count nothing.
    let staff_csrf = staff.csrf("/console").await;
    let (status, _, _) = staff
        .post_form(
            "/portal/kb/deflected",
            &[("_csrf", &staff_csrf), ("q", "x")],
        )
        .await;
    assert!(status.is_redirection());
    assert_eq!(deflections(&t).await, 1);
    // Suggestions: short input suggests nothing; no published article, no list.
    for q in ["数", "数据库无法连接"] {
        let (status, fragment) = web
            .get(&format!("/portal/kb/suggest?q={}", urlencode(q)))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!fragment.contains("data-article"), "{fragment}");
    }
    // A link may fill in the title.
    let (_, page) = web
        .get(&format!(
            "/portal/cases/new?title={}",
            urlencode("数据库无法连接")
        ))
        .await;
    assert!(page.contains("value=\"数据库无法连接\""));
}

async fn search_pages_are_valid_in_both_languages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let staff = staff_web(&t).await;
    let customer = customer_web(&t, "wang@cn-a.test", "customer_admin").await;
    let number = t.case_of_a().await;
    t.post(
        &t.engineer,
        &format!("/api/v1/cases/{number}/comments"),
        json!({"body": "<b>内部</b> 数据库", "visibility": "internal"}),
    )
    .await;
    page_until(
        &staff,
        &format!("/console/search?q={}", urlencode("数据库")),
        &format!("/console/cases/{number}"),
    )
    .await;
    let q = urlencode("数据库 <script>alert(1)</script>");
    let org = t.a.org_id;
    let staff_pages = [
        "/console/search".to_owned(),
        format!("/console/search?q={q}"),
        format!(
            "/console/search?q={q}&types=case&types=article&status=new&severity=2&organization_id={org}"
        ),
        "/console/search?q=nothingmatchesthis".into(),
        "/console/search?q=x&severity=9".into(),
    ];
    let customer_pages = [
        "/portal/search".to_owned(),
        format!("/portal/search?q={q}"),
        format!("/portal/search?q={q}&types=case&status=new&severity=2"),
        "/portal/search?q=nothingmatchesthis".into(),
        "/portal/cases/new".into(),
    ];
    for lang in ["zh-CN", "en"] {
        for (web, pages) in [(&staff, &staff_pages[..]), (&customer, &customer_pages[..])] {
            web.choose_language(&pages[0], lang).await;
            for path in pages {
                let (status, page) = web.get(path).await;
                assert!(
                    status == StatusCode::OK
                        || (status == StatusCode::UNPROCESSABLE_ENTITY && path.contains("=9")),
                    "{path}: {status}"
                );
                assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{path}");
                assert_valid(&format!("{path} ({lang})"), &page);
                assert!(
                    !page.contains("<script>alert"),
                    "{path}: the words are escaped"
                );
                for prefix in [
                    "search-",
                    "nav-",
                    "field-",
                    "status-",
                    "article-status-",
                    "kb-",
                ] {
                    assert!(
                        !page.contains(&format!(">{prefix}")),
                        "{path} ({lang}) shows an untranslated {prefix} key"
                    );
                }
            }
        }
    }
}
