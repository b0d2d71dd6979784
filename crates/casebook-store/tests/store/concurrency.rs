//! Many writers at once: on SQLite they share group transactions, on PostgreSQL each has its
//! own. Either way, exactly the acknowledged writes persist and the audit chain stays intact,
//! also when members of the same group fail on a constraint or are dropped half-way.

use std::collections::BTreeSet;

use casebook_domain::directory::OrganizationDraft;
use casebook_store::audit::{self, Verification};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::{
    AuditActor, AuditEntry, PageRequest, StoreError, on_both_backends, organizations,
};

use crate::support::{at, seeded_entries};

on_both_backends!(only_acknowledged_writes_persist);

/// What one writer does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Commit,
    /// Inserts a customer number that another writer also inserts.
    Duplicate,
    /// Does its work, then is dropped without committing.
    Abandon,
}

fn plan(i: usize) -> Plan {
    match i % 6 {
        1 => Plan::Duplicate,
        4 => Plan::Abandon,
        _ => Plan::Commit,
    }
}

async fn writer(store: casebook_store::Store, i: usize) -> Option<String> {
    let plan = plan(i);
    let number = if plan == Plan::Duplicate {
        "DUP".to_string()
    } else {
        format!("C{i:03}")
    };
    let draft: OrganizationDraft = serde_json::from_value(
        serde_json::json!({"customer_number": number, "name": format!("客户 {i}")}),
    )
    .unwrap();
    let mut db = store.write().await.unwrap();
    let org = match organizations::insert(&mut db, &draft, at(i as i64)).await {
        Ok(org) => org,
        Err(StoreError::Duplicate(_)) => {
            assert_eq!(plan, Plan::Duplicate, "only the shared number can collide");
            return None;
        }
        Err(e) => panic!("writer {i}: {e}"),
    };
    db.audit(AuditEntry::change(
        at(i as i64),
        &AuditActor::system("test"),
        "organization.create",
        "organization",
        org.id,
        None,
        Some(&org),
    ));
    // Let other writers queue behind this one, so groups really form.
    tokio::task::yield_now().await;
    if plan == Plan::Abandon {
        drop(db);
        return None;
    }
    db.commit().await.map(|()| number).ok()
}

async fn only_acknowledged_writes_persist(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let writers: Vec<_> = (0..60)
        .map(|i| tokio::spawn(writer(t.store.clone(), i)))
        .collect();
    let mut acknowledged = BTreeSet::new();
    for w in writers {
        if let Some(number) = w.await.unwrap() {
            assert!(
                acknowledged.insert(number),
                "a number was acknowledged twice"
            );
        }
    }
    assert!(
        acknowledged.contains("DUP"),
        "one writer of the shared number succeeds"
    );
    assert_eq!(
        acknowledged.len(),
        60 - 10 - 9,
        "every plain writer succeeds"
    );

    let mut db = t.store.read().await.unwrap();
    let stored: BTreeSet<String> = organizations::list(
        &mut db,
        &Default::default(),
        &PageRequest {
            limit: Some(200),
            cursor: None,
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|o| o.customer_number.to_string())
    .collect();
    assert_eq!(stored, acknowledged);
    assert_eq!(
        audit::verify(&mut db).await.unwrap(),
        Verification::Intact {
            entries: seeded_entries() + acknowledged.len() as i64
        }
    );
}
