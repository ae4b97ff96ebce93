//! `wharf smoke`: produce N records from one shard, consume them on another, and check that every
//! record arrived once, in order within its partition. It proves the broker, the shard runtime and
//! the rdkafka glue work together, and prints how fast.

use std::time::{Duration, Instant};

use futures::future;
use rdkafka::Message;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::Consumer;

use crate::kafka::{self, SendError, Sender, ShardConsumer, ShardProducer, TopicSpec};
use crate::runtime::{ShardError, ShardPool};

/// What to run.
#[derive(Debug, Clone)]
pub struct SmokeConfig {
    pub bootstrap: String,
    pub topic: String,
    pub partitions: i32,
    pub records: u64,
    pub value_size: usize,
    /// Give up when no record arrives for this long.
    pub idle_timeout: Duration,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct SmokeReport {
    pub produced: u64,
    pub consumed: u64,
    pub produce_elapsed: Duration,
    pub consume_elapsed: Duration,
    pub value_size: usize,
}

impl SmokeReport {
    /// Records per second end to end (until the last record was consumed).
    pub fn records_per_sec(&self) -> f64 {
        self.consumed as f64 / self.consume_elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Why the smoke run failed.
#[derive(Debug, thiserror::Error)]
pub enum SmokeError {
    #[error(transparent)]
    Admin(#[from] kafka::AdminError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("cannot create a Kafka client: {0}")]
    Client(#[source] rdkafka::error::KafkaError),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error("consuming from {topic} failed: {source}")]
    Consume {
        topic: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },
    #[error("no record arrived for {idle:?} after {consumed} of {expected} records")]
    Stalled {
        idle: Duration,
        consumed: u64,
        expected: u64,
    },
    #[error("partition {partition}: expected sequence {expected}, got {got}")]
    OutOfOrder {
        partition: i32,
        expected: u64,
        got: u64,
    },
    #[error("record at partition {partition} offset {offset} has a malformed key")]
    BadKey { partition: i32, offset: i64 },
}

/// Runs the smoke pipeline on `pool` (producer on shard 0, consumer on the last shard).
pub fn run(pool: &ShardPool, config: &SmokeConfig) -> Result<SmokeReport, SmokeError> {
    futures::executor::block_on(kafka::ensure_topic(
        &config.bootstrap,
        &TopicSpec {
            name: &config.topic,
            partitions: config.partitions,
            replication_factor: 1,
            configs: Vec::new(),
        },
    ))?;
    let start = Instant::now();
    let producer = {
        let config = config.clone();
        pool.spawn_on(0, move || produce(config))?
    };
    let consumer = {
        let config = config.clone();
        pool.spawn_on(pool.len() - 1, move || consume(config))?
    };
    let (produced, consumed) = futures::executor::block_on(future::join(producer, consumer));
    let (produced, produce_elapsed) = produced??;
    let consumed = consumed??;
    Ok(SmokeReport {
        produced,
        consumed,
        produce_elapsed,
        consume_elapsed: start.elapsed(),
        value_size: config.value_size,
    })
}

/// Record `seq` goes to partition `seq % partitions`; its key is `seq` as 8 big-endian bytes.
async fn produce(config: SmokeConfig) -> Result<(u64, Duration), SmokeError> {
    let start = Instant::now();
    let producer: ShardProducer =
        kafka::create_producer(&kafka::producer_config(&config.bootstrap))
            .map_err(SmokeError::Client)?;
    let mut sender = Sender::new(producer, 200_000);
    let topic: std::rc::Rc<str> = std::rc::Rc::from(config.topic.as_str());
    let value = vec![b'w'; config.value_size];
    let partitions = u64::try_from(config.partitions.max(1)).unwrap_or(1);
    for seq in 0..config.records {
        let partition = i32::try_from(seq % partitions).unwrap_or(0);
        sender
            .send(
                &topic,
                Some(&seq.to_be_bytes()[..]),
                Some(&value[..]),
                Some(partition),
            )
            .await?;
    }
    let acked = sender.flush().await?.acked;
    Ok((acked, start.elapsed()))
}

async fn consume(config: SmokeConfig) -> Result<u64, SmokeError> {
    let group = format!("wharf-smoke-{}", config.topic);
    let consumer: ShardConsumer = kafka::consumer_config(&config.bootstrap, &group)
        .create()
        .map_err(SmokeError::Client)?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..config.partitions {
        assignment
            .add_partition_offset(&config.topic, partition, rdkafka::Offset::Beginning)
            .map_err(|source| SmokeError::Consume {
                topic: config.topic.clone(),
                source,
            })?;
    }
    consumer
        .assign(&assignment)
        .map_err(|source| SmokeError::Consume {
            topic: config.topic.clone(),
            source,
        })?;
    let partitions = u64::try_from(config.partitions.max(1)).unwrap_or(1);
    let mut next: Vec<u64> = (0..partitions).collect();
    let mut consumed = 0;
    while consumed < config.records {
        let message =
            match glommio::timer::timeout(config.idle_timeout, async { Ok(consumer.recv().await) })
                .await
            {
                Ok(message) => message.map_err(|source| SmokeError::Consume {
                    topic: config.topic.clone(),
                    source,
                })?,
                Err(_) => {
                    return Err(SmokeError::Stalled {
                        idle: config.idle_timeout,
                        consumed,
                        expected: config.records,
                    });
                }
            };
        let partition = message.partition();
        let seq = message
            .key()
            .and_then(|k| <[u8; 8]>::try_from(k).ok())
            .map(u64::from_be_bytes)
            .ok_or(SmokeError::BadKey {
                partition,
                offset: message.offset(),
            })?;
        let slot = usize::try_from(partition).unwrap_or(usize::MAX);
        let expected = next.get_mut(slot).ok_or(SmokeError::BadKey {
            partition,
            offset: message.offset(),
        })?;
        if seq != *expected {
            return Err(SmokeError::OutOfOrder {
                partition,
                expected: *expected,
                got: seq,
            });
        }
        *expected += partitions;
        consumed += 1;
    }
    Ok(consumed)
}
