//! The search index follows the database on SQLite and PostgreSQL: a second process over the
//! same database sees every change, and on PostgreSQL a transaction left open elsewhere does not
//! hold the index back; renaming an organisation, a product or a site changes the documents
//! that name it.

use std::time::{Duration, Instant};

use casebook_server::actions::search;
use casebook_server::policy::Principal;
use casebook_store::on_both_backends;
use casebook_store::search::Kind;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::search::{find, numbers, q, wait_for};

on_both_backends!(
    a_second_process_follows_every_change,
    renaming_an_organisation_product_or_site_changes_what_names_it
);

async fn a_second_process_follows_every_change(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let second = t.second_process().await;
    let follower = tokio::spawn(casebook_server::search::follow(second.clone()));
    let system = Principal::system("test");
    let look = |text: &'static str| {
        let second = second.clone();
        let system = system.clone();
        async move {
            let request = casebook_server::search::Request {
                q: text.into(),
                kinds: vec![Kind::Case],
                limit: 10,
                ..Default::default()
            };
            search::search(&second, &system, request).await.unwrap()
        }
    };
    // Writes through the first process, several at once, are all seen by the second.
    let mut writers = Vec::new();
    for i in 0..8 {
        let base = t.base.clone();
        let token = t.a.user_token.clone();
        writers.push(tokio::spawn(async move {
            let (status, body) = crate::helpers::client()
                .post(format!("{base}/api/v1/cases"))
                .bearer_auth(token)
                .json(&json!({"title": format!("并发写入 parallel{i}"), "description": "d", "severity": 3}))
                .send()
                .await
                .map(|r| (r.status(), r))
                .unwrap();
            assert_eq!(status, StatusCode::CREATED, "{:?}", body.text().await);
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = look("并发写入").await;
        if found.total == 8 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second process sees {} of 8",
            found.total
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A change of a title is followed too: the old words are gone.
    let number = t.case_of_a().await;
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{number}"),
            json!({"title": "改名后的标题 renamed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = look("renamed").await;
        if found.total == 1 {
            assert_eq!(look("无法连接").await.total, 0);
            break;
        }
        assert!(Instant::now() < deadline, "the rename is not seen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();
}

/// PostgreSQL only (SQLite has one writer): a transaction left open elsewhere (an idle psql
/// session, a long import) keeps the oldest running transaction id back, yet changes committed
/// meanwhile are found all the same, and nothing is lost once it ends.
#[tokio::test]
async fn a_long_transaction_elsewhere_does_not_hold_back_the_index_postgres() {
    use sqlx::Connection;
    let t = TestApp::spawn(TestBackend::Postgres).await;
    let mut other = sqlx::PgConnection::connect(t.app.store.url())
        .await
        .unwrap();
    let mut open = other.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *open)
        .await
        .unwrap();
    let number = t.case_of_a().await;
    wait_for(&t, &t.engineer, &q("数据库"), |b| {
        numbers(b).contains(&number)
    })
    .await;
    let (status, body) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{number}"),
            json!({"title": "长事务期间改名 renamedduring"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for(&t, &t.engineer, &q("renamedduring"), |b| {
        numbers(b) == [number.clone()]
    })
    .await;
    open.rollback().await.unwrap();
    let later = t
        .open_case(
            &t.a.user_token,
            json!({"title": "事务结束后 afterwards", "description": "d", "severity": 3}),
        )
        .await;
    wait_for(&t, &t.engineer, &q("afterwards"), |b| {
        numbers(b) == [later.clone()]
    })
    .await;
    let body = find(&t, &t.engineer, &q("renamedduring")).await;
    assert_eq!(numbers(&body), [number], "{body}");
}

fn kinds_found(body: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["type"].as_str().map(str::to_owned))
        .collect();
    kinds.sort();
    kinds
}

async fn renaming_an_organisation_product_or_site_changes_what_names_it(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "Oldprodname 9000", "vendor": "Huaxin", "versions": [{"version": "1.0"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": t.a.org_id, "code": "old-dc", "name": "旧机房 oldsitename"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let (status, unit) = t
        .post(
            &t.coordinator,
            "/api/v1/units",
            json!({"organization_id": t.a.org_id, "site_id": site["id"], "serial_number": "SN-RENAME-1",
                "product_id": product["id"], "product_version": "1.0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    let number = t
        .open_case(
            &t.coordinator,
            json!({"title": "改名测试 rename check", "description": "d", "severity": 3,
                   "organization_id": t.a.org_id, "product_id": product["id"]}),
        )
        .await;
    wait_for(&t, &t.engineer, &q("oldprodname"), |b| {
        kinds_found(b) == ["case", "unit"]
    })
    .await;

    let (status, body) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/products/{}", product["id"]),
            json!({"name": "Newprodname 9000", "version": product["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/sites/{}", site["id"]),
            json!({"name": "新机房 newsitename"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, org) = t
        .get(
            &t.coordinator,
            &format!("/api/v1/organizations/{}", t.a.org_id),
        )
        .await;
    let (status, body) = t
        .patch(
            &t.coordinator,
            &format!("/api/v1/organizations/{}", t.a.org_id),
            json!({"name": "Neworgname 医院", "version": org["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The case and the unit are found by the product's new name only.
    let body = wait_for(&t, &t.engineer, &q("newprodname"), |b| {
        kinds_found(b) == ["case", "unit"]
    })
    .await;
    assert_eq!(numbers(&body), std::slice::from_ref(&number));
    wait_for(&t, &t.engineer, &q("oldprodname"), |b| b["total"] == 0).await;
    // The unit by its site's new name.
    wait_for(&t, &t.engineer, &q("newsitename"), |b| {
        kinds_found(b) == ["unit"]
    })
    .await;
    wait_for(&t, &t.engineer, &q("oldsitename"), |b| b["total"] == 0).await;
    // Everything of the organisation by its new name: itself, its contacts, units and cases.
    let body = wait_for(
        &t,
        &t.engineer,
        &format!(
            "{}&types=case,contact,unit,organization&limit=100",
            q("neworgname")
        ),
        |b| {
            let kinds = kinds_found(b);
            ["case", "contact", "organization", "unit"]
                .iter()
                .all(|k| kinds.iter().any(|f| f == k))
        },
    )
    .await;
    assert!(numbers(&body).contains(&number), "{body}");
}
