//! The search index follows the database on SQLite and PostgreSQL: a second process over the
//! same database sees every change, and on PostgreSQL a transaction left open elsewhere does not
//! hold the index back.

use std::time::{Duration, Instant};

use casebook_server::actions::search;
use casebook_server::policy::Principal;
use casebook_store::on_both_backends;
use casebook_store::search::Kind;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::search::{find, numbers, q, wait_for};

on_both_backends!(a_second_process_follows_every_change);

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
