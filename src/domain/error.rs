use super::ticket::State;

/// Why the domain refused a request. Each variant maps to one gRPC status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that can never be valid: INVALID_ARGUMENT, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },

    /// A command that is not allowed in the ticket's current state: FAILED_PRECONDITION.
    #[error("cannot {command} ticket in state {state}{}", why_suffix(.why))]
    IllegalTransition {
        command: &'static str,
        state: State,
        why: Option<String>,
    },

    /// The acting unit may not do this: PERMISSION_DENIED.
    #[error("{0}")]
    NotPermitted(String),
}

fn why_suffix(why: &Option<String>) -> String {
    why.as_ref().map(|w| format!(": {w}")).unwrap_or_default()
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn illegal(command: &'static str, state: State) -> Self {
        Self::IllegalTransition {
            command,
            state,
            why: None,
        }
    }

    pub fn illegal_because(command: &'static str, state: State, why: impl Into<String>) -> Self {
        Self::IllegalTransition {
            command,
            state,
            why: Some(why.into()),
        }
    }
}
