//! The audit chain: appended on commit, verified, tamper-evident, append-only.

use casebook_domain::audit::ChainBreak;
use casebook_store::audit::{self, AuditFilter, Verification};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{PageRequest, on_both_backends};

use crate::support::{organization, seeded_entries};

on_both_backends!(
    chain_grows_and_verifies,
    rolled_back_entries_leave_no_trace,
    edits_are_refused_and_detected
);

async fn chain_grows_and_verifies(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    for i in 0..3 {
        let mut db = t.store.write().await.unwrap();
        organization(&mut db, &format!("C{i}"), "客户").await;
        db.commit().await.unwrap();
    }
    let mut db = t.store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Intact {
            entries: seeded_entries() + 3
        }
    );
    let page = audit::list(
        &mut db,
        &AuditFilter {
            object_type: Some("organization".into()),
            object_id: None,
        },
        &PageRequest {
            limit: Some(2),
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].seq, seeded_entries() + 3, "newest first");
    assert_eq!(page.items[0].prev_hash, page.items[1].hash);
    assert_eq!(
        page.items[0].after.as_ref().unwrap()["customer_number"],
        "C2"
    );
    assert!(page.next_cursor.is_some());
}

async fn rolled_back_entries_leave_no_trace(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    {
        let mut db = t.store.write().await.unwrap();
        organization(&mut db, "GONE", "never committed").await;
        drop(db);
    }
    let mut db = t.store.write().await.unwrap();
    organization(&mut db, "KEPT", "committed").await;
    db.commit().await.unwrap();
    let mut db = t.store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Intact {
            entries: seeded_entries() + 1
        }
    );
}

async fn edits_are_refused_and_detected(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    for i in 0..3 {
        let mut db = t.store.write().await.unwrap();
        organization(&mut db, &format!("C{i}"), "name").await;
        db.commit().await.unwrap();
    }
    let err = t
        .execute_raw("UPDATE audit_log SET actor_label = 'someone else' WHERE seq = 2")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(
        t.execute_raw("DELETE FROM audit_log WHERE seq = 3")
            .await
            .is_err()
    );

    // Someone with direct access to the database removes the guard and edits an entry.
    match backend {
        TestBackend::Sqlite => {
            t.execute_raw("DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
        }
        TestBackend::Postgres => {
            t.execute_raw("ALTER TABLE audit_log DISABLE TRIGGER USER")
                .await
                .unwrap();
        }
    }
    t.execute_raw("UPDATE audit_log SET actor_label = 'someone else' WHERE seq = 2")
        .await
        .unwrap();
    let mut db = t.store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Broken(ChainBreak::Altered { seq: 2 })
    );
}
