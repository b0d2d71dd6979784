//! Critical-issue alerts (关键问题预警): when an article flagged as an alert is published, one
//! mail per contact it concerns is queued in the outbox in the publishing transaction — the
//! contacts subscribed to one of its products, and the people of the organisations running an
//! affected unit (of a listed version, when versions are listed). Each contact is mailed once
//! per article, in their user's language (else the desk's): the outbox key is the article and
//! the contact, so publishing again after a revision mails only contacts not mailed before.

use std::collections::BTreeSet;

use casebook_domain::Timestamp;
use casebook_domain::knowledge::{Article, ArticleProduct, Language};
use casebook_store::article_alerts::alert_recipients;
use casebook_store::{Db, notifications, users};
use serde_json::json;

use crate::actions::ActionResult;
use crate::actions::notify::case_mail::lang_of;
use crate::actions::notify::templates;
use crate::app::App;
use crate::i18n::Lang;

/// The kind of mail (and template) of an alert.
pub const KIND: &str = "article_alert";

/// How much of the symptom and the resolution a mail quotes.
const QUOTED_CHARS: usize = 2_000;

fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(QUOTED_CHARS).collect();
    format!("{cut}…")
}

fn products_line(products: &[ArticleProduct], lang: Lang) -> String {
    products
        .iter()
        .map(|p| {
            if p.versions.is_empty() {
                let all = match lang {
                    Lang::Zh => "所有版本",
                    Lang::En => "all versions",
                };
                format!("{} ({all})", p.product.name)
            } else {
                format!("{} ({})", p.product.name, p.versions.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Queues the alert mail of a published article; returns how many mails were new.
pub(crate) async fn queue(
    app: &App,
    db: &mut Db,
    article: &Article,
    now: Timestamp,
) -> ActionResult<usize> {
    let people = alert_recipients(db, article.id, &article.products).await?;
    let mut addresses: BTreeSet<String> = BTreeSet::new();
    let mut queued = 0;
    for to in people {
        if !addresses.insert(to.email.to_lowercase()) {
            continue;
        }
        let user = users::of_contact(db, to.contact).await?;
        let lang = lang_of(app, db, user.as_ref()).await?;
        let language = match lang {
            Lang::Zh => Language::ZhCn,
            Lang::En => Language::En,
        };
        let Some(text) = article.text_in(language) else {
            continue;
        };
        let desk = &app.config.desk;
        let ctx = json!({
            "desk": {"name": desk.name, "url": desk.public_url},
            "recipient": {"name": to.name},
            "article": {
                "id": article.id, "title": text.title,
                "products": products_line(&article.products, lang),
                "symptom": quoted(&text.symptom), "resolution": quoted(&text.resolution),
                "url": format!("{}/portal/kb/{}", desk.public_url, article.id),
            },
        });
        let mail = templates::render(db, KIND, lang, &ctx).await?;
        let key = format!("article:{}:alert:contact:{}", article.id, to.contact);
        let added =
            notifications::enqueue_mail(db, KIND, &to.email, &mail.subject, &mail.body, &key, now)
                .await?;
        queued += usize::from(added);
    }
    Ok(queued)
}
