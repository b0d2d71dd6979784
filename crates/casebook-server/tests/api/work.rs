//! Time accounting on SQLite and PostgreSQL: work entries recorded through the API and with a
//! reply are charged to the case's contract; the contract's bank of hours is used up, its service
//! manager and the customer's administrator are told once at 80 % and once at 100 %; the
//! customer's administrator reads the usage by month and the cases it went to, other customers
//! may not; bad entries are refused with the field named and change nothing; entries are
//! removed by their engineer or a manager (a retried removal succeeds); the time sheet lists them by person and day.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::contracts::{base, contract};
use crate::helpers::{TestApp, assert_error};

on_both_backends!(
    time_uses_up_the_contract_bank_and_tells_its_people,
    bad_work_entries_change_nothing
);

fn work(number: &str) -> String {
    format!("/api/v1/cases/{number}/work")
}

async fn usage_mail(t: &TestApp) -> Vec<(String, String)> {
    let mut db = t.app.store.read().await.unwrap();
    casebook_store::notifications::unsent_mail(&mut db, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.1 == "contract_usage")
        .map(|m| (m.2, m.3))
        .collect()
}

async fn kinds(t: &TestApp, token: &str) -> Vec<String> {
    let (_, notes) = t.get(token, "/api/v1/notifications").await;
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn add(t: &TestApp, token: &str, number: &str, body: Value) -> Value {
    let (status, entry) = t.post(token, &work(number), body).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    entry
}

async fn time_uses_up_the_contract_bank_and_tells_its_people(backend: TestBackend) {
    let b = base(backend).await;
    let t = &b.t;
    let (_, manager) = t.get(&t.manager, "/api/v1/me").await;
    let manager_id = manager["user"]["id"].as_i64().unwrap();
    let c = contract(
        t,
        json!({"contract_number": "HOURS-1", "organization_id": t.a.org_id, "plan": "standard",
            "starts_on": "2026-01-01", "ends_on": "2027-12-31", "incidents": 5, "hours": 10,
            "service_manager_id": manager_id}),
    )
    .await;
    assert_eq!(c["hours"], 10);
    assert_eq!(c["minutes_used"], 0);
    let id = c["id"].as_i64().unwrap();
    let number = t.case_of_a().await;
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{number}")).await;
    assert_eq!(case["entitlement"]["contract_number"], "HOURS-1", "{case}");

    // Monday 23 November 2026, 23:00 in Shanghai: the entry's day is the desk's day.
    let remote = add(
        t,
        &t.engineer,
        &number,
        json!({"minutes": 240, "activity": "remote", "note": "远程检查存储日志"}),
    )
    .await;
    assert_eq!(remote["billable"], true);
    assert_eq!(remote["contract_id"], id);
    assert_eq!(remote["worked_on"], "2026-11-23");
    assert_eq!(remote["case_number"], number.as_str());
    assert_eq!(remote["user"]["name"], "engineer@vendor.test");
    assert_eq!(remote["source"], "manual");
    add(
        t,
        &t.engineer,
        &number,
        json!({"minutes": 60, "activity": "analysis", "billable": false}),
    )
    .await;
    assert!(usage_mail(t).await.is_empty(), "300 of 600 minutes: 50 %");

    // Time with an internal note: 490 minutes, 81 %: the 80 % notice, to both.
    let (status, note) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "电话指导客户更换控制器", "visibility": "internal",
                "work": {"minutes": 250, "activity": "phone"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let mail = usage_mail(t).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(
        mail.iter().any(|m| m.0 == "manager@vendor.test"),
        "{mail:?}"
    );
    assert!(mail.iter().any(|m| m.0.starts_with("admin@")), "{mail:?}");
    assert!(
        mail.iter()
            .all(|m| m.1.contains("HOURS-1") && m.1.contains("80")),
        "{mail:?}"
    );
    assert!(
        kinds(t, &t.manager)
            .await
            .contains(&"contract_usage".to_owned())
    );
    assert!(
        kinds(t, &t.a.admin_token)
            .await
            .contains(&"contract_usage".to_owned())
    );
    // More time below 100 %: nothing new.
    add(
        t,
        &t.engineer,
        &number,
        json!({"minutes": 10, "activity": "phone"}),
    )
    .await;
    assert_eq!(usage_mail(t).await.len(), 2);
    // 620 minutes: 100 %, once.
    add(
        t,
        &t.manager,
        &number,
        json!({"minutes": 120, "activity": "on_site",
        "user_id": t.engineer_id}),
    )
    .await;
    let mail = usage_mail(t).await;
    assert_eq!(mail.len(), 4, "{mail:?}");
    assert_eq!(
        mail.iter().filter(|m| m.1.contains("100")).count(),
        2,
        "{mail:?}"
    );
    add(
        t,
        &t.engineer,
        &number,
        json!({"minutes": 5, "activity": "phone"}),
    )
    .await;
    assert_eq!(usage_mail(t).await.len(), 4, "once per threshold");

    // The customer's administrator reads the usage; other customers may not.
    let path = format!("/api/v1/contracts/{id}/usage");
    let (status, usage) = t.get(&t.a.admin_token, &path).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    assert_eq!(usage["hours"], 10);
    assert_eq!(usage["minutes_used"], 625);
    assert_eq!(usage["minutes_remaining"], -25);
    assert_eq!(usage["incidents"], 5);
    assert_eq!(usage["incidents_used"], 1);
    assert_eq!(
        usage["months"],
        json!([{"month": "2026-11", "billable_minutes": 625, "other_minutes": 60, "incidents": 1}])
    );
    let (status, body) = t.get(&t.a.user_token, &path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.get(&t.b.admin_token, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, staff_view) = t.get(&t.engineer, &path).await;
    assert_eq!((status, &staff_view), (StatusCode::OK, &usage));
    let (status, cases) = t.get(&t.a.admin_token, &format!("{path}/2026-11")).await;
    assert_eq!(status, StatusCode::OK, "{cases}");
    assert_eq!(
        cases,
        json!([{"case_number": number, "title": "数据库无法连接", "billable_minutes": 625}])
    );
    let (status, body) = t.get(&t.a.admin_token, &format!("{path}/2026-13")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (_, read) = t.get(&t.engineer, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(read["minutes_used"], 625);

    // The case's entries: staff only; the other organisation's case does not exist for B.
    let (status, all) = t.get(&t.engineer, &work(&number)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["entries"].as_array().unwrap().len(), 6, "{all}");
    assert_eq!(all["billable_minutes"], 625);
    assert_eq!(all["other_minutes"], 60);
    assert_eq!(
        all["entries"][1]["user"]["name"], "engineer@vendor.test",
        "recorded by the manager for the engineer"
    );
    let (status, body) = t.get(&t.a.user_token, &work(&number)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = t.get(&t.b.user_token, &work(&number)).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // Removing: the engineer their own, not a colleague's; a manager anyone's.
    let remote_id = remote["id"].as_i64().unwrap();
    let one = format!("{}/{remote_id}", work(&number));
    let (status, body) = t.call(Method::DELETE, &t.coordinator, &one, None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = t.call(Method::DELETE, &t.engineer, &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t.call(Method::DELETE, &t.engineer, &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "gone already: done");
    let other_case = t.case_of_a().await;
    let manager_entry = all["entries"][1]["id"].as_i64().unwrap();
    let (status, body) = t
        .call(
            Method::DELETE,
            &t.manager,
            &format!("{}/{manager_entry}", work(&other_case)),
            None,
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = t
        .call(
            Method::DELETE,
            &t.manager,
            &format!("{}/{manager_entry}", work(&number)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, usage) = t.get(&t.a.admin_token, &path).await;
    assert_eq!(usage["minutes_used"], 265, "625 − 240 − 120");
    let (_, audit) = t
        .get(
            &t.admin,
            &format!("/api/v1/audit?object_type=work_entry&object_id={remote_id}"),
        )
        .await;
    let audit = audit.to_string();
    assert!(
        audit.contains("case.work.add") && audit.contains("case.work.delete"),
        "{audit}"
    );

    // Incidents: the fourth case of five is 80 %, the fifth 100 % (two were opened above).
    let before = usage_mail(t).await.len();
    t.case_of_a().await;
    assert_eq!(usage_mail(t).await.len(), before, "3 of 5");
    t.case_of_a().await;
    let mail = usage_mail(t).await;
    assert_eq!(mail.len(), before + 2, "4 of 5: {mail:?}");
    t.case_of_a().await;
    assert_eq!(usage_mail(t).await.len(), before + 4, "5 of 5");
    let (_, usage) = t.get(&t.a.admin_token, &path).await;
    assert_eq!(usage["incidents_used"], 5);
    assert_eq!(usage["months"][0]["incidents"], 5);

    // The time sheet: by person and day.
    let (status, sheet) = t
        .get(
            &t.manager,
            &format!(
                "/api/v1/work?user={}&from=2026-11-23&to=2026-11-23",
                t.engineer_id
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let minutes: Vec<i64> = sheet["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["minutes"].as_i64().unwrap())
        .collect();
    assert_eq!(minutes, [5, 10, 250, 60], "newest first");
    let (_, none) = t.get(&t.manager, "/api/v1/work?from=2026-11-24").await;
    assert_eq!(none["items"], json!([]));
    let (status, body) = t
        .get(&t.manager, "/api/v1/work?from=2026-11-24&to=2026-11-23")
        .await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "to");
    let (status, body) = t.get(&t.a.admin_token, "/api/v1/work").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
}

async fn bad_work_entries_change_nothing(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let number = t.case_of_a().await;
    let count = || async {
        let (_, all) = t.get(&t.engineer, &work(&number)).await;
        all["entries"].as_array().unwrap().len()
    };
    let timeline = || async {
        let (_, tl) = t
            .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
            .await;
        tl["items"].as_array().unwrap().len()
    };
    let events = timeline().await;
    let refusals = [
        (
            json!({"minutes": 0, "activity": "phone"}),
            "minutes",
            "out_of_range",
        ),
        (
            json!({"minutes": 1441, "activity": "phone"}),
            "minutes",
            "out_of_range",
        ),
        (
            json!({"minutes": 30, "activity": "fax"}),
            "activity",
            "invalid",
        ),
        (json!({"minutes": 30}), "activity", "required"),
        (
            json!({"minutes": 30, "activity": "phone", "worked_at": "2099-01-01T00:00:00Z"}),
            "worked_at",
            "in_future",
        ),
        (
            json!({"minutes": 30, "activity": "phone", "worked_at": "2020-01-01T00:00:00Z"}),
            "worked_at",
            "too_old",
        ),
        (
            json!({"minutes": 30, "activity": "phone", "user_id": 999_999}),
            "",
            "",
        ),
        (
            json!({"minutes": 30, "activity": "phone", "bill": true}),
            "bill",
            "unknown_field",
        ),
    ];
    for (body, field, code) in refusals {
        let (status, answer) = t.post(&t.engineer, &work(&number), body.clone()).await;
        if field.is_empty() && code.is_empty() {
            // Another engineer's time is a manager's to record.
            assert_error(status, &answer, StatusCode::FORBIDDEN, "forbidden");
            continue;
        }
        let details = assert_error(
            status,
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        if !field.is_empty() {
            assert_eq!(details["fields"][0]["field"], field, "{body} → {answer}");
        }
        assert_eq!(details["fields"][0]["code"], code, "{body} → {answer}");
    }
    let (status, answer) = t
        .post(
            &t.manager,
            &work(&number),
            json!({"minutes": 30, "activity": "phone", "user_id": t.a.user_id}),
        )
        .await;
    let details = assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        details["fields"][0]["field"], "user_id",
        "a customer's time is not recorded"
    );
    // A reply whose time is refused is not posted either.
    let (status, answer) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "已远程处理", "work": {"minutes": 0, "activity": "remote"}}),
        )
        .await;
    let details = assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "work.minutes");
    // Customers record no time, on a reply or alone.
    let (status, answer) = t
        .post(
            &t.a.user_token,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": "谢谢", "work": {"minutes": 10, "activity": "phone"}}),
        )
        .await;
    let details = assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "work");
    let (status, answer) = t
        .post(
            &t.a.user_token,
            &work(&number),
            json!({"minutes": 10, "activity": "phone"}),
        )
        .await;
    assert_error(status, &answer, StatusCode::FORBIDDEN, "forbidden");
    let (status, answer) = t
        .post(
            &t.b.admin_token,
            &work(&number),
            json!({"minutes": 10, "activity": "phone"}),
        )
        .await;
    assert_error(status, &answer, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(count().await, 0);
    assert_eq!(timeline().await, events);
    // A contract's bank is a number of hours, not less than nothing.
    let (status, answer) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "NEG-1",
            "organization_id": t.a.org_id, "plan": "standard", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "hours": -1}),
        )
        .await;
    let details = assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "hours");
}
