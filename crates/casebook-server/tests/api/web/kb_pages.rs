//! The knowledge base's pages over HTTP, on SQLite and PostgreSQL: staff write an article with
//! the form (bad input and a stale version refused, the text kept), review it through the
//! buttons (the author cannot publish their own, a rejection needs a note, steps the state does
//! not allow are refused), grow one from a solved case; customers read published articles only
//! (drafts and internal articles are 404 pages), answer "did this solve your problem?" (coming
//! from the new-case page, "yes" counts one deflection, once), are suggested articles while
//! typing, and choose their alert subscriptions. Every page is valid HTML in both languages.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use super::html::assert_valid;
use super::search_pages::{customer_web, staff_web, urlencode};
use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(
    staff_write_review_and_publish_articles,
    articles_grow_from_solved_cases,
    customers_read_answer_and_are_deflected,
    customers_choose_their_alert_subscriptions,
    kb_pages_are_valid_in_both_languages,
);

/// A product with versions 9.0 and 9.1; returns its id.
pub async fn product(t: &TestApp) -> i64 {
    let (status, p) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "KB-DB", "vendor": "Huaxin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    for v in ["9.0", "9.1"] {
        let (status, body) = t
            .post(
                &t.coordinator,
                &format!("/api/v1/products/{id}/versions"),
                json!({"version": v}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    id
}

/// An article written by the admin and published by the coordinator, through the API.
pub async fn published(t: &TestApp, title: &str, visibility: &str) -> i64 {
    let (status, a) = t
        .post(
            &t.admin,
            "/api/v1/articles",
            json!({"visibility": visibility, "texts": [
                {"language": "zh-CN", "title": title, "symptom": "应用报 connection refused",
                 "resolution": "重启监听服务", "body": "**先**检查端口"},
                {"language": "en", "title": "Database connection refused", "resolution": "Restart the listener"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    t.review_step(&t.admin, id, "submit").await;
    t.review_step(&t.coordinator, id, "publish").await;
    id
}

/// The number of deflections staff see.
pub async fn deflections(t: &TestApp) -> i64 {
    let (status, body): (StatusCode, Value) = t.get(&t.admin, "/api/v1/search/deflections").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["count"].as_i64().unwrap()
}

fn text_of(page: &str, css: &str) -> String {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse(css).unwrap())
        .map(|e| e.text().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id in `/console/kb/{id}?…`.
fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches("/console/kb/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{location}"))
}

async fn staff_write_review_and_publish_articles(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let product = product(&t).await;
    let author = staff_web(&t).await;
    user_with_password(&t, "reviewer@vendor.test", "审核员", "engineer", None).await;
    let reviewer = WebClient::new(&t);
    reviewer.sign_in("reviewer@vendor.test", PASSWORD).await;
    let customer = customer_web(&t, "wang@cn-a.test", "customer_user").await;

    let csrf = author.csrf("/console/kb/new").await;
    let p = product.to_string();
    let versions = format!("versions-{product}");
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("visibility", "customers"),
        ("tags", "数据库, Network"),
        ("product", p.as_str()),
        (versions.as_str(), "9.0"),
        ("zh-CN-title", "数据库无法连接"),
        ("zh-CN-symptom", "应用报 connection refused"),
        ("zh-CN-cause", "监听服务未启动"),
        ("zh-CN-resolution", "重启监听服务"),
        ("zh-CN-body", "**先**检查端口 <script>alert(1)</script>"),
        ("en-title", ""),
    ];
    // Bad input: no language at all, an unknown version; the text is kept.
    let (status, _, page) = author
        .post_form(
            "/console/kb/new",
            &[("_csrf", &csrf), ("visibility", "customers")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("文章内容"), "the field is named");
    form[4].1 = "7.7";
    let (status, _, page) = author.post_form("/console/kb/new", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("versions"), "the field is named");
    assert!(page.contains("监听服务未启动"), "the text is kept");
    form[4].1 = "9.0";
    let (status, location, _) = author.post_form("/console/kb/new", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let id = id_in(&location);
    let (status, page) = author.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("article page", &page);
    assert!(page.contains("<strong>先</strong>"), "the body rendered");
    assert!(!page.contains("<script>alert"), "and sanitized");
    assert!(page.contains("KB-DB") && page.contains("9.0"));
    assert!(page.contains(&format!("action=\"/console/kb/{id}/submit\"")));
    // Customers never see a draft.
    let (status, page) = customer.get(&format!("/portal/kb/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("数据库无法连接"));

    // An edit on a stale version is refused and keeps the text; the current one is saved.
    let edit = format!("/console/kb/{id}/edit");
    let (_, page) = author.get(&edit).await;
    let version = hidden(&page, "version").unwrap();
    let stale = (version.parse::<i64>().unwrap() - 1).to_string();
    let mut changed = form.clone();
    changed[6].1 = "应用报 connection refused（已核实）";
    changed.push(("version", &stale));
    let (status, _, page) = author.post_form(&edit, &changed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("（已核实）"), "the text is kept");
    assert!(
        text_of(&page, "[role=alert]").contains("其他人修改了此文章"),
        "the stale message"
    );
    assert_eq!(hidden(&page, "version").as_deref(), Some(version.as_str()));
    changed.pop();
    changed.push(("version", &version));
    let (status, location, _) = author.post_form(&edit, &changed).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");

    // The review: submit; the author may not publish; a rejection needs a note.
    let (_, page) = author.get(&format!("/console/kb/{id}")).await;
    let v = hidden(&page, "version").unwrap();
    let step = |s: &str| format!("/console/kb/{id}/{s}");
    let (status, _, _) = author.post_form(&step("submit"), &[("version", &v)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token, nothing done");
    let (status, location, _) = author
        .post_form(&step("submit"), &[("_csrf", &csrf), ("version", &v)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), format!("/console/kb/{id}?done=submit"));
    let (_, page) = author.get(&format!("/console/kb/{id}")).await;
    assert!(!page.contains(&format!("action=\"/console/kb/{id}/publish\"")));
    let (_, article) = t.get(&t.admin, &format!("/api/v1/articles/{id}")).await;
    let v = article["version"].to_string();
    let (status, _, page) = author
        .post_form(&step("publish"), &[("_csrf", &csrf), ("version", &v)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        text_of(&page, "[role=alert]").contains("其他员工"),
        "the author may not publish their own"
    );
    let rcsrf = reviewer.csrf(&format!("/console/kb/{id}")).await;
    let (status, _, _) = reviewer
        .post_form(
            &step("reject"),
            &[("_csrf", &rcsrf), ("version", &v), ("note", " ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = reviewer
        .post_form(
            &step("reject"),
            &[
                ("_csrf", &rcsrf),
                ("version", &v),
                ("note", "补充受影响的版本"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = author.get(&format!("/console/kb/{id}")).await;
    assert!(page.contains("补充受影响的版本"), "the note is shown");
    let v = hidden(&page, "version").unwrap();
    author
        .post_form(&step("submit"), &[("_csrf", &csrf), ("version", &v)])
        .await;
    let (_, page) = reviewer.get(&format!("/console/kb/{id}")).await;
    let v = hidden(&page, "version").unwrap();
    let (status, _, _) = reviewer
        .post_form(&step("publish"), &[("_csrf", &rcsrf), ("version", &v)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A step the state does not allow, and a stale version.
    let (status, _, _) = reviewer
        .post_form(&step("publish"), &[("_csrf", &rcsrf), ("version", &v)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = reviewer
        .post_form(&step("frobnicate"), &[("_csrf", &rcsrf)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The lists: filters, sorting, bad filters; customers read the published article.
    let (_, page) = author.get("/console/kb?status=published&sort=solved").await;
    assert!(page.contains(&format!("href=\"/console/kb/{id}\"")));
    let (_, page) = author.get("/console/kb?visibility=internal").await;
    assert!(!page.contains(&format!("href=\"/console/kb/{id}\"")));
    let (_, page) = author
        .get(&format!("/console/kb?product={product}&language=zh-CN"))
        .await;
    assert!(page.contains(&format!("href=\"/console/kb/{id}\"")));
    let (status, _) = author.get("/console/kb?status=lost").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = author.get("/console/kb/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = customer.get(&format!("/portal/kb/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("重启监听服务") && !page.contains("补充受影响的版本"));
    let (_, page) = customer.get("/portal/kb").await;
    assert!(page.contains(&format!("href=\"/portal/kb/{id}\"")));
    let (status, _) = customer.get("/console/kb").await;
    assert!(status.is_redirection());
    // Retired, it is gone for customers.
    let (_, page) = reviewer.get(&format!("/console/kb/{id}")).await;
    let v = hidden(&page, "version").unwrap();
    let (status, _, _) = reviewer
        .post_form(&step("retire"), &[("_csrf", &rcsrf), ("version", &v)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = customer.get(&format!("/portal/kb/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn articles_grow_from_solved_cases(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let staff = staff_web(&t).await;
    let number = t.case_of_a().await;
    let case_page = format!("/console/cases/{number}");
    let from_case = format!("/console/cases/{number}/article");
    let (_, page) = staff.get(&case_page).await;
    assert!(
        !page.contains(&format!("action=\"{from_case}\"")),
        "not solved yet"
    );
    let csrf = hidden(&page, "_csrf").unwrap();
    let (status, _, page) = staff.post_form(&from_case, &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("role=\"alert\""),
        "the case page with the reason"
    );
    t.advance(&number, &["in_progress", "solution_proposed"])
        .await;
    let (_, page) = staff.get(&case_page).await;
    assert!(page.contains(&format!("action=\"{from_case}\"")));
    let (status, _, _) = staff.post_form(&from_case, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, location, _) = staff.post_form(&from_case, &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.ends_with("?done=created"), "{location}");
    let id = id_in(&location);
    let (_, page) = staff.get(&location).await;
    assert!(page.contains(&format!("href=\"/console/cases/{number}\"")));
    assert!(
        !page.contains("Alpha 阿尔法"),
        "without the customer's name"
    );
    assert!(page.contains("id=\"done\""));
    let (_, page) = staff.get(&case_page).await;
    assert!(
        page.contains(&format!("href=\"/console/kb/{id}\"")),
        "the case lists it"
    );
    let (status, page) = staff.get(&format!("/console/kb/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("edit of a draft from a case", &page);
}

async fn customers_read_answer_and_are_deflected(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let id = published(&t, "数据库连接失败的排查", "customers").await;
    let internal = published(&t, "内部排查手册", "internal").await;
    let web = customer_web(&t, "wang@cn-a.test", "customer_user").await;
    let (status, _) = web.get(&format!("/portal/kb/{internal}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = web.get("/portal/kb/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = web.get("/portal/kb").await;
    assert!(list.contains(&format!("href=\"/portal/kb/{id}\"")));
    assert!(!list.contains("内部排查手册"));

    // While typing, the published article is suggested (the index follows within a moment).
    let deadline = Instant::now() + Duration::from_secs(20);
    let fragment = loop {
        let (status, fragment) = web
            .get(&format!(
                "/portal/kb/suggest?q={}",
                urlencode("数据库连接失败")
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        if fragment.contains("data-article") {
            break fragment;
        }
        assert!(Instant::now() < deadline, "no suggestion within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(fragment.contains("<mark>"));
    assert!(
        !fragment.contains("内部排查手册"),
        "internal articles are never suggested"
    );
    let doc = Html::parse_fragment(&fragment);
    let href = doc
        .select(&Selector::parse("a[data-article]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_owned();
    assert_eq!(
        href,
        format!(
            "/portal/kb/{id}?from=new-case&q={}",
            urlencode("数据库连接失败")
        )
    );

    // From the new-case page: "yes" counts one deflection, once.
    let page_path = format!(
        "/portal/kb/{id}?from=new-case&q={}",
        urlencode("数据库连接失败")
    );
    let (_, page) = web.get(&page_path).await;
    assert!(page.contains("name=\"from\" value=\"new-case\""));
    assert!(page.contains("<strong>先</strong>"));
    let csrf = hidden(&page, "_csrf").unwrap();
    let answer = |solved: &'static str, csrf: String| {
        let web = &web;
        async move {
            web.post_form(
                &format!("/portal/kb/{id}/feedback"),
                &[
                    ("_csrf", &csrf),
                    ("solved", solved),
                    ("from", "new-case"),
                    ("q", "数据库连接失败"),
                ],
            )
            .await
        }
    };
    let (status, _, _) = web
        .post_form(
            &format!("/portal/kb/{id}/feedback"),
            &[("solved", "yes"), ("from", "new-case")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(deflections(&t).await, 0);
    let (status, location, _) = answer("yes", csrf.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.contains("thanks=yes"), "{location}");
    assert_eq!(deflections(&t).await, 1);
    let (_, page) = web.get(&location).await;
    assert!(page.contains("id=\"thanks\""));
    assert!(text_of(&page, "#thanks").contains("感谢"));
    answer("yes", csrf.clone()).await;
    assert_eq!(deflections(&t).await, 1, "the same answer counts once");
    let (_, location, _) = answer("no", csrf.clone()).await;
    let (_, page) = web.get(&location.unwrap()).await;
    let open_case = format!(
        "href=\"/portal/cases/new?title={}\"",
        urlencode("数据库连接失败")
    );
    assert!(page.contains(&open_case), "back to the form with the title");
    let (_, article) = t.get(&t.admin, &format!("/api/v1/articles/{id}")).await;
    assert_eq!(article["solved_count"], 0);
    assert_eq!(article["not_solved_count"], 1);
    // Without coming from the new-case page, "yes" counts as feedback only.
    let (status, _, _) = web
        .post_form(
            &format!("/portal/kb/{id}/feedback"),
            &[("_csrf", &csrf), ("solved", "yes")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(deflections(&t).await, 1);
    let (status, _, _) = web
        .post_form(
            &format!("/portal/kb/{id}/feedback"),
            &[("_csrf", &csrf), ("solved", "maybe")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Feedback on an internal article is a 404.
    let (status, _, _) = web
        .post_form(
            &format!("/portal/kb/{internal}/feedback"),
            &[("_csrf", &csrf), ("solved", "yes")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Staff see the count on the knowledge base's page.
    let staff = staff_web(&t).await;
    let (_, page) = staff.get("/console/kb").await;
    assert!(text_of(&page, "#deflections").trim().ends_with('1'));
}

async fn customers_choose_their_alert_subscriptions(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let product = product(&t).await;
    let user = user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    let web = WebClient::new(&t);
    web.sign_in("wang@cn-a.test", PASSWORD).await;
    let (status, page) = web.get("/portal/subscriptions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("id=\"sub-{product}\"")));
    let csrf = hidden(&page, "_csrf").unwrap();
    let p = product.to_string();
    let (status, _, _) = web
        .post_form("/portal/subscriptions", &[("product", &p)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, refused) = web
        .post_form(
            "/portal/subscriptions",
            &[("_csrf", &csrf), ("product", &p), ("product", "999999")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The refused form keeps what was ticked.
    assert!(
        refused.contains(&format!("value=\"{product}\" checked")),
        "{refused}"
    );
    let (status, location, _) = web
        .post_form(
            "/portal/subscriptions",
            &[("_csrf", &csrf), ("product", &p)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&location.unwrap()).await;
    assert!(page.contains("id=\"saved\""));
    assert!(page.contains(&format!("value=\"{product}\" checked")));
    let (_, me) = t.get(&t.admin, &format!("/api/v1/users/{user}")).await;
    let contact = me["contact_id"].as_i64().expect("a contact");
    let (_, subs) = t
        .get(
            &t.admin,
            &format!("/api/v1/contacts/{contact}/subscriptions"),
        )
        .await;
    assert_eq!(subs["products"][0]["id"], product, "{subs}");
    // Nothing ticked: no subscriptions.
    web.post_form("/portal/subscriptions", &[("_csrf", &csrf)])
        .await;
    let (_, subs) = t
        .get(
            &t.admin,
            &format!("/api/v1/contacts/{contact}/subscriptions"),
        )
        .await;
    assert_eq!(subs["products"], json!([]));
}

async fn kb_pages_are_valid_in_both_languages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    product(&t).await;
    let id = published(&t, "数据库连接失败的排查 <b>x</b>", "customers").await;
    let number = t.case_of_a().await;
    t.advance(&number, &["in_progress", "solution_proposed"])
        .await;
    let (status, draft) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/article"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft = draft["id"].as_i64().unwrap();
    let staff = staff_web(&t).await;
    let customer = customer_web(&t, "wang@cn-a.test", "customer_admin").await;
    let q = urlencode("数据库连接失败");
    let staff_pages = [
        "/console/kb".to_owned(),
        "/console/kb?status=published&visibility=customers&language=en&sort=solved".into(),
        "/console/kb?status=lost".into(),
        "/console/kb/new".into(),
        format!("/console/kb/{id}"),
        format!("/console/kb/{id}?done=publish"),
        format!("/console/kb/{id}/edit"),
        format!("/console/kb/{draft}"),
        format!("/console/kb/{draft}/edit"),
        format!("/console/cases/{number}"),
        format!("/console/search?q={q}&types=article"),
    ];
    let customer_pages = [
        "/portal/kb".to_owned(),
        format!("/portal/kb/{id}"),
        format!("/portal/kb/{id}?from=new-case&q={q}"),
        format!("/portal/kb/{id}?thanks=no&from=new-case&q={q}"),
        "/portal/subscriptions".into(),
        "/portal/subscriptions?saved=1".into(),
        "/portal/cases/new".into(),
    ];
    for lang in ["zh-CN", "en"] {
        for (web, pages) in [(&staff, &staff_pages[..]), (&customer, &customer_pages[..])] {
            web.choose_language(&pages[0], lang).await;
            for path in pages {
                let (status, page) = web.get(path).await;
                assert!(
                    status == StatusCode::OK
                        || (status == StatusCode::UNPROCESSABLE_ENTITY && path.contains("lost")),
                    "{path}: {status}"
                );
                assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{path}");
                assert_valid(&format!("{path} ({lang})"), &page);
                assert!(!page.contains("<b>x</b>"), "{path}: titles are escaped");
                for prefix in ["kb-", "nav-", "field-", "article-status-", "search-"] {
                    assert!(
                        !page.contains(&format!(">{prefix}")),
                        "{path} ({lang}) shows an untranslated {prefix} key"
                    );
                }
            }
        }
    }
}
