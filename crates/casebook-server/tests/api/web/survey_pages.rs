//! The survey pages over HTTP, on SQLite and PostgreSQL: the customer's list and answer form in
//! the portal (CSRF checked, a refused answer shown again with the reason and what was typed,
//! another organisation's survey not found), and the admins' settings form (saved, refused with
//! the field named, closed to other staff).

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;

use super::{PASSWORD, WebClient, hidden, user_with_password};
use crate::helpers::TestApp;
use crate::surveys::closed_case;

on_both_backends!(customers_answer_in_the_portal, admins_edit_the_survey);

async fn customers_answer_in_the_portal(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, body) = t
        .post(
            &t.admin,
            "/api/v1/users",
            serde_json::json!({"email": "wu@alpha.test", "name": "吴女士", "role": "customer_user",
                "organization_id": t.a.org_id, "contact_id": t.a.contact_id, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    user_with_password(
        &t,
        "ops@beta.test",
        "Beta ops",
        "customer_user",
        Some(t.b.org_id),
    )
    .await;
    let number = closed_case(&t, Some(t.a.contact_id), "VPN 隧道中断").await;
    let (_, surveys) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/surveys"))
        .await;
    let id = surveys["surveys"][0]["id"].as_i64().unwrap();
    let path = format!("/portal/surveys/{id}");

    let web = WebClient::new(&t);
    web.sign_in("wu@alpha.test", PASSWORD).await;
    let (status, list) = web.get("/portal/surveys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&path) && list.contains(&number), "{list}");
    let (status, form) = web.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&form, "_csrf").unwrap();
    let (status, _, _) = web
        .post_form(&path, &[("_csrf", "wrong"), ("resolution", "5")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the CSRF token is checked");
    let (status, _, refused) = web
        .post_form(&path, &[("_csrf", &csrf), ("comment", "还没选分数")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("还没选分数"),
        "what was typed stays: {refused}"
    );
    let (status, to, _) = web
        .post_form(
            &path,
            &[("_csrf", &csrf), ("resolution", "5"), ("engineer", "4")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/portal/surveys"));
    let (_, answered) = web.get(&path).await;
    assert!(answered.contains("5 / 5"), "{answered}");
    let (status, again, _) = web
        .post_form(&path, &[("_csrf", &csrf), ("resolution", "1")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again:?}");

    let other = WebClient::new(&t);
    other.sign_in("ops@beta.test", PASSWORD).await;
    let (status, _) = other.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn admins_edit_the_survey(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "root@vendor.test", "管理员", "admin", None).await;
    user_with_password(&t, "eng@vendor.test", "工程师", "engineer", None).await;
    let web = WebClient::new(&t);
    web.sign_in("root@vendor.test", PASSWORD).await;
    let (status, page) = web.get("/console/surveys/settings").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = hidden(&page, "_csrf").unwrap();
    let version = hidden(&page, "version").unwrap();
    let field = |name: &str| -> String {
        let doc = scraper::Html::parse_document(&page);
        let selector = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
        let el = doc.select(&selector).next().unwrap();
        el.value()
            .attr("value")
            .map(str::to_owned)
            .unwrap_or_else(|| el.text().collect())
    };
    let names = [
        "resolution_zh",
        "resolution_en",
        "speed_zh",
        "speed_en",
        "engineer_zh",
        "engineer_en",
        "comment_zh",
        "comment_en",
        "words_zh",
        "words_en",
    ];
    let values: Vec<(String, String)> = names.iter().map(|n| (n.to_string(), field(n))).collect();
    let mut form: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    form.extend([
        ("_csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("enabled", "on"),
        ("fatigue_days", "7"),
        ("answer_days", "0"),
        ("low_score", "3"),
    ]);
    let (status, _, refused) = web.post_form("/console/surveys/settings", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, settings) = t.get(&t.admin, "/api/v1/survey-settings").await;
    assert_eq!(settings["fatigue_days"], 30, "nothing saved");
    let i = form.iter().position(|(n, _)| *n == "answer_days").unwrap();
    form[i] = ("answer_days", "10");
    let (status, to, _) = web.post_form("/console/surveys/settings", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to.as_deref(), Some("/console/surveys/settings?saved=1"));
    let (_, settings) = t.get(&t.admin, "/api/v1/survey-settings").await;
    assert_eq!(
        (
            settings["fatigue_days"].as_i64(),
            settings["answer_days"].as_i64(),
            settings["low_score"].as_i64()
        ),
        (Some(7), Some(10), Some(3))
    );
    assert_eq!(
        settings["questions"]["resolution"]["zh-CN"],
        "问题的解决结果您是否满意？"
    );

    let engineer = WebClient::new(&t);
    engineer.sign_in("eng@vendor.test", PASSWORD).await;
    let (status, _) = engineer.get("/console/surveys/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, results) = engineer.get("/console/surveys").await;
    assert_eq!(status, StatusCode::OK, "{results}");
}
