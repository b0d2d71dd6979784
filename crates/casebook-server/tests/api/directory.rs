//! Organisations, contacts and products: create, list, read, update, archive.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    organisations_and_contacts_round_trip,
    products_and_versions,
    customers_read_but_do_not_change_the_directory
);

async fn organisations_and_contacts_round_trip(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, org) = t.post(&t.coordinator, "/api/v1/organizations", json!({"customer_number": "cn-20001", "name": "成都天府医院", "address": "成都市武侯区", "notes": "VIP"})).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["customer_number"], "CN-20001");
    let id = org["id"].as_i64().unwrap();
    let (status, contact) = t.post(&t.coordinator, "/api/v1/contacts", json!({"organization_id": id, "name": "杨帆", "email": "Yang.Fan@Hospital.test", "phone": "+86 28 8542 4401", "can_open_cases": false})).await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    assert_eq!(contact["email"], "yang.fan@hospital.test");
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/contacts",
            json!({"organization_id": id, "name": "Dup", "email": "yang.fan@hospital.test"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = t.post(&t.coordinator, "/api/v1/cases", json!({"title": "t", "description": "d", "severity": 3, "organization_id": id, "contact_id": contact["id"]})).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["code"], "not_authorised",
        "a contact who may not open cases"
    );

    let (_, found) = t
        .get(&t.engineer, "/api/v1/organizations?q=%E5%A4%A9%E5%BA%9C")
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, by_number) = t.get(&t.engineer, "/api/v1/organizations?q=cn-20001").await;
    assert_eq!(by_number["items"][0]["id"], id);
    let (_, contacts) = t
        .get(&t.engineer, &format!("/api/v1/contacts?organization={id}"))
        .await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 1);

    let (status, updated) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/organizations/{id}"),
            json!({"name": "成都天府第一人民医院", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    let (status, body) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/organizations/{id}"),
            json!({"notes": "stale", "version": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");
    let (status, archived) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/organizations/{id}"),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(archived["archived_at"].is_string());
    let (_, active) = t.get(&t.engineer, "/api/v1/organizations?q=cn-20001").await;
    assert_eq!(
        active["items"].as_array().unwrap().len(),
        0,
        "archived organisations are hidden by default"
    );
    let (_, all) = t
        .get(
            &t.engineer,
            "/api/v1/organizations?q=cn-20001&archived=true",
        )
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/cases",
            json!({"title": "t", "description": "d", "severity": 3, "organization_id": id}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["code"], "archived");
}

async fn products_and_versions(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, product) = t.post(&t.coordinator, "/api/v1/products", json!({"name": "StorArray S5000", "vendor": "Huaxin", "versions": [{"version": "FW 5.4", "released_on": "2024-06-30"}, {"version": "FW 5.2", "released_on": "2023-01-10"}]})).await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let id = product["id"].as_i64().unwrap();
    assert_eq!(product["versions"][0]["version"], "FW 5.2");
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "X", "vendor": "Y", "versions": [{"version": "1"}, {"version": "1"}]}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "versions[1].version");
    let (status, body) = t.post(&t.coordinator, "/api/v1/products", json!({"name": "X", "vendor": "Y", "versions": [{"version": "1", "released_on": "2024-02-30"}]})).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "versions[0].released_on");
    let (status, with_new) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/products/{id}/versions"),
            json!({"version": "FW 6.0", "released_on": "2025-11-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(with_new["versions"].as_array().unwrap().len(), 3);
    let version_id = with_new["versions"][2]["id"].as_i64().unwrap();
    let (status, fixed) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/products/{id}/versions/{version_id}"),
            json!({"released_on": "2025-11-06"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["released_on"], "2025-11-06");

    let (status, body) = t.post(&t.a.user_token, "/api/v1/cases", json!({"title": "t", "description": "d", "severity": 3, "product_id": id, "product_version": "FW 9"})).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(
        details["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("FW 5.2, FW 5.4, FW 6.0"),
        "{details}"
    );
    let (status, case) = t.post(&t.a.user_token, "/api/v1/cases", json!({"title": "t", "description": "d", "severity": 3, "product_id": id, "product_version": "FW 5.4", "patch_level": "P3", "operating_system": "Kylin V10"})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["product"]["name"], "StorArray S5000");
}

async fn customers_read_but_do_not_change_the_directory(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, own) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/organizations/{}", t.a.org_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["customer_number"], "CN-A");
    let (status, body) = t
        .patch(
            &t.a.admin_token,
            &format!("/api/v1/organizations/{}", t.a.org_id),
            json!({"name": "renamed"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (_, list) = t.get(&t.a.user_token, "/api/v1/organizations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, body) = t
        .post(
            &t.a.admin_token,
            "/api/v1/products",
            json!({"name": "p", "vendor": "v"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
}
