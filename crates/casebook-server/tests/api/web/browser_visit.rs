//! An on-site visit on a phone, in a real browser (the setup of `browser.rs`), on SQLite and
//! PostgreSQL: in a phone-sized window the engineer's page fits the screen; the engineer checks
//! in, records the replaced part with its serial numbers, and the customer signs with a finger
//! in the signature box (real touch input through WebDriver). The service report on the case
//! holds the signer, the part and the strokes drawn. Screenshots are kept.

use std::time::Duration;

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use fantoccini::actions::{InputSource, PointerAction, TouchActions};
use reqwest::StatusCode;
use serde_json::json;

use super::browser::Browser;
use super::user_with_password;
use crate::helpers::TestApp;

on_both_backends!(an_engineer_checks_in_and_the_customer_signs_on_a_phone);

/// A finger drawing a zigzag across the signature box.
pub(crate) async fn draw(b: &Browser) {
    let pad = b.el("#signature-pad").await;
    let step = Some(Duration::from_millis(40));
    let finger = TouchActions::new("finger".into())
        .then(PointerAction::MoveToElement {
            element: pad,
            duration: None,
            x: -120.0,
            y: 10.0,
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::MoveBy {
            duration: step,
            x: 40.0,
            y: -25.0,
        })
        .then(PointerAction::MoveBy {
            duration: step,
            x: 40.0,
            y: 30.0,
        })
        .then(PointerAction::MoveBy {
            duration: step,
            x: 40.0,
            y: -30.0,
        })
        .then(PointerAction::MoveBy {
            duration: step,
            x: 60.0,
            y: 20.0,
        })
        .then(PointerAction::Up { button: 0 });
    b.c.perform_actions(finger).await.expect("the finger draws");
}

async fn an_engineer_checks_in_and_the_customer_signs_on_a_phone(backend: TestBackend) {
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    let t = TestApp::spawn(backend).await;
    let engineer = user_with_password(&t, "zhao@vendor.test", "赵工", "engineer", None).await;
    let (_, depot) = t
        .post(
            &t.coordinator,
            "/api/v1/depots",
            json!({"code": "GZ-01", "name": "广州备件库"}),
        )
        .await;
    let (_, part) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "PSU-800", "description": "电源模块", "serialized": true}),
        )
        .await;
    let (status, _) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/depots/{}/stock", depot["id"]),
            json!({"part_id": part["id"], "quantity": 1, "reason": "到货"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let number = t.case_of_a().await;
    let arrival = t.app.clock.now() + jiff::SignedDuration::from_mins(30);
    let (status, visit) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/cases/{number}/visits"),
            json!({"engineer_ids": [engineer], "planned_arrival": arrival.to_string(),
                "parts": [{"part_id": part["id"], "depot_id": depot["id"], "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_i64().unwrap();
    let page = format!("/console/visits/{id}");

    let mut b = Browser::start(&t.base, name).await;
    b.sign_in("zhao@vendor.test").await;
    b.c.set_window_size(390, 844).await.unwrap();
    b.go(&page).await;
    assert!(b.fits_width().await, "the visit page fits a phone");
    b.shot("console-visit-phone-check-in").await;
    b.submit("#visit-check-in").await;
    assert!(b.text("#visit-state").await.contains("On site"));
    b.fill("#work-done", "更换电源模块 PSU 2，告警消除").await;
    let slot = format!("{}-0", part["id"]);
    b.click(&format!("#use-{slot}")).await;
    b.fill(&format!("#new-{slot}"), "PSU-NEW-77").await;
    b.fill(&format!("#old-{slot}"), "PSU-OLD-12").await;
    b.submit("#visit-done").await;
    assert!(b.fits_width().await, "the signature box fits a phone");
    b.fill("#signer-name", "陈静").await;
    draw(&b).await;
    let drawn =
        b.c.execute(
            "return document.getElementById('signature-data').value;",
            vec![],
        )
        .await
        .unwrap();
    let drawn = drawn.as_str().unwrap_or_default().to_owned();
    assert!(
        drawn.starts_with("<svg") && drawn.contains("<path d=\"M "),
        "{drawn}"
    );
    b.shot("console-visit-phone-sign").await;
    b.submit("#sign-submit").await;
    let signed = b.text("#visit-signed").await;
    assert!(signed.contains("陈静"), "{signed}");
    b.el("#visit-report").await;

    let (_, v) = t
        .get(&t.engineer, &page.replace("/console/", "/api/v1/"))
        .await;
    assert_eq!(v["signed"]["method"], "drawn");
    let file = v["signed"]["report_attachment_id"].as_i64().unwrap();
    let report = t
        .client
        .get(t.url(&format!("/api/v1/cases/{number}/attachments/{file}")))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first_stroke = drawn.split("<path d=\"").nth(1).unwrap_or_default();
    let first_stroke = first_stroke.split('"').next().unwrap_or_default();
    assert!(
        report.contains("陈静") && report.contains("PSU-NEW-77") && report.contains(first_stroke),
        "the report holds the signer, the part and the strokes drawn: {report}"
    );
    b.close().await;
}
