//! Remote diagnosis sessions on SQLite and PostgreSQL. A session requested on a case under the
//! customer's `ask` policy mails each authorised contact a link; the link's page approves it;
//! it starts only inside its window, its log takes lines while it runs (a bad batch changes
//! nothing; `casebook remote log` appends a transcript), a line marked internal loses its text
//! for the customer, a recording is sealed with the log, ending seals it (the seal is in the
//! audit log and still matches), nothing more is appended, and its time is a work entry.
//! Policies: `deny` refuses, `allow` approves at once, a site's own policy wins for its units,
//! only administrators change them. The customer revokes a running session; a window that
//! closes ends one; of an approval and a decline racing, one wins; other organisations see
//! nothing.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::contracts::{Base, base, contract};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    a_session_is_approved_by_mail_run_sealed_and_timed,
    policies_windows_revocation_and_races
);

fn sessions(number: &str) -> String {
    format!("/api/v1/cases/{number}/remote-sessions")
}

fn session(id: i64, rest: &str) -> String {
    format!("/api/v1/remote-sessions/{id}{rest}")
}

async fn step(t: &TestApp, token: &str, id: i64, what: &str) -> (StatusCode, Value) {
    t.post(token, &session(id, &format!("/{what}")), json!({}))
        .await
}

/// A severity-1 case of organisation A's user on the unit, under a contract that names the
/// user's contact as authorised.
async fn case_on_contract(b: &Base) -> String {
    let t = &b.t;
    contract(
        t,
        json!({"contract_number": "REMOTE-1", "organization_id": t.a.org_id, "plan": "premium-7x24",
            "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [b.unit],
            "contacts": [b.user_contact]}),
    )
    .await;
    t.open_case(
        &t.a.user_token,
        json!({"title": "阵列控制器故障", "description": "controller B offline", "severity": 1,
            "serial_number": b.serial}),
    )
    .await
}

fn draft(b: &Base, from_now_min: i64, minutes: i64, units: Value) -> Value {
    let starts = b.t.app.clock.now() + SignedDuration::from_mins(from_now_min);
    json!({"purpose": "收集阵列日志 collect the array's logs", "method": "SSH over the customer's VPN",
        "unit_ids": units, "starts_at": starts.to_string(), "minutes": minutes})
}

async fn request(b: &Base, number: &str, body: Value) -> Value {
    let (status, s) = b.t.post(&b.t.engineer, &sessions(number), body).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    s
}

/// The queued request mails: recipient and body.
async fn request_mail(t: &TestApp) -> Vec<(String, String)> {
    let mut db = t.app.store.read().await.unwrap();
    let queued = casebook_store::notifications::unsent_mail(&mut db, 500)
        .await
        .unwrap();
    let mut out = Vec::new();
    for (id, kind, to, _) in queued {
        if kind == "remote_request" {
            let body = casebook_store::notifications::mail_body(&mut db, id)
                .await
                .unwrap()
                .unwrap();
            out.push((to, body));
        }
    }
    out
}

async fn a_session_is_approved_by_mail_run_sealed_and_timed(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let number = case_on_contract(&b).await;
    let s = request(&b, &number, draft(&b, 0, 120, json!([b.unit]))).await;
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["state"], "requested");
    assert_eq!(s["policy"], "ask");
    assert_eq!(
        s["units"][0]["name"],
        format!("OceanStor 5500 {}", b.serial)
    );

    // The authorised contact and the customer's administrator are asked, each with a link.
    let mail = request_mail(t).await;
    let mut to: Vec<&str> = mail.iter().map(|m| m.0.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["admin@cn-a.test", "user@cn-a.test"]);
    let body = &mail.iter().find(|m| m.0 == "user@cn-a.test").unwrap().1;
    assert!(
        body.contains("collect the array's logs") && body.contains("SSH over"),
        "{body}"
    );
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/remote/"))
        .expect("an approval link");
    let path = &link[link.find("/remote/").unwrap()..];

    // Not started before approval; staff cannot approve; another organisation sees nothing.
    let (status, body) = step(t, &t.engineer, id, "start").await;
    assert_error(status, &body, StatusCode::CONFLICT, "remote_state");
    let (status, _) = step(t, &t.engineer, id, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (token, what) in [(&t.b.user_token, ""), (&t.b.admin_token, "/approve")] {
        let (status, _) = if what.is_empty() {
            t.get(token, &session(id, "")).await
        } else {
            step(t, token, id, "approve").await
        };
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = t.get(&t.b.user_token, &sessions(&number)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The link's page shows the request; a forged token leads nowhere; answering approves.
    let page = t.client.get(t.url(path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("collect the array"));
    let last = if path.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    let page = t.client.get(t.url(&forged)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let answered = t
        .client
        .post(t.url(path))
        .form(&[("answer", "approve"), ("note", "请在操作前电话通知")])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    let (_, s) = t.get(&t.a.user_token, &session(id, "")).await;
    assert_eq!(s["state"], "approved");
    assert_eq!(s["decided_by"]["id"], t.a.user_id);
    assert_eq!(s["decision_note"], "请在操作前电话通知");
    let again = t
        .client
        .post(t.url(path))
        .form(&[("answer", "decline")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "answered once");

    // Running: lines go in; a batch with one bad line changes nothing.
    let (status, s) = step(t, &t.engineer, id, "start").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["state"], "active");
    let (status, done) = t
        .post(
            &t.engineer,
            &session(id, "/log"),
            json!({"lines": [
            {"text": "$ show controller status", "at": t.app.clock.now().to_string()},
            {"text": "\u{1b}[31mcontroller B: offline\u{1b}[0m"},
            {"text": "$ login admin password=Secr3t"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(
        (done["first"].as_i64(), done["total"].as_i64()),
        (Some(1), Some(3))
    );
    let (status, body) = t
        .post(
            &t.engineer,
            &session(id, "/log"),
            json!({"lines": [
            {"text": "fine"}, {"text": "x".repeat(4001)}]}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(body.to_string().contains("lines[1].text"), "{body}");
    let (status, _) = t
        .post(
            &t.a.admin_token,
            &session(id, "/log"),
            json!({"lines": [{"text": "x"}]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "customers do not write the log"
    );
    let (status, line) = t
        .post(
            &t.engineer,
            &session(id, "/log/3/internal"),
            json!({"reason": "shows a password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{line}");
    let form = Form::new().part(
        "file",
        Part::bytes(b"{\"version\": 2}\n[0.1, \"o\", \"$ \"]\n".to_vec()).file_name("session.cast"),
    );
    let uploaded = t
        .client
        .post(t.url(&session(id, "/recordings")))
        .bearer_auth(&t.engineer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let recording: Value = uploaded.json().await.unwrap();
    assert_eq!(recording["file_name"], "session.cast");

    // The customer reads the log, without the internal line's text.
    let (_, log) = t.get(&t.a.user_token, &session(id, "/log")).await;
    assert_eq!(log["lines"][1]["text"], "controller B: offline");
    assert_eq!(log["lines"][2]["internal"], true);
    assert_eq!(log["lines"][2]["text"], "");
    assert!(!log.to_string().contains("Secr3t") && !log.to_string().contains("a password"));
    let (_, staff_log) = t.get(&t.engineer, &session(id, "/log")).await;
    assert_eq!(
        staff_log["lines"][2]["text"],
        "$ login admin password=Secr3t"
    );
    assert_eq!(staff_log["intact"], Value::Null, "not sealed yet");

    // The command line appends a transcript: its times kept, terminal sequences removed.
    let transcript = "2026-11-23T15:20:00Z $ df -h\n\u{1b}[1mFilesystem\u{1b}[0m  Size\n\n";
    let session_id = id.to_string();
    let url = [("CASEBOOK_DATABASE_URL", t.app.store.url())];
    let args = [
        "remote",
        "log",
        "--case",
        number.as_str(),
        "--session",
        session_id.as_str(),
    ];
    let out = crate::cli::casebook_with(&args, &url, transcript.as_bytes()).await;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("2 lines appended") && said.contains("holds 5"),
        "{said}"
    );
    let wrong = [
        "remote",
        "log",
        "--case",
        "2026-09999",
        "--session",
        session_id.as_str(),
    ];
    let out = crate::cli::casebook_with(&wrong, &url, transcript.as_bytes()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not on case"));
    let (_, log) = t.get(&t.engineer, &session(id, "/log")).await;
    assert_eq!(log["lines"][3]["at"], "2026-11-23T15:20:00Z");
    assert_eq!(log["lines"][4]["text"], "Filesystem  Size");

    // Ending seals the log: the seal is audited and still matches; nothing more goes in.
    b.clock.advance(SignedDuration::from_mins(42));
    let (status, s) = step(t, &t.engineer, id, "end").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["state"], "ended");
    assert_eq!(s["end_reason"], "ended");
    let seal = s["log_sha256"].as_str().expect("a seal").to_owned();
    assert_eq!(seal.len(), 64);
    let (_, log) = t.get(&t.a.user_token, &session(id, "/log")).await;
    assert_eq!(log["intact"], true);
    assert_eq!(log["recordings"][0]["sha256"], recording["sha256"]);
    let (status, body) = t
        .post(
            &t.engineer,
            &session(id, "/log"),
            json!({"lines": [{"text": "late"}]}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "remote_not_running");
    let upload = t
        .client
        .post(t.url(&session(id, "/recordings")))
        .bearer_auth(&t.engineer)
        .multipart(Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("late.cast")))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::CONFLICT);
    let (status, _) = step(t, &t.engineer, id, "end").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=remote_session&object_id={id}"),
        )
        .await;
    let ended = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remote.end")
        .expect("the end is audited");
    assert_eq!(ended["after"]["log_sha256"], seal.as_str());

    // The time is a work entry of the engineer who ran it; the timeline shows every step.
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/work"))
        .await;
    let entry = &work["entries"][0];
    assert_eq!(entry["source"], "remote_session");
    assert_eq!(entry["activity"], "remote");
    assert_eq!(entry["minutes"], 42);
    assert_eq!(entry["user"]["id"], t.engineer_id);
    let (_, timeline) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/cases/{number}/timeline?limit=200"),
        )
        .await;
    let steps: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "remote_session")
        .map(|e| e["change"]["remote"]["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["request", "approve", "start", "end"]);
}

async fn policies_windows_revocation_and_races(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let number = case_on_contract(&b).await;
    let org_policy = format!("/api/v1/organizations/{}/remote-access", t.a.org_id);

    // Who may change the policy: the customer's administrator and the desk's, nobody else.
    for token in [&t.a.user_token, &t.engineer, &t.manager] {
        let (status, _) = t.put(token, &org_policy, json!({"policy": "allow"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = t
        .put(&t.b.admin_token, &org_policy, json!({"policy": "allow"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t
        .put(
            &t.a.admin_token,
            &org_policy,
            json!({"policy": "sometimes"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, p) = t
        .put(&t.a.admin_token, &org_policy, json!({"policy": "deny"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["policy"], "deny");
    let (status, body) = t
        .post(&t.engineer, &sessions(&number), draft(&b, 0, 60, json!([])))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "remote_denied");

    // Allow: approved at once, by nobody; it starts only inside its window.
    let (status, _) = t
        .put(&t.admin, &org_policy, json!({"policy": "allow"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, audit) = t
        .get(
            &t.admin,
            &format!(
                "/api/v1/audit?object_type=organization&object_id={}",
                t.a.org_id
            ),
        )
        .await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "remote.policy.set")
        .count();
    assert_eq!(changes, 2, "each change is audited");
    let later = request(&b, &number, draft(&b, 120, 60, json!([b.unit]))).await;
    let later_id = later["id"].as_i64().unwrap();
    assert_eq!(later["state"], "approved");
    assert_eq!(later["decided_by"], Value::Null);
    let (status, body) = step(t, &t.engineer, later_id, "start").await;
    assert_error(status, &body, StatusCode::CONFLICT, "remote_window");
    assert!(body.to_string().contains("opens at"), "{body}");
    b.clock.advance(SignedDuration::from_mins(121));
    let (status, s) = step(t, &t.engineer, later_id, "start").await;
    assert_eq!(status, StatusCode::OK, "{s}");

    // The customer revokes a running session: it ends at once, sealed, its time recorded.
    b.clock.advance(SignedDuration::from_mins(10));
    let (status, _) = step(t, &t.engineer, later_id, "revoke").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "staff end, the customer revokes"
    );
    let (status, s) = step(t, &t.a.user_token, later_id, "revoke").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["state"], "revoked");
    assert!(s["log_sha256"].is_string());
    let (status, body) = step(t, &t.engineer, later_id, "start").await;
    assert_error(status, &body, StatusCode::CONFLICT, "remote_state");
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/work"))
        .await;
    assert_eq!(work["entries"][0]["minutes"], 10);

    // A window that closes ends a running session.
    let short = request(&b, &number, draft(&b, 0, 30, json!([]))).await;
    let short_id = short["id"].as_i64().unwrap();
    let (status, _) = step(t, &t.engineer, short_id, "start").await;
    assert_eq!(status, StatusCode::OK);
    b.clock.advance(SignedDuration::from_mins(31));
    let ended = casebook_server::actions::field::remote::sweep(&t.app)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    let (_, s) = t.get(&t.engineer, &session(short_id, "")).await;
    assert_eq!(
        (s["state"].as_str(), s["end_reason"].as_str()),
        (Some("ended"), Some("window_over"))
    );
    assert_eq!(
        casebook_server::actions::field::remote::sweep(&t.app)
            .await
            .unwrap(),
        0
    );

    // A site's own policy wins for its units; clearing it follows the organisation again.
    let (_, unit) = t
        .get(&t.engineer, &format!("/api/v1/units/{}", b.unit))
        .await;
    let site_policy = format!("/api/v1/sites/{}/remote-access", unit["site"]["id"]);
    let (status, p) = t
        .put(&t.a.admin_token, &site_policy, json!({"policy": "ask"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["sites"][0]["policy"], "ask");
    let asked = request(&b, &number, draft(&b, 0, 60, json!([b.unit]))).await;
    assert_eq!(asked["state"], "requested", "the site asks");
    let other = request(&b, &number, draft(&b, 0, 60, json!([]))).await;
    assert_eq!(
        other["state"], "approved",
        "no unit: the organisation allows"
    );
    let (status, p) = t.put(&t.admin, &site_policy, json!({"policy": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["sites"], json!([]));

    // Of an approval and a decline racing, exactly one wins.
    let asked_id = asked["id"].as_i64().unwrap();
    let decline_path = session(asked_id, "/decline");
    let (approve, decline) = tokio::join!(
        step(t, &t.a.user_token, asked_id, "approve"),
        t.post(
            &t.a.admin_token,
            &decline_path,
            json!({"note": "not today"})
        )
    );
    let mut statuses = [approve.0, decline.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{approve:?} {decline:?}"
    );
    let (_, s) = t.get(&t.engineer, &session(asked_id, "")).await;
    assert!(s["state"] == "approved" || s["state"] == "declined", "{s}");

    // Bad requests are refused with their fields; a unit of another organisation is no unit.
    let (status, body) = t
        .post(
            &t.engineer,
            &sessions(&number),
            json!({"purpose": " ", "method": "SSH",
            "starts_at": "2020-01-01T00:00:00Z", "minutes": 5000, "unit_ids": [999999]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["purpose", "minutes", "starts_at", "unit_ids"] {
        assert!(
            body.to_string().contains(&format!("\"{field}\"")),
            "{field}: {body}"
        );
    }
    let (status, _) = t
        .post(
            &t.a.user_token,
            &sessions(&number),
            draft(&b, 0, 60, json!([])),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "customers do not request sessions"
    );
    let (_, list) = t.get(&t.a.user_token, &sessions(&number)).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        4,
        "nothing refused was kept"
    );
}
