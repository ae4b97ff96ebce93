//! `GET /admin/loggers`, `GET|PUT /admin/loggers/{name}`: Kafka Connect's runtime log levels.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::RestError;
use crate::logging::LogLevels;

pub async fn list(State(logs): State<LogLevels>) -> Response {
    let body: Map<String, Value> = logs
        .all()
        .into_iter()
        .map(|(name, level)| (name, json!({ "level": level })))
        .collect();
    Json(body).into_response()
}

pub async fn get(State(logs): State<LogLevels>, Path(name): Path<String>) -> Response {
    Json(json!({ "level": logs.level(&name) })).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SetLevel {
    level: String,
}

pub async fn set(
    State(logs): State<LogLevels>,
    Path(name): Path<String>,
    body: Result<Json<SetLevel>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, RestError> {
    let Json(request) = body.map_err(|e| RestError::bad_request(e.body_text()))?;
    let changed = logs
        .set(&name, &request.level)
        .map_err(RestError::bad_request)?;
    Ok(Json(changed).into_response())
}
