//! The solution of a case is found among the articles linked to it.

use super::*;

on_both_backends!(the_solution_of_a_case_is_found);

async fn the_solution_of_a_case_is_found(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let engineer = staff(&mut db, "engineer@vendor.test").await;
    let org = organization(&mut db, "CN-A", "Alpha").await;
    let (_, id) = case(
        &mut db,
        &columns(&org, "down", Status::InProgress, Severity::Two),
        2026,
    )
    .await;
    assert_eq!(articles::solution_of_case(&mut db, id).await.unwrap(), None);
    let event = |kind, visibility, body: Option<&'static str>, change| NewEvent {
        case_id: id,
        kind,
        visibility,
        actor: Some(engineer),
        at: at(1),
        body,
        change,
    };
    let reply = event(
        EventKind::Reply,
        Visibility::Public,
        Some("请重启监听"),
        None,
    );
    timeline::insert(&mut db, &reply).await.unwrap();
    let note = event(
        EventKind::Note,
        Visibility::Internal,
        Some("internal"),
        None,
    );
    timeline::insert(&mut db, &note).await.unwrap();
    assert_eq!(
        articles::solution_of_case(&mut db, id)
            .await
            .unwrap()
            .as_deref(),
        Some("请重启监听")
    );
    let proposal = event(
        EventKind::StatusChange,
        Visibility::Public,
        None,
        Some(json!({"from": "in_progress", "to": "solution_proposed", "reason": "升级到 9.1"})),
    );
    timeline::insert(&mut db, &proposal).await.unwrap();
    let rejected = event(
        EventKind::StatusChange,
        Visibility::Public,
        None,
        Some(json!({"from": "solution_proposed", "to": "in_progress", "reason": "still down"})),
    );
    timeline::insert(&mut db, &rejected).await.unwrap();
    assert_eq!(
        articles::solution_of_case(&mut db, id)
            .await
            .unwrap()
            .as_deref(),
        Some("升级到 9.1")
    );
    db.commit().await.unwrap();
}
