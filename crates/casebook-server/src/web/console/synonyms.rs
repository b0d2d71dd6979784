//! `/console/search/synonyms`: the groups of words search treats as one (磁盘, 硬盘, disk). Staff
//! read them; administrators add, edit (one text, words separated by commas) and delete them.
//! The forms are an edit page ([`Definition`]); what they save goes through the same action as
//! the API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use casebook_domain::synonyms::{SynonymDraft, SynonymGroup, SynonymPatch};

use super::edit::{Field, Kind};
use super::editor::{self, Cx, Definition, Sheet};
use super::tables::fail;
use crate::actions::ActionResult as Res;
use crate::actions::search::synonyms;
use crate::app::AppState;
use crate::web::page::{Ctx, render};
use crate::web::posted::{Checked, Nothing};
use crate::web::session::{Staff, WebResult};

const LIST: &str = "/console/search/synonyms";

/// The routes of the page and its forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list))
        .route("/console/search/synonyms/{id}/delete", post(delete))
        .merge(editor::routes::<SynonymGroups>())
}

#[derive(Template)]
#[template(path = "console/synonyms.html")]
struct ListPage {
    ctx: Ctx,
    groups: Vec<SynonymGroup>,
}

/// `GET /console/search/synonyms`.
async fn list(State(app): State<AppState>, staff: Staff) -> WebResult<Response> {
    let groups = synonyms::list(&app, &staff.0.who)
        .await
        .map_err(fail(&staff))?;
    let ctx = staff.0.ctx.clone();
    Ok(render(&ListPage { ctx, groups }))
}

/// `POST /console/search/synonyms/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Checked(staff, _): Checked<Staff, Nothing>,
) -> WebResult<Response> {
    synonyms::delete(&app, &staff.0.who, id)
        .await
        .map_err(fail(&staff))?;
    Ok(Redirect::to(LIST).into_response())
}

fn words_field(group: Option<&SynonymGroup>) -> Vec<Field> {
    let words = group.map(|g| g.words.joined()).unwrap_or_default();
    vec![Field::new(
        "words",
        "field-synonym-words",
        Kind::Text,
        words,
    )]
}

/// The edit page of one group.
pub struct SynonymGroups;

impl Definition for SynonymGroups {
    const NEW: &'static str = "/console/search/synonyms/new";
    const EDIT: &'static str = "/console/search/synonyms/{id}/edit";
    type Parent = ();
    type Key = i64;
    type Draft = SynonymDraft;
    type Patch = SynonymPatch;
    type Saved = SynonymGroup;

    async fn new_form(cx: Cx<'_>, _: &()) -> Res<Sheet> {
        Ok(Sheet::new(cx.t("synonyms-new"), LIST, words_field(None)))
    }

    async fn create(cx: Cx<'_>, _: &(), draft: SynonymDraft) -> Res<SynonymGroup> {
        synonyms::create(cx.app, cx.who, draft).await
    }

    async fn edit_form(cx: Cx<'_>, id: &i64) -> Res<Sheet> {
        let group = synonyms::get(cx.app, cx.who, *id).await?;
        let sheet = Sheet::new(cx.t("synonyms-edit"), LIST, words_field(Some(&group)));
        Ok(sheet.at(group.version))
    }

    async fn update(cx: Cx<'_>, id: &i64, patch: SynonymPatch) -> Res<SynonymGroup> {
        synonyms::update(cx.app, cx.who, *id, patch).await
    }

    fn saved(_: &SynonymGroup) -> String {
        LIST.to_owned()
    }
}
