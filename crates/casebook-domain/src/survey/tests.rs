//! Tests of the survey rules.

use super::*;

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

fn closure(channel: Channel, has_contact: bool, last: Option<i64>) -> Closure<'static> {
    Closure {
        channel,
        has_contact,
        recipient: Some("li@a.test"),
        last_sent: last.map(at),
        now: at(1_800_000_000),
    }
}

#[test]
fn who_is_asked_and_why_not() {
    let s = SurveySettings::default();
    assert_eq!(should_send(&s, &closure(Channel::Web, true, None)), Ok(()));
    assert_eq!(
        should_send(&s, &closure(Channel::CallHome, false, None)),
        Err(SkipReason::CallHomeWithoutContact)
    );
    assert_eq!(
        should_send(&s, &closure(Channel::CallHome, true, None)),
        Ok(())
    );
    let day = 86_400;
    assert_eq!(
        should_send(
            &s,
            &closure(Channel::Web, true, Some(1_800_000_000 - 29 * day))
        ),
        Err(SkipReason::Fatigue)
    );
    assert_eq!(
        should_send(
            &s,
            &closure(Channel::Web, true, Some(1_800_000_000 - 30 * day))
        ),
        Ok(())
    );
    let mut nobody = closure(Channel::Email, false, None);
    nobody.recipient = None;
    assert_eq!(should_send(&s, &nobody), Err(SkipReason::NoRecipient));
    let off = SurveySettings {
        enabled: false,
        ..SurveySettings::default()
    };
    assert_eq!(
        should_send(&off, &closure(Channel::Web, true, None)),
        Err(SkipReason::Disabled)
    );
}

fn draft(resolution: i64, comment: Option<&str>) -> AnswerDraft {
    AnswerDraft {
        resolution,
        speed: None,
        engineer: None,
        comment: comment.map(str::to_owned),
    }
}

#[test]
fn answers_are_checked_field_by_field() {
    let mut d = draft(6, Some(&"x".repeat(MAX_COMMENT + 1)));
    d.speed = Some(0);
    let fields: Vec<String> = d
        .check()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["resolution", "speed", "comment"]);
    let ok = draft(4, Some("  ")).check().unwrap();
    assert_eq!(ok.comment, None);
    assert_eq!(ok.resolution, 4);
}

#[test]
fn low_scores_and_negative_comments_open_follow_ups() {
    let s = SurveySettings::default();
    let reason = |d: AnswerDraft| follow_up_reason(&s, &d.check().unwrap());
    assert_eq!(reason(draft(1, None)), Some(FollowUpReason::LowScore));
    assert_eq!(reason(draft(2, None)), Some(FollowUpReason::LowScore));
    assert_eq!(reason(draft(3, None)), None);
    assert_eq!(
        reason(draft(5, Some("还是不满意"))),
        Some(FollowUpReason::NegativeComment)
    );
    assert_eq!(
        reason(draft(1, Some("Unacceptable."))),
        Some(FollowUpReason::LowScoreAndNegativeComment)
    );
    let mut d = draft(5, None);
    d.engineer = Some(2);
    assert_eq!(reason(d), Some(FollowUpReason::LowScore));
}

#[test]
fn figures_are_rounded_means_and_rates() {
    let t = Tally {
        sent: 3,
        answered: 2,
        resolution_sum: 7,
        speed: (5, 1),
        engineer: (0, 0),
        follow_ups: 1,
    };
    let f = Figures::of(None, None, &t);
    assert_eq!(f.response_rate, 66.7);
    assert_eq!(f.resolution, Some(3.5));
    assert_eq!(f.speed, Some(5.0));
    assert_eq!(f.engineer, None);
}
