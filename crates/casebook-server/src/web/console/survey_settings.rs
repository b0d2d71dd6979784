//! The admins' survey settings page (`/console/surveys/settings`): whether surveys go out, the
//! fatigue and answer windows, the low-score threshold, the negative words one per line in
//! each language, and the questions in Chinese and English. The form becomes the API's
//! `SettingsView`, so the same checks apply; a refused form comes back as typed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::actions::surveys::settings::{self, SettingsView};
use crate::app::AppState;
use crate::web::forms::{parse, refusal};
use crate::web::page::{Ctx, render, render_status};
use crate::web::posted::Checked;
use crate::web::session::{Staff, WebResult};

#[derive(Template)]
#[template(path = "console/survey_settings.html")]
struct SettingsPage {
    ctx: Ctx,
    form: SettingsForm,
    saved: bool,
    errors: Vec<String>,
}

/// The fields of the form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    fatigue_days: String,
    #[serde(default)]
    answer_days: String,
    #[serde(default)]
    low_score: String,
    #[serde(default)]
    words_zh: String,
    #[serde(default)]
    words_en: String,
    #[serde(default)]
    resolution_zh: String,
    #[serde(default)]
    resolution_en: String,
    #[serde(default)]
    speed_zh: String,
    #[serde(default)]
    speed_en: String,
    #[serde(default)]
    engineer_zh: String,
    #[serde(default)]
    engineer_en: String,
    #[serde(default)]
    comment_zh: String,
    #[serde(default)]
    comment_en: String,
    #[serde(default)]
    version: String,
}

impl SettingsForm {
    fn of(view: &SettingsView) -> Self {
        let s = &view.settings;
        let q = &s.questions;
        SettingsForm {
            enabled: s.enabled.then(|| "on".to_owned()),
            fatigue_days: s.fatigue_days.to_string(),
            answer_days: s.answer_days.to_string(),
            low_score: s.low_score.to_string(),
            words_zh: s.negative_words.zh.join("\n"),
            words_en: s.negative_words.en.join("\n"),
            resolution_zh: q.resolution.zh.clone(),
            resolution_en: q.resolution.en.clone(),
            speed_zh: q.speed.zh.clone(),
            speed_en: q.speed.en.clone(),
            engineer_zh: q.engineer.zh.clone(),
            engineer_en: q.engineer.en.clone(),
            comment_zh: q.comment.zh.clone(),
            comment_en: q.comment.en.clone(),
            version: view.version.to_string(),
        }
    }

    /// The questions' fields: (the legend's message key, the Chinese field's name and value,
    /// the English field's name and value).
    fn questions(&self) -> [(&'static str, &'static str, &str, &'static str, &str); 4] {
        [
            (
                "survey-resolution",
                "resolution_zh",
                &self.resolution_zh,
                "resolution_en",
                &self.resolution_en,
            ),
            (
                "survey-speed",
                "speed_zh",
                &self.speed_zh,
                "speed_en",
                &self.speed_en,
            ),
            (
                "survey-engineer",
                "engineer_zh",
                &self.engineer_zh,
                "engineer_en",
                &self.engineer_en,
            ),
            (
                "survey-comment",
                "comment_zh",
                &self.comment_zh,
                "comment_en",
                &self.comment_en,
            ),
        ]
    }

    fn is_enabled(&self) -> bool {
        self.enabled.is_some()
    }

    /// The settings the form says, parsed as the API parses them.
    fn view(&self) -> Result<SettingsView, crate::actions::ActionError> {
        let number = |raw: &str| {
            raw.trim()
                .parse::<i64>()
                .map_or_else(|_| Value::String(raw.to_owned()), Value::from)
        };
        let words = |raw: &str| -> Vec<String> {
            raw.lines()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let pair = |zh: &str, en: &str| json!({"zh-CN": zh.trim(), "en": en.trim()});
        parse::<SettingsView>(json!({
            "enabled": self.is_enabled(),
            "fatigue_days": number(&self.fatigue_days),
            "answer_days": number(&self.answer_days),
            "low_score": number(&self.low_score),
            "negative_words": {"zh-CN": words(&self.words_zh), "en": words(&self.words_en)},
            "questions": {
                "resolution": pair(&self.resolution_zh, &self.resolution_en),
                "speed": pair(&self.speed_zh, &self.speed_en),
                "engineer": pair(&self.engineer_zh, &self.engineer_en),
                "comment": pair(&self.comment_zh, &self.comment_en),
            },
            "version": number(&self.version),
        }))
    }
}

/// Whether the page follows a save.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /console/surveys/settings`.
pub async fn show(
    State(app): State<AppState>,
    Staff(viewer): Staff,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> WebResult<Response> {
    if !viewer.ctx.is_admin() {
        return Err(viewer.fail(crate::actions::ActionError::Forbidden(
            "only administrators can change the satisfaction survey",
        )));
    }
    let view = settings::get(&app, &viewer.who)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(render(&SettingsPage {
        ctx: viewer.ctx.clone(),
        form: SettingsForm::of(&view),
        saved: q.saved.is_some(),
        errors: Vec::new(),
    }))
}

/// `POST /console/surveys/settings`.
pub async fn save(
    State(app): State<AppState>,
    Checked(Staff(viewer), form): Checked<Staff, SettingsForm>,
) -> WebResult<Response> {
    let result = match form.view() {
        Ok(view) => settings::save(&app, &viewer.who, view).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/surveys/settings?saved=1").into_response()),
        Err(err) => {
            let (status, errors) = refusal(&viewer, err)?;
            let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
                status
            } else {
                StatusCode::CONFLICT
            };
            Ok(render_status(
                status,
                &SettingsPage {
                    ctx: viewer.ctx.clone(),
                    form,
                    saved: false,
                    errors,
                },
            ))
        }
    }
}
