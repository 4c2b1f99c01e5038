//! How domain and store failures become gRPC statuses. Messages are precise for the caller
//! but never echo personal data; database internals are logged, not returned.

use tonic::Status;

use crate::domain::DomainError;
use crate::store::StoreError;

impl From<DomainError> for Status {
    fn from(error: DomainError) -> Self {
        match &error {
            DomainError::Invalid { .. } => Status::invalid_argument(error.to_string()),
            DomainError::IllegalTransition { .. } => Status::failed_precondition(error.to_string()),
            DomainError::NotPermitted(_) => Status::permission_denied(error.to_string()),
        }
    }
}

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::NotFound(_) => Status::not_found(error.to_string()),
            StoreError::VersionConflict { .. } => Status::aborted(error.to_string()),
            StoreError::RequestIdReused { .. } | StoreError::TokenNameTaken(_) => {
                Status::already_exists(error.to_string())
            }
            StoreError::Unavailable(_) => {
                tracing::warn!(%error, "database unavailable");
                Status::unavailable("the database is unavailable; retry later")
            }
            StoreError::Database(_) | StoreError::Corrupt(_) => {
                tracing::error!(%error, "store failure");
                Status::internal("internal storage error")
            }
        }
    }
}

/// INVALID_ARGUMENT naming the field.
pub fn invalid(field: &str, message: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {message}"))
}
