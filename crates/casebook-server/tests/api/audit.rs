//! Every change is in the audit log with who, when, before and after; the chain verifies.

use casebook_server::actions::audit as audit_actions;
use casebook_server::policy::Principal;
use casebook_store::audit::Verification;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

on_both_backends!(changes_are_audited_with_before_and_after);

async fn changes_are_audited_with_before_and_after(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    t.patch(
        &t.engineer,
        &format!("/api/v1/cases/{number}"),
        json!({"severity": 1, "reason": "生产中断"}),
    )
    .await;
    let (status, log) = t
        .get(
            &t.manager,
            &format!("/api/v1/audit?object_type=case&object_id={number}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "case.update");
    assert_eq!(entries[0]["actor_label"], "engineer@vendor.test");
    assert_eq!(entries[0]["before"]["severity"], 2);
    assert_eq!(entries[0]["after"]["severity"], 1);
    assert_eq!(entries[1]["action"], "case.create");
    assert!(entries[1]["before"].is_null());
    assert_eq!(entries[0]["prev_hash"].as_str().unwrap().len(), 64);

    let (status, body) = t.get(&t.engineer, "/api/v1/audit").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = t.get(&t.a.admin_token, "/api/v1/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    match audit_actions::verify(&t.app, &Principal::system("test"))
        .await
        .unwrap()
    {
        Verification::Intact { entries } => assert!(
            entries > 10,
            "fixtures and changes are all in the chain: {entries}"
        ),
        broken => panic!("{broken:?}"),
    }
}
