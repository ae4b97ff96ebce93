//! Reading one transform's or predicate's keys (`transforms.<alias>.*`, `predicates.<alias>.*`)
//! against its [`ConfigDef`], collecting every problem with the key's full name.

use std::collections::HashSet;
use std::sync::Arc;

use connect_api::data::{SchemaBuilder, SchemaRef};

use connect_api::config::{ConfigDef, ConfigType, FieldError, Properties};

/// One plugin's view of the connector config while it is being built.
#[derive(Debug)]
pub(crate) struct PluginConfig<'a> {
    alias: Arc<str>,
    prefix: &'a str,
    props: &'a Properties,
    def: ConfigDef,
    errors: Vec<FieldError>,
}

impl<'a> PluginConfig<'a> {
    /// Checks every key of `def` (types, validators, required keys) under `prefix`.
    pub(crate) fn new(
        alias: Arc<str>,
        prefix: &'a str,
        props: &'a Properties,
        def: ConfigDef,
    ) -> Self {
        let mut errors = Vec::new();
        for key in def.keys() {
            let full = format!("{prefix}{}", key.name);
            match (props.get(&full), key.default) {
                (Some(raw), _) => {
                    if let Err(message) = key.check(raw.trim_matches(|c: char| c <= ' ')) {
                        let message = message.replacen(
                            &format!("configuration {}", key.name),
                            &format!("configuration {full}"),
                            1,
                        );
                        errors.push(FieldError { key: full, message });
                    }
                }
                (None, Some(_)) => {}
                (None, None) => errors.push(FieldError {
                    message: format!(
                        "Missing required configuration \"{full}\" which has no default value."
                    ),
                    key: full,
                }),
            }
        }
        Self {
            alias,
            prefix,
            props,
            def,
            errors,
        }
    }

    pub(crate) fn alias(&self) -> Arc<str> {
        self.alias.clone()
    }

    /// The key's full name, e.g. `transforms.cast.spec`.
    pub(crate) fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Whether the key already has an error (so later checks do not pile on).
    pub(crate) fn failed(&self, key: &str) -> bool {
        let full = self.full_key(key);
        self.errors.iter().any(|e| e.key == full)
    }

    /// Whether the key is given (not just defaulted).
    pub(crate) fn is_set(&self, key: &str) -> bool {
        self.props.contains_key(&self.full_key(key))
    }

    /// The value as given, or the default. Like Kafka Connect's `ConfigDef`, surrounding
    /// whitespace is not part of a value.
    pub(crate) fn raw(&self, key: &str) -> Option<&str> {
        self.props
            .get(&self.full_key(key))
            .map(|v| v.trim_matches(|c: char| c <= ' '))
            .or_else(|| self.def.key(key).and_then(|k| k.default))
    }

    /// A string key; `None` if unset and without default.
    pub(crate) fn string(&self, key: &str) -> Option<String> {
        self.raw(key).map(str::to_owned)
    }

    /// A string key whose default is Kafka Connect's `null`: unset and empty both mean `None`.
    pub(crate) fn nullable(&self, key: &str) -> Option<String> {
        self.raw(key).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// A LIST key, parsed as Kafka Connect parses it (see [`java_list`]): empty items are kept,
    /// so a validator can refuse them.
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        java_list(self.raw(key).unwrap_or(""))
    }

    pub(crate) fn boolean(&self, key: &str) -> bool {
        self.raw(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    pub(crate) fn int(&self, key: &str) -> Option<i32> {
        debug_assert!(self.def.key(key).is_some_and(|k| k.ty == ConfigType::Int));
        self.raw(key)?.trim().parse().ok()
    }

    /// Kafka Connect 4.3's `ValidList.anyNonDuplicateValues(empty_allowed, false)`, checked in
    /// its order: an empty list (unless allowed), then a repeated item, then an empty item.
    ///
    /// Kafka Connect refuses a repeated item when a connector is created or validated (the
    /// herder runs `ConfigDef.validate`); only a transform configured without that step
    /// (`ConfigDef.parseValue`) has the repeats removed with a warning. wharf always validates.
    pub(crate) fn check_valid_list(&mut self, key: &str, empty_allowed: bool) {
        if self.failed(key) {
            return;
        }
        let items = self.list(key);
        let full = self.full_key(key);
        let mut seen = HashSet::new();
        let problem = if items.is_empty() {
            (!empty_allowed)
                .then_some("must not be empty. Valid values include: any non-empty value")
        } else if !items.iter().all(|item| seen.insert(item.as_str())) {
            Some("values must not be duplicated.")
        } else if items.iter().any(String::is_empty) {
            Some("values must not be empty.")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.fail(key, format!("Configuration '{full}' {problem}"));
        }
    }

    /// Kafka Connect's `NonEmptyListValidator`.
    pub(crate) fn check_non_empty_list(&mut self, key: &str) {
        if !self.failed(key) && self.list(key).is_empty() {
            self.invalid(key, "[]", "Empty list");
        }
    }

    /// Records a problem with a key, in Kafka Connect's wording: `Invalid value <v> for
    /// configuration <full key>: <reason>`.
    pub(crate) fn invalid(&mut self, key: &str, value: &str, reason: impl AsRef<str>) {
        let full = self.full_key(key);
        let message = format!(
            "Invalid value {value} for configuration {full}: {}",
            reason.as_ref()
        );
        self.errors.push(FieldError { key: full, message });
    }

    /// Records a problem with a key, with a message of its own.
    pub(crate) fn fail(&mut self, key: &str, message: impl Into<String>) {
        let full = self.full_key(key);
        self.errors.push(FieldError {
            key: full,
            message: message.into(),
        });
    }

    /// A fixed schema a transform needs (such as the Timestamp schema); a failure is recorded.
    pub(crate) fn schema(&mut self, builder: SchemaBuilder) -> Option<SchemaRef> {
        match builder.build() {
            Ok(schema) => Some(schema),
            Err(e) => {
                self.fail("type", format!("internal schema error: {e}"));
                None
            }
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub(crate) fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// The built plugin if no problem was recorded.
    pub(crate) fn done<T>(&self, built: T) -> Option<T> {
        (!self.has_errors()).then_some(built)
    }
}

/// `ConfigDef.parseType` for a LIST given as a string: the trimmed value split on commas with
/// the whitespace around them (`\s*,\s*`, keeping trailing empty items, as
/// `Pattern.split(value, -1)` does); an empty value is an empty list. `a,` is `["a", ""]`.
pub(crate) fn java_list(raw: &str) -> Vec<String> {
    let trimmed = raw.trim_matches(|c: char| c <= ' ');
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(',')
        .map(|item| item.trim_matches(is_java_space).to_owned())
        .collect()
}

/// Java regex `\s`: `[ \t\n\x0B\f\r]`.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_empty_items_like_kafka_connect() {
        assert!(java_list("").is_empty());
        assert!(java_list("  ").is_empty());
        assert_eq!(java_list(" a , b "), ["a", "b"]);
        assert_eq!(java_list("a,"), ["a", ""]);
        assert_eq!(java_list("a,,b"), ["a", "", "b"]);
        assert_eq!(java_list(","), ["", ""]);
    }

    fn check(value: &str, empty_allowed: bool) -> Vec<String> {
        let props: Properties = [("t.fields".to_owned(), value.to_owned())]
            .into_iter()
            .collect();
        let def = ConfigDef::new([connect_api::config::ConfigKey::optional(
            "fields",
            ConfigType::List,
            "",
            "Fields.",
        )]);
        let mut cfg = PluginConfig::new(Arc::from("t"), "t.", &props, def);
        cfg.check_valid_list("fields", empty_allowed);
        cfg.into_errors().into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn valid_list_refuses_empty_and_repeated_items() {
        // Messages and order of ConfigDef.ValidList.ensureValid (Kafka Connect 4.3).
        assert!(check("a,b", false).is_empty());
        assert!(check("", true).is_empty());
        assert_eq!(
            check("", false),
            [
                "Configuration 't.fields' must not be empty. Valid values include: any non-empty value"
            ]
        );
        assert_eq!(
            check("a,", true),
            ["Configuration 't.fields' values must not be empty."]
        );
        assert_eq!(
            check("a,a", true),
            ["Configuration 't.fields' values must not be duplicated."]
        );
        assert_eq!(
            check(",", true),
            ["Configuration 't.fields' values must not be duplicated."]
        );
    }
}
