//! Runs a source task on its shard: poll → produce → commit offsets.
//!
//! Delivery guarantee (at-least-once): offsets are committed to the offset store only after
//! [`Sender::flush`] returned, i.e. after Kafka acknowledged every record produced so far. A crash
//! between two commits replays at most one `offset.flush.interval.ms` worth of records.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use converters::data::{Schema, SchemaAndValue, Value};
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig};

use super::convert::RecordConverters;
use super::dlq::DeadLetterQueue;
use super::errors::{ErrorPolicy, Failure, Stage};
use super::retry::{Attempt, with_retry};
use crate::connector::{
    ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError,
};
use crate::kafka::{Sender, ShardProducer, create_producer};
use crate::offsets::{JsonMap, OffsetKey, OffsetStore};
use crate::record::{Header, RawRecord};
use crate::transforms::{ConnectRecord, TransformChain};

use super::headers;

use super::{StopSignal, TaskId, TaskStats};

/// Everything a source task run needs, built on the control plane.
#[derive(Clone)]
pub struct SourceRun {
    pub id: TaskId,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
    /// For the dead letter queue topic, when `errors.deadletterqueue.topic.name` is set.
    pub bootstrap: String,
    pub config: crate::config::Properties,
    pub producer_config: rdkafka::ClientConfig,
    pub offsets: Arc<dyn OffsetStore>,
    pub flush_interval: Duration,
    pub stop: StopSignal,
    pub stats: Arc<TaskStats>,
}

impl std::fmt::Debug for SourceRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceRun").field("id", &self.id).finish()
    }
}

/// Runs `task` until it is exhausted or `run.stop` fires; commits offsets on the way out.
pub async fn run(mut task: Box<dyn SourceTask>, run: SourceRun) -> Result<(), TaskError> {
    let producer: ShardProducer = create_producer(&run.producer_config).map_err(|e| {
        TaskError::with_source(
            ErrorClass::Config,
            format!("{}: cannot create producer: {e}", run.id),
            e,
        )
    })?;
    let context = SourceTaskContext {
        offsets: run.offsets.offsets(&run.id.connector),
        connector: run.id.connector.clone(),
    };
    // Built here, on the shard: a chain caches derived schemas and is used by this task only.
    let transforms = TransformChain::from_config(&run.config)
        .map_err(|e| TaskError::with_source(ErrorClass::Config, format!("{}: {e}", run.id), e))?;
    let mut dlq = DeadLetterQueue::open(
        &run.id,
        &run.errors,
        &run.bootstrap,
        &run.producer_config,
        &run.stats,
    )
    .await?;
    task.start(&run.config, &context).await?;
    let mut sender = Sender::new(producer, 100_000);
    // Offsets of records handed to the producer and not yet committed, by source partition.
    let mut pending: BTreeMap<OffsetKey, JsonMap> = BTreeMap::new();
    let mut topics: BTreeMap<Arc<str>, Rc<str>> = BTreeMap::new();
    let mut last_commit = Instant::now();
    let result = loop {
        if run.stop.is_set() {
            break Ok(());
        }
        let polled = std::time::Instant::now();
        let batch = match task.poll().await {
            Ok(Some(batch)) => {
                if !batch.is_empty() {
                    run.stats.observe_batch(batch.len(), polled.elapsed());
                }
                batch
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        if let Err(e) = send_batch(
            &run,
            &transforms,
            &mut dlq,
            &mut sender,
            &mut topics,
            &mut pending,
            batch,
        )
        .await
        {
            break Err(e);
        }
        if last_commit.elapsed() >= run.flush_interval {
            if let Err(e) = commit(&run, &mut sender, &mut dlq, &mut pending).await {
                break Err(e);
            }
            task.commit().await?;
            last_commit = Instant::now();
        }
    };
    // Commit what Kafka has, also after an error: those records are in Kafka.
    let committed = commit(&run, &mut sender, &mut dlq, &mut pending).await;
    let stopped = task.stop().await;
    result.and(committed).and(stopped)
}

async fn send_batch(
    run: &SourceRun,
    transforms: &TransformChain,
    dlq: &mut DeadLetterQueue,
    sender: &mut Sender,
    topics: &mut BTreeMap<Arc<str>, Rc<str>>,
    pending: &mut BTreeMap<OffsetKey, JsonMap>,
    batch: Vec<SourceRecord>,
) -> Result<(), TaskError> {
    let mut bytes = 0;
    let mut sent = 0;
    // Sources reuse one partition map for many records: build its key once, not per record.
    let mut last_key: Option<(Arc<JsonMap>, OffsetKey)> = None;
    for mut record in batch {
        // A skipped record still moves its partition's offset on: it has been handled. The offset
        // moves into `pending`; nothing after this point reads it.
        // An empty offset moves nothing: a source may carry its position on the last record of
        // a batch only (every record of a batch is acknowledged before offsets are committed).
        if !record.source_partition.is_empty() && !record.source_offset.is_empty() {
            let same = last_key
                .as_ref()
                .is_some_and(|(p, _)| Arc::ptr_eq(p, &record.source_partition));
            if !same {
                let key = OffsetKey::new(&run.id.connector, &record.source_partition);
                last_key = Some((Arc::clone(&record.source_partition), key));
            }
            if let Some((_, key)) = &last_key {
                let offset = std::mem::take(&mut record.source_offset);
                match pending.get_mut(key) {
                    Some(slot) => *slot = offset,
                    None => {
                        pending.insert(key.clone(), offset);
                    }
                }
            }
        }
        // The DLQ wants the record as it was before a transform failed on it.
        let original = (dlq.is_enabled() && !transforms.is_empty()).then(|| record.clone());
        let record = match transform(run, transforms, record)? {
            Outcome::Done(Some(r)) => r,
            Outcome::Done(None) => continue,
            Outcome::Rejected(why) => {
                reject(run, dlq, original.as_ref(), why).await?;
                continue;
            }
        };
        let (key, value) = match convert(run, &record).await? {
            Outcome::Done(kv) => kv,
            Outcome::Rejected(why) => {
                reject(run, dlq, Some(&record), why).await?;
                continue;
            }
        };
        let topic = topics
            .entry(Arc::clone(&record.topic))
            .or_insert_with(|| Rc::from(&*record.topic));
        bytes += key.as_ref().map_or(0, Bytes::len) + value.as_ref().map_or(0, Bytes::len);
        sender
            .send(
                topic,
                key.as_deref(),
                value.as_deref(),
                record.kafka_partition,
            )
            .await
            .map_err(|e| {
                TaskError::with_source(ErrorClass::Retriable, format!("{}: {e}", run.id), e)
            })?;
        sent += 1;
    }
    run.stats.add(sent, bytes);
    Ok(())
}

/// Runs the transforms over a record; `None` when a transform drops it, or when it fails on the
/// record under `errors.tolerance=all`.
fn transform(
    run: &SourceRun,
    transforms: &TransformChain,
    record: SourceRecord,
) -> Result<Outcome<Option<SourceRecord>>, TaskError> {
    if transforms.is_empty() {
        return Ok(Outcome::Done(Some(record)));
    }
    let data = |payload: Payload| match payload {
        Payload::Null => SchemaAndValue::default(),
        Payload::Data(d) => d,
        Payload::Raw(b) => SchemaAndValue::new(Some(Schema::optional_bytes()), Value::Bytes(b)),
    };
    let SourceRecord {
        source_partition,
        source_offset,
        topic,
        kafka_partition,
        key,
        value,
        timestamp,
        headers: raw_headers,
    } = record;
    let connect = ConnectRecord {
        topic: Arc::clone(&topic),
        kafka_partition,
        key: data(key),
        value: data(value),
        timestamp,
        headers: headers::to_connect(&raw_headers),
        kafka_offset: None,
    };
    match transforms.apply(connect) {
        Ok(None) => Ok(Outcome::Done(None)),
        Ok(Some(r)) => Ok(Outcome::Done(Some(SourceRecord {
            source_partition,
            source_offset,
            topic: r.topic,
            kafka_partition: r.kafka_partition,
            key: Payload::Data(r.key),
            value: Payload::Data(r.value),
            timestamp: r.timestamp,
            headers: headers::to_raw(r.headers),
        }))),
        Err(e) => {
            let message = format!(
                "{}: TRANSFORMATION failed for a record for topic {topic}: {e}",
                run.id
            );
            if !e.is_data() {
                return Err(TaskError::with_source(ErrorClass::Config, message, e));
            }
            if !run.errors.tolerate_all {
                return Err(TaskError::with_source(ErrorClass::BadData, message, e));
            }
            Ok(Outcome::Rejected(Rejection {
                stage: Stage::Transformation,
                class_name: e.alias().to_owned(),
                error_type: "org.apache.kafka.connect.errors.DataException",
                message,
            }))
        }
    }
}

/// A step's result: done, or the record is skipped under `errors.tolerance=all`.
enum Outcome<T> {
    Done(T),
    Rejected(Rejection),
}

/// Why a record was skipped.
struct Rejection {
    stage: Stage,
    class_name: String,
    error_type: &'static str,
    message: String,
}

/// Logs a skipped record and writes it to the dead letter queue, if there is one.
async fn reject(
    run: &SourceRun,
    dlq: &mut DeadLetterQueue,
    record: Option<&SourceRecord>,
    why: Rejection,
) -> Result<(), TaskError> {
    if run.errors.log {
        match record.filter(|_| run.errors.log_messages) {
            Some(r) => {
                tracing::error!(message = "Skipping record (errors.tolerance=all).", error = %why.message, record = ?r)
            }
            None => {
                tracing::error!(message = "Skipping record (errors.tolerance=all).", error = %why.message)
            }
        }
    }
    let Some(record) = record.filter(|_| dlq.is_enabled()) else {
        return Ok(());
    };
    // The converter could not write it, so the DLQ gets the data as JSON with its schema.
    let json = |payload: &Payload| match payload {
        Payload::Null => None,
        Payload::Raw(b) => Some(b.clone()),
        Payload::Data(d) => DLQ_JSON
            .from_connect_data(&record.topic, &[], d.schema.as_ref(), &d.value)
            .ok()
            .flatten(),
    };
    let raw = RawRecord {
        topic: Arc::clone(&record.topic),
        partition: record.kafka_partition.unwrap_or(-1),
        offset: -1,
        timestamp: record.timestamp,
        key: json(&record.key),
        value: json(&record.value),
        headers: record.headers.clone(),
    };
    let failure = Failure {
        connector: &run.id.connector,
        task: run.id.task,
        stage: why.stage,
        class_name: &why.class_name,
        error_type: why.error_type,
        message: why.message,
    };
    dlq.send(&raw, &failure).await
}

/// Renders records for the dead letter queue.
static DLQ_JSON: LazyLock<JsonConverter> = LazyLock::new(|| {
    JsonConverter::with_config(JsonConverterConfig::defaults(ConverterType::Value))
});

/// Serializes key and value.
async fn convert(
    run: &SourceRun,
    record: &SourceRecord,
) -> Result<Outcome<(Option<Bytes>, Option<Bytes>)>, TaskError> {
    let key = match serialize(
        run,
        &*run.converters.key,
        Stage::KeyConverter,
        record,
        &record.key,
    )
    .await?
    {
        Outcome::Done(k) => k,
        Outcome::Rejected(why) => return Ok(Outcome::Rejected(why)),
    };
    Ok(
        match serialize(
            run,
            &*run.converters.value,
            Stage::ValueConverter,
            record,
            &record.value,
        )
        .await?
        {
            Outcome::Done(v) => Outcome::Done((key, v)),
            Outcome::Rejected(why) => Outcome::Rejected(why),
        },
    )
}

async fn serialize(
    run: &SourceRun,
    converter: &dyn Converter,
    stage: Stage,
    record: &SourceRecord,
    payload: &Payload,
) -> Result<Outcome<Option<Bytes>>, TaskError> {
    let data = match payload {
        Payload::Null => return Ok(Outcome::Done(None)),
        Payload::Raw(bytes) => return Ok(Outcome::Done(Some(bytes.clone()))),
        Payload::Data(data) => data,
    };
    let headers: &[Header] = &record.headers;
    let result = with_retry(&run.errors, &run.stop, || {
        match converter.from_connect_data(&record.topic, headers, data.schema.as_ref(), &data.value)
        {
            Ok(bytes) => Attempt::Done(bytes),
            Err(e) if e.kind() == converters::ErrorKind::Retriable => Attempt::Retry(e),
            Err(e) => Attempt::Fail(e),
        }
    })
    .await;
    match result {
        Ok(bytes) => Ok(Outcome::Done(bytes)),
        Err(e) => {
            let message = format!(
                "{}: {} failed to serialize a record for topic {}: {e}",
                run.id,
                stage.name(),
                record.topic
            );
            if !run.errors.tolerate_all {
                return Err(TaskError::with_source(ErrorClass::BadData, message, e));
            }
            Ok(Outcome::Rejected(Rejection {
                stage,
                class_name: converter.class_name().to_owned(),
                error_type: "org.apache.kafka.connect.errors.DataException",
                message,
            }))
        }
    }
}

async fn commit(
    run: &SourceRun,
    sender: &mut Sender,
    dlq: &mut DeadLetterQueue,
    pending: &mut BTreeMap<OffsetKey, JsonMap>,
) -> Result<(), TaskError> {
    // Skipped records' offsets commit too, so their DLQ copies must be in Kafka first.
    dlq.flush().await?;
    sender.flush().await.map_err(|e| {
        TaskError::with_source(ErrorClass::Retriable, format!("{}: {e}", run.id), e)
    })?;
    if pending.is_empty() {
        return Ok(());
    }
    let updates = std::mem::take(pending)
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    run.offsets.commit(updates).map_err(|e| {
        TaskError::with_source(
            ErrorClass::Retriable,
            format!("{}: cannot commit offsets: {e}", run.id),
            e,
        )
    })
}
