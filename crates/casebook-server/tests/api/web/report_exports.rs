//! The dashboard's satisfaction trend and the exports of reports, on SQLite and PostgreSQL: on
//! the dashboard's scenario, three surveys answered on Wednesday (two of A's cases, one of B's,
//! comments holding formula payloads) give the trend exactly, narrowed by organisation and team;
//! every dashboard table downloads with the rows and numbers the dashboard shows (CSV, and XLSX
//! read by a real reader); the survey answers download newest first with their filters, the
//! payloads staying text; the console's links and form download the same; customers, engineers
//! and bad input are refused with the field named; each export is audited with its row count.

use std::io::Cursor;

use calamine::{Data, Reader};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use super::dashboard_pages::{PERIOD, scenario};
use super::{PASSWORD, WebClient, user_with_password};
use crate::exports::{download, records};
use crate::helpers::{TestApp, assert_error};
use crate::surveys::{answer_as, closed_case, without_fatigue};

on_both_backends!(dashboard_and_survey_exports);

/// The comments of the three answers, from the OWASP CSV-injection list.
const COMMENTS: [&str; 3] = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1"];

fn chart<'a>(dashboard: &'a Value, id: &str) -> &'a Value {
    dashboard["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no chart {id} in {dashboard}"))
}

async fn dashboard(t: &TestApp, query: &str) -> Value {
    let (status, d) = t
        .get(&t.manager, &format!("/api/v1/dashboard?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    d
}

/// A cell of the dashboard's JSON as a CSV export writes it; for a word of the catalogue, its
/// key (the export writes the word, which must differ from the key).
fn exported(cell: &Value) -> Result<String, String> {
    if let Some(n) = cell.get("count").and_then(Value::as_i64) {
        return Ok(n.to_string());
    }
    if let Some(m) = cell.get("minutes").and_then(Value::as_i64) {
        let cents = (m * 100 + 30).div_euclid(60);
        return Ok(format!("{}.{:02}", cents / 100, cents % 100));
    }
    if let Some(p) = cell.get("percent").and_then(Value::as_f64) {
        return Ok(format!("{p:.1}"));
    }
    if let Some(s) = cell.get("score").and_then(Value::as_f64) {
        return Ok(format!("{s:.2}"));
    }
    if let Some(text) = cell.pointer("/label/text").and_then(Value::as_str) {
        return Ok(text.to_owned());
    }
    if let Some(key) = cell.pointer("/label/term").and_then(Value::as_str) {
        return Err(key.to_owned());
    }
    assert_eq!(cell, "empty", "an unknown cell");
    Ok(String::new())
}

/// Checks a CSV export of a chart against the chart's JSON.
fn assert_same_table(id: &str, chart: &Value, csv: &[Vec<String>]) {
    let columns = chart["columns"].as_array().unwrap();
    let rows = chart["rows"].as_array().unwrap();
    assert_eq!(csv[0].len(), columns.len(), "{id}: the headings");
    assert_eq!(csv.len() - 1, rows.len(), "{id}: the rows");
    for (got, want) in csv[1..].iter().zip(rows) {
        for (g, w) in got.iter().zip(want.as_array().unwrap()) {
            match exported(w) {
                Ok(text) => assert_eq!(g, &text, "{id}: {got:?}"),
                Err(key) => assert!(!g.is_empty() && g != &key, "{id}: {g} for {key}"),
            }
        }
    }
}

async fn answered_on_wednesday(t: &TestApp) {
    let (status, saved, _) = without_fatigue(t).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let one = closed_case(t, None, "满意度一").await;
    let two = closed_case(t, None, "满意度二").await;
    let b = t
        .open_case(
            &t.b.user_token,
            json!({"title": "B 的问题", "description": "d", "severity": 3}),
        )
        .await;
    t.advance(&b, &["in_progress", "solution_proposed", "closed"])
        .await;
    let answers = [
        (
            &t.a.user_token,
            &one,
            json!({"resolution": 4, "speed": 5, "comment": COMMENTS[0]}),
        ),
        (
            &t.a.user_token,
            &two,
            json!({"resolution": 3, "comment": COMMENTS[1]}),
        ),
        (
            &t.b.user_token,
            &b,
            json!({"resolution": 5, "engineer": 5, "comment": COMMENTS[2]}),
        ),
    ];
    for (token, number, body) in answers {
        answer_as(t, token, number, body).await;
    }
}

async fn dashboard_and_survey_exports(backend: TestBackend) {
    let s = scenario(backend).await;
    let t = &s.t;
    answered_on_wednesday(t).await;
    let (_, me) = t.get(&t.manager, "/api/v1/me").await;
    let manager = me["user"]["id"].as_i64().unwrap();
    for (user, team) in [(t.engineer_id, "北京一线"), (manager, "上海二线")] {
        let (status, body) = t
            .patch(
                &t.admin,
                &format!("/api/v1/users/{user}"),
                json!({"team": team}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // The trend: three answers in November, mean (4 + 3 + 5) / 3; A's two, mean 3.5; the
    // engineer's team owned all three cases, the manager's none.
    let d = dashboard(t, PERIOD).await;
    let month = |score: f64, answers: i64| json!([[{"label": {"text": "2026-11"}}, {"score": score}, {"count": answers}]]);
    assert_eq!(chart(&d, "satisfaction")["rows"], month(4.0, 3));
    assert_eq!(chart(&d, "satisfaction")["chart"], "line");
    let a = dashboard(t, &format!("{PERIOD}&organization={}", t.a.org_id)).await;
    assert_eq!(chart(&a, "satisfaction")["rows"], month(3.5, 2));
    let team = dashboard(t, &format!("{PERIOD}&team=北京一线")).await;
    assert_eq!(chart(&team, "satisfaction")["rows"], month(4.0, 3));
    let other = dashboard(t, &format!("{PERIOD}&team=上海二线")).await;
    assert_eq!(chart(&other, "satisfaction")["rows"], json!([]));

    // Every table downloads as the dashboard shows it.
    for c in d["charts"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let path = format!("/api/v1/exports/dashboard?chart={id}&{PERIOD}&lang=en");
        let (status, kind, bytes) = download(t, &t.manager, &path).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert_same_table(id, c, &records(&bytes));
    }
    let path = format!("/api/v1/exports/dashboard?chart=sla_attainment&{PERIOD}&format=xlsx");
    let (status, _, bytes) = download(t, &t.manager, &path).await;
    assert_eq!(status, StatusCode::OK);
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).expect("an XLSX file");
    let sheet = book
        .worksheet_range("dashboard-sla-attainment")
        .expect("the chart's sheet");
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows[0][0], Data::String("月份".into()));
    assert_eq!(
        rows[1],
        [
            Data::String("2026-11".into()),
            Data::String("首次响应".into()),
            Data::Float(2.0),
            Data::Float(2.0),
            Data::Float(0.0),
            Data::Float(50.0)
        ]
    );

    // The survey answers, newest first: B's, then A's two.
    let (status, _, bytes) =
        download(t, &t.manager, "/api/v1/exports/survey-answers?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    let csv = records(&bytes);
    let col = |name: &str| csv[0].iter().position(|h| h == name).unwrap();
    let (comment, score) = (col("Comment"), col("Resolution score"));
    assert_eq!(csv[0][0], "Case");
    assert!(
        csv[0].contains(&"Answered (Asia/Shanghai)".to_owned()),
        "{:?}",
        csv[0]
    );
    let got: Vec<(&str, &str)> = csv[1..]
        .iter()
        .map(|r| (r[comment].as_str(), r[score].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("'+1+1", "5"),
            ("'@SUM(1+1)", "3"),
            ("'=cmd|' /C calc'!A0", "4")
        ]
    );
    let path = format!(
        "/api/v1/exports/survey-answers?organization_id={}",
        t.a.org_id
    );
    let (_, _, bytes) = download(t, &t.manager, &path).await;
    assert_eq!(records(&bytes).len(), 3, "A's two answers and the header");
    let (status, _, bytes) =
        download(t, &t.engineer, "/api/v1/exports/survey-answers?format=xlsx").await;
    assert_eq!(status, StatusCode::OK, "engineers may export answers");
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("survey-answers").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 4);
    for (row, text) in rows[1..].iter().zip(COMMENTS.iter().rev()) {
        assert_eq!(
            row[comment],
            Data::String((*text).into()),
            "text, not a formula"
        );
        assert!(
            matches!(row[6], Data::DateTime(_)),
            "answered at: {:?}",
            row[6]
        );
    }
    assert_eq!(rows[1][score], Data::Float(5.0));
    let formulas = book.worksheet_formula("survey-answers").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula"
    );

    refusals(t).await;
    console_downloads(t).await;

    // Audited: what, the filters, and the rows once done.
    let (_, log) = t
        .get(&t.manager, "/api/v1/audit?object_type=export&limit=100")
        .await;
    let entries = log["items"].as_array().unwrap();
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    let charts = d["charts"].as_array().unwrap().len();
    assert_eq!(count("export.dashboard"), charts + 2, "{log}");
    assert_eq!(count("export.dashboard.done"), charts + 2, "{log}");
    assert_eq!(count("export.survey_answers.done"), 4, "{log}");
    let a_only = entries
        .iter()
        .find(|e| {
            e["action"] == "export.survey_answers.done"
                && e["after"]["filters"]["organization"] == t.a.org_id
        })
        .expect("the export of A's answers");
    assert_eq!(a_only["after"]["rows"], 2);
    let satisfaction = entries
        .iter()
        .find(|e| {
            e["action"] == "export.dashboard" && e["after"]["filters"]["chart"] == "satisfaction"
        })
        .expect("the satisfaction table's export");
    assert_eq!(satisfaction["after"]["filters"]["from"], "2026-11-23");
    drop(s.clock);
}

/// Customers, engineers (for the dashboard) and bad filters are refused, with the field named.
async fn refusals(t: &TestApp) {
    let dashboard = "/api/v1/exports/dashboard?chart=volume_by_channel";
    for token in [&t.engineer, &t.a.admin_token, &t.a.user_token] {
        let (status, body) = t.get(token, dashboard).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    for token in [&t.a.admin_token, &t.a.user_token] {
        let (status, body) = t.get(token, "/api/v1/exports/survey-answers").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let engineer = format!("engineer_id=999999&organization_id={}", t.a.org_id);
    for (path, field, code) in [
        (
            "/api/v1/exports/dashboard?chart=pie_of_everything",
            "chart",
            "unknown",
        ),
        (
            "/api/v1/exports/dashboard?chart=satisfaction&team=nobody",
            "team",
            "unknown",
        ),
        (
            "/api/v1/exports/dashboard?chart=satisfaction&from=2026-11-25&to=2026-11-01",
            "from",
            "after_to",
        ),
        (
            "/api/v1/exports/dashboard?chart=satisfaction&format=pdf",
            "format",
            "invalid",
        ),
        (
            "/api/v1/exports/survey-answers?from=2026-11-25&to=2026-11-01",
            "to",
            "before_from",
        ),
        (
            "/api/v1/exports/survey-answers?from=yesterday",
            "from",
            "invalid",
        ),
        (
            &format!("/api/v1/exports/survey-answers?{engineer}"),
            "engineer",
            "unknown",
        ),
    ] {
        let (status, body) = t.get(&t.manager, path).await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let details = details.to_string();
        assert!(
            details.contains(field) && details.contains(code),
            "{path}: {body}"
        );
    }
    for path in [
        "/api/v1/exports/dashboard",
        "/api/v1/exports/dashboard?chart=satisfaction&organization=abc",
        "/api/v1/exports/survey-answers?colour=red",
    ] {
        let (status, body) = t.get(&t.manager, path).await;
        assert!(status.is_client_error(), "{path}: {status} {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
}

/// The dashboard's links and the survey page's form download with the session.
async fn console_downloads(t: &TestApp) {
    user_with_password(t, "zhou@vendor.test", "周经理", "manager", None).await;
    let web = WebClient::new(t);
    web.sign_in("zhou@vendor.test", PASSWORD).await;
    let (status, page) = web.get(&format!("/console/dashboard?{PERIOD}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("客户满意度趋势") && page.contains("4.00"),
        "the trend is shown"
    );
    let links =
        Selector::parse("#chart-satisfaction a[href^='/api/v1/exports/dashboard']").unwrap();
    let hrefs: Vec<String> = Html::parse_document(&page)
        .select(&links)
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(hrefs.len(), 3, "CSV, GB18030 and XLSX");
    assert!(
        hrefs[0].contains("chart=satisfaction") && hrefs[0].contains("from=2026-11-23"),
        "{hrefs:?}"
    );
    let response = web.get_response(&hrefs[0]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = records(&response.bytes().await.unwrap());
    assert_eq!(
        csv,
        [
            ["月份", "平均解决满意度（1–5 分）", "答复数"],
            ["2026-11", "4.00", "3"]
        ]
    );

    let (status, page) = web.get("/console/surveys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("action=\"/api/v1/exports/survey-answers\""),
        "the form is there"
    );
    let response = web
        .get_response("/api/v1/exports/survey-answers?lang=zh-CN&from=&to=&format=csv")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = records(&response.bytes().await.unwrap());
    assert_eq!((csv[0][0].as_str(), csv.len()), ("问题编号", 4));
}
