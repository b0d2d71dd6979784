//! Satisfaction surveys (满意度调查) on closure: who is asked when a case closes and why someone
//! is not (`should_send`), what an answer may say (`AnswerDraft::check`: a 1–5 score for the
//! resolution, optional 1–5 scores for speed and the engineer, a comment of at most 2,000
//! characters), when an answer opens a follow-up for the service manager (`follow_up_reason`),
//! and the figures of the results (`Figures`). The settings admins edit are in
//! `survey/settings.rs`.

pub mod settings;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attributes::{Channel, Named};
use crate::case::NamedRef;
use crate::error::FieldError;
use crate::ids::UserId;
pub use settings::SurveySettings;

/// The longest comment.
pub const MAX_COMMENT: usize = 2_000;

/// Where a survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    /// Sent, waiting for the answer (until it expires).
    Pending,
    /// Answered.
    Answered,
    /// Not sent; `skip_reason` says why.
    Skipped,
}

impl Named for SurveyStatus {
    const WHAT: &'static str = "survey status";
    const ALL: &'static [Self] = &[Self::Pending, Self::Answered, Self::Skipped];
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Skipped => "skipped",
        }
    }
}

/// Why no survey was sent for a closed case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Admins switched surveys off.
    Disabled,
    /// A device opened the case and no person is its contact.
    CallHomeWithoutContact,
    /// Nobody to ask: no contact with an address and no customer who opened it.
    NoRecipient,
    /// The recipient was asked less than `fatigue_days` ago.
    Fatigue,
}

impl Named for SkipReason {
    const WHAT: &'static str = "skip reason";
    const ALL: &'static [Self] = &[
        Self::Disabled,
        Self::CallHomeWithoutContact,
        Self::NoRecipient,
        Self::Fatigue,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::CallHomeWithoutContact => "call_home_without_contact",
            Self::NoRecipient => "no_recipient",
            Self::Fatigue => "fatigue",
        }
    }
}

/// How an answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredVia {
    /// The signed link in the mail, without signing in.
    Link,
    /// The portal or the API, signed in.
    Portal,
}

impl Named for AnsweredVia {
    const WHAT: &'static str = "answered via";
    const ALL: &'static [Self] = &[Self::Link, Self::Portal];
    fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Portal => "portal",
        }
    }
}

/// The facts of a closed case that decide whether a survey goes out.
#[derive(Debug, Clone, Copy)]
pub struct Closure<'a> {
    /// Where the case came from.
    pub channel: Channel,
    /// Whether a contact (a person) is named on the case.
    pub has_contact: bool,
    /// The address the survey would go to, if any.
    pub recipient: Option<&'a str>,
    /// When that address was last sent a survey.
    pub last_sent: Option<Timestamp>,
    /// When the case closed.
    pub now: Timestamp,
}

/// Whether a closed case sends a survey; the reason when it does not.
pub fn should_send(settings: &SurveySettings, c: &Closure<'_>) -> Result<(), SkipReason> {
    if !settings.enabled {
        return Err(SkipReason::Disabled);
    }
    if c.channel == Channel::CallHome && !c.has_contact {
        return Err(SkipReason::CallHomeWithoutContact);
    }
    if c.recipient.is_none_or(|r| r.trim().is_empty()) {
        return Err(SkipReason::NoRecipient);
    }
    let window = SignedDuration::from_hours(24 * i64::from(settings.fatigue_days));
    if let Some(last) = c.last_sent
        && settings.fatigue_days > 0
        && c.now.duration_since(last) < window
    {
        return Err(SkipReason::Fatigue);
    }
    Ok(())
}

/// When a survey sent at `sent_at` stops taking answers.
pub fn expires_at(settings: &SurveySettings, sent_at: Timestamp) -> Timestamp {
    sent_at + SignedDuration::from_hours(24 * i64::from(settings.answer_days))
}

/// An answer as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerDraft {
    /// The resolution, 1 (very dissatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    pub resolution: i64,
    /// The speed, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub speed: Option<i64>,
    /// The engineer, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub engineer: Option<i64>,
    /// A comment, at most 2,000 characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// An answer checked: scores 1–5, the comment trimmed (absent when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The resolution score.
    pub resolution: u8,
    /// The speed score.
    pub speed: Option<u8>,
    /// The engineer score.
    pub engineer: Option<u8>,
    /// The comment.
    pub comment: Option<String>,
}

fn score(errors: &mut Vec<FieldError>, field: &str, value: i64) -> u8 {
    match u8::try_from(value) {
        Ok(v @ 1..=5) => v,
        _ => {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                "a score from 1 to 5",
            ));
            0
        }
    }
}

impl AnswerDraft {
    /// The answer, or every refused field.
    pub fn check(&self) -> Result<Answer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let resolution = score(&mut errors, "resolution", self.resolution);
        let speed = self.speed.map(|s| score(&mut errors, "speed", s));
        let engineer = self.engineer.map(|s| score(&mut errors, "engineer", s));
        let comment = self
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let too_long = self
            .comment
            .as_deref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT);
        if too_long {
            errors.push(FieldError::new(
                "comment",
                "too_long",
                format!("at most {MAX_COMMENT} characters"),
            ));
        } else if comment.is_some_and(|c| {
            c.chars()
                .any(|ch| ch.is_control() && ch != '\n' && ch != '\t' && ch != '\r')
        }) {
            errors.push(FieldError::new(
                "comment",
                "invalid",
                "control characters are not allowed",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Answer {
            resolution,
            speed,
            engineer,
            comment: comment.map(str::to_owned),
        })
    }
}

/// Why a follow-up was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpReason {
    /// A score at or below the threshold.
    LowScore,
    /// The comment holds a negative word.
    NegativeComment,
    /// Both.
    LowScoreAndNegativeComment,
}

impl Named for FollowUpReason {
    const WHAT: &'static str = "follow-up reason";
    const ALL: &'static [Self] = &[
        Self::LowScore,
        Self::NegativeComment,
        Self::LowScoreAndNegativeComment,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::LowScore => "low_score",
            Self::NegativeComment => "negative_comment",
            Self::LowScoreAndNegativeComment => "low_score_and_negative_comment",
        }
    }
}

/// Whether an answer opens a follow-up: any of its scores at or below `low_score`, or a negative
/// comment (see [`SurveySettings::is_negative`]).
pub fn follow_up_reason(settings: &SurveySettings, answer: &Answer) -> Option<FollowUpReason> {
    let low = [Some(answer.resolution), answer.speed, answer.engineer]
        .into_iter()
        .flatten()
        .any(|s| s <= settings.low_score);
    let negative = answer
        .comment
        .as_deref()
        .is_some_and(|c| settings.is_negative(c));
    match (low, negative) {
        (true, true) => Some(FollowUpReason::LowScoreAndNegativeComment),
        (true, false) => Some(FollowUpReason::LowScore),
        (false, true) => Some(FollowUpReason::NegativeComment),
        (false, false) => None,
    }
}

/// A survey as its reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Survey {
    /// Id.
    pub id: i64,
    /// The case (`YYYY-NNNNN`).
    pub case_number: String,
    /// The case's title.
    pub case_title: String,
    /// The case's organisation.
    pub organization: String,
    /// Where it stands (`pending` past `expires_at` can no longer be answered).
    pub status: SurveyStatus,
    /// Why it was not sent.
    pub skip_reason: Option<SkipReason>,
    /// The address it went to (staff only).
    pub recipient: Option<String>,
    /// The engineer who owned the case at closure.
    pub engineer: Option<NamedRef<UserId>>,
    /// When the case closed and the survey was sent (or skipped).
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Timestamp,
    /// Until when it can be answered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// When it was answered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
    /// How it was answered.
    pub answered_via: Option<AnsweredVia>,
    /// The resolution score.
    pub resolution: Option<u8>,
    /// The speed score.
    pub speed: Option<u8>,
    /// The engineer score.
    pub engineer_score: Option<u8>,
    /// The comment.
    pub comment: Option<String>,
    /// Whether the comment is negative.
    pub negative: Option<bool>,
    /// The language it was sent in.
    pub language: String,
}

impl Survey {
    /// Whether it can still be answered at `now`.
    pub fn answerable(&self, now: Timestamp) -> bool {
        self.status == SurveyStatus::Pending && self.expires_at.is_some_and(|e| now < e)
    }
}

/// A follow-up task opened by a low score or a negative comment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FollowUp {
    /// Id.
    pub id: i64,
    /// The survey that opened it.
    pub survey_id: i64,
    /// The case (`YYYY-NNNNN`).
    pub case_number: String,
    /// The case's title.
    pub case_title: String,
    /// The case's organisation.
    pub organization: String,
    /// Why.
    pub reason: FollowUpReason,
    /// The resolution score of the answer.
    pub resolution: u8,
    /// The answer's comment.
    pub comment: Option<String>,
    /// The service manager of the case's contract; absent: the administrators' and managers'.
    pub manager: Option<NamedRef<UserId>>,
    /// Due (the end of the next business day on the case's calendar by default).
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// Opened.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Completed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    /// Who completed it.
    pub completed_by: Option<NamedRef<UserId>>,
    /// What was done.
    pub note: Option<String>,
}

impl FollowUp {
    /// Whether it is open past its due time at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.completed_at.is_none() && self.due_at < now
    }
}

/// How results are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// By the engineer who owned the case at closure.
    Engineer,
    /// By that engineer's team.
    Team,
    /// By the case's organisation.
    Organization,
    /// By the case's product.
    Product,
    /// By the month the survey was sent (`YYYY-MM`, the desk's time zone).
    Month,
}

impl Named for Grouping {
    const WHAT: &'static str = "grouping";
    const ALL: &'static [Self] = &[
        Self::Engineer,
        Self::Team,
        Self::Organization,
        Self::Product,
        Self::Month,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Self::Engineer => "engineer",
            Self::Team => "team",
            Self::Organization => "organization",
            Self::Product => "product",
            Self::Month => "month",
        }
    }
}

impl std::str::FromStr for Grouping {
    type Err = crate::ValidationError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        <Self as Named>::parse(raw)
    }
}

/// The sums of one group as counted by the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Surveys sent.
    pub sent: i64,
    /// Surveys answered.
    pub answered: i64,
    /// Sum of the resolution scores.
    pub resolution_sum: i64,
    /// Sum and count of the speed scores.
    pub speed: (i64, i64),
    /// Sum and count of the engineer scores.
    pub engineer: (i64, i64),
    /// Answers that opened a follow-up.
    pub follow_ups: i64,
}

/// The results of one group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// The group's key: a user, organisation or product id, a team's name, a month; absent for
    /// cases without one.
    pub key: Option<String>,
    /// What people read.
    pub label: Option<String>,
    /// Surveys sent.
    pub sent: i64,
    /// Surveys answered.
    pub answered: i64,
    /// Answered of sent, in percent with one decimal.
    pub response_rate: f64,
    /// Mean resolution score, two decimals.
    pub resolution: Option<f64>,
    /// Mean speed score.
    pub speed: Option<f64>,
    /// Mean engineer score.
    pub engineer: Option<f64>,
    /// Answers that opened a follow-up.
    pub follow_ups: i64,
}

fn rounded(value: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (value * f).round() / f
}

fn mean((sum, count): (i64, i64)) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (count > 0).then(|| rounded(sum as f64 / count as f64, 2))
}

impl Figures {
    /// The figures of a group from its sums.
    pub fn of(key: Option<String>, label: Option<String>, t: &Tally) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let rate = if t.sent > 0 {
            rounded(t.answered as f64 * 100.0 / t.sent as f64, 1)
        } else {
            0.0
        };
        Figures {
            key,
            label,
            sent: t.sent,
            answered: t.answered,
            response_rate: rate,
            resolution: mean((t.resolution_sum, t.answered)),
            speed: mean(t.speed),
            engineer: mean(t.engineer),
            follow_ups: t.follow_ups,
        }
    }
}

/// Answers in one month (`YYYY-MM` of the answer, the desk's time zone): the dashboard's trend.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MonthSatisfaction {
    /// The month.
    pub month: String,
    /// Answers received.
    pub answers: i64,
    /// Mean resolution score, two decimals.
    pub mean_score: Option<f64>,
}

impl MonthSatisfaction {
    /// From the month's count and sum of resolution scores.
    pub fn of(month: String, answers: i64, sum: i64) -> Self {
        MonthSatisfaction {
            month,
            answers,
            mean_score: mean((sum, answers)),
        }
    }
}

#[cfg(test)]
mod tests;
