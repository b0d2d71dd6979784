//! "Create an article from this case": a solved case (solution proposed or closed) becomes a
//! draft — its title, its description as the symptom, its environment (product, version, patch
//! level, operating system, the environment field) in the body, the proposed solution as the
//! resolution; the cause is left to the author. The customer's names (the organisation's name
//! and customer number, the names of its contacts and users), e-mail addresses and telephone
//! numbers are replaced by placeholders. The draft links back to the case, and the case lists
//! the articles linked to it.

use casebook_domain::case::Case;
use casebook_domain::knowledge::redact::{Placeholder, Redactor};
use casebook_domain::knowledge::{
    Article, ArticleDraft, ArticleProductDraft, ArticleSummary, ArticleTextDraft,
    ArticleVisibility, Language,
};
use casebook_domain::text::{LongText, ShortText, Title};
use casebook_domain::{CaseNumber, Status};
use casebook_store::contacts::{self, ContactFilter};
use casebook_store::users::{self, UserFilter};
use casebook_store::{Db, Page, PageRequest, article_list, articles, products};
use serde_json::json;

use crate::actions::cases::visible_case;
use crate::actions::knowledge::articles::{catalogue, create_in, shown, writer};
use crate::actions::{ActionError, ActionResult};
use crate::app::App;
use crate::policy::Principal;

/// The articles linked to a case, as the principal may see them.
pub async fn of_case(
    app: &App,
    who: &Principal,
    number: CaseNumber,
    page: &PageRequest,
) -> ActionResult<Page<ArticleSummary>> {
    let mut db = app.store.read().await?;
    let case = visible_case(&mut db, who, number).await?;
    Ok(article_list::of_case(&mut db, case.id, !who.is_staff(), page).await?)
}

/// Writes a draft from a solved case and links it to the case.
pub async fn draft_from_case(
    app: &App,
    who: &Principal,
    number: CaseNumber,
) -> ActionResult<Article> {
    let now = app.clock.now();
    let mut db = app.store.write().await?;
    let case = visible_case(&mut db, who, number).await?;
    writer(who)?;
    if !matches!(case.status, Status::SolutionProposed | Status::Closed) {
        return Err(ActionError::Conflict {
            code: "case_not_solved",
            message: format!(
                "case {number} is {}; an article grows from a case whose solution was proposed or that is closed",
                case.status
            ),
        });
    }
    let solution = articles::solution_of_case(&mut db, case.id).await?;
    let texts = Texts {
        symptom: &case.description,
        cause: "",
        resolution: solution.as_deref().unwrap_or_default(),
    };
    let source = json!({"case": number.to_string()});
    let article = draft_in(&mut db, who, &case, &texts, source, now).await?;
    db.commit().await?;
    Ok(article)
}

/// What a draft says beside the case's title and environment.
pub(crate) struct Texts<'a> {
    /// The symptom.
    pub symptom: &'a str,
    /// The cause.
    pub cause: &'a str,
    /// The resolution.
    pub resolution: &'a str,
}

/// In a write transaction: a draft from a case with these texts, the customer's names
/// removed, linked to the case (for a case, or a fault-handling report of one).
pub(crate) async fn draft_in(
    db: &mut Db,
    who: &Principal,
    case: &Case,
    texts: &Texts<'_>,
    source: serde_json::Value,
    now: casebook_domain::Timestamp,
) -> ActionResult<Article> {
    let author = writer(who)?;
    let language = Language::detect(&format!("{} {}", case.title, texts.symptom));
    let redactor = redactor_of(db, case, language).await?;
    let draft = prefill(db, case, &redactor, language, texts).await?;
    let catalogue = catalogue(db, &draft.product_ids()).await?;
    let content = draft
        .validate(&catalogue)
        .map_err(ActionError::Validation)?;
    let article = create_in(db, who, author, &content, Some(source), now).await?;
    articles::link_case(db, article.id, case.id, Some(author), now).await?;
    shown(db, who, article).await
}

/// The customer's names to remove: the organisation's name and number, and the names,
/// addresses and numbers of its contacts and users.
async fn redactor_of(db: &mut Db, case: &Case, language: Language) -> ActionResult<Redactor> {
    let mut r = Redactor::new(language);
    r.term(&case.organization.name, Placeholder::Customer);
    r.term(
        &case.organization.customer_number,
        Placeholder::CustomerNumber,
    );
    if let Some(contact) = &case.contact {
        r.term(&contact.name, Placeholder::Person);
    }
    let org = Some(case.organization.id);
    let filter = ContactFilter {
        organization: org,
        q: None,
        include_archived: true,
    };
    let mut page = PageRequest {
        limit: Some(200),
        cursor: None,
    };
    // Every page: a name that is not read is a name that is not removed.
    loop {
        let found = contacts::list(db, &filter, &page).await?;
        for c in &found.items {
            r.term(&c.name, Placeholder::Person);
            if let Some(email) = &c.email {
                r.term(email, Placeholder::Email);
            }
            if let Some(phone) = &c.phone {
                r.term(phone, Placeholder::Phone);
            }
        }
        match found.next_cursor {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    let filter = UserFilter {
        organization: org,
        include_inactive: true,
        ..UserFilter::default()
    };
    page.cursor = None;
    loop {
        let found = users::list(db, &filter, &page).await?;
        for u in &found.items {
            r.term(&u.name, Placeholder::Person);
            r.term(&u.email, Placeholder::Email);
        }
        match found.next_cursor {
            Some(next) => page.cursor = Some(next),
            None => break,
        }
    }
    Ok(r)
}

/// The first `max` characters.
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The environment of the case as a Markdown list, then its free text.
fn environment(case: &Case, language: Language) -> String {
    let zh = language == Language::ZhCn;
    let mut lines = Vec::new();
    let mut line = |label_zh: &str, label_en: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            let label = if zh { label_zh } else { label_en };
            let colon = if zh { "：" } else { ": " };
            lines.push(format!("- {label}{colon}{value}"));
        }
    };
    let product = case.product.as_ref().map(|p| match &case.product_version {
        Some(v) => format!("{} {v}", p.name),
        None => p.name.clone(),
    });
    line("产品", "Product", product.as_deref());
    line("补丁级别", "Patch level", case.patch_level.as_deref());
    line(
        "操作系统",
        "Operating system",
        case.operating_system.as_deref(),
    );
    let free = case.environment.trim();
    if lines.is_empty() && free.is_empty() {
        return String::new();
    }
    let heading = if zh { "## 环境" } else { "## Environment" };
    let mut out = format!("{heading}\n\n{}", lines.join("\n"));
    if !free.is_empty() {
        out.push_str("\n\n");
        out.push_str(free);
    }
    out.trim().to_owned()
}

/// The draft's fields from the case, without the customer's names.
async fn prefill(
    db: &mut Db,
    case: &Case,
    redactor: &Redactor,
    language: Language,
    texts: &Texts<'_>,
) -> ActionResult<ArticleDraft> {
    let invalid = |field: &str, e: casebook_domain::ValidationError| {
        ActionError::Validation(vec![e.on(field)])
    };
    let long = |text: &str| LongText::parse(&cut(&redactor.apply(text), 100_000));
    let text = ArticleTextDraft {
        language,
        title: Title::parse(&cut(&redactor.apply(&case.title), 200))
            .map_err(|e| invalid("title", e))?,
        symptom: long(texts.symptom).map_err(|e| invalid("symptom", e))?,
        cause: long(texts.cause).map_err(|e| invalid("cause", e))?,
        resolution: long(texts.resolution).map_err(|e| invalid("resolution", e))?,
        body: long(&environment(case, language)).map_err(|e| invalid("body", e))?,
    };
    let mut products_named = Vec::new();
    if let Some(product) = &case.product
        && let Some(known) = products::get(db, product.id).await?
    {
        let versions = case
            .product_version
            .iter()
            .filter(|v| known.versions.iter().any(|k| &k.version == *v))
            .filter_map(|v| ShortText::parse(v).ok())
            .collect();
        products_named.push(ArticleProductDraft {
            product_id: product.id,
            versions,
        });
    }
    Ok(ArticleDraft {
        visibility: ArticleVisibility::Internal,
        alert: false,
        tags: Vec::new(),
        texts: vec![text],
        products: products_named,
    })
}
