//! The web pages over HTTP, on SQLite and PostgreSQL.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::{INTERNAL_CANARY, TestApp};

on_both_backends!(
    sign_in_rotates_sessions_and_answers_alike,
    sign_in_is_throttled,
    forms_need_the_session_csrf_token,
    pages_carry_a_strict_csp,
    the_portal_shows_only_what_the_customer_may_see,
    bad_input_is_refused_and_the_text_kept,
    console_queues_views_intake_and_escalation,
    every_page_is_valid_in_both_languages,
    staff_edit_the_directory_and_users,
);

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("casebook_session="))
        .map(str::to_owned)
}

async fn sign_in_rotates_sessions_and_answers_alike(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    let web = WebClient::new(&t);

    let r = web.get_response("/console/cases/2026-00001").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/sign-in?next=%2Fconsole%2Fcases%2F2026-00001"
    );

    let (wrong_status, _, wrong) = web.sign_in("coord@vendor.test", "not-the-password").await;
    let (unknown_status, _, unknown) = web.sign_in("nobody@vendor.test", "not-the-password").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    let error = |page: &str| {
        let doc = scraper::Html::parse_document(page);
        doc.select(&scraper::Selector::parse(".error").unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
    };
    assert!(error(&wrong).is_some());
    assert_eq!(
        error(&wrong),
        error(&unknown),
        "unknown user and wrong password get the same answer"
    );

    // Without the pre-session token the form is refused (login CSRF).
    let (status, _, _) = web
        .post_form(
            "/sign-in",
            &[("email", "coord@vendor.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, page) = web.get("/sign-in").await;
    let csrf = hidden(&page, "_csrf").unwrap();
    let r = web
        .client
        .post(format!("{}/sign-in", t.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "coord@vendor.test"),
            ("password", PASSWORD),
            ("next", "/console/intake"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/console/intake",
        "back to the page asked for"
    );
    let first = session_cookie(&r).expect("a session cookie");
    assert!(
        first.contains("HttpOnly") && first.contains("SameSite=Lax") && first.contains("Path=/"),
        "{first}"
    );

    // Signing in again replaces the session: the old cookie no longer works.
    let (_, location, _) = web.sign_in("coord@vendor.test", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/console"));
    let old = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let value = first.split(';').next().unwrap();
    let r = old
        .get(format!("{}/console", t.base))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the replaced session is gone"
    );
    let (status, _) = web.get("/console").await;
    assert_eq!(status, StatusCode::OK);

    // An outside `next` is ignored.
    let web2 = WebClient::new(&t);
    let (_, page) = web2.get("/sign-in?next=//evil.example/").await;
    let csrf = hidden(&page, "_csrf").unwrap();
    let (_, location, _) = web2
        .post_form(
            "/sign-in",
            &[
                ("_csrf", &csrf),
                ("email", "coord@vendor.test"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location.as_deref(), Some("/console"));

    // Signing out needs the token and ends the session.
    let (status, _, _) = web.post_form("/sign-out", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = web.csrf("/console").await;
    let (status, location, _) = web.post_form("/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/sign-in"))
    );
    let (status, _) = web.get("/console").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn sign_in_is_throttled(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let web = WebClient::new(&t);
    for _ in 0..casebook_server::throttle::MAX_FAILURES {
        let (status, _, _) = web.sign_in("eng@vendor.test", "wrong-password-x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, page) = web.sign_in("eng@vendor.test", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(page.contains("sign-in") || page.contains("登录"));
    // The API's sign-in shares the limit.
    let r = t
        .client
        .post(t.url("/api/v1/auth/sign-in"))
        .json(&json!({"email": "eng@vendor.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    // Another address is not affected.
    user_with_password(&t, "eng2@vendor.test", "工程师二", "engineer", None).await;
    let (status, _, _) = web.sign_in("eng2@vendor.test", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn forms_need_the_session_csrf_token(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let number = t.case_of_a().await;
    let web = WebClient::new(&t);
    web.sign_in("eng@vendor.test", PASSWORD).await;
    let (_, before) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    let path = format!("/console/cases/{number}/reply");
    for token in [None, Some("forged-token")] {
        let mut fields = vec![("body", "不应保存的回复"), ("visibility", "public")];
        if let Some(token) = token {
            fields.push(("_csrf", token));
        }
        let (status, _, _) = web.post_multipart(&path, &fields, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = web
        .post_form(
            &format!("/console/cases/{number}/change"),
            &[("_csrf", "forged"), ("severity", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, after) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert_eq!(before, after, "nothing was added");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["severity"], 2);
}

async fn pages_carry_a_strict_csp(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let web = WebClient::new(&t);
    let r = web.get_response("/sign-in").await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = r.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce")
        .to_owned();
    assert!(nonce.len() >= 16);
    assert!(
        page.contains(&format!("nonce=\"{nonce}\"")),
        "the script carries the response's nonce"
    );
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    let again = web.get_response("/sign-in").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a fresh nonce per response"
    );
    // The assets: long-lived, typed, and unknown names are 404.
    let doc = scraper::Html::parse_document(&page);
    let css = doc
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let r = web.get_response(&css).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let (status, _) = web.get("/assets/app.000000000000.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Error pages are pages too.
    let r = web.get_response("/portal/cases/not-a-number").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "not signed in: to the sign-in page first"
    );
}

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
}

async fn console_queues_views_intake_and_escalation(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    let number = t.case_of_a().await;
    let web = WebClient::new(&t);
    web.sign_in("coord@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/console?queue=unassigned").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/console/cases/{number}")));
    let (_, mine) = web.get("/console?queue=mine").await;
    assert!(!mine.contains(&format!("/console/cases/{number}")));
    let (_, fragment) = web.get("/console?queue=unassigned&fragment=1").await;
    assert!(
        fragment.trim_start().starts_with("<table") && fragment.contains(&number),
        "only the table"
    );
    let (_, filtered) = web.get("/console?queue=all&severity=1").await;
    assert!(!filtered.contains(&format!("/console/cases/{number}")));
    let (status, _) = web.get("/console?queue=all&severity=7").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let csrf = web.csrf("/console").await;
    let (status, location, _) = web
        .post_form(
            "/console/views",
            &[
                ("_csrf", &csrf),
                ("name", "严重问题"),
                ("query", "queue=all&severity=1,2"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            StatusCode::SEE_OTHER,
            Some("/console?queue=all&severity=1,2")
        )
    );
    let (_, page) = web.get("/console").await;
    assert!(page.contains("严重问题"));
    let id = hidden(&page, "id").expect("a delete form for the view");
    web.post_form("/console/views/delete", &[("_csrf", &csrf), ("id", &id)])
        .await;
    let (_, page) = web.get("/console").await;
    assert!(!page.contains("严重问题"));

    let r = web.get_response("/console/events").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    drop(r);

    let (status, page) = web.get("/console/intake?customer_number=CN-A").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"entitlement\""), "{page}");
    let org = t.a.org_id.to_string();
    let (status, location, page) = web
        .post_form(
            "/console/intake",
            &[
                ("_csrf", &csrf),
                ("customer_number", "CN-A"),
                ("organization_id", &org),
                ("title", "电话报修：打印服务停止"),
                ("description", "客户来电"),
                ("severity", "3"),
                ("category", "usage"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let opened = location
        .unwrap()
        .trim_start_matches("/console/cases/")
        .to_owned();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{opened}")).await;
    assert_eq!(case["channel"], "phone");
    assert_eq!(case["title"], "电话报修：打印服务停止");

    let (status, _, _) = web
        .post_form(
            &format!("/console/cases/{number}/escalate"),
            &[
                ("_csrf", &csrf),
                ("tier", "l2"),
                ("reason", "需要二线分析日志"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["tier"], "l2");
    let (_, page) = web.get(&format!("/console/cases/{number}")).await;
    assert!(
        page.contains("需要二线分析日志"),
        "the reason is on the timeline"
    );
}

async fn every_page_is_valid_in_both_languages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "admin2@vendor.test", "管理员", "admin", None).await;
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let number = t.case_of_a().await;
    t.post(
        &t.engineer,
        &format!("/api/v1/cases/{number}/comments"),
        json!({"body": "内部备注", "visibility": "internal"}),
    )
    .await;
    let staff = WebClient::new(&t);
    staff.sign_in("admin2@vendor.test", PASSWORD).await;
    let customer = WebClient::new(&t);
    customer.sign_in("wang@cn-a.test", PASSWORD).await;
    let org = t.a.org_id;
    let staff_pages = [
        "/console".to_owned(),
        "/console?queue=unassigned".into(),
        "/console?queue=breaching".into(),
        "/console?queue=tier".into(),
        "/console?queue=all".into(),
        format!("/console/cases/{number}"),
        "/console/intake".into(),
        "/console/intake?customer_number=CN-A".into(),
        "/console/organizations".into(),
        format!("/console/organizations/{org}"),
        "/console/contacts".into(),
        "/console/products".into(),
        "/console/units".into(),
        "/console/contracts".into(),
        "/console/calendars".into(),
        "/console/plans".into(),
        "/console/users".into(),
        "/console/users/new".into(),
        "/console/organizations/new".into(),
        format!("/console/organizations/{org}/edit"),
        format!("/console/organizations/{org}/contacts/new"),
        format!("/console/contacts/{}/edit", t.a.contact_id),
        format!("/console/users/{}/edit", t.engineer_id),
        "/console/products/new".into(),
        "/console/cases/2026-99999".into(),
    ];
    let customer_pages = [
        "/portal".to_owned(),
        "/portal?closed=1".into(),
        "/portal/cases/new".into(),
        format!("/portal/cases/{number}"),
        "/portal/contracts".into(),
    ];
    for lang in ["zh-CN", "en"] {
        for (web, pages) in [(&staff, &staff_pages[..]), (&customer, &customer_pages[..])] {
            let csrf = web.csrf(&pages[0]).await;
            web.post_form(
                "/language",
                &[("_csrf", &csrf), ("lang", lang), ("back", "/")],
            )
            .await;
            for path in pages {
                let (status, page) = web.get(path).await;
                assert!(
                    status == StatusCode::OK
                        || (status == StatusCode::NOT_FOUND && path.ends_with("99999")),
                    "{path}: {status}"
                );
                assert!(
                    page.contains(&format!("<html lang=\"{lang}\">")),
                    "{path} in {lang}"
                );
                assert_valid(&format!("{path} ({lang})"), &page);
                for prefix in [
                    "field-",
                    "nav-",
                    "status-",
                    "queue-",
                    "error-",
                    "metric-",
                    "outcome-",
                    "severity-",
                ] {
                    assert!(
                        !page.contains(&format!(">{prefix}")),
                        "{path} ({lang}) shows an untranslated {prefix} key"
                    );
                }
            }
        }
    }
    let anonymous = WebClient::new(&t);
    let (_, page) = anonymous.get("/sign-in").await;
    assert_valid("/sign-in", &page);
}

async fn staff_edit_the_directory_and_users(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "admin2@vendor.test", "管理员", "admin", None).await;
    let web = WebClient::new(&t);
    web.sign_in("admin2@vendor.test", PASSWORD).await;
    let csrf = web.csrf("/console/organizations/new").await;

    let (status, location, page) = web
        .post_form(
            "/console/organizations/new",
            &[
                ("_csrf", &csrf),
                ("customer_number", "cn-20001"),
                ("name", "华东电网"),
                ("address", "上海"),
                ("notes", ""),
                ("support_plan", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let org_path = location.unwrap();
    let (_, page) = web.get(&org_path).await;
    assert!(
        page.contains("华东电网") && page.contains("CN-20001"),
        "the customer number is upper-cased"
    );

    // A duplicate customer number is refused, with what was typed kept.
    let (status, _, page) = web
        .post_form(
            "/console/organizations/new",
            &[
                ("_csrf", &csrf),
                ("customer_number", "CN-20001"),
                ("name", "重复的单位"),
                ("address", ""),
                ("notes", ""),
                ("support_plan", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("重复的单位") && page.contains("class=\"error\""));
    let (status, _, page) = web
        .post_form(
            "/console/organizations/new",
            &[("customer_number", "CN-20002"), ("name", "无令牌")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");

    let (status, location, page) = web
        .post_form(
            &format!("{org_path}/edit"),
            &[
                ("_csrf", &csrf),
                ("customer_number", "CN-20001"),
                ("name", "国网华东分部"),
                ("address", "上海市浦东新区"),
                ("notes", "重点客户"),
                ("support_plan", "standard"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(org_path.as_str())),
        "{page}"
    );
    let org_id = org_path.rsplit('/').next().unwrap().to_owned();
    let (_, org) = t
        .get(&t.admin, &format!("/api/v1/organizations/{org_id}"))
        .await;
    assert_eq!(org["name"], "国网华东分部");
    assert_eq!(org["support_plan"], "standard");

    let (status, _, page) = web
        .post_form(
            &format!("{org_path}/contacts/new"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("email", "not-an-email"),
                ("phone", ""),
                ("can_open_cases", "on"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad address is refused"
    );
    assert!(page.contains("陈工"));
    let (status, _, _) = web
        .post_form(
            &format!("{org_path}/contacts/new"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("email", "chen@sgcc-east.test"),
                ("phone", "+86 21 5555 0101"),
                ("can_open_cases", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, contacts) = t
        .get(&t.admin, &format!("/api/v1/contacts?organization={org_id}"))
        .await;
    assert_eq!(contacts["items"][0]["email"], "chen@sgcc-east.test");

    let (status, _, page) = web
        .post_form(
            "/console/users/new",
            &[
                ("_csrf", &csrf),
                ("email", "chen@sgcc-east.test"),
                ("name", "陈工"),
                ("role", "customer_admin"),
                ("organization_id", &org_id),
                ("password", "sgcc-password-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let customer = WebClient::new(&t);
    let (_, location, _) = customer
        .sign_in("chen@sgcc-east.test", "sgcc-password-1")
        .await;
    assert_eq!(location.as_deref(), Some("/portal"));

    let (_, list) = t.get(&t.admin, "/api/v1/users?q=chen").await;
    let user_id = list["items"][0]["id"].as_i64().unwrap();
    let (status, _, page) = web
        .post_form(
            &format!("/console/users/{user_id}/edit"),
            &[
                ("_csrf", &csrf),
                ("name", "陈工"),
                ("role", "customer_admin"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, user) = t.get(&t.admin, &format!("/api/v1/users/{user_id}")).await;
    assert_eq!(user["active"], false, "an unticked box deactivates");
    let (status, _) = customer.get("/portal").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a deactivated user is signed out"
    );

    // An engineer may not manage users.
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let eng = WebClient::new(&t);
    eng.sign_in("eng@vendor.test", PASSWORD).await;
    let csrf = eng.csrf("/console").await;
    let (status, _, _) = eng
        .post_form(
            "/console/users/new",
            &[
                ("_csrf", &csrf),
                ("email", "x@vendor.test"),
                ("name", "X"),
                ("role", "admin"),
                ("organization_id", ""),
                ("password", "x-password-12"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
