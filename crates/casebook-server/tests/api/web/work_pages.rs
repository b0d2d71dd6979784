//! The time forms of the console's case page and the contract's hours pages over HTTP, on
//! SQLite and PostgreSQL: a reply whose time is refused is shown again with the text and the
//! minutes typed, and neither the reply nor the time is stored; the time form records time
//! alone and its remove button removes it; the hours page is the staff's and the customer's
//! administrators', refused to the organisation's other customers (403) and missing for other
//! organisations (404); a month that is no month is refused. Every page is valid HTML.

use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::TestApp;

on_both_backends!(time_forms_and_hours_pages);

async fn time_forms_and_hours_pages(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    user_with_password(&t, "gong@vendor.test", "龚工", "engineer", None).await;
    user_with_password(
        &t,
        "it@a.test",
        "A 信息部",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(
        &t,
        "user@a.test",
        "A 用户",
        "customer_user",
        Some(t.a.org_id),
    )
    .await;
    user_with_password(
        &t,
        "it@b.test",
        "B 信息部",
        "customer_admin",
        Some(t.b.org_id),
    )
    .await;
    let (status, contract) = t
        .post(
            &t.coordinator,
            "/api/v1/contracts",
            json!({"contract_number": "HT-PAGES", "organization_id": t.a.org_id, "plan": "standard",
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "hours": 8, "incidents": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    let id = contract["id"].as_i64().unwrap();
    let number = t.case_of_a().await;
    let case = format!("/console/cases/{number}");
    let staff = WebClient::new(&t);
    staff.sign_in("gong@vendor.test", PASSWORD).await;
    let (status, page) = staff.get(&case).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&case, &page);
    assert!(page.contains("id=\"r-minutes\"") && page.contains("id=\"w-minutes\""));

    // A reply whose minutes are not a number: shown again, nothing stored.
    let csrf = staff.csrf(&case).await;
    let (status, _, page) = staff
        .post_multipart(
            &format!("{case}/reply"),
            &[
                ("_csrf", &csrf),
                ("body", "已远程排查"),
                ("visibility", "public"),
                ("work_minutes", "九十"),
                ("work_activity", "remote"),
                ("work_billable", "yes"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_valid("refused reply", &page);
    assert!(
        page.contains("已远程排查") && page.contains("value=\"九十\""),
        "kept"
    );
    let (_, timeline) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/timeline"))
        .await;
    assert!(!timeline.to_string().contains("已远程排查"));
    // A reply with 90 minutes.
    let (status, _, _) = staff
        .post_multipart(
            &format!("{case}/reply"),
            &[
                ("_csrf", &csrf),
                ("body", "已远程排查"),
                ("visibility", "public"),
                ("work_minutes", "90"),
                ("work_activity", "remote"),
                ("work_billable", "yes"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Time alone: refused when out of range, recorded otherwise, then removed.
    let form = |minutes: &'static str| -> [(&'static str, String); 5] {
        [
            ("_csrf", csrf.clone()),
            ("work_minutes", minutes.to_owned()),
            ("work_activity", "travel".to_owned()),
            ("work_at", "2026-12-01T09:30".to_owned()),
            ("work_note", "往返客户机房".to_owned()),
        ]
    };
    let fields = |f: &[(&'static str, String); 5]| -> Vec<(&'static str, String)> { f.to_vec() };
    let refused = fields(&form("0"));
    let refused: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = staff.post_form(&format!("{case}/work"), &refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("往返客户机房"), "the note is kept");
    let good = fields(&form("120"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = staff.post_form(&format!("{case}/work"), &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/work"))
        .await;
    assert_eq!(work["billable_minutes"], 90, "{work}");
    assert_eq!(
        work["other_minutes"], 120,
        "travel was not ticked billable: {work}"
    );
    let travel = &work["entries"][0];
    assert_eq!(
        travel["worked_at"], "2026-12-01T01:30:00Z",
        "09:30 in Shanghai"
    );
    assert_eq!(travel["note"], "往返客户机房");
    let (_, page) = staff.get(&case).await;
    assert!(
        page.contains("往返客户机房") && page.contains("1.5"),
        "the time box"
    );
    let entry = travel["id"].to_string();
    let (status, _, _) = staff
        .post_form(
            &format!("{case}/work-delete"),
            &[("_csrf", csrf.as_str()), ("id", entry.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, work) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/work"))
        .await;
    assert_eq!(work["entries"].as_array().unwrap().len(), 1, "{work}");

    // The hours pages.
    let console_usage = format!("/console/contracts/{id}/usage");
    let (status, page) = staff.get(&console_usage).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&console_usage, &page);
    assert!(page.contains(&format!("/console/cases/{number}")), "{page}");
    let (_, contract_page) = staff.get(&format!("/console/contracts/{id}")).await;
    assert!(
        contract_page.contains(&console_usage),
        "linked from the contract"
    );
    let usage = format!("/portal/contracts/{id}/usage");
    let admin = WebClient::new(&t);
    admin.sign_in("it@a.test", PASSWORD).await;
    let (_, list) = admin.get("/portal/contracts").await;
    assert!(list.contains(&usage), "the administrators' link");
    let (status, page) = admin.get(&usage).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&usage, &page);
    assert!(page.contains("<meter") && page.contains(&format!("/portal/cases/{number}")));
    assert!(
        !page.contains("已远程排查"),
        "no conversation on the hours page"
    );
    let (status, page) = admin.get(&format!("{usage}?month=2026-13")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let user = WebClient::new(&t);
    user.sign_in("user@a.test", PASSWORD).await;
    let (_, list) = user.get("/portal/contracts").await;
    assert!(!list.contains(&usage), "no link for other customers");
    let (status, page) = user.get(&usage).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let other = WebClient::new(&t);
    other.sign_in("it@b.test", PASSWORD).await;
    let (status, page) = other.get(&usage).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("HT-PAGES"));
    // Customers are sent away from the console's hours page.
    let r = admin.get_response(&console_usage).await;
    assert_eq!(r.headers()["location"], "/portal");
}
