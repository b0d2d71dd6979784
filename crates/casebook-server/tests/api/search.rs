//! Search on SQLite and PostgreSQL: Chinese and English wordings find each other, snippets are
//! highlighted, customers find only what they may see (internal notes and the other
//! organisation's canaries never), hostile queries never fail, filters and paging work, articles
//! are found by whom they are for, and deflections are counted.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{FOREIGN_CANARY, TestApp, assert_error};

on_both_backends!(
    wordings_find_each_other_with_highlights,
    customers_find_only_what_they_may_see,
    hostile_queries_never_fail,
    filters_and_paging,
    deflections_are_counted,
    articles_are_found_by_whom_they_are_for
);

/// Text planted in an internal note: no customer may ever find it.
const INTERNAL_CANARY: &str = "INTERNALCANARY7731";

/// Searches through the API as `token`; fails the test on anything but 200.
pub async fn find(t: &TestApp, token: &str, query: &str) -> Value {
    let url = format!("/api/v1/search?{query}");
    let (status, body) = t.get(token, &url).await;
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    body
}

/// Searches until `found` holds (the index follows the database within a moment), failing after
/// 20 seconds.
pub async fn wait_for(
    t: &TestApp,
    token: &str,
    query: &str,
    found: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = find(t, token, query).await;
        if found(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{query}: not found within 20 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn q(text: &str) -> String {
    format!("q={}", urlencode(text))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The case numbers in a result page.
pub fn numbers(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "case")
        .filter_map(|i| i["number"].as_str().map(str::to_owned))
        .collect()
}

async fn wordings_find_each_other_with_highlights(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await; // 数据库无法连接 / 应用报 connection refused
    let other = t
        .open_case(
            &t.a.user_token,
            json!({"title": "打印机卡纸", "description": "paper jam in tray 2", "severity": 4}),
        )
        .await;
    let body = wait_for(&t, &t.engineer, &q("数据库连接失败"), |b| {
        numbers(b).contains(&number)
    })
    .await;
    assert!(!numbers(&body).contains(&other), "{body}");
    let hit = &body["items"][0];
    assert_eq!(
        hit["number"],
        number.as_str(),
        "the best result first: {body}"
    );
    assert!(
        hit["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>数据库</mark>"),
        "{hit}"
    );
    let body = find(&t, &t.engineer, &q("connections refused")).await;
    assert_eq!(numbers(&body), [number.as_str()], "{body}");
    let snippet = body["items"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>connection</mark>"), "{snippet}");
    assert!(snippet.contains("<mark>refused</mark>"), "{snippet}");
    // The number itself, typed exactly, finds the case first.
    let body = find(&t, &t.engineer, &q(&number)).await;
    assert_eq!(body["items"][0]["number"], number.as_str(), "{body}");
    // A reply is searchable too, and markup in it comes back escaped.
    let (status, reply) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "请检查监听器 listener <script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let body = wait_for(&t, &t.a.user_token, &q("监听器"), |b| {
        numbers(b).contains(&number)
    })
    .await;
    let snippet = body["items"][0]["snippet_html"].as_str().unwrap();
    assert!(!snippet.contains("<script>"), "{snippet}");
}

async fn customers_find_only_what_they_may_see(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mine = t.case_of_a().await;
    let foreign = t.case_of_b().await;
    let (status, note) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{mine}/comments"),
            json!({"body": format!("数据库 {INTERNAL_CANARY} 内部判断"), "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    // A case of A that A's customer user neither opened nor is the contact of.
    let colleagues = t
        .open_case(
            &t.coordinator,
            json!({"title": "数据库 colleague case", "description": "d", "severity": 3,
                   "organization_id": t.a.org_id}),
        )
        .await;
    // Staff find everything, the internal note included, so the index holds it all.
    let staff = wait_for(&t, &t.engineer, &q(INTERNAL_CANARY), |b| {
        numbers(b).contains(&mine)
    })
    .await;
    assert!(
        staff["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains(INTERNAL_CANARY),
        "{staff}"
    );
    wait_for(&t, &t.engineer, &q("数据库"), |b| {
        numbers(b).contains(&colleagues)
    })
    .await;
    wait_for(&t, &t.engineer, &q(FOREIGN_CANARY), |b| {
        numbers(b).contains(&foreign)
    })
    .await;

    for token in [&t.a.user_token, &t.a.admin_token] {
        for text in [INTERNAL_CANARY, FOREIGN_CANARY, "内部判断", "CN-B", "Beta"] {
            let body = find(&t, token, &q(text)).await;
            assert_eq!(body["items"], json!([]), "{text}: {body}");
            assert_eq!(body["total"], 0, "{text}: {body}");
        }
        let body = find(&t, token, &q("数据库")).await;
        let text = body.to_string();
        assert!(numbers(&body).contains(&mine), "{body}");
        assert!(
            !text.contains(INTERNAL_CANARY) && !text.contains(FOREIGN_CANARY),
            "{body}"
        );
        // Asking for the other organisation's objects gives nothing, not an error.
        let body = find(
            &t,
            token,
            &format!("{}&organization_id={}", q("problem"), t.b.org_id),
        )
        .await;
        assert_eq!(body["items"], json!([]), "{body}");
    }
    // The customer user sees their own cases, the customer admin every case of A.
    let body = find(&t, &t.a.user_token, &q("数据库")).await;
    assert!(!numbers(&body).contains(&colleagues), "{body}");
    let body = find(&t, &t.a.admin_token, &q("数据库")).await;
    assert!(numbers(&body).contains(&colleagues), "{body}");
    // The directory: their own organisation only.
    let body = find(
        &t,
        &t.a.user_token,
        &format!("{}&types=organization", q("Alpha")),
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["items"][0]["id"], t.a.org_id, "{body}");
    let body = find(
        &t,
        &t.a.user_token,
        &format!("{}&types=organization,contact,unit", q("Beta")),
    )
    .await;
    assert_eq!(body["items"], json!([]), "{body}");
}

async fn hostile_queries_never_fail(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    // A long text whose words overlap in the index (数据库 holds 数据 and 据库): its snippet is
    // cut across them.
    let long_text = t
        .open_case(
            &t.a.user_token,
            json!({"title": "长文本 long text", "severity": 3,
            "description": "数据库连接失败，数据库无法连接。".repeat(60)}),
        )
        .await;
    wait_for(&t, &t.engineer, &q("数据库"), |b| {
        numbers(b).contains(&number) && numbers(b).contains(&long_text)
    })
    .await;
    for text in ["数据库连接失败", "数据", "据库", "无法连接 数据库"] {
        for token in [&t.engineer, &t.a.user_token] {
            let body = find(&t, token, &q(text)).await;
            assert!(body["total"].as_u64().unwrap() >= 1, "{text}: {body}");
        }
    }
    let long = "数据库连接".repeat(600) + &"x".repeat(3000);
    let hostile = [
        "\"unclosed quote",
        "\"数据库\"",
        "AND OR NOT",
        "title:数据库 OR body:*",
        "*",
        "(((",
        "数据库 -连接 +失败",
        "' OR 1=1 --",
        "%00%ff",
        "😀😀😀",
        "数据库😀connection",
        "ＤＡＴＡＢＡＳＥ　数据库", // full-width letters and space
        "\u{202e}数据库\u{200b}",
        "اتصال قاعدة البيانات",
        "<script>alert(1)</script>",
        long.as_str(),
        " ",
    ];
    for text in hostile {
        for token in [&t.engineer, &t.a.user_token] {
            let body = find(&t, token, &q(text)).await;
            assert!(body["items"].is_array(), "{text}: {body}");
        }
    }
    // The quoted word and the mixed script still find the case.
    assert!(numbers(&find(&t, &t.engineer, &q("\"数据库\"")).await).contains(&number));
    assert!(numbers(&find(&t, &t.engineer, &q("数据库😀connection")).await).contains(&number));
    // Bad parameters are refused with the field named.
    let (status, body) = t
        .get(&t.engineer, "/api/v1/search?q=x&types=case,tickets")
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "types", "{body}");
    let (status, body) = t.get(&t.engineer, "/api/v1/search?q=x&language=fr").await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "language", "{body}");
    let (status, body) = t
        .get(&t.engineer, "/api/v1/search?q=x&cursor=nonsense")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_cursor");
    let (status, body) = t
        .get(&t.engineer, "/api/v1/search?q=x&cursor=s.999999")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_cursor");
    let (status, body) = t.get(&t.engineer, "/api/v1/search").await;
    assert!(status.is_client_error(), "{status}: {body}");
    let (status, _) = t.get("not-a-token", "/api/v1/search?q=x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn filters_and_paging(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let mut opened = Vec::new();
    for (i, severity) in [1, 2, 3, 3, 4].into_iter().enumerate() {
        let body = json!({"title": format!("存储阵列告警 {i}"), "description": "disk array alarm",
                          "severity": severity, "organization_id": t.a.org_id});
        opened.push(t.open_case(&t.coordinator, body).await);
    }
    let b_case = t
        .open_case(
            &t.coordinator,
            json!({"title": "存储阵列告警 B", "description": "d", "severity": 3,
                                          "organization_id": t.b.org_id}),
        )
        .await;
    wait_for(&t, &t.engineer, &q("存储阵列"), |b| b["total"] == 6).await;
    let body = find(&t, &t.engineer, &format!("{}&severity=3", q("存储阵列"))).await;
    assert_eq!(body["total"], 3, "{body}");
    assert_eq!(body["total_exact"], true, "{body}");
    let body = find(
        &t,
        &t.engineer,
        &format!(
            "{}&severity=3&organization_id={}",
            q("存储阵列"),
            t.a.org_id
        ),
    )
    .await;
    assert_eq!(body["total"], 2, "{body}");
    assert!(!numbers(&body).contains(&b_case));
    let body = find(
        &t,
        &t.engineer,
        &format!("{}&types=article,unit", q("存储阵列")),
    )
    .await;
    assert_eq!(body["total"], 0, "{body}");
    let body = find(
        &t,
        &t.engineer,
        &format!("{}&status=new&types=case", q("存储阵列")),
    )
    .await;
    assert_eq!(body["total"], 6, "{body}");

    // Pages of two: every result once, then no cursor.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let body = find(
            &t,
            &t.engineer,
            &format!("{}&limit=2{cursor}", q("存储阵列")),
        )
        .await;
        seen.extend(numbers(&body));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    seen.sort();
    let mut all = opened.clone();
    all.push(b_case);
    all.sort();
    assert_eq!(seen, all);
}

async fn deflections_are_counted(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let path = "/api/v1/search/deflections";
    let (status, body) = t
        .post(&t.a.user_token, path, json!({"query": "数据库连接失败"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = t
        .post(
            &t.b.user_token,
            path,
            json!({"query": "printer", "article_id": 999_999}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Staff are not counted; an empty query or an unknown field is refused.
    let (status, _) = t.post(&t.engineer, path, json!({"query": "x"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = t.post(&t.a.user_token, path, json!({"query": "  "})).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "query", "{body}");
    let (status, body) = t
        .post(&t.a.user_token, path, json!({"query": "x", "extra": 1}))
        .await;
    assert!(status.is_client_error(), "{body}");

    let (status, body) = t.get(&t.manager, path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 2, "{body}");
    let (status, body) = t.get(&t.a.admin_token, &format!("{path}?days=7")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 1, "{body}");
    let (status, body) = t.get(&t.a.user_token, path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
}

/// Writes an article as the engineer; with `publish`, submits it and has the manager publish it.
async fn article(t: &TestApp, visibility: &str, title: &str, publish: bool) -> i64 {
    let body = json!({"visibility": visibility, "texts": [{"language": "zh-CN", "title": title,
        "symptom": "应用报 connection refused", "resolution": "重启监听器 restart the listener"}]});
    let (status, made) = t.post(&t.engineer, "/api/v1/articles", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    if publish {
        t.review_step(&t.engineer, id, "submit").await;
        t.review_step(&t.manager, id, "publish").await;
    }
    id
}

fn article_ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "article")
        .filter_map(|i| i["id"].as_i64())
        .collect()
}

async fn articles_are_found_by_whom_they_are_for(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let for_customers = article(&t, "customers", "数据库无法连接的处理方法", true).await;
    let internal = article(&t, "internal", "数据库无法连接 内部经验 kbinternal", true).await;
    let draft = article(&t, "customers", "数据库无法连接 草稿 kbdraft", false).await;
    let query = format!("{}&types=article", q("数据库连接失败"));
    let staff = wait_for(&t, &t.engineer, &query, |b| b["total"] == 3).await;
    let mut all = article_ids(&staff);
    all.sort();
    assert_eq!(all, [for_customers, internal, draft]);
    for token in [&t.a.user_token, &t.b.admin_token] {
        let body = find(&t, token, &query).await;
        assert_eq!(article_ids(&body), [for_customers], "{body}");
        let hit = &body["items"][0];
        assert!(
            hit["title_html"]
                .as_str()
                .unwrap()
                .contains("<mark>数据库</mark>"),
            "{hit}"
        );
        for text in ["kbinternal", "kbdraft", "内部经验"] {
            let body = find(&t, token, &q(text)).await;
            assert_eq!(body["items"], json!([]), "{text}: {body}");
        }
    }
    // Retired, it is gone for customers; staff still find it.
    let (status, body) = t
        .post(
            &t.manager,
            &format!("/api/v1/articles/{for_customers}/retire"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for(&t, &t.a.user_token, &query, |b| b["total"] == 0).await;
    let body = find(&t, &t.engineer, &query).await;
    assert!(article_ids(&body).contains(&for_customers), "{body}");
}
