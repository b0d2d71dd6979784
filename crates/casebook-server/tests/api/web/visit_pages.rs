//! On-site visits in the console over HTTP, on SQLite and PostgreSQL: an engineer dispatches a
//! visit with a spare part from the case page's form, opens the visit's page (made for a
//! phone), checks in, records the work with the part's serial numbers, and the case page and
//! the portal show what was done. A completion without the work done is shown again with what
//! was typed. Every page is valid HTML.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(an_engineer_dispatches_arrives_and_completes);

async fn an_engineer_dispatches_arrives_and_completes(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "gong@vendor.test", "龚工", "engineer", None).await;
    user_with_password(
        &t,
        "it@cn-a.test",
        "IT 管理员",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let (_, depot) = t
        .post(
            &t.coordinator,
            "/api/v1/depots",
            json!({"code": "SH-01", "name": "上海备件库"}),
        )
        .await;
    let (_, part) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "FAN-01", "description": "风扇模块", "serialized": true}),
        )
        .await;
    let receipt = json!({"part_id": part["id"], "quantity": 2, "reason": "到货"});
    let (status, _) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/depots/{}/stock", depot["id"]),
            receipt,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let number = t.case_of_a().await;
    let case_page = format!("/console/cases/{number}");

    let web = WebClient::new(&t);
    web.sign_in("gong@vendor.test", PASSWORD).await;
    let (status, page) = web.get(&case_page).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&case_page, &page);
    assert!(page.contains("FAN-01"), "the stock is offered");
    let (_, me) = t.get(&t.engineer, "/api/v1/users?limit=200").await;
    let gong = me["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "gong@vendor.test")
        .unwrap()["id"]
        .to_string();
    let arrival = (t.app.clock.now() + jiff::SignedDuration::from_hours(2))
        .to_zoned(t.app.config.time_zone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let csrf = web.csrf(&case_page).await;
    let part_line = format!("{}:{}", part["id"], depot["id"]);
    let (status, to, _) = web
        .post_form(
            &format!("{case_page}/visit-dispatch"),
            &[
                ("_csrf", &csrf),
                ("engineer", &gong),
                ("planned_arrival", &arrival),
                ("part", &part_line),
                ("quantity", "1"),
                ("notes", "带梯子"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to:?}");
    let (_, visits) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/visits"))
        .await;
    let id = visits[0]["id"].as_i64().expect("the dispatched visit");
    assert_eq!(visits[0]["engineers"][0]["name"], "龚工");

    let visit_page = format!("/console/visits/{id}");
    let (status, page) = web.get(&visit_page).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&visit_page, &page);
    let csrf = web.csrf(&visit_page).await;
    let (status, to, _) = web
        .post_form(&format!("{visit_page}/check-in"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(visit_page.as_str()))
    );
    let (_, page) = web.get(&visit_page).await;
    assert_valid(&visit_page, &page);
    let slot = format!("{}-0", part["id"]);
    let fields = |work: &'static str| {
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("work_done".to_owned(), work.to_owned()),
            ("travel_minutes".to_owned(), "30".to_owned()),
            (format!("part-{slot}"), part["id"].to_string()),
            (format!("use-{slot}"), "1".to_owned()),
            (format!("new-{slot}"), "fan-new-7".to_owned()),
            (format!("old-{slot}"), "FAN-OLD-3".to_owned()),
        ]
    };
    let refused: Vec<(String, String)> = fields(" ");
    let refused: Vec<(&str, &str)> = refused
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (status, _, page) = web
        .post_form(&format!("{visit_page}/complete"), &refused)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("fan-new-7"), "what was typed is shown again");
    let good = fields("更换风扇模块 replaced the fan");
    let good: Vec<(&str, &str)> = good.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (status, _, _) = web
        .post_form(&format!("{visit_page}/complete"), &good)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&visit_page).await;
    assert_valid(&visit_page, &page);
    assert!(
        page.contains("FAN-NEW-7") && page.contains("FAN-OLD-3"),
        "the serial numbers are recorded"
    );

    let customer = WebClient::new(&t);
    customer.sign_in("it@cn-a.test", PASSWORD).await;
    let portal_page = format!("/portal/cases/{number}");
    let (status, page) = customer.get(&portal_page).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&portal_page, &page);
    assert!(
        page.contains("replaced the fan") && page.contains("FAN-NEW-7"),
        "the customer sees the work"
    );
    let (status, _) = customer.get(&visit_page).await;
    assert_ne!(status, StatusCode::OK, "the engineer's page is for staff");
}
