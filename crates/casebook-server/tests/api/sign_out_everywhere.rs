//! Signing out everywhere and changing one's password: every session ends, API tokens are
//! revoked when asked, a new password needs the current one, and each token shows when it was
//! last used.

use reqwest::StatusCode;
use serde_json::{Value, json};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;

use crate::helpers::{TestApp, assert_error, client};

on_both_backends!(
    signing_out_everywhere_ends_sessions_and_on_request_tokens,
    a_new_password_needs_the_current_one_and_signs_out_everywhere,
);

const PASSWORD: &str = "first password 1";

/// A staff user with a password; returns its id.
async fn engineer(t: &TestApp, email: &str) -> i64 {
    let (status, user) = t
        .post(
            &t.admin,
            "/api/v1/users",
            json!({"email": email, "name": "赵工", "role": "engineer", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    user["id"].as_i64().unwrap()
}

/// A signed-in session: a client holding its cookie, and its CSRF token.
struct Session {
    client: reqwest::Client,
    csrf: String,
}

async fn sign_in(t: &TestApp, email: &str, password: &str) -> Result<Session, StatusCode> {
    casebook_server::app::outbound::install_crypto();
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/api/v1/auth/sign-in", t.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::OK {
        return Err(r.status());
    }
    let body: Value = r.json().await.unwrap();
    Ok(Session {
        client,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    })
}

impl Session {
    async fn me(&self, t: &TestApp) -> StatusCode {
        self.client
            .get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn send(
        &self,
        t: &TestApp,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .request(method, format!("{}{path}", t.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The status a bearer token gets from `/api/v1/me`.
async fn token_works(t: &TestApp, token: &str) -> StatusCode {
    client()
        .get(format!("{}/api/v1/me", t.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn signing_out_everywhere_ends_sessions_and_on_request_tokens(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let id = engineer(&t, "zhao@vendor.test").await;
    let laptop = sign_in(&t, "zhao@vendor.test", PASSWORD).await.unwrap();
    let phone = sign_in(&t, "zhao@vendor.test", PASSWORD).await.unwrap();
    // Two tokens made in a session; one used, one not.
    let mut secrets = Vec::new();
    for label in ["monitoring", "spare"] {
        let (status, made) = laptop
            .send(
                &t,
                reqwest::Method::POST,
                "/api/v1/tokens",
                json!({"label": label}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert!(made["last_used_at"].is_null(), "{made}");
        secrets.push(made["secret"].as_str().unwrap().to_owned());
    }
    assert_eq!(token_works(&t, &secrets[0]).await, StatusCode::OK);
    let (_, tokens) = t.get(&secrets[0], "/api/v1/tokens").await;
    let used: Vec<(&str, bool)> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["label"].as_str().unwrap(), !k["last_used_at"].is_null()))
        .collect();
    assert_eq!(used, [("spare", false), ("monitoring", true)], "{tokens}");

    // Nobody else signs them out: a customer does not see the user, an engineer may not.
    let path = format!("/api/v1/users/{id}/sign-out-everywhere");
    let (status, body) = t.post(&t.a.admin_token, &path, json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t.post(&t.engineer, &path, json!({"tokens": true})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.post(&secrets[1], &path, json!({"token": true})).await;
    assert_eq!(status.as_u16() / 100, 4, "an unknown field: {body}");
    assert_eq!(laptop.me(&t).await, StatusCode::OK, "nothing ended yet");

    // Themselves, by a token: both sessions end, the tokens stay.
    let (status, ended) = t.post(&secrets[1], &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended, json!({"sessions_ended": 2, "tokens_revoked": 0}));
    assert_eq!(laptop.me(&t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(phone.me(&t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(token_works(&t, &secrets[0]).await, StatusCode::OK);

    // Again from a new session, with the tokens.
    let desk = sign_in(&t, "zhao@vendor.test", PASSWORD).await.unwrap();
    let (status, ended) = desk
        .send(&t, reqwest::Method::POST, &path, json!({"tokens": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended, json!({"sessions_ended": 1, "tokens_revoked": 2}));
    assert_eq!(desk.me(&t).await, StatusCode::UNAUTHORIZED);
    for secret in &secrets {
        assert_eq!(token_works(&t, secret).await, StatusCode::UNAUTHORIZED);
    }
    // An administrator does it for someone else; it is audited.
    let (status, ended) = t.post(&t.admin, &path, json!({"tokens": true})).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended, json!({"sessions_ended": 0, "tokens_revoked": 0}));
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=user&object_id={id}"),
        )
        .await;
    let signed_out = audit["items"]
        .as_array()
        .expect("audit entries")
        .iter()
        .filter(|e| e["action"] == "user.sign_out_everywhere")
        .count();
    assert_eq!(signed_out, 3, "{audit}");
}

async fn a_new_password_needs_the_current_one_and_signs_out_everywhere(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let id = engineer(&t, "qian@vendor.test").await;
    let path = format!("/api/v1/users/{id}");
    let session = sign_in(&t, "qian@vendor.test", PASSWORD).await.unwrap();
    let other = sign_in(&t, "qian@vendor.test", PASSWORD).await.unwrap();
    let (_, made) = session
        .send(
            &t,
            reqwest::Method::POST,
            "/api/v1/tokens",
            json!({"label": "ci"}),
        )
        .await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    let new = "second password 2";
    let field = |status: StatusCode, body: &Value| {
        let details = assert_error(
            status,
            body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        (
            details["fields"][0]["field"].as_str().unwrap().to_owned(),
            details["fields"][0]["code"].as_str().unwrap().to_owned(),
        )
    };
    // Without the current password, with a wrong one, or the current one alone: refused.
    for (body, expected) in [
        (json!({"password": new}), ("current_password", "required")),
        (
            json!({"password": new, "current_password": "not my password"}),
            ("current_password", "wrong"),
        ),
        (
            json!({"current_password": PASSWORD}),
            ("current_password", "requires_password"),
        ),
    ] {
        let (status, refused) = session.send(&t, reqwest::Method::PATCH, &path, body).await;
        assert_eq!(
            field(status, &refused),
            (expected.0.to_owned(), expected.1.to_owned())
        );
    }
    assert_eq!(other.me(&t).await, StatusCode::OK, "a refusal ends nothing");
    assert!(sign_in(&t, "qian@vendor.test", PASSWORD).await.is_ok());
    // With it, and the tokens: every session ends, this one too, and the token is revoked.
    let (status, changed) = session
        .send(
            &t,
            reqwest::Method::PATCH,
            &path,
            json!({"password": new, "current_password": PASSWORD, "revoke_tokens": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(session.me(&t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(other.me(&t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(token_works(&t, &secret).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&t, "qian@vendor.test", PASSWORD).await.err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    let again = sign_in(&t, "qian@vendor.test", new).await.unwrap();
    // An administrator resetting someone else's password gives no current password; without
    // `revoke_tokens` the user's tokens keep working.
    let (_, made) = again
        .send(
            &t,
            reqwest::Method::POST,
            "/api/v1/tokens",
            json!({"label": "kept"}),
        )
        .await;
    let kept = made["secret"].as_str().unwrap().to_owned();
    let (status, reset) = t
        .patch(&t.admin, &path, json!({"password": "third password 3"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(again.me(&t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(token_works(&t, &kept).await, StatusCode::OK);
    // An address typed in full-width letters signs in as the same user.
    assert!(
        sign_in(&t, "ｑｉａｎ@vendor.test", "third password 3")
            .await
            .is_ok()
    );
}
