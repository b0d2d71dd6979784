//! The matrix's requests for field service: each organisation's case has a remote session,
//! approved by the customer's administrator, started, with one log line; the policy routes name
//! the organisation and its site.

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

/// How to call each of these routes for a target; `None` for any other route.
pub(super) fn field(route: &str, o: &Objects) -> Option<Call> {
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
        _ => return None,
    })
}
