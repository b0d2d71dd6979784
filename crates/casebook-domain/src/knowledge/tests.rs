//! Tests of the knowledge base's rules: names, the lifecycle, and what a draft must be.

use jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::directory::{Product, ProductVersion};
use crate::error::FieldError;
use crate::ids::Id;

fn catalogue() -> Vec<Product> {
    let version = |id: i64, v: &str| ProductVersion {
        id: Id::new(id),
        version: v.into(),
        released_on: None,
        end_of_marketing_on: None,
        end_of_support_on: None,
    };
    vec![Product {
        id: Id::new(7),
        name: "Huaxin DB".into(),
        vendor: "Huaxin".into(),
        versions: vec![version(1, "9.0"), version(2, "9.1")],
        archived_at: None,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
        version: 1,
    }]
}

fn draft(value: serde_json::Value) -> Result<ArticleDraft, serde_json::Error> {
    serde_json::from_value(value)
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn names_round_trip() {
    for s in ArticleStatus::ALL {
        assert_eq!(s.as_str().parse::<ArticleStatus>().unwrap(), *s);
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    for v in ArticleVisibility::ALL {
        assert_eq!(v.as_str().parse::<ArticleVisibility>().unwrap(), *v);
    }
    assert_eq!(
        serde_json::to_value(Language::ZhCn).unwrap(),
        json!("zh-CN")
    );
    assert_eq!("en".parse::<Language>().unwrap(), Language::En);
    assert!("zh".parse::<Language>().is_err());
    assert!("in review".parse::<ArticleStatus>().is_err());
}

#[test]
fn language_follows_the_script() {
    assert_eq!(
        Language::detect("数据库 connection refused"),
        Language::ZhCn
    );
    assert_eq!(
        Language::detect("connection refused (ORA-12541)"),
        Language::En
    );
}

#[test]
fn customers_read_only_published_articles_for_them() {
    use ArticleStatus::*;
    use ArticleVisibility::*;
    assert!(readable_by_customers(Published, Customers));
    assert!(readable_by_customers(Published, Public));
    assert!(!readable_by_customers(Published, Internal));
    for status in [Draft, InReview, Retired] {
        assert!(!readable_by_customers(status, Public), "{status}");
    }
}

#[test]
fn the_lifecycle_needs_a_second_pair_of_eyes() {
    use ArticleStatus::*;
    let (author, reviewer) = (Id::new(1), Id::new(2));
    assert_eq!(
        review(Draft, ReviewStep::Submit, &[author], author),
        Ok(InReview)
    );
    assert_eq!(
        review(InReview, ReviewStep::Publish, &[author], author),
        Err(ArticleError::ReviewerIsAuthor)
    );
    assert_eq!(
        review(InReview, ReviewStep::Reject, &[author], author),
        Err(ArticleError::ReviewerIsAuthor)
    );
    assert_eq!(
        review(InReview, ReviewStep::Publish, &[author], reviewer),
        Ok(Published)
    );
    assert_eq!(
        review(InReview, ReviewStep::Reject, &[author], reviewer),
        Ok(Draft)
    );
    assert_eq!(
        review(Published, ReviewStep::Retire, &[author], author),
        Ok(Retired)
    );
    assert_eq!(
        review(Published, ReviewStep::Revise, &[author], author),
        Ok(Draft)
    );
    assert_eq!(
        review(Retired, ReviewStep::Revise, &[author], reviewer),
        Ok(Draft)
    );
    let refused = review(Draft, ReviewStep::Publish, &[author], reviewer).unwrap_err();
    assert_eq!(refused.code(), "article_transition_not_allowed");
    assert_eq!(
        refused.to_string(),
        "an article that is draft cannot be published; only an article that is in_review can"
    );
    for (from, step) in [
        (InReview, ReviewStep::Submit),
        (Published, ReviewStep::Submit),
        (Draft, ReviewStep::Retire),
        (Retired, ReviewStep::Retire),
        (Draft, ReviewStep::Revise),
        (Published, ReviewStep::Reject),
    ] {
        assert!(
            review(from, step, &[author], reviewer).is_err(),
            "{from} {step}"
        );
    }
}

fn article(author: i64, edited_by: Option<i64>, contributors: &[i64]) -> Article {
    let user = |id: i64| NamedRef {
        id: Id::new(id),
        name: format!("user{id}"),
    };
    Article {
        id: Id::new(1),
        status: ArticleStatus::InReview,
        visibility: ArticleVisibility::Internal,
        alert: false,
        tags: Vec::new(),
        texts: Vec::new(),
        products: Vec::new(),
        cases: Vec::new(),
        author: user(author),
        edited_by: edited_by.map(user),
        contributors: contributors.iter().copied().map(Id::new).collect(),
        reviewer: None,
        review_note: None,
        submitted_at: None,
        approved_at: None,
        published_at: None,
        retired_at: None,
        alert_sent_at: None,
        solved_count: 0,
        not_solved_count: 0,
        my_feedback: None,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
        version: 1,
    }
}

#[test]
fn nobody_who_wrote_changed_or_submitted_the_text_reviews_it() {
    use ArticleStatus::*;
    let (a, b, c, d) = (Id::new(1), Id::new(2), Id::new(3), Id::new(4));
    // A wrote it, B changed it and submitted it: neither A nor B may review it, C may.
    let edited = article(1, Some(2), &[1, 2]);
    assert_eq!(edited.writers(), vec![a, b]);
    for step in [ReviewStep::Publish, ReviewStep::Reject] {
        for by in [a, b] {
            assert_eq!(
                review(InReview, step, &edited.writers(), by),
                Err(ArticleError::ReviewerIsAuthor),
                "{step} by {by:?}"
            );
        }
    }
    assert_eq!(
        review(InReview, ReviewStep::Publish, &edited.writers(), c),
        Ok(Published)
    );
    // B changed it, then A changed it again and submitted it: B's text is still under review.
    let rewritten = article(1, Some(1), &[1, 2]);
    assert_eq!(
        review(InReview, ReviewStep::Publish, &rewritten.writers(), b),
        Err(ArticleError::ReviewerIsAuthor)
    );
    // D submitted a revised article without changing it (the contributors were forgotten at the
    // last publication, when B's and C's text was reviewed).
    let resubmitted = article(1, Some(4), &[4]);
    assert_eq!(resubmitted.writers(), vec![a, d]);
    assert_eq!(
        review(InReview, ReviewStep::Publish, &resubmitted.writers(), d),
        Err(ArticleError::ReviewerIsAuthor)
    );
    assert_eq!(
        review(InReview, ReviewStep::Reject, &resubmitted.writers(), b),
        Ok(Draft)
    );
    // Other steps are not the review: a writer may submit, retire or revise.
    assert_eq!(
        review(Draft, ReviewStep::Submit, &edited.writers(), b),
        Ok(InReview)
    );
    let refused = ArticleError::ReviewerIsAuthor;
    assert_eq!(refused.code(), "reviewer_is_author");
    assert!(
        refused
            .to_string()
            .contains("the reviewer must be someone who did not write or change the text"),
        "{refused}"
    );
}

#[test]
fn edits_return_an_article_in_review_to_draft() {
    use ArticleStatus::*;
    assert_eq!(after_edit(Draft), Ok(Draft));
    assert_eq!(after_edit(InReview), Ok(Draft));
    assert_eq!(
        after_edit(Published).unwrap_err().code(),
        "article_not_editable"
    );
    assert!(after_edit(Retired).is_err());
}

#[test]
fn a_good_draft_is_normalised() {
    let d = draft(json!({
        "visibility": "customers", "alert": true, "tags": ["Oracle", "oracle", " 网络 "],
        "texts": [
            {"language": "zh-CN", "title": " 数据库连接失败 ", "body": "**重启** 监听"},
            {"language": "en", "title": "Connection refused"}
        ],
        "products": [{"product_id": 7, "versions": ["9.1", "9.1"]}]
    }))
    .unwrap();
    assert_eq!(d.product_ids(), vec![Id::new(7)]);
    let content = d.validate(&catalogue()).unwrap();
    assert_eq!(content.tags, vec!["oracle", "网络"]);
    assert_eq!(content.texts[0].language, Language::ZhCn);
    assert_eq!(content.texts[0].title, "数据库连接失败");
    assert_eq!(content.products[0].product.name, "Huaxin DB");
    assert_eq!(content.products[0].versions, vec!["9.1"]);
}

#[test]
fn bad_fields_are_refused_at_parsing() {
    let long = "x".repeat(201);
    let cases = [
        json!({"texts": [{"language": "zh-CN", "title": ""}]}),
        json!({"texts": [{"language": "zh-CN", "title": long}]}),
        json!({"texts": [{"language": "fr", "title": "t"}]}),
        json!({"visibility": "everyone", "texts": [{"language": "en", "title": "t"}]}),
        json!({"tags": ["a\"b"], "texts": [{"language": "en", "title": "t"}]}),
        json!({"tags": ["x".repeat(41)], "texts": [{"language": "en", "title": "t"}]}),
        json!({"texts": [{"language": "en", "title": "t", "body": "b".repeat(100_001)}]}),
        json!({"texts": [{"language": "en", "title": "t", "extra": 1}]}),
    ];
    for value in cases {
        assert!(draft(value.clone()).is_err(), "{value}");
    }
}

#[test]
fn bad_drafts_name_every_field() {
    let many_tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let d = draft(json!({
        "tags": many_tags, "alert": true,
        "texts": [{"language": "en", "title": "a"}, {"language": "en", "title": "b"}],
        "products": [
            {"product_id": 7, "versions": ["9.0", "10.0"]},
            {"product_id": 8},
            {"product_id": 7}
        ]
    }))
    .unwrap();
    let errors = d.validate(&catalogue()).unwrap_err();
    assert_eq!(
        fields(&errors),
        vec![
            "tags",
            "texts[1].language",
            "products[0].versions[1]",
            "products[1].product_id",
            "products[2].product_id",
            "alert"
        ]
    );
    let empty = draft(json!({"texts": []})).unwrap();
    let errors = empty.validate(&catalogue()).unwrap_err();
    assert_eq!(fields(&errors), vec!["texts"]);
    assert_eq!(errors[0].code, "required");
}

#[test]
fn a_patch_changes_only_what_it_names() {
    let content = draft(json!({"texts": [{"language": "en", "title": "t"}], "tags": ["a"]}))
        .unwrap()
        .validate(&catalogue())
        .unwrap();
    let patch: ArticlePatch = serde_json::from_value(json!({
        "visibility": "public", "products": [{"product_id": 7}], "version": 3
    }))
    .unwrap();
    assert_eq!(patch.product_ids(), vec![Id::new(7)]);
    let next = patch.apply(content.clone(), &catalogue()).unwrap();
    assert_eq!(next.visibility, ArticleVisibility::Public);
    assert_eq!(next.texts, content.texts);
    assert_eq!(next.tags, vec!["a"]);
    assert!(next.products[0].versions.is_empty());
    let without_version: Result<ArticlePatch, _> = serde_json::from_value(json!({"alert": true}));
    assert!(
        without_version.is_err(),
        "a patch says which version it changes"
    );
    let alert: ArticlePatch = serde_json::from_value(json!({"alert": true, "version": 1})).unwrap();
    let errors = alert.apply(content, &catalogue()).unwrap_err();
    assert_eq!(fields(&errors), vec!["alert"]);
}
