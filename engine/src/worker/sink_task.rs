//! Runs a sink task on its shard: consume a batch → put → (every flush interval) flush → commit.
//!
//! Delivery guarantee (at-least-once): consumer offsets are committed only after the task's
//! `flush` returned, so everything committed is durable in the target system. After a crash the
//! consumer group resumes at the last commit and the task sees at most one flush interval of
//! records again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use converters::Converter;
use converters::data::SchemaAndValue;

use super::convert::RecordConverters;
use super::dlq::DeadLetterQueue;
use super::errors::{ErrorPolicy, Failure, Stage};
use super::headers;
use super::retry::{Attempt, with_retry};
use crate::connector::{ErrorClass, SinkRecord, SinkTask, TaskError};
use crate::kafka::ShardConsumer;
use crate::record::{BatchBuilder, RawRecord};
use crate::transforms::{ConnectRecord, TransformChain};

use super::{StopSignal, TaskId, TaskStats};

/// Most records handed to one `put`.
const MAX_BATCH: usize = 4096;
/// How long one wait for the first record of a batch lasts before checking for stop / flush.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// What to subscribe to.
#[derive(Debug, Clone)]
pub enum Subscription {
    Topics(Vec<String>),
    /// A regex over topic names (`topics.regex`).
    Pattern(String),
}

/// Everything a sink task run needs, built on the control plane.
#[derive(Clone)]
pub struct SinkRun {
    pub id: TaskId,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
    /// For the dead letter queue, when `errors.deadletterqueue.topic.name` is set.
    pub producer_config: rdkafka::ClientConfig,
    pub bootstrap: String,
    pub config: crate::config::Properties,
    /// Includes `group.id = connect-<connector>`.
    pub consumer_config: rdkafka::ClientConfig,
    pub subscription: Subscription,
    pub flush_interval: Duration,
    pub stop: StopSignal,
    pub stats: Arc<TaskStats>,
}

impl std::fmt::Debug for SinkRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkRun").field("id", &self.id).finish()
    }
}

fn kafka_error(run: &SinkRun, what: &str, e: rdkafka::error::KafkaError) -> TaskError {
    TaskError::with_source(ErrorClass::Retriable, format!("{}: {what}: {e}", run.id), e)
}

/// Runs `task` until `run.stop` fires; flushes and commits on the way out.
pub async fn run(mut task: Box<dyn SinkTask>, run: SinkRun) -> Result<(), TaskError> {
    let consumer: ShardConsumer = run
        .consumer_config
        .create()
        .map_err(|e| kafka_error(&run, "cannot create consumer", e))?;
    match &run.subscription {
        Subscription::Topics(topics) => {
            let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
            consumer.subscribe(&topics)
        }
        // librdkafka treats a subscription starting with '^' as a regex.
        Subscription::Pattern(regex) => {
            consumer.subscribe(&[&format!("^{}", regex.trim_start_matches('^'))])
        }
    }
    .map_err(|e| kafka_error(&run, "cannot subscribe", e))?;
    task.start(&run.config).await?;
    let mut dlq = DeadLetterQueue::open(
        &run.id,
        &run.errors,
        &run.bootstrap,
        &run.producer_config,
        &run.stats,
    )
    .await?;
    // Built here, on the shard: a chain caches derived schemas and is used by this task only.
    let transforms = TransformChain::from_config(&run.config)
        .map_err(|e| TaskError::with_source(ErrorClass::Config, format!("{}: {e}", run.id), e))?;

    // Next offset to commit per partition: the last offset put + 1.
    let mut uncommitted: BTreeMap<(Arc<str>, i32), i64> = BTreeMap::new();
    let mut builder = BatchBuilder::with_capacity(MAX_BATCH, MAX_BATCH * 256);
    let mut last_commit = Instant::now();
    let result: Result<(), TaskError> = async {
        while !run.stop.is_set() {
            let first =
                glommio::timer::timeout(IDLE_WAIT, async { Ok(consumer.recv().await) }).await;
            match first {
                Ok(Ok(message)) => {
                    builder.push(&message);
                    drop(message);
                }
                Ok(Err(e)) => consumer_error(&run, e)?,
                Err(_) => {}
            }
            if !builder.is_empty() {
                // Take what is already buffered without waiting.
                while builder.len() < MAX_BATCH {
                    match consumer.recv().now_or_never() {
                        Some(Ok(message)) => builder.push(&message),
                        Some(Err(e)) => {
                            consumer_error(&run, e)?;
                            break;
                        }
                        None => break,
                    }
                }
                let raws = builder.finish();
                let bytes: usize = raws.iter().map(|r| r.size()).sum();
                let count = raws.len();
                // Offsets to commit once this batch is put: a batch that fails is not committed,
                // so its records are read again after a restart.
                let mut batch_end: Vec<((Arc<str>, i32), i64)> = Vec::new();
                for r in &raws {
                    match batch_end.last_mut() {
                        Some(((t, p), next)) if Arc::ptr_eq(t, &r.topic) && *p == r.partition => {
                            *next = r.offset + 1
                        }
                        _ => batch_end.push(((Arc::clone(&r.topic), r.partition), r.offset + 1)),
                    }
                }
                let mut records = Vec::with_capacity(raws.len());
                for raw in raws {
                    if let Some(record) = decode(&run, &transforms, &mut dlq, raw).await? {
                        records.push(record);
                    }
                }
                task.put(records).await?;
                uncommitted.extend(batch_end);
                run.stats.add(count, bytes);
            }
            if last_commit.elapsed() >= run.flush_interval && !uncommitted.is_empty() {
                task.flush().await?;
                dlq.flush().await?;
                commit(&run, &consumer, &mut uncommitted, CommitMode::Async)?;
                last_commit = Instant::now();
            }
        }
        Ok(())
    }
    .await;
    // On the way out, make what was put durable and commit it, also after a put error: records
    // before the failing batch were accepted.
    let flushed = match task.flush().await {
        Ok(()) => dlq.flush().await,
        Err(e) => Err(e),
    };
    let committed = if flushed.is_ok() && !uncommitted.is_empty() {
        commit(&run, &consumer, &mut uncommitted, CommitMode::Sync)
    } else {
        Ok(())
    };
    let stopped = task.stop().await;
    result.and(flushed).and(committed).and(stopped)
}

/// librdkafka reports most consumer errors for information and recovers by itself (a subscribed
/// topic that does not exist yet, a partition leader moving); only fatal errors end the task.
fn consumer_error(run: &SinkRun, error: rdkafka::error::KafkaError) -> Result<(), TaskError> {
    match error {
        KafkaError::MessageConsumptionFatal(_) => Err(kafka_error(run, "consumer failed", error)),
        other => {
            tracing::warn!(message = "Consumer reported an error; continuing.", task = %run.id, error = %other);
            Ok(())
        }
    }
}

fn commit(
    run: &SinkRun,
    consumer: &ShardConsumer,
    uncommitted: &mut BTreeMap<(Arc<str>, i32), i64>,
    mode: CommitMode,
) -> Result<(), TaskError> {
    let mut list = TopicPartitionList::new();
    for ((topic, partition), next) in uncommitted.iter() {
        list.add_partition_offset(topic, *partition, Offset::Offset(*next))
            .map_err(|e| kafka_error(run, "cannot build commit", e))?;
    }
    consumer
        .commit(&list, mode)
        .map_err(|e| kafka_error(run, "offset commit failed", e))?;
    uncommitted.clear();
    Ok(())
}

/// Reads key and value with the connector's converters and runs the transforms. A record that
/// cannot be read or transformed fails the task, or under `errors.tolerance=all` is logged, sent
/// to the dead letter queue if there is one, and skipped (`None`); so is a record a transform
/// drops.
async fn decode(
    run: &SinkRun,
    transforms: &TransformChain,
    dlq: &mut DeadLetterQueue,
    raw: RawRecord,
) -> Result<Option<SinkRecord>, TaskError> {
    let key = read(run, &*run.converters.key, &raw, raw.key.as_ref()).await;
    let value = match &key {
        Ok(_) => read(run, &*run.converters.value, &raw, raw.value.as_ref()).await,
        Err(_) => Ok(SchemaAndValue::default()),
    };
    let (key, value) = match (key, value) {
        (Ok(key), Ok(value)) => (key, value),
        (Err(e), _) => {
            let class = run.converters.key.class_name();
            return reject(
                run,
                dlq,
                &raw,
                Stage::KeyConverter,
                class,
                error_type(&e),
                e,
            )
            .await;
        }
        (_, Err(e)) => {
            let class = run.converters.value.class_name();
            return reject(
                run,
                dlq,
                &raw,
                Stage::ValueConverter,
                class,
                error_type(&e),
                e,
            )
            .await;
        }
    };
    if transforms.is_empty() {
        return Ok(Some(SinkRecord {
            topic: raw.topic,
            partition: raw.partition,
            offset: raw.offset,
            timestamp: raw.timestamp,
            key,
            value,
            headers: raw.headers,
        }));
    }
    let record = ConnectRecord {
        topic: Arc::clone(&raw.topic),
        kafka_partition: Some(raw.partition),
        key,
        value,
        timestamp: raw.timestamp,
        headers: headers::to_connect(&raw.headers),
        kafka_offset: Some(raw.offset),
    };
    match transforms.apply(record) {
        Ok(None) => Ok(None),
        Ok(Some(r)) => Ok(Some(SinkRecord {
            topic: r.topic,
            partition: r.kafka_partition.unwrap_or(raw.partition),
            offset: raw.offset,
            timestamp: r.timestamp,
            key: r.key,
            value: r.value,
            headers: headers::to_raw(r.headers),
        })),
        Err(e) if e.is_data() => {
            let alias = e.alias().to_owned();
            reject(
                run,
                dlq,
                &raw,
                Stage::Transformation,
                &alias,
                "org.apache.kafka.connect.errors.DataException",
                e,
            )
            .await
        }
        Err(e) => Err(TaskError::with_source(
            ErrorClass::Config,
            format!(
                "{}: transform failed for record at {}-{} offset {}: {e}",
                run.id, raw.topic, raw.partition, raw.offset
            ),
            e,
        )),
    }
}

/// A record that failed at `stage`: fails the task, or is logged, dead-lettered and skipped.
async fn reject(
    run: &SinkRun,
    dlq: &mut DeadLetterQueue,
    raw: &RawRecord,
    stage: Stage,
    class_name: &str,
    error_type: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> Result<Option<SinkRecord>, TaskError> {
    let message = format!(
        "{}: {} failed for record at {}-{} offset {}: {error}",
        run.id,
        stage.name(),
        raw.topic,
        raw.partition,
        raw.offset
    );
    if !run.errors.tolerate_all {
        return Err(TaskError::with_source(ErrorClass::BadData, message, error));
    }
    if run.errors.log {
        if run.errors.log_messages {
            tracing::error!(message = "Skipping record (errors.tolerance=all).", error = %message, record = ?raw);
        } else {
            tracing::error!(message = "Skipping record (errors.tolerance=all).", error = %message);
        }
    }
    let failure = Failure {
        connector: &run.id.connector,
        task: run.id.task,
        stage,
        class_name,
        error_type,
        message: error.to_string(),
    };
    dlq.send(raw, &failure).await?;
    Ok(None)
}

/// The name the DLQ context headers give the error, as Kafka Connect names exception classes.
fn error_type(error: &converters::Error) -> &'static str {
    match error.kind() {
        converters::ErrorKind::Config => "org.apache.kafka.common.config.ConfigException",
        converters::ErrorKind::Retriable => "org.apache.kafka.connect.errors.RetriableException",
        _ => "org.apache.kafka.connect.errors.DataException",
    }
}

async fn read(
    run: &SinkRun,
    converter: &dyn Converter,
    raw: &RawRecord,
    bytes: Option<&bytes::Bytes>,
) -> Result<SchemaAndValue, converters::Error> {
    with_retry(&run.errors, &run.stop, || {
        match converter.to_connect_data(&raw.topic, &raw.headers, bytes) {
            Ok(data) => Attempt::Done(data),
            Err(e) if e.kind() == converters::ErrorKind::Retriable => Attempt::Retry(e),
            Err(e) => Attempt::Fail(e),
        }
    })
    .await
}
