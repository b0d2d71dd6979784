//! Satisfaction surveys on closure (满意度调查): the admins' settings and questions
//! (`settings`), the survey a closed case sends in the closing transaction (`send`, called by
//! the case core), the answer through the mail link or the portal (`answer`), the follow-up a
//! low score or a negative comment opens for the service manager (`follow_ups`), what customers
//! and staff read (`read`), and the results per engineer, organisation, product and month with
//! the response rate, the answers' list and the monthly trend (`results`).
//! This layer sits between `contracts` and `cases`: the case core calls it, it never calls the
//! case core.

pub mod answer;
pub mod follow_ups;
pub mod read;
pub mod results;
pub(crate) mod send;
pub mod settings;
