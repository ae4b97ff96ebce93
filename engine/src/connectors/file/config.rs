//! Config keys of the file connectors, as FileStreamSource / FileStreamSink name them.

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

/// `file`: the file to read or write; stdin / stdout when unset.
pub const FILE: &str = "file";
/// `topic`: where the source writes.
pub const TOPIC: &str = "topic";
/// `wharf.exactly.once`: the sink's data and the offsets it covers become durable together.
pub const EXACTLY_ONCE: &str = "wharf.exactly.once";
/// `batch.size`: most lines one source poll returns.
pub const BATCH_SIZE: &str = "batch.size";

/// `wharf.transaction.lines`: with `transaction.boundary=connector`, lines per transaction.
pub const TRANSACTION_LINES: &str = "wharf.transaction.lines";

/// Kafka Connect's FileStreamSource default.
pub const DEFAULT_BATCH_SIZE: &str = "2000";

pub fn source_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            FILE,
            ConfigType::String,
            "",
            "Source filename. If not specified, the standard input will be used.",
        )
        .importance(Importance::High),
        ConfigKey::required(TOPIC, ConfigType::String, "The topic to publish data to.")
            .validate(Validator::NonEmpty),
        ConfigKey::optional(
            BATCH_SIZE,
            ConfigType::Int,
            DEFAULT_BATCH_SIZE,
            "The maximum number of records the source task can read from the file each time it is polled.",
        )
        .importance(Importance::Low)
        .validate(Validator::Range { min: 1, max: 1_000_000 }),
        ConfigKey::optional(
            TRANSACTION_LINES,
            ConfigType::Int,
            "0",
            "With exactly-once source support and transaction.boundary=connector: each transaction holds this many lines (wharf). 0: the connector defines no boundaries.",
        )
        .importance(Importance::Low)
        .validate(Validator::Range { min: 0, max: i32::MAX as i64 }),
    ])
}

pub fn sink_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            FILE,
            ConfigType::String,
            "",
            "Destination filename. If not specified, the standard output will be used.",
        )
        .importance(Importance::High),
        ConfigKey::optional(
            EXACTLY_ONCE,
            ConfigType::Boolean,
            "false",
            "Exactly-once delivery into the file (wharf): the offsets each flush covers are kept in <file>.wharf-offsets, written after the data is durable; after a crash the file is cut back to what they cover and consumption resumes right after them, so no line appears twice or goes missing. Runs one task. Needs a file. Read exactly-once source topics with isolation.level=read_committed (librdkafka's default).",
        )
        .importance(Importance::Low),
    ])
}
