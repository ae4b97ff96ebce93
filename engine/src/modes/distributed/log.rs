//! A compacted topic read to its end and written to: Kafka Connect's `KafkaBasedLog`, on rdkafka.
//!
//! - **Reading**: one consumer that joins no group `assign`s every partition of the topic from the
//!   beginning (`auto.offset.reset=earliest`, no auto commit). [`KafkaLog::read_to_end`] takes the
//!   end offsets (high watermarks) and consumes until every partition's position has reached its
//!   end, handing each record to a callback in offset order. Later calls go on from where the last
//!   one stopped.
//! - **Writing**: a producer with `acks=all`, `max.in.flight.requests.per.connection=1` and
//!   `enable.idempotence=false`, as `KafkaBasedLog.createProducer` forces them, and librdkafka's
//!   `murmur2_random` partitioner, which puts a keyed record on the partition Java's default
//!   partitioner picks (`toPositive(murmur2(key)) % partitions`; librdkafka's own default is
//!   CRC32), as `offsets/topic.rs` does.
//! - **Setup** ([`TopicSetup`]): the topic is created if missing (compacted, with the given
//!   partitions and replication factor); an existing topic whose `cleanup.policy` is not exactly
//!   `compact` is refused, as `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact` refuses it, and so
//!   is a config topic with more than one partition.
//!
//! Control-plane code: every call blocks (on librdkafka's threads) and belongs on a control
//! thread, never on a glommio shard.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka::{self, AdminError, ReaderConsumer, ReaderContext, TopicSpec};

/// How long a read or write may take by default: `KafkaConfigBackingStore`'s
/// `READ_WRITE_TOTAL_TIMEOUT_MS`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors of a [`KafkaLog`], each naming its topic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    #[error("topic '{topic}': cannot create a Kafka client: {source}")]
    Client {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("topic '{topic}': cannot create it: {source}")]
    Create {
        topic: String,
        #[source]
        source: Box<AdminError>,
    },
    /// `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact`'s `ConfigException`.
    #[error(
        "Topic '{topic}' supplied via the '{setting}' property is required to have \
         'cleanup.policy=compact' to guarantee consistency and durability of its records, but \
         found the topic currently has 'cleanup.policy={found}'. Change the '{setting}' property \
         in the worker configuration to use a topic with 'cleanup.policy=compact'."
    )]
    NotCompacted {
        topic: String,
        setting: &'static str,
        found: String,
    },
    /// `KafkaConfigBackingStore.start`'s `ConfigException`.
    #[error(
        "Topic '{topic}' supplied via the '{setting}' property is required to have a single \
         partition in order to guarantee consistency of connector configurations, but found \
         {partitions} partitions."
    )]
    TooManyPartitions {
        topic: String,
        setting: &'static str,
        partitions: usize,
    },
    #[error("topic '{topic}' has no partitions (it may not exist)")]
    NoPartitions { topic: String },
    #[error("topic '{topic}': {what}: {source}")]
    Kafka {
        topic: String,
        what: &'static str,
        #[source]
        source: KafkaError,
    },
    #[error("topic '{topic}': ListOffsets gave partition {partition} no offset ({answer})")]
    NoOffset {
        topic: String,
        partition: i32,
        answer: String,
    },
    #[error("topic '{topic}': {what} timed out")]
    Timeout { topic: String, what: &'static str },
}

/// How the topic is set up and checked at [`KafkaLog::open`].
#[derive(Debug, Clone)]
pub struct TopicSetup {
    /// The worker property that names the topic (`config.storage.topic`, ...), for messages.
    pub setting: &'static str,
    /// Partitions when the topic is created.
    pub partitions: i32,
    /// Replication factor when the topic is created; -1 for the broker's default.
    pub replication_factor: i32,
    /// Refuse a topic with more than one partition (the config topic).
    pub single_partition: bool,
}

/// Client settings for a log's consumer, producer and admin client.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// librdkafka properties for every client (`security.protocol`, `sasl.*`, `ssl.*`, ...),
    /// applied before the settings a log forces.
    pub common: BTreeMap<String, String>,
    /// The clients' `client.id` (Java: `<base>configs`, `<base>statuses`).
    pub client_id: Option<String>,
    /// Read with `isolation.level=read_committed` (the config topic when
    /// `exactly.once.source.support=enabled`); otherwise `read_uncommitted`, Java's default.
    pub read_committed: bool,
    /// The producer's `retries` (the status store's producer uses 0); librdkafka's default if
    /// unset.
    pub producer_retries: Option<u32>,
}

/// One record read from the log.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
    /// `None` for a tombstone.
    pub value: Option<&'a [u8]>,
}

type DeliverySender = mpsc::SyncSender<Result<(i32, i64), KafkaError>>;

/// Reports each delivery to the [`Receipt`] of its send.
struct ReceiptContext;

impl ClientContext for ReceiptContext {}

impl ProducerContext for ReceiptContext {
    type DeliveryOpaque = Box<DeliverySender>;

    fn delivery(&self, result: &DeliveryResult<'_>, sender: Self::DeliveryOpaque) {
        let outcome = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, _)) => Err(e.clone()),
        };
        // The receipt may have been dropped: nobody is waiting.
        let _ = sender.try_send(outcome);
    }
}

/// The acknowledgement of one [`KafkaLog::send`].
#[derive(Debug)]
pub struct Receipt {
    topic: String,
    rx: mpsc::Receiver<Result<(i32, i64), KafkaError>>,
}

impl Receipt {
    /// Waits until the broker acknowledged the record (or refused it): its partition and offset.
    pub fn wait(self, deadline: Instant) -> Result<(i32, i64), LogError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(Ok(at)) => Ok(at),
            Ok(Err(source)) => Err(LogError::Kafka {
                topic: self.topic,
                what: "a write failed",
                source,
            }),
            Err(_) => Err(LogError::Timeout {
                topic: self.topic,
                what: "waiting for a write to be acknowledged",
            }),
        }
    }
}

/// Where reading stands: the next offset of every partition.
struct Reader {
    consumer: ReaderConsumer,
    /// Asks for the start and end offsets on a connection of its own: on the reading
    /// consumer's, the broker would answer only after its pending long-poll fetch
    /// (`fetch.wait.max.ms`), as Java asks its Admin client.
    lister: ReaderConsumer,
    /// The next offset to read per partition, as far as known.
    next: BTreeMap<i32, i64>,
}

/// A compacted topic read to its end and written to; see the module docs.
pub struct KafkaLog {
    topic: String,
    partitions: Vec<i32>,
    reader: Mutex<Reader>,
    producer: ThreadedProducer<ReceiptContext>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .finish()
    }
}

fn base_config(bootstrap: &str, settings: &ClientSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in &settings.common {
        config.set(key, value);
    }
    config.set("bootstrap.servers", bootstrap);
    if let Some(id) = &settings.client_id {
        config.set("client.id", id);
    }
    config
}

impl KafkaLog {
    /// Sets the topic up (see [`TopicSetup`]), then creates the consumer, assigned to every
    /// partition from the beginning, and the producer. Reads nothing yet.
    pub fn open(
        bootstrap: &str,
        topic: &str,
        setup: &TopicSetup,
        settings: &ClientSettings,
    ) -> Result<Self, LogError> {
        let client = |source| LogError::Client {
            topic: topic.to_owned(),
            source,
        };
        let kafka = |what, source| LogError::Kafka {
            topic: topic.to_owned(),
            what,
            source,
        };
        let partitions = if setup.single_partition {
            1
        } else {
            setup.partitions
        };
        futures::executor::block_on(kafka::ensure_topic_with(
            &base_config(bootstrap, settings),
            &TopicSpec {
                name: topic,
                partitions,
                replication_factor: setup.replication_factor,
                configs: vec![("cleanup.policy", "compact")],
            },
        ))
        .map_err(|source| LogError::Create {
            topic: topic.to_owned(),
            source: Box::new(source),
        })?;
        verify_compacted(bootstrap, topic, setup.setting, settings)?;

        let mut consumer_config = base_config(bootstrap, settings);
        // librdkafka assigns partitions only within a group; this one is never joined (no
        // subscribe) and nothing is committed to it, so it stands for Java's group-less consumer.
        consumer_config
            .set("group.id", format!("wharf-log-reader-{topic}"))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "true")
            .set(
                "isolation.level",
                if settings.read_committed {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        let consumer: ReaderConsumer = consumer_config
            .create_with_context(ReaderContext)
            .map_err(client)?;
        let lister: ReaderConsumer = consumer_config
            .create_with_context(ReaderContext)
            .map_err(client)?;
        let ids = partition_ids(&consumer, topic)?;
        if setup.single_partition && ids.len() > 1 {
            return Err(LogError::TooManyPartitions {
                topic: topic.to_owned(),
                setting: setup.setting,
                partitions: ids.len(),
            });
        }
        let mut assignment = TopicPartitionList::new();
        for &p in &ids {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .map_err(|e| kafka("cannot assign its partitions", e))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| kafka("cannot assign its partitions", e))?;

        let mut producer_config = base_config(bootstrap, settings);
        producer_config
            .set("acks", "all")
            .set("max.in.flight.requests.per.connection", "1")
            .set("enable.idempotence", "false")
            .set("partitioner", "murmur2_random")
            // Java: delivery.timeout.ms=Integer.MAX_VALUE; a caller waits on its receipt.
            .set("message.timeout.ms", "0")
            .set("linger.ms", "0");
        if let Some(retries) = settings.producer_retries {
            producer_config.set("retries", retries.to_string());
        }
        let producer: ThreadedProducer<ReceiptContext> = producer_config
            .create_with_context(ReceiptContext)
            .map_err(client)?;
        Ok(Self {
            topic: topic.to_owned(),
            partitions: ids,
            reader: Mutex::new(Reader {
                consumer,
                lister,
                next: BTreeMap::new(),
            }),
            producer,
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The topic's partitions, as found at [`KafkaLog::open`].
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// Reads every record up to the end offsets the broker reports now, handing each to
    /// `on_record` in offset order (per partition). Returns how many records were read.
    pub fn read_to_end(
        &self,
        deadline: Instant,
        mut on_record: impl FnMut(LogRecord<'_>),
    ) -> Result<usize, LogError> {
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let Reader {
            consumer,
            lister,
            next,
        } = &mut *reader;
        let kafka = |what, source| LogError::Kafka {
            topic: self.topic.clone(),
            what,
            source,
        };
        // The end offsets, and the start offsets: nothing is left to read below a partition's
        // start, so a partition whose records are all gone counts as read. One ListOffsets
        // request each, with the consumer's isolation level, as Java's `TopicAdmin.endOffsets`.
        let ends = self.list_offsets(lister, Offset::End, deadline)?;
        for (p, low) in self.list_offsets(lister, Offset::Beginning, deadline)? {
            let at = next.entry(p).or_insert(low);
            *at = (*at).max(low);
        }
        let behind = |next: &BTreeMap<i32, i64>| {
            ends.iter()
                .any(|(p, end)| next.get(p).copied().unwrap_or(0) < *end)
        };
        let mut count = 0;
        while behind(next) {
            if Instant::now() >= deadline {
                return Err(LogError::Timeout {
                    topic: self.topic.clone(),
                    what: "reading to the end",
                });
            }
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let at = next.entry(m.partition()).or_insert(0);
                    *at = (*at).max(m.offset() + 1);
                    count += 1;
                    on_record(LogRecord {
                        partition: m.partition(),
                        offset: m.offset(),
                        key: m.key(),
                        value: m.payload(),
                    });
                }
                Some(Err(KafkaError::PartitionEOF(_))) | None => {
                    // The consumer's position also moves past records it does not hand out
                    // (transaction markers, aborted records).
                    update_positions(consumer, &self.topic, next);
                }
                Some(Err(e)) => return Err(kafka("reading failed", e)),
            }
        }
        Ok(count)
    }

    /// The offsets ListOffsets reports for every partition at `which` (`Offset::End`: the high
    /// watermark, or the last stable offset when reading committed; `Offset::Beginning`: the log
    /// start).
    fn list_offsets(
        &self,
        lister: &ReaderConsumer,
        which: Offset,
        deadline: Instant,
    ) -> Result<BTreeMap<i32, i64>, LogError> {
        let mut request = TopicPartitionList::new();
        for &p in &self.partitions {
            request
                .add_partition_offset(&self.topic, p, which)
                .map_err(|source| LogError::Kafka {
                    topic: self.topic.clone(),
                    what: "cannot list its offsets",
                    source,
                })?;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = lister
            .offsets_for_times(request, left.max(Duration::from_millis(1)))
            .map_err(|source| LogError::Kafka {
                topic: self.topic.clone(),
                what: "cannot list its offsets",
                source,
            })?;
        let mut offsets = BTreeMap::new();
        for element in answer.elements_for_topic(&self.topic) {
            if let Err(source) = element.error() {
                return Err(LogError::Kafka {
                    topic: self.topic.clone(),
                    what: "cannot list its offsets",
                    source,
                });
            }
            match element.offset() {
                Offset::Offset(at) => {
                    offsets.insert(element.partition(), at);
                }
                other => {
                    return Err(LogError::NoOffset {
                        topic: self.topic.clone(),
                        partition: element.partition(),
                        answer: format!("{other:?}"),
                    });
                }
            }
        }
        Ok(offsets)
    }

    /// Queues a record (`value` `None`: a tombstone) on the partition Java would pick for its key.
    pub fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<Receipt, LogError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let mut record = BaseRecord::with_opaque_to(&self.topic, Box::new(tx)).key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        self.producer
            .send(record)
            .map_err(|(source, _)| LogError::Kafka {
                topic: self.topic.clone(),
                what: "cannot queue a write",
                source,
            })?;
        Ok(Receipt {
            topic: self.topic.clone(),
            rx,
        })
    }

    /// Sends each record and waits until the broker acknowledged all of them, in order.
    pub fn send_all(
        &self,
        records: &[(Vec<u8>, Option<Vec<u8>>)],
        deadline: Instant,
    ) -> Result<(), LogError> {
        let receipts = records
            .iter()
            .map(|(k, v)| self.send(k, v.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        for receipt in receipts {
            receipt.wait(deadline)?;
        }
        Ok(())
    }

    /// Waits until every queued record has been delivered or has failed.
    pub fn flush(&self, timeout: Duration) -> Result<(), LogError> {
        self.producer
            .flush(timeout)
            .map_err(|source| LogError::Kafka {
                topic: self.topic.clone(),
                what: "flushing writes",
                source,
            })
    }
}

/// Takes the consumer's positions where they are ahead of what the records showed.
fn update_positions(consumer: &ReaderConsumer, topic: &str, next: &mut BTreeMap<i32, i64>) {
    let Ok(positions) = consumer.position() else {
        return;
    };
    for element in positions.elements_for_topic(topic) {
        if let Offset::Offset(at) = element.offset() {
            let known = next.entry(element.partition()).or_insert(0);
            *known = (*known).max(at);
        }
    }
}

/// The topic's partition ids, waiting a little for a topic just created to show in metadata.
fn partition_ids(consumer: &ReaderConsumer, topic: &str) -> Result<Vec<i32>, LogError> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|source| LogError::Kafka {
                topic: topic.to_owned(),
                what: "cannot read its metadata",
                source,
            })?;
        let found = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none())
            .map(|t| t.partitions().iter().map(|p| p.id()).collect::<Vec<_>>())
            .unwrap_or_default();
        if !found.is_empty() {
            let mut ids = found;
            ids.sort_unstable();
            return Ok(ids);
        }
        if Instant::now() >= deadline {
            return Err(LogError::NoPartitions {
                topic: topic.to_owned(),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact`: the policy, split on `,`, trimmed and lower
/// cased, must be exactly `{compact}`. When the broker will not describe the topic (not allowed,
/// not supported) the check is skipped with a log line, as Java skips it.
fn verify_compacted(
    bootstrap: &str,
    topic: &str,
    setting: &'static str,
    settings: &ClientSettings,
) -> Result<(), LogError> {
    let admin: AdminClient<DefaultClientContext> = base_config(bootstrap, settings)
        .create()
        .map_err(|source| LogError::Client {
            topic: topic.to_owned(),
            source,
        })?;
    let options = AdminOptions::new().request_timeout(Some(DEFAULT_TIMEOUT));
    let described = futures::executor::block_on(
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options),
    );
    let policy = match described.as_deref() {
        Ok([Ok(resource)]) => resource
            .get("cleanup.policy")
            .and_then(|entry| entry.value.clone()),
        Ok([Err(code)]) => {
            tracing::info!(
                message = "Unable to verify the cleanup policy of the topic; not checking it.",
                topic,
                error = %code
            );
            if *code == RDKafkaErrorCode::UnknownTopicOrPartition {
                return Err(LogError::NoPartitions {
                    topic: topic.to_owned(),
                });
            }
            return Ok(());
        }
        Ok(_) => None,
        Err(e) => {
            tracing::info!(
                message = "Unable to verify the cleanup policy of the topic; not checking it.",
                topic,
                error = %e
            );
            return Ok(());
        }
    };
    let Some(policy) = policy else {
        tracing::info!(
            message = "The broker did not report the topic's cleanup policy; not checking it.",
            topic
        );
        return Ok(());
    };
    let policies: std::collections::BTreeSet<String> =
        policy.split(',').map(|p| p.trim().to_lowercase()).collect();
    if policies.len() == 1 && policies.contains("compact") {
        Ok(())
    } else {
        Err(LogError::NotCompacted {
            topic: topic.to_owned(),
            setting,
            found: policies.into_iter().collect::<Vec<_>>().join(","),
        })
    }
}
