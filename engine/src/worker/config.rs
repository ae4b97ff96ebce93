//! `worker.properties`: the keys Kafka Connect's standalone worker reads, with its defaults.

use crate::config::{
    Config, ConfigDef, ConfigErrors, ConfigKey, ConfigType, Importance, Properties, Validator,
};

pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";
pub const OFFSET_FILE: &str = "offset.storage.file.filename";
pub const OFFSET_FLUSH_INTERVAL_MS: &str = "offset.flush.interval.ms";
pub const SHARDS: &str = "wharf.shards";

/// Kafka Connect's default for `offset.flush.interval.ms`.
const DEFAULT_FLUSH_INTERVAL_MS: &str = "60000";

pub fn worker_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            BOOTSTRAP_SERVERS,
            ConfigType::List,
            "localhost:9092",
            "A list of host/port pairs used to establish the initial connection to the Kafka cluster.",
        )
        .importance(Importance::High),
        ConfigKey::optional(
            KEY_CONVERTER,
            ConfigType::Class,
            "org.apache.kafka.connect.json.JsonConverter",
            "Converter class for record keys; connectors may override it.",
        ),
        ConfigKey::optional(
            VALUE_CONVERTER,
            ConfigType::Class,
            "org.apache.kafka.connect.json.JsonConverter",
            "Converter class for record values; connectors may override it.",
        ),
        ConfigKey::optional(OFFSET_FILE, ConfigType::String, "", "File to store source offsets in (standalone mode).")
            .importance(Importance::High),
        ConfigKey::optional(
            OFFSET_FLUSH_INTERVAL_MS,
            ConfigType::Long,
            DEFAULT_FLUSH_INTERVAL_MS,
            "Interval at which to commit task offsets.",
        )
        .validate(Validator::Range { min: 1, max: i64::MAX }),
        ConfigKey::optional(SHARDS, ConfigType::Int, "0", "Executor threads (shards); 0 means one per core.")
            .validate(Validator::Range { min: 0, max: 1024 }),
    ])
}

/// Parses and validates worker properties.
pub fn parse(props: &Properties) -> Result<Config, ConfigErrors> {
    worker_def().parse("worker", props)
}

/// Client settings given with a prefix (`producer.`, `consumer.`), prefix removed.
pub fn prefixed<'a>(
    props: &'a Properties,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    props
        .iter()
        .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
}
