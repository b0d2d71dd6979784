//! The matrix's requests for the desk's tools: an attachment shown inline, reply templates and
//! macros, search synonyms, time spent on a case, a contract's usage, the internal targets per
//! tier, satisfaction surveys and the managers' dashboard. Templates and synonym groups belong to no organisation; the one
//! each organisation's objects name was made for the matrix.

use reqwest::Method;
use serde_json::json;

use super::{Call, Objects, call};

/// How to call each of these routes for a target; `None` for any other route.
pub(super) fn desk_tools(route: &str, o: &Objects, n: usize) -> Option<Call> {
    use Method as M;
    let case = &o.case;
    Some(match route {
        "GET /api/v1/cases/{number}/attachments/{id}/inline" => call(
            M::GET,
            format!("/api/v1/cases/{case}/attachments/{}/inline", o.image),
            None,
            true,
        ),
        "POST /api/v1/cases/{number}/reply-templates/{id}/render" => call(
            M::POST,
            format!("/api/v1/cases/{case}/reply-templates/{}/render", o.template),
            Some(json!({"lang": "zh-CN"})),
            true,
        ),
        "POST /api/v1/cases/{number}/reply-templates/{id}/apply" => call(
            M::POST,
            format!("/api/v1/cases/{case}/reply-templates/{}/apply", o.template),
            Some(json!({})),
            true,
        ),
        "GET /api/v1/surveys" => call(M::GET, "/api/v1/surveys".into(), None, false),
        "GET /api/v1/surveys/{id}" => {
            call(M::GET, format!("/api/v1/surveys/{}", o.survey), None, true)
        }
        "POST /api/v1/surveys/{id}/answer" => call(
            M::POST,
            format!("/api/v1/surveys/{}/answer", o.survey),
            Some(json!({"resolution": 4})),
            true,
        ),
        "GET /api/v1/cases/{number}/surveys" => {
            call(M::GET, format!("/api/v1/cases/{case}/surveys"), None, true)
        }
        "GET /api/v1/survey-results" => call(
            M::GET,
            "/api/v1/survey-results?group_by=organization".into(),
            None,
            false,
        ),
        "GET /api/v1/survey-results/monthly" => {
            call(M::GET, "/api/v1/survey-results/monthly".into(), None, false)
        }
        "GET /api/v1/survey-answers" => call(M::GET, "/api/v1/survey-answers".into(), None, false),
        "GET /api/v1/survey-follow-ups" => {
            call(M::GET, "/api/v1/survey-follow-ups".into(), None, false)
        }
        "POST /api/v1/survey-follow-ups/{id}/complete" => call(
            M::POST,
            format!("/api/v1/survey-follow-ups/{}/complete", o.follow_up),
            Some(json!({"note": format!("matrix {n}")})),
            false,
        ),
        "GET /api/v1/survey-settings" => {
            call(M::GET, "/api/v1/survey-settings".into(), None, false)
        }
        "PUT /api/v1/survey-settings" => {
            let mut body =
                serde_json::to_value(casebook_domain::survey::SurveySettings::default()).unwrap();
            body["version"] = json!(0);
            call(M::PUT, "/api/v1/survey-settings".into(), Some(body), false)
        }
        "GET /api/v1/reply-templates" => {
            call(M::GET, "/api/v1/reply-templates".into(), None, false)
        }
        "POST /api/v1/reply-templates" => call(
            M::POST,
            "/api/v1/reply-templates".into(),
            Some(json!({"name": format!("matrix {n}"), "body_zh": "您好", "body_en": "Hello"})),
            false,
        ),
        "GET /api/v1/reply-templates/{id}" => call(
            M::GET,
            format!("/api/v1/reply-templates/{}", o.template),
            None,
            false,
        ),
        "PATCH /api/v1/reply-templates/{id}" => call(
            M::PATCH,
            format!("/api/v1/reply-templates/{}", o.template),
            Some(json!({"body_en": "edited"})),
            false,
        ),
        "DELETE /api/v1/reply-templates/{id}" => call(
            M::DELETE,
            "/api/v1/reply-templates/999999".into(),
            None,
            false,
        ),
        "GET /api/v1/search/synonyms" => {
            call(M::GET, "/api/v1/search/synonyms".into(), None, false)
        }
        "POST /api/v1/search/synonyms" => call(
            M::POST,
            "/api/v1/search/synonyms".into(),
            Some(json!({"words": [format!("矩阵{n}"), format!("matrix{n}")]})),
            false,
        ),
        "GET /api/v1/search/synonyms/{id}" => call(
            M::GET,
            format!("/api/v1/search/synonyms/{}", o.synonyms),
            None,
            false,
        ),
        "PATCH /api/v1/search/synonyms/{id}" => call(
            M::PATCH,
            format!("/api/v1/search/synonyms/{}", o.synonyms),
            Some(json!({"words": ["甲", "乙"]})),
            false,
        ),
        "DELETE /api/v1/search/synonyms/{id}" => call(
            M::DELETE,
            "/api/v1/search/synonyms/999999".into(),
            None,
            false,
        ),
        "GET /api/v1/cases/{number}/work" => {
            call(M::GET, format!("/api/v1/cases/{case}/work"), None, true)
        }
        "POST /api/v1/cases/{number}/work" => call(
            M::POST,
            format!("/api/v1/cases/{case}/work"),
            Some(json!({"minutes": 5, "activity": "phone", "note": "matrix"})),
            true,
        ),
        "DELETE /api/v1/cases/{number}/work/{id}" => call(
            M::DELETE,
            format!("/api/v1/cases/{case}/work/999999"),
            None,
            true,
        ),
        "GET /api/v1/cases/{number}/stages" => {
            call(M::GET, format!("/api/v1/cases/{case}/stages"), None, true)
        }
        "GET /api/v1/work" => call(M::GET, "/api/v1/work".into(), None, false),
        // Managers and administrators only: everyone else is refused (403) before the
        // organisation named is looked at, so a refusal tells nothing about it.
        "GET /api/v1/dashboard" => call(
            M::GET,
            format!("/api/v1/dashboard?organization={}", o.org),
            None,
            false,
        ),
        "GET /api/v1/ola-targets" => call(M::GET, "/api/v1/ola-targets".into(), None, false),
        "PUT /api/v1/ola-targets" => call(
            M::PUT,
            "/api/v1/ola-targets".into(),
            Some(json!({"targets": [{"tier": "l2", "severity": 1, "minutes": 60 + n}]})),
            false,
        ),
        "GET /api/v1/exports/cases" => call(
            M::GET,
            format!("/api/v1/exports/cases?organization={}", o.org),
            None,
            // Staff only: customers are refused (403) whichever organisation they name.
            false,
        ),
        "GET /api/v1/exports/work" => call(
            M::GET,
            format!("/api/v1/exports/work?organization={}", o.org),
            None,
            // Staff only: customers are refused (403) whichever organisation they name.
            false,
        ),
        "GET /api/v1/exports/survey-answers" => call(
            M::GET,
            format!("/api/v1/exports/survey-answers?organization_id={}", o.org),
            None,
            // Staff only: customers are refused (403) whichever organisation they name.
            false,
        ),
        "GET /api/v1/exports/dashboard" => call(
            M::GET,
            format!(
                "/api/v1/exports/dashboard?chart=volume_by_channel&organization={}",
                o.org
            ),
            None,
            // Managers and administrators only, like the dashboard.
            false,
        ),
        "GET /api/v1/contracts/{id}/usage" => call(
            M::GET,
            format!("/api/v1/contracts/{}/usage", o.contract),
            None,
            true,
        ),
        "GET /api/v1/contracts/{id}/usage/{month}" => call(
            M::GET,
            format!("/api/v1/contracts/{}/usage/2026-11", o.contract),
            None,
            true,
        ),
        _ => return super::integrations::integrations(route, o, n),
    })
}
