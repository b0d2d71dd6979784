//! Webhooks on SQLite and PostgreSQL: a receiver on loopback gets signed events of the types
//! and filters it subscribed to, in commit order, the first one again after it was down (same
//! event id), a redelivery and a test; a subscription failing `max_failures` times in a row is
//! switched off and the administrators are told; targets on loopback, private or metadata
//! addresses — written as addresses, in IPv6 forms, or as names that resolve there — are
//! refused unless allow-listed; bad subscriptions are refused field by field, and only
//! administrators manage them.

use std::sync::Arc;

use casebook_server::actions::integrations::send;
use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_error};
use crate::receivers::Receiver;

on_both_backends!(
    webhooks_are_signed_ordered_retried_and_switched_off,
    unsafe_targets_and_bad_subscriptions_are_refused
);

/// The signature as docs/integrations.md tells receivers to compute it.
fn expected_signature(secret: &str, timestamp: &str, event_id: &str, body: &[u8]) -> String {
    let text = format!(
        "v1\n{timestamp}\n{event_id}\n{}",
        hex::encode(Sha256::digest(body))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn subscribe(t: &TestApp, body: Value) -> Value {
    let (status, saved) = t.post(&t.admin, "/api/v1/subscriptions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    saved
}

async fn deliver(t: &TestApp) -> send::Pass {
    send::deliver_due(&t.app, 32).await.unwrap()
}

async fn webhooks_are_signed_ordered_retried_and_switched_off(backend: TestBackend) {
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let t = TestApp::spawn_with(
        backend,
        |c| {
            c.integrations.allow_networks = vec!["127.0.0.1/32".into()];
            c.integrations.max_failures = 3;
        },
        clock.clone(),
    )
    .await;
    let hook = Receiver::webhook().await;
    let url = format!("{}/hook", hook.base);
    let saved = subscribe(
        &t,
        json!({"name": "CRM", "kind": "webhook", "url": url,
        "events": ["case.opened", "case.severity_changed", "case.replied"]}),
    )
    .await;
    let id = saved["subscription"]["id"].as_i64().unwrap();
    let secret = saved["secret"]
        .as_str()
        .expect("a webhook's secret is shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(saved["subscription"]["secret_set"], true);
    let (_, read) = t
        .get(&t.admin, &format!("/api/v1/subscriptions/{id}"))
        .await;
    assert!(
        !read.to_string().contains(&secret),
        "a read shows the secret: {read}"
    );
    // A second subscription wants severity 1 only.
    let sev1 = subscribe(
        &t,
        json!({"name": "Sev 1 only", "kind": "webhook", "url": url,
        "events": ["case.opened"], "filters": {"severities": [1]}}),
    )
    .await;
    let sev1_id = sev1["subscription"]["id"].as_i64().unwrap();

    // The receiver is down: three events queue, the first is tried and the rest wait behind it.
    hook.answer(503);
    let first = t
        .open_case(
            &t.a.user_token,
            json!({"title": "Backup job fails", "description": "nightly job", "severity": 2}),
        )
        .await;
    let second = t
        .open_case(
            &t.a.user_token,
            json!({"title": "Slow queries", "description": "p99 up", "severity": 3}),
        )
        .await;
    let (status, _) = t
        .patch(
            &t.engineer,
            &format!("/api/v1/cases/{first}"),
            json!({"severity": 1, "reason": "production down"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pass = deliver(&t).await;
    assert_eq!((pass.delivered, pass.failed), (0, 1), "{pass:?}");
    assert_eq!(hook.got().len(), 1);
    let (_, log) = t
        .get(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/deliveries?pending=true"),
        )
        .await;
    let pending = log["items"].as_array().unwrap();
    assert_eq!(pending.len(), 3, "{log}");
    let oldest = pending.last().unwrap();
    assert_eq!(
        (oldest["attempts"].as_i64(), oldest["last_status"].as_i64()),
        (Some(1), Some(503))
    );
    assert_eq!(oldest["case_number"], first.as_str());
    // Not due yet: nothing is tried before the backoff ends.
    assert_eq!(deliver(&t).await, send::Pass::default());

    // Back up after the backoff: all three arrive, in order, the first with its same id.
    hook.answer(200);
    clock.advance(SignedDuration::from_secs(11));
    let pass = deliver(&t).await;
    assert_eq!((pass.delivered, pass.failed), (3, 0), "{pass:?}");
    let got = hook.got();
    let taken: Vec<&crate::receivers::Received> = got.iter().filter(|r| r.status == 200).collect();
    let kinds: Vec<&str> = taken.iter().map(|r| r.header("x-casebook-event")).collect();
    assert_eq!(
        kinds,
        ["case.opened", "case.opened", "case.severity_changed"]
    );
    assert_eq!(
        got[0].header("x-casebook-event-id"),
        taken[0].header("x-casebook-event-id")
    );
    let numbers: Vec<String> = taken
        .iter()
        .map(|r| r.json()["case"]["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers, [first.clone(), second.clone(), first.clone()]);
    for r in &taken {
        let body = r.json();
        assert_eq!(
            r.header("x-casebook-event-id"),
            body["id"].as_str().unwrap()
        );
        assert_eq!(
            r.header("x-casebook-signature"),
            expected_signature(
                &secret,
                r.header("x-casebook-timestamp"),
                r.header("x-casebook-event-id"),
                &r.body
            )
        );
    }
    let change = taken[2].json();
    assert_eq!(
        change["change"],
        json!({"field": "severity", "from": "2", "to": "1", "reason": "production down"})
    );
    assert_eq!(change["case"]["severity"], 1);
    assert_eq!(change["case"]["organization"]["id"], t.a.org_id);
    assert_eq!(change["actor"]["kind"], "staff");
    // The severity-1 subscription got nothing: no severity-1 case was opened.
    let (_, sev1_log) = t
        .get(
            &t.admin,
            &format!("/api/v1/subscriptions/{sev1_id}/deliveries"),
        )
        .await;
    assert_eq!(sev1_log["items"].as_array().unwrap().len(), 0, "{sev1_log}");

    // An internal note is not an event; a public reply is.
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{first}/comments"),
            json!({"body": "internal", "visibility": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{first}/comments"),
            json!({"body": "请提供日志", "visibility": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    deliver(&t).await;
    let reply = hook.got().last().unwrap().json();
    assert_eq!(
        (reply["type"].as_str(), reply["reply"]["body"].as_str()),
        (Some("case.replied"), Some("请提供日志"))
    );

    // A redelivery sends the same event again; a test answers what the receiver said.
    let (_, log) = t
        .get(&t.admin, &format!("/api/v1/subscriptions/{id}/deliveries"))
        .await;
    let oldest = log["items"].as_array().unwrap().last().unwrap().clone();
    let delivery = oldest["id"].as_i64().unwrap();
    let (status, _) = t
        .post(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/deliveries/{delivery}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    deliver(&t).await;
    assert_eq!(
        hook.got().last().unwrap().header("x-casebook-event-id"),
        oldest["event_id"].as_str().unwrap()
    );
    let (_, attempts) = t
        .get(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/deliveries/{delivery}/attempts"),
        )
        .await;
    let statuses: Vec<i64> = attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 503]);
    let (status, test) = t
        .post(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, test["delivered"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{test}"
    );
    assert_eq!(hook.got().last().unwrap().json()["type"], "ping");
    hook.answer(500);
    let (_, test) = t
        .post(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            test["delivered"].as_bool(),
            test["attempt"]["status"].as_i64()
        ),
        (Some(false), Some(500)),
        "{test}"
    );
    let (_, read) = t
        .get(&t.admin, &format!("/api/v1/subscriptions/{id}"))
        .await;
    assert_eq!(
        (read["failures"].as_i64(), read["pending"].as_i64()),
        (Some(0), Some(0)),
        "a failed test counts no failure: {read}"
    );

    // Three failures in a row switch it off, and the administrators are told.
    t.open_case(
        &t.a.user_token,
        json!({"title": "Disk full", "description": "/var", "severity": 3}),
    )
    .await;
    for _ in 0..3 {
        deliver(&t).await;
        clock.advance(SignedDuration::from_secs(3600));
    }
    let (_, read) = t
        .get(&t.admin, &format!("/api/v1/subscriptions/{id}"))
        .await;
    assert_eq!(read["enabled"], false, "{read}");
    assert!(
        read["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{read}"
    );
    assert_eq!(read["pending"], 1);
    let (_, notices) = t.get(&t.admin, "/api/v1/notifications").await;
    assert!(
        notices.to_string().contains("integration_disabled"),
        "{notices}"
    );
    let tries = hook.got().len();
    assert_eq!(
        deliver(&t).await,
        send::Pass::default(),
        "a switched-off subscription sends nothing"
    );
    assert_eq!(hook.got().len(), tries);
    // Switched on again, its queue goes out.
    hook.answer(204);
    let mut input = json!({"name": "CRM", "kind": "webhook", "url": url, "enabled": true,
        "events": ["case.opened", "case.severity_changed", "case.replied"], "version": read["version"]});
    let (status, saved) = t
        .put(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}"),
            input.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(
        saved["secret"].is_null(),
        "an unchanged secret is not shown again"
    );
    assert_eq!(saved["subscription"]["failures"], 0);
    assert_eq!(deliver(&t).await.delivered, 1);
    // A stale version is refused.
    input["name"] = json!("CRM 2");
    let (status, _) = t
        .put(&t.admin, &format!("/api/v1/subscriptions/{id}"), input)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // SLA events: a warning and then one breach per missed target, from the sweep.
    let sla = subscribe(
        &t,
        json!({"name": "SLA", "kind": "webhook", "url": url,
        "events": ["sla.warning", "sla.breach"]}),
    )
    .await;
    let sla_id = sla["subscription"]["id"].as_i64().unwrap();
    let late = t
        .open_case(
            &t.a.user_token,
            json!({"title": "无人响应", "description": "x", "severity": 1}),
        )
        .await;
    for _ in 0..3 {
        clock.advance(SignedDuration::from_hours(24 * 3));
        while casebook_server::actions::cases::sla::sweep(&t.app, 200)
            .await
            .unwrap()
            > 0
        {}
    }
    deliver(&t).await;
    let (_, log) = t
        .get(
            &t.admin,
            &format!("/api/v1/subscriptions/{sla_id}/deliveries"),
        )
        .await;
    let kinds: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["case_number"] == late.as_str())
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"sla.warning") && kinds.contains(&"sla.breach"),
        "{log}"
    );
    let breaches = hook
        .got()
        .into_iter()
        .filter(|r| r.header("x-casebook-event") == "sla.breach")
        .map(|r| r.json())
        .filter(|e| e["case"]["number"] == late.as_str())
        .collect::<Vec<_>>();
    let metrics: Vec<&str> = breaches
        .iter()
        .map(|e| e["sla"]["metric"].as_str().unwrap())
        .collect();
    let mut unique = metrics.clone();
    unique.sort_unstable();
    unique.dedup();
    assert!(!metrics.is_empty(), "a breach arrived");
    assert_eq!(
        metrics.len(),
        unique.len(),
        "one breach event per target: {metrics:?}"
    );
    assert!(breaches.iter().all(|e| e["sla"]["deadline"].is_string()));
}

async fn unsafe_targets_and_bad_subscriptions_are_refused(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let hook = Receiver::webhook().await;
    let port = hook.base.rsplit(':').next().unwrap().to_owned();
    let body =
        |url: &str| json!({"name": "x", "kind": "webhook", "url": url, "events": ["case.opened"]});
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        "http://10.0.0.8/hook".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
    ] {
        let (status, error) = t.post(&t.admin, "/api/v1/subscriptions", body(&url)).await;
        assert_error(
            status,
            &error,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(
            error["error"]["details"]["fields"][0]["field"], "url",
            "{url}: {error}"
        );
        assert_eq!(
            error["error"]["details"]["fields"][0]["code"], "refused",
            "{url}: {error}"
        );
    }
    // A name is checked where it resolves, when connecting: `localhost` is saved, but nothing
    // reaches the receiver on 127.0.0.1.
    let saved = subscribe(&t, body(&format!("http://localhost:{port}/hook"))).await;
    let id = saved["subscription"]["id"].as_i64().unwrap();
    let (_, test) = t
        .post(
            &t.admin,
            &format!("/api/v1/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(test["delivered"], false, "{test}");
    let error = test["attempt"]["error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );
    assert!(hook.got().is_empty());

    // Allow-listed, the same name works.
    let allowed = TestApp::spawn_with(
        backend,
        |c| c.integrations.allow_networks = vec!["127.0.0.0/8".into(), "::1".into()],
        Arc::new(casebook_server::clock::SystemClock),
    )
    .await;
    let (status, saved) = allowed
        .post(
            &allowed.admin,
            "/api/v1/subscriptions",
            body(&format!("http://localhost:{port}/hook")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["subscription"]["id"].as_i64().unwrap();
    let (_, test) = allowed
        .post(
            &allowed.admin,
            &format!("/api/v1/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    assert_eq!(test["delivered"], true, "{test}");
    assert_eq!(hook.got().len(), 1);
    // Redirects are not followed, even to an allowed address.
    hook.answer(302);
    let (_, test) = allowed
        .post(
            &allowed.admin,
            &format!("/api/v1/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    assert!(
        test["attempt"]["error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed"),
        "{test}"
    );

    // Bad input, field by field.
    let cases = [
        (
            json!({"name": "x", "kind": "webhook", "url": "ftp://x.test/", "events": ["case.opened"]}),
            "url",
        ),
        (
            json!({"name": "", "kind": "webhook", "url": "https://x.test/", "events": ["case.opened"]}),
            "name",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "events": []}),
            "events",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "events": ["case.deleted"]}),
            "events[0]",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "events": ["ping"]}),
            "events[0]",
        ),
        (
            json!({"name": "x", "kind": "wecom", "url": "https://x.test/", "secret": "0123456789abcdef0", "events": ["case.opened"]}),
            "secret",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "keyword": "告警", "events": ["case.opened"]}),
            "keyword",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "secret": "short", "events": ["case.opened"]}),
            "secret",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "language": "fr", "events": ["case.opened"]}),
            "language",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://x.test/", "events": ["case.opened"], "filters": {"organizations": [99999]}}),
            "filters.organizations[0]",
        ),
    ];
    for (input, field) in cases {
        let (status, error) = t
            .post(&t.admin, "/api/v1/subscriptions", input.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{input}: {error}");
        assert_eq!(
            error["error"]["details"]["fields"][0]["field"], field,
            "{input}: {error}"
        );
    }
    let (status, _) = t.post(&t.admin, "/api/v1/subscriptions", json!({"name": "x", "kind": "teams", "url": "https://x.test/", "events": ["case.opened"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = t.get(&t.admin, "/api/v1/subscriptions").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "refused input saved nothing: {list}"
    );
    // Only administrators.
    for token in [&t.engineer, &t.manager, &t.a.admin_token] {
        let (status, _) = t.get(token, "/api/v1/subscriptions").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = t
            .post(token, "/api/v1/subscriptions", body("https://x.test/"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, catalogue) = t.get(&t.engineer, "/api/v1/event-types").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        catalogue
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "sla.breach")
    );
}
