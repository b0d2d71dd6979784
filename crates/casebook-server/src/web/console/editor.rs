//! One way to write a console edit page: a [`Definition`] names the per-object parts (the
//! new and the edit form, the create and update actions, where a saved record goes), and the
//! generic handlers here do the rest for every page alike: the form shown, the CSRF check, the
//! posted form read into the JSON document the API parses (so the same rules apply), the
//! version the person read sent back (a concurrent edit is refused, not overwritten), and a
//! refused form shown again with what was typed and the reasons.
//!
//! A wave-two page declares itself with one `impl` (in `edit_pages.rs`, its fields built next
//! to the page that shows the records) and one `merge` of its routes; the forms post to where
//! they are shown:
//!
//! ```ignore
//! pub struct Widgets;
//!
//! impl Definition for Widgets {
//!     const NEW: &'static str = "/console/organizations/{id}/widgets/new";
//!     const EDIT: &'static str = "/console/widgets/{id}/edit";
//!     type Parent = i64; // what NEW names (`()` when nothing)
//!     type Key = i64; // what EDIT names (a tuple for several)
//!     type Draft = WidgetDraft;
//!     type Patch = WidgetPatch;
//!     type Saved = Widget;
//!
//!     async fn new_form(cx: Cx<'_>, org: &i64) -> Res<Sheet> {
//!         let back = format!("/console/organizations/{org}");
//!         Ok(Sheet::new(cx.t("new-product"), back, widget_fields(None)))
//!     }
//!
//!     async fn create(cx: Cx<'_>, _: &i64, draft: WidgetDraft) -> Res<Widget> {
//!         widgets::create(cx.app, cx.who, draft).await
//!     }
//!
//!     async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
//!         let w = widgets::get(cx.app, cx.who, WidgetId::new(*id)).await?;
//!         let back = format!("/console/widgets/{id}");
//!         Ok(Sheet::new(w.name.clone(), back, widget_fields(Some(&w))).at(w.version))
//!     }
//!
//!     async fn update(cx: Cx<'_>, id: &i64, patch: WidgetPatch) -> Res<Widget> {
//!         widgets::update(cx.app, cx.who, WidgetId::new(*id), patch).await
//!     }
//!
//!     fn saved(w: &Widget) -> String {
//!         format!("/console/widgets/{}", w.id)
//!     }
//! }
//!
//! // in `edit_pages::routes`:
//! .merge(editor::routes::<Widgets>())
//! ```
//!
//! A refusal for a stale version can say something of its own with [`Definition::stale`].

use axum::Form;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;

use super::edit::{EditPage, Field};
use crate::actions::{ActionError, ActionResult as Res};
use crate::app::AppState;
use crate::policy::Principal;
use crate::web::forms::parse;
use crate::web::page::{Ctx, render_status};
use crate::web::session::{Staff, WebResult};

/// A posted edit form: its fields in order, as typed.
pub type Posted = Form<Vec<(String, String)>>;

/// What a page's forms and actions work with: the app, the signed-in person and the page
/// context (language, CSRF token).
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The app.
    pub app: &'a AppState,
    /// Who acts.
    pub who: &'a Principal,
    /// The page context.
    pub ctx: &'a Ctx,
}

impl Cx<'_> {
    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.ctx.t(key)
    }
}

/// An edit form as a page declares it; it posts to the address it is shown at.
pub struct Sheet {
    /// Heading.
    pub title: String,
    /// Where "cancel" goes.
    pub back: String,
    /// The fields.
    pub fields: Vec<Field>,
    /// The record's version (none for a new one).
    pub version: Option<i64>,
}

impl Sheet {
    /// The form of a new record.
    pub fn new(title: String, back: impl Into<String>, fields: Vec<Field>) -> Sheet {
        Sheet {
            title,
            back: back.into(),
            fields,
            version: None,
        }
    }

    /// The form of a record read at `version`.
    pub fn at(self, version: i64) -> Sheet {
        Sheet {
            version: Some(version),
            ..self
        }
    }
}

/// The per-object parts of a console page that creates and edits one kind of record.
pub trait Definition: Send + Sync + 'static {
    /// The address of the new form (`GET` shows it, `POST` creates).
    const NEW: &'static str;
    /// The address of the edit form (`GET` shows it, `POST` updates).
    const EDIT: &'static str;
    /// What the new form's address names: `()`, or the parent's id.
    type Parent: DeserializeOwned + Send + Sync + 'static;
    /// What the edit form's address names: the record's id (or ids).
    type Key: DeserializeOwned + Send + Sync + 'static;
    /// The action's input for a new record.
    type Draft: DeserializeOwned + Send;
    /// The action's input for a change.
    type Patch: DeserializeOwned + Send;
    /// What the create and update actions give back (what [`Definition::saved`] needs).
    type Saved: Send;

    /// The empty form of a new record.
    fn new_form(cx: Cx<'_>, parent: &Self::Parent) -> impl Future<Output = Res<Sheet>> + Send;

    /// Creates the record.
    fn create(
        cx: Cx<'_>,
        parent: &Self::Parent,
        draft: Self::Draft,
    ) -> impl Future<Output = Res<Self::Saved>> + Send;

    /// The form of a record, with its values and version.
    fn edit_form(cx: Cx<'_>, key: &Self::Key) -> impl Future<Output = Res<Sheet>> + Send;

    /// Changes the record.
    fn update(
        cx: Cx<'_>,
        key: &Self::Key,
        patch: Self::Patch,
    ) -> impl Future<Output = Res<Self::Saved>> + Send;

    /// Where a saved record goes.
    fn saved(saved: &Self::Saved) -> String;

    /// What a stale version says, shown with `409 Conflict`; `None` (the default) shows it as
    /// any other refusal.
    fn stale(_ctx: &Ctx) -> Option<String> {
        None
    }
}

/// The routes of a page: its new and its edit form.
pub fn routes<D: Definition>() -> Router<AppState> {
    Router::new()
        .route(D::NEW, get(new::<D>).post(create::<D>))
        .route(D::EDIT, get(edit::<D>).post(update::<D>))
}

/// The page of a form, posting to where it is shown.
async fn shown(
    staff: &Staff,
    uri: &OriginalUri,
    sheet: impl Future<Output = Res<Sheet>>,
) -> WebResult<EditPage> {
    let sheet = sheet.await.map_err(|e| staff.0.fail(e))?;
    Ok(EditPage {
        ctx: staff.0.ctx.clone(),
        title: sheet.title,
        action: uri.path().to_owned(),
        back: sheet.back,
        fields: sheet.fields,
        version: sheet.version,
        errors: Vec::new(),
    })
}

fn cx<'a>(app: &'a AppState, staff: &'a Staff) -> Cx<'a> {
    Cx {
        app,
        who: &staff.0.who,
        ctx: &staff.0.ctx,
    }
}

/// `GET` of the new form.
async fn new<D: Definition>(
    State(app): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    Path(parent): Path<D::Parent>,
) -> WebResult<Response> {
    let form = D::new_form(cx(&app, &staff), &parent);
    Ok(shown(&staff, &uri, form).await?.show())
}

/// `POST` of the new form.
async fn create<D: Definition>(
    State(app): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    Path(parent): Path<D::Parent>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let cx = cx(&app, &staff);
    let form = shown(&staff, &uri, D::new_form(cx, &parent)).await?;
    let result = match read::<D::Draft>(&staff, &form, &posted)? {
        Ok(draft) => D::create(cx, &parent, draft).await,
        Err(err) => Err(err),
    };
    saved::<D>(&staff, form, &posted, result)
}

/// `GET` of the edit form.
async fn edit<D: Definition>(
    State(app): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    Path(key): Path<D::Key>,
) -> WebResult<Response> {
    let form = D::edit_form(cx(&app, &staff), &key);
    Ok(shown(&staff, &uri, form).await?.show())
}

/// `POST` of the edit form.
async fn update<D: Definition>(
    State(app): State<AppState>,
    staff: Staff,
    uri: OriginalUri,
    Path(key): Path<D::Key>,
    Form(posted): Posted,
) -> WebResult<Response> {
    let cx = cx(&app, &staff);
    let form = shown(&staff, &uri, D::edit_form(cx, &key)).await?;
    let result = match read::<D::Patch>(&staff, &form, &posted)? {
        Ok(patch) => D::update(cx, &key, patch).await,
        Err(err) => Err(err),
    };
    saved::<D>(&staff, form, &posted, result)
}

/// Checks the CSRF token the form sent (a bad one is a failure of its own, not a refusal of
/// the form), and reads the posted form as the action's input.
fn read<T: DeserializeOwned>(
    staff: &Staff,
    form: &EditPage,
    posted: &[(String, String)],
) -> WebResult<Result<T, ActionError>> {
    let csrf = posted
        .iter()
        .find(|(n, _)| n == "_csrf")
        .map(|(_, v)| v.as_str());
    staff.0.check_csrf(csrf)?;
    Ok(parse::<T>(form.document(posted)))
}

/// Goes to the saved record, or shows the form again with the refusal.
fn saved<D: Definition>(
    staff: &Staff,
    form: EditPage,
    posted: &[(String, String)],
    result: Result<D::Saved, ActionError>,
) -> WebResult<Response> {
    match result {
        Ok(saved) => Ok(Redirect::to(&D::saved(&saved)).into_response()),
        Err(ActionError::StaleVersion) if D::stale(&staff.0.ctx).is_some() => {
            let mut shown = form.take(posted);
            shown.errors = D::stale(&staff.0.ctx).into_iter().collect();
            Ok(render_status(StatusCode::CONFLICT, &shown))
        }
        Err(
            err @ (ActionError::Validation(_)
            | ActionError::Conflict { .. }
            | ActionError::StaleVersion),
        ) => Ok(form.refused(posted, &err)),
        Err(err) => Err(staff.0.fail(err)),
    }
}
