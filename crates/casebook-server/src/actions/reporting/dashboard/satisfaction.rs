//! The dashboard's satisfaction trend: the answers received in each month of the period (the
//! day answered, on the desk's calendar) and their mean resolution score, for the cases of the
//! organisation, product or team filtered on (a team: the engineers who owned the cases at
//! closure and are in it now). Months without answers are left out.

use casebook_domain::reporting::{Cell, ChartKind, Label, Table};
use casebook_store::survey_results;
use casebook_store::surveys::SurveyFilter;

use super::Reading;
use crate::actions::ActionResult;

/// Answers and their mean resolution score per month.
pub(super) async fn satisfaction(r: &mut Reading<'_>) -> ActionResult<Table> {
    let filter = SurveyFilter {
        from: Some(r.filters.period.from().to_string()),
        to: Some(r.filters.period.to().to_string()),
        organization: r.filters.organization,
        product: r.filters.product,
        engineer: None,
        team: r.filters.team.clone(),
    };
    let months = survey_results::monthly(&mut r.db, &filter).await?;
    let mut table = Table::new(
        "satisfaction",
        ChartKind::Line,
        &[Label::term("dashboard-col-month")],
        &[Label::term("dashboard-col-mean-score")],
        &[Label::term("dashboard-col-answers")],
    );
    for m in months {
        table.rows.push(vec![
            Cell::Label(Label::text(m.month)),
            m.mean_score.map_or(Cell::Empty, Cell::Score),
            Cell::Count(m.answers),
        ]);
    }
    Ok(table)
}
