//! The end of a visit and what it leaves, on SQLite and PostgreSQL: a depot keeps a serialised
//! part's items by serial number (the one that went in must be one of them and leaves the
//! stock, the one that came out comes back defective); a visit dispatched without
//! an engineer waits on the dispatch board and cannot be checked in; assigned, it shows in the
//! engineer's row, where an overlapping visit is flagged. The customer signs a completed visit
//! (an SVG that could run anything is refused; the drawing is kept re-encoded) and the service
//! report is kept on the case with its SHA-256 in the audit chain and queued to the customers
//! with the file; a signed visit cannot be signed again. A customer who cannot sign confirms
//! with a mailed one-time code (a wrong code is counted). The fault-handling report is written
//! by staff, read by the case's customers only, and queried, counted, exported and turned into
//! a knowledge-base draft.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::{Base, base};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(visits_are_planned_signed_reported_and_counted);

async fn stocked_part(t: &TestApp, product: i64) -> (i64, i64) {
    let (_, depot) = t
        .post(
            &t.coordinator,
            "/api/v1/depots",
            json!({"code": "SH-01", "name": "上海备件库", "address": "上海市浦东新区"}),
        )
        .await;
    let depot = depot["id"].as_i64().unwrap();
    let (_, part) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "SSD-960", "description": "960GB SSD", "product_ids": [product], "serialized": true}),
        )
        .await;
    let part = part["id"].as_i64().unwrap();
    let (status, level) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/depots/{depot}/stock"),
            json!({"part_id": part, "quantity": 3, "reason": "到货",
                "serials": ["ssd-new-1", "SSD-NEW-2", "SSD-SPARE-3"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{level}");
    (part, depot)
}

/// A visit on `number` with these engineers, arriving `hours` from now for two hours.
async fn dispatch(
    t: &TestApp,
    number: &str,
    engineers: Value,
    hours: i64,
    part: (i64, i64),
) -> Value {
    let arrival = t.app.clock.now() + SignedDuration::from_hours(hours);
    let (status, visit) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/cases/{number}/visits"),
            json!({"engineer_ids": engineers, "planned_arrival": arrival.to_string(), "planned_minutes": 120,
                "parts": [{"part_id": part.0, "depot_id": part.1, "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    visit
}

/// Checks in and completes a visit with one SSD replaced in the unit.
async fn done(b: &Base, id: i64, part: i64, serial: &str) -> Value {
    let t = &b.t;
    let (status, v) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{id}/check-in"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    b.clock.advance(SignedDuration::from_mins(40));
    let path = format!("/api/v1/visits/{id}/complete");
    let (status, body) = t
        .post(
            &t.engineer,
            &path,
            json!({"work_done": "x",
            "parts": [{"part_id": part, "unit_id": b.unit, "new_serial": "NOT-IN-STOCK"}]}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["code"], "not_in_stock",
        "the depot keeps its serial numbers"
    );
    let (status, body) = t
        .post(&t.engineer, &path, json!({"work_done": "x",
            "parts": [{"part_id": part, "unit_id": b.unit, "new_serial": serial, "old_serial": "SSD-SPARE-3"}]}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["code"], "in_stock",
        "a shelved item never came out of a unit"
    );
    let (status, v) = t
        .post(&t.engineer, &format!("/api/v1/visits/{id}/complete"), json!({
            "work_done": "更换故障硬盘，阵列重建完成。Replaced the failed SSD; the array rebuilt.",
            "parts": [{"part_id": part, "unit_id": b.unit, "new_serial": serial, "old_serial": format!("{serial}-OLD")}]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The queued mails of `kind`: recipient, body, attached file id.
async fn mails(t: &TestApp, kind: &str) -> Vec<(String, String, Option<i64>)> {
    let mut db = t.app.store.write().await.unwrap();
    let now = t.app.clock.now();
    let due = casebook_store::notifications::claim_due_mail(&mut db, now, now, 500)
        .await
        .unwrap();
    due.into_iter()
        .filter(|m| m.kind == kind)
        .map(|m| (m.recipient, m.body, m.attachment))
        .collect()
}

async fn visits_are_planned_signed_reported_and_counted(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let part = stocked_part(t, b.product).await;
    let number = t
        .open_case(
            &t.a.user_token,
            json!({"title": "存储阵列硬盘故障", "description": "disk 7 failed", "severity": 1,
                "serial_number": b.serial}),
        )
        .await;
    let today = t.app.clock.now().to_zoned(t.app.config.time_zone()).date();

    // Dispatched with no engineer: first on the board, and no check-in until assigned.
    let first = dispatch(t, &number, json!([]), 2, part).await;
    let first_id = first["id"].as_i64().unwrap();
    assert_eq!(first["engineers"], json!([]));
    assert_eq!(first["planned_minutes"], 120);
    let board_path = format!("/api/v1/dispatch-board?from={today}&days=7");
    let (status, board) = t.get(&t.coordinator, &board_path).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["unassigned"][0]["id"], first_id);
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{first_id}/check-in"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "visit_unassigned");
    for (query, field) in [("days=0", "days"), ("days=15", "days")] {
        let (status, body) = t
            .get(&t.coordinator, &format!("/api/v1/dispatch-board?{query}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body.to_string().contains(field), "{body}");
    }
    let (status, body) = t.get(&t.a.admin_token, &board_path).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "customers see no board: {body}"
    );
    let (status, v) = t
        .put(
            &t.coordinator,
            &format!("/api/v1/visits/{first_id}/engineers"),
            json!({"engineer_ids": [t.engineer_id], "version": first["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["engineers"][0]["id"], t.engineer_id);

    // A second visit an hour later overlaps the first for the same engineer: both flagged.
    let second = dispatch(t, &number, json!([t.engineer_id]), 3, part).await;
    let second_id = second["id"].as_i64().unwrap();
    let (_, board) = t.get(&t.coordinator, &board_path).await;
    assert_eq!(board["unassigned"], json!([]));
    let row = &board["engineers"][0];
    assert_eq!(row["engineer"]["id"], t.engineer_id);
    assert_eq!(row["conflicts"], json!([[first_id, second_id]]));

    // Signing waits for the work to be done.
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{first_id}/signature"),
            json!({"signer_name": "张伟", "signature": "<svg><path d=\"M1 1 L9 9\"/></svg>"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "visit_state");
    b.clock.advance(SignedDuration::from_hours(2));
    let completed = done(&b, first_id, part.0, "SSD-NEW-1").await;

    // The item that went in left the depot; the one that came out came back defective.
    let (_, items) = t
        .get(
            &t.coordinator,
            &format!("/api/v1/stock/items?part={}", part.0),
        )
        .await;
    let state_of = |serial: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["serial"] == serial)
            .map(|i| i["state"].clone())
    };
    assert_eq!(state_of("SSD-NEW-1"), Some(json!("used")), "{items}");
    assert_eq!(
        state_of("SSD-NEW-1-OLD"),
        Some(json!("defective")),
        "{items}"
    );
    assert_eq!(state_of("SSD-SPARE-3"), Some(json!("in_stock")), "{items}");
    let stock = format!("/api/v1/depots/{}/stock", part.1);
    for (body, status, code) in [
        (
            json!({"part_id": part.0, "quantity": 1, "reason": "again", "serials": ["SSD-SPARE-3"]}),
            StatusCode::CONFLICT,
            "duplicate_serial",
        ),
        (
            json!({"part_id": part.0, "quantity": -1, "reason": "lost", "serials": ["SSD-NEW-1"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"part_id": part.0, "quantity": 2, "reason": "count", "serials": ["X-1"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ] {
        let (got, answer) = t.post(&t.coordinator, &stock, body).await;
        assert_error(got, &answer, status, code);
    }
    let (_, after) = t
        .get(
            &t.coordinator,
            &format!("/api/v1/stock/items?part={}&state=in_stock", part.0),
        )
        .await;
    assert_eq!(
        after.as_array().map(Vec::len),
        Some(2),
        "nothing refused was kept: {after}"
    );
    let (status, _) = t.get(&t.a.admin_token, "/api/v1/stock/items").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bad signatures change nothing.
    let path = format!("/api/v1/visits/{first_id}/signature");
    for (body, field, code) in [
        (
            json!({"signer_name": "张伟", "signature": "<svg onload=\"alert(1)\"><path d=\"M1 1 L9 9\"/></svg>"}),
            "signature",
            "unsafe",
        ),
        (
            json!({"signer_name": "张伟", "signature": "<svg><script>alert(1)</script><path d=\"M1 1\"/></svg>"}),
            "signature",
            "unsafe",
        ),
        (
            json!({"signer_name": "张伟", "signature": "<svg></svg>"}),
            "signature",
            "empty",
        ),
        (
            json!({"signer_name": "张伟", "signature": "data:image/png;base64,R0lGODlh"}),
            "signature",
            "not_png",
        ),
        (
            json!({"signer_name": "张伟", "signature": format!("<svg>{}</svg>", "<path d=\"M1 1\"/>".repeat(20_000))}),
            "signature",
            "too_large",
        ),
        (
            json!({"signer_name": " ", "signature": "<svg><path d=\"M1 1\"/></svg>"}),
            "signer_name",
            "required",
        ),
        (json!({"signer_name": "张伟"}), "signature", "one_of"),
        (
            json!({"signer_name": "张伟", "signature": "<svg/>", "code": "123456"}),
            "signature",
            "one_of",
        ),
    ] {
        let (status, refused) = t.post(&t.engineer, &path, body).await;
        let details = assert_error(
            status,
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(
            (
                details["fields"][0]["field"].as_str(),
                details["fields"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{refused}"
        );
    }
    let (status, body) = t
        .post(
            &t.a.user_token,
            &path,
            json!({"signer_name": "张伟", "signature": "<svg><path d=\"M1 1\"/></svg>"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, same) = t
        .get(&t.engineer, &format!("/api/v1/visits/{first_id}"))
        .await;
    assert_eq!(same["signed"], Value::Null);
    assert_eq!(same["version"], completed["version"]);

    // Signed: the report is on the case, its hash in the audit chain, queued with the file.
    let drawn = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><g stroke="red"><path d="M 10 10 L 50 60 L 90 20"/></g></svg>"##;
    let (status, signed) = t
        .post(
            &t.engineer,
            &path,
            json!({"signer_name": " 张伟 ", "signature": drawn, "version": completed["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["signed"]["signer_name"], "张伟");
    assert_eq!(signed["signed"]["method"], "drawn");
    let file = signed["signed"]["report_attachment_id"].as_i64().unwrap();
    let sha = signed["signed"]["report_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = t
        .client
        .get(t.url(&format!("/api/v1/cases/{number}/attachments/{file}")))
        .bearer_auth(&t.a.user_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the customer reads the report"
    );
    let html = response.text().await.unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(html.as_bytes())), sha);
    for said in [
        "服务报告单",
        "张伟",
        "SSD-NEW-1",
        "SSD-NEW-1-OLD",
        "M 10 10 L 50 60 L 90 20",
        &number,
    ] {
        assert!(html.contains(said), "the report says {said}: {html}");
    }
    assert!(
        !html.contains("stroke=\"red\""),
        "the drawing is re-encoded"
    );
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=visit&object_id={first_id}"),
        )
        .await;
    assert!(
        audit.to_string().contains(&sha),
        "the audit chain holds the report's hash: {audit}"
    );
    let reports = mails(t, "service_report").await;
    assert!(!reports.is_empty(), "the report is mailed");
    assert!(
        reports.iter().all(|(_, _, f)| *f == Some(file)),
        "{reports:?}"
    );
    let (status, body) = t
        .post(
            &t.engineer,
            &path,
            json!({"signer_name": "李四", "signature": drawn}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "visit_signed");

    // The second visit is confirmed with a mailed code; a wrong code is counted.
    let (status, v) = t
        .put(&t.coordinator, &format!("/api/v1/visits/{second_id}/engineers"),
            json!({"engineer_ids": [t.engineer_id], "planned_arrival": t.app.clock.now().to_string()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    done(&b, second_id, part.0, "SSD-NEW-2").await;
    let code_path = format!("/api/v1/visits/{second_id}/signature");
    let (status, body) = t
        .post(
            &t.engineer,
            &code_path,
            json!({"signer_name": "张伟", "code": "000000"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "sign_code_missing");
    let (status, sent) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{second_id}/sign-code"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert!(sent["sent_to"].as_str().unwrap().contains("***@"), "{sent}");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{second_id}/sign-code"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "sign_code_wait");
    let codes = mails(t, "visit_sign_code").await;
    let body = &codes.last().expect("the code is mailed").1;
    let code: String = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_owned();
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let (status, body) = t
        .post(
            &t.engineer,
            &code_path,
            json!({"signer_name": "张伟", "code": wrong}),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "code");
    {
        let mut db = t.app.store.read().await.unwrap();
        let (_, _, _, tries) = casebook_store::visits::code(&mut db, second_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tries, 1, "the wrong try is kept");
    }
    let (status, signed) = t
        .post(
            &t.engineer,
            &code_path,
            json!({"signer_name": "张伟", "code": format!("{} {}", &code[..3], &code[3..])}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["signed"]["method"], "code");

    crate::fault_database::a_report_is_written_read_queried_and_exported(
        t, &number, b.product, today,
    )
    .await;
}
