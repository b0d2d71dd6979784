//! The on-duty rota (值班表) that 7×24 service rests on: shifts, who is duty engineer and duty
//! manager of each, swaps (`rota`), and paging the engineer on duty, with escalation to the
//! manager when nobody acknowledges (`pages`). `integrations` calls `pages` for the events that
//! page and asks `rota` whom the robots mention.

pub mod pages;
pub mod rota;
