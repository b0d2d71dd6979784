//! The public knowledge base (`/kb`, `/kb/{id}`) over HTTP without signing in, on SQLite and
//! PostgreSQL: a published `public` article is listed, found and read without a cookie, its body
//! sanitized; articles for customers only, internal ones, drafts and retired ones (each with a
//! word planted in it) are never listed or found and are the same 404 page as an unknown id;
//! lists and searches page on; the sign-in page and the portal link to it; every page is valid
//! HTML in both languages, chosen by the language cookie or `Accept-Language`.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

use super::WebClient;
use super::html::assert_valid;
use super::search_pages::{customer_web, hits, page_until, urlencode};
use crate::helpers::TestApp;

on_both_backends!(
    visitors_read_only_published_public_articles,
    public_lists_and_searches_page_on,
    public_kb_pages_are_valid_in_both_languages,
);

/// Writes an article through the API (engineer writes and submits, manager publishes when
/// `publish`); returns its id.
async fn article(t: &TestApp, visibility: &str, title: &str, body: &str, publish: bool) -> i64 {
    let mut zh = json!({"language": "zh-CN", "title": title,
        "symptom": "应用报 connection refused", "resolution": "重启监听器 restart the listener"});
    if !body.is_empty() {
        zh["body"] = json!(body);
    }
    let en = json!({"language": "en", "title": format!("{title} (en)"),
        "resolution": "Restart the listener"});
    let draft = json!({"visibility": visibility, "texts": [zh, en]});
    let (status, made) = t.post(&t.engineer, "/api/v1/articles", draft).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    if publish {
        t.review_step(&t.engineer, id, "submit").await;
        t.review_step(&t.manager, id, "publish").await;
    }
    id
}

/// The `<main>` of a page, as HTML (what differs between two requests for the same page is
/// outside it: the nonce and the language switch's way back).
fn main_of(page: &str) -> String {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse("main").unwrap())
        .next()
        .map(|m| m.inner_html())
        .unwrap_or_default()
}

/// The links of a list or results page to articles.
fn article_links(page: &str) -> Vec<String> {
    hits(page).into_iter().map(|(_, href, _)| href).collect()
}

async fn visitors_read_only_published_public_articles(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    // What a visitor must never see, each with its own word and a word they all share.
    let customers = article(
        &t,
        "customers",
        "sharedkb customerskbcanary 客户专用",
        "",
        true,
    )
    .await;
    let internal = article(
        &t,
        "internal",
        "sharedkb internalkbcanary 内部经验",
        "",
        true,
    )
    .await;
    let draft = article(&t, "public", "sharedkb draftkbcanary 草稿", "", false).await;
    let in_review = {
        let id = article(&t, "public", "sharedkb reviewkbcanary 审核中", "", false).await;
        t.review_step(&t.engineer, id, "submit").await;
        id
    };
    let retired = article(&t, "public", "sharedkb retiredkbcanary 已停用", "", true).await;
    t.review_step(&t.manager, retired, "retire").await;
    // The public article comes last: once the index has it, it has every change before it.
    let public = article(
        &t,
        "public",
        "sharedkb 数据库无法连接 publickbword",
        "**重启** 后恢复\n\n<script>alert(1)</script><img src=x onerror=alert(2)>",
        true,
    )
    .await;

    let web = WebClient::new(&t);
    let href = format!("/kb/{public}");
    // Found by its words (Chinese words match with highlights), without any cookie.
    let page = page_until(
        &web,
        &format!("/kb?q={}", urlencode("数据库连接失败")),
        &href,
    )
    .await;
    assert!(page.contains("<mark>"), "highlighted words");
    let page = page_until(&web, "/kb?q=sharedkb", &href).await;
    assert_eq!(
        article_links(&page),
        std::slice::from_ref(&href),
        "only the public one"
    );
    // Listed, most solved first.
    let (status, page) = web.get("/kb").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        article_links(&page),
        std::slice::from_ref(&href),
        "only the public one"
    );
    // Readable, with the body rendered and sanitized, and a way to give feedback after signing in.
    let (status, page) = web.get(&href).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("publickbword"));
    assert!(page.contains("<strong>重启</strong>"), "{page}");
    assert!(!page.contains("<script>alert"), "no script survives");
    assert!(!page.contains("onerror"), "no handler survives");
    assert!(
        page.contains(&format!("href=\"/sign-in?next=%2Fportal%2Fkb%2F{public}\"")),
        "feedback after signing in"
    );
    assert!(
        !page.contains("method=\"post\" action=\"/portal"),
        "no form"
    );

    // The others: never listed, never found, the same 404 as an unknown id.
    let (_, unknown) = web.get("/kb/987654").await;
    let not_found = main_of(&unknown);
    assert!(!not_found.is_empty());
    for (id, word) in [
        (customers, "customerskbcanary"),
        (internal, "internalkbcanary"),
        (draft, "draftkbcanary"),
        (in_review, "reviewkbcanary"),
        (retired, "retiredkbcanary"),
    ] {
        // Staff find it, so the index has it.
        crate::search::wait_for(&t, &t.engineer, &crate::search::q(word), |b| {
            b["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|h| h["id"] == id))
        })
        .await;
        let (status, page) = web.get(&format!("/kb?q={word}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(article_links(&page).is_empty(), "{word}: {page}");
        assert!(!main_of(&page).contains(&format!("/kb/{id}\"")), "{word}");
        let (status, page) = web.get(&format!("/kb/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{word}");
        assert!(!page.contains(word), "{word}");
        assert_eq!(main_of(&page), not_found, "{word}: the same 404 page");
    }
    let (_, page) = web.get("/kb").await;
    for word in [
        "customerskbcanary",
        "internalkbcanary",
        "draftkbcanary",
        "reviewkbcanary",
    ] {
        assert!(!page.contains(word), "{word} is not listed");
    }
    assert!(!page.contains("retiredkbcanary"), "retired is not listed");
    for bad in [
        "/kb/0",
        "/kb/-1",
        "/kb/abc",
        "/kb/1e3",
        "/kb/99999999999999999999",
    ] {
        let (status, page) = web.get(bad).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(main_of(&page), not_found, "{bad}: the same 404 page");
    }

    // Retired, the public article is gone for visitors too (the database is checked).
    let path = format!("/api/v1/articles/{public}/retire");
    let (status, body) = t.post(&t.manager, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = web.get(&href).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = web.get("/kb?q=publickbword").await;
    assert!(article_links(&page).is_empty(), "{page}");
    let (_, page) = web.get("/kb").await;
    assert!(article_links(&page).is_empty(), "{page}");
}

async fn public_lists_and_searches_page_on(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for n in 0..21 {
        ids.push(article(&t, "public", &format!("pagingkb 第{n}篇"), "", true).await);
    }
    let web = WebClient::new(&t);
    // The list: 20, then the rest through the next page's link.
    let (status, page) = web.get("/kb").await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = article_links(&page);
    assert_eq!(seen.len(), 20);
    let next = next_link(&page).expect("a next page");
    assert!(next.starts_with("/kb?cursor="), "{next}");
    let (status, page) = web.get(&next).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    seen.extend(article_links(&page));
    assert_eq!(next_link(&page), None);
    let mut expected: Vec<String> = ids.iter().map(|id| format!("/kb/{id}")).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    // The search: 20, then the rest (once staff find all 21 published, the index has them).
    let published = "q=pagingkb&types=article&status=published";
    crate::search::wait_for(&t, &t.engineer, published, |b| b["total"] == 21).await;
    let (status, page) = web.get("/kb?q=pagingkb").await;
    assert_eq!(status, StatusCode::OK);
    let mut found = article_links(&page);
    assert_eq!(found.len(), 20, "{page}");
    let next = next_link(&page).expect("a next page of results");
    assert_eq!(next, "/kb?q=pagingkb&cursor=s.20");
    let (status, page) = web.get(&next).await;
    assert_eq!(status, StatusCode::OK);
    found.extend(article_links(&page));
    found.sort();
    assert_eq!(found, expected);
    // Bad cursors are refused, not guessed.
    for bad in [
        "/kb?cursor=nonsense",
        "/kb?q=pagingkb&cursor=s.x",
        "/kb?q=pagingkb&cursor=s.5000",
    ] {
        let (status, page) = web.get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_valid(bad, &page);
    }
}

/// The next page's link of a page.
fn next_link(page: &str) -> Option<String> {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse("a[rel=next]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .map(str::to_owned)
}

async fn public_kb_pages_are_valid_in_both_languages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let draft = article(&t, "public", "草稿 <b>x</b>", "", false).await;
    let public = article(
        &t,
        "public",
        "数据库连接失败的排查 <b>x</b>",
        "**粗体**",
        true,
    )
    .await;
    let web = WebClient::new(&t);
    page_until(
        &web,
        "/kb?q=%E6%95%B0%E6%8D%AE%E5%BA%93",
        &format!("/kb/{public}"),
    )
    .await;
    let q = urlencode("数据库 <script>alert(1)</script>");
    let pages = [
        ("/kb".to_owned(), StatusCode::OK),
        (format!("/kb?q={q}"), StatusCode::OK),
        ("/kb?q=nothingmatchesthis".into(), StatusCode::OK),
        (format!("/kb/{public}"), StatusCode::OK),
        (format!("/kb/{draft}"), StatusCode::NOT_FOUND),
        ("/kb/abc".into(), StatusCode::NOT_FOUND),
        ("/kb?cursor=nonsense".into(), StatusCode::BAD_REQUEST),
        ("/sign-in".into(), StatusCode::OK),
    ];
    for lang in ["zh-CN", "en"] {
        // A visitor's choice is kept in the language cookie.
        let (status, location, _) = web
            .post_form(
                "/language",
                &[("_csrf", ""), ("lang", lang), ("back", "/kb")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/kb"));
        for (path, expected) in &pages {
            let r = web.get_response(path).await;
            assert_eq!(r.status(), *expected, "{path}");
            let csp = r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("script-src 'nonce-"), "{path}: {csp}");
            let page = r.text().await.unwrap();
            assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{path}");
            assert_valid(&format!("{path} ({lang})"), &page);
            assert!(!page.contains("<script>alert"), "{path}: words are escaped");
            assert!(!page.contains("<b>x</b>"), "{path}: titles are escaped");
            for prefix in ["kb-", "nav-", "field-", "search-", "error-"] {
                assert!(
                    !page.contains(&format!(">{prefix}")),
                    "{path} ({lang}) shows an untranslated {prefix} key"
                );
            }
        }
        let (_, page) = web.get("/sign-in").await;
        assert!(
            page.contains("href=\"/kb\""),
            "the sign-in page links to /kb"
        );
    }
    // Without a cookie, Accept-Language decides.
    for (accept, lang) in [("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9", "zh-CN")] {
        let fresh = WebClient::new(&t);
        let page = fresh
            .client
            .get(format!("{}/kb", fresh.base))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
    }
    // The portal's knowledge base links to the public one; a signed-in customer reads the
    // public page with a link to the portal's copy for feedback.
    let customer = customer_web(&t, "wang@cn-a.test", "customer_user").await;
    let (status, page) = customer.get("/portal/kb").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/kb\""), "the portal links to /kb");
    let (status, page) = customer.get(&format!("/kb/{public}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("/kb/{id} (customer)", &page);
    assert!(page.contains(&format!("href=\"/portal/kb/{public}\"")));
    let (status, _) = customer.get(&format!("/kb/{draft}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
