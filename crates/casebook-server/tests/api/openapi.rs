//! The OpenAPI document is served, is OpenAPI 3.1, and documents every route.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use serde_json::Value;

use crate::helpers::{TestApp, client};

on_both_backends!(the_document_is_served_and_complete);

async fn the_document_is_served_and_complete(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let doc: Value = client()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/comments",
        "/api/v1/cases/{number}/attachments",
        "/api/v1/cases/{number}/timeline",
        "/api/v1/organizations",
        "/api/v1/contacts",
        "/api/v1/products",
        "/api/v1/users",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no responses"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Case",
        "CaseDraft",
        "CasePatch",
        "ErrorBody",
        "Organization",
        "CaseEvent",
    ] {
        assert!(
            schemas.contains_key(schema),
            "schema {schema} missing: {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
