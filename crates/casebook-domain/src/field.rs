//! Field service (现场服务): how a problem is fixed once it is understood. `remote` is remote
//! diagnosis (远程诊断) with the customer's approval: the organisation's remote-access policy, a
//! session's request, window, states and its command log, sealed with a SHA-256 when it ends;
//! `session` a session as people read it. `visit` is an on-site visit (dispatch, check-in,
//! completion with the parts used); `parts` the spare parts catalogue, depots and stock.

pub mod parts;
pub mod remote;
pub mod session;
pub mod visit;
