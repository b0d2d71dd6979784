//! Business calendars through the API: the built-in China 5×8 around holidays, deadlines, admin
//! edits with validation, and imports with a dry run.

use std::sync::Arc;

use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    days_and_deadlines_on_the_china_calendar,
    admins_create_and_edit_with_validation,
    imports_show_the_difference_before_applying
);

/// A server whose clock shows 22 November 2026, 10:00 in Shanghai.
async fn in_november(backend: TestBackend) -> TestApp {
    let now = "2026-11-22T02:00:00Z".parse().unwrap();
    TestApp::spawn_with(backend, |_| {}, Arc::new(ManualClock::new(now))).await
}

async fn days_and_deadlines_on_the_china_calendar(backend: TestBackend) {
    let t = in_november(backend).await;
    // Customers read calendars too: the portal promises deadlines from them.
    let (status, days) = t
        .get(
            &t.a.user_token,
            "/api/v1/calendars/china-5x8/days?from=2026-09-30&to=2026-10-11",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{days}");
    let day = |date: &str| {
        days.as_array()
            .unwrap()
            .iter()
            .find(|d| d["date"] == date)
            .unwrap()
            .clone()
    };
    assert_eq!(day("2026-09-30")["reason"], "weekday");
    assert_eq!(day("2026-09-30")["hours"], json!(["08:30-17:00"]));
    assert_eq!(day("2026-10-01")["reason"], "holiday");
    assert_eq!(day("2026-10-01")["working"], false);
    assert!(
        day("2026-10-01")["name"]
            .as_str()
            .unwrap()
            .contains("国庆节")
    );
    assert_eq!(day("2026-10-10")["reason"], "workday");
    assert_eq!(day("2026-10-10")["weekday"], "sat");
    assert_eq!(day("2026-10-10")["working"], true);
    assert_eq!(day("2026-10-11")["reason"], "weekend");

    let deadline = |query: &str| format!("/api/v1/calendars/china-5x8/deadline?{query}");
    // Severity 3 at 16:50 the day before National Day, two working hours.
    let (status, d) = t
        .get(
            &t.engineer,
            &deadline("start=2026-09-30T16:50:00%2B08:00&minutes=120"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["deadline"], "2026-10-08T10:20:00+08:00");
    assert_eq!(d["working_minutes"], 120);
    // Next business day after a Friday before the Qingming weekend; the start given in UTC.
    let (_, d) = t
        .get(
            &t.engineer,
            &deadline("start=2026-04-03T02:00:00Z&target=nbd"),
        )
        .await;
    assert_eq!(d["deadline"], "2026-04-07T17:00:00+08:00");
    assert_eq!(d["start"], "2026-04-03T10:00:00+08:00");
    // Severity 1 at 23:00 on a holiday, round the clock.
    let (_, d) = t
        .get(
            &t.engineer,
            "/api/v1/calendars/24x7/deadline?start=2026-10-03T23:00:00%2B08:00&minutes=120",
        )
        .await;
    assert_eq!(d["deadline"], "2026-10-04T01:00:00+08:00");

    for (query, field) in [
        ("start=yesterday&minutes=10", "start"),
        ("start=2026-04-03T02:00:00Z", "target"),
        ("start=2026-04-03T02:00:00Z&minutes=10&target=nbd", "target"),
        ("start=2026-04-03T02:00:00Z&target=soon", "target"),
    ] {
        let (status, body) = t.get(&t.engineer, &deadline(query)).await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(details["fields"][0]["field"], field, "{query}");
    }
    let (status, body) = t
        .get(
            &t.engineer,
            "/api/v1/calendars/nowhere/deadline?start=2026-04-03T02:00:00Z&minutes=1",
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = t
        .get(
            &t.engineer,
            "/api/v1/calendars/china-5x8/days?from=2026-01-01&to=2027-06-01",
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    // In November the China calendar lacks next year's holidays: a warning says so.
    let (_, list) = t.get(&t.engineer, "/api/v1/calendars").await;
    let china = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "china-5x8")
        .unwrap();
    assert_eq!(china["warnings"][0]["code"], "no_holidays_for_year");
    assert_eq!(china["warnings"][0]["year"], 2027);
    let always = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "24x7")
        .unwrap();
    assert_eq!(always["warnings"], json!([]));
}

fn support_desk(weekly: Value) -> Value {
    json!({"id": "shenzhen-desk", "name": "深圳支持中心", "time_zone": "Asia/Shanghai", "weekly": weekly,
        "exceptions": [{"date": "2027-02-05", "until": "2027-02-12", "kind": "holiday", "name": "春节"},
                       {"date": "2027-02-13", "kind": "special_hours", "name": "半天", "hours": ["09:00-12:00"]}]})
}

async fn admins_create_and_edit_with_validation(backend: TestBackend) {
    let t = in_november(backend).await;
    let good = support_desk(json!({"mon": ["08:30-12:00", "13:00-17:30"], "sat": ["09:00-12:00"]}));
    let (status, body) = t
        .post(&t.coordinator, "/api/v1/calendars", good.clone())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let mut bad = support_desk(json!({"mon": ["08:30-12:00", "11:00-17:30"]}));
    bad["time_zone"] = json!("Asia/Beijing");
    let (status, body) = t.post(&t.admin, "/api/v1/calendars", bad).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let fields: Vec<&str> = details["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["time_zone", "weekly.mon"]);
    let inverted = support_desk(json!({"mon": ["17:00-08:30"]}));
    let (status, body) = t.post(&t.admin, "/api/v1/calendars", inverted).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "weekly.mon[0]", "{body}");
    let (status, _) = t.get(&t.admin, "/api/v1/calendars/shenzhen-desk").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was written");

    let (status, created) = t.post(&t.admin, "/api/v1/calendars", good.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["builtin"], false);
    let (status, body) = t.post(&t.admin, "/api/v1/calendars", good).await;
    assert_error(status, &body, StatusCode::CONFLICT, "duplicate_calendar");
    // The half day before the holiday and the Saturday hours count.
    let (_, d) = t
        .get(&t.engineer, "/api/v1/calendars/shenzhen-desk/deadline?start=2027-02-13T11:00:00%2B08:00&minutes=120")
        .await;
    assert_eq!(d["deadline"], "2027-02-15T09:30:00+08:00", "{d}");

    let mut spec = created.clone();
    for key in [
        "id",
        "builtin",
        "created_at",
        "updated_at",
        "version",
        "warnings",
    ] {
        spec.as_object_mut().unwrap().remove(key);
    }
    spec["weekly"]["tue"] = json!(["08:30-17:30"]);
    let put = |if_match: &'static str, body: Value| {
        let request = t
            .client
            .put(t.url("/api/v1/calendars/shenzhen-desk"))
            .bearer_auth(&t.admin)
            .header("If-Match", if_match)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, saved) = put("\"1\"", spec.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    let (status, body) = put("\"1\"", spec).await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");
    let (status, body) = t
        .call(
            Method::PUT,
            &t.admin,
            "/api/v1/calendars/shenzhen-desk",
            Some(json!({"name": "x"})),
        )
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "time_zone");
}

const ICS_2027: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270206\r\nSUMMARY:春节补班\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

async fn imports_show_the_difference_before_applying(backend: TestBackend) {
    let t = in_november(backend).await;
    let path = "/api/v1/calendars/china-5x8/import";
    let (_, before) = t.get(&t.admin, "/api/v1/calendars/china-5x8").await;

    let (status, dry) = t
        .post(
            &t.admin,
            path,
            json!({"format": "ics", "content": ICS_2027, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["diff"]["years"], json!([2027]));
    assert_eq!(dry["diff"]["added"].as_array().unwrap().len(), 2);
    assert_eq!(dry["diff"]["added"][1]["kind"], "workday");
    assert_eq!(
        dry["calendar"]["warnings"],
        json!([]),
        "after the import no warning would remain"
    );
    let (_, unchanged) = t.get(&t.admin, "/api/v1/calendars/china-5x8").await;
    assert_eq!(unchanged, before, "a dry run changes nothing");

    let broken = ICS_2027.replace(
        "DTSTART;VALUE=DATE:20270206",
        "DTSTART;VALUE=DATE:2027-02-06",
    );
    let (status, body) = t
        .post(&t.admin, path, json!({"format": "ics", "content": broken}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "line 10: DTSTART");
    let (status, body) = t
        .post(&t.admin, path, json!({"format": "csv", "content": "2027-01-01,,holiday,元旦,\n2027-01-02,,holidy,x,\n"}))
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "line 2: kind");
    let (_, still) = t.get(&t.admin, "/api/v1/calendars/china-5x8").await;
    assert_eq!(still, before, "nothing half-imported");

    let (status, body) = t
        .post(&t.admin, path, json!({"format": "ics", "content": ICS_2027, "version": before["version"].as_i64().unwrap() + 5}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "version_conflict");
    let (status, body) = t
        .post(
            &t.engineer,
            path,
            json!({"format": "ics", "content": ICS_2027}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    let (status, done) = t
        .post(
            &t.admin,
            path,
            json!({"format": "ics", "content": ICS_2027}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["applied"], true);
    let (_, after) = t.get(&t.admin, "/api/v1/calendars/china-5x8").await;
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["warnings"], json!([]));
    let (_, days) = t
        .get(
            &t.admin,
            "/api/v1/calendars/china-5x8/days?from=2027-02-06&to=2027-02-06",
        )
        .await;
    assert_eq!(days[0]["reason"], "workday");
    // The import is in the audit log.
    let (_, audit) = t
        .get(
            &t.admin,
            "/api/v1/audit?object_type=calendar&object_id=china-5x8",
        )
        .await;
    assert_eq!(audit["items"][0]["action"], "calendar.import", "{audit}");
    // Importing the same file again changes nothing.
    let (_, again) = t
        .post(
            &t.admin,
            path,
            json!({"format": "ics", "content": ICS_2027}),
        )
        .await;
    assert_eq!(again["applied"], false);
    assert_eq!(again["diff"]["unchanged"], 2);
}

on_both_backends!(admins_are_told_once_about_missing_holidays);

async fn admins_are_told_once_about_missing_holidays(backend: TestBackend) {
    let t = in_november(backend).await;
    let told = casebook_server::actions::contracts::calendars::notify_missing_holidays(&t.app)
        .await
        .unwrap();
    assert_eq!(told, 2, "the admin and the manager, for china-5x8 in 2027");
    assert_eq!(
        casebook_server::actions::contracts::calendars::notify_missing_holidays(&t.app)
            .await
            .unwrap(),
        0
    );
    let (_, notes) = t.get(&t.admin, "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "calendar_holidays");
    assert!(notes["items"][0]["body"].as_str().unwrap().contains("2027"));
    let (_, none) = t.get(&t.engineer, "/api/v1/notifications").await;
    assert_eq!(none["items"], json!([]));
}
