//! Field service (现场服务, docs/field-service.md), built on the case core: remote diagnosis
//! sessions with the customer's approval. `remote_policy` is who may allow remote access to an
//! organisation or a site; `remote` the sessions' steps (request, approve or decline, start
//! inside the approved window, end, revoke, cancel) and the sweep that ends a session whose
//! window closed; `remote_log` the command log and recordings, sealed when the session ends;
//! `remote_links` the signed mail link an authorised contact answers a request with. `visits`
//! is on-site visits (dispatch with spare parts reserved and the on-site arrival clock started,
//! check-in, completion with the parts used, cancellation); `parts` the parts catalogue, depots
//! and stock.

pub mod parts;
pub mod remote;
pub mod remote_links;
pub mod remote_log;
pub mod remote_policy;
pub mod visits;
