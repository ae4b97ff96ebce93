//! `TimestampRouter`: sets the topic from `topic.format`, replacing `${topic}` with the topic and
//! `${timestamp}` with the record's timestamp in `timestamp.format` (a `SimpleDateFormat` pattern,
//! UTC). A record without a timestamp is an error.
//!
//! Difference: a bad `timestamp.format` is refused at configuration time (Kafka Connect fails on
//! the first record).

use std::sync::Arc;

use super::config::PluginConfig;
use super::datefmt::DateFormat;
use super::util::{Ctx, Fail};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};

pub(crate) const DOC: &str = "Update the record's topic field as a function of the original topic \
value and the record timestamp. This is mainly useful for sink connectors, since the topic field \
is often used to determine the equivalent entity name in the destination system (e.g. database \
table or search index name).";

const TOPIC_FORMAT: &str = "topic.format";
const TIMESTAMP_FORMAT: &str = "timestamp.format";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            TOPIC_FORMAT,
            ConfigType::String,
            "${topic}-${timestamp}",
            "Format string which can contain ${topic} and ${timestamp} as placeholders for the \
             topic and timestamp, respectively.",
        )
        .importance(Importance::High),
        ConfigKey::optional(
            TIMESTAMP_FORMAT,
            ConfigType::String,
            "yyyyMMdd",
            "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
        )
        .importance(Importance::High),
    ])
}

#[derive(Debug)]
struct TimestampRouter {
    ctx: Ctx,
    topic_format: String,
    timestamp_format: DateFormat,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    let topic_format = cfg.string(TOPIC_FORMAT)?;
    let pattern = cfg.string(TIMESTAMP_FORMAT)?;
    let timestamp_format = match DateFormat::new(&pattern) {
        Ok(f) => f,
        Err(reason) => {
            cfg.invalid(TIMESTAMP_FORMAT, &pattern, reason);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(TimestampRouter {
        ctx: Ctx { alias: cfg.alias() },
        topic_format,
        timestamp_format,
    });
    cfg.done(t)
}

impl Transform for TimestampRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let Some(timestamp) = record.timestamp else {
            let fail = Fail::new(format!(
                "Timestamp missing on record of topic {}",
                record.topic
            ));
            return Err(self.ctx.error(&record.topic, fail));
        };
        let formatted = self.timestamp_format.format(timestamp);
        let topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &formatted);
        record.topic = Arc::from(topic);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use connect_api::data::Value;

    #[test]
    fn routes() {
        // Kafka Connect's TimestampRouterTest.defaultConfiguration.
        let t = transform("TimestampRouter", &[]);
        let mut r = value_record(sv(None, Value::Null));
        r.topic = "test".into();
        r.timestamp = Some(1_483_425_001_864);
        assert_eq!(&*apply(&*t, r.clone()).topic, "test-20170103");
        r.timestamp = None;
        assert!(data_error(&*t, r).to_string().contains("Timestamp missing"));
        let errors = config_errors("TimestampRouter", &[("timestamp.format", "yyyy-qq")]);
        assert_eq!(errors[0].0, "timestamp.format");
    }
}
