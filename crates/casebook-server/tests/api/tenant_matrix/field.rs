//! The matrix's requests for field service: each organisation's case has a remote session,
//! approved by the customer's administrator, started, with one log line, a planned visit and a
//! fault-handling report; the policy routes name the organisation and its site.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Call, Objects, call};
use crate::helpers::TestApp;

/// A running remote session on `case` with one log line; its id.
pub(super) async fn remote_session(t: &TestApp, admin_token: &str, case: &str, title: &str) -> i64 {
    let (status, session) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{case}/remote-sessions"),
            json!({"purpose": format!("diagnose {title}"), "method": "SSH",
                "starts_at": t.app.clock.now().to_string(), "minutes": 600}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_i64().unwrap();
    for (token, step) in [(admin_token, "approve"), (t.engineer.as_str(), "start")] {
        let (status, body) = t
            .post(
                token,
                &format!("/api/v1/remote-sessions/{id}/{step}"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/remote-sessions/{id}/log"),
            json!({"lines": [{"text": format!("$ uptime # {title}")}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id
}

/// A planned visit on `case`, without parts; its id.
pub(super) async fn visit(t: &TestApp, case: &str) -> i64 {
    let arrival = t.app.clock.now() + jiff::SignedDuration::from_hours(1);
    let (status, visit) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{case}/visits"),
            json!({"engineer_ids": [t.engineer_id], "planned_arrival": arrival.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    visit["id"].as_i64().unwrap()
}

/// The case's fault-handling report; its id.
pub(super) async fn fault_report(t: &TestApp, case: &str) -> i64 {
    let (status, report) = t
        .put(
            &t.engineer,
            &format!("/api/v1/cases/{case}/fault-report"),
            json!({"symptom": "matrix", "category": "unknown", "root_cause": "matrix", "actions": "none"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    report["id"].as_i64().unwrap()
}

/// How to call each of these routes for a target; `None` for any other route.
pub(super) fn field(route: &str, o: &Objects, n: usize) -> Option<Call> {
    use Method as M;
    let case = &o.case;
    let session = o.remote;
    let step = |step: &str| {
        call(
            M::POST,
            format!("/api/v1/remote-sessions/{session}/{step}"),
            Some(json!({})),
            true,
        )
    };
    Some(match route {
        "GET /api/v1/cases/{number}/remote-sessions" => call(
            M::GET,
            format!("/api/v1/cases/{case}/remote-sessions"),
            None,
            true,
        ),
        "POST /api/v1/cases/{number}/remote-sessions" => call(
            M::POST,
            format!("/api/v1/cases/{case}/remote-sessions"),
            Some(json!({"purpose": "matrix", "method": "SSH",
                "starts_at": "2099-01-01T00:00:00Z", "minutes": 60})),
            true,
        ),
        "GET /api/v1/remote-sessions/{id}" => call(
            M::GET,
            format!("/api/v1/remote-sessions/{session}"),
            None,
            true,
        ),
        "POST /api/v1/remote-sessions/{id}/approve" => step("approve"),
        "POST /api/v1/remote-sessions/{id}/decline" => step("decline"),
        "POST /api/v1/remote-sessions/{id}/revoke" => step("revoke"),
        "POST /api/v1/remote-sessions/{id}/start" => step("start"),
        "POST /api/v1/remote-sessions/{id}/end" => step("end"),
        "POST /api/v1/remote-sessions/{id}/cancel" => step("cancel"),
        "GET /api/v1/remote-sessions/{id}/log" => call(
            M::GET,
            format!("/api/v1/remote-sessions/{session}/log"),
            None,
            true,
        ),
        "POST /api/v1/remote-sessions/{id}/log" => call(
            M::POST,
            format!("/api/v1/remote-sessions/{session}/log"),
            Some(json!({"lines": [{"text": "matrix"}]})),
            true,
        ),
        "POST /api/v1/remote-sessions/{id}/log/{seq}/internal" => call(
            M::POST,
            format!("/api/v1/remote-sessions/{session}/log/1/internal"),
            Some(json!({"reason": "matrix"})),
            true,
        ),
        "POST /api/v1/remote-sessions/{id}/recordings" => Call {
            upload: true,
            ..call(
                M::POST,
                format!("/api/v1/remote-sessions/{session}/recordings"),
                None,
                true,
            )
        },
        "GET /api/v1/organizations/{id}/remote-access" => call(
            M::GET,
            format!("/api/v1/organizations/{}/remote-access", o.org),
            None,
            true,
        ),
        "PUT /api/v1/organizations/{id}/remote-access" => call(
            M::PUT,
            format!("/api/v1/organizations/{}/remote-access", o.org),
            Some(json!({"policy": "ask"})),
            true,
        ),
        "PUT /api/v1/sites/{id}/remote-access" => call(
            M::PUT,
            format!("/api/v1/sites/{}/remote-access", o.site),
            Some(json!({"policy": null})),
            true,
        ),
        "GET /api/v1/cases/{number}/visits" => {
            call(M::GET, format!("/api/v1/cases/{case}/visits"), None, true)
        }
        // Too far ahead: staff are refused (422) without a visit being made.
        "POST /api/v1/cases/{number}/visits" => call(
            M::POST,
            format!("/api/v1/cases/{case}/visits"),
            Some(json!({"engineer_ids": [], "planned_arrival": "2099-01-01T00:00:00Z"})),
            true,
        ),
        "GET /api/v1/visits/{id}" => {
            call(M::GET, format!("/api/v1/visits/{}", o.visit), None, true)
        }
        "POST /api/v1/visits/{id}/check-in" => call(
            M::POST,
            format!("/api/v1/visits/{}/check-in", o.visit),
            Some(json!({})),
            true,
        ),
        "POST /api/v1/visits/{id}/complete" => call(
            M::POST,
            format!("/api/v1/visits/{}/complete", o.visit),
            Some(json!({"work_done": "matrix"})),
            true,
        ),
        "POST /api/v1/visits/{id}/cancel" => call(
            M::POST,
            format!("/api/v1/visits/{}/cancel", o.visit),
            Some(json!({"reason": "matrix"})),
            true,
        ),
        "POST /api/v1/visits/{id}/sign-code" => call(
            M::POST,
            format!("/api/v1/visits/{}/sign-code", o.visit),
            None,
            true,
        ),
        // The visit is planned: staff are refused (409) and nothing is signed.
        "POST /api/v1/visits/{id}/signature" => call(
            M::POST,
            format!("/api/v1/visits/{}/signature", o.visit),
            Some(json!({"signer_name": "matrix", "code": "123456"})),
            true,
        ),
        // No such engineer: staff are refused (422) and the visit keeps its engineers.
        "PUT /api/v1/visits/{id}/engineers" => call(
            M::PUT,
            format!("/api/v1/visits/{}/engineers", o.visit),
            Some(json!({"engineer_ids": [999999]})),
            true,
        ),
        "GET /api/v1/dispatch-board" => call(M::GET, "/api/v1/dispatch-board".into(), None, false),
        "GET /api/v1/cases/{number}/fault-report" => call(
            M::GET,
            format!("/api/v1/cases/{case}/fault-report"),
            None,
            true,
        ),
        // Its version is stale: staff get 409 and the report stays.
        "PUT /api/v1/cases/{number}/fault-report" => call(
            M::PUT,
            format!("/api/v1/cases/{case}/fault-report"),
            Some(
                json!({"symptom": "x", "category": "unknown", "root_cause": "x", "actions": "x", "version": 99}),
            ),
            true,
        ),
        // The fault database is the desk's own: staff only (customers 403).
        "GET /api/v1/faults" => call(M::GET, "/api/v1/faults".into(), None, false),
        "GET /api/v1/faults/due" => call(M::GET, "/api/v1/faults/due".into(), None, false),
        "GET /api/v1/faults/part-failures" => {
            call(M::GET, "/api/v1/faults/part-failures".into(), None, false)
        }
        "GET /api/v1/faults/export" => call(M::GET, "/api/v1/faults/export".into(), None, false),
        "POST /api/v1/faults/{id}/article" => call(
            M::POST,
            format!("/api/v1/faults/{}/article", o.fault),
            None,
            false,
        ),
        // The catalogue, depots and stock belong to no organisation: staff only (customers 403).
        "GET /api/v1/parts" => call(M::GET, "/api/v1/parts".into(), None, false),
        "POST /api/v1/parts" => call(
            M::POST,
            "/api/v1/parts".into(),
            Some(json!({"part_number": format!("M-{n}"), "description": "matrix"})),
            false,
        ),
        "GET /api/v1/depots" => call(M::GET, "/api/v1/depots".into(), None, false),
        "POST /api/v1/depots" => call(
            M::POST,
            "/api/v1/depots".into(),
            Some(json!({"code": format!("D-{n}"), "name": "matrix"})),
            false,
        ),
        "GET /api/v1/stock" => call(M::GET, "/api/v1/stock".into(), None, false),
        "GET /api/v1/stock/items" => call(M::GET, "/api/v1/stock/items".into(), None, false),
        // The first depot the route above made; no such part: staff get 422.
        "POST /api/v1/depots/{id}/stock" => call(
            M::POST,
            "/api/v1/depots/1/stock".into(),
            Some(json!({"part_id": 999999, "quantity": 1, "reason": "matrix"})),
            false,
        ),
        _ => return None,
    })
}
