//! The mirror source: MirrorMaker 2's `MirrorSourceConnector`, configured the same way. Its tasks
//! read topics of one Kafka cluster (`source.cluster.*`) and write them to the worker's cluster,
//! record by record: key, value, headers and timestamp as they were (the bytes pass through, no
//! converter reads or writes them), each into the same partition number of the target topic,
//! which `replication.policy.class` names (`<alias>.<topic>` by default, or the same name).
//!
//! Where each task is in each source partition is its source offset, in MirrorMaker 2's form —
//! partition `{"cluster": <alias>, "partition": <n>, "topic": <name>}`, offset `{"offset": <n>}`
//! — so with `exactly.once.source.support=enabled` the records and the positions they came from
//! are committed in one transaction on the target: after a crash the task resumes right after the
//! last committed record, and a `read_committed` reader of the target sees each record once.
//!
//! Tasks share the partitions by a stable hash of topic and partition (no task lists another's),
//! find new topics and partitions every `refresh.topics.interval.seconds`, and create missing
//! target topics with the source's partition count. Not done: MirrorMaker 2's topic config and
//! ACL sync, offset syncs and checkpoints (consumer group translation), heartbeats.

pub mod config;
mod source;

use connect_api::config::{ConfigDef, Properties};
use connect_api::{Connector, SourceConnector};

pub use source::MirrorSourceTask;

/// How target topics are named (MirrorMaker 2's `ReplicationPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// `<source alias><separator><topic>`.
    Default { separator: String },
    /// The source topic's name.
    Identity,
}

impl Policy {
    /// The policy a `replication.policy.class` names (the class name, or its simple name).
    pub fn parse(class: &str, separator: &str) -> Result<Self, String> {
        let class = class.trim();
        match class.rsplit('.').next().unwrap_or(class) {
            "DefaultReplicationPolicy" => Ok(Self::Default {
                separator: separator.to_owned(),
            }),
            "IdentityReplicationPolicy" => Ok(Self::Identity),
            _ => Err(format!(
                "{class} is not a replication policy wharf has: {} or {}",
                config::DEFAULT_POLICY,
                config::IDENTITY_POLICY
            )),
        }
    }

    /// The target topic of `topic` from the cluster `source_alias`.
    pub fn target_topic(&self, source_alias: &str, topic: &str) -> String {
        match self {
            Self::Default { separator } => format!("{source_alias}{separator}{topic}"),
            Self::Identity => topic.to_owned(),
        }
    }

    /// Whether `topic` on the source is itself a replica of the target cluster `target_alias`
    /// (mirroring it back would loop).
    pub fn is_replica_of(&self, topic: &str, target_alias: &str) -> bool {
        match self {
            Self::Default { separator } => topic.starts_with(&format!("{target_alias}{separator}")),
            Self::Identity => false,
        }
    }
}

/// A list of regular expressions, each matching whole topic names.
#[derive(Debug, Clone)]
pub struct Patterns(Vec<regex::Regex>);

impl Patterns {
    /// Parses a comma-separated list; the error names the expression that does not compile.
    pub fn parse(list: &str) -> Result<Self, String> {
        connect_api::config::split_list(list)
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| format!("{p}: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn matches(&self, topic: &str) -> bool {
        self.0.iter().any(|r| r.is_match(topic))
    }
}

/// Plans `tasks.max` tasks; each takes its share of the source partitions itself.
#[derive(Debug, Default)]
pub struct MirrorSourceConnector;

impl SourceConnector for MirrorSourceConnector {
    type Task = MirrorSourceTask;
    const CLASS: &'static str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
    const ALIASES: &'static [&'static str] = &["MirrorSourceConnector", "MirrorSource"];
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Connector for MirrorSourceConnector {
    fn config_def(&self) -> ConfigDef {
        config::def()
    }

    fn task_configs(&self, props: &Properties, max_tasks: usize) -> Vec<Properties> {
        let tasks = max_tasks.max(1);
        (0..tasks)
            .map(|i| {
                let mut p = props.clone();
                p.insert(config::TASK_INDEX.to_owned(), i.to_string());
                p.insert(config::TASK_COUNT.to_owned(), tasks.to_string());
                p
            })
            .collect()
    }

    /// A source partition is read again from the offset after the last committed one.
    fn exactly_once_support(&self, _config: &Properties) -> Option<bool> {
        Some(true)
    }
}

/// Which task of `tasks` mirrors `partition` of `topic`: a hash that stays the same as topics
/// come and go (FNV-1a of the name, plus the partition).
pub fn owner(topic: &str, partition: i32, tasks: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let spread = hash.wrapping_add(u64::from(partition.unsigned_abs()));
    (spread % tasks.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_name_target_topics_as_mirror_maker_does() {
        let default = Policy::parse(config::DEFAULT_POLICY, ".").unwrap();
        assert_eq!(default.target_topic("us-east", "orders"), "us-east.orders");
        assert!(default.is_replica_of("eu.orders", "eu"));
        assert!(!default.is_replica_of("orders", "eu"));
        let identity = Policy::parse("IdentityReplicationPolicy", ".").unwrap();
        assert_eq!(identity.target_topic("us-east", "orders"), "orders");
        assert!(Policy::parse("com.example.MyPolicy", ".").is_err());
    }

    #[test]
    fn patterns_match_whole_names() {
        let p = Patterns::parse(config::DEFAULT_EXCLUDE).unwrap();
        assert!(p.matches("__consumer_offsets"));
        assert!(p.matches("mm2-offsets.internal"));
        assert!(p.matches("orders.replica"));
        assert!(!p.matches("orders"));
        let topics = Patterns::parse("orders.*, pay").unwrap();
        assert!(topics.matches("orders-eu"));
        assert!(!topics.matches("payments"));
        assert!(Patterns::parse("(").is_err());
    }

    #[test]
    fn every_partition_has_one_owner_among_the_tasks() {
        for tasks in 1..5 {
            for p in 0..20 {
                assert!(owner("orders", p, tasks) < tasks);
            }
        }
        // Spread: 3 tasks over 12 partitions of one topic each get some.
        let mut counts = [0; 3];
        for p in 0..12 {
            counts[owner("orders", p, 3)] += 1;
        }
        assert!(counts.iter().all(|&c| c == 4), "{counts:?}");
    }
}
