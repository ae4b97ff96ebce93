//! Counting what a `read_committed` reader sees, for the exactly-once tests.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::{bootstrap, unique};

/// How often each `orderid` occurs; the missing and repeated ones.
pub fn tally(ids: impl IntoIterator<Item = u64>, expected: u64) -> (Vec<u64>, Vec<(u64, usize)>) {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for id in ids {
        *seen.entry(id).or_default() += 1;
    }
    let missing = (0..expected).filter(|n| !seen.contains_key(n)).collect();
    let repeated = seen.into_iter().filter(|(_, c)| *c > 1).collect();
    (missing, repeated)
}

/// Every `orderid` in the topic, read with `read_committed` (aborted records are not seen).
pub fn committed_ids(topic: &str) -> Vec<u64> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("eos-reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut list = rdkafka::TopicPartitionList::new();
    for p in &partitions {
        list.add_partition_offset(topic, *p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut ids = Vec::new();
    let mut at_end = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while at_end < partitions.len() {
        assert!(Instant::now() < deadline, "reading {topic}");
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                let value: serde_json::Value =
                    serde_json::from_slice(m.payload().unwrap_or_default()).expect("JSON");
                ids.push(value["orderid"].as_u64().expect("orderid"));
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => at_end += 1,
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    ids
}
