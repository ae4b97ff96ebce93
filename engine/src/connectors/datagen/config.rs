//! Config keys of the datagen source, named as Confluent's datagen connector names them where it
//! has the same setting.

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub const TOPIC: &str = "kafka.topic";
pub const QUICKSTART: &str = "quickstart";
pub const MAX_INTERVAL: &str = "max.interval";
pub const ITERATIONS: &str = "iterations";
pub const SEED: &str = "random.seed";
pub const BATCH_SIZE: &str = "batch.size";
pub const RATE: &str = "records.per.second";
/// Set by the connector in each task config: which share of the sequence the task generates.
pub const TASK_INDEX: &str = "datagen.task.index";
pub const TASK_COUNT: &str = "datagen.task.count";

fn quickstart_name(value: &str) -> Result<(), String> {
    super::Quickstart::parse(value)
        .map(|_| ())
        .ok_or_else(|| format!("must be one of {}", super::Quickstart::NAMES.join(", ")))
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
    ])
}
