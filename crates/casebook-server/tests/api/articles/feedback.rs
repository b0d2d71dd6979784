//! Readers' feedback moves the counts, and articles that solved problems come first.

use super::*;

on_both_backends!(feedback_counts_and_the_solved_order);

async fn feedback_counts_and_the_solved_order(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let one = published(&t, "One", "customers").await;
    let two = published(&t, "Two", "public").await;
    let three = published(&t, "Three", "customers").await;
    let vote = |token: String, article: Value, solved: bool| {
        let t = &t;
        async move {
            let (status, body) = t
                .post(
                    &token,
                    &format!("/api/v1/articles/{}/feedback", article["id"]),
                    json!({"solved": solved, "comment": "谢谢"}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let tokens = [
        t.a.user_token.clone(),
        t.a.admin_token.clone(),
        t.b.user_token.clone(),
        t.engineer.clone(),
    ];
    for token in &tokens[..3] {
        vote(token.clone(), two.clone(), true).await;
    }
    vote(tokens[0].clone(), three.clone(), true).await;
    vote(tokens[1].clone(), three.clone(), true).await;
    vote(tokens[0].clone(), one.clone(), true).await;
    let again = vote(tokens[0].clone(), one.clone(), true).await;
    assert_eq!(
        (
            again["solved_count"].as_i64(),
            again["not_solved_count"].as_i64()
        ),
        (Some(1), Some(0)),
        "one vote per reader"
    );
    let changed = vote(tokens[0].clone(), one.clone(), false).await;
    assert_eq!(
        (
            changed["solved_count"].as_i64(),
            changed["not_solved_count"].as_i64()
        ),
        (Some(0), Some(1)),
        "a changed vote moves the counts"
    );
    assert_eq!(changed["my_feedback"], false);
    let staff_vote = vote(tokens[3].clone(), three.clone(), false).await;
    assert_eq!(staff_vote["not_solved_count"], 1);

    assert_eq!(
        titles(&t, &t.a.user_token, "?sort=solved").await,
        vec!["Two", "Three", "One"]
    );
    let (_, first) = t
        .get(&t.a.user_token, "/api/v1/articles?sort=solved&limit=1")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/articles?sort=solved&limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(second["items"][0]["titles"][0]["title"], "Three");
    let (status, body) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/articles?limit=1&cursor={cursor}"),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_cursor");

    let draft = write(&t, json!({"texts": [{"language": "en", "title": "draft"}]})).await;
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/articles/{}/feedback", draft["id"]),
            json!({"solved": true}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "article_not_published");
    let (status, body) = t
        .post(
            &t.a.user_token,
            &format!("/api/v1/articles/{}/feedback", one["id"]),
            json!({"solved": "yes"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}
