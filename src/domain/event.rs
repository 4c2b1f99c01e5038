use serde::{Deserialize, Serialize};

use super::ticket::{State, TicketId, Timestamp, UnitId};

/// Who did something: the acting unit and the person in it (agent id, staff name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub unit: UnitId,
    pub person: String,
}

/// One immutable entry of a ticket's history. Every transition appends exactly one,
/// in the same transaction as the ticket's new state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub ticket_id: TicketId,
    /// The ticket version this event produced (1 for creation).
    pub version: i64,
    pub command: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub actor: Actor,
    /// The authenticated caller that made the change (`token:desk-1`), besides the actor
    /// it acted as; `legacy` for events older than authentication.
    #[serde(default)]
    pub principal: String,
    pub at: Timestamp,
    pub reason: String,
    /// Command-specific facts (assigned unit, satisfaction…), as a JSON object.
    pub details: serde_json::Value,
}
