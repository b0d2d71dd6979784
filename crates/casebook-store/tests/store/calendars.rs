//! Business calendars: the built-in ones are seeded once, edits survive a second migration,
//! stale versions are refused.

use casebook_domain::sla::china::{ALWAYS, CHINA_5X8};
use casebook_domain::sla::{CalendarId, ExceptionKind};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{PageRequest, StoreError, calendars, on_both_backends};

use crate::support::at;

on_both_backends!(builtins_are_seeded_once_and_edits_stay);

async fn builtins_are_seeded_once_and_edits_stay(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let china: CalendarId = CHINA_5X8.parse().unwrap();
    let mut db = t.store.read().await.unwrap();
    let page = calendars::list(
        &mut db,
        &PageRequest {
            limit: Some(1),
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(page.items[0].id.as_str(), ALWAYS);
    let rest = calendars::list(
        &mut db,
        &PageRequest {
            limit: Some(10),
            cursor: page.next_cursor,
        },
    )
    .await
    .unwrap();
    assert_eq!(rest.items.len(), 1);
    let stored = rest.items.into_iter().next().unwrap();
    assert_eq!(stored.id, china);
    assert!(stored.builtin);
    assert!(
        stored
            .spec
            .exceptions
            .iter()
            .any(|e| e.kind == ExceptionKind::Workday)
    );
    drop(db);

    let mut edited = stored.spec.clone();
    edited.exceptions.retain(|e| e.date.year() != 2024);
    let mut db = t.store.write().await.unwrap();
    let saved = calendars::update(&mut db, &china, &edited, stored.version, at(5))
        .await
        .unwrap();
    assert_eq!(saved.version, stored.version + 1);
    let stale = calendars::update(&mut db, &china, &edited, stored.version, at(6)).await;
    assert!(matches!(stale, Err(StoreError::StaleVersion)));
    db.commit().await.unwrap();

    t.store.migrate().await.unwrap();
    let mut db = t.store.read().await.unwrap();
    let again = calendars::get(&mut db, &china).await.unwrap().unwrap();
    assert_eq!(
        again.spec, edited,
        "a second migration keeps an admin's edits"
    );
}

on_both_backends!(the_no_contract_plan_is_the_default_and_one_default_only);

async fn the_no_contract_plan_is_the_default_and_one_default_only(backend: TestBackend) {
    use casebook_domain::sla::plan::{PlanId, no_contract_plan, standard_plan};
    use casebook_store::plans;
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let default = plans::get_default(&mut db).await.unwrap().unwrap();
    assert_eq!(default.id.as_str(), "no-contract");
    assert!(default.builtin && default.is_default);
    assert_eq!(default.spec, no_contract_plan());
    let standard = plans::get(&mut db, &"standard".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(standard.builtin && !standard.is_default);
    assert_eq!(standard.spec, standard_plan());
    let gold: PlanId = "gold".parse().unwrap();
    let mut spec = standard_plan();
    spec.name = "Gold 7×24".into();
    plans::insert(&mut db, &gold, &spec, false, at(1))
        .await
        .unwrap();
    plans::set_default(&mut db, &gold).await.unwrap();
    db.commit().await.unwrap();
    let mut db = t.store.read().await.unwrap();
    assert_eq!(plans::get_default(&mut db).await.unwrap().unwrap().id, gold);
    let all = plans::list(
        &mut db,
        &PageRequest {
            limit: None,
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(all.items.iter().filter(|p| p.is_default).count(), 1);
}
