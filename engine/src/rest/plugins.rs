//! `/connector-plugins`: what this worker can run, each plugin's config keys, and validation of
//! a config with per-field errors — one spec per plugin serves all three.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::RestError;
use crate::config::{ConfigDef, ConfigKey, Properties};
use crate::connectors::{self, Plugin};
use crate::herder::Herder;
use crate::worker::connector_config;

type Answer = Result<Response, RestError>;

fn find(name: &str) -> Result<&'static Plugin, RestError> {
    connectors::find(name).ok_or_else(|| {
        RestError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!(
                "Failed to find any class that implements Connector and which name matches {name}"
            ),
        )
    })
}

/// `GET /connector-plugins[?connectorsOnly=false]`.
pub async fn list(RawQuery(query): RawQuery) -> Answer {
    let connectors_only = !query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "connectorsOnly=false");
    let mut plugins: Vec<Value> = connectors::plugins()
        .iter()
        .map(|p| json!({"class": p.class, "type": p.kind.rest_name(), "version": p.version}))
        .collect();
    if !connectors_only {
        for t in crate::transforms::registry::plugins() {
            plugins.push(json!({"class": t.class, "type": t.kind().rest_name(), "version": env!("CARGO_PKG_VERSION")}));
        }
        for c in converters::ConverterClass::ALL
            .iter()
            .filter(|c| c.is_available())
        {
            plugins.push(json!({"class": c.class_name(), "type": "converter", "version": env!("CARGO_PKG_VERSION")}));
        }
    }
    Ok(Json(plugins).into_response())
}

fn key_json(key: &ConfigKey, order: usize) -> Value {
    json!({
        "name": key.name,
        "type": key.ty.rest_name(),
        "required": key.default.is_none(),
        "default_value": key.default,
        "importance": key.importance.rest_name(),
        "documentation": key.doc,
        "group": key.group,
        "width": "NONE",
        "display_name": key.name,
        "dependents": [],
        "order": order,
    })
}

fn full_def(plugin: &Plugin) -> ConfigDef {
    connector_config::common_def(plugin.kind).extend(&(plugin.connector)().config_def())
}

/// `GET /connector-plugins/{p}/config`: the plugin's own keys.
pub async fn config(Path(name): Path<String>) -> Answer {
    let plugin = find(&name)?;
    let def = (plugin.connector)().config_def();
    let keys: Vec<Value> = def
        .keys()
        .iter()
        .enumerate()
        .map(|(i, k)| key_json(k, i + 1))
        .collect();
    Ok(Json(keys).into_response())
}

/// `PUT /connector-plugins/{p}/config/validate`: every key with its value and errors.
pub async fn validate(
    State(herder): State<Herder>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(body) = body.map_err(|e| RestError::bad_request(e.body_text()))?;
    let plugin = find(&name)?;
    let mut props = Properties::new();
    for (k, v) in &body {
        match v {
            Value::String(s) => props.insert(k.clone(), s.clone()),
            Value::Null => continue,
            other => props.insert(k.clone(), other.to_string()),
        };
    }
    props
        .entry(connector_config::CONNECTOR_CLASS.to_owned())
        .or_insert_with(|| plugin.class.to_owned());
    let errors = match herder.validate(&props) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    };
    let def = full_def(plugin);
    let mut groups: Vec<&str> = Vec::new();
    let mut configs: Vec<Value> = def
        .keys()
        .iter()
        .enumerate()
        .map(|(i, key)| {
            if !groups.contains(&key.group) {
                groups.push(key.group);
            }
            let messages: Vec<&str> = errors.iter().filter(|e| e.key == key.name).map(|e| e.message.as_str()).collect();
            let value = props.get(key.name).map(String::as_str).or(key.default);
            json!({
                "definition": key_json(key, i + 1),
                "value": {"name": key.name, "value": value, "recommended_values": [], "errors": messages, "visible": true},
            })
        })
        .collect();
    // Errors on keys outside the spec (e.g. converter keys) still count and are shown.
    for e in errors.iter().filter(|e| def.key(&e.key).is_none()) {
        configs.push(json!({
            "definition": {"name": e.key, "type": "STRING", "required": false, "default_value": null, "importance": "MEDIUM", "documentation": "", "group": "Common", "width": "NONE", "display_name": e.key, "dependents": [], "order": -1},
            "value": {"name": e.key, "value": props.get(&e.key), "recommended_values": [], "errors": [e.message], "visible": true},
        }));
    }
    Ok(Json(json!({
        "name": plugin.class,
        "error_count": errors.len(),
        "groups": groups,
        "configs": configs,
    }))
    .into_response())
}
