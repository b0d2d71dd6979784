//! Teams on SQLite and PostgreSQL: administrators put staff in a team (dashboards and survey
//! results group by it); customers are in none, and a bad team name is refused with its field.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

on_both_backends!(administrators_put_staff_in_teams);

async fn administrators_put_staff_in_teams(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let engineer = format!("/api/v1/users/{}", t.engineer_id);
    let (status, body) = t
        .patch(&t.admin, &engineer, json!({"team": "  北京一线 "}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["team"], "北京一线", "trimmed");
    let (_, body) = t.get(&t.admin, &engineer).await;
    assert_eq!(body["team"], "北京一线");

    // Only administrators place people in teams, staff themselves included.
    let (status, body) = t
        .patch(&t.engineer, &engineer, json!({"team": "上海二线"}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // Refused with the field, and nothing changes.
    for bad in [json!(""), json!("x".repeat(101)), json!("a\nb"), json!(7)] {
        let (status, body) = t.patch(&t.admin, &engineer, json!({"team": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(
            body["error"]["details"]["fields"][0]["field"], "team",
            "{bad}: {body}"
        );
    }
    let customer = format!("/api/v1/users/{}", t.a.user_id);
    let (status, body) = t
        .patch(&t.admin, &customer, json!({"team": "北京一线"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        body["error"]["details"]["fields"][0]["field"], "team",
        "{body}"
    );
    let (_, body) = t.get(&t.admin, &engineer).await;
    assert_eq!(body["team"], "北京一线", "a refused change keeps the team");

    // `null` takes the engineer out of the team.
    let (status, body) = t.patch(&t.admin, &engineer, json!({"team": null})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["team"].is_null(), "{body}");
}
