//! The fault-handling report of a case and the fault database, on the case the visits of
//! `visit_reports` replaced two SSDs on: staff write the report (customers may not; bad input
//! names its fields; a stale version is refused), the case's customers read it and another
//! organisation's do not; the database answers by product, part number, root cause, category
//! and period, counts the failed part numbers, lists the cases owing a report, refuses
//! customers, exports CSV, and starts a knowledge-base draft from a report once.

use jiff::SignedDuration;
use jiff::civil::Date;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

/// The checks, for case `number` (severity 1, two SSD-960 parts of `product` used on it).
pub(crate) async fn a_report_is_written_read_queried_and_exported(
    t: &TestApp,
    number: &str,
    product: i64,
    today: Date,
) {
    // The fault-handling report: staff write it, the case's customers read it.
    let report_path = format!("/api/v1/cases/{number}/fault-report");
    let draft = json!({"symptom": "阵列告警：7 号盘故障", "category": "hardware",
        "root_cause": "SSD wear-out (固件 bug 导致写放大)", "actions": "更换 SSD 并重建阵列",
        "downtime_start": (t.app.clock.now() - SignedDuration::from_hours(5)).to_string(),
        "downtime_end": (t.app.clock.now() - SignedDuration::from_hours(1)).to_string()});
    let (status, body) = t.put(&t.a.user_token, &report_path, draft.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut bad = draft.clone();
    bad["downtime_end"] = json!((t.app.clock.now() - SignedDuration::from_hours(9)).to_string());
    bad["root_cause"] = json!("");
    let (status, body) = t.put(&t.engineer, &report_path, bad).await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"].as_array().unwrap().len(), 2, "{body}");
    let (status, report) = t.put(&t.engineer, &report_path, draft.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["parts"][0]["part_number"], "SSD-960");
    assert_eq!(
        report["parts"][0]["quantity"], 2,
        "both visits' parts by default"
    );
    assert_eq!(report["downtime_minutes"], 240);
    let (status, body) = t.put(&t.engineer, &report_path, json!({"version": 99, "symptom": "x", "category": "hardware", "root_cause": "y", "actions": "z"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, read) = t.get(&t.a.user_token, &report_path).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["id"], report["id"]);
    let (status, _) = t.get(&t.b.user_token, &report_path).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer sees nothing"
    );

    // The database answers by product, part number, root cause and period, and counts parts.
    let other = t
        .open_case(
            &t.a.user_token,
            json!({"title": "another outage", "description": "down", "severity": 1}),
        )
        .await;
    let year = today.year();
    let q = format!("product={}&from={year}-01-01&to={year}-12-31", product);
    let (status, found) = t.get(&t.engineer, &format!("/api/v1/faults?{q}")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let (_, counted) = t
        .get(&t.engineer, &format!("/api/v1/faults/part-failures?{q}"))
        .await;
    assert_eq!(
        counted,
        json!([{"part_number": "SSD-960", "description": "960GB SSD", "reports": 1, "quantity": 2}])
    );
    for query in [
        "part_number=ssd-960",
        "root_cause=WEAR-OUT",
        "category=hardware",
    ] {
        let (_, found) = t.get(&t.engineer, &format!("/api/v1/faults?{query}")).await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{query}: {found}");
    }
    for query in [
        "part_number=BBU-1",
        "root_cause=power",
        "category=software",
        "from=2099-01-01",
    ] {
        let (_, found) = t.get(&t.engineer, &format!("/api/v1/faults?{query}")).await;
        assert_eq!(found, json!([]), "{query}");
    }
    let (status, body) = t.get(&t.engineer, "/api/v1/faults?category=meteor").await;
    assert!(status.is_client_error(), "{status} {body}");
    let (_, due) = t.get(&t.engineer, "/api/v1/faults/due").await;
    let due: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["case_number"].as_str().unwrap())
        .collect();
    assert!(
        due.contains(&other.as_str()) && !due.contains(&number),
        "{due:?}"
    );
    for path in [
        "/api/v1/faults",
        "/api/v1/faults/due",
        "/api/v1/faults/part-failures",
    ] {
        let (status, _) = t.get(&t.a.admin_token, path).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "customers do not query the database: {path}"
        );
    }
    let csv = t
        .client
        .get(t.url(&format!("/api/v1/faults/export?{q}&lang=en")))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(
        csv.contains("Root cause") && csv.contains("SSD-960 ×2") && csv.contains(&number),
        "{csv}"
    );

    // A report starts a knowledge-base draft once.
    let id = report["id"].as_i64().unwrap();
    let (status, article) = t
        .post(
            &t.engineer,
            &format!("/api/v1/faults/{id}/article"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    assert!(article.to_string().contains("SSD wear-out"), "{article}");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/faults/{id}/article"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "fault_article_exists");
}
