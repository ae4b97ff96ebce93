//! Consumer group offsets of sink connectors (`connect-<connector>`), for the offsets REST API.
//! Blocking calls for the control plane.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const TIMEOUT: Duration = Duration::from_secs(10);

fn consumer(bootstrap: &str, group: &str) -> Result<BaseConsumer, KafkaError> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
}

/// The committed offset of every partition of `topics` that has one: (topic, partition, offset).
pub fn committed(
    bootstrap: &str,
    group: &str,
    topics: &[String],
) -> Result<Vec<(String, i32, i64)>, KafkaError> {
    let consumer = consumer(bootstrap, group)?;
    let mut list = TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer.fetch_metadata(Some(topic), TIMEOUT)?;
        for t in metadata.topics().iter().filter(|t| t.error().is_none()) {
            for p in t.partitions() {
                list.add_partition(topic, p.id());
            }
        }
    }
    let committed = consumer.committed_offsets(list, TIMEOUT)?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.topic().to_owned(), e.partition(), o)),
            _ => None,
        })
        .collect())
}

/// Topics whose names match `regex`, from the cluster's metadata.
pub fn topics_matching(bootstrap: &str, regex: &regex::Regex) -> Result<Vec<String>, KafkaError> {
    let consumer = consumer(bootstrap, "wharf-metadata")?;
    let metadata = consumer.fetch_metadata(None, TIMEOUT)?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|name| regex.is_match(name))
        .collect())
}

/// Sets committed offsets of `group`, which must have no active members.
pub fn alter(
    bootstrap: &str,
    group: &str,
    offsets: &[(String, i32, i64)],
) -> Result<(), KafkaError> {
    let consumer = consumer(bootstrap, group)?;
    let mut list = TopicPartitionList::new();
    for (topic, partition, offset) in offsets {
        list.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
    }
    consumer.commit(&list, CommitMode::Sync)
}

/// Deletes the group and with it all its committed offsets.
pub fn delete(bootstrap: &str, group: &str) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let results = futures::executor::block_on(admin.delete_groups(
        &[group],
        &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
    ))?;
    for result in results {
        match result {
            Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => return Err(KafkaError::AdminOp(code)),
        }
    }
    Ok(())
}
