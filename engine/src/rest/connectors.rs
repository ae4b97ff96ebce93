//! `/connectors/...`: create, inspect, reconfigure, pause, resume, stop, restart and delete
//! connectors, with Kafka Connect's paths, JSON shapes and status codes.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Shared;
use super::error::RestError;
use crate::herder::connector_config::{NAME, TASK_CLASS, TOPICS, TOPICS_REGEX, task_class};
use crate::herder::{
    ALGORITHM_HEADER, Cluster, ConnectorStatus, InternalRequest, SIGNATURE_HEADER, TargetState,
    TaskStatus,
};
use connect_api::config::Properties;

type Answer = Result<Response, RestError>;

/// Runs a cluster call on a blocking thread: writes wait for tasks to stop.
async fn blocking<T: Send + 'static>(
    cluster: &Shared,
    f: impl FnOnce(&dyn Cluster) -> T + Send + 'static,
) -> Result<T, RestError> {
    let cluster = Shared::clone(cluster);
    Ok(tokio::task::spawn_blocking(move || f(&*cluster)).await?)
}

/// A JSON object of config values: strings, or numbers/booleans written as text; null drops.
fn to_properties(object: &Map<String, Value>) -> Result<Properties, RestError> {
    let mut props = Properties::new();
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            Value::Null => continue,
            _ => {
                return Err(RestError::bad_request(format!(
                    "config value of {key} must be a string"
                )));
            }
        };
        props.insert(key.clone(), text);
    }
    Ok(props)
}

fn info_json(cluster: &dyn Cluster, name: &str) -> Result<Value, RestError> {
    let info = cluster.info(name)?;
    Ok(json!({
        "name": info.name,
        "config": info.config,
        "tasks": info.tasks.iter().map(|t| json!({"connector": name, "task": t})).collect::<Vec<_>>(),
        "type": info.kind.rest_name(),
    }))
}

fn task_status_json(t: &TaskStatus) -> Value {
    let mut v = json!({"id": t.id, "state": t.state, "worker_id": t.worker_id});
    if let Some(trace) = &t.trace {
        v["trace"] = Value::String(trace.clone());
    }
    v
}

/// The version of the plugin a connector runs, which Kafka Connect's status answers carry for
/// the connector and each task (KIP-891).
fn plugin_version(cluster: &dyn Cluster, name: &str) -> Option<&'static str> {
    let plugins = cluster.plugins();
    let info = cluster.info(name).ok()?;
    let class = info
        .config
        .get(crate::herder::connector_config::CONNECTOR_CLASS)?;
    plugins.connector(class).map(|p| p.version)
}

fn status_json(cluster: &dyn Cluster, s: &ConnectorStatus) -> Value {
    let version = plugin_version(cluster, &s.name);
    let tasks: Vec<Value> = s
        .tasks
        .iter()
        .map(|t| {
            let mut v = task_status_json(t);
            v["version"] = json!(version);
            v
        })
        .collect();
    json!({
        "name": s.name,
        "connector": {"state": s.state, "worker_id": s.worker_id, "version": version},
        "tasks": tasks,
        "type": s.kind.rest_name(),
    })
}

/// Every value of `key` in a query string; `expand=a&expand=b` and `expand=a,b` both work.
fn query_values(raw: Option<&str>, key: &str) -> Vec<String> {
    raw.unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == key)
        .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// A boolean query parameter read as JAX-RS reads Kafka Connect's (`Boolean.valueOf`): its first
/// value, true only when it is `true` in any case; absent is false.
fn query_flag(raw: Option<&str>, key: &str) -> bool {
    raw.unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == key)
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case("true"))
}

/// `GET /connectors[?expand=status&expand=info]`.
pub async fn list(State(cluster): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let expand = query_values(query.as_deref(), "expand");
    let names = cluster.names();
    if expand.is_empty() {
        return Ok(Json(names).into_response());
    }
    let mut out = Map::new();
    for name in names {
        let mut entry = Map::new();
        if expand.iter().any(|e| e == "info")
            && let Ok(info) = info_json(&*cluster, &name)
        {
            entry.insert("info".to_owned(), info);
        }
        if expand.iter().any(|e| e == "status")
            && let Ok(status) = cluster.status(&name)
        {
            entry.insert("status".to_owned(), status_json(&*cluster, &status));
        }
        out.insert(name, Value::Object(entry));
    }
    Ok(Json(Value::Object(out)).into_response())
}

/// The body of `POST /connectors`; other fields are refused, as Kafka Connect's Jackson mapping
/// refuses them (a config sent without its `config` wrapper).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    name: Option<String>,
    config: Option<Map<String, Value>>,
    initial_state: Option<String>,
}

/// `POST /connectors`.
pub async fn create(
    State(cluster): State<Shared>,
    body: Result<Json<CreateRequest>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(request) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            super::error::too_large()
        } else {
            RestError::bad_request(create_rejection(&e))
        }
    })?;
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| RestError::bad_request("Connector name must be specified"))?;
    let mut props = to_properties(&request.config.unwrap_or_default())?;
    match props.get(NAME) {
        Some(n) if *n != name => {
            return Err(RestError::bad_request(format!(
                "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
            )));
        }
        _ => {
            props.insert(NAME.to_owned(), name.clone());
        }
    }
    let initial = match request.initial_state.as_deref() {
        None => TargetState::Running,
        Some(s) => TargetState::parse(s)
            .ok_or_else(|| RestError::bad_request(format!("Invalid initial state {s}")))?,
    };
    let n = name.clone();
    blocking(&cluster, move |h| h.put(props, initial, false)).await??;
    let info = info_json(&*cluster, &n)?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// Kafka Connect's words for a create request with a field it does not know; serde's otherwise.
fn create_rejection(rejection: &axum::extract::rejection::JsonRejection) -> String {
    let text = rejection.body_text();
    let unknown = text
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(field, _)| field.to_owned());
    match unknown {
        Some(field) => format!(
            "Unrecognized field \"{field}\" (class org.apache.kafka.connect.runtime.rest.entities.\
             CreateConnectorRequest), not marked as ignorable (3 known properties: \"config\", \
             \"name\", \"initial_state\")"
        ),
        None => text,
    }
}

/// `GET /connectors/{c}`.
pub async fn get(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    Ok(Json(info_json(&*cluster, &name)?).into_response())
}

/// `GET /connectors/{c}/config`.
pub async fn get_config(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    Ok(Json(cluster.info(&name)?.config).into_response())
}

/// `PUT /connectors/{c}/config`: create or replace.
pub async fn put_config(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(config) = body.map_err(|e| RestError::rejected(&e))?;
    let mut props = to_properties(&config)?;
    if let Some(n) = props.get(NAME)
        && *n != name
    {
        return Err(RestError::bad_request(format!(
            "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
        )));
    }
    props.insert(NAME.to_owned(), name.clone());
    let created = blocking(&cluster, move |h| h.put(props, TargetState::Running, true)).await??;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info_json(&*cluster, &name)?)).into_response())
}

/// `PATCH /connectors/{c}/config`: merge; a null value removes the key.
pub async fn patch_config(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(patch) = body.map_err(|e| RestError::rejected(&e))?;
    let mut props = cluster.info(&name)?.config;
    for (key, value) in &patch {
        match value {
            Value::Null => {
                props.remove(key);
            }
            Value::String(s) => {
                props.insert(key.clone(), s.clone());
            }
            Value::Number(_) | Value::Bool(_) => {
                props.insert(key.clone(), value.to_string());
            }
            _ => {
                return Err(RestError::bad_request(format!(
                    "config value of {key} must be a string"
                )));
            }
        }
    }
    if props.get(NAME).is_some_and(|n| *n != name) {
        return Err(RestError::bad_request(
            "Connector name configuration must not be changed",
        ));
    }
    props.insert(NAME.to_owned(), name.clone());
    blocking(&cluster, move |h| h.put(props, TargetState::Running, true)).await??;
    Ok(Json(info_json(&*cluster, &name)?).into_response())
}

/// `GET /connectors/{c}/status`.
pub async fn status(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    let status = cluster.status(&name).map_err(|e| match e {
        crate::herder::HerderError::NotFound(_) => RestError::new(
            StatusCode::NOT_FOUND,
            format!("No status found for connector {name}"),
        ),
        other => other.into(),
    })?;
    Ok(Json(status_json(&*cluster, &status)).into_response())
}

/// `GET /connectors/{c}/tasks`.
pub async fn tasks(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    let configs = cluster.task_configs(&name)?;
    let class = cluster
        .info(&name)?
        .config
        .get(crate::herder::connector_config::CONNECTOR_CLASS)
        .and_then(|c| cluster.plugins().connector(c))
        .map(|p| task_class(p.class));
    let tasks: Vec<Value> = configs
        .into_iter()
        .enumerate()
        .map(|(n, mut config)| {
            if let Some(class) = &class {
                config.insert(TASK_CLASS.to_owned(), class.clone());
            }
            json!({"id": {"connector": name, "task": n}, "config": config})
        })
        .collect();
    Ok(Json(tasks).into_response())
}

/// `GET /connectors/{c}/tasks/{t}/status`.
pub async fn task_status(
    State(cluster): State<Shared>,
    Path((name, task)): Path<(String, usize)>,
) -> Answer {
    let status = cluster.status(&name)?;
    let t = status.tasks.iter().find(|t| t.id == task).ok_or_else(|| {
        RestError::new(
            StatusCode::NOT_FOUND,
            format!("No status found for task {name}-{task}"),
        )
    })?;
    Ok(Json(task_status_json(t)).into_response())
}

async fn target(cluster: Shared, name: String, target: TargetState) -> Answer {
    blocking(&cluster, move |h| h.set_target(&name, target)).await??;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `PUT /connectors/{c}/pause`.
pub async fn pause(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    target(cluster, name, TargetState::Paused).await
}

/// `PUT /connectors/{c}/resume`.
pub async fn resume(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    target(cluster, name, TargetState::Running).await
}

/// `PUT /connectors/{c}/stop`: 204, where pause and resume answer 202.
pub async fn stop(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    target(cluster, name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /connectors/{c}/restart?includeTasks=&onlyFailed=`. With neither flag only the
/// connector restarts (204, no body); otherwise (KIP-745) the connector restarts unless
/// `onlyFailed` (a wharf connector never fails), the selected tasks restart, and the answer is
/// 202 with the plan: what restarts reads `RESTARTING`.
pub async fn restart(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let include_tasks = query_flag(query.as_deref(), "includeTasks");
    let only_failed = query_flag(query.as_deref(), "onlyFailed");
    if !include_tasks && !only_failed {
        blocking(&cluster, move |h| h.restart_connector(&name)).await??;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let before = cluster.status(&name)?;
    let mut plan = status_json(&*cluster, &before);
    if !only_failed {
        plan["connector"]["state"] = json!("RESTARTING");
    }
    let restarts = |t: &TaskStatus| include_tasks && (!only_failed || t.state == "FAILED");
    for (t, out) in before
        .tasks
        .iter()
        .zip(plan["tasks"].as_array_mut().into_iter().flatten())
    {
        if restarts(t) {
            out["state"] = json!("RESTARTING");
            if let Some(o) = out.as_object_mut() {
                o.remove("trace");
            }
        }
    }
    let any_task = before.tasks.iter().any(restarts);
    blocking(&cluster, move |h| {
        h.restart_connector_and_tasks(&name, include_tasks, only_failed, any_task)
    })
    .await??;
    Ok((StatusCode::ACCEPTED, Json(plan)).into_response())
}

/// `POST /connectors/{c}/tasks/{t}/restart`.
pub async fn restart_task(
    State(cluster): State<Shared>,
    Path((name, task)): Path<(String, usize)>,
) -> Answer {
    blocking(&cluster, move |h| h.restart(&name, Some(task), false)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /connectors/{c}`.
pub async fn delete(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    blocking(&cluster, move |h| h.delete(&name)).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /connectors/{c}/tasks` (internal): the task configs that the worker running the
/// connector computed, sent to the leader to write; a JSON array of string maps. The raw body
/// and the signature headers go to the cluster, which checks them (KIP-507). 204 once written.
pub async fn put_task_configs(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let configs: Vec<Map<String, Value>> = serde_json::from_slice(&body).map_err(|e| {
        RestError::bad_request(format!("Task configs must be a JSON array of objects: {e}"))
    })?;
    let configs = configs
        .iter()
        .map(to_properties)
        .collect::<Result<Vec<_>, _>>()?;
    let (signature, algorithm) = signature_headers(&headers);
    blocking(&cluster, move |h| {
        h.put_task_configs(
            &name,
            configs,
            &InternalRequest {
                body: &body,
                signature: signature.as_deref(),
                algorithm: algorithm.as_deref(),
            },
        )
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /connectors/{c}/fence` (internal, KIP-618): a worker about to start a connector's
/// exactly-once source tasks asks the leader to fence the previous generation's producers. The
/// body is empty; its signature headers go to the cluster. 204 once fenced and recorded.
pub async fn fence_zombies(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (signature, algorithm) = signature_headers(&headers);
    blocking(&cluster, move |h| {
        h.fence_zombies(
            &name,
            &InternalRequest {
                body: &body,
                signature: signature.as_deref(),
                algorithm: algorithm.as_deref(),
            },
        )
    })
    .await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An internal request's `X-Connect-Authorization` and `X-Connect-Request-Signature-Algorithm`.
fn signature_headers(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    (header(SIGNATURE_HEADER), header(ALGORITHM_HEADER))
}

/// `GET /connectors/{c}/topics`: the topics the connector is configured to use; none after a
/// reset until records go through it again.
pub async fn topics(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    let info = cluster.info(&name)?;
    if !cluster.topics_active(&name)? {
        let empty: Vec<String> = Vec::new();
        return Ok(Json(BTreeMap::from([(name, json!({"topics": empty}))])).into_response());
    }
    let mut topics: Vec<String> =
        connect_api::config::split_list(info.config.get(TOPICS).map_or("", String::as_str));
    if let Some(topic) = info.config.get("topic").filter(|t| !t.trim().is_empty()) {
        topics.push(topic.trim().to_owned());
    }
    if let Some(regex) = info
        .config
        .get(TOPICS_REGEX)
        .filter(|t| !t.trim().is_empty())
    {
        topics.push(regex.clone());
    }
    let mut body = BTreeMap::new();
    body.insert(name, json!({"topics": topics}));
    Ok(Json(body).into_response())
}

/// `PUT /connectors/{c}/topics/reset` (KIP-558): 202, no body.
pub async fn reset_topics(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    cluster.reset_active_topics(&name)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_like_java_boolean_value_of() {
        for (query, expected) in [
            ("includeTasks=true", true),
            ("includeTasks=True", true),
            ("includeTasks=TRUE&onlyFailed=x", true),
            ("includeTasks=False", false),
            ("includeTasks=0", false),
            ("includeTasks=1", false),
            ("includeTasks=yes", false),
            ("includeTasks=", false),
            ("includeTasks", false),
            ("onlyFailed=true", false),
            ("includeTasks=false&includeTasks=true", false),
        ] {
            assert_eq!(query_flag(Some(query), "includeTasks"), expected, "{query}");
        }
        assert!(!query_flag(None, "includeTasks"));
    }

    #[test]
    fn task_class_follows_kafka_connect_names() {
        assert_eq!(
            task_class("org.apache.kafka.connect.file.FileStreamSourceConnector"),
            "org.apache.kafka.connect.file.FileStreamSourceTask"
        );
        assert_eq!(
            task_class("io.confluent.kafka.connect.datagen.DatagenConnector"),
            "io.confluent.kafka.connect.datagen.DatagenTask"
        );
    }
}
