//! The remote-access policy pages over HTTP, on SQLite and PostgreSQL: a customer's
//! administrator denies remote access in the portal and gives one site its own policy; a
//! customer user reads the page but its change is refused; in the console an engineer may not
//! change it, an administrator may; the case page's remote box links the page. Every page is
//! valid HTML.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(administrators_set_the_remote_access_policy);

const PORTAL: &str = "/portal/remote-access";

async fn administrators_set_the_remote_access_policy(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let org = t.a.org_id;
    user_with_password(&t, "it@cn-a.test", "IT 管理员", "customer_admin", Some(org)).await;
    user_with_password(
        &t,
        "staff@cn-a.test",
        "普通用户",
        "customer_user",
        Some(org),
    )
    .await;
    user_with_password(&t, "gong@vendor.test", "龚工", "engineer", None).await;
    user_with_password(&t, "boss@vendor.test", "管理员", "admin", None).await;
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": org, "code": "SH-DC2", "name": "上海二号机房"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let policy = format!("/api/v1/organizations/{org}/remote-access");

    let admin = WebClient::new(&t);
    admin.sign_in("it@cn-a.test", PASSWORD).await;
    let (status, page) = admin.get(PORTAL).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(PORTAL, &page);
    let csrf = admin.csrf(PORTAL).await;
    let (status, to, _) = admin
        .post_form(PORTAL, &[("_csrf", &csrf), ("policy", "deny")])
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(PORTAL))
    );
    let site_id = site["id"].to_string();
    let (status, _, _) = admin
        .post_form(
            PORTAL,
            &[("_csrf", &csrf), ("site", &site_id), ("policy", "ask")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, now) = t.get(&t.admin, &policy).await;
    assert_eq!(now["policy"], "deny");
    assert_eq!(now["sites"][0]["name"], "上海二号机房");
    assert_eq!(now["sites"][0]["policy"], "ask");
    let (status, _, page) = admin
        .post_form(PORTAL, &[("_csrf", &csrf), ("policy", "sometimes")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

    let user = WebClient::new(&t);
    user.sign_in("staff@cn-a.test", PASSWORD).await;
    let (status, page) = user.get(PORTAL).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("上海二号机房"));
    let csrf = user.csrf(PORTAL).await;
    let (status, _, _) = user
        .post_form(PORTAL, &[("_csrf", &csrf), ("policy", "allow")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let console = format!("/console/organizations/{org}/remote-access");
    let engineer = WebClient::new(&t);
    engineer.sign_in("gong@vendor.test", PASSWORD).await;
    let (status, page) = engineer.get(&console).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&console, &page);
    let csrf = engineer.csrf(&console).await;
    let (status, _, _) = engineer
        .post_form(&console, &[("_csrf", &csrf), ("policy", "allow")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let boss = WebClient::new(&t);
    boss.sign_in("boss@vendor.test", PASSWORD).await;
    let csrf = boss.csrf(&console).await;
    let (status, _, _) = boss
        .post_form(
            &console,
            &[("_csrf", &csrf), ("site", &site_id), ("policy", "follow")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, now) = t.get(&t.admin, &policy).await;
    assert_eq!(now["sites"], json!([]));
    let (status, _, _) = boss
        .post_form(&console, &[("_csrf", &csrf), ("policy", "allow")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, now) = t.get(&t.admin, &policy).await;
    assert_eq!(now["policy"], "allow");

    // The case page's remote box leads to the page.
    let number = t.case_of_a().await;
    let (_, page) = boss.get(&format!("/console/cases/{number}")).await;
    assert!(page.contains(&console), "the case page links the policy");
}
