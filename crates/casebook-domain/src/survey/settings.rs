//! The survey settings admins edit: whether surveys go out, the fatigue window, how long a mail
//! link works, the low-score threshold, the words that make a comment negative, and the texts of
//! the questions in Chinese and English. Checked as a whole; every refusal names its field.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// The longest text of a question.
pub const MAX_QUESTION: usize = 300;
/// The most negative words per language.
pub const MAX_WORDS: usize = 200;

/// A text in both languages of the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// Chinese (`zh-CN`).
    #[serde(rename = "zh-CN")]
    pub zh: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    fn of(zh: &str, en: &str) -> Self {
        Bilingual {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    /// The text in a language tag (`zh-CN` or `en`; anything else is Chinese).
    pub fn in_lang(&self, tag: &str) -> &str {
        if tag == "en" { &self.en } else { &self.zh }
    }
}

/// The questions of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Questions {
    /// The resolution score, 1–5 (required).
    pub resolution: Bilingual,
    /// The speed score, 1–5 (optional).
    pub speed: Bilingual,
    /// The engineer score, 1–5 (optional).
    pub engineer: Bilingual,
    /// The comment (optional).
    pub comment: Bilingual,
}

/// Words that make a comment negative, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NegativeWords {
    /// Chinese words and phrases, found anywhere in a comment.
    #[serde(rename = "zh-CN")]
    pub zh: Vec<String>,
    /// English words and phrases, found as whole words, ignoring case.
    pub en: Vec<String>,
}

/// How surveys are sent and read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveySettings {
    /// Whether a closed case sends a survey at all.
    pub enabled: bool,
    /// At most one survey per recipient in this many days, 0–365 (0: one per closed case).
    #[schema(minimum = 0, maximum = 365)]
    pub fatigue_days: u32,
    /// Days a survey can be answered, 1–90.
    #[schema(minimum = 1, maximum = 90)]
    pub answer_days: u32,
    /// A score at or below this opens a follow-up, 0–4 (0: no score does).
    #[schema(minimum = 0, maximum = 4)]
    pub low_score: u8,
    /// Words that make a comment negative (and open a follow-up).
    pub negative_words: NegativeWords,
    /// The texts of the questions.
    pub questions: Questions,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            enabled: true,
            fatigue_days: 30,
            answer_days: 14,
            low_score: 2,
            negative_words: NegativeWords {
                zh: [
                    "不满意",
                    "不满",
                    "很差",
                    "太差",
                    "太慢",
                    "失望",
                    "投诉",
                    "没解决",
                    "未解决",
                    "没有解决",
                    "敷衍",
                    "糟糕",
                    "差劲",
                ]
                .map(str::to_owned)
                .to_vec(),
                en: [
                    "unhappy",
                    "dissatisfied",
                    "disappointed",
                    "terrible",
                    "awful",
                    "poor",
                    "too slow",
                    "not solved",
                    "not resolved",
                    "complaint",
                    "unacceptable",
                    "useless",
                ]
                .map(str::to_owned)
                .to_vec(),
            },
            questions: Questions {
                resolution: Bilingual::of(
                    "问题的解决结果您是否满意？",
                    "How satisfied are you with the resolution of your problem?",
                ),
                speed: Bilingual::of(
                    "您对处理速度是否满意？",
                    "How satisfied are you with the speed of our response?",
                ),
                engineer: Bilingual::of(
                    "您对工程师的服务是否满意？",
                    "How satisfied are you with the engineer who handled your case?",
                ),
                comment: Bilingual::of(
                    "您还有什么意见或建议？",
                    "Is there anything else you would like to tell us?",
                ),
            },
        }
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, text: &str) {
    if text.trim().is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "a question needs a text",
        ));
    } else if text.chars().count() > MAX_QUESTION {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {MAX_QUESTION} characters"),
        ));
    }
}

fn check_words(errors: &mut Vec<FieldError>, field: &str, words: &[String]) {
    if words.len() > MAX_WORDS {
        errors.push(FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_WORDS} words"),
        ));
    }
    if let Some(i) = words
        .iter()
        .position(|w| w.trim().is_empty() || w.chars().count() > 50)
    {
        errors.push(FieldError::new(
            format!("{field}[{i}]"),
            "invalid",
            "a word has 1 to 50 characters",
        ));
    }
}

impl SurveySettings {
    /// The refused fields of an edit (empty when it may be saved).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.fatigue_days > 365 {
            errors.push(FieldError::new(
                "fatigue_days",
                "out_of_range",
                "between 0 and 365 days",
            ));
        }
        if !(1..=90).contains(&self.answer_days) {
            errors.push(FieldError::new(
                "answer_days",
                "out_of_range",
                "between 1 and 90 days",
            ));
        }
        if self.low_score > 4 {
            errors.push(FieldError::new(
                "low_score",
                "out_of_range",
                "between 0 (never) and 4",
            ));
        }
        check_words(&mut errors, "negative_words.zh-CN", &self.negative_words.zh);
        check_words(&mut errors, "negative_words.en", &self.negative_words.en);
        let q = &self.questions;
        for (name, text) in [
            ("resolution", &q.resolution),
            ("speed", &q.speed),
            ("engineer", &q.engineer),
            ("comment", &q.comment),
        ] {
            check_text(&mut errors, &format!("questions.{name}.zh-CN"), &text.zh);
            check_text(&mut errors, &format!("questions.{name}.en"), &text.en);
        }
        errors
    }

    /// Whether a comment is negative: it holds one of the Chinese words anywhere, or one of the
    /// English words or phrases as whole words, ignoring case.
    pub fn is_negative(&self, comment: &str) -> bool {
        let lower = comment.to_lowercase();
        self.negative_words
            .zh
            .iter()
            .any(|w| lower.contains(&w.trim().to_lowercase()))
            || self
                .negative_words
                .en
                .iter()
                .any(|w| has_whole_word(&lower, &w.trim().to_lowercase()))
    }
}

/// Whether `word` occurs in `text` with no letter or digit right before or after it.
fn has_whole_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert!(SurveySettings::default().check().is_empty());
    }

    #[test]
    fn bad_settings_name_their_fields() {
        let mut s = SurveySettings::default();
        s.answer_days = 0;
        s.low_score = 5;
        s.questions.speed.en = " ".into();
        s.negative_words.zh.push(String::new());
        let fields: Vec<String> = s.check().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "answer_days",
                "low_score",
                "negative_words.zh-CN[13]",
                "questions.speed.en"
            ]
        );
    }

    #[test]
    fn negative_comments_are_found_in_both_languages() {
        let s = SurveySettings::default();
        assert!(s.is_negative("工程师态度敷衍，问题没解决"));
        assert!(s.is_negative("The answer was POOR and too slow."));
        assert!(!s.is_negative("非常满意，谢谢"));
        assert!(!s.is_negative("A poorly named button, otherwise fine"));
        assert!(!s.is_negative("Thanks for the quick fix"));
    }
}
