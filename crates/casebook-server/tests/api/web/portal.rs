//! The portal and the case pages over HTTP: what customers see, bad input, closure confirmation.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::{INTERNAL_CANARY, TestApp};

on_both_backends!(
    a_file_over_the_limit_keeps_the_text,
    the_portal_shows_only_what_the_customer_may_see,
    bad_input_is_refused_and_the_text_kept,
    customers_reject_a_solution_and_reopen_a_closed_case,
);

async fn the_portal_shows_only_what_the_customer_may_see(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(
        &t,
        "li@cn-b.test",
        "李雷",
        "customer_user",
        Some(t.b.org_id),
    )
    .await;
    let a = WebClient::new(&t);
    let (_, location, _) = a.sign_in("wang@cn-a.test", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/portal"));
    let csrf = a.csrf("/portal/cases/new").await;
    let (status, location, _) = a
        .post_multipart(
            "/portal/cases",
            &[
                ("_csrf", &csrf),
                ("title", "数据库连接失败"),
                ("description", "应用启动时报 **connection refused**"),
                ("severity", "2"),
                ("category", "defect"),
                ("environment", "RHEL 9"),
            ],
            Some(("日志.txt", "ERROR connection refused".as_bytes().to_vec())),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let number = location
        .trim_start_matches("/portal/cases/")
        .trim_end_matches("?opened=1")
        .to_owned();
    let (status, page) = a.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&number) && page.contains("id=\"opened\""),
        "the number at once"
    );
    assert!(page.contains("日志.txt"), "the file was attached");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["channel"], "web");
    assert_eq!(case["contact"]["name"], "王小明");

    t.post(
        &t.engineer,
        &format!("/api/v1/cases/{number}/comments"),
        json!({"body": format!("内部：{INTERNAL_CANARY}"), "visibility": "internal"}),
    )
    .await;
    t.post(
        &t.engineer,
        &format!("/api/v1/cases/{number}/comments"),
        json!({"body": "请检查监听端口", "visibility": "public"}),
    )
    .await;
    let (_, page) = a.get(&format!("/portal/cases/{number}")).await;
    assert!(page.contains("请检查监听端口"));
    assert!(
        !page.contains(INTERNAL_CANARY),
        "no internal note on a portal page"
    );
    assert!(!page.contains("entitlement"), "no staff-only fields");
    // Files alone, without text, are added to the case.
    let csrf = a.csrf(&format!("/portal/cases/{number}")).await;
    let (status, _, _) = a
        .post_multipart(
            &format!("/portal/cases/{number}/reply"),
            &[("_csrf", &csrf), ("body", "")],
            Some(("截图.png", vec![0x89, b'P', b'N', b'G'])),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = a.get(&format!("/portal/cases/{number}")).await;
    assert!(page.contains("截图.png"));

    let b = WebClient::new(&t);
    b.sign_in("li@cn-b.test", PASSWORD).await;
    let (status, page) = b.get(&format!("/portal/cases/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("数据库连接失败"));
    let (_, list) = b.get("/portal?closed=1").await;
    assert!(!list.contains(&number));
    let (status, _, _) = b
        .post_multipart(
            &format!("/portal/cases/{number}/reply"),
            &[("_csrf", &b.csrf("/portal").await), ("body", "插话")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = b
        .get(&format!("/api/v1/cases/{number}/attachments/1"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    // Customers are sent away from the console, staff from the portal.
    let r = b.get_response("/console").await;
    assert_eq!(r.headers()["location"], "/portal");
    let r = b.get_response(&format!("/console/cases/{number}")).await;
    assert_eq!(r.headers()["location"], "/portal");
    let r = b.get_response("/console/events").await;
    assert_eq!(r.headers()["location"], "/portal");
}

async fn bad_input_is_refused_and_the_text_kept(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let a = WebClient::new(&t);
    a.sign_in("wang@cn-a.test", PASSWORD).await;
    let csrf = a.csrf("/portal/cases/new").await;
    let long_title = "长".repeat(201);
    for (title, severity) in [("", "2"), (long_title.as_str(), "2"), ("正常标题", "9")] {
        let (status, _, page) = a
            .post_multipart(
                "/portal/cases",
                &[
                    ("_csrf", &csrf),
                    ("title", title),
                    ("description", "保留这段描述文字"),
                    ("severity", severity),
                ],
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title} {severity}"
        );
        assert!(page.contains("保留这段描述文字"), "the description is kept");
        assert!(page.contains("class=\"error\""));
    }
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was opened"
    );

    let number = t.case_of_a().await;
    let eng = WebClient::new(&t);
    eng.sign_in("eng@vendor.test", PASSWORD).await;
    let csrf = eng.csrf(&format!("/console/cases/{number}")).await;
    let (status, _, page) = eng
        .post_form(
            &format!("/console/cases/{number}/escalate"),
            &[("_csrf", &csrf), ("tier", "l2"), ("reason", "  ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("class=\"error\""));
    let (status, _, page) = eng
        .post_multipart(
            &format!("/console/cases/{number}/reply"),
            &[("_csrf", &csrf), ("body", ""), ("visibility", "public")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    // A stale version is a conflict, shown on the page with the reason kept.
    let (status, _, page) = eng
        .post_form(
            &format!("/console/cases/{number}/change"),
            &[
                ("_csrf", &csrf),
                ("version", "999"),
                ("severity", "1"),
                ("reason", "客户要求提升"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("客户要求提升"));
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["severity"], 2);
    assert!(case["tier"].is_null() || case["tier"] != "l2");
    // A refused internal note comes back as an internal note, never as a public reply.
    let long = "内".repeat(100_001);
    let (status, _, page) = eng
        .post_multipart(
            &format!("/console/cases/{number}/reply"),
            &[
                ("_csrf", &csrf),
                ("body", &long),
                ("visibility", "internal"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let doc = scraper::Html::parse_document(&page);
    let checked = |id: &str| {
        doc.select(&scraper::Selector::parse(&format!("#{id}")).unwrap())
            .next()
            .unwrap()
            .value()
            .attr("checked")
            .is_some()
    };
    assert!(
        checked("vis-internal") && !checked("vis-public"),
        "the note stays internal"
    );
    // A refused escalation keeps its reason in the escalation form, not in the reply box.
    let (_, _, page) = eng
        .post_form(
            &format!("/console/cases/{number}/escalate"),
            &[
                ("_csrf", &csrf),
                ("version", "999"),
                ("tier", "l2"),
                ("reason", "内部升级理由"),
            ],
        )
        .await;
    let doc = scraper::Html::parse_document(&page);
    let text_of = |id: &str| {
        doc.select(&scraper::Selector::parse(&format!("#{id}")).unwrap())
            .next()
            .unwrap()
            .text()
            .collect::<String>()
    };
    assert_eq!(text_of("e-reason"), "内部升级理由");
    assert_eq!(text_of("reply-body"), "");
}

async fn customers_reject_a_solution_and_reopen_a_closed_case(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(
        &t,
        "admin@cn-a.portal",
        "阿尔法管理员",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let number = t.case_of_a().await;
    t.advance(&number, &["in_progress", "solution_proposed"])
        .await;
    let web = WebClient::new(&t);
    web.sign_in("admin@cn-a.portal", PASSWORD).await;
    let (_, page) = web.get(&format!("/portal/cases/{number}")).await;
    assert!(page.contains("id=\"accept-solution\"") && page.contains("id=\"reject-solution\""));
    let csrf = hidden(&page, "_csrf").unwrap();
    let version = hidden(&page, "version").unwrap();
    let (status, _, _) = web
        .post_form(
            &format!("/portal/cases/{number}/status"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "in_progress"),
                ("reason", "重启后问题依旧"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["status"], "in_progress");
    let (_, page) = web.get(&format!("/portal/cases/{number}")).await;
    assert!(
        page.contains("重启后问题依旧"),
        "the reason is on the timeline"
    );
    assert!(!page.contains("id=\"accept-solution\""));

    // A customer may not close a case that has no proposed solution.
    let version = hidden(&page, "version").unwrap_or_else(|| case["version"].to_string());
    let (status, _, _) = web
        .post_form(
            &format!("/portal/cases/{number}/status"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "closed"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    t.advance(&number, &["solution_proposed"]).await;
    let (_, page) = web.get(&format!("/portal/cases/{number}")).await;
    let version = hidden(&page, "version").unwrap();
    let (status, _, _) = web
        .post_form(
            &format!("/portal/cases/{number}/status"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "closed"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&format!("/portal/cases/{number}")).await;
    assert!(
        page.contains("status-closed") && !page.contains("id=\"reply-body\""),
        "closed: no reply box"
    );
    let version = hidden(&page, "version").expect("the reopen form");
    let (status, _, _) = web
        .post_form(
            &format!("/portal/cases/{number}/status"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "in_progress"),
                ("reason", "问题再次出现"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["status"], "in_progress", "reopened");
}

async fn a_file_over_the_limit_keeps_the_text(backend: TestBackend) {
    let t = TestApp::spawn_with(
        backend,
        |c| c.limits.max_attachment_bytes = 1024,
        std::sync::Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    let a = WebClient::new(&t);
    a.sign_in("wang@cn-a.test", PASSWORD).await;
    let csrf = a.csrf("/portal/cases/new").await;
    let (status, _, page) = a
        .post_multipart(
            "/portal/cases",
            &[
                ("_csrf", &csrf),
                ("title", "大日志"),
                ("description", "这段描述不能丢"),
                ("severity", "3"),
            ],
            Some(("big.log", vec![b'x'; 4096])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("这段描述不能丢") && page.contains("big.log"),
        "the text is kept and the file named"
    );
    let (_, list) = t.get(&t.admin, "/api/v1/cases").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was opened"
    );

    let number = t.case_of_a().await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let eng = WebClient::new(&t);
    eng.sign_in("eng@vendor.test", PASSWORD).await;
    let csrf = eng.csrf(&format!("/console/cases/{number}")).await;
    let (status, _, page) = eng
        .post_multipart(
            &format!("/console/cases/{number}/reply"),
            &[
                ("_csrf", &csrf),
                ("body", "附上完整日志"),
                ("visibility", "internal"),
            ],
            Some(("big.log", vec![b'x'; 4096])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("附上完整日志"));
    let doc = scraper::Html::parse_document(&page);
    let internal = doc
        .select(&scraper::Selector::parse("#vis-internal").unwrap())
        .next()
        .unwrap();
    assert!(internal.value().attr("checked").is_some());
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(
        !timeline.to_string().contains("附上完整日志"),
        "nothing was added"
    );
}
