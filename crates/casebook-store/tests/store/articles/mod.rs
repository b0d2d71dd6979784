//! Knowledge articles: round trips with texts and products, versions, review columns, lists with
//! filters and both orders paged without gaps, feedback counts, links to cases, subscriptions
//! and the recipients of an alert.

use casebook_domain::case::NamedRef;
use casebook_domain::contract::Unit;
use casebook_domain::directory::{Product, ProductVersion};
use casebook_domain::ids::{ArticleId, Id, UserId};
use casebook_domain::knowledge::{
    ArticleContent, ArticleProduct, ArticleStatus, ArticleText, ArticleVisibility, Language,
};
use casebook_domain::policy::Visibility;
use casebook_domain::timeline::EventKind;
use casebook_domain::{Role, Severity, Status};
use casebook_store::article_alerts;
use casebook_store::article_list::{self, ArticleFilter, ArticleSort};
use casebook_store::articles::{self, Review};
use casebook_store::contacts::{self, NewContact};
use casebook_store::testing::{TestBackend, TestDb};
use casebook_store::timeline::{self, NewEvent};
use casebook_store::users::{self, NewUser};
use casebook_store::{Db, PageRequest, StoreError, on_both_backends, products, units};
use serde_json::json;

use crate::support::{at, case, columns, organization};

mod solution;

on_both_backends!(
    an_article_round_trips_with_its_texts_and_products,
    lists_filter_and_page_in_both_orders,
    feedback_moves_the_counts,
    alerts_reach_subscribers_and_affected_installations,
);

async fn staff(db: &mut Db, email: &str) -> UserId {
    let new = NewUser {
        email,
        name: email,
        role: Role::Engineer,
        organization_id: None,
        contact_id: None,
        password_hash: None,
    };
    users::insert(db, &new, at(0)).await.unwrap().id
}

async fn product(db: &mut Db, name: &str, versions: &[&str]) -> Product {
    let p = products::insert(db, name, "Huaxin", at(0)).await.unwrap();
    for v in versions {
        let version = ProductVersion {
            id: Id::new(0),
            version: (*v).into(),
            released_on: None,
            end_of_marketing_on: None,
            end_of_support_on: None,
        };
        products::insert_version(db, p.id, &version, at(0))
            .await
            .unwrap();
    }
    products::get(db, p.id).await.unwrap().unwrap()
}

fn text(language: Language, title: &str) -> ArticleText {
    ArticleText {
        language,
        title: title.into(),
        symptom: "症状".into(),
        cause: String::new(),
        resolution: "重启监听".into(),
        body: "**body**".into(),
        body_html: String::new(),
    }
}

fn content(
    visibility: ArticleVisibility,
    tags: &[&str],
    texts: Vec<ArticleText>,
    products: &[(&Product, &[&str])],
) -> ArticleContent {
    ArticleContent {
        visibility,
        alert: false,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        texts,
        products: products
            .iter()
            .map(|(p, versions)| ArticleProduct {
                product: NamedRef {
                    id: p.id,
                    name: p.name.clone(),
                },
                versions: versions.iter().map(|v| (*v).to_owned()).collect(),
            })
            .collect(),
    }
}

async fn publish(db: &mut Db, id: ArticleId, reviewer: UserId) {
    let article = articles::get(db, id).await.unwrap().unwrap();
    let mut review = Review::of(&article);
    review.status = ArticleStatus::Published;
    review.reviewer = Some(reviewer);
    review.published_at = Some(at(5));
    articles::set_review(db, id, article.version, &review, at(5))
        .await
        .unwrap();
}

async fn an_article_round_trips_with_its_texts_and_products(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let author = staff(&mut db, "author@vendor.test").await;
    let reviewer = staff(&mut db, "reviewer@vendor.test").await;
    let db2 = product(&mut db, "Huaxin DB", &["9.0", "9.1"]).await;
    let written = content(
        ArticleVisibility::Customers,
        &["oracle"],
        vec![
            text(Language::ZhCn, "数据库连接失败"),
            text(Language::En, "Connection refused"),
        ],
        &[(&db2, &["9.1"])],
    );
    let id = articles::insert(&mut db, &written, author, at(1))
        .await
        .unwrap();
    let article = articles::get(&mut db, id).await.unwrap().unwrap();
    assert_eq!(article.status, ArticleStatus::Draft);
    assert_eq!(article.content(), written);
    assert_eq!(article.author.name, "author@vendor.test");
    assert_eq!((article.version, article.created_at), (1, at(1)));

    let mut changed = written.clone();
    changed.texts.pop();
    changed.products.clear();
    changed.tags = vec!["listener".into()];
    let stale = articles::update(&mut db, id, 7, &changed, ArticleStatus::Draft, at(2)).await;
    assert!(matches!(stale, Err(StoreError::StaleVersion)));
    articles::update(&mut db, id, 1, &changed, ArticleStatus::Draft, at(2))
        .await
        .unwrap();
    let article = articles::get(&mut db, id).await.unwrap().unwrap();
    assert_eq!(article.content(), changed);
    assert_eq!((article.version, article.updated_at), (2, at(2)));

    publish(&mut db, id, reviewer).await;
    let article = articles::get(&mut db, id).await.unwrap().unwrap();
    assert_eq!(article.status, ArticleStatus::Published);
    assert_eq!(article.reviewer.as_ref().map(|r| r.id), Some(reviewer));
    assert_eq!(article.published_at, Some(at(5)));
    assert!(matches!(
        articles::set_review(&mut db, id, 1, &Review::of(&article), at(6)).await,
        Err(StoreError::StaleVersion)
    ));

    let org = organization(&mut db, "CN-A", "Alpha").await;
    let (number, case_id) = case(
        &mut db,
        &columns(&org, "down", Status::Closed, Severity::Two),
        2026,
    )
    .await;
    articles::link_case(&mut db, id, case_id, Some(author), at(7))
        .await
        .unwrap();
    articles::link_case(&mut db, id, case_id, Some(reviewer), at(8))
        .await
        .unwrap();
    let linked = articles::linked_cases(&mut db, id).await.unwrap();
    assert_eq!(linked.len(), 1, "linked once");
    assert_eq!(linked[0].number, number);
    assert_eq!(linked[0].access.organization, org.id);
    let of_case = article_list::of_case(&mut db, case_id, true, &PageRequest::first())
        .await
        .unwrap();
    assert_eq!(of_case.items.len(), 1);
    assert_eq!(of_case.items[0].titles[0].title, "数据库连接失败");
    db.commit().await.unwrap();
}

async fn lists_filter_and_page_in_both_orders(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let author = staff(&mut db, "author@vendor.test").await;
    let reviewer = staff(&mut db, "reviewer@vendor.test").await;
    let readers: Vec<UserId> = {
        let mut v = Vec::new();
        for i in 0..4 {
            v.push(staff(&mut db, &format!("reader{i}@vendor.test")).await);
        }
        v
    };
    let p1 = product(&mut db, "P1", &[]).await;
    let p2 = product(&mut db, "P2", &[]).await;
    let mut ids = Vec::new();
    for i in 0..23_i64 {
        let visibility = [
            ArticleVisibility::Internal,
            ArticleVisibility::Customers,
            ArticleVisibility::Public,
        ][(i % 3) as usize];
        let language = if i % 2 == 0 {
            Language::ZhCn
        } else {
            Language::En
        };
        let tags: &[&str] = if i % 4 == 0 {
            &["网络", "a_b"]
        } else {
            &["axb"]
        };
        let products: &[(&Product, &[&str])] = if i % 5 == 0 {
            &[(&p1, &[])]
        } else {
            &[(&p2, &[])]
        };
        let c = content(
            visibility,
            tags,
            vec![text(language, &format!("A{i:02}"))],
            products,
        );
        let id = articles::insert(&mut db, &c, author, at(i * 10))
            .await
            .unwrap();
        if i % 2 == 1 {
            publish(&mut db, id, reviewer).await;
        }
        for reader in readers.iter().take((i % 5) as usize) {
            articles::give_feedback(&mut db, id, *reader, true, "", at(100))
                .await
                .unwrap();
        }
        ids.push(id);
    }
    db.commit().await.unwrap();
    let mut db = t.store.read().await.unwrap();

    let all = |filter: ArticleFilter, sort: ArticleSort| {
        let store = t.store.clone();
        async move {
            let mut db = store.read().await.unwrap();
            let mut page = PageRequest {
                limit: Some(4),
                cursor: None,
            };
            let mut out = Vec::new();
            loop {
                let p = article_list::list(&mut db, &filter, sort, &page)
                    .await
                    .unwrap();
                assert!(p.items.len() <= 4);
                out.extend(p.items);
                match p.next_cursor {
                    Some(c) => page.cursor = Some(c),
                    None => break,
                }
            }
            out
        }
    };
    let by_update = all(ArticleFilter::default(), ArticleSort::Updated).await;
    assert_eq!(by_update.len(), 23, "no gaps, no repeats");
    let updated: Vec<_> = by_update.iter().map(|a| (a.updated_at, a.id)).collect();
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted);

    let by_solved = all(ArticleFilter::default(), ArticleSort::Solved).await;
    assert_eq!(by_solved.len(), 23);
    let solved: Vec<_> = by_solved.iter().map(|a| (a.solved_count, a.id)).collect();
    let mut sorted = solved.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(solved, sorted);
    assert_eq!(solved[0].0, 4);

    let customers = all(
        ArticleFilter {
            customers_only: true,
            ..Default::default()
        },
        ArticleSort::Updated,
    )
    .await;
    let expected = (0..23).filter(|i| i % 2 == 1 && i % 3 != 0).count();
    assert_eq!(customers.len(), expected);
    assert!(customers.iter().all(
        |a| a.status == ArticleStatus::Published && a.visibility != ArticleVisibility::Internal
    ));

    let count = |filter: ArticleFilter| {
        let all = &all;
        async move { all(filter, ArticleSort::Updated).await.len() }
    };
    let f = ArticleFilter::default;
    assert_eq!(
        count(ArticleFilter {
            status: Some(ArticleStatus::Draft),
            ..f()
        })
        .await,
        12
    );
    assert_eq!(
        count(ArticleFilter {
            visibility: Some(ArticleVisibility::Public),
            ..f()
        })
        .await,
        7
    );
    assert_eq!(
        count(ArticleFilter {
            product: Some(p1.id),
            ..f()
        })
        .await,
        5
    );
    assert_eq!(
        count(ArticleFilter {
            language: Some(Language::En),
            ..f()
        })
        .await,
        11
    );
    assert_eq!(
        count(ArticleFilter {
            tag: Some("网络".into()),
            ..f()
        })
        .await,
        6
    );
    // `_` is not a wildcard: "a_b" does not find "axb".
    assert_eq!(
        count(ArticleFilter {
            tag: Some("a_b".into()),
            ..f()
        })
        .await,
        6
    );

    let first = article_list::list(
        &mut db,
        &ArticleFilter::default(),
        ArticleSort::Solved,
        &PageRequest {
            limit: Some(2),
            cursor: None,
        },
    )
    .await
    .unwrap();
    let crossed = article_list::list(
        &mut db,
        &ArticleFilter::default(),
        ArticleSort::Updated,
        &PageRequest {
            limit: Some(2),
            cursor: first.next_cursor,
        },
    )
    .await;
    assert!(matches!(crossed, Err(StoreError::InvalidCursor)));
    assert_eq!(ids.len(), 23);
}

async fn feedback_moves_the_counts(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let author = staff(&mut db, "author@vendor.test").await;
    let reader = staff(&mut db, "reader@vendor.test").await;
    let other = staff(&mut db, "other@vendor.test").await;
    let c = content(
        ArticleVisibility::Public,
        &[],
        vec![text(Language::En, "t")],
        &[],
    );
    let id = articles::insert(&mut db, &c, author, at(0)).await.unwrap();
    let counts = |a: &casebook_domain::knowledge::Article| (a.solved_count, a.not_solved_count);
    let steps = [
        (reader, true, (1, 0)),
        (reader, true, (1, 0)),
        (reader, false, (0, 1)),
        (other, false, (0, 2)),
        (other, true, (1, 1)),
    ];
    for (user, solved, expected) in steps {
        articles::give_feedback(&mut db, id, user, solved, "comment", at(1))
            .await
            .unwrap();
        let article = articles::get(&mut db, id).await.unwrap().unwrap();
        assert_eq!(counts(&article), expected);
        assert_eq!(
            article.version, 1,
            "votes do not change the article's version"
        );
    }
    assert_eq!(
        articles::feedback_of(&mut db, id, reader).await.unwrap(),
        Some(false)
    );
    assert_eq!(
        articles::feedback_of(&mut db, id, author).await.unwrap(),
        None
    );
    db.commit().await.unwrap();
}

async fn contact(
    db: &mut Db,
    org: casebook_domain::ids::OrganizationId,
    name: &str,
    email: Option<&str>,
) -> casebook_domain::ids::ContactId {
    let new = NewContact {
        organization_id: org,
        name,
        email,
        phone: None,
        can_open_cases: true,
    };
    contacts::insert(db, &new, at(0)).await.unwrap().id
}

async fn unit(
    db: &mut Db,
    org: casebook_domain::ids::OrganizationId,
    product: &Product,
    serial: &str,
    version: Option<&str>,
) -> Unit {
    let unit = Unit {
        id: Id::new(0),
        organization_id: org,
        site: None,
        serial_number: serial.into(),
        product: NamedRef {
            id: product.id,
            name: product.name.clone(),
        },
        product_version: version.map(Into::into),
        patch_level: None,
        operating_system: None,
        notes: String::new(),
        retired_at: None,
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    let id = units::insert(db, &unit, at(0)).await.unwrap();
    units::get(db, id).await.unwrap().unwrap()
}

async fn alerts_reach_subscribers_and_affected_installations(backend: TestBackend) {
    let t = TestDb::create(backend).await;
    let mut db = t.store.write().await.unwrap();
    let author = staff(&mut db, "author@vendor.test").await;
    let affected = product(&mut db, "Affected", &["9.0", "9.1"]).await;
    let other = product(&mut db, "Other", &[]).await;
    let a = organization(&mut db, "CN-A", "Alpha").await;
    let b = organization(&mut db, "CN-B", "Beta").await;
    let c = organization(&mut db, "CN-C", "Gamma").await;
    let subscriber = contact(&mut db, a.id, "subscriber", Some("s@a.test")).await;
    let a_other = contact(&mut db, a.id, "colleague", Some("c@a.test")).await;
    let b1 = contact(&mut db, b.id, "b one", Some("one@b.test")).await;
    let b2 = contact(&mut db, b.id, "b two", Some("two@b.test")).await;
    contact(&mut db, b.id, "no address", None).await;
    let gone = contact(&mut db, b.id, "archived", Some("gone@b.test")).await;
    let mut archived = contacts::get(&mut db, gone).await.unwrap().unwrap();
    archived.archived_at = Some(at(1));
    contacts::update(&mut db, &archived, at(1)).await.unwrap();
    let c1 = contact(&mut db, c.id, "c one", Some("one@c.test")).await;

    article_alerts::set_subscriptions(&mut db, subscriber, &[affected.id, other.id], at(1))
        .await
        .unwrap();
    article_alerts::set_subscriptions(&mut db, subscriber, &[affected.id], at(2))
        .await
        .unwrap();
    let subs = article_alerts::subscriptions_of(&mut db, subscriber)
        .await
        .unwrap();
    assert_eq!(
        subs.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![affected.id]
    );
    // B runs an affected version; C runs a version the article does not name.
    unit(&mut db, b.id, &affected, "SN-B", Some("9.0")).await;
    unit(&mut db, c.id, &affected, "SN-C", Some("9.1")).await;
    let mut retired = unit(&mut db, c.id, &affected, "SN-C2", Some("9.0")).await;
    retired.retired_at = Some(at(3));
    units::update(&mut db, &retired, at(3)).await.unwrap();

    let c_versions = content(
        ArticleVisibility::Customers,
        &[],
        vec![text(Language::En, "alert")],
        &[(&affected, &["9.0"])],
    );
    let id = articles::insert(&mut db, &c_versions, author, at(4))
        .await
        .unwrap();
    let article = articles::get(&mut db, id).await.unwrap().unwrap();
    let to = article_alerts::alert_recipients(&mut db, id, &article.products)
        .await
        .unwrap();
    let ids: Vec<_> = to.iter().map(|r| r.contact).collect();
    assert_eq!(ids, vec![subscriber, b1, b2]);
    assert_eq!(to[1].email, "one@b.test");

    let every_version = content(
        ArticleVisibility::Customers,
        &[],
        vec![text(Language::En, "alert")],
        &[(&affected, &[])],
    );
    articles::update(&mut db, id, 1, &every_version, ArticleStatus::Draft, at(5))
        .await
        .unwrap();
    let article = articles::get(&mut db, id).await.unwrap().unwrap();
    let to = article_alerts::alert_recipients(&mut db, id, &article.products)
        .await
        .unwrap();
    let ids: Vec<_> = to.iter().map(|r| r.contact).collect();
    assert_eq!(ids, vec![subscriber, b1, b2, c1]);
    assert!(!ids.contains(&a_other), "A has no unit, only a subscriber");
    db.commit().await.unwrap();
}
