//! On-site visits and spare parts on SQLite and PostgreSQL. A plan promises arrival within four
//! hours; dispatching a visit reserves a part and starts that clock, two visits racing for the
//! last item get it once (the other 409, and is not kept); the engineer checks in (the clock is
//! met), completes with the part's serial numbers (the unit's history shows the replacement,
//! the stock is used up) and each engineer's travel and on-site time become work entries;
//! cancelling gives parts back; bad input is refused with its field and changes nothing;
//! customers see their own visits and no stock.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::{Base, base, contract};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(a_visit_reserves_arrives_replaces_and_is_timed);

pub(crate) async fn plan_with_onsite(t: &TestApp) {
    let mut plan = serde_json::to_value(casebook_domain::sla::plan::standard_plan()).unwrap();
    plan["id"] = json!("onsite-7x24");
    plan["name"] = json!("7×24 现场四小时");
    for terms in plan["severities"].as_array_mut().unwrap() {
        terms["calendar"] = json!("24x7");
        terms.as_object_mut().unwrap().remove("overrides");
        terms["targets"]["onsite_arrival"] = json!({"minutes": 240});
    }
    let (status, body) = t.post(&t.admin, "/api/v1/plans", plan).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn sev1_case(b: &Base) -> String {
    b.t.open_case(
        &b.t.a.user_token,
        json!({"title": "控制器电池告警", "description": "BBU fault on controller B", "severity": 1,
            "serial_number": b.serial}),
    )
    .await
}

fn visit_draft(t: &TestApp, part: i64, depot: i64) -> Value {
    let arrival = t.app.clock.now() + SignedDuration::from_hours(3);
    json!({"engineer_ids": [t.engineer_id], "planned_arrival": arrival.to_string(),
        "parts": [{"part_id": part, "depot_id": depot, "quantity": 1}], "notes": "带上备件 BBU"})
}

async fn onsite_clock(t: &TestApp, number: &str) -> Value {
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "onsite_arrival")
        .last()
        .cloned()
        .unwrap_or(Value::Null)
}

async fn stock_of(t: &TestApp, part: i64) -> (i64, i64) {
    let (_, levels) = t
        .get(&t.engineer, &format!("/api/v1/stock?part={part}"))
        .await;
    let level = &levels[0];
    (
        level["on_hand"].as_i64().unwrap(),
        level["reserved"].as_i64().unwrap(),
    )
}

async fn a_visit_reserves_arrives_replaces_and_is_timed(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    plan_with_onsite(t).await;
    contract(
        t,
        json!({"contract_number": "ONSITE-1", "organization_id": t.a.org_id, "plan": "onsite-7x24",
        "starts_on": "2026-01-01", "ends_on": "2027-12-31", "units": [b.unit]}),
    )
    .await;
    let number = sev1_case(&b).await;
    let other = sev1_case(&b).await;

    // The catalogue and a depot with one battery.
    let (status, depot) = t
        .post(
            &t.coordinator,
            "/api/v1/depots",
            json!({"code": "bj-01", "name": "北京备件库", "address": "北京市朝阳区"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{depot}");
    assert_eq!(depot["code"], "BJ-01");
    let depot = depot["id"].as_i64().unwrap();
    let (status, part) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "bbu-5500", "description": "控制器电池模块 BBU",
            "product_ids": [b.product], "serialized": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{part}");
    let part = part["id"].as_i64().unwrap();
    let (status, body) = t
        .post(
            &t.coordinator,
            "/api/v1/parts",
            json!({"part_number": "BBU-5500", "description": "again"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "duplicate_part_number");
    let (status, level) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/depots/{depot}/stock"),
            json!({"part_id": part, "quantity": 1, "reason": "到货 delivery 2026-11"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{level}");
    assert_eq!(level["available"], 1);
    let (status, body) = t
        .post(
            &t.coordinator,
            &format!("/api/v1/depots/{depot}/stock"),
            json!({"part_id": part, "quantity": -2, "reason": "盘亏"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "stock_short");
    for (token, path) in [
        (&t.a.admin_token, "/api/v1/parts"),
        (&t.a.admin_token, "/api/v1/stock"),
    ] {
        let (status, _) = t.get(token, path).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "customers see no stock: {path}"
        );
    }

    // Two visits race for the last battery: one gets it, the other is refused and not kept.
    let first_path = format!("/api/v1/cases/{number}/visits");
    let second_path = format!("/api/v1/cases/{other}/visits");
    let (one, two) = tokio::join!(
        t.post(&t.engineer, &first_path, visit_draft(t, part, depot)),
        t.post(&t.engineer, &second_path, visit_draft(t, part, depot))
    );
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{one:?} {two:?}"
    );
    let (won, lost, visit, refused) = if one.0 == StatusCode::CREATED {
        (&number, &other, one.1, two.1)
    } else {
        (&other, &number, two.1, one.1)
    };
    assert_eq!(refused["error"]["code"], "stock_short", "{refused}");
    assert_eq!(stock_of(t, part).await, (1, 1));
    let (_, none) = t
        .get(&t.engineer, &format!("/api/v1/cases/{lost}/visits"))
        .await;
    assert_eq!(none, json!([]), "the refused visit was not kept");
    assert!(onsite_clock(t, lost).await.is_null(), "nor its clock");
    let id = visit["id"].as_i64().unwrap();
    assert_eq!(visit["state"], "planned");
    assert_eq!(
        visit["site"]["name"], "北京一号机房",
        "the site of the case's unit"
    );
    assert_eq!(visit["reserved"][0]["quantity"], 1);

    // Dispatch started the on-site arrival clock: four hours, round the clock.
    let clock = onsite_clock(t, won).await;
    assert_eq!(clock["state"], "running", "{clock}");
    let dispatched: jiff::Timestamp = visit["dispatched_at"].as_str().unwrap().parse().unwrap();
    let deadline: jiff::Timestamp = clock["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        deadline.duration_since(dispatched),
        SignedDuration::from_hours(4)
    );

    // Customers see their own visit, not another organisation's; they do not dispatch.
    let (status, seen) = t
        .get(&t.a.user_token, &format!("/api/v1/visits/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let (status, _) = t
        .get(&t.b.user_token, &format!("/api/v1/visits/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .post(
            &t.a.admin_token,
            &format!("/api/v1/cases/{won}/visits"),
            visit_draft(t, part, depot),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Completing before arrival is refused; the engineer arrives after three hours: met.
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{id}/complete"),
            json!({"work_done": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "visit_state");
    b.clock.advance(SignedDuration::from_hours(3));
    let (status, arrived) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{id}/check-in"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{arrived}");
    assert_eq!(arrived["state"], "on_site");
    let clock = onsite_clock(t, won).await;
    assert_eq!(
        (clock["state"].as_str(), clock["breached"].as_bool()),
        (Some("met"), Some(false)),
        "{clock}"
    );

    // Bad completions change nothing.
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{id}/complete"),
            json!({"work_done": " ", "travel_minutes": 2000,
            "parts": [{"part_id": part, "unit_id": b.unit}, {"part_id": 999999}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in [
        "work_done",
        "travel_minutes",
        "parts[0].new_serial",
        "parts[1].part_id",
    ] {
        assert!(
            body.to_string().contains(&format!("\"{field}\"")),
            "{field}: {body}"
        );
    }
    assert_eq!(stock_of(t, part).await, (1, 1));

    // Done: the battery went in, the old one came out; the unit's history says so.
    b.clock.advance(SignedDuration::from_mins(50));
    let (status, done) = t
        .post(&t.engineer, &format!("/api/v1/visits/{id}/complete"), json!({
            "work_done": "更换控制器 B 电池模块，告警消除。Replaced controller B's BBU; the alarm cleared.",
            "travel_minutes": 45,
            "parts": [{"part_id": part, "unit_id": b.unit, "new_serial": "bbu-new-1", "old_serial": "BBU-OLD-9"}]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "completed");
    assert_eq!(done["onsite_minutes"], 50);
    assert_eq!(done["used"][0]["new_serial"], "BBU-NEW-1");
    assert_eq!(done["used"][0]["old_serial"], "BBU-OLD-9");
    assert_eq!(stock_of(t, part).await, (0, 0));
    let (_, history) = t
        .get(&t.engineer, &format!("/api/v1/units/{}/history", b.unit))
        .await;
    let replaced = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["changes"]["replaced_part"].is_array());
    let replaced = replaced.unwrap_or_else(|| panic!("no replacement in {history}"));
    assert_eq!(
        replaced["changes"]["replaced_part"],
        json!(["BBU-5500 BBU-OLD-9", "BBU-5500 BBU-NEW-1"])
    );

    // Each engineer's travel and on-site time are work entries, once.
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{won}/work"))
        .await;
    let mut entries: Vec<(String, i64)> = work["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "visit")
        .map(|e| {
            (
                e["activity"].as_str().unwrap().to_owned(),
                e["minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [("on_site".to_owned(), 50), ("travel".to_owned(), 45)]
    );

    // Cancelling a planned visit gives its parts back.
    t.post(
        &t.coordinator,
        &format!("/api/v1/depots/{depot}/stock"),
        json!({"part_id": part, "quantity": 2, "reason": "补货"}),
    )
    .await;
    let (status, second) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{lost}/visits"),
            visit_draft(t, part, depot),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(stock_of(t, part).await, (2, 1));
    let second = second["id"].as_i64().unwrap();
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{second}/cancel"),
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, cancelled) = t
        .post(
            &t.engineer,
            &format!("/api/v1/visits/{second}/cancel"),
            json!({"reason": "客户改约 rescheduled"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(stock_of(t, part).await, (2, 0));
    assert_eq!(onsite_clock(t, lost).await["state"], "cancelled");

    // The timeline shows each step to the customer.
    let (_, timeline) = t
        .get(
            &t.a.user_token,
            &format!("/api/v1/cases/{won}/timeline?limit=200"),
        )
        .await;
    let steps: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "visit")
        .map(|e| e["change"]["visit"]["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["dispatch", "check_in", "complete"]);
}
