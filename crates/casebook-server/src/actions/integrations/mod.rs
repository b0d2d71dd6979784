//! Integrations (集成): events written in the transaction of the change that caused them
//! (`emit`), subscriptions of webhooks and DingTalk, WeCom and Feishu robots to them
//! (`subscriptions`, their delivery log in `log`), the sender that delivers them in order with retries (`send`), and what is
//! sent: signed JSON (`signing`) or a chat message in the platform's format (`robots`).
//! The case core, the channels and the surveys call `emit`; this layer calls none of them.

pub mod emit;
pub mod log;
pub mod robots;
pub mod send;
pub mod signing;
pub mod subscriptions;
