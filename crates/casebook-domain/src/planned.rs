//! Planned work (可计划事件, 巡检, 培训): work announced before it happens, as opposed to a service
//! call. `event` is a scheduled event under change control — its types, the states and the steps
//! between them, the notice a contract asks for counted in working days of a business calendar,
//! and the request as filed.

pub mod event;
