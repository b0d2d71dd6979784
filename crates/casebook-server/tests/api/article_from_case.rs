//! "Create an article from this case" through the API: only a solved case, only by staff; the
//! draft is prefilled from the case without the customer's names, addresses or numbers, and the
//! article and the case link to each other, each shown only to whom may see it.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::articles::{product, steps};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(a_solved_case_becomes_a_draft_without_customer_names);

async fn a_solved_case_becomes_a_draft_without_customer_names(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let p = product(&t, "Huaxin DB").await;
    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": "Alpha 阿尔法 的数据库无法连接",
                "description": "Alpha 阿尔法 contact 报告（客户号 CN-A）：应用报 connection refused。联系 contact@cn-a.test，电话 138 0013 8000。",
                "severity": 2, "product_id": p, "product_version": "9.0", "patch_level": "FP3",
                "operating_system": "RHEL 8.6", "environment": "Alpha 阿尔法 user 的测试环境，Oracle 19c"}),
        )
        .await;
    let from_case = format!("/api/v1/cases/{number}/article");
    let (status, body) = t.post(&t.engineer, &from_case, json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "case_not_solved");
    t.advance(&number, &["in_progress"]).await;
    let (status, body) = t
        .patch(&t.engineer, &format!("/api/v1/cases/{number}"),
            json!({"status": "solution_proposed", "reason": "升级到 9.0.1 后恢复；已告知 Alpha 阿尔法 admin（admin@cn-a.test，+86 21 5888 0000）"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = t.post(&t.a.user_token, &from_case, json!({})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.post(&t.b.user_token, &from_case, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, a) = t.post(&t.engineer, &from_case, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let text = &a["texts"][0];
    assert_eq!(text["language"], "zh-CN");
    assert_eq!(text["title"], "[客户] 的数据库无法连接");
    assert_eq!(
        text["symptom"],
        "[联系人] 报告（客户号 [客户号]）：应用报 connection refused。联系 [邮箱]，电话 [电话]。"
    );
    assert_eq!(
        text["resolution"],
        "升级到 9.0.1 后恢复；已告知 [联系人]（[邮箱]，[电话]）"
    );
    assert_eq!(text["cause"], "");
    let body = text["body"].as_str().unwrap();
    for part in [
        "## 环境",
        "Huaxin DB 9.0",
        "FP3",
        "RHEL 8.6",
        "[联系人] 的测试环境，Oracle 19c",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
    let all = a.to_string();
    for name in ["Alpha", "阿尔法", "CN-A", "cn-a", "138 0013", "5888"] {
        assert!(!all.contains(name), "{name} left in {all}");
    }
    assert_eq!(a["status"], "draft");
    assert_eq!(a["visibility"], "internal");
    assert_eq!(a["products"][0]["product"]["id"], p);
    assert_eq!(a["products"][0]["versions"], json!(["9.0"]));
    assert_eq!(a["cases"], json!([number]));

    let case_articles = format!("/api/v1/cases/{number}/articles");
    let (_, linked) = t.get(&t.engineer, &case_articles).await;
    assert_eq!(linked["items"][0]["id"], a["id"]);
    let (_, linked) = t.get(&t.a.user_token, &case_articles).await;
    assert_eq!(
        linked["items"],
        json!([]),
        "a draft is not shown to the customer"
    );
    let (status, _) = t.get(&t.b.user_token, &case_articles).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, edited) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/articles/{}", a["id"]),
            json!({"visibility": "customers", "version": a["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    steps(&t, &a["id"], &["submit", "publish"]).await;
    let (_, linked) = t.get(&t.a.user_token, &case_articles).await;
    assert_eq!(linked["items"][0]["id"], a["id"]);
    let (_, seen) = t
        .get(&t.a.user_token, &format!("/api/v1/articles/{}", a["id"]))
        .await;
    assert_eq!(
        seen["cases"],
        json!([number]),
        "the customer sees their own case"
    );
    let (_, seen) = t
        .get(&t.b.user_token, &format!("/api/v1/articles/{}", a["id"]))
        .await;
    assert_eq!(
        seen["cases"],
        json!([]),
        "another organisation does not see the case"
    );

    let english = t
        .open_case(
            &t.a.user_token,
            json!({"title": "Gateway refuses VPN", "description": "after renewal", "severity": 3}),
        )
        .await;
    t.advance(&english, &["in_progress", "solution_proposed"])
        .await;
    let (status, en) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/cases/{english}/article"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{en}");
    assert_eq!(en["texts"][0]["language"], "en");
    assert_eq!(en["texts"][0]["body"], "");
}
