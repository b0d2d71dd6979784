//! Organisations, contacts, products and users: round trips, pagination, versions, uniqueness.

use casebook_domain::Role;
use casebook_domain::directory::{OrganizationDraft, ProductVersion};
use casebook_store::contacts::{self, ContactFilter, NewContact};
use casebook_store::organizations::{self, OrganizationFilter};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::users::{self, NewUser};
use casebook_store::{PageRequest, StoreError, lookalikes, on_both_backends, products};

use crate::support::{at, organization};

on_both_backends!(
    organizations_page_by_name_without_gaps,
    timestamps_keep_milliseconds,
    stale_versions_and_duplicates_are_refused,
    products_carry_their_versions,
    contacts_and_users_round_trip,
    lookalike_keys_are_kept_and_filled_in_for_older_rows
);

async fn organizations_page_by_name_without_gaps(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    for i in 0..25 {
        organization(
            &mut db,
            &format!("N{i:02}"),
            &format!("Org {:02}", (i * 7) % 25),
        )
        .await;
    }
    db.commit().await.unwrap();
    let mut db = t.store.read().await.unwrap();
    let mut seen = Vec::new();
    let mut page = PageRequest {
        limit: Some(10),
        cursor: None,
    };
    loop {
        let p = organizations::list(&mut db, &OrganizationFilter::default(), &page)
            .await
            .unwrap();
        assert!(p.items.len() <= 10);
        seen.extend(p.items.into_iter().map(|o| o.name));
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen.len(), 25);
    assert_eq!(seen, sorted);
    let found = organizations::list(
        &mut db,
        &OrganizationFilter {
            q: Some("n07".into()),
            ..Default::default()
        },
        &PageRequest::first(),
    )
    .await
    .unwrap();
    assert_eq!(
        found.items.len(),
        1,
        "customer numbers match case-insensitively"
    );
    let bad = organizations::list(
        &mut db,
        &OrganizationFilter::default(),
        &PageRequest {
            limit: None,
            cursor: Some("nonsense".into()),
        },
    )
    .await;
    assert!(matches!(bad, Err(StoreError::InvalidCursor)));
}

async fn timestamps_keep_milliseconds(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let draft: OrganizationDraft =
        serde_json::from_value(serde_json::json!({"customer_number": "T1", "name": "时间"}))
            .unwrap();
    let when = at(123);
    let created = organizations::insert(&mut db, &draft, when).await.unwrap();
    db.commit().await.unwrap();
    assert_eq!(created.created_at, when);
    let mut db = t.store.read().await.unwrap();
    let read = organizations::get(&mut db, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.created_at.as_millisecond(), when.as_millisecond());
    assert_eq!(read.name, "时间");
}

async fn stale_versions_and_duplicates_are_refused(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let org = organization(&mut db, "V1", "before").await;
    db.commit().await.unwrap();

    let mut db = t.store.write().await.unwrap();
    let mut changed = org.clone();
    changed.name = "after".into();
    let updated = organizations::update(&mut db, &changed, at(5))
        .await
        .unwrap();
    assert_eq!(updated.version, org.version + 1);
    let mut stale = org.clone();
    stale.name = "lost".into();
    assert!(matches!(
        organizations::update(&mut db, &stale, at(6)).await,
        Err(StoreError::StaleVersion)
    ));
    db.commit().await.unwrap();

    let mut db = t.store.write().await.unwrap();
    let draft: OrganizationDraft =
        serde_json::from_value(serde_json::json!({"customer_number": "v1", "name": "dup"}))
            .unwrap();
    assert!(matches!(
        organizations::insert(&mut db, &draft, at(7)).await,
        Err(StoreError::Duplicate(_))
    ));
}

fn version(text: &str, released: Option<&str>) -> ProductVersion {
    ProductVersion {
        id: casebook_domain::ids::Id::new(0),
        version: text.into(),
        released_on: released.map(|d| d.parse().unwrap()),
        end_of_marketing_on: None,
        end_of_support_on: released.map(|d| {
            d.parse::<jiff::civil::Date>()
                .unwrap()
                .saturating_add(jiff::Span::new().years(5))
        }),
    }
}

async fn products_carry_their_versions(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let p = products::insert(&mut db, "Domino", "HCL", at(0))
        .await
        .unwrap();
    products::insert_version(&mut db, p.id, &version("12.0", Some("2021-06-07")), at(0))
        .await
        .unwrap();
    products::insert_version(&mut db, p.id, &version("9.0.1", Some("2013-10-15")), at(0))
        .await
        .unwrap();
    products::insert_version(&mut db, p.id, &version("next", None), at(0))
        .await
        .unwrap();
    db.commit().await.unwrap();

    let mut db = t.store.write().await.unwrap();
    let duplicate = products::insert_version(&mut db, p.id, &version("12.0", None), at(0)).await;
    assert!(
        matches!(duplicate, Err(StoreError::Duplicate(_))),
        "{duplicate:?}"
    );
    drop(db);

    let mut db = t.store.read().await.unwrap();
    let read = products::get(&mut db, p.id).await.unwrap().unwrap();
    let versions: Vec<&str> = read.versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(
        versions,
        ["9.0.1", "12.0", "next"],
        "oldest release first, undated last"
    );
    assert_eq!(
        read.versions[1].end_of_support_on,
        Some("2026-06-07".parse().unwrap()),
        "lifecycle dates are kept"
    );
}

async fn contacts_and_users_round_trip(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let org = organization(&mut db, "U1", "用户公司").await;
    let contact = contacts::insert(
        &mut db,
        &NewContact {
            organization_id: org.id,
            name: "王芳",
            email: Some("wang@example.cn"),
            phone: Some("+86 10 1234"),
            can_open_cases: true,
        },
        at(0),
    )
    .await
    .unwrap();
    let user = users::insert(
        &mut db,
        &NewUser {
            email: "wang@example.cn",
            name: "王芳",
            role: Role::CustomerUser,
            organization_id: Some(org.id),
            contact_id: Some(contact.id),
            password_hash: Some("hash"),
        },
        at(0),
    )
    .await
    .unwrap();
    db.commit().await.unwrap();

    let mut db = t.store.write().await.unwrap();
    let staff = NewUser {
        email: "eng@vendor.cn",
        name: "Engineer",
        role: Role::Engineer,
        organization_id: Some(org.id),
        contact_id: None,
        password_hash: None,
    };
    assert!(
        users::insert(&mut db, &staff, at(0)).await.is_err(),
        "staff with an organisation violates the check"
    );
    drop(db);

    let mut db = t.store.read().await.unwrap();
    let (found, hash) = users::find_for_sign_in(&mut db, "WANG@example.cn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, user);
    assert_eq!(hash.as_deref(), Some("hash"));
    let listed = contacts::list(
        &mut db,
        &ContactFilter {
            organization: Some(org.id),
            q: Some("1234".into()),
            include_archived: false,
        },
        &PageRequest::first(),
    )
    .await
    .unwrap();
    assert_eq!(listed.items, vec![contact]);
}

async fn lookalike_keys_are_kept_and_filled_in_for_older_rows(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let org = organization(&mut db, "LK-1", "Look-alikes").await;
    let new_contact = |email| NewContact {
        organization_id: org.id,
        name: "c",
        email: Some(email),
        phone: None,
        can_open_cases: true,
    };
    contacts::insert(&mut db, &new_contact("paypal@example.cn"), at(0))
        .await
        .unwrap();
    let staff = NewUser {
        email: "admin@example.cn",
        name: "a",
        role: Role::Admin,
        organization_id: None,
        contact_id: None,
        password_hash: None,
    };
    users::insert(&mut db, &staff, at(0)).await.unwrap();
    db.commit().await.unwrap();
    // Cyrillic а (U+0430) in both.
    let mut db = t.store.read().await.unwrap();
    assert_eq!(
        like(&mut db, "p\u{430}ypal@example.cn").await,
        ["paypal@example.cn"]
    );
    assert_eq!(
        like(&mut db, "\u{430}dmin@example.cn").await,
        ["admin@example.cn"]
    );
    assert!(
        like(&mut db, "paypal@example.cn").await.is_empty(),
        "not itself"
    );
    drop(db);
    // Rows written before the key existed get it after the migrations.
    t.execute_raw("UPDATE users SET lookalike_key = NULL")
        .await
        .unwrap();
    t.execute_raw("UPDATE contacts SET lookalike_key = NULL")
        .await
        .unwrap();
    let mut db = t.store.read().await.unwrap();
    assert!(like(&mut db, "\u{430}dmin@example.cn").await.is_empty());
    drop(db);
    t.store.migrate().await.unwrap();
    let mut db = t.store.read().await.unwrap();
    assert_eq!(
        like(&mut db, "\u{430}dmin@example.cn").await,
        ["admin@example.cn"]
    );
    assert_eq!(
        like(&mut db, "p\u{430}ypal@example.cn").await,
        ["paypal@example.cn"]
    );
}

async fn like(db: &mut casebook_store::Db, address: &str) -> Vec<String> {
    lookalikes::addresses_like(db, address).await.unwrap()
}
