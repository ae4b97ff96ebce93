//! Config keys of the datagen source, named as Confluent's datagen connector names them where it
//! has the same setting.

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub const TOPIC: &str = "kafka.topic";
pub const QUICKSTART: &str = "quickstart";
pub const MAX_INTERVAL: &str = "max.interval";
pub const ITERATIONS: &str = "iterations";
pub const SEED: &str = "random.seed";
pub const BATCH_SIZE: &str = "batch.size";
pub const RATE: &str = "records.per.second";
pub const SCHEMA_STRING: &str = "schema.string";
pub const SCHEMA_FILENAME: &str = "schema.filename";
pub const SCHEMA_KEYFIELD: &str = "schema.keyfield";
/// Set by the connector in each task config: which share of the sequence the task generates.
pub const TASK_INDEX: &str = "datagen.task.index";
pub const TASK_COUNT: &str = "datagen.task.count";

fn quickstart_name(value: &str) -> Result<(), String> {
    super::Quickstart::parse(value)
        .map(|_| ())
        .ok_or_else(|| format!("must be one of {}", super::Quickstart::NAMES.join(", ")))
}

fn avro_schema(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Ok(());
    }
    super::UserSchema::parse(value, None).map(|_| ())
}

fn avro_schema_file(value: &str) -> Result<(), String> {
    let path = value.trim();
    if path.is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    super::UserSchema::parse(&text, None)
        .map(|_| ())
        .map_err(|e| format!("{path}: {e}"))
}

pub fn def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(TOPIC, ConfigType::String, "Topic to write to.").validate(Validator::NonEmpty),
        ConfigKey::optional(QUICKSTART, ConfigType::String, "users", "Which built-in data set to generate: users, pageviews or orders.")
            .importance(Importance::High)
            .validate(Validator::Custom(quickstart_name)),
        ConfigKey::optional(MAX_INTERVAL, ConfigType::Long, "500", "Longest pause between two records in milliseconds; each pause is random up to it. 0 generates flat out.")
            .validate(Validator::Range { min: 0, max: 3_600_000 }),
        ConfigKey::optional(ITERATIONS, ConfigType::Long, "1000000", "Records to generate in total (over all tasks); -1 for no end.")
            .validate(Validator::Range { min: -1, max: i64::MAX }),
        ConfigKey::optional(SEED, ConfigType::Long, "0", "Seed: the same seed gives the same records.").importance(Importance::Low),
        ConfigKey::optional(BATCH_SIZE, ConfigType::Int, "1000", "Most records one poll returns.")
            .importance(Importance::Low)
            .validate(Validator::Range { min: 1, max: 1_000_000 }),
        ConfigKey::optional(RATE, ConfigType::Long, "0", "Upper bound on records per second per task; 0 for none.")
            .validate(Validator::Range { min: 0, max: i64::MAX }),
        ConfigKey::optional(SCHEMA_STRING, ConfigType::String, "", "An Avro schema (a record) to generate records of, instead of a quickstart set. Field types may carry avro-random-generator hints in \"arg.properties\": options, range, length, iteration.")
            .importance(Importance::High)
            .validate(Validator::Custom(avro_schema)),
        ConfigKey::optional(SCHEMA_FILENAME, ConfigType::String, "", "A file holding the Avro schema to generate records of; like schema.string, which it must not be combined with.")
            .validate(Validator::Custom(avro_schema_file)),
        ConfigKey::optional(SCHEMA_KEYFIELD, ConfigType::String, "", "With schema.string or schema.filename: the top-level field whose value, as a string, becomes the record key. Empty: no key."),
    ])
}
