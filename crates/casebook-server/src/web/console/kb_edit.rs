//! The article form of the console (`/console/kb/new`, `/console/kb/{id}/edit`): visibility,
//! the alert flag, tags, the products with their versions, and per language (zh-CN, en) the
//! title, symptom, cause, resolution and Markdown body. The fields become the API's JSON draft
//! or patch, parsed into the same domain types, so the same rules name a refused field; a
//! language whose fields are all empty is left out. A stale version keeps what was typed and
//! says so, carrying the current version so that sending again overwrites.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use casebook_domain::Named;
use casebook_domain::directory::Product;
use casebook_domain::ids::ArticleId;
use casebook_domain::knowledge::{Article, ArticleDraft, ArticlePatch, ArticleVisibility};
use serde_json::{Value, json};

use super::kb::article_id;
use super::kb_review::kb_refusal;
use crate::actions::{ActionError, knowledge::articles};
use crate::app::AppState;
use crate::web::choices;
use crate::web::forms::{parse, typed_value};
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Staff, Viewer, WebResult};

/// The languages of the form: `(code, message key)`.
const LANGUAGES: [(&str, &str); 2] = [("zh-CN", "kb-language-zh-CN"), ("en", "kb-language-en")];
/// The parts of a text.
const PARTS: [&str; 5] = ["title", "symptom", "cause", "resolution", "body"];

/// The fields of the form, as typed.
type Fields = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "console/kb_edit.html")]
struct EditPage {
    ctx: Ctx,
    /// The article being edited (none: a new one).
    id: Option<ArticleId>,
    values: Fields,
    products: Vec<Product>,
    visibilities: &'static [ArticleVisibility],
    languages: [(&'static str, &'static str); 2],
    errors: Vec<String>,
}

impl EditPage {
    fn value(&self, name: &str) -> String {
        typed_value(&self.values, name)
    }

    fn text(&self, language: &str, part: &str) -> String {
        self.value(&format!("{language}-{part}"))
    }

    fn ticked(&self, product: &Product) -> bool {
        let id = product.id.to_string();
        self.values.iter().any(|(n, v)| n == "product" && *v == id)
    }

    fn versions(&self, product: &Product) -> String {
        self.value(&format!("versions-{}", product.id))
    }

    fn known_versions(&self, product: &Product) -> String {
        product
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/console/kb/{id}/edit"),
            None => "/console/kb/new".into(),
        }
    }
}

/// The form's fields of a stored article.
fn fields_of(article: &Article) -> Fields {
    let mut f: Fields = vec![
        ("visibility".into(), article.visibility.as_str().into()),
        ("tags".into(), article.tags.join(", ")),
        ("version".into(), article.version.to_string()),
    ];
    if article.alert {
        f.push(("alert".into(), "1".into()));
    }
    for p in &article.products {
        f.push(("product".into(), p.product.id.to_string()));
        f.push((format!("versions-{}", p.product.id), p.versions.join(", ")));
    }
    for t in &article.texts {
        let code = t.language.as_str();
        for (part, value) in [
            ("title", &t.title),
            ("symptom", &t.symptom),
            ("cause", &t.cause),
            ("resolution", &t.resolution),
            ("body", &t.body),
        ] {
            f.push((format!("{code}-{part}"), value.clone()));
        }
    }
    f
}

/// Splits a list typed with commas (also Chinese ones) into its items.
fn items(raw: &str) -> Vec<String> {
    raw.split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The JSON document of the form: what a draft and a patch share.
fn document(values: &Fields) -> Value {
    let get = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let texts: Vec<Value> = LANGUAGES
        .iter()
        .filter(|(code, _)| {
            PARTS
                .iter()
                .any(|p| !get(&format!("{code}-{p}")).trim().is_empty())
        })
        .map(|(code, _)| {
            let mut text = json!({"language": code});
            for part in PARTS {
                text[part] = Value::from(get(&format!("{code}-{part}")).trim());
            }
            text
        })
        .collect();
    let products: Vec<Value> = values
        .iter()
        .filter(|(n, _)| n == "product")
        .map(|(_, id)| {
            let product_id = id.trim().parse::<i64>().map_or(Value::Null, Value::from);
            json!({"product_id": product_id, "versions": items(get(&format!("versions-{}", id.trim())))})
        })
        .collect();
    json!({
        "visibility": get("visibility"),
        "alert": get("alert") == "1",
        "tags": items(get("tags")),
        "texts": texts,
        "products": products,
    })
}

async fn page(
    app: &AppState,
    viewer: &Viewer,
    id: Option<ArticleId>,
    values: Fields,
    errors: Vec<String>,
) -> Result<EditPage, ActionError> {
    let products = choices::products(app, &viewer.who).await?;
    Ok(EditPage {
        ctx: viewer.ctx.clone(),
        id,
        values,
        products,
        visibilities: ArticleVisibility::ALL,
        languages: LANGUAGES,
        errors,
    })
}

/// The form again with the refusal and what was typed.
async fn refused(
    app: &AppState,
    viewer: &Viewer,
    id: Option<ArticleId>,
    mut values: Fields,
    err: ActionError,
) -> WebResult<Response> {
    if matches!(err, ActionError::StaleVersion)
        && let Some(id) = id
    {
        // Carry the current version, so that sending the form again overwrites.
        let current = articles::get(app, &viewer.who, id)
            .await
            .map_err(|e| viewer.fail(e))?;
        values.retain(|(n, _)| n != "version");
        values.push(("version".into(), current.version.to_string()));
    }
    let (status, errors) = kb_refusal(viewer, err)?;
    let page = page(app, viewer, id, values, errors)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(status, &page))
}

/// `GET /console/kb/new`.
pub async fn new(State(app): State<AppState>, Staff(viewer): Staff) -> WebResult<Response> {
    let values = vec![("visibility".into(), "internal".into())];
    let page = page(&app, &viewer, None, values, Vec::new())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /console/kb/new`: writes the draft, then shows it.
pub async fn create(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Form(values): Form<Fields>,
) -> WebResult<Response> {
    let csrf = values.iter().find(|(n, _)| n == "_csrf").map(|(_, v)| v);
    viewer.check_csrf(csrf.map(String::as_str))?;
    let result = match parse::<ArticleDraft>(document(&values)) {
        Ok(draft) => articles::create(&app, &viewer.who, draft).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(article) => {
            Ok(Redirect::to(&format!("/console/kb/{}?done=saved", article.id)).into_response())
        }
        Err(err) => refused(&app, &viewer, None, values, err).await,
    }
}

/// `GET /console/kb/{id}/edit`.
pub async fn edit(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    let article = articles::get(&app, &viewer.who, id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let errors = match article.status.as_str() {
        "draft" | "in_review" => Vec::new(),
        _ => vec![viewer.ctx.t("kb-error-article_not_editable")],
    };
    let page = page(&app, &viewer, Some(id), fields_of(&article), errors)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /console/kb/{id}/edit`: changes the article, then shows it.
pub async fn save(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    Path(raw): Path<String>,
    Form(values): Form<Fields>,
) -> WebResult<Response> {
    let id = article_id(&viewer, &raw)?;
    let csrf = values.iter().find(|(n, _)| n == "_csrf").map(|(_, v)| v);
    viewer.check_csrf(csrf.map(String::as_str))?;
    let mut doc = document(&values);
    let version = values
        .iter()
        .find(|(n, _)| n == "version")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok());
    doc["version"] = version.map_or(Value::Null, Value::from);
    let result = match parse::<ArticlePatch>(doc) {
        Ok(patch) => articles::update(&app, &viewer.who, id, patch).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/kb/{id}?done=saved")).into_response()),
        Err(err) => refused(&app, &viewer, Some(id), values, err).await,
    }
}
