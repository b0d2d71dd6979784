//! The console over HTTP: queues, saved views, live updates, intake, escalation, and every page
//! checked for HTML validity and translation in both languages.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(
    notifications_are_listed_and_marked_read,
    console_queues_views_intake_and_escalation,
    every_page_is_valid_in_both_languages,
);

async fn console_queues_views_intake_and_escalation(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let coordinator =
        user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    let number = t.case_of_a().await;
    let web = WebClient::new(&t);
    web.sign_in("coord@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/console?queue=unassigned").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/console/cases/{number}")));
    let doc = scraper::Html::parse_document(&page);
    let tabs = scraper::Selector::parse("nav.tabs a").unwrap();
    let count = scraper::Selector::parse(".count").unwrap();
    let counted: Vec<String> = doc
        .select(&tabs)
        .filter(|a| a.select(&count).next().is_some())
        .map(|a| a.value().attr("href").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(counted.len(), 5, "every tab has its count: {counted:?}");
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

    // "My tier" shows the tier the user leads.
    let (_, tier_page) = web.get("/console?queue=tier").await;
    assert!(
        !tier_page.contains(&format!("/console/cases/{number}")),
        "L1 by default"
    );
    t.patch(
        &t.admin,
        &format!("/api/v1/users/{coordinator}"),
        json!({"leads_tier": "l2"}),
    )
    .await;
    let (_, tier_page) = web.get("/console?queue=tier").await;
    assert!(
        tier_page.contains(&format!("/console/cases/{number}")),
        "the L2 lead sees L2 cases"
    );

    // The entitlement: re-check, and an override with a reason.
    let path = format!("/console/cases/{number}/entitlement");
    let (status, _, _) = web
        .post_form(&path, &[("_csrf", &csrf), ("action", "recheck")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = web
        .post_form(
            &path,
            &[
                ("_csrf", &csrf),
                ("action", "override"),
                ("reason", ""),
                ("contract_number", ""),
                ("plan", ""),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    assert!(page.contains("class=\"error\""));
    let (status, _, page) = web
        .post_form(
            &path,
            &[
                ("_csrf", &csrf),
                ("action", "override"),
                ("reason", "续约合同已签，邮寄中"),
                ("contract_number", ""),
                ("plan", "standard"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["entitlement"]["outcome"], "entitled");
    assert_eq!(case["entitlement"]["plan"], "standard");
    assert_eq!(
        case["entitlement"]["override_reason"],
        "续约合同已签，邮寄中"
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
    let stranger =
        b"From: x@nowhere.test\r\nSubject: hi\r\nMessage-ID: <web-1@n.test>\r\n\r\nhello\r\n";
    let held = casebook_server::actions::mail::ingest::ingest(&t.app, stranger)
        .await
        .unwrap();
    assert_eq!(held.disposition, "quarantined");
    let mail_id = {
        let mut db = t.app.store.read().await.unwrap();
        casebook_store::mail::quarantined(&mut db, 1).await.unwrap()[0].id
    };
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
        "/console/plans/standard".into(),
        "/console/calendars/china-5x8".into(),
        "/console/users".into(),
        "/console/users/new".into(),
        "/notifications".into(),
        "/profile".into(),
        "/console/mail".into(),
        format!("/console/mail/{mail_id}"),
        "/console/mail/templates".into(),
        "/console/mail/templates/case_opened/zh-CN".into(),
        "/console/mail/templates/solution_proposed/en".into(),
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
        "/notifications".into(),
        "/profile".into(),
    ];
    for lang in ["zh-CN", "en"] {
        for (web, pages) in [(&staff, &staff_pages[..]), (&customer, &customer_pages[..])] {
            web.choose_language(&pages[0], lang).await;
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
                    "bulk-",
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

async fn notifications_are_listed_and_marked_read(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let coordinator =
        user_with_password(&t, "coord@vendor.test", "协调员", "coordinator", None).await;
    let number = t.case_of_a().await;
    let mut db = t.app.store.write().await.unwrap();
    let note = casebook_store::notifications::NewNotification {
        user: casebook_domain::ids::UserId::new(coordinator),
        case: None,
        kind: "sla_warning",
        title: &format!("{number} 首次响应即将超时"),
        body: "已用 75%",
        dedupe_key: "test-1",
    };
    casebook_store::notifications::notify(&mut db, &note, jiff::Timestamp::now())
        .await
        .unwrap();
    db.commit().await.unwrap();
    let web = WebClient::new(&t);
    web.sign_in("coord@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/notifications?unread=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("首次响应即将超时") && page.contains("已用 75%"));
    let csrf = hidden(&page, "_csrf").unwrap();
    let id = hidden(&page, "id").expect("a mark-read form");
    let (status, _, _) = web
        .post_form("/notifications/read", &[("_csrf", &csrf), ("id", &id)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = web.get("/notifications?unread=1").await;
    assert!(!page.contains("首次响应即将超时"), "read now");
    let (_, page) = web.get("/notifications").await;
    assert!(page.contains("首次响应即将超时"), "still listed");
    // Someone else's notifications are not shown, and their ids do nothing.
    user_with_password(
        &t,
        "wang@cn-a.test",
        "王小明",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    let customer = WebClient::new(&t);
    customer.sign_in("wang@cn-a.test", PASSWORD).await;
    let (_, page) = customer.get("/notifications").await;
    assert!(!page.contains("首次响应即将超时"));
    let (status, _, _) = customer
        .post_form("/notifications/read", &[("_csrf", "forged"), ("id", &id)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
