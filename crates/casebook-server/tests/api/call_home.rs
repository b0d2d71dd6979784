//! Call-home keys, on SQLite and PostgreSQL: staff make, list, rotate and revoke them through the
//! API and the CLI, the secret is shown once, customers may not; and the signature check of a
//! device's request against the stored keys: a good request passes once, and a replay, a bad
//! signature, a stale timestamp, an unknown, revoked or expired key, and missing headers are
//! each refused with their code.

use casebook_server::actions::call_home::keys::{Refused, SignedHeaders, authenticate, sign};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::casebook_with;
use crate::helpers::TestApp;

on_both_backends!(staff_manage_keys, signed_requests_are_checked);

async fn staff_manage_keys(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (status, site) = t
        .post(
            &t.coordinator,
            "/api/v1/sites",
            json!({"organization_id": t.a.org_id, "code": "SH-DC1", "name": "上海数据中心"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");

    let (status, made) = t
        .post(
            &t.admin,
            "/api/v1/call-home/keys",
            json!({"organization": "CN-A", "site": "sh-dc1", "label": "gateway"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(made["key_id"].as_str().unwrap().starts_with("chk_"));
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("chs_") && secret.len() == 68, "{made}");
    assert_eq!(
        (made["organization"].as_str(), made["site"].as_str()),
        (Some("CN-A"), Some("SH-DC1"))
    );

    // The list never shows a secret.
    let (status, keys) = t.get(&t.engineer, "/api/v1/call-home/keys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!keys.to_string().contains(&secret), "{keys}");
    let key = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == made["key_id"])
        .unwrap()
        .clone();
    assert_eq!(key["site_id"], site["id"]);
    assert!(key["revoked_at"].is_null() && key["expires_at"].is_null());

    // Bad input: no such organisation, another organisation's site, unknown fields.
    for (body, field) in [
        (json!({"organization": "NOPE"}), "organization"),
        (json!({"organization": "CN-B", "site": "SH-DC1"}), "site"),
    ] {
        let (status, refused) = t.post(&t.admin, "/api/v1/call-home/keys", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(
            refused["error"]["details"]["fields"][0]["field"], field,
            "{refused}"
        );
    }
    let (status, _) = t
        .post(
            &t.admin,
            "/api/v1/call-home/keys",
            json!({"organization": "CN-A", "colour": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Customers may not make or see keys.
    let (status, _) = t
        .post(
            &t.a.admin_token,
            "/api/v1/call-home/keys",
            json!({"organization": "CN-A"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t.get(&t.a.admin_token, "/api/v1/call-home/keys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Rotation: a new key for the same organisation and site; the old one ends after the grace.
    let id = key["id"].as_i64().unwrap();
    let (status, rotated) = t
        .post(
            &t.admin,
            &format!("/api/v1/call-home/keys/{id}/rotate"),
            json!({"grace_hours": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    assert_ne!(rotated["key_id"], made["key_id"]);
    assert_eq!(rotated["site"], "SH-DC1");
    let (status, _) = t
        .post(
            &t.admin,
            &format!("/api/v1/call-home/keys/{id}/rotate"),
            json!({"grace_hours": 721}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, keys) = t.get(&t.engineer, "/api/v1/call-home/keys").await;
    let old = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap();
    assert!(old["expires_at"].is_string(), "{old}");

    // Revocation, once.
    let revoke = format!("/api/v1/call-home/keys/{id}/revoke");
    let (status, _) = t.post(&t.admin, &revoke, Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, again) = t.post(&t.admin, &revoke, Value::Null).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("key_ended"))
    );
    let (status, _) = t
        .post(
            &t.admin,
            "/api/v1/call-home/keys/999999/revoke",
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The CLI writes a key file readable by its owner only, and refuses to overwrite one.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cn-a.json");
    let url = t.app.store.url().to_owned();
    let env = [("CASEBOOK_DATABASE_URL", url.as_str())];
    let args = [
        "call-home",
        "create-key",
        "--org",
        "CN-A",
        "--out",
        out.to_str().unwrap(),
    ];
    let done = casebook_with(&args, &env, b"").await;
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let file: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file["organization"], "CN-A");
    assert!(file["secret"].as_str().unwrap().starts_with("chs_"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = casebook_with(&args, &env, b"").await;
    assert!(!again.status.success());
    let missing = dir.path().join("none.json");
    let args = [
        "call-home",
        "create-key",
        "--org",
        "NOPE",
        "--out",
        missing.to_str().unwrap(),
    ];
    let refused = casebook_with(&args, &env, b"").await;
    assert!(!refused.status.success());
    assert!(!missing.exists(), "no key file for a refused key");
}

/// The device endpoint.
pub(crate) const PATH: &str = "/api/v1/call-home/events";

async fn check(
    t: &TestApp,
    key: &str,
    secret: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Result<String, Refused> {
    let signature = sign(secret, timestamp, nonce, "POST", PATH, body);
    let stamp = timestamp.to_string();
    let headers = SignedHeaders {
        key: Some(key),
        timestamp: Some(&stamp),
        nonce: Some(nonce),
        signature: Some(&signature),
    };
    let mut db = t.app.store.write().await.unwrap();
    let now = jiff::Timestamp::now();
    let checked = authenticate(&mut db, &headers, "POST", PATH, body, now)
        .await
        .unwrap();
    db.commit().await.unwrap();
    checked.map(|k| k.public_id)
}

async fn signed_requests_are_checked(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let (_, made) = t
        .post(
            &t.admin,
            "/api/v1/call-home/keys",
            json!({"organization": "CN-A"}),
        )
        .await;
    let (key, secret) = (
        made["key_id"].as_str().unwrap(),
        made["secret"].as_str().unwrap(),
    );
    let now = jiff::Timestamp::now().as_second();
    let body = br#"{"idempotency_key":"k1"}"#;

    assert_eq!(
        check(&t, key, secret, now, "nonce-0000000001", body).await,
        Ok(key.to_owned())
    );
    // The same request again is a replay.
    assert_eq!(
        check(&t, key, secret, now, "nonce-0000000001", body).await,
        Err(Refused::Replayed)
    );
    // Another secret, another body under the old signature, a stale or future timestamp.
    let wrong = format!("{secret}x");
    assert_eq!(
        check(&t, key, &wrong, now, "nonce-0000000002", body).await,
        Err(Refused::BadSignature)
    );
    let signature = sign(secret, now, "nonce-0000000003", "POST", PATH, body);
    let stamp = now.to_string();
    let tampered = SignedHeaders {
        key: Some(key),
        timestamp: Some(&stamp),
        nonce: Some("nonce-0000000003"),
        signature: Some(&signature),
    };
    let mut db = t.app.store.write().await.unwrap();
    let other = br#"{"idempotency_key":"k2"}"#;
    let result = authenticate(
        &mut db,
        &tampered,
        "POST",
        PATH,
        other,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    assert_eq!(result.map(|k| k.id).err(), Some(Refused::BadSignature));
    drop(db);
    // 100 seconds off the window's edge: `now` was read when the test began, which may be
    // seconds ago on a busy machine.
    assert_eq!(
        check(&t, key, secret, now - 400, "nonce-0000000004", body).await,
        Err(Refused::TimestampOutOfWindow)
    );
    assert_eq!(
        check(&t, key, secret, now + 400, "nonce-0000000005", body).await,
        Err(Refused::TimestampOutOfWindow)
    );
    assert_eq!(
        check(
            &t,
            "chk_0000000000000000",
            secret,
            now,
            "nonce-0000000006",
            body
        )
        .await,
        Err(Refused::UnknownKey)
    );
    assert_eq!(
        check(&t, key, secret, now, "short", body).await,
        Err(Refused::MissingHeaders)
    );

    // Missing headers.
    let mut db = t.app.store.write().await.unwrap();
    let none = SignedHeaders::default();
    let result = authenticate(&mut db, &none, "POST", PATH, body, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(result.map(|k| k.id).err(), Some(Refused::MissingHeaders));
    drop(db);

    // A rotated key works through its grace period; a revoked key at once stops.
    let (_, keys) = t.get(&t.admin, "/api/v1/call-home/keys").await;
    let id = keys[0]["id"].as_i64().unwrap();
    let (_, rotated) = t
        .post(
            &t.admin,
            &format!("/api/v1/call-home/keys/{id}/rotate"),
            json!({"grace_hours": 1}),
        )
        .await;
    assert_eq!(
        check(&t, key, secret, now, "nonce-0000000007", body).await,
        Ok(key.to_owned())
    );
    let (new_key, new_secret) = (
        rotated["key_id"].as_str().unwrap(),
        rotated["secret"].as_str().unwrap(),
    );
    assert_eq!(
        check(&t, new_key, new_secret, now, "nonce-0000000001", body).await,
        Ok(new_key.to_owned()),
        "nonces are per key"
    );
    let (status, _) = t
        .post(
            &t.admin,
            &format!("/api/v1/call-home/keys/{id}/revoke"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        check(&t, key, secret, now, "nonce-0000000008", body).await,
        Err(Refused::KeyRevoked)
    );
}
