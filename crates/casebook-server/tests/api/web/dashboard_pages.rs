//! The managers' dashboard with exact figures, on SQLite and PostgreSQL: four cases built
//! through the API on an injected clock (replies on time and late, an escalation to L2, a
//! severity raised, a case closed and one cancelled, time recorded), then every number of every
//! chart checked against hand-computed values in the API's JSON and in the page's tables; the
//! filters narrow the figures; bad filters are refused with the field named (API 422, the page
//! shows them in the form); engineers and customers are refused; the page is valid HTML.

use std::sync::Arc;

use casebook_server::clock::ManualClock;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use jiff::SignedDuration;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use super::html::assert_valid;
use super::{PASSWORD, WebClient, user_with_password};
use crate::helpers::{TestApp, assert_error};
use crate::queues::at_monday_nine;

on_both_backends!(
    dashboard_figures_are_exact,
    dashboard_filters_and_refusals,
    a_merged_duplicate_was_open_until_its_merge
);

/// The period of the scenario: Monday to Wednesday, one point per day.
pub const PERIOD: &str = "from=2026-11-23&to=2026-11-25";

/// The scenario's cases and its clock, now Wednesday 25 November 2026 at 12:00 in Shanghai.
pub struct Scenario {
    pub t: TestApp,
    pub clock: Arc<ManualClock>,
    pub product: i64,
}

async fn patch_ok(t: &TestApp, token: &str, number: &str, body: Value) {
    let (status, out) = t
        .patch(token, &format!("/api/v1/cases/{number}"), body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}: {out}");
}

async fn reply(t: &TestApp, number: &str, text: &str) {
    let (status, out) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{number}/comments"),
            json!({"body": text}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

async fn work(t: &TestApp, token: &str, number: &str, minutes: i64) {
    let (status, out) = t
        .post(
            token,
            &format!("/api/v1/cases/{number}/work"),
            json!({"minutes": minutes, "activity": "phone", "billable": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

async fn phone_case(
    t: &TestApp,
    title: &str,
    severity: u8,
    org: i64,
    product: Option<i64>,
) -> String {
    t.open_case(
        &t.coordinator,
        json!({"title": title, "description": "dashboard", "severity": severity,
            "organization_id": org, "channel": "phone", "product_id": product}),
    )
    .await
}

/// Builds the scenario:
/// - C1 (A, product P, severity 2) opened Monday 09:00, in progress at once, answered at 10:00
///   (60 working minutes), escalated to L2 at 11:00, solved and closed at 16:00 (420 minutes);
/// - C2 (A, P, severity 2) opened Monday 09:00, in progress, answered Tuesday 09:30 (Monday
///   08:30–17:00 counts from 09:00: 480 + 60 = 540 minutes, breached), still open;
/// - C3 (B, no product, severity 3) opened Monday 12:00, never answered (its 2-hour target
///   passed Monday 14:00), raised to severity 2 on Tuesday 12:00, still new;
/// - C4 (A, no product, severity 1, 7×24) opened Tuesday 10:00, in progress, answered 10:30 (30
///   minutes), cancelled 11:00;
/// - the engineer records 90 minutes on C1 (Monday) and 30 on C2 (Tuesday), the manager 45 on
///   C3 (Tuesday).
pub async fn scenario(backend: TestBackend) -> Scenario {
    let (t, clock) = at_monday_nine(backend).await;
    let (status, product) = t
        .post(
            &t.coordinator,
            "/api/v1/products",
            json!({"name": "Storage P9000", "vendor": "Huaxin", "versions": [{"version": "1.0"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product = product["id"].as_i64().unwrap();
    let hour = SignedDuration::from_hours;
    let mins = SignedDuration::from_mins;

    // Monday 09:00.
    let c1 = phone_case(&t, "阵列控制器告警", 2, t.a.org_id, Some(product)).await;
    let c2 = phone_case(&t, "快照任务失败", 2, t.a.org_id, Some(product)).await;
    t.advance(&c1, &["in_progress"]).await;
    t.advance(&c2, &["in_progress"]).await;
    clock.advance(hour(1)); // 10:00
    reply(&t, &c1, "正在分析日志").await;
    work(&t, &t.engineer, &c1, 90).await;
    clock.advance(hour(1)); // 11:00
    patch_ok(&t, &t.engineer, &c1, json!({"tier": "l2"})).await;
    clock.advance(hour(1)); // 12:00
    let c3 = phone_case(&t, "B 客户网络中断", 3, t.b.org_id, None).await;
    clock.advance(hour(4)); // 16:00
    patch_ok(&t, &t.engineer, &c1, json!({"status": "solution_proposed"})).await;
    patch_ok(&t, &t.a.admin_token, &c1, json!({"status": "closed"})).await;

    // Tuesday 09:30.
    clock.advance(hour(17) + mins(30));
    reply(&t, &c2, "已找到原因").await;
    work(&t, &t.engineer, &c2, 30).await;
    clock.advance(mins(30)); // 10:00
    let c4 = phone_case(&t, "数据库停机", 1, t.a.org_id, None).await;
    t.advance(&c4, &["in_progress"]).await;
    clock.advance(mins(30)); // 10:30
    reply(&t, &c4, "已远程接入").await;
    clock.advance(mins(30)); // 11:00
    patch_ok(
        &t,
        &t.engineer,
        &c4,
        json!({"status": "cancelled", "reason": "客户撤回"}),
    )
    .await;
    clock.advance(hour(1)); // 12:00
    patch_ok(
        &t,
        &t.engineer,
        &c3,
        json!({"severity": 2, "reason": "影响扩大"}),
    )
    .await;
    work(&t, &t.manager, &c3, 45).await;

    // Now: Wednesday 12:00.
    clock.advance(hour(24));
    Scenario { t, clock, product }
}

/// The expected cells of a chart: `#n` a count, `Nm` minutes, `x%` a percentage, `-` empty,
/// `t:key` a word of the catalogue, anything else text.
type Expected = Vec<(&'static str, Vec<Vec<&'static str>>)>;

fn expected() -> Expected {
    vec![
        (
            "backlog_by_severity",
            vec![
                vec!["2026-11-23", "#0", "#1", "#1", "#0"],
                vec!["2026-11-24", "#0", "#2", "#0", "#0"],
                vec!["2026-11-25", "#0", "#2", "#0", "#0"],
            ],
        ),
        (
            // new, assigned, in progress, awaiting customer, solution proposed.
            "backlog_by_status",
            vec![
                vec!["2026-11-23", "#1", "#0", "#1", "#0", "#0"],
                vec!["2026-11-24", "#1", "#0", "#1", "#0", "#0"],
                vec!["2026-11-25", "#1", "#0", "#1", "#0", "#0"],
            ],
        ),
        (
            // Met, breached, running, attainment. First response: C1 and C4 met, C2 late, C3
            // past its deadline. Update interval: C2's since Tuesday 09:30 passed its 8 hours
            // on Wednesday at 09:00; C1's and C4's were cancelled when they ended.
            "sla_attainment",
            vec![
                vec![
                    "2026-11",
                    "t:metric-initial_response",
                    "#2",
                    "#2",
                    "#0",
                    "50.0%",
                ],
                vec![
                    "2026-11",
                    "t:metric-update_interval",
                    "#0",
                    "#1",
                    "#0",
                    "0.0%",
                ],
                vec!["2026-11", "t:metric-resolution", "#1", "#0", "#2", "100.0%"],
            ],
        ),
        (
            // Median, 90th percentile, clocks.
            "response_times",
            vec![
                vec![
                    "t:metric-initial_response",
                    "t:severity-1",
                    "30m",
                    "30m",
                    "#1",
                ],
                vec![
                    "t:metric-initial_response",
                    "t:severity-2",
                    "60m",
                    "540m",
                    "#2",
                ],
                vec!["t:metric-resolution", "t:severity-2", "420m", "420m", "#1"],
            ],
        ),
        ("volume_by_channel", vec![vec!["t:channel-phone", "#4"]]),
        (
            "volume_by_product",
            vec![
                vec!["t:dashboard-no-product", "#2"],
                vec!["Storage P9000", "#2"],
            ],
        ),
        (
            "volume_by_organization",
            vec![vec!["Alpha 阿尔法", "#3"], vec!["Beta", "#1"]],
        ),
        (
            // Stretches that ended: C1 at intake 09:00–11:00 and at L2 11:00–16:00 (China 5×8),
            // C4 at intake 10:00–11:00 (7×24). Median, 90th percentile, stretches, total.
            "time_at_tier",
            vec![
                vec!["t:tier-intake", "60m", "120m", "#2", "180m"],
                vec!["t:tier-l2", "300m", "300m", "#1", "300m"],
            ],
        ),
        (
            "workload_open_cases",
            vec![vec!["engineer@vendor.test", "#1"]],
        ),
        (
            "workload_hours",
            vec![
                vec!["engineer@vendor.test", "120m"],
                vec!["manager@vendor.test", "45m"],
            ],
        ),
        // No survey was answered.
        ("satisfaction", vec![]),
    ]
}

/// A cell of the API as the expected notation writes it.
fn api_cell(cell: &Value) -> String {
    if let Some(n) = cell.get("count") {
        return format!("#{n}");
    }
    if let Some(m) = cell.get("minutes") {
        return format!("{m}m");
    }
    if let Some(p) = cell.get("percent").and_then(Value::as_f64) {
        return format!("{p:.1}%");
    }
    if let Some(s) = cell.get("score").and_then(Value::as_f64) {
        return format!("{s:.2}");
    }
    if let Some(t) = cell.pointer("/label/term").and_then(Value::as_str) {
        return format!("t:{t}");
    }
    if let Some(t) = cell.pointer("/label/text").and_then(Value::as_str) {
        return t.to_owned();
    }
    if cell == "empty" {
        return "-".into();
    }
    panic!("an unknown cell {cell}")
}

/// A cell of the page as the expected notation is shown: minutes as hours with one decimal.
fn shown(expected: &str) -> Option<String> {
    if let Some(n) = expected.strip_prefix('#') {
        return Some(n.to_owned());
    }
    if let Some(m) = expected
        .strip_suffix('m')
        .and_then(|m| m.parse::<i64>().ok())
    {
        let tenths = (m * 10 + 30) / 60;
        return Some(format!("{}.{}", tenths / 10, tenths % 10));
    }
    if expected == "-" {
        return Some("–".into());
    }
    if expected.starts_with("t:") {
        return None;
    }
    Some(expected.to_owned())
}

fn chart<'a>(dashboard: &'a Value, id: &str) -> &'a Value {
    dashboard["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no chart {id} in {dashboard}"))
}

fn api_rows(dashboard: &Value, id: &str) -> Vec<Vec<String>> {
    chart(dashboard, id)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(api_cell).collect())
        .collect()
}

/// The cells of each chart's table on the page, by the section's id.
fn page_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let doc = Html::parse_document(html);
    let section = format!("#chart-{} table.chart-table tbody tr", id.replace('_', "-"));
    let rows = Selector::parse(&section).unwrap();
    let cells = Selector::parse("th, td").unwrap();
    doc.select(&rows)
        .map(|tr| {
            tr.select(&cells)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect()
        })
        .collect()
}

async fn dashboard_figures_are_exact(backend: TestBackend) {
    let s = scenario(backend).await;
    let t = &s.t;
    let (status, d) = t
        .get(&t.manager, &format!("/api/v1/dashboard?{PERIOD}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some("2026-11-23"), Some("2026-11-25"))
    );
    let ids: Vec<&str> = d["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let wanted = expected();
    assert_eq!(ids, wanted.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    for (id, rows) in &wanted {
        let want: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect();
        let got = api_rows(&d, id);
        // The foreign organisation's name carries the canary; compare its start.
        let got: Vec<Vec<String>> = got
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| {
                        if c.starts_with("Beta ") {
                            "Beta".into()
                        } else {
                            c
                        }
                    })
                    .collect()
            })
            .collect();
        assert_eq!(got, want, "chart {id}");
    }

    // The page shows the same numbers in its tables, in Chinese.
    user_with_password(t, "zhou@vendor.test", "周经理", "manager", None).await;
    let web = WebClient::new(t);
    web.sign_in("zhou@vendor.test", PASSWORD).await;
    let (status, page) = web.get(&format!("/console/dashboard?{PERIOD}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_valid("dashboard", &page);
    assert!(page.contains("管理看板"), "the page speaks Chinese");
    for (id, rows) in &wanted {
        let got = page_rows(&page, id);
        assert_eq!(got.len(), rows.len(), "rows of {id} on the page");
        for (g, w) in got.iter().zip(rows) {
            assert_eq!(g.len(), w.len(), "cells of a row of {id}: {g:?}");
            for (cell, want) in g.iter().zip(w) {
                if let Some(text) = shown(want) {
                    if want == &"Beta" {
                        assert!(cell.starts_with("Beta"), "{id}: {cell}");
                    } else {
                        assert_eq!(cell, &text, "{id}: {g:?}");
                    }
                }
            }
        }
        let svg = Selector::parse(&format!(
            "#chart-{} svg[role=img] title",
            id.replace('_', "-")
        ))
        .unwrap();
        assert_eq!(
            Html::parse_document(&page).select(&svg).next().is_some(),
            !rows.is_empty(),
            "{id} is drawn with a title when it has rows"
        );
    }
    // Words of the catalogue are shown, not keys.
    assert!(page.contains("1级 严重") && page.contains("首次响应") && page.contains("电话"));
    assert!(!page.contains("t:") && !page.contains("dashboard-col"));
}

async fn dashboard_filters_and_refusals(backend: TestBackend) {
    let s = scenario(backend).await;
    let t = &s.t;
    let get = |q: String| async move { t.get(&t.manager, &format!("/api/v1/dashboard?{q}")).await };
    // One organisation: A's three cases.
    let (status, d) = get(format!("{PERIOD}&organization={}", t.a.org_id)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        api_rows(&d, "volume_by_channel"),
        [["t:channel-phone", "#3"]]
    );
    assert_eq!(
        api_rows(&d, "backlog_by_severity")[0],
        ["2026-11-23", "#0", "#1", "#0", "#0"]
    );
    // One product: C1 and C2.
    let (status, d) = get(format!("{PERIOD}&product={}", s.product)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(api_rows(&d, "volume_by_product"), [["Storage P9000", "#2"]]);
    assert_eq!(
        api_rows(&d, "response_times"),
        [
            [
                "t:metric-initial_response",
                "t:severity-2",
                "60m",
                "540m",
                "#2"
            ],
            ["t:metric-resolution", "t:severity-2", "420m", "420m", "#1"]
        ]
    );
    assert_eq!(
        api_rows(&d, "workload_hours"),
        [["engineer@vendor.test", "120m"]]
    );
    // One team: the cases owned by its members (the engineer owns C1, C2 and C4; C3 has no
    // owner), and the time recorded on them.
    let (status, body) = t
        .patch(
            &t.admin,
            &format!("/api/v1/users/{}", t.engineer_id),
            json!({"team": "北京一线"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, d) = get(format!("{PERIOD}&team=北京一线")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["team"], "北京一线");
    assert_eq!(
        api_rows(&d, "volume_by_channel"),
        [["t:channel-phone", "#3"]]
    );
    assert_eq!(
        api_rows(&d, "workload_hours"),
        [["engineer@vendor.test", "120m"]]
    );
    assert_eq!(
        api_rows(&d, "backlog_by_severity")[1],
        ["2026-11-24", "#0", "#1", "#0", "#0"]
    );
    // A period before any case: every table is there, without figures but the backlog's zeros.
    let (status, d) = get("from=2026-10-01&to=2026-10-31".into()).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(api_rows(&d, "backlog_by_severity").len(), 31);
    assert!(api_rows(&d, "sla_attainment").is_empty());
    // The default period: the six months up to today, sampled weekly.
    let (status, d) = get(String::new()).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some("2026-05-25"), Some("2026-11-25"))
    );
    assert_eq!(
        api_rows(&d, "backlog_by_severity").last().unwrap()[0],
        "2026-11-25"
    );

    // Bad filters are refused with the field named.
    for (query, field, code) in [
        ("from=2026-11-25&to=2026-11-23", "from", "after_to"),
        ("from=2025-01-01&to=2026-11-25", "to", "too_long"),
        ("organization=999999", "organization", "unknown"),
        ("product=999999", "product", "unknown"),
        ("team=nobody", "team", "unknown"),
    ] {
        let (status, body) = get(query.into()).await;
        let details = assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert!(
            details.to_string().contains(field) && details.to_string().contains(code),
            "{query}: {body}"
        );
    }
    for query in [
        "from=2026-13-01",
        "to=yesterday",
        "organization=abc",
        "colour=red",
    ] {
        let (status, body) = get(query.into()).await;
        assert!(status.is_client_error(), "{query}: {status} {body}");
        assert!(body["error"]["code"].is_string(), "{query}: {body}");
    }
    // Engineers and customers are refused.
    for token in [
        &t.engineer,
        &t.coordinator,
        &t.a.user_token,
        &t.a.admin_token,
    ] {
        let (status, body) = t.get(token, "/api/v1/dashboard").await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, _) = t.get(&t.admin, "/api/v1/dashboard").await;
    assert_eq!(status, StatusCode::OK);

    // The page shows refused filters in its form, in the reader's language.
    user_with_password(t, "zhou@vendor.test", "周经理", "manager", None).await;
    user_with_password(t, "gong@vendor.test", "龚工", "engineer", None).await;
    user_with_password(
        t,
        "it@a.test",
        "A 信息部",
        "customer_admin",
        Some(t.a.org_id),
    )
    .await;
    let web = WebClient::new(t);
    web.sign_in("zhou@vendor.test", PASSWORD).await;
    let (status, page) = web
        .get("/console/dashboard?from=2026-11-25&to=2026-11-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_valid("refused dashboard", &page);
    assert!(
        page.contains("起始日期：起始日期不能晚于截止日期"),
        "{page}"
    );
    let (status, page) = web
        .get(&format!("/console/dashboard?{PERIOD}&team=北京一线"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<option value=\"北京一线\" selected>"),
        "the team is offered and chosen"
    );
    let (status, page) = web.get("/console/dashboard?from=next-monday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("起始日期："), "{page}");
    let (_, queue) = web.get("/console").await;
    assert!(
        queue.contains("href=\"/console/dashboard\""),
        "managers find it in the menu"
    );
    let engineer = WebClient::new(t);
    engineer.sign_in("gong@vendor.test", PASSWORD).await;
    let (status, _) = engineer.get("/console/dashboard").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, queue) = engineer.get("/console").await;
    assert!(
        !queue.contains("href=\"/console/dashboard\""),
        "engineers do not see it in the menu"
    );
    let customer = WebClient::new(t);
    customer.sign_in("it@a.test", PASSWORD).await;
    let (status, _) = customer.get("/console/dashboard").await;
    assert!(
        status.is_redirection(),
        "a customer is sent to the portal: {status}"
    );
    drop(s.clock);
}

/// A duplicate merged on Tuesday (closed without a status change) was open on Monday. Its
/// entries moved to the survivor with the merge, so it counts in the status its own timeline
/// last shows (new); the survivor's figures do not take the duplicate's moved changes for its
/// own.
async fn a_merged_duplicate_was_open_until_its_merge(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    let survivor = phone_case(&t, "数据库停机", 2, t.a.org_id, None).await;
    let duplicate = phone_case(&t, "数据库又停机", 3, t.a.org_id, None).await;
    clock.advance(SignedDuration::from_hours(1));
    t.advance(&duplicate, &["in_progress"]).await;
    patch_ok(
        &t,
        &t.engineer,
        &duplicate,
        json!({"severity": 2, "reason": "同一故障"}),
    )
    .await;
    clock.advance(SignedDuration::from_hours(24));
    let (status, body) = t
        .post(
            &t.engineer,
            &format!("/api/v1/cases/{duplicate}/merge"),
            json!({"into": survivor, "reason": "同一故障"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, d) = t
        .get(
            &t.manager,
            "/api/v1/dashboard?from=2026-11-22&to=2026-11-24",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        api_rows(&d, "backlog_by_severity"),
        [
            ["2026-11-22", "#0", "#0", "#0", "#0"],
            ["2026-11-23", "#0", "#2", "#0", "#0"],
            ["2026-11-24", "#0", "#1", "#0", "#0"]
        ]
    );
    assert_eq!(
        api_rows(&d, "backlog_by_status"),
        [
            ["2026-11-22", "#0", "#0", "#0", "#0", "#0"],
            ["2026-11-23", "#2", "#0", "#0", "#0", "#0"],
            ["2026-11-24", "#1", "#0", "#0", "#0", "#0"]
        ]
    );
}
