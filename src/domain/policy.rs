//! The configurable parts of the loop's rules, handed to every decision through
//! [`Context`](super::lifecycle::Context): time limits and what callbacks may do.

use serde::{Deserialize, Serialize};

use super::deadline::DeadlinePolicy;

/// Whether an unhappy callback verdict reopens the ticket (重办).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reopen {
    /// Never: the ticket closes with the verdict recorded.
    Never,
    /// When the centre asks for it on the callback.
    #[default]
    OnRequest,
    /// Always: every unhappy callback goes back to the unit.
    Always,
}

/// What each unhappy verdict does; a declined callback is never unhappy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackPolicy {
    /// The requester answered 不满意.
    pub when_dissatisfied: Reopen,
    /// The requester said the matter is not resolved.
    pub when_unresolved: Reopen,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub deadlines: DeadlinePolicy,
    pub callbacks: CallbackPolicy,
}
