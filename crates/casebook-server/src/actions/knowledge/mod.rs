//! The knowledge base: articles and their review, drafts from solved cases, critical-issue
//! alerts and the products contacts subscribe to, and readers' feedback.

pub mod alerts;
pub mod articles;
pub mod feedback;
pub mod from_case;
pub mod review;
pub mod subscriptions;
