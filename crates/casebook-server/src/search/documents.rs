//! Index documents made from the database's current rows, a batch of ids of one kind at a time.
//! An id whose row is gone yields no document, so applying a change always means "delete the
//! document, then add what the row says now".

use std::collections::HashMap;

use casebook_domain::CaseNumber;
use casebook_store::search::{self as feed, Kind};
use casebook_store::{Db, StoreResult};
use tantivy::TantivyDocument;

use super::schema::Fields;

/// The most text of one field kept for one object (a long case's later replies are cut).
const MAX_FIELD_CHARS: usize = 64 * 1024;

/// The documents of these objects of one kind, as the database holds them now.
pub async fn load(
    db: &mut Db,
    f: &Fields,
    kind: Kind,
    ids: &[i64],
) -> StoreResult<Vec<(i64, TantivyDocument)>> {
    match kind {
        Kind::Case => cases(db, f, ids).await,
        Kind::Article => articles(db, f, ids).await,
        Kind::Organization => Ok(feed::organizations(db, ids)
            .await?
            .into_iter()
            .map(|o| {
                let mut d = base(f, kind, o.id, o.id, o.updated_at.0.as_millisecond());
                d.add_text(f.number, &o.customer_number);
                d.add_text(f.audience, "customers");
                d.add_text(f.status, if o.archived { "archived" } else { "active" });
                d.add_text(f.title, &o.name);
                d.add_text(f.body, format!("{} {}", o.customer_number, o.address));
                d.add_text(f.internal, cap(o.notes));
                (o.id, d)
            })
            .collect()),
        Kind::Contact => Ok(feed::contacts(db, ids)
            .await?
            .into_iter()
            .map(|c| {
                let mut d = base(
                    f,
                    kind,
                    c.id,
                    c.organization_id,
                    c.updated_at.0.as_millisecond(),
                );
                d.add_text(f.audience, "customers");
                d.add_text(f.status, if c.archived { "archived" } else { "active" });
                d.add_text(f.title, &c.name);
                let email = c.email.unwrap_or_default();
                let phone = c.phone.unwrap_or_default();
                d.add_text(f.body, format!("{email} {phone} {}", c.organization_name));
                if !email.is_empty() {
                    d.add_text(f.number, email.to_lowercase());
                }
                (c.id, d)
            })
            .collect()),
        Kind::Unit => Ok(feed::units(db, ids)
            .await?
            .into_iter()
            .map(|u| {
                let mut d = base(
                    f,
                    kind,
                    u.id,
                    u.organization_id,
                    u.updated_at.0.as_millisecond(),
                );
                d.add_text(f.number, &u.serial_number);
                d.add_text(f.audience, "customers");
                d.add_text(f.status, if u.retired { "retired" } else { "active" });
                d.add_u64(f.product, u.product_id as u64);
                d.add_text(f.title, format!("{} {}", u.serial_number, u.product_name));
                let body = [
                    u.product_version,
                    u.patch_level,
                    u.operating_system,
                    u.site_name,
                    Some(u.organization_name),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                d.add_text(f.body, body);
                d.add_text(f.internal, cap(u.notes));
                (u.id, d)
            })
            .collect()),
    }
}

fn base(f: &Fields, kind: Kind, id: i64, org: i64, updated: i64) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.key, key(kind, id));
    d.add_text(f.kind, kind.as_str());
    d.add_u64(f.id, id as u64);
    d.add_u64(f.org, org as u64);
    d.add_i64(f.updated, updated);
    d
}

/// The unique key of an object's document.
pub fn key(kind: Kind, id: i64) -> String {
    format!("{}:{id}", kind.as_str())
}

async fn cases(db: &mut Db, f: &Fields, ids: &[i64]) -> StoreResult<Vec<(i64, TantivyDocument)>> {
    let rows = feed::cases(db, ids).await?;
    let mut texts: HashMap<i64, (String, String)> = HashMap::new();
    for t in feed::case_texts(db, ids).await? {
        let (public, internal) = texts.entry(t.case_id).or_default();
        let into = if t.visibility == "public" {
            public
        } else {
            internal
        };
        if into.len() < MAX_FIELD_CHARS {
            into.push_str(&t.body);
            into.push('\n');
        }
    }
    Ok(rows
        .into_iter()
        .map(|c| {
            let mut d = base(
                f,
                Kind::Case,
                c.id,
                c.organization_id,
                c.updated_at.0.as_millisecond(),
            );
            if let Ok(number) = CaseNumber::new(c.year as i16, c.seq) {
                d.add_text(f.number, number.to_string());
            }
            d.add_u64(f.opened_by, c.opened_by.unwrap_or(0) as u64);
            d.add_u64(f.contact, c.contact_id.unwrap_or(0) as u64);
            d.add_text(f.audience, "customers");
            d.add_text(f.status, &c.status);
            d.add_u64(f.severity, c.severity as u64);
            if let Some(p) = c.product_id {
                d.add_u64(f.product, p as u64);
            }
            d.add_text(f.title, &c.title);
            let (public, internal) = texts.remove(&c.id).unwrap_or_default();
            let environment = [
                c.product_name,
                c.product_version,
                c.patch_level,
                c.operating_system,
                Some(c.environment),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            d.add_text(
                f.body,
                cap(format!("{}\n{environment}\n{public}", c.description)),
            );
            d.add_text(
                f.internal,
                cap(format!(
                    "{internal}\n{} {}",
                    c.organization_name, c.customer_number
                )),
            );
            (c.id, d)
        })
        .collect())
}

async fn articles(
    db: &mut Db,
    f: &Fields,
    ids: &[i64],
) -> StoreResult<Vec<(i64, TantivyDocument)>> {
    let rows = feed::articles(db, ids).await?;
    let mut texts: HashMap<i64, Vec<feed::ArticleTextRow>> = HashMap::new();
    for t in feed::article_texts(db, ids).await? {
        texts.entry(t.article_id).or_default().push(t);
    }
    let mut products: HashMap<i64, Vec<feed::ArticleProductRow>> = HashMap::new();
    for p in feed::article_products(db, ids).await? {
        products.entry(p.article_id).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|a| {
            let mut d = base(f, Kind::Article, a.id, 0, a.updated_at.0.as_millisecond());
            let audience = match (a.status.as_str(), a.visibility.as_str()) {
                ("published", "public") => "public",
                ("published", "customers") => "customers",
                _ => "staff",
            };
            d.add_text(f.audience, audience);
            d.add_text(f.status, &a.status);
            d.add_u64(f.solved, a.solved_count.max(0) as u64);
            let mut body = String::new();
            for t in texts.remove(&a.id).unwrap_or_default() {
                d.add_text(f.language, &t.language);
                d.add_text(f.title, &t.title);
                for part in [&t.symptom, &t.cause, &t.resolution] {
                    body.push_str(part);
                    body.push('\n');
                }
                body.push_str(&markdown_text(&t.body));
                body.push('\n');
            }
            let tags: Vec<String> = serde_json::from_str(&a.tags).unwrap_or_default();
            body.push_str(&tags.join(" "));
            for p in products.remove(&a.id).unwrap_or_default() {
                d.add_u64(f.product, p.product_id as u64);
                body.push(' ');
                body.push_str(&p.name);
                let versions: Vec<String> = serde_json::from_str(&p.versions).unwrap_or_default();
                for v in versions {
                    body.push(' ');
                    body.push_str(&v);
                }
            }
            d.add_text(f.body, cap(body));
            (a.id, d)
        })
        .collect())
}

/// The words of a Markdown text, without its markup.
fn markdown_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) => {
                out.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out
}

fn cap(mut text: String) -> String {
    if text.len() > MAX_FIELD_CHARS {
        let mut end = MAX_FIELD_CHARS;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_read_as_words() {
        let text = markdown_text("# 标题\n\n**restart** the `listener` <b>now</b>\n\n- one\n- two");
        assert!(text.contains("标题") && text.contains("restart") && text.contains("listener"));
        assert!(!text.contains("**") && !text.contains('#'), "{text}");
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let text = cap("数".repeat(MAX_FIELD_CHARS));
        assert!(text.len() <= MAX_FIELD_CHARS && text.chars().all(|c| c == '数'));
    }
}
