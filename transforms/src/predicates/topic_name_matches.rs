//! `TopicNameMatches`: true for records whose whole topic name matches `pattern`.
//!
//! Difference: the pattern is in Rust's `regex` syntax, which has no look-around or
//! back-references (a pattern using them is refused at configuration time).

use regex::Regex;

use crate::config::PluginConfig;
use crate::regex_router::{check_regex, whole_match};
use crate::{ConnectRecord, Predicate};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub(crate) const DOC: &str = "A predicate which is true for records with a topic name that \
matches the configured regular expression.";

const PATTERN: &str = "pattern";

fn check_pattern(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("String must be non-empty".to_owned());
    }
    check_regex(raw)
}

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([ConfigKey::required(
        PATTERN,
        ConfigType::String,
        "A Java regular expression for matching against the name of a record's topic.",
    )
    .importance(Importance::Medium)
    .validate(Validator::Custom(check_pattern))])
}

#[derive(Debug)]
struct TopicNameMatches {
    pattern: Regex,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Predicate>> {
    let pattern = whole_match(&cfg.string(PATTERN)?).ok()?;
    let p: Box<dyn Predicate> = Box::new(TopicNameMatches { pattern });
    cfg.done(p)
}

impl Predicate for TopicNameMatches {
    fn test(&self, record: &ConnectRecord) -> bool {
        self.pattern.is_match(&record.topic)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use connect_api::data::Value;

    #[test]
    fn matches_whole_topic() {
        let p = predicate("TopicNameMatches", &[("pattern", "my-prefix-.*")]);
        let mut r = value_record(sv(None, Value::Null));
        r.topic = "my-prefix-foo".into();
        assert!(p.test(&r));
        r.topic = "x-my-prefix-foo".into();
        assert!(!p.test(&r));
        let errors = config_errors("TopicNameMatches", &[("pattern", "[")]);
        assert_eq!(errors[0].0, "pattern");
        assert!(
            errors[0]
                .1
                .starts_with("Invalid value [ for configuration pattern: Invalid regex")
        );
        assert_eq!(
            config_errors("TopicNameMatches", &[("pattern", "")])[0].0,
            "pattern"
        );
    }
}
