//! The survey's questions as a form, shared by the page a survey mail links to
//! (`/surveys/{token}`, no sign-in) and the portal's survey page: the questions in the reader's
//! language, the scores as radio buttons 1–5, the comment, what was typed and why it was
//! refused. The form's fields become the API's `AnswerDraft`, so the same checks apply.

use casebook_domain::survey::{AnswerDraft, SurveySettings};
use serde::Deserialize;

use crate::actions::ActionError;
use crate::i18n::Lang;

/// The fields of a posted survey (blank when not chosen).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    speed: String,
    #[serde(default)]
    engineer: String,
    #[serde(default)]
    comment: String,
}

fn score(field: &str, raw: &str, errors: &mut Vec<casebook_domain::FieldError>) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(casebook_domain::FieldError::new(
                field,
                "out_of_range",
                "a score from 1 to 5",
            ));
            None
        }
    }
}

impl AnswerForm {
    /// The answer the form says; the resolution score is required.
    pub fn draft(&self) -> Result<AnswerDraft, ActionError> {
        let mut errors = Vec::new();
        let resolution = score("resolution", &self.resolution, &mut errors);
        let speed = score("speed", &self.speed, &mut errors);
        let engineer = score("engineer", &self.engineer, &mut errors);
        if resolution.is_none() && errors.is_empty() {
            errors.push(casebook_domain::FieldError::new(
                "resolution",
                "required",
                "choose a score for the resolution",
            ));
        }
        if !errors.is_empty() {
            return Err(ActionError::Validation(errors));
        }
        Ok(AnswerDraft {
            resolution: resolution.unwrap_or_default(),
            speed,
            engineer,
            comment: Some(self.comment.clone()),
        })
    }
}

/// One score question.
#[derive(Debug, Clone)]
pub struct ScoreQuestion {
    /// The field's name.
    pub field: &'static str,
    /// The question in the reader's language.
    pub text: String,
    /// Whether it must be answered.
    pub required: bool,
    /// The score chosen, if any.
    pub chosen: String,
}

/// The form as a page shows it.
#[derive(Debug, Clone)]
pub struct SurveyForm {
    /// Where it posts.
    pub action: String,
    /// The score questions.
    pub scores: Vec<ScoreQuestion>,
    /// The comment question.
    pub comment_label: String,
    /// The comment typed.
    pub comment: String,
    /// Why the form was refused.
    pub errors: Vec<String>,
}

impl SurveyForm {
    /// The form of `settings`' questions in `lang`, with what was typed.
    pub fn new(settings: &SurveySettings, lang: Lang, action: String, typed: &AnswerForm) -> Self {
        let q = &settings.questions;
        let tag = lang.tag();
        let score = |field,
                     text: &casebook_domain::survey::settings::Bilingual,
                     required,
                     chosen: &str| ScoreQuestion {
            field,
            text: text.in_lang(tag).to_owned(),
            required,
            chosen: chosen.trim().to_owned(),
        };
        SurveyForm {
            action,
            scores: vec![
                score("resolution", &q.resolution, true, &typed.resolution),
                score("speed", &q.speed, false, &typed.speed),
                score("engineer", &q.engineer, false, &typed.engineer),
            ],
            comment_label: q.comment.in_lang(tag).to_owned(),
            comment: typed.comment.clone(),
            errors: Vec::new(),
        }
    }

    /// The scores a question offers.
    pub fn levels(&self) -> [u8; 5] {
        [1, 2, 3, 4, 5]
    }

    /// The message key of a score's label.
    pub fn level_key(&self, level: &u8) -> String {
        format!("survey-score-{level}")
    }

    /// Whether `level` is the score chosen for `question`.
    pub fn is_chosen(&self, question: &ScoreQuestion, level: &u8) -> bool {
        question.chosen == level.to_string()
    }
}
