//! `GET|PATCH|DELETE /connectors/{c}/offsets` (KIP-875): read, alter and reset a connector's
//! offsets without renaming it. Source offsets live in the worker's offset store; sink offsets
//! are the committed offsets of the consumer group `connect-<c>`. Changes need the connector
//! STOPPED, as in Kafka Connect.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Shared;
use super::error::RestError;
use crate::herder::Cluster;
use crate::herder::connector_config::{TOPICS, TOPICS_REGEX};
use crate::kafka::groups;
use crate::offsets::OffsetKey;
use connect_api::ConnectorType;

type Answer = Result<Response, RestError>;

fn internal(e: impl std::fmt::Display) -> RestError {
    RestError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// The topics a sink connector reads.
fn sink_topics(
    cluster: &dyn Cluster,
    config: &connect_api::config::Properties,
) -> Result<Vec<String>, RestError> {
    if let Some(regex) = config.get(TOPICS_REGEX).filter(|r| !r.trim().is_empty()) {
        let regex = regex::Regex::new(&format!("^(?:{})$", regex.trim())).map_err(internal)?;
        return groups::topics_matching(cluster.bootstrap(), &regex).map_err(internal);
    }
    Ok(connect_api::config::split_list(
        config.get(TOPICS).map_or("", String::as_str),
    ))
}

/// `GET /connectors/{c}/offsets`.
pub async fn get(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    let info = cluster.info(&name)?;
    let offsets: Vec<Value> = match info.kind {
        ConnectorType::Source => {
            // Read again first: on a distributed worker, other workers' tasks commit too.
            let h = cluster.clone();
            tokio::task::spawn_blocking(move || -> Result<Vec<Value>, RestError> {
                h.offsets().refresh().map_err(internal)?;
                Ok(h.offsets()
                    .offsets(&name)
                    .into_iter()
                    .map(
                        |(key, offset)| json!({"partition": key.partition_map(), "offset": offset}),
                    )
                    .collect())
            })
            .await??
        }
        ConnectorType::Sink => {
            let h = cluster.clone();
            tokio::task::spawn_blocking(move || -> Result<Vec<Value>, RestError> {
                let topics = sink_topics(&*h, &info.config)?;
                let committed = groups::committed(h.bootstrap(), &format!("connect-{name}"), &topics).map_err(internal)?;
                Ok(committed
                    .into_iter()
                    .map(|(t, p, o)| json!({"partition": {"kafka_topic": t, "kafka_partition": p}, "offset": {"kafka_offset": o}}))
                    .collect())
            })
            .await??
        }
    };
    Ok(Json(json!({ "offsets": offsets })).into_response())
}

fn require_stopped(cluster: &dyn Cluster, name: &str) -> Result<ConnectorType, RestError> {
    let status = cluster.status(name)?;
    if status.state != "STOPPED" {
        return Err(RestError::bad_request(format!(
            "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
        )));
    }
    Ok(status.kind)
}

#[derive(Debug, Deserialize)]
pub struct AlterRequest {
    offsets: Vec<PartitionOffset>,
}

#[derive(Debug, Deserialize)]
pub struct PartitionOffset {
    partition: Map<String, Value>,
    offset: Option<Map<String, Value>>,
}

fn sink_partition(p: &PartitionOffset) -> Result<(String, i32, Option<i64>), RestError> {
    let topic = p.partition.get("kafka_topic").and_then(Value::as_str);
    let partition = p
        .partition
        .get("kafka_partition")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok());
    let (Some(topic), Some(partition)) = (topic, partition) else {
        return Err(RestError::bad_request(
            "Sink connector partitions must have a string \"kafka_topic\" and an integer \"kafka_partition\"",
        ));
    };
    let offset = match &p.offset {
        None => None,
        Some(o) => Some(
            o.get("kafka_offset")
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    RestError::bad_request(
                        "Sink connector offsets must have an integer \"kafka_offset\"",
                    )
                })?,
        ),
    };
    Ok((topic.to_owned(), partition, offset))
}

/// `PATCH /connectors/{c}/offsets`.
pub async fn alter(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    body: Result<Json<AlterRequest>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(request) = body.map_err(|e| RestError::rejected(&e))?;
    cluster.require_leader()?;
    match require_stopped(&*cluster, &name)? {
        ConnectorType::Source => {
            let updates = request
                .offsets
                .into_iter()
                .map(|p| (OffsetKey::new(&name, &p.partition), p.offset))
                .collect();
            cluster.offsets().commit(updates).map_err(internal)?;
        }
        ConnectorType::Sink => {
            let mut set = Vec::new();
            for p in &request.offsets {
                match sink_partition(p)? {
                    (t, part, Some(o)) => set.push((t, part, o)),
                    (t, part, None) => {
                        return Err(RestError::bad_request(format!(
                            "Resetting the offset of a single sink partition ({t}-{part}) is not supported; use DELETE /connectors/{name}/offsets to reset all"
                        )));
                    }
                }
            }
            let bootstrap = cluster.bootstrap().to_owned();
            let group = format!("connect-{name}");
            tokio::task::spawn_blocking(move || groups::alter(&bootstrap, &group, &set))
                .await?
                .map_err(internal)?;
        }
    }
    Ok(
        Json(json!({"message": "The offsets for this connector have been altered successfully"}))
            .into_response(),
    )
}

/// `DELETE /connectors/{c}/offsets`.
pub async fn reset(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    cluster.require_leader()?;
    match require_stopped(&*cluster, &name)? {
        ConnectorType::Source => {
            // Every partition any worker committed gets its tombstone.
            let h = cluster.clone();
            tokio::task::spawn_blocking(move || -> Result<(), RestError> {
                h.offsets().refresh().map_err(internal)?;
                let updates = h
                    .offsets()
                    .offsets(&name)
                    .into_keys()
                    .map(|k| (k, None))
                    .collect();
                h.offsets().commit(updates).map_err(internal)
            })
            .await??;
        }
        ConnectorType::Sink => {
            let bootstrap = cluster.bootstrap().to_owned();
            let group = format!("connect-{name}");
            tokio::task::spawn_blocking(move || groups::delete(&bootstrap, &group))
                .await?
                .map_err(internal)?;
        }
    }
    Ok(
        Json(json!({"message": "The offsets for this connector have been reset successfully"}))
            .into_response(),
    )
}
