//! The console's page of internal targets per tier (OLA) over HTTP, on SQLite and PostgreSQL:
//! an administrator saves the grid; a grid with a cell that is no number or out of range is
//! shown again with what was typed and a message naming the cell, and nothing changes; other
//! staff read the grid without inputs; the case page lists the case's stays with a target.
//! Every page is valid HTML.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(administrators_set_internal_targets_in_a_grid);

const PAGE: &str = "/console/ola-targets";

async fn administrators_set_internal_targets_in_a_grid(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "boss@vendor.test", "管理员", "admin", None).await;
    user_with_password(&t, "gong@vendor.test", "龚工", "engineer", None).await;
    let admin = WebClient::new(&t);
    admin.sign_in("boss@vendor.test", PASSWORD).await;
    let (status, page) = admin.get(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(PAGE, &page);
    assert!(page.contains("name=\"m-l2-2\"") && page.contains("各层级内部处理时限"));

    // Not a number, and a warning at 100 %: refused with the cells named, typed values kept.
    let csrf = admin.csrf(PAGE).await;
    let (status, _, page) = admin
        .post_form(
            PAGE,
            &[
                ("_csrf", &csrf),
                ("m-l1-2", "两小时"),
                ("m-l2-2", "240"),
                ("w-l2-2", "100"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(PAGE, &page);
    assert!(page.contains("一线 · 严重级别 2 · 工作分钟"), "{page}");
    assert!(page.contains("value=\"两小时\""), "the typed text is kept");
    let (status, _, page) = admin
        .post_form(
            PAGE,
            &[("_csrf", &csrf), ("m-l2-2", "240"), ("w-l2-2", "100")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("二线 · 严重级别 2 · 预警比例 %"), "{page}");
    let (_, none) = t.get(&t.engineer, "/api/v1/ola-targets").await;
    assert_eq!(none, json!({"targets": []}), "nothing was saved");

    // Saved: four business hours at L2 for severity 2, warned at the default 75 %.
    let (status, location, _) = admin
        .post_form(
            PAGE,
            &[
                ("_csrf", &csrf),
                ("m-l2-2", "240"),
                ("w-l2-2", ""),
                ("m-engineering-1", "480"),
                ("w-engineering-1", "50"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(PAGE))
    );
    let (_, saved) = t.get(&t.engineer, "/api/v1/ola-targets").await;
    assert_eq!(
        saved,
        json!({"targets": [
            {"tier": "l2", "severity": 2, "minutes": 240, "warn_percent": 75},
            {"tier": "engineering", "severity": 1, "minutes": 480, "warn_percent": 50}]})
    );

    // An engineer reads the grid; the case page shows the stay at L2 with its target.
    let engineer = WebClient::new(&t);
    engineer.sign_in("gong@vendor.test", PASSWORD).await;
    let (status, page) = engineer.get(PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(PAGE, &page);
    assert!(
        !page.contains("<input id=\"m-") && page.contains("240 · 75 %"),
        "{page}"
    );
    let number = t.case_of_a().await;
    let (status, body) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/cases/{number}"),
            json!({"tier": "l2", "reason": "转二线"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let case = format!("/console/cases/{number}");
    let (_, page) = engineer.get(&case).await;
    assert_valid(&case, &page);
    assert!(
        page.contains("id=\"ola-stays\"") && page.contains("ola-running"),
        "{page}"
    );
}
