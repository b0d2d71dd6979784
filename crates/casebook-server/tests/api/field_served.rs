//! Field service from end to end through the real binary (`casebook serve` with its own mail
//! sender, a real SMTP server on loopback and a real browser), on SQLite and PostgreSQL. A
//! severity-1 case on a 7×24 contract that promises arrival on site within four hours: the
//! engineer asks for a remote session, the customer's administrator approves it in the portal,
//! its log is appended and sealed; a visit is dispatched with a part reserved; the engineer
//! checks in on a phone-sized browser, replaces the part (the unit's history shows it, the
//! arrival clock is met), the customer signs with a finger; the service report is on the case
//! and arrives in the customer's mailbox as an attachment; the fault database lists the part.

use std::time::{Duration, Instant};

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use crate::contracts::{contract, installed_base};
use crate::helpers::TestApp;
use crate::mail_out::{SmtpSink, free_port};
use crate::processes::Served;
use crate::visits::plan_with_onsite;
use crate::web::browser::Browser;
use crate::web::browser_visit::draw;
use crate::web::user_with_password;

on_both_backends!(a_part_is_replaced_signed_and_reported_through_the_binary);

async fn a_part_is_replaced_signed_and_reported_through_the_binary(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "e2e-sqlite",
        TestBackend::Postgres => "e2e-postgres",
    };
    let t = TestApp::spawn(backend).await;
    let (product, unit, _) = installed_base(&t).await;
    plan_with_onsite(&t).await;
    contract(
        &t,
        json!({"contract_number": "E2E-7X24", "organization_id": t.a.org_id, "plan": "onsite-7x24",
        "starts_on": "2026-01-01", "ends_on": "2030-12-31", "units": [unit]}),
    )
    .await;
    let liu = user_with_password(&t, "liu@vendor.test", "刘工", "engineer", None).await;
    user_with_password(
        &t,
        "ops@cn-a.test",
        "运维主管",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let mail_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mailbox = SmtpSink::start(port, mail_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("CASEBOOK_SMTP_HOST", "127.0.0.1".to_owned()),
        ("CASEBOOK_SMTP_PORT", port.to_string()),
        ("CASEBOOK_SMTP_SECURITY", "none".to_owned()),
        (
            "CASEBOOK_SMTP_FROM",
            "Casebook <desk@casebook.test>".to_owned(),
        ),
        (
            "CASEBOOK_SMTP_MESSAGE_ID_DOMAIN",
            "casebook.test".to_owned(),
        ),
        ("CASEBOOK_SMTP_SEND_INTERVAL_SECS", "1".to_owned()),
    ];
    let served = Served::start(&t.app.config.database.url, dir.path(), &env).await;
    let base = served.base.clone();

    use reqwest::Method as M;

    // The customer opens a severity-1 case on the unit.
    let (status, case) = served.call(M::POST, "/api/v1/cases", &t.a.user_token, Some(json!({
        "title": "阵列控制器 B 离线", "description": "controller B offline since 09:12", "severity": 1,
        "serial_number": "210235A1B2"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().unwrap().to_owned();

    // Remote diagnosis, approved in the portal, its log sealed.
    let starts = jiff::Timestamp::now();
    let (status, session) = served
        .call(
            M::POST,
            &format!("/api/v1/cases/{number}/remote-sessions"),
            &t.engineer,
            Some(
                json!({"purpose": "检查控制器 B 日志", "method": "SSH over VPN", "unit_ids": [unit],
            "starts_at": starts.to_string(), "minutes": 120}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let sid = session["id"].as_i64().unwrap();
    let mut b = Browser::start(&base, name).await;
    b.sign_in("ops@cn-a.test").await;
    b.go(&format!("/portal/cases/{number}")).await;
    b.submit(&format!("#remote-approve-{sid}")).await;
    assert!(
        b.text("#remote").await.contains("运维主管"),
        "the approver is shown"
    );
    b.sign_out().await;
    for (step, body) in [
        ("start", json!({})),
        (
            "log",
            json!({"lines": [{"text": "$ show controller B"}, {"text": "BBU: failed"}]}),
        ),
        ("end", json!({})),
    ] {
        let (status, answer) = served
            .call(
                M::POST,
                &format!("/api/v1/remote-sessions/{sid}/{step}"),
                &t.engineer,
                Some(body),
            )
            .await;
        assert!(status.is_success(), "{step}: {answer}");
    }
    let (status, body) = served
        .call(
            M::POST,
            &format!("/api/v1/remote-sessions/{sid}/log"),
            &t.engineer,
            Some(json!({"lines": [{"text": "too late"}]})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("remote_not_running"))
    );

    // A visit with the battery reserved.
    let (_, depot) = served
        .call(
            M::POST,
            "/api/v1/depots",
            &t.coordinator,
            Some(json!({"code": "BJ-09", "name": "北京备件库"})),
        )
        .await;
    let (_, part) = served
        .call(
            M::POST,
            "/api/v1/parts",
            &t.coordinator,
            Some(json!({"part_number": "BBU-E2E",
        "description": "控制器电池模块", "product_ids": [product], "serialized": true})),
        )
        .await;
    let (status, _) = served
        .call(
            M::POST,
            &format!("/api/v1/depots/{}/stock", depot["id"]),
            &t.coordinator,
            Some(json!({"part_id": part["id"], "quantity": 1, "reason": "到货"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, visit) = served.call(M::POST, &format!("/api/v1/cases/{number}/visits"), &t.coordinator, Some(json!({
        "engineer_ids": [liu], "planned_arrival": (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string(),
        "parts": [{"part_id": part["id"], "depot_id": depot["id"], "quantity": 1}]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_i64().unwrap();

    // On site with a phone: check in, replace the part into the unit, the customer signs.
    b.sign_in("liu@vendor.test").await;
    b.c.set_window_size(390, 844).await.unwrap();
    b.go(&format!("/console/visits/{id}")).await;
    assert!(b.fits_width().await, "the engineer's page fits a phone");
    b.submit("#visit-check-in").await;
    b.fill("#work-done", "更换控制器 B 电池模块，控制器恢复在线")
        .await;
    let slot = format!("{}-0", part["id"]);
    b.click(&format!("#use-{slot}")).await;
    b.fill(&format!("#new-{slot}"), "BBU-E2E-NEW").await;
    b.fill(&format!("#old-{slot}"), "BBU-E2E-OLD").await;
    b.el(&format!("#unit-{slot}"))
        .await
        .select_by_value(&unit.to_string())
        .await
        .unwrap();
    b.submit("#visit-done").await;
    // A code is asked for too (the customer then signs on the screen after all).
    let (status, sent) = served
        .call(
            M::POST,
            &format!("/api/v1/visits/{id}/sign-code"),
            &t.engineer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    b.fill("#signer-name", "王建华").await;
    draw(&b).await;
    b.submit("#sign-submit").await;
    assert!(b.text("#visit-signed").await.contains("王建华"));
    b.close().await;

    let (_, history) = served
        .call(
            M::GET,
            &format!("/api/v1/units/{unit}/history"),
            &t.engineer,
            None,
        )
        .await;
    assert!(
        history.to_string().contains("BBU-E2E BBU-E2E-NEW"),
        "the unit's history shows the replacement: {history}"
    );
    let (_, sla) = served
        .call(
            M::GET,
            &format!("/api/v1/cases/{number}/sla"),
            &t.engineer,
            None,
        )
        .await;
    let onsite = sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "onsite_arrival")
        .cloned();
    assert_eq!(
        onsite.map(|c| c["state"].clone()),
        Some(json!("met")),
        "{sla}"
    );
    let (_, signed) = served
        .call(
            M::GET,
            &format!("/api/v1/visits/{id}"),
            &t.a.user_token,
            None,
        )
        .await;
    let file = format!("service-report-{number}-{id}.html");
    assert_eq!(signed["signed"]["signer_name"], "王建华", "{signed}");

    // The report reaches the customer's mailbox as an attachment.
    let until = Instant::now() + Duration::from_secs(60);
    let mut delivered = None;
    while Instant::now() < until && delivered.is_none() {
        delivered = mailbox
            .received()
            .into_iter()
            .map(|m| String::from_utf8_lossy(&m).into_owned())
            .find(|m| m.contains(&file));
        if delivered.is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let delivered = delivered.expect("the service report arrives by mail");
    // The code's mail was sent (the server accepted it), and its text is not kept once sent.
    let until = Instant::now() + Duration::from_secs(30);
    let mut forgotten = false;
    while Instant::now() < until && !forgotten {
        let mut db = t.app.store.read().await.unwrap();
        for id in 1..200 {
            let body = casebook_store::notifications::mail_body(&mut db, id)
                .await
                .unwrap();
            forgotten |= body.is_some_and(|b| b.starts_with("(not kept"));
        }
        drop(db);
        if !forgotten {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert!(forgotten, "the sent code's text is forgotten");
    assert!(
        delivered.contains("Content-Disposition: attachment") && delivered.contains("@cn-a.test"),
        "{delivered}"
    );

    // The fault database lists the part.
    let (status, report) = served.call(M::PUT, &format!("/api/v1/cases/{number}/fault-report"), &t.engineer, Some(json!({
        "symptom": "控制器 B 离线", "category": "hardware", "root_cause": "BBU failed", "actions": "replaced the BBU"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (_, counted) = served
        .call(
            M::GET,
            &format!("/api/v1/faults/part-failures?product={product}"),
            &t.engineer,
            None,
        )
        .await;
    assert_eq!(counted[0]["part_number"], "BBU-E2E", "{counted}");
}
