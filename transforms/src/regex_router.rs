//! `RegexRouter`: when the whole topic name matches `regex`, the topic becomes the name with the
//! first match replaced by `replacement` (`$1`, `${name}` refer to groups, `\` escapes), as Java's
//! `Matcher.replaceFirst` does.
//!
//! Differences: the regex is Rust's `regex` syntax, which has no look-around or back-references
//! (a regex using them is refused at configuration time); a replacement naming a group the regex
//! lacks is refused at configuration time (Kafka Connect fails every matching record instead).

use std::sync::Arc;

use regex::{Captures, Regex};

use super::config::PluginConfig;
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Validator};

pub(crate) const DOC: &str = "Update the record topic using the configured regular expression \
and replacement string. If the pattern matches the input topic, the first match is replaced with \
the replacement string (as java.util.regex.Matcher#replaceFirst() does) to obtain the new topic.";

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

/// `RegexValidator`.
pub(crate) fn check_regex(raw: &str) -> Result<(), String> {
    Regex::new(raw)
        .map(|_| ())
        .map_err(|e| format!("Invalid regex: {e}"))
}

/// Kafka Connect's `Pattern.matcher(s).matches()`: the whole string must match.
pub(crate) fn whole_match(regex: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!(r"\A(?:{regex})\z"))
}

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(
            REGEX,
            ConfigType::String,
            "Regular expression to use for matching.",
        )
        .validate(Validator::Custom(check_regex)),
        ConfigKey::required(REPLACEMENT, ConfigType::String, "Replacement string."),
    ])
}

/// A piece of a replacement string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Group(usize),
}

/// Parses a Java replacement string against the regex's groups, as
/// `Matcher.appendExpandedReplacement` reads it.
fn parse_replacement(replacement: &str, regex: &Regex) -> Result<Vec<Piece>, String> {
    let groups = regex.captures_len() - 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => text.push(escaped),
                None => return Err("character to be escaped is missing".to_owned()),
            },
            '$' => {
                let group = match chars.next() {
                    None => {
                        return Err("Illegal group reference: group index is missing".to_owned());
                    }
                    Some('{') => {
                        let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                        regex
                            .capture_names()
                            .position(|n| n == Some(name.as_str()))
                            .ok_or_else(|| format!("No group with name {{{name}}}"))?
                    }
                    Some(d) if d.is_ascii_digit() => {
                        let mut number = d.to_digit(10).map_or(0, |d| d as usize);
                        if number > groups {
                            return Err(format!("No group {number}"));
                        }
                        while let Some(next) = chars.peek().and_then(|c| c.to_digit(10)) {
                            let longer = number * 10 + next as usize;
                            if longer > groups {
                                break;
                            }
                            number = longer;
                            chars.next();
                        }
                        number
                    }
                    Some(_) => return Err("Illegal group reference".to_owned()),
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Group(group));
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[derive(Debug)]
struct RegexRouter {
    whole: Regex,
    find: Regex,
    replacement: Vec<Piece>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    let raw = cfg.string(REGEX)?;
    let replacement = cfg.string(REPLACEMENT)?;
    let (Ok(find), Ok(whole)) = (Regex::new(&raw), whole_match(&raw)) else {
        return None;
    };
    let replacement = match parse_replacement(&replacement, &find) {
        Ok(pieces) => pieces,
        Err(reason) => {
            cfg.invalid(REPLACEMENT, &replacement, reason);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(RegexRouter {
        whole,
        find,
        replacement,
    });
    cfg.done(t)
}

impl RegexRouter {
    fn expand(&self, caps: &Captures<'_>, out: &mut String) {
        for piece in &self.replacement {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
            }
        }
    }
}

impl Transform for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        if !self.whole.is_match(&record.topic) {
            return Ok(Some(record));
        }
        if let Some(caps) = self.find.captures(&record.topic)
            && let Some(m) = caps.get(0)
        {
            let topic: &str = &record.topic;
            let mut routed = String::with_capacity(topic.len() + 16);
            routed.push_str(topic.get(..m.start()).unwrap_or(""));
            self.expand(&caps, &mut routed);
            routed.push_str(topic.get(m.end()..).unwrap_or(""));
            record.topic = Arc::from(routed);
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use connect_api::data::Value;

    fn route(regex: &str, replacement: &str, topic: &str) -> String {
        let t = transform(
            "RegexRouter",
            &[("regex", regex), ("replacement", replacement)],
        );
        let mut r = value_record(sv(None, Value::Null));
        r.topic = topic.into();
        apply(&*t, r).topic.to_string()
    }

    #[test]
    fn routes_like_kafka_connect() {
        // Kafka Connect's RegexRouterTest.
        assert_eq!(route("(.*)", "prefix-$1", "orig"), "prefix-orig");
        assert_eq!(route("(.*)", "$1-suffix", "orig"), "orig-suffix");
        assert_eq!(
            route("(.*)-(.*)-(.*)", "$1-$3", "original-topic-name"),
            "original-name"
        );
        assert_eq!(route("(.*)-(.*)", "$1", "no_match"), "no_match");
        assert_eq!(route("(?<a>\\w+)-x", "${a}_y", "abc-x"), "abc_y");
        assert_eq!(route("(.*)", "\\$1", "t"), "$1");
        // Java takes the longest group number the regex has: "$10" is group 1 then "0".
        assert_eq!(route("(a)", "$10", "a"), "a0");
    }

    #[test]
    fn config_errors_name_the_key() {
        let errors = config_errors(
            "RegexRouter",
            &[("regex", "(unclosed"), ("replacement", "x")],
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "regex");
        assert!(
            errors[0]
                .1
                .starts_with("Invalid value (unclosed for configuration regex: Invalid regex")
        );
        let errors = config_errors("RegexRouter", &[("regex", "(.*)"), ("replacement", "$2")]);
        assert_eq!(
            errors,
            [(
                "replacement".to_owned(),
                "Invalid value $2 for configuration replacement: No group 2".to_owned()
            )]
        );
        let errors = config_errors("RegexRouter", &[]);
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["regex", "replacement"]);
    }
}
