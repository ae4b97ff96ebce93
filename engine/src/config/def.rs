//! Config specs: one [`ConfigDef`] per plugin (and one for the worker) drives parsing,
//! validation that reports every bad field at once, `PUT /connector-plugins/{p}/config/validate`
//! and the generated plugin reference — the role Kafka Connect's `ConfigDef` plays.

use std::collections::BTreeMap;
use std::fmt;

use super::Properties;

/// The type of a config value, with Kafka Connect's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    String,
    /// A 16-bit integer (Kafka Connect's SHORT).
    Short,
    Int,
    Long,
    Double,
    Boolean,
    /// Comma-separated, items trimmed, empty items dropped.
    List,
    /// A plugin class name or alias.
    Class,
    /// A string never echoed back (REST answers show `[hidden]`).
    Password,
}

impl ConfigType {
    /// The name Kafka Connect's REST API uses.
    pub fn rest_name(self) -> &'static str {
        match self {
            Self::String => "STRING",
            Self::Short => "SHORT",
            Self::Int => "INT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::Boolean => "BOOLEAN",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// How much a key matters, as Kafka Connect ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn rest_name(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }
}

/// A check beyond the type.
#[derive(Debug, Clone, Copy)]
pub enum Validator {
    /// Inclusive numeric bounds.
    Range { min: i64, max: i64 },
    /// One of these values, compared case-insensitively.
    OneOf(&'static [&'static str]),
    /// Not empty after trimming.
    NonEmpty,
    /// Any other rule; returns the message for a bad value.
    Custom(fn(&str) -> Result<(), String>),
}

/// One documented config key.
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: &'static str,
    pub ty: ConfigType,
    /// `None`: the key is required.
    pub default: Option<&'static str>,
    pub importance: Importance,
    pub doc: &'static str,
    /// The group the REST API shows the key in; `None` like a Kafka Connect key defined without
    /// one.
    pub group: Option<&'static str>,
    /// Position within the group (Kafka Connect's `orderInGroup`); `None` reads as -1.
    pub order_in_group: Option<i32>,
    /// A human-readable name; the key's name when `None`.
    pub display_name: Option<&'static str>,
    pub validator: Option<Validator>,
}

impl ConfigKey {
    /// A required key.
    pub const fn required(name: &'static str, ty: ConfigType, doc: &'static str) -> Self {
        Self {
            name,
            ty,
            default: None,
            importance: Importance::High,
            doc,
            group: None,
            order_in_group: None,
            display_name: None,
            validator: None,
        }
    }

    /// An optional key with a default.
    pub const fn optional(
        name: &'static str,
        ty: ConfigType,
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            ty,
            default: Some(default),
            importance: Importance::Medium,
            doc,
            group: None,
            order_in_group: None,
            display_name: None,
            validator: None,
        }
    }

    pub const fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    pub const fn group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }

    /// The key's position within its group, as the REST API reports it.
    pub const fn order(mut self, order_in_group: i32) -> Self {
        self.order_in_group = Some(order_in_group);
        self
    }

    pub const fn display(mut self, display_name: &'static str) -> Self {
        self.display_name = Some(display_name);
        self
    }

    pub const fn validate(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Checks one raw value against the type and validator.
    pub fn check(&self, raw: &str) -> Result<(), String> {
        let trimmed = raw.trim();
        match self.ty {
            ConfigType::Short => {
                trimmed.parse::<i16>().map_err(|_| {
                    format!(
                        "Invalid value {raw} for configuration {}: Not a number of type SHORT",
                        self.name
                    )
                })?;
            }
            ConfigType::Int => {
                trimmed.parse::<i32>().map_err(|_| {
                    format!(
                        "Invalid value {raw} for configuration {}: Not a number of type INT",
                        self.name
                    )
                })?;
            }
            ConfigType::Long => {
                trimmed.parse::<i64>().map_err(|_| {
                    format!(
                        "Invalid value {raw} for configuration {}: Not a number of type LONG",
                        self.name
                    )
                })?;
            }
            ConfigType::Double => {
                trimmed.parse::<f64>().map_err(|_| {
                    format!(
                        "Invalid value {raw} for configuration {}: Not a number of type DOUBLE",
                        self.name
                    )
                })?;
            }
            ConfigType::Boolean => {
                if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                    return Err(format!(
                        "Invalid value {raw} for configuration {}: Expected value to be either true or false",
                        self.name
                    ));
                }
            }
            ConfigType::String | ConfigType::List | ConfigType::Class | ConfigType::Password => {}
        }
        match self.validator {
            None => Ok(()),
            Some(Validator::Range { min, max }) => {
                let n: i64 = trimmed.parse().map_err(|_| {
                    format!(
                        "Invalid value {raw} for configuration {}: not a number",
                        self.name
                    )
                })?;
                if n < min || n > max {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: Value must be in [{min}, {max}]",
                        self.name
                    ))
                } else {
                    Ok(())
                }
            }
            Some(Validator::OneOf(allowed)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(trimmed)) {
                    Ok(())
                } else {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: String must be one of: {}",
                        self.name,
                        allowed.join(", ")
                    ))
                }
            }
            Some(Validator::NonEmpty) => {
                if trimmed.is_empty() {
                    Err(format!(
                        "Invalid value for configuration {}: String must be non-empty",
                        self.name
                    ))
                } else {
                    Ok(())
                }
            }
            Some(Validator::Custom(rule)) => rule(raw)
                .map_err(|m| format!("Invalid value {raw} for configuration {}: {m}", self.name)),
        }
    }
}

/// A bad field: which key, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

/// Every bad field of one config, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// What was being configured, e.g. `connector file-source`.
    pub subject: String,
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid config for {}: ", self.subject)?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.key, e.message)?;
        }
        Ok(())
    }
}

/// A spec: an ordered list of keys.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new(keys: impl IntoIterator<Item = ConfigKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// Adds the keys of `other` after this spec's own.
    pub fn extend(mut self, other: &ConfigDef) -> Self {
        self.keys.extend(other.keys.iter().cloned());
        self
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Per-key errors (missing required keys, bad types, failed validators), in spec order.
    pub fn field_errors(&self, props: &Properties) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for key in &self.keys {
            match (props.get(key.name), key.default) {
                (Some(raw), _) => {
                    if let Err(message) = key.check(raw) {
                        errors.push(FieldError {
                            key: key.name.to_owned(),
                            message,
                        });
                    }
                }
                (None, Some(_)) => {}
                (None, None) => errors.push(FieldError {
                    key: key.name.to_owned(),
                    message: format!(
                        "Missing required configuration \"{}\" which has no default value.",
                        key.name
                    ),
                }),
            }
        }
        errors
    }

    /// Validates `props`; on success returns them with defaults filled in.
    pub fn parse(&self, subject: &str, props: &Properties) -> Result<Config, ConfigErrors> {
        let errors = self.field_errors(props);
        if !errors.is_empty() {
            return Err(ConfigErrors {
                subject: subject.to_owned(),
                errors,
            });
        }
        let mut values: BTreeMap<String, String> = props.clone();
        for key in &self.keys {
            if let Some(default) = key.default {
                values
                    .entry(key.name.to_owned())
                    .or_insert_with(|| default.to_owned());
            }
        }
        Ok(Config { values })
    }
}

/// A validated config with defaults applied. Getters assume validation passed; a key that is
/// absent or unparsable yields `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    values: BTreeMap<String, String>,
}

impl Config {
    pub fn raw(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A string key whose empty value means "unset".
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.string(key).map(str::trim).filter(|s| !s.is_empty())
    }

    pub fn int(&self, key: &str) -> Option<i32> {
        self.string(key)?.trim().parse().ok()
    }

    pub fn long(&self, key: &str) -> Option<i64> {
        self.string(key)?.trim().parse().ok()
    }

    pub fn double(&self, key: &str) -> Option<f64> {
        self.string(key)?.trim().parse().ok()
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        self.string(key)
            .map(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    pub fn list(&self, key: &str) -> Vec<String> {
        split_list(self.string(key).unwrap_or(""))
    }
}

/// Kafka Connect's LIST parsing: comma-separated, items trimmed, empty items dropped.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new([
            ConfigKey::required("topic", ConfigType::String, "Topic.")
                .validate(Validator::NonEmpty),
            ConfigKey::optional("batch.size", ConfigType::Int, "2000", "Batch size.").validate(
                Validator::Range {
                    min: 1,
                    max: 1_000_000,
                },
            ),
            ConfigKey::optional("enabled", ConfigType::Boolean, "true", "On/off."),
            ConfigKey::optional("mode", ConfigType::String, "none", "Mode.")
                .validate(Validator::OneOf(&["none", "all"])),
            ConfigKey::optional("topics", ConfigType::List, "", "Topics."),
        ])
    }

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_fill_in() {
        let config = def().parse("test", &props(&[("topic", "t")])).unwrap();
        assert_eq!(config.int("batch.size"), Some(2000));
        assert_eq!(config.bool("enabled"), Some(true));
        assert_eq!(config.string("mode"), Some("none"));
        assert!(config.list("topics").is_empty());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let err = def()
            .parse(
                "connector x",
                &props(&[("batch.size", "0"), ("enabled", "yes"), ("mode", "some")]),
            )
            .unwrap_err();
        let keys: Vec<_> = err.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["topic", "batch.size", "enabled", "mode"]);
        assert!(
            err.to_string()
                .starts_with("invalid config for connector x: topic: Missing required")
        );
    }

    #[test]
    fn lists_trim_and_drop_empty_items() {
        assert_eq!(split_list(" a, b ,,c "), ["a", "b", "c"]);
    }

    #[test]
    fn one_of_is_case_insensitive() {
        let config = def()
            .parse("t", &props(&[("topic", "t"), ("mode", "ALL")]))
            .unwrap();
        assert_eq!(config.string("mode"), Some("ALL"));
    }
}
