//! `/connector-plugins`: what this worker can run, each plugin's config keys, and validation of
//! a config with per-field errors — one spec per plugin serves all three.

use crate::keys::secrets;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Shared;
use super::error::RestError;
use crate::herder::connector_config;
use crate::keys::connector as framework_keys;
use crate::plugins::{ConnectorPlugin, Plugins, SIMPLE_HEADER_CONVERTER};
use connect_api::ConnectorType;
use connect_api::config::{ConfigKey, ConfigType, FieldError, Importance, Properties};
use transforms::catalog::PluginKind;

type Answer = Result<Response, RestError>;

fn find<'a>(plugins: &'a Plugins, name: &str) -> Result<&'a ConnectorPlugin, RestError> {
    plugins.connector(name).ok_or_else(|| {
        RestError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!(
                "Failed to find any class that implements Connector and which name matches {name}"
            ),
        )
    })
}

/// `GET /connector-plugins/{p}/config`'s answer to a plugin it does not know.
fn unknown(name: &str) -> RestError {
    RestError::new(
        axum::http::StatusCode::NOT_FOUND,
        format!("Unknown plugin {name}."),
    )
}

/// `GET /connector-plugins[?connectorsOnly=false]`: sink connectors, then source connectors, each
/// by class name, as Kafka Connect's sorted plugin sets list them.
pub async fn list(State(cluster): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let all = cluster.plugins();
    let connectors_only = !query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "connectorsOnly=false");
    let mut sorted: Vec<&ConnectorPlugin> = all.connectors().iter().collect();
    sorted.sort_by_key(|p| (p.kind != ConnectorType::Sink, p.class));
    let mut plugins: Vec<Value> = sorted
        .into_iter()
        .map(|p| json!({"class": p.class, "type": p.kind.rest_name(), "version": p.version}))
        .collect();
    if !connectors_only {
        for t in all.transforms() {
            plugins.push(json!({"class": t.class, "type": t.kind().rest_name(), "version": env!("CARGO_PKG_VERSION")}));
        }
        for c in all.converters() {
            plugins.push(json!({"class": c.class_name(), "type": "converter", "version": env!("CARGO_PKG_VERSION")}));
        }
    }
    Ok(Json(plugins).into_response())
}

/// One key of a plugin's form.
struct Entry {
    name: String,
    /// The `definition` object of a validation answer.
    definition: Value,
    /// What the key's value is checked against.
    spec: ConfigKey,
    /// The `recommended_values` of a validation answer.
    recommended: Vec<String>,
}

impl Entry {
    fn new(name: &str, definition: Value, spec: ConfigKey) -> Self {
        Self {
            name: name.to_owned(),
            definition,
            spec,
            recommended: Vec::new(),
        }
    }

    /// Sets the default the definition shows and the value falls back to.
    fn default_to(&mut self, default: &str) {
        self.definition["default_value"] = json!(default);
    }
}

const CONNECTOR_PLUGIN_VERSION: &str = "connector.plugin.version";
const HEADER_CONVERTER: &str = "header.converter";

/// The keys of a plugin's form in Kafka Connect's order: its framework keys (a plugin key of the
/// same name takes the framework key's place), then the plugin's other keys.
/// `connector.plugin.version` defaults to the plugin's version, as Kafka Connect's does (KIP-891).
fn form(plugin: &ConnectorPlugin) -> (Vec<Entry>, Vec<Entry>) {
    let own = (plugin.connector)().config_def();
    let framework = framework_keys::keys(plugin.kind)
        .map(|k| match own.key(k.name) {
            Some(key) => Entry::new(k.name, framework_keys::plugin_key_json(key), key.clone()),
            None => {
                let mut entry = Entry::new(k.name, k.info_json(), k.spec());
                if k.name == CONNECTOR_PLUGIN_VERSION {
                    entry.default_to(plugin.version);
                    entry.recommended = vec![plugin.version.to_owned()];
                }
                entry
            }
        })
        .collect::<Vec<_>>();
    let rest = own
        .keys()
        .iter()
        .filter(|key| !framework.iter().any(|e| e.name == key.name))
        .map(|key| Entry::new(key.name, framework_keys::plugin_key_json(key), key.clone()))
        .collect();
    (framework, rest)
}

/// The converter classes this worker can load, by class name; header converters also list
/// the default header converter.
fn converter_classes(plugins: &Plugins, header: bool) -> Vec<String> {
    let mut classes: Vec<String> = if header {
        plugins
            .header_converters()
            .iter()
            .map(|c| (*c).to_owned())
            .collect()
    } else {
        plugins
            .converters()
            .iter()
            .map(|c| c.class_name().to_owned())
            .collect()
    };
    classes.sort();
    classes
}

/// What validation adds to the framework keys, as `AbstractHerder.validateConnectorConfig` does:
/// the converter keys default to the worker's converters and recommend the converters there
/// are, and each `*.plugin.version` defaults to (and recommends) the plugin's version.
fn with_worker_defaults(plugins: &Plugins, entries: &mut [Entry], worker: &Properties) {
    for entry in entries {
        let name = entry.name.clone();
        if let Some(converter) = name.strip_suffix(".plugin.version") {
            if converter.ends_with("converter") {
                entry.default_to(env!("CARGO_PKG_VERSION"));
                entry.recommended = vec![env!("CARGO_PKG_VERSION").to_owned()];
            }
        } else if name.ends_with(".converter") {
            let default = match worker.get(&name) {
                Some(class) => Some(class.as_str()),
                None if name == HEADER_CONVERTER => Some(SIMPLE_HEADER_CONVERTER),
                None => None,
            };
            if let Some(default) = default {
                entry.default_to(default);
            }
            entry.recommended = converter_classes(plugins, name == HEADER_CONVERTER);
        }
    }
}

/// The keys `ConnectorConfig.enrich` adds for each alias of `transforms` (then `predicates`):
/// `<prefix>.<alias>.type` and `.plugin.version`, then — when the type names a plugin — the
/// plugin's own keys (transforms also `negate` and `predicate`) in name order, each in group
/// `Transforms: <alias>` (`Predicates: <alias>`). Returns the keys and the groups they add.
fn enriched(plugins: &Plugins, props: &Properties) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut groups = Vec::new();
    for kind in [PluginKind::Transformation, PluginKind::Predicate] {
        let (list_key, group_prefix, noun, type_label) = match kind {
            PluginKind::Transformation => (
                "transforms",
                "Transforms",
                "transformation",
                "Transformation",
            ),
            PluginKind::Predicate => ("predicates", "Predicates", "predicate", "Predicate"),
        };
        let mut aliases: Vec<String> = Vec::new();
        for alias in props
            .get(list_key)
            .map(|l| connect_api::config::split_list(l))
            .unwrap_or_default()
        {
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        for alias in aliases {
            let prefix = format!("{list_key}.{alias}.");
            let group = format!("{group_prefix}: {alias}");
            let type_key = format!("{prefix}type");
            let classes: Vec<String> = plugins
                .transforms()
                .iter()
                .filter(|p| p.kind() == kind)
                .map(|p| p.class.to_owned())
                .collect();
            let mut type_entry = Entry::new(
                &type_key,
                key_json(
                    &type_key,
                    ConfigType::Class,
                    None,
                    Importance::High,
                    &format!("Class for the '{alias}' {noun}."),
                    &group,
                    0,
                    "LONG",
                    &format!("{type_label} type for {alias}"),
                ),
                ConfigKey::required("type", ConfigType::Class, ""),
            );
            type_entry.recommended = classes;
            entries.push(type_entry);
            let version_key = format!("{prefix}plugin.version");
            let mut version_entry = Entry::new(
                &version_key,
                key_json(
                    &version_key,
                    ConfigType::String,
                    Some(env!("CARGO_PKG_VERSION")),
                    Importance::High,
                    &format!("Version of the '{alias}' {noun}."),
                    &group,
                    1,
                    "LONG",
                    &format!("{type_label} version for {alias}"),
                ),
                ConfigKey::optional(
                    "plugin.version",
                    ConfigType::String,
                    env!("CARGO_PKG_VERSION"),
                    "",
                ),
            );
            version_entry.recommended = vec![env!("CARGO_PKG_VERSION").to_owned()];
            entries.push(version_entry);
            groups.push(group.clone());
            let Some(plugin) = props
                .get(&type_key)
                .and_then(|t| plugins.transform(t))
                .filter(|p| p.kind() == kind)
            else {
                continue;
            };
            let mut keys: Vec<ConfigKey> = plugin.config_def().keys().to_vec();
            if kind == PluginKind::Transformation {
                // The implicit keys mask a transform's own keys of the same names.
                keys.retain(|k| k.name != PREDICATE && k.name != NEGATE);
                keys.push(
                    ConfigKey::optional(NEGATE, ConfigType::Boolean, "false", NEGATE_DOC)
                        .importance(Importance::Medium),
                );
                keys.push(
                    ConfigKey::optional(PREDICATE, ConfigType::String, "", PREDICATE_DOC)
                        .importance(Importance::Medium),
                );
            }
            keys.sort_by_key(|k| k.name);
            for (order, key) in (2..).zip(keys) {
                let name = format!("{prefix}{}", key.name);
                let mut definition = framework_keys::plugin_key_json(&key);
                definition["name"] = json!(name);
                definition["group"] = json!(group);
                definition["order_in_group"] = json!(order);
                definition["display_name"] = json!(key.name);
                if key.name == PREDICATE {
                    definition["default_value"] = Value::Null;
                    definition["required"] = json!(false);
                }
                entries.push(Entry::new(&name, definition, key));
            }
        }
    }
    (entries, groups)
}

/// Whether `raw` is a value of the key's type, whatever its validator says.
fn parses_as(spec: &ConfigKey, raw: &str) -> bool {
    let type_only = ConfigKey {
        validator: None,
        ..spec.clone()
    };
    type_only.check(raw).is_ok()
}

const PREDICATE: &str = "predicate";
const NEGATE: &str = "negate";
const PREDICATE_DOC: &str =
    "The alias of a predicate used to determine whether to apply this transformation.";
const NEGATE_DOC: &str = "Whether the configured predicate should be negated.";

/// A key definition as Kafka Connect's `ConfigKeyInfo` writes it.
#[allow(clippy::too_many_arguments)]
fn key_json(
    name: &str,
    ty: ConfigType,
    default: Option<&str>,
    importance: Importance,
    doc: &str,
    group: &str,
    order: i32,
    width: &str,
    display: &str,
) -> Value {
    json!({
        "name": name,
        "type": ty.rest_name(),
        "required": default.is_none(),
        "default_value": default,
        "importance": importance.rest_name(),
        "documentation": doc,
        "group": group,
        "order_in_group": order,
        "width": width,
        "display_name": display,
        "dependents": [],
    })
}

/// `GET /connector-plugins/{p}/config`: the plugin's own keys, then Kafka Connect's framework
/// keys of its kind, as `AbstractHerder.connectorPluginConfig` lists them.
pub async fn config(State(cluster): State<Shared>, Path(name): Path<String>) -> Answer {
    let plugin = cluster
        .plugins()
        .connector(&name)
        .ok_or_else(|| unknown(&name))?;
    let own = (plugin.connector)().config_def();
    let mut keys: Vec<Value> = own
        .keys()
        .iter()
        .map(framework_keys::plugin_key_json)
        .collect();
    keys.extend(
        framework_keys::keys(plugin.kind)
            .filter(|k| own.key(k.name).is_none())
            .map(|k| {
                let mut info = k.info_json();
                if k.name == CONNECTOR_PLUGIN_VERSION {
                    info["default_value"] = json!(plugin.version);
                }
                info
            }),
    );
    Ok(Json(keys).into_response())
}

fn value_json(name: &str, value: Option<&str>, recommended: &[String], errors: &[&str]) -> Value {
    json!({"name": name, "value": value, "recommended_values": recommended, "errors": errors, "visible": true})
}

/// `PUT /connector-plugins/{p}/config/validate`: every key with its value and errors, as
/// `AbstractHerder.validateConnectorConfig` reports them: values of keys outside the form first
/// (no definition), then the form's keys.
pub async fn validate(
    State(cluster): State<Shared>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let Json(body) = body.map_err(|e| RestError::rejected(&e))?;
    let plugins = cluster.plugins();
    let plugin = find(plugins, &name)?;
    let mut props = Properties::new();
    for (k, v) in &body {
        match v {
            Value::String(s) => props.insert(k.clone(), s.clone()),
            Value::Null => continue,
            other => props.insert(k.clone(), other.to_string()),
        };
    }
    // Kafka Connect names the answer after the class as the request gives it.
    let answer_name = props
        .get(connector_config::CONNECTOR_CLASS)
        .cloned()
        .unwrap_or_else(|| plugin.class.to_owned());
    if let Some(given) = props.get(connector_config::CONNECTOR_CLASS)
        && plugins
            .connector(given)
            .is_none_or(|p| p.class != plugin.class)
    {
        return Err(RestError::bad_request(format!(
            "Included connector type {given} does not match request type {name}"
        )));
    }
    props
        .entry(connector_config::CONNECTOR_CLASS.to_owned())
        .or_insert_with(|| plugin.class.to_owned());
    let mut errors = match cluster.validate(&props) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    };
    let (mut framework, own) = form(plugin);
    with_worker_defaults(plugins, &mut framework, cluster.worker_props());
    let (extra, extra_groups) = enriched(plugins, &props);
    let form: Vec<Entry> = framework.into_iter().chain(extra).chain(own).collect();
    // Framework keys wharf does not check itself still get their type and allowed values checked.
    let checked = connector_config::common_def(plugin.kind);
    for entry in &form {
        let name = entry.name.as_str();
        if checked.key(name).is_some() || errors.iter().any(|e| e.key == name) {
            continue;
        }
        if let Some(Err(message)) = props.get(name).map(|raw| entry.spec.check(raw)) {
            // Enriched keys are checked under their short names; the message names the full key.
            let message = message.replace(
                &format!("configuration {}:", entry.spec.name),
                &format!("configuration {name}:"),
            );
            errors.push(FieldError {
                key: name.to_owned(),
                message,
            });
        }
    }
    let mut groups: Vec<String> = framework_keys::groups(plugin.kind)
        .iter()
        .map(|g| (*g).to_owned())
        .collect();
    for group in form
        .iter()
        .filter_map(|e| e.spec.group)
        .map(str::to_owned)
        .chain(extra_groups)
    {
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
        if !form.iter().any(|entry| entry.name == e.key) && !outside.contains(&e.key.as_str()) {
            outside.push(&e.key);
        }
    }
    for key in outside {
        configs.push(json!({
            "definition": null,
            "value": value_json(key, props.get(key).map(|v| secrets::shown(key, v)), &[], &messages_of(key)),
        }));
    }
    for entry in &form {
        let name = entry.name.as_str();
        // The given value, else the default the definition shows (none when it shows null); a
        // value that does not parse as the key's type reads null, as Kafka Connect's
        // `ConfigDef.validate` leaves it unset.
        let value = match props.get(name) {
            Some(raw) if !parses_as(&entry.spec, raw) => None,
            Some(_) if entry.definition["type"] == "PASSWORD" => Some(secrets::HIDDEN),
            Some(raw) => Some(secrets::shown(name, raw)),
            None => entry.definition["default_value"].as_str(),
        };
        configs.push(json!({
            "definition": entry.definition,
            "value": value_json(name, value, &entry.recommended, &messages_of(name)),
        }));
    }
    Ok(Json(json!({
        "name": answer_name,
        "error_count": errors.len(),
        "groups": groups,
        "configs": configs,
    }))
    .into_response())
}
