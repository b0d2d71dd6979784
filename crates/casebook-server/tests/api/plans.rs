//! Support plans through the API: the built-in standard plan, admins' plans with validation,
//! the default plan, and an organisation's own plan.

use casebook_domain::sla::plan::standard_plan;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    plans_are_validated_and_one_is_default,
    organisations_choose_their_plan
);

fn gold() -> Value {
    let mut body = serde_json::to_value(standard_plan()).unwrap();
    body["id"] = json!("gold");
    body["name"] = json!("金牌 Gold 7×24");
    for terms in body["severities"].as_array_mut().unwrap() {
        terms["calendar"] = json!("24x7");
        terms["targets"]["initial_response"] = json!({"minutes": 30});
        terms.as_object_mut().unwrap().remove("overrides");
    }
    body
}

async fn plans_are_validated_and_one_is_default(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, standard) = t.get(&t.engineer, "/api/v1/plans/standard").await;
    assert_eq!(status, StatusCode::OK, "{standard}");
    assert_eq!(standard["is_default"], false);
    assert_eq!(standard["severities"][0]["calendar"], "24x7");
    let (_, no_contract) = t.get(&t.engineer, "/api/v1/plans/no-contract").await;
    assert_eq!(
        no_contract["is_default"], true,
        "customers without a contract: {no_contract}"
    );
    assert_eq!(
        no_contract["severities"][0]["targets"]["initial_response"],
        "nbd"
    );
    assert_eq!(standard["severities"][2]["overrides"][0]["target"], "nbd");
    let (status, body) = t.get(&t.a.user_token, "/api/v1/plans").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let (status, body) = t.post(&t.manager, "/api/v1/plans", gold()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let mut bad = gold();
    bad["severities"][0]["calendar"] = json!("moon-5x8");
    bad["severities"].as_array_mut().unwrap().pop();
    let (status, body) = t.post(&t.admin, "/api/v1/plans", bad).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let fields: Vec<&str> = details["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["severities", "severities[0].calendar"]);
    let mut no_target = gold();
    no_target["severities"][1]["targets"] = json!({});
    let (status, body) = t.post(&t.admin, "/api/v1/plans", no_target).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "severities[1].targets");
    let mut zero = gold();
    zero["severities"][1]["targets"]["resolution"] = json!({"minutes": 0});
    let (status, body) = t.post(&t.admin, "/api/v1/plans", zero).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["field"],
        "severities[1].targets.resolution"
    );
    let (status, _) = t.get(&t.admin, "/api/v1/plans/gold").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was written");

    let (status, created) = t.post(&t.admin, "/api/v1/plans", gold()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["is_default"], false);
    assert_eq!(
        created["escalation"][1],
        json!({"percent": 100, "notify": "tier_lead"})
    );
    let (status, body) = t.post(&t.admin, "/api/v1/plans", gold()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "duplicate_plan");

    let mut make_default = gold();
    make_default["is_default"] = json!(true);
    let (status, body) = t
        .call(
            Method::PUT,
            &t.admin,
            "/api/v1/plans/gold",
            Some(make_default),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["is_default"], true);
    let (_, no_contract) = t.get(&t.engineer, "/api/v1/plans/no-contract").await;
    assert_eq!(no_contract["is_default"], false, "only one default");
    let (_, list) = t.get(&t.engineer, "/api/v1/plans").await;
    let defaults = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_default"] == true)
        .count();
    assert_eq!(defaults, 1);
}

async fn organisations_choose_their_plan(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, _) = t.post(&t.admin, "/api/v1/plans", gold()).await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/organizations/{}", t.a.org_id);
    let (status, body) = t
        .patch(&t.coordinator, &path, json!({"support_plan": "platinum"}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "support_plan");
    let (status, org) = t
        .patch(&t.coordinator, &path, json!({"support_plan": "gold"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["support_plan"], "gold");
    let (_, org) = t
        .patch(&t.coordinator, &path, json!({"support_plan": null}))
        .await;
    assert_eq!(org["support_plan"], Value::Null);
    let (status, org) = t
        .post(
            &t.coordinator,
            "/api/v1/organizations",
            json!({"customer_number": "CN-GOLD", "name": "金牌客户", "support_plan": "gold"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["support_plan"], "gold");
}
