//! Config keys of the mirror source, named as MirrorMaker 2's `MirrorSourceConnector` names them.

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub const SOURCE_ALIAS: &str = "source.cluster.alias";
pub const TARGET_ALIAS: &str = "target.cluster.alias";
/// Prefix of the source cluster's client keys (`source.cluster.bootstrap.servers`,
/// `source.cluster.security.protocol`, ...).
pub const SOURCE_PREFIX: &str = "source.cluster.";
/// Prefix of the target cluster's admin keys (topic creation).
pub const TARGET_PREFIX: &str = "target.cluster.";
pub const SOURCE_BOOTSTRAP: &str = "source.cluster.bootstrap.servers";
pub const TARGET_BOOTSTRAP: &str = "target.cluster.bootstrap.servers";
pub const TOPICS: &str = "topics";
pub const TOPICS_EXCLUDE: &str = "topics.exclude";
pub const POLICY: &str = "replication.policy.class";
pub const SEPARATOR: &str = "replication.policy.separator";
pub const REPLICATION_FACTOR: &str = "replication.factor";
pub const REFRESH_TOPICS_INTERVAL: &str = "refresh.topics.interval.seconds";
pub const BATCH_SIZE: &str = "wharf.mirror.batch.size";
/// Set by the connector in each task config: which share of the partitions the task mirrors.
pub const TASK_INDEX: &str = "wharf.mirror.task.index";
pub const TASK_COUNT: &str = "wharf.mirror.task.count";

pub const DEFAULT_POLICY: &str = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
pub const IDENTITY_POLICY: &str = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy";
/// MirrorMaker 2's default `topics.exclude`: internal and replica topics, and `__*`.
pub const DEFAULT_EXCLUDE: &str = ".*[\\-\\.]internal, .*\\.replica, __.*";

fn policy(value: &str) -> Result<(), String> {
    super::Policy::parse(value, ".").map(|_| ())
}

fn regexes(value: &str) -> Result<(), String> {
    super::Patterns::parse(value).map(|_| ())
}

pub fn def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(SOURCE_BOOTSTRAP, ConfigType::List, "The source cluster's brokers. Its other client keys (security.protocol, sasl.*, ssl.*, ...) go under source.cluster. too.")
            .validate(Validator::NonEmpty),
        ConfigKey::required(TARGET_BOOTSTRAP, ConfigType::List, "The target cluster's brokers, for creating the target topics (records go through the worker's producer, to the worker's cluster; its other admin keys go under target.cluster.).")
            .validate(Validator::NonEmpty),
        ConfigKey::optional(SOURCE_ALIAS, ConfigType::String, "source", "The source cluster's name: the prefix of target topics under DefaultReplicationPolicy, and part of the source offsets.")
            .importance(Importance::High)
            .validate(Validator::NonEmpty),
        ConfigKey::optional(TARGET_ALIAS, ConfigType::String, "target", "The target cluster's name: topics named after it on the source (replicas of the target) are not mirrored back.")
            .validate(Validator::NonEmpty),
        ConfigKey::optional(TOPICS, ConfigType::List, ".*", "Regular expressions of the topics to mirror (each must match the whole name).")
            .importance(Importance::High)
            .validate(Validator::Custom(regexes)),
        ConfigKey::optional(TOPICS_EXCLUDE, ConfigType::List, DEFAULT_EXCLUDE, "Regular expressions of topics not to mirror, even when topics matches them.")
            .validate(Validator::Custom(regexes)),
        ConfigKey::optional(POLICY, ConfigType::String, DEFAULT_POLICY, "How target topics are named: DefaultReplicationPolicy (<source alias><separator><topic>) or IdentityReplicationPolicy (the same name).")
            .validate(Validator::Custom(policy)),
        ConfigKey::optional(SEPARATOR, ConfigType::String, ".", "The separator DefaultReplicationPolicy puts between the source alias and the topic.")
            .importance(Importance::Low),
        ConfigKey::optional(REPLICATION_FACTOR, ConfigType::Int, "-1", "The replication factor of target topics wharf creates; -1: the target cluster's default.replication.factor.")
            .importance(Importance::Low)
            .validate(Validator::Range { min: -1, max: i16::MAX as i64 }),
        ConfigKey::optional(REFRESH_TOPICS_INTERVAL, ConfigType::Long, "600", "How often, in seconds, tasks look for new source topics and partitions.")
            .importance(Importance::Low)
            .validate(Validator::Range { min: 1, max: i64::MAX }),
        ConfigKey::optional(BATCH_SIZE, ConfigType::Int, "10000", "Most records one poll returns.")
            .importance(Importance::Low)
            .validate(Validator::Range { min: 1, max: 1_000_000 }),
    ])
}
