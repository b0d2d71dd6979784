//! The console's queues on real cases and clocks: the time left on each case's nearest running
//! target and its urgency as the clock moves, the order by that deadline (cases without a
//! running clock last), and the "breaching soon" queue counting cases, not clocks.

use std::sync::Arc;

use casebook_server::actions::cases::{self, Urgency};
use casebook_server::clock::ManualClock;
use casebook_server::policy::Principal;
use casebook_store::case_list::CaseFilter;
use casebook_store::case_queue::QueueOrder;
use casebook_store::on_both_backends;
use casebook_store::testing::TestBackend;
use casebook_store::{Page, PageRequest};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(time_left_orders_and_counts_cases);

/// Monday 23 November 2026, 09:00 in Shanghai.
const MONDAY_9: &str = "2026-11-23T01:00:00Z";

/// An application on the standard plan at Monday 09:00.
pub async fn at_monday_nine(backend: TestBackend) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(MONDAY_9.parse().unwrap()));
    let t = TestApp::spawn_with(backend, |_| {}, clock.clone()).await;
    let mut db = t.app.store.write().await.unwrap();
    casebook_store::plans::set_default(&mut db, &"standard".parse().unwrap())
        .await
        .unwrap();
    db.commit().await.unwrap();
    (t, clock)
}

/// Opens a severity 1 phone case of A (two clocks due within a day: response and resolution).
pub async fn severity_one(t: &TestApp, title: &str) -> String {
    t.open_case(
        &t.coordinator,
        json!({"title": title, "description": "全部用户无法登录", "severity": 1,
            "organization_id": t.a.org_id, "channel": "phone"}),
    )
    .await
}

/// The running deadlines of a case, as its SLA page lists them.
async fn running_deadlines(t: &TestApp, number: &str) -> Vec<Timestamp> {
    let (status, sla) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/sla"))
        .await;
    assert_eq!(status, StatusCode::OK, "{sla}");
    sla["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "running")
        .filter_map(|c| c["deadline"].as_str().map(|d| d.parse().unwrap()))
        .collect()
}

async fn open_queue(t: &TestApp, order: QueueOrder, limit: u32) -> Page<cases::QueueCase> {
    let filter = CaseFilter {
        statuses: casebook_server::web::console::queue::OPEN.to_vec(),
        ..CaseFilter::default()
    };
    let page = PageRequest {
        limit: Some(limit),
        cursor: None,
    };
    cases::queue(&t.app, &Principal::system("test"), &filter, order, &page)
        .await
        .unwrap()
}

async fn time_left_orders_and_counts_cases(backend: TestBackend) {
    let (t, clock) = at_monday_nine(backend).await;
    // 09:00 a severity 1 call (response due 11:00), 09:30 another (11:30), a web case (next
    // business day) and one waiting for the customer (its clocks stand still).
    let first = severity_one(&t, "核心交换机宕机").await;
    clock.advance(SignedDuration::from_mins(30));
    let second = severity_one(&t, "数据库集群停机").await;
    let web = t.case_of_a().await;
    let waiting = t.case_of_a().await;
    t.advance(&waiting, &["in_progress", "awaiting_customer"])
        .await;
    assert!(running_deadlines(&t, &waiting).await.is_empty());

    // Nearest deadline first, the case without a running clock last; the values are the
    // nearest running deadline of each case.
    let page = open_queue(&t, QueueOrder::Deadline, 50).await;
    let order: Vec<String> = page
        .items
        .iter()
        .map(|q| q.case.number.to_string())
        .collect();
    assert_eq!(
        order,
        [first.clone(), second.clone(), web.clone(), waiting.clone()]
    );
    let now = t.app.clock.now();
    for q in &page.items {
        let number = q.case.number.to_string();
        let nearest = running_deadlines(&t, &number).await.into_iter().min();
        assert_eq!(q.time_left.map(|l| l.deadline), nearest, "{number}");
        if let Some(left) = q.time_left {
            let expected = (left.deadline.as_second() - now.as_second()).div_euclid(60);
            assert_eq!(left.minutes_left, expected, "{number}");
        }
    }
    let left = |p: &Page<cases::QueueCase>, n: &str| {
        p.items
            .iter()
            .find(|q| q.case.number.to_string() == n)
            .and_then(|q| q.time_left)
            .unwrap()
    };
    assert_eq!(left(&page, &first).minutes_left, 90);
    assert_eq!(left(&page, &first).urgency, Urgency::Ok);

    // Pages of one by the deadline follow the same order.
    let mut cursor = None;
    let mut paged = Vec::new();
    loop {
        let filter = CaseFilter {
            statuses: casebook_server::web::console::queue::OPEN.to_vec(),
            ..CaseFilter::default()
        };
        let request = PageRequest {
            limit: Some(1),
            cursor: cursor.take(),
        };
        let p = cases::queue(
            &t.app,
            &Principal::system("test"),
            &filter,
            QueueOrder::Deadline,
            &request,
        )
        .await
        .unwrap();
        paged.extend(p.items.iter().map(|q| q.case.number.to_string()));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, order, "keyset pages by deadline");
    // Narrowed to an organisation, the queue is read from its cases: the same order.
    let of_a = CaseFilter {
        statuses: casebook_server::web::console::queue::OPEN.to_vec(),
        organization: Some(casebook_domain::ids::Id::new(t.a.org_id)),
        ..CaseFilter::default()
    };
    let mut cursor = None;
    let mut narrowed = Vec::new();
    loop {
        let request = PageRequest {
            limit: Some(3),
            cursor: cursor.take(),
        };
        let p = cases::queue(
            &t.app,
            &Principal::system("test"),
            &of_a,
            QueueOrder::Deadline,
            &request,
        )
        .await
        .unwrap();
        narrowed.extend(p.items.iter().map(|q| q.case.number.to_string()));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        narrowed, order,
        "the same order read from the organisation's cases"
    );

    // 10:15: the first has 45 minutes left (a warning), the second 75 of its 120 (fine).
    clock.advance(SignedDuration::from_mins(45));
    let page = open_queue(&t, QueueOrder::Newest, 50).await;
    assert_eq!(
        page.items.first().map(|q| q.case.number.to_string()),
        Some(waiting.clone()),
        "newest first"
    );
    assert_eq!(left(&page, &first).urgency, Urgency::Warning);
    assert_eq!(left(&page, &second).urgency, Urgency::Ok);
    // 11:05: the first is overdue by five minutes, the second has 25 left.
    clock.advance(SignedDuration::from_mins(50));
    let page = open_queue(&t, QueueOrder::Deadline, 50).await;
    let overdue = left(&page, &first);
    assert_eq!(
        (overdue.minutes_left, overdue.urgency),
        (-5, Urgency::Breached)
    );
    assert_eq!(left(&page, &second).urgency, Urgency::Warning);

    // "Breaching soon" (due within a day) holds the two severity 1 cases once each, though
    // each has two clocks due within the day.
    let until = t.app.clock.now() + SignedDuration::from_hours(24);
    let mut due_clocks = 0;
    for n in [&first, &second] {
        due_clocks += running_deadlines(&t, n)
            .await
            .iter()
            .filter(|d| **d <= until)
            .count();
    }
    assert_eq!(due_clocks, 4, "two clocks of each case are due");
    let breaching = CaseFilter {
        statuses: casebook_server::web::console::queue::OPEN.to_vec(),
        due_by: Some(until),
        ..CaseFilter::default()
    };
    let system = Principal::system("test");
    let count = cases::count(&t.app, &system, &breaching, 1000)
        .await
        .unwrap();
    assert_eq!(count, 2, "cases, not clocks");
    let listed = cases::queue(
        &t.app,
        &system,
        &breaching,
        QueueOrder::Deadline,
        &PageRequest::first(),
    )
    .await
    .unwrap();
    let listed: Vec<String> = listed
        .items
        .iter()
        .map(|q| q.case.number.to_string())
        .collect();
    assert_eq!(listed, [first.clone(), second.clone()]);
}
