//! Config specs: one [`ConfigDef`] per plugin (and one for the worker) drives parsing,
//! validation that reports every bad field at once, `PUT /connector-plugins/{p}/config/validate`
//! and the generated plugin reference — the role Kafka Connect's `ConfigDef` plays.

use std::collections::BTreeMap;
use std::fmt;

use super::Properties;

/// The type of a config value, with Kafka Connect's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
pub enum Validator {
    /// Inclusive numeric bounds (Kafka's `Range.between`; `i64::MAX` as `max` is `atLeast`).
    Range { min: i64, max: i64 },
    /// Exactly one of these values (Kafka's `ValidString.in`).
    OneOf(&'static [&'static str]),
    /// One of these values in any case (Kafka's `CaseInsensitiveValidString.in`).
    OneOfIgnoreCase(&'static [&'static str]),
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
        if let Some(reason) = type_error(self.ty, trimmed) {
            return Err(format!(
                "Invalid value {raw} for configuration {}: {reason}",
                self.name
            ));
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
                if n < min {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: Value must be at least {min}",
                        self.name
                    ))
                } else if n > max {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: Value must be no more than {max}",
                        self.name
                    ))
                } else {
                    Ok(())
                }
            }
            Some(Validator::OneOf(allowed)) => {
                if allowed.contains(&trimmed) {
                    Ok(())
                } else {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: String must be one of: {}",
                        self.name,
                        allowed.join(", ")
                    ))
                }
            }
            Some(Validator::OneOfIgnoreCase(allowed)) => {
                if allowed.iter().any(|a| a.eq_ignore_ascii_case(trimmed)) {
                    Ok(())
                } else {
                    Err(format!(
                        "Invalid value {raw} for configuration {}: String must be one of (case insensitive): {}",
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

/// Why a trimmed value is not of type `ty`, in the words of Kafka's `ConfigDef.parseType`;
/// `None` when it is.
fn type_error(ty: ConfigType, trimmed: &str) -> Option<&'static str> {
    let (fits, reason) = match ty {
        ConfigType::Short => (trimmed.parse::<i16>().is_ok(), "Not a number of type SHORT"),
        ConfigType::Int => (trimmed.parse::<i32>().is_ok(), "Not a number of type INT"),
        ConfigType::Long => (trimmed.parse::<i64>().is_ok(), "Not a number of type LONG"),
        ConfigType::Double => (
            trimmed.parse::<f64>().is_ok(),
            "Not a number of type DOUBLE",
        ),
        ConfigType::Boolean => (
            trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false"),
            "Expected value to be either true or false",
        ),
        ConfigType::String | ConfigType::List | ConfigType::Class | ConfigType::Password => {
            (true, "")
        }
    };
    (!fits).then_some(reason)
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
                (None, None) => errors.push(missing(key.name)),
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

    /// An INT key of the spec that made this config. Unlike [`Config::int`], a key that is absent
    /// or does not parse is an error naming it, never a default: a caller reading a key its spec
    /// does not define learns so instead of running with a value nobody chose.
    pub fn get_int(&self, key: &str) -> Result<i32, FieldError> {
        self.typed(key, ConfigType::Int, |v| v.parse().ok())
    }

    /// A LONG key of the spec; see [`Config::get_int`].
    pub fn get_long(&self, key: &str) -> Result<i64, FieldError> {
        self.typed(key, ConfigType::Long, |v| v.parse().ok())
    }

    /// A SHORT key of the spec; see [`Config::get_int`].
    pub fn get_short(&self, key: &str) -> Result<i16, FieldError> {
        self.typed(key, ConfigType::Short, |v| v.parse().ok())
    }

    /// A BOOLEAN key of the spec, `true` / `false` in any case; see [`Config::get_int`].
    pub fn get_bool(&self, key: &str) -> Result<bool, FieldError> {
        self.typed(key, ConfigType::Boolean, |v| {
            if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })
    }

    /// A STRING key of the spec, trimmed as Kafka's `ConfigDef` trims it; see [`Config::get_int`].
    pub fn get_string(&self, key: &str) -> Result<&str, FieldError> {
        self.string(key).map(str::trim).ok_or_else(|| missing(key))
    }

    fn typed<T>(
        &self,
        key: &str,
        ty: ConfigType,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, FieldError> {
        let Some(raw) = self.string(key) else {
            return Err(missing(key));
        };
        parse(raw.trim()).ok_or_else(|| {
            let reason = type_error(ty, raw.trim()).unwrap_or("Not a value of this type");
            FieldError {
                key: key.to_owned(),
                message: format!("Invalid value {raw} for configuration {key}: {reason}"),
            }
        })
    }
}

fn missing(key: &str) -> FieldError {
    FieldError {
        key: key.to_owned(),
        message: format!("Missing required configuration \"{key}\" which has no default value."),
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
    fn one_of_is_exact_as_kafka_valid_string() {
        let err = def()
            .parse("t", &props(&[("topic", "t"), ("mode", "ALL")]))
            .unwrap_err();
        assert_eq!(
            err.errors[0].message,
            "Invalid value ALL for configuration mode: String must be one of: none, all"
        );
        let config = def()
            .parse("t", &props(&[("topic", "t"), ("mode", " all ")]))
            .unwrap();
        assert_eq!(config.string("mode"), Some(" all "));
    }

    #[test]
    fn one_of_ignore_case_as_kafka_case_insensitive_valid_string() {
        let key = ConfigKey::optional("f", ConfigType::String, "poll", "F.")
            .validate(Validator::OneOfIgnoreCase(&["poll", "interval"]));
        assert_eq!(key.check("INTERVAL"), Ok(()));
        assert_eq!(
            key.check("never").unwrap_err(),
            "Invalid value never for configuration f: String must be one of (case insensitive): poll, interval"
        );
    }

    #[test]
    fn messages_follow_kafka_config_def() {
        let range = ConfigKey::optional("n", ConfigType::Long, "1", "N.")
            .validate(Validator::Range { min: 0, max: 10 });
        assert_eq!(
            range.check("-5").unwrap_err(),
            "Invalid value -5 for configuration n: Value must be at least 0"
        );
        assert_eq!(
            range.check("11").unwrap_err(),
            "Invalid value 11 for configuration n: Value must be no more than 10"
        );
        assert_eq!(
            range.check("abc").unwrap_err(),
            "Invalid value abc for configuration n: Not a number of type LONG"
        );
        let int = ConfigKey::optional("i", ConfigType::Int, "1", "I.");
        assert_eq!(
            int.check("3000000000").unwrap_err(),
            "Invalid value 3000000000 for configuration i: Not a number of type INT"
        );
    }

    #[test]
    fn typed_getters_never_default() {
        let config = def()
            .parse("t", &props(&[("topic", "t"), ("enabled", " FALSE ")]))
            .unwrap();
        assert_eq!(config.get_int("batch.size"), Ok(2000));
        assert_eq!(config.get_bool("enabled"), Ok(false));
        let missing = config.get_long("no.such.key").unwrap_err();
        assert_eq!(missing.key, "no.such.key");
        let wrong = config.get_bool("topic").unwrap_err();
        assert_eq!(
            wrong.message,
            "Invalid value t for configuration topic: Expected value to be either true or false"
        );
    }
}
