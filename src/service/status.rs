//! How domain and store failures become gRPC statuses. Messages are precise for the caller
//! but never echo personal data: whatever a message quotes of the request passes through
//! [`redact_text`], since a hostile or careless client may put a phone number in any field.
//! Database internals are logged (redacted too: PostgreSQL quotes values), not returned.

use tonic::Status;

use crate::domain::DomainError;
use crate::domain::pii::redact_text;
use crate::store::StoreError;

impl From<DomainError> for Status {
    fn from(error: DomainError) -> Self {
        let message = redact_text(&error.to_string());
        match &error {
            DomainError::Invalid { .. } => Status::invalid_argument(message),
            DomainError::IllegalTransition { .. } => Status::failed_precondition(message),
            DomainError::NotPermitted(_) => Status::permission_denied(message),
        }
    }
}

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        let message = redact_text(&error.to_string());
        match &error {
            StoreError::NotFound(_) | StoreError::EntryNotFound(_) => Status::not_found(message),
            StoreError::VersionConflict { .. } | StoreError::EntryVersionConflict { .. } => {
                Status::aborted(message)
            }
            StoreError::RequestIdReused { .. } | StoreError::TokenNameTaken(_) => {
                Status::already_exists(message)
            }
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %message, "database unavailable");
                Status::unavailable("the database is unavailable; retry later")
            }
            StoreError::Database(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %message, "store failure");
                Status::internal("internal storage error")
            }
        }
    }
}

impl From<crate::knowledge::KnowledgeError> for Status {
    fn from(error: crate::knowledge::KnowledgeError) -> Self {
        use crate::knowledge::KnowledgeError as E;
        match &error {
            E::Invalid { .. } => Status::invalid_argument(error.to_string()),
            E::NotPermitted(_) => Status::permission_denied(error.to_string()),
            E::Precondition(_) => Status::failed_precondition(error.to_string()),
        }
    }
}

/// INVALID_ARGUMENT naming the field.
pub fn invalid(field: &str, message: impl std::fmt::Display) -> Status {
    Status::invalid_argument(redact_text(&format!("{field}: {message}")))
}
