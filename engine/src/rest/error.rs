//! Errors as Kafka Connect's REST API reports them: `{"error_code": N, "message": ".."}` with the
//! HTTP status it uses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::forward::NotLeader;
use crate::herder::HerderError;
use connect_api::config::ConfigErrors;

/// An error answer.
#[derive(Debug)]
pub struct RestError {
    pub status: StatusCode,
    pub message: String,
    /// Set for [`HerderError::NotLeader`]: the answer carries it so that an endpoint Kafka
    /// Connect forwards goes on to the leader ([`super::forward`]).
    not_leader: Option<NotLeader>,
}

impl RestError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            not_leader: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A body the JSON extractor refused: 413 when it is larger than the limit, else 400 (as
    /// Kafka Connect answers a malformed body).
    pub fn rejected(rejection: &axum::extract::rejection::JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Self::bad_request(rejection.body_text())
        }
    }
}

/// The 413 answer to a body above `wharf.rest.request.max.bytes`.
pub fn too_large() -> RestError {
    RestError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The request body is larger than this worker takes ({} in worker.properties)",
            crate::keys::worker::REST_REQUEST_MAX_BYTES
        ),
    )
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.status.as_u16(), "message": self.message});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(not_leader) = self.not_leader {
            response.extensions_mut().insert(not_leader);
        }
        response
    }
}

/// Kafka Connect's wording for an invalid connector config.
pub fn invalid_config_message(errors: &ConfigErrors) -> String {
    let mut message = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        errors.errors.len()
    );
    for e in &errors.errors {
        message.push('\n');
        message.push_str(&e.message);
    }
    message.push_str(
        "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
    );
    message
}

/// Kafka Connect's 409 when the worker knows no leader to forward a request to.
pub(super) const NO_KNOWN_LEADER: &str = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";

/// Kafka Connect's 409 when a request did not reach the worker that can complete it.
pub(super) const CONFLICTING_OPERATION: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

impl From<HerderError> for RestError {
    fn from(error: HerderError) -> Self {
        match &error {
            HerderError::NotFound(_) | HerderError::TaskNotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, error.to_string())
            }
            HerderError::AlreadyExists(_) => Self::new(StatusCode::CONFLICT, error.to_string()),
            HerderError::Invalid(errors) => Self::bad_request(invalid_config_message(errors)),
            HerderError::BadRequest(_) => Self::bad_request(error.to_string()),
            HerderError::Shard(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
            }
            HerderError::Conflict(message) => Self::new(StatusCode::CONFLICT, message.clone()),
            HerderError::NotAssigned { owner_url } => Self {
                not_leader: Some(NotLeader(owner_url.clone())),
                ..Self::new(StatusCode::CONFLICT, CONFLICTING_OPERATION)
            },
            HerderError::Refused { status, message } => Self::new(
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                message.clone(),
            ),
            // Kafka Connect forwards a write to the leader (`completeOrForwardRequest`) and
            // answers 409 when it cannot. The answer carries the leader's URL, for the forwarding
            // middleware of the endpoints Kafka Connect forwards; elsewhere the 409 stands.
            HerderError::NotLeader { leader_url } => {
                let message = if leader_url.is_some() {
                    CONFLICTING_OPERATION
                } else {
                    NO_KNOWN_LEADER
                };
                Self {
                    not_leader: Some(NotLeader(leader_url.clone())),
                    ..Self::new(StatusCode::CONFLICT, message)
                }
            }
        }
    }
}

impl From<tokio::task::JoinError> for RestError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("request handler failed: {error}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributed_only_errors_answer_409() {
        let conflict = RestError::from(HerderError::stale_config());
        assert_eq!(conflict.status, StatusCode::CONFLICT);
        assert!(
            conflict
                .message
                .starts_with("Cannot complete request momentarily due to stale")
        );
        for leader_url in [None, Some("http://leader:8083".to_owned())] {
            let e = RestError::from(HerderError::NotLeader { leader_url });
            assert_eq!(e.status, StatusCode::CONFLICT);
        }
    }
}
