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

/// Asserts that `ids` hold each of `0..expected` exactly once, printing and naming `what` (the
/// topic, the file); returns how many ids there were.
pub fn assert_each_once(what: &str, ids: impl IntoIterator<Item = u64>, expected: u64) -> usize {
    let ids: Vec<u64> = ids.into_iter().collect();
    let (missing, repeated) = tally(ids.iter().copied(), expected);
    println!(
        "{what}: {} records, {} missing, {} repeated",
        ids.len(),
        missing.len(),
        repeated.len()
    );
    assert!(
        missing.is_empty(),
        "{what} misses {:?}",
        &missing[..missing.len().min(10)]
    );
    assert!(
        repeated.is_empty(),
        "{what} repeats {:?}",
        &repeated[..repeated.len().min(10)]
    );
    ids.len()
}

/// The `orderid` of every line of a file sink's output (JSON lines of datagen's orders).
pub fn file_order_ids(path: &std::path::Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            value["orderid"].as_u64().expect("orderid")
        })
        .collect()
}

/// Starts a worker with `spawn` and kills it with SIGKILL (no flush, no commit, an open
/// transaction) `times` times, each after a delay from a sequence seeded with `seed`, between
/// `min` and `min + spread`. Returns the number of kills.
pub fn kill_repeatedly(
    times: usize,
    seed: u64,
    min: Duration,
    spread: Duration,
    mut spawn: impl FnMut() -> crate::ChildGuard,
) -> usize {
    let mut state = seed.max(1);
    let spread_ms = (spread.as_millis() as u64).max(1);
    for _ in 0..times {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut worker = spawn();
        std::thread::sleep(min + Duration::from_millis(state % spread_ms));
        worker.0.kill().expect("SIGKILL");
        worker.0.wait().expect("the killed worker is reaped");
    }
    times
}
