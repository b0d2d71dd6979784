//! Signing in with a password (Argon2id), sessions with CSRF protection, API tokens.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, client};

on_both_backends!(
    password_sign_in_session_and_csrf,
    tokens_are_created_listed_and_revoked,
    users_are_managed_by_admins
);

async fn create_password_user(t: &TestApp) {
    let (status, user) = t.post(&t.admin, "/api/v1/users", json!({"email": "Li.Wei@Vendor.test", "name": "李伟", "role": "engineer", "password": "correct horse battery"})).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "li.wei@vendor.test");
    assert!(user.get("password_hash").is_none() && !user.to_string().contains("argon2"));
}

async fn password_sign_in_session_and_csrf(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    create_password_user(&t).await;
    casebook_server::app::outbound::install_crypto();
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap();
    let sign_in = |email: &str, password: &str| {
        browser
            .post(t.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let wrong = sign_in("li.wei@vendor.test", "wrong password!")
        .await
        .unwrap();
    let (wrong_status, wrong_body): (StatusCode, Value) =
        (wrong.status(), wrong.json().await.unwrap());
    let unknown = sign_in("nobody@vendor.test", "correct horse battery")
        .await
        .unwrap();
    let (unknown_status, unknown_body): (StatusCode, Value) =
        (unknown.status(), unknown.json().await.unwrap());
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_body, unknown_body,
        "the same answer for an unknown user and a wrong password"
    );
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);

    let ok = sign_in("LI.WEI@vendor.test", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let info: Value = ok.json().await.unwrap();
    let csrf = info["csrf_token"].as_str().unwrap().to_owned();

    let me: Value = browser
        .get(t.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "李伟");
    let body =
        json!({"title": "t", "description": "d", "severity": 3, "organization_id": t.a.org_id});
    let without = browser
        .post(t.url("/api/v1/cases"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = without.status();
    assert_error(
        status,
        &without.json().await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_failed",
    );
    let with = browser
        .post(t.url("/api/v1/cases"))
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);

    // A second sign-in gives a new session; signing out ends it.
    let again = sign_in("li.wei@vendor.test", "correct horse battery")
        .await
        .unwrap();
    let second_cookie = again.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(
        cookie.split(';').next(),
        second_cookie.split(';').next(),
        "the session is rotated on sign-in"
    );
    let csrf2 = again.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = browser
        .post(t.url("/api/v1/auth/sign-out"))
        .header("X-CSRF-Token", &csrf2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let after = client()
        .get(t.url("/api/v1/me"))
        .header("cookie", second_cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

async fn tokens_are_created_listed_and_revoked(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, issued) = t
        .post(
            &t.engineer,
            "/api/v1/tokens",
            json!({"label": "monitoring"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cbk_"));
    let (status, _) = t.get(&secret, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = t.get(&t.engineer, "/api/v1/tokens").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|tok| tok["label"] == "monitoring" && tok.get("secret").is_none())
    );
    let id = issued["id"].as_i64().unwrap();
    let (status, _) = t
        .call(
            reqwest::Method::DELETE,
            &t.a.user_token,
            &format!("/api/v1/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a customer cannot touch a staff token"
    );
    let (status, _) = t
        .call(
            reqwest::Method::DELETE,
            &t.engineer,
            &format!("/api/v1/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.get(&secret, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn users_are_managed_by_admins(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, body) = t
        .post(
            &t.engineer,
            "/api/v1/users",
            json!({"email": "x@vendor.test", "name": "X", "role": "admin"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t
        .post(
            &t.admin,
            "/api/v1/users",
            json!({"email": "c@cn-a.test", "name": "C", "role": "customer_user"}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "organization_id");
    let (status, body) = t
        .post(
            &t.admin,
            "/api/v1/users",
            json!({"email": "engineer@vendor.test", "name": "Dup", "role": "engineer"}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["code"], "duplicate");
    let (status, customer) = t.post(&t.admin, "/api/v1/users", json!({"email": "new@cn-a.test", "name": "新用户", "role": "customer_user", "organization_id": t.a.org_id})).await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    assert!(
        customer["contact_id"].is_i64(),
        "a contact record is linked"
    );
    let id = customer["id"].as_i64().unwrap();
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{id}"),
            json!({"role": "engineer"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, disabled) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["active"], false);
    let (_, own) = t.get(&t.a.admin_token, "/api/v1/users").await;
    let emails: Vec<&str> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.iter().all(|e| e.ends_with("@cn-a.test")),
        "{emails:?}"
    );
    let (_, me_only) = t.get(&t.a.user_token, "/api/v1/users").await;
    assert_eq!(me_only["items"].as_array().unwrap().len(), 1);
    let (status, renamed) = t
        .patch(
            &t.a.user_token,
            &format!("/api/v1/users/{}", t.a.user_id),
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    let (status, _) = t
        .patch(
            &t.a.user_token,
            &format!("/api/v1/users/{}", t.a.user_id),
            json!({"role": "customer_admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
