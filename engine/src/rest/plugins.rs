//! `/connector-plugins`: what this worker can run, each plugin's config keys, and validation of
//! a config with per-field errors — one spec per plugin serves all three.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::RestError;
use super::framework_keys;
use crate::config::{ConfigKey, FieldError, Properties};
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

/// The keys of a plugin's form in Kafka Connect's order: its framework keys (a plugin key of the
/// same name takes the framework key's place), then the plugin's other keys.
fn form(plugin: &Plugin) -> Vec<(&'static str, Value, ConfigKey)> {
    let own = (plugin.connector)().config_def();
    let mut out: Vec<(&'static str, Value, ConfigKey)> = framework_keys::keys(plugin.kind)
        .map(|k| match own.key(k.name) {
            Some(key) => (k.name, framework_keys::plugin_key_json(key), key.clone()),
            None => (k.name, k.info_json(), k.spec()),
        })
        .collect();
    for key in own.keys() {
        if !out.iter().any(|(name, ..)| *name == key.name) {
            out.push((key.name, framework_keys::plugin_key_json(key), key.clone()));
        }
    }
    out
}

/// `GET /connector-plugins/{p}/config`: the plugin's own keys, then Kafka Connect's framework
/// keys of its kind, as `AbstractHerder.connectorPluginConfig` lists them.
pub async fn config(Path(name): Path<String>) -> Answer {
    let plugin = find(&name)?;
    let own = (plugin.connector)().config_def();
    let mut keys: Vec<Value> = own
        .keys()
        .iter()
        .map(framework_keys::plugin_key_json)
        .collect();
    keys.extend(
        framework_keys::keys(plugin.kind)
            .filter(|k| own.key(k.name).is_none())
            .map(framework_keys::FrameworkKey::info_json),
    );
    Ok(Json(keys).into_response())
}

fn value_json(name: &str, value: Option<&str>, errors: &[&str]) -> Value {
    json!({"name": name, "value": value, "recommended_values": [], "errors": errors, "visible": true})
}

/// `PUT /connector-plugins/{p}/config/validate`: every key with its value and errors, as
/// `AbstractHerder.validateConnectorConfig` reports them: values of keys outside the form first
/// (no definition), then the form's keys.
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
    let mut errors = match herder.validate(&props) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    };
    let form = form(plugin);
    // Framework keys wharf does not check itself still get their type and allowed values checked.
    let checked = connector_config::common_def(plugin.kind);
    for (name, _, spec) in &form {
        if checked.key(name).is_some() || errors.iter().any(|e| e.key == *name) {
            continue;
        }
        if let Some(Err(message)) = props.get(*name).map(|raw| spec.check(raw)) {
            errors.push(FieldError {
                key: (*name).to_owned(),
                message,
            });
        }
    }
    let mut groups: Vec<&str> = framework_keys::groups(plugin.kind).to_vec();
    for group in form.iter().filter_map(|(_, _, k)| k.group) {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    let messages_of = |key: &str| -> Vec<&str> {
        errors
            .iter()
            .filter(|e| e.key == key)
            .map(|e| e.message.as_str())
            .collect()
    };
    let mut configs: Vec<Value> = Vec::new();
    let mut outside: Vec<&str> = Vec::new();
    for e in &errors {
        if !form.iter().any(|(name, ..)| *name == e.key) && !outside.contains(&e.key.as_str()) {
            outside.push(&e.key);
        }
    }
    for key in outside {
        configs.push(json!({
            "definition": null,
            "value": value_json(key, props.get(key).map(String::as_str), &messages_of(key)),
        }));
    }
    for (name, definition, spec) in &form {
        let value = props.get(*name).map(String::as_str).or(spec.default);
        let value = match definition["default_value"] {
            Value::Null if !props.contains_key(*name) => None,
            _ => value,
        };
        configs.push(json!({
            "definition": definition,
            "value": value_json(name, value, &messages_of(name)),
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
