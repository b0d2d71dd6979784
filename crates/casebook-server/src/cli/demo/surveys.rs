//! The demo's satisfaction surveys: a fatigue window of a week, so that the six weeks of
//! closed cases ask most contacts more than once, and answers through the mail link to seven
//! in ten surveys, some hours after the closure, with scores from 1 to 5 (a few low ones open
//! follow-ups) and comments in the customer's language.

use casebook_domain::CaseNumber;
use casebook_domain::survey::AnswerDraft;
use jiff::SignedDuration;

use crate::actions::ActionError;
use crate::actions::notify::tokens;
use crate::actions::surveys::{answer, read, settings};
use crate::app::App;
use crate::clock::ManualClock;
use crate::policy::Principal;

/// Surveys ask each contact at most once a week.
pub(super) async fn configure(app: &App, admin: &Principal) -> Result<(), ActionError> {
    let mut view = settings::get(app, admin).await?;
    view.settings.fatigue_days = 7;
    settings::save(app, admin, view).await.map(|_| ())
}

/// (resolution, speed, engineer, Chinese comment, English comment), one per case in turn.
const ANSWERS: [(i64, Option<i64>, Option<i64>, &str, &str); 10] = [
    (
        5,
        Some(5),
        Some(5),
        "响应很快，工程师很专业。",
        "Quick answer, a very professional engineer.",
    ),
    (4, Some(4), None, "", ""),
    (
        5,
        None,
        Some(5),
        "问题彻底解决了，谢谢。",
        "Fully solved, thank you.",
    ),
    (
        3,
        Some(2),
        Some(4),
        "解决了，但等待时间偏长。",
        "Solved, but the wait was long.",
    ),
    (4, Some(5), Some(4), "", ""),
    (
        2,
        Some(2),
        Some(3),
        "处理太慢，影响了业务。",
        "Too slow, it hurt our business.",
    ),
    (5, Some(4), Some(5), "", ""),
    (4, None, None, "满意。", "Satisfied."),
    (
        1,
        Some(1),
        Some(2),
        "问题没解决，很失望。",
        "Not solved, we are disappointed.",
    ),
    (5, Some(5), Some(5), "", ""),
];

/// Answers the survey a closed demo case sent, for seven in ten cases, through its link.
pub(super) async fn answer_closed(
    app: &App,
    clock: &ManualClock,
    number: CaseNumber,
    i: usize,
    english: bool,
) -> Result<(), ActionError> {
    if i % 10 >= 7 {
        return Ok(());
    }
    let system = Principal::system("demo");
    let sent = read::of_case(app, &system, number).await?;
    let Some(survey) = sent.surveys.iter().find(|s| s.answerable(app.clock.now())) else {
        return Ok(());
    };
    let Some(expires) = survey.expires_at else {
        return Ok(());
    };
    clock.advance(SignedDuration::from_mins(30 + (i as i64 % 5) * 40));
    let (resolution, speed, engineer, zh, en) = ANSWERS[(i / 2) % ANSWERS.len()];
    let comment = if english { en } else { zh };
    let draft = AnswerDraft {
        resolution,
        speed,
        engineer,
        comment: (!comment.is_empty()).then(|| comment.to_owned()),
    };
    let key = tokens::signing_key(app).await?;
    let token = tokens::survey_token(&key, survey.id, expires);
    answer::by_link(app, &token, &draft).await.map(|_| ())
}
