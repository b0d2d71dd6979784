//! The planning and the paperwork of visits in the console over HTTP, on SQLite and PostgreSQL:
//! a visit dispatched without an engineer waits at the top of the dispatch board and is
//! assigned from there, after which an overlapping visit is marked; a customer who cannot sign
//! confirms with the mailed code (no script needed); the fault-handling report form refuses an
//! empty root cause and shows what was typed, then saves, and the customer's case page shows
//! the sign-off and the report; the fault database page filters,
//! counts the failed part numbers and exports. Every page is valid HTML.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(a_dispatcher_plans_and_an_engineer_files_the_paperwork);

fn form<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(a, b)| (*a, b.as_str())).collect()
}

async fn a_dispatcher_plans_and_an_engineer_files_the_paperwork(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let zhou = user_with_password(&t, "zhou@vendor.test", "周工", "engineer", None).await;
    let (_, part) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "HBA-16G", "description": "HBA 卡", "serialized": false}),
        )
        .await;
    let (_, depot) = t
        .post(
            &t.coordinator,
            "/api/v1/depots",
            json!({"code": "WH-01", "name": "武汉备件库"}),
        )
        .await;
    t.post(
        &t.coordinator,
        &format!("/api/v1/depots/{}/stock", depot["id"]),
        json!({"part_id": part["id"], "quantity": 2, "reason": "到货"}),
    )
    .await;
    let number = t.case_of_a().await;
    let now = t.app.clock.now();
    let today = now.to_zoned(t.app.config.time_zone()).date();
    let dispatch = |engineers: serde_json::Value, hours: i64, parts: serde_json::Value| {
        let arrival = now + jiff::SignedDuration::from_hours(hours);
        json!({"engineer_ids": engineers, "planned_arrival": arrival.to_string(), "parts": parts})
    };
    let visits = format!("/api/v1/cases/{number}/visits");
    let reserve = json!([{"part_id": part["id"], "depot_id": depot["id"], "quantity": 1}]);
    let (_, open) = t
        .post(&t.coordinator, &visits, dispatch(json!([]), 1, reserve))
        .await;
    let (_, other) = t
        .post(
            &t.coordinator,
            &visits,
            dispatch(json!([zhou]), 2, json!([])),
        )
        .await;
    let (open, other) = (open["id"].as_i64().unwrap(), other["id"].as_i64().unwrap());

    let web = WebClient::new(&t);
    web.sign_in("zhou@vendor.test", PASSWORD).await;
    let board = format!("/console/dispatch?from={today}&days=7");
    let (status, page) = web.get(&board).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&board, &page);
    assert!(
        page.contains(&format!("id=\"assign-{open}\"")),
        "the open visit can be assigned"
    );
    let csrf = web.csrf(&board).await;
    let fields = [
        ("_csrf", csrf.clone()),
        ("engineer", zhou.to_string()),
        ("from", today.to_string()),
        ("days", "7".to_owned()),
    ];
    let (status, to, _) = web
        .post_form(&format!("/console/visits/{open}/assign"), &form(&fields))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to:?}");
    let (_, page) = web.get(&board).await;
    assert_valid(&board, &page);
    assert!(!page.contains("id=\"board-unassigned\""), "nothing waits");
    assert_eq!(
        page.matches("slot conflict").count(),
        2,
        "both overlapping visits are marked"
    );
    let _ = other;

    // On site, done, then confirmed with the mailed code.
    for step in [
        ("check-in", json!({})),
        (
            "complete",
            json!({"work_done": "更换 HBA 卡", "parts": [{"part_id": part["id"]}]}),
        ),
    ] {
        let (status, body) = t
            .post(
                &t.engineer,
                &format!("/api/v1/visits/{open}/{}", step.0),
                step.1,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let visit_page = format!("/console/visits/{open}");
    let (_, page) = web.get(&visit_page).await;
    assert_valid(&visit_page, &page);
    let csrf = web.csrf(&visit_page).await;
    let (status, _, page) = web
        .post_form(&format!("{visit_page}/sign-code"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&visit_page, &page);
    assert!(
        page.contains("id=\"code-sent\""),
        "where the code went is shown"
    );
    let code = {
        let mut db = t.app.store.read().await.unwrap();
        let queued = casebook_store::notifications::unsent_mail(&mut db, 500)
            .await
            .unwrap();
        let (id, ..) = queued
            .into_iter()
            .rfind(|(_, kind, ..)| kind == "visit_sign_code")
            .expect("the code is mailed");
        let body = casebook_store::notifications::mail_body(&mut db, id)
            .await
            .unwrap()
            .unwrap();
        body.lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
            .expect("a code in the mail")
            .to_owned()
    };
    let version = super::hidden(&page, "version").unwrap_or_default();
    let fields = [
        ("_csrf", csrf.clone()),
        ("version", version),
        ("signer_name", "孙丽".to_owned()),
        ("code", code),
    ];
    let (status, to, _) = web
        .post_form(&format!("{visit_page}/sign"), &form(&fields))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to:?}");
    let (_, page) = web.get(&visit_page).await;
    assert_valid(&visit_page, &page);
    assert!(
        page.contains("id=\"visit-signed\"") && page.contains("孙丽"),
        "signed"
    );
    assert!(page.contains("id=\"visit-report\""), "the report is linked");

    // The fault-handling report: refused, shown again, then saved.
    let report_page = format!("/console/cases/{number}/fault-report");
    let (status, page) = web.get(&report_page).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&report_page, &page);
    let csrf = web.csrf(&report_page).await;
    let mut fields = vec![
        ("_csrf", csrf.clone()),
        ("version", "0".to_owned()),
        ("symptom", "多路径链路中断".to_owned()),
        ("category", "hardware".to_owned()),
        ("root_cause", " ".to_owned()),
        ("actions", "更换 HBA 卡".to_owned()),
        ("downtime_start", String::new()),
        ("downtime_end", String::new()),
    ];
    let (status, _, page) = web.post_form(&report_page, &form(&fields)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_valid(&report_page, &page);
    assert!(
        page.contains("多路径链路中断"),
        "what was typed is shown again"
    );
    fields[4].1 = "HBA 光模块老化 optics aged".to_owned();
    let (status, to, _) = web.post_form(&report_page, &form(&fields)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to:?}");
    let (_, report) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/fault-report"))
        .await;
    assert_eq!(report["parts"][0]["part_number"], "HBA-16G", "{report}");

    // The database: filtered, counted, exported.
    let faults = "/console/faults?part_number=hba-16g&root_cause=optics";
    let (status, page) = web.get(faults).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(faults, &page);
    assert!(
        page.contains("id=\"top-parts\"") && page.contains(&number),
        "{page}"
    );
    let (_, page) = web
        .get("/console/faults?root_cause=nothing-like-this")
        .await;
    assert!(!page.contains(&number), "the filter applies");
    let (status, page) = web.get("/console/faults?from=yesterday").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("role=\"alert\""), "a bad day is named");
    let export = web
        .get_response("/console/faults/export?part_number=HBA-16G")
        .await;
    assert_eq!(export.status(), StatusCode::OK);
    let csv = export.text().await.unwrap();
    assert!(csv.contains("HBA-16G ×1") && csv.contains(&number), "{csv}");
}
