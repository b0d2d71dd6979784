//! Field service (现场服务): how a problem is fixed once it is understood. `remote` is remote
//! diagnosis (远程诊断) with the customer's approval: the organisation's remote-access policy, a
//! session's request, window, states and its command log, sealed with a SHA-256 when it ends.

pub mod remote;
pub mod session;
