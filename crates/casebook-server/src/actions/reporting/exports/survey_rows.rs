//! The survey-answer export's rows: one per answered survey with its case, organisation,
//! engineer, recipient, when it was sent and answered (the desk's time zone), how, the three
//! scores, the comment and whether it was read as negative. The filters are those of the survey
//! results page.

use std::future::Future;
use std::sync::Arc;

use casebook_domain::Named;
use casebook_domain::survey::Survey;
use casebook_store::surveys::{self, SurveyFilter};

use super::BATCH;
use super::table::{self, Batch, Cell, Row, Table, keyset};
use crate::actions::ActionResult;
use crate::app::AppState;
use crate::i18n::Lang;

fn headers(lang: Lang, tz: &str) -> Vec<String> {
    table::headers(
        lang,
        tz,
        &[
            "export-case-number",
            "export-title",
            "export-organization",
            "export-engineer",
            "export-recipient",
            "export-sent@zone",
            "export-answered@zone",
            "export-answered-via",
            "export-score-resolution",
            "export-score-speed",
            "export-score-engineer",
            "export-comment",
            "export-negative",
        ],
    )
}

/// The answers' table: batches read by key until the answers run out.
pub(super) fn table<F, FF>(app: AppState, filter: SurveyFilter, lang: Lang, finish: F) -> Table
where
    F: FnOnce(u64) -> FF + Send + 'static,
    FF: Future<Output = ActionResult<()>> + Send + 'static,
{
    let headers = headers(lang, &app.config.timezone);
    let filter = Arc::new(filter);
    let read = move |before: Option<i64>| {
        let app = app.clone();
        let filter = filter.clone();
        async move {
            let answers = {
                let mut db = app.store.read().await?;
                surveys::answers_before(&mut db, &filter, before, BATCH).await?
            };
            let next = (answers.len() as i64 == BATCH)
                .then(|| answers.last().map(|s| s.id))
                .flatten();
            let tz = app.config.time_zone();
            Ok(Batch {
                rows: answers.into_iter().map(|s| row(s, &tz)).collect(),
                next,
            })
        }
    };
    Table {
        name: "survey-answers".into(),
        headers,
        batches: keyset(read, finish),
    }
}

fn row(s: Survey, tz: &jiff::tz::TimeZone) -> Row {
    let at = |t: casebook_domain::Timestamp| Cell::Timestamp(t.to_zoned(tz.clone()).datetime());
    let score = |s: Option<u8>| s.map_or(Cell::Empty, |s| Cell::Integer(i64::from(s)));
    vec![
        Cell::Text(s.case_number),
        Cell::Text(s.case_title),
        Cell::Text(s.organization),
        Cell::text(s.engineer.map(|e| e.name)),
        Cell::text(s.recipient),
        at(s.sent_at),
        s.answered_at.map_or(Cell::Empty, at),
        Cell::text(s.answered_via.map(|v| v.as_str())),
        score(s.resolution),
        score(s.speed),
        score(s.engineer_score),
        Cell::text(s.comment),
        s.negative.map_or(Cell::Empty, Cell::Bool),
    ]
}
