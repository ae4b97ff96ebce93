//! `offset.storage.topic`: source offsets in a compacted Kafka topic, in Kafka Connect's format —
//! key `["<connector>",{<source partition>}]`, value `{<source offset>}` as schemaless JSON, a
//! null value deleting the partition — so tools that read Kafka Connect's offsets topic read
//! wharf's.
//!
//! On open the whole topic is read to its end; afterwards this worker's commits update the
//! in-memory view once the broker has acknowledged them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::Consumer;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use serde_json::Value;

use super::{JsonMap, OffsetError, OffsetKey, OffsetStore};
use crate::kafka::{self, TopicSpec};

/// How long opening may take to read the topic, and a commit to be acknowledged.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Offsets in a Kafka topic; see the module docs.
pub struct TopicOffsetStore {
    topic: String,
    producer: ThreadedProducer<DefaultProducerContext>,
    offsets: Mutex<BTreeMap<OffsetKey, JsonMap>>,
}

impl std::fmt::Debug for TopicOffsetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicOffsetStore")
            .field("topic", &self.topic)
            .finish()
    }
}

fn kafka_error(topic: &str, what: &str, e: impl std::fmt::Display) -> OffsetError {
    OffsetError::Kafka {
        topic: topic.to_owned(),
        message: format!("{what}: {e}"),
    }
}

impl TopicOffsetStore {
    /// Creates the topic if needed (compacted) and reads it to the end. `client` holds the
    /// worker's own client settings in librdkafka's terms (TLS and SASL for a secured cluster;
    /// [`kafka::security::worker_client_settings`]).
    pub fn open(
        bootstrap: &str,
        topic: &str,
        partitions: i32,
        replication_factor: i32,
        client: &BTreeMap<String, String>,
    ) -> Result<Self, OffsetError> {
        let base = || {
            let mut config = ClientConfig::new();
            for (k, v) in client {
                config.set(k, v);
            }
            config.set("bootstrap.servers", bootstrap);
            config
        };
        futures::executor::block_on(kafka::ensure_topic_with(
            &base(),
            &TopicSpec {
                name: topic,
                partitions,
                replication_factor,
                configs: vec![("cleanup.policy", "compact")],
            },
        ))
        .map_err(|e| kafka_error(topic, "cannot create the offsets topic", e))?;
        let offsets = read_all(base(), topic)?;
        // Java's murmur2 partitioning (librdkafka's default is CRC32): a key lands on the
        // partition Kafka Connect's readers and writers use for it.
        let producer: ThreadedProducer<DefaultProducerContext> = base()
            .set("enable.idempotence", "true")
            .set("partitioner", "murmur2_random")
            .create()
            .map_err(|e| kafka_error(topic, "cannot create a producer", e))?;
        Ok(Self {
            topic: topic.to_owned(),
            producer,
            offsets: Mutex::new(offsets),
        })
    }
}

fn parse_key(bytes: &[u8]) -> Option<OffsetKey> {
    let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    match parts.as_slice() {
        [Value::String(connector), Value::Object(partition)] => {
            Some(OffsetKey::new(connector, partition))
        }
        _ => None,
    }
}

/// Calls `call` again while it fails with a retriable error (a freshly created topic's partitions
/// have no leader for a moment: `NotLeaderForPartition`, `LeaderNotAvailable`), for at most
/// [`TIMEOUT`], as Kafka Connect's worker retries; other errors at once.
fn retrying<T>(
    topic: &str,
    what: &str,
    mut call: impl FnMut() -> rdkafka::error::KafkaResult<T>,
) -> Result<T, OffsetError> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match call() {
            Ok(value) => return Ok(value),
            Err(e)
                if kafka::error_class(&e) == connect_api::ErrorClass::Retriable
                    && Instant::now() < deadline =>
            {
                tracing::debug!(message = "Retrying a call on the offsets topic.", topic, what, error = %e);
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(kafka_error(topic, what, e)),
        }
    }
}

fn read_all(
    mut base: ClientConfig,
    topic: &str,
) -> Result<BTreeMap<OffsetKey, JsonMap>, OffsetError> {
    let consumer: kafka::ReaderConsumer = base
        .set("group.id", "wharf-offsets-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create_with_context(kafka::ReaderContext)
        .map_err(|e| kafka_error(topic, "cannot create a consumer", e))?;
    let metadata = retrying(topic, "cannot read metadata", || {
        consumer.fetch_metadata(Some(topic), TIMEOUT)
    })?;
    let mut assignment = rdkafka::TopicPartitionList::new();
    let mut remaining = 0;
    for t in metadata.topics() {
        for p in t.partitions() {
            let (low, high) = retrying(topic, "cannot read watermarks", || {
                consumer.fetch_watermarks(topic, p.id(), TIMEOUT)
            })?;
            if high > low {
                assignment
                    .add_partition_offset(topic, p.id(), rdkafka::Offset::Beginning)
                    .map_err(|e| kafka_error(topic, "cannot assign", e))?;
                remaining += 1;
            }
        }
    }
    let mut offsets = BTreeMap::new();
    if remaining == 0 {
        return Ok(offsets);
    }
    consumer
        .assign(&assignment)
        .map_err(|e| kafka_error(topic, "cannot assign", e))?;
    let deadline = Instant::now() + TIMEOUT;
    while remaining > 0 {
        if Instant::now() > deadline {
            return Err(kafka_error(topic, "reading the offsets topic", "timed out"));
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => remaining -= 1,
            Some(Err(e)) => return Err(kafka_error(topic, "reading the offsets topic", e)),
            Some(Ok(m)) => {
                let Some(key) = m.key().and_then(parse_key) else {
                    tracing::warn!(
                        message = "Ignoring a record with a malformed key in the offsets topic.",
                        topic,
                        offset = m.offset()
                    );
                    continue;
                };
                match m.payload().map(serde_json::from_slice::<Value>) {
                    None => {
                        offsets.remove(&key);
                    }
                    Some(Ok(Value::Object(value))) => {
                        offsets.insert(key, value);
                    }
                    Some(_) => {
                        tracing::warn!(
                            message = "Ignoring a malformed offset in the offsets topic.",
                            topic,
                            offset = m.offset()
                        );
                    }
                }
            }
        }
    }
    Ok(offsets)
}

impl OffsetStore for TopicOffsetStore {
    fn offsets(&self, connector: &str) -> BTreeMap<OffsetKey, JsonMap> {
        super::of_connector(
            &self.offsets.lock().unwrap_or_else(|p| p.into_inner()),
            connector,
        )
    }

    fn commit(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) -> Result<(), OffsetError> {
        for (key, value) in &updates {
            let key_bytes = key.topic_key();
            let value_bytes = value.as_ref().map(|v| Value::Object(v.clone()).to_string());
            let mut record = BaseRecord::<str, str>::to(&self.topic).key(&key_bytes);
            if let Some(v) = &value_bytes {
                record = record.payload(v);
            }
            self.producer
                .send(record)
                .map_err(|(e, _)| kafka_error(&self.topic, "cannot queue an offset", e))?;
        }
        // Durable once acknowledged; only then does the in-memory view move on.
        self.producer
            .flush(TIMEOUT)
            .map_err(|e| kafka_error(&self.topic, "offsets were not acknowledged", e))?;
        let mut offsets = self.offsets.lock().unwrap_or_else(|p| p.into_inner());
        super::apply(&mut offsets, updates);
        Ok(())
    }

    fn transactional_topic(&self) -> Option<&str> {
        Some(&self.topic)
    }

    fn committed_in_transaction(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) {
        let mut offsets = self.offsets.lock().unwrap_or_else(|p| p.into_inner());
        super::apply(&mut offsets, updates);
    }
}
