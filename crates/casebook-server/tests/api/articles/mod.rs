//! Knowledge articles through the API: the review lifecycle with a reviewer other than the
//! author and anyone who changed or submitted the text, what customers may see (everything else is 404), bad input that changes nothing,
//! feedback counts and the `solved` order. Drafts from cases: `article_from_case.rs`;
//! subscriptions and alerts: `article_alerts.rs`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use crate::helpers::{TestApp, assert_error};

mod feedback;

on_both_backends!(
    the_lifecycle_needs_another_reviewer,
    whoever_changed_or_submitted_the_text_may_not_review_it,
    customers_see_only_published_articles_for_them,
    bad_input_is_refused_and_changes_nothing,
);

/// A product with versions 9.0 and 9.1; returns its id.
pub async fn product(t: &TestApp, name: &str) -> i64 {
    let (status, p) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": name, "vendor": "Huaxin", "versions": [{"version": "9.0"}, {"version": "9.1"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

/// Writes an article as the engineer; returns it.
pub async fn write(t: &TestApp, body: Value) -> Value {
    let (status, article) = t.post(&t.engineer, "/api/v1/articles", body).await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    article
}

/// Moves an article along review steps (`submit` by the engineer, the rest by the manager).
pub async fn steps(t: &TestApp, id: &Value, steps: &[&str]) -> Value {
    let mut last = Value::Null;
    for step in steps {
        let token = if *step == "submit" {
            &t.engineer
        } else {
            &t.manager
        };
        let (status, article) = t
            .post(token, &format!("/api/v1/articles/{id}/{step}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {article}");
        last = article;
    }
    last
}

/// A published article meant for customers with one English title.
pub async fn published(t: &TestApp, title: &str, visibility: &str) -> Value {
    let a = write(
        t,
        json!({"visibility": visibility, "texts": [{"language": "en", "title": title}]}),
    )
    .await;
    steps(t, &a["id"], &["submit", "publish"]).await
}

async fn titles(t: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, list) = t.get(token, &format!("/api/v1/articles{query}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["titles"][0]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn the_lifecycle_needs_another_reviewer(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let p = product(&t, "Huaxin DB").await;
    let a = write(
        &t,
        json!({"visibility": "customers", "tags": ["Oracle", "监听"],
            "texts": [
                {"language": "zh-CN", "title": "数据库连接失败", "symptom": "应用报 connection refused",
                 "resolution": "重启监听", "body": "**重启** 监听\n\n<script>alert(1)</script>"},
                {"language": "en", "title": "Connection refused"}],
            "products": [{"product_id": p, "versions": ["9.0"]}]}),
    )
    .await;
    let id = a["id"].clone();
    let path = format!("/api/v1/articles/{id}");
    assert_eq!(a["status"], "draft");
    assert_eq!(a["tags"], json!(["oracle", "监听"]));
    assert_eq!(a["author"]["name"], "engineer@vendor.test");
    assert_eq!(a["products"][0]["versions"], json!(["9.0"]));
    let html = a["texts"][0]["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>重启</strong>"), "{html}");
    assert!(!html.contains("<script"), "{html}");

    let (status, body) = t
        .post(&t.engineer, &format!("{path}/publish"), json!({}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "article_transition_not_allowed",
    );
    let submitted = steps(&t, &id, &["submit"]).await;
    assert_eq!(submitted["status"], "in_review");
    assert!(submitted["submitted_at"].is_string());
    let (status, body) = t
        .post(&t.engineer, &format!("{path}/publish"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "reviewer_is_author");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("{path}/reject"),
            json!({"note": "mine"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "reviewer_is_author");
    let (_, unchanged) = t.get(&t.engineer, &path).await;
    assert_eq!(
        unchanged["status"], "in_review",
        "a refusal changes nothing"
    );

    // An edit in review sends it back to draft.
    let (status, edited) = t
        .patch(
            &t.engineer,
            &path,
            json!({"tags": ["oracle"], "version": unchanged["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["status"], "draft");
    steps(&t, &id, &["submit"]).await;
    let (status, body) = t
        .post(&t.manager, &format!("{path}/reject"), json!({"note": " "}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "note");
    let (status, rejected) = t
        .post(
            &t.manager,
            &format!("{path}/reject"),
            json!({"note": "补充原因"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "draft");
    assert_eq!(rejected["review_note"], "补充原因");
    assert_eq!(rejected["reviewer"]["name"], "manager@vendor.test");

    let done = steps(&t, &id, &["submit", "publish"]).await;
    assert_eq!(done["status"], "published");
    assert_eq!(done["reviewer"]["name"], "manager@vendor.test");
    assert!(done["approved_at"].is_string() && done["published_at"].is_string());
    let (status, body) = t
        .patch(
            &t.engineer,
            &path,
            json!({"tags": [], "version": done["version"]}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "article_not_editable");
    let (status, body) = t
        .post(&t.manager, &format!("{path}/submit"), json!({}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "article_transition_not_allowed",
    );
    let (status, body) = t
        .post(&t.manager, &format!("{path}/retire"), json!({"version": 1}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");

    let revised = steps(&t, &id, &["revise"]).await;
    assert_eq!(revised["status"], "draft");
    let (status, _) = t.get(&t.a.user_token, &path).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a revised article leaves the customers' sight"
    );
    steps(&t, &id, &["submit", "publish", "retire"]).await;
    let (_, retired) = t.get(&t.engineer, &path).await;
    assert_eq!(retired["status"], "retired");
    assert!(retired["retired_at"].is_string());
    assert_eq!(steps(&t, &id, &["revise"]).await["status"], "draft");

    let (status, log) = t
        .get(
            &t.manager,
            &format!("/api/v1/audit?object_type=article&object_id={id}&limit=50"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "article.create",
        "article.submit",
        "article.update",
        "article.reject",
        "article.publish",
        "article.revise",
        "article.retire",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
}

/// Runs a review step as `token`; returns the status and the answer.
async fn step_as(t: &TestApp, token: &str, id: &Value, step: &str) -> (StatusCode, Value) {
    let body = if step == "reject" {
        json!({"note": "please check"})
    } else {
        json!({})
    };
    t.post(token, &format!("/api/v1/articles/{id}/{step}"), body)
        .await
}

/// Asserts that `step` by `token` is refused as a review of one's own text.
async fn refused_as_writer(t: &TestApp, token: &str, id: &Value, step: &str) {
    let (status, body) = step_as(t, token, id, step).await;
    assert_error(status, &body, StatusCode::CONFLICT, "reviewer_is_author");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the reviewer must be someone who did not write or change the text"),
        "{body}"
    );
}

async fn whoever_changed_or_submitted_the_text_may_not_review_it(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (a, b, c) = (&t.engineer, &t.manager, &t.coordinator);
    let text = |title: &str| json!([{"language": "en", "title": title, "resolution": "restart"}]);

    // A writes a draft; B changes its text and submits it.
    let written = write(&t, json!({"texts": text("Listener down")})).await;
    let id = written["id"].clone();
    let path = format!("/api/v1/articles/{id}");
    assert_eq!(written["edited_by"]["name"], "engineer@vendor.test");
    let (status, edited) = t
        .patch(
            b,
            &path,
            json!({"texts": text("Listener down (B's text)"), "version": written["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["author"]["name"], "engineer@vendor.test");
    assert_eq!(edited["edited_by"]["name"], "manager@vendor.test");
    let (status, submitted) = step_as(&t, b, &id, "submit").await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(submitted["status"], "in_review");

    // Neither B (who changed and submitted it) nor A (who wrote it) may review it.
    for step in ["publish", "reject"] {
        refused_as_writer(&t, b, &id, step).await;
        refused_as_writer(&t, a, &id, step).await;
    }
    let (_, unchanged) = t.get(c, &path).await;
    assert_eq!(
        unchanged["status"], "in_review",
        "a refusal changes nothing"
    );
    assert_eq!(unchanged["version"], submitted["version"]);

    // C, who did neither, publishes it.
    let (status, published) = step_as(&t, c, &id, "publish").await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    assert_eq!(published["reviewer"]["name"], "coordinator@vendor.test");
    assert_eq!(published["texts"][0]["title"], "Listener down (B's text)");

    // Once reviewed, B's text is no longer in the way: C revises and submits it unchanged, and
    // B may now review it — C may not, having submitted it.
    for step in ["revise", "submit"] {
        let (status, body) = step_as(&t, c, &id, step).await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }
    refused_as_writer(&t, c, &id, "publish").await;
    let (status, republished) = step_as(&t, b, &id, "publish").await;
    assert_eq!(status, StatusCode::OK, "{republished}");
    assert_eq!(republished["reviewer"]["name"], "manager@vendor.test");

    // B changes A's draft, A changes it again and submits it: B's text is still unreviewed.
    let other = write(&t, json!({"texts": text("Archiver stuck")})).await;
    let other_id = other["id"].clone();
    let other_path = format!("/api/v1/articles/{other_id}");
    let (status, by_b) = t
        .patch(
            b,
            &other_path,
            json!({"texts": text("Archiver stuck (B)"), "version": other["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_b}");
    let (status, by_a) = t
        .patch(
            a,
            &other_path,
            json!({"tags": ["archiver"], "version": by_b["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_a}");
    assert_eq!(by_a["edited_by"]["name"], "engineer@vendor.test");
    steps(&t, &other_id, &["submit"]).await;
    refused_as_writer(&t, b, &other_id, "publish").await;
    refused_as_writer(&t, a, &other_id, "reject").await;
    let (status, rejected) = step_as(&t, c, &other_id, "reject").await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "draft");
    // A rejection reviews nothing: resubmitted by A, it is still not B's to publish.
    steps(&t, &other_id, &["submit"]).await;
    refused_as_writer(&t, b, &other_id, "publish").await;
    let (status, done) = step_as(&t, c, &other_id, "publish").await;
    assert_eq!(status, StatusCode::OK, "{done}");
}

async fn customers_see_only_published_articles_for_them(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let draft = write(
        &t,
        json!({"visibility": "public", "texts": [{"language": "en", "title": "Draft"}]}),
    )
    .await;
    let review = write(
        &t,
        json!({"visibility": "public", "texts": [{"language": "en", "title": "Review"}]}),
    )
    .await;
    steps(&t, &review["id"], &["submit"]).await;
    let internal = published(&t, "Internal", "internal").await;
    let customers = published(&t, "Customers", "customers").await;
    let public = published(&t, "Public", "public").await;
    let retired = published(&t, "Retired", "public").await;
    steps(&t, &retired["id"], &["retire"]).await;

    for token in [&t.a.user_token, &t.a.admin_token, &t.b.user_token] {
        let mut seen = titles(&t, token, "").await;
        seen.sort();
        assert_eq!(seen, vec!["Customers", "Public"]);
        assert_eq!(
            titles(&t, token, "?status=draft").await,
            Vec::<String>::new()
        );
        for hidden in [&draft, &review, &internal, &retired] {
            let path = format!("/api/v1/articles/{}", hidden["id"]);
            let (status, body) = t.get(token, &path).await;
            assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
            let (status, _) = t
                .post(token, &format!("{path}/feedback"), json!({"solved": true}))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            let (status, _) = t
                .patch(token, &path, json!({"tags": [], "version": 1}))
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "never 403 for what they cannot see"
            );
        }
        for shown in [&customers, &public] {
            let path = format!("/api/v1/articles/{}", shown["id"]);
            let (status, body) = t.get(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(body["review_note"].is_null(), "{body}");
            let (status, body) = t.post(token, &format!("{path}/retire"), json!({})).await;
            assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
        }
        let (status, body) = t
            .post(
                token,
                "/api/v1/articles",
                json!({"texts": [{"language": "en", "title": "mine"}]}),
            )
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let mut staff_sees = titles(&t, &t.coordinator, "").await;
    staff_sees.sort();
    assert_eq!(
        staff_sees,
        vec![
            "Customers",
            "Draft",
            "Internal",
            "Public",
            "Retired",
            "Review"
        ]
    );
    assert_eq!(
        titles(&t, &t.coordinator, "?status=in_review").await,
        vec!["Review"]
    );
    assert_eq!(
        titles(&t, &t.coordinator, "?visibility=internal").await,
        vec!["Internal"]
    );
}

async fn bad_input_is_refused_and_changes_nothing(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let p = product(&t, "Huaxin DB").await;
    let text = |title: Value| json!({"language": "en", "title": title});
    let bad: Vec<(Value, &str)> = vec![
        (json!({"texts": [text(json!(""))]}), "texts[0].title"),
        (
            json!({"texts": [text(json!("x".repeat(201)))]}),
            "texts[0].title",
        ),
        (
            json!({"texts": [{"language": "fr", "title": "t"}]}),
            "texts[0].language",
        ),
        (
            json!({"texts": [text(json!("a")), text(json!("b"))]}),
            "texts[1].language",
        ),
        (json!({"texts": []}), "texts"),
        (
            json!({"visibility": "everyone", "texts": [text(json!("t"))]}),
            "visibility",
        ),
        (
            json!({"texts": [text(json!("t"))], "products": [{"product_id": 999_999}]}),
            "products[0].product_id",
        ),
        (
            json!({"texts": [text(json!("t"))], "products": [{"product_id": p, "versions": ["10.0"]}]}),
            "products[0].versions[0]",
        ),
        (
            json!({"texts": [text(json!("t"))], "tags": ["x".repeat(41)]}),
            "tags[0]",
        ),
        (json!({"texts": [text(json!("t"))], "alert": true}), "alert"),
        (
            json!({"texts": [{"language": "en", "title": "t", "body": "b".repeat(100_001)}]}),
            "texts[0].body",
        ),
    ];
    for (body, field) in &bad {
        let (status, answer) = t.post(&t.engineer, "/api/v1/articles", body.clone()).await;
        let details = assert_error(
            status,
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let fields: Vec<&str> = details["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(field), "{field} in {fields:?} for {body}");
    }
    assert!(
        titles(&t, &t.engineer, "").await.is_empty(),
        "nothing was written"
    );

    let a = write(&t, json!({"texts": [text(json!("good"))]})).await;
    let path = format!("/api/v1/articles/{}", a["id"]);
    for (patch, field) in [
        (
            json!({"texts": [text(json!(""))], "version": 1}),
            "texts[0].title",
        ),
        (
            json!({"products": [{"product_id": p, "versions": ["8.0"]}], "version": 1}),
            "products[0].versions[0]",
        ),
        (json!({"visibility": "secret", "version": 1}), "visibility"),
        (json!({"tags": ["ok"]}), "version"),
    ] {
        let (status, answer) = t.patch(&t.engineer, &path, patch).await;
        let details = assert_error(
            status,
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(details["fields"][0]["field"], field, "{answer}");
    }
    let (status, answer) = t
        .patch(&t.engineer, &path, json!({"tags": ["ok"], "version": 7}))
        .await;
    assert_error(status, &answer, StatusCode::CONFLICT, "version_conflict");
    let (_, after) = t.get(&t.engineer, &path).await;
    assert_eq!(after["version"], 1, "nothing was written: {after}");
    assert_eq!(after["texts"][0]["title"], "good");
    let (status, answer) = t.get(&t.engineer, "/api/v1/articles?status=gone").await;
    let details = assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "status");
    let (status, _) = t.get(&t.engineer, "/api/v1/articles?sort=best").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = t.get(&t.engineer, "/api/v1/articles/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
