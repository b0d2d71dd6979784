//! Case numbers under concurrency, the list's filters and scopes, and versioned updates.

use std::collections::BTreeSet;

use casebook_domain::ids::Id;
use casebook_domain::policy::CaseScope;
use casebook_domain::{Severity, Status};
use casebook_store::case_list::{self, CaseFilter, OwnerFilter};
use casebook_store::cases;
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{PageRequest, StoreError, on_both_backends};

use crate::support::{at, case, columns, organization};

on_both_backends!(
    numbers_are_unique_per_year_under_concurrency,
    lists_filter_scope_and_paginate,
    updates_check_the_version
);

async fn numbers_are_unique_per_year_under_concurrency(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let org = organization(&mut db, "SEQ", "并发").await;
    db.commit().await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = t.store.clone();
        let cols = columns(&org, &format!("case {i}"), Status::New, Severity::Three);
        tasks.push(tokio::spawn(async move {
            let mut db = store.write().await.unwrap();
            let (number, _) = case(&mut db, &cols, 2026).await;
            if i % 10 == 9 {
                // A rolled-back creation does not consume or reuse a number.
                drop(db);
                return None;
            }
            db.commit().await.unwrap();
            Some(number)
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        if let Some(n) = task.await.unwrap() {
            assert!(numbers.insert(n), "{n} handed out twice");
        }
    }
    assert_eq!(numbers.len(), 36);
    let seqs: Vec<i64> = numbers.iter().map(|n| n.seq()).collect();
    match backend {
        // The one writer takes numbers from the counter row in its transaction: gap-free.
        TestBackend::Sqlite => assert_eq!(
            seqs,
            (1..=36).collect::<Vec<_>>(),
            "committed numbers are gap-free"
        ),
        // The year's sequence: a rolled-back creation skips its number, never reuses it.
        TestBackend::Postgres => assert!(
            seqs.iter().all(|s| (1..=40).contains(s)),
            "numbers come from the year's sequence: {seqs:?}"
        ),
    }

    // The first cases of a new year, opened at once, make its numbering once between them.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = t.store.clone();
        let cols = columns(
            &org,
            &format!("first of 2028 {i}"),
            Status::New,
            Severity::Three,
        );
        tasks.push(tokio::spawn(async move {
            let mut db = store.write().await.unwrap();
            let (number, _) = case(&mut db, &cols, 2028).await;
            db.commit().await.unwrap();
            number
        }));
    }
    let mut first = BTreeSet::new();
    for task in tasks {
        assert!(
            first.insert(task.await.unwrap()),
            "a number handed out twice"
        );
    }
    let seqs: Vec<i64> = first.iter().map(|n| n.seq()).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    assert!(first.iter().all(|n| n.year() == 2028));

    let mut db = t.store.write().await.unwrap();
    let (next_year, _) = case(
        &mut db,
        &columns(&org, "new year", Status::New, Severity::Four),
        2027,
    )
    .await;
    db.commit().await.unwrap();
    assert_eq!(next_year.to_string(), "2027-00001");
}

async fn lists_filter_scope_and_paginate(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let a = organization(&mut db, "A", "Alpha").await;
    let b = organization(&mut db, "B", "Beta").await;
    for i in 0..30 {
        let org = if i % 3 == 0 { &b } else { &a };
        let status = if i % 2 == 0 {
            Status::New
        } else {
            Status::InProgress
        };
        let severity = if i % 5 == 0 {
            Severity::One
        } else {
            Severity::Three
        };
        let mut cols = columns(org, &format!("数据库连接失败 {i}"), status, severity);
        if status == Status::InProgress {
            cols.owner_id = None;
        }
        case(&mut db, &cols, 2026).await;
    }
    db.commit().await.unwrap();

    let mut db = t.store.read().await.unwrap();
    let mut all = Vec::new();
    let mut page = PageRequest {
        limit: Some(7),
        cursor: None,
    };
    loop {
        let p = case_list::list(&mut db, CaseScope::All, &CaseFilter::default(), &page)
            .await
            .unwrap();
        all.extend(p.items.iter().map(|c| c.number));
        match p.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(all.len(), 30);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");

    let only_b = case_list::list(
        &mut db,
        CaseScope::Organization(b.id),
        &CaseFilter {
            q: None,
            ..Default::default()
        },
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(only_b.items.len(), 10);
    assert!(only_b.items.iter().all(|c| c.organization.id == b.id));

    let filter = CaseFilter {
        statuses: vec![Status::New],
        severities: vec![Severity::One],
        ..Default::default()
    };
    let sev1_new = case_list::list(
        &mut db,
        CaseScope::All,
        &filter,
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(sev1_new.items.len(), 3, "i = 0, 10, 20");

    let text = CaseFilter {
        q: Some("连接失败 2".into()),
        ..Default::default()
    };
    let found = case_list::list(&mut db, CaseScope::All, &text, &PageRequest::first())
        .await
        .unwrap();
    assert_eq!(found.items.len(), 11, "2 and 20–29");

    let by_number = CaseFilter {
        q: Some("2026-5".into()),
        ..Default::default()
    };
    let found = case_list::list(&mut db, CaseScope::All, &by_number, &PageRequest::first())
        .await
        .unwrap();
    assert_eq!(
        found
            .items
            .iter()
            .map(|c| c.number.to_string())
            .collect::<Vec<_>>(),
        ["2026-00005"]
    );

    let unowned = CaseFilter {
        owner: Some(OwnerFilter::Nobody),
        ..Default::default()
    };
    assert_eq!(
        case_list::list(
            &mut db,
            CaseScope::All,
            &unowned,
            &PageRequest {
                limit: Some(200),
                cursor: None
            }
        )
        .await
        .unwrap()
        .items
        .len(),
        30
    );
    let requester = CaseScope::Requester {
        organization: a.id,
        user: Id::new(999),
        contact: None,
    };
    assert!(
        case_list::list(
            &mut db,
            requester,
            &CaseFilter::default(),
            &PageRequest::first()
        )
        .await
        .unwrap()
        .items
        .is_empty()
    );
}

async fn updates_check_the_version(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let org = organization(&mut db, "UPD", "Update").await;
    let (number, id) = case(
        &mut db,
        &columns(&org, "title", Status::New, Severity::Two),
        2026,
    )
    .await;
    db.commit().await.unwrap();

    let mut db = t.store.write().await.unwrap();
    let current = cases::get_by_number(&mut db, number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, id);
    let mut cols = cases::CaseColumns::from(&current);
    cols.severity = Severity::One;
    cases::update(&mut db, id, current.version, &cols, at(10))
        .await
        .unwrap();
    assert!(matches!(
        cases::update(&mut db, id, current.version, &cols, at(11)).await,
        Err(StoreError::StaleVersion)
    ));
    db.commit().await.unwrap();

    let mut db = t.store.read().await.unwrap();
    let after = cases::get(&mut db, id).await.unwrap().unwrap();
    assert_eq!(after.severity, Severity::One);
    assert_eq!(after.version, current.version + 1);
    assert_eq!(after.updated_at, at(10));
    assert_eq!(after.organization.customer_number, "UPD");
}
