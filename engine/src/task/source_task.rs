//! Runs a source task on its shard: poll → transform → convert → produce → commit offsets, as
//! the steps of a `SourceDriver` that owns the run's state.
//!
//! Delivery guarantee (at-least-once): a record's source offset moves into the pending commit only
//! once the record was handed to the producer, deliberately dropped by a transform, or tolerated
//! (logged and dead-lettered) under `errors.tolerance=all` — never before, so a record that fails
//! a transform, a converter or the send is not counted as handled, and a restart resumes at it.
//! Offsets are committed to the offset store only after [`Sender::flush`] returned, i.e. after
//! Kafka acknowledged every record produced so far (a failed delivery fails every later flush of
//! the run, so nothing after it is committed). A crash between two commits replays at most one
//! `offset.flush.interval.ms` worth of records.
//!
//! `start` and `stop` are paired on every path: everything that can fail is set up before `start`,
//! and after it the loop ends through one exit that commits what Kafka has and calls `stop`.
//!
//! Exactly once ([`super::exactly_once`]): records and the offsets they reach go out in one
//! transaction of the task's transactional producer; the exit path commits it after a clean end
//! and aborts it after an error, so nothing of a failed transaction becomes visible.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use bytes::Bytes;
use connect_api::data::{Schema, SchemaAndValue, Value};
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig};

use super::convert::TaskConverters;
use super::dlq::DeadLetterQueue;
use super::errors::Stage;
use super::exactly_once::{ExactlyOnce, Transactions};
use super::operator::{CONNECT_EXCEPTION, Handled, RecordErrors, Rejection};
use super::retry::Backoff;
use crate::kafka::{Sender, ShardProducer, create_producer, send_error_class};
use crate::offsets::{JsonMap, OffsetKey, OffsetStore};
use crate::record::{Header, RawRecord};
use connect_api::{ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError};
use transforms::{ConnectRecord, TransformChain};

use super::headers;

use super::{TaskEnv, TaskId};

/// What a source task is given (see [the module docs](super)): the task's environment, and
/// where its offsets go.
#[derive(Clone)]
pub struct SourceTaskSetup {
    pub env: TaskEnv,
    pub offsets: Arc<dyn OffsetStore>,
    /// Set when the worker runs sources exactly once.
    pub exactly_once: Option<ExactlyOnce>,
}

impl std::fmt::Debug for SourceTaskSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceTaskSetup")
            .field("id", &self.env.id)
            .finish()
    }
}

/// Runs `task` until it is exhausted or the stop signal fires; commits offsets on the way out.
pub async fn run(task: Box<dyn SourceTask>, setup: SourceTaskSetup) -> Result<(), TaskError> {
    let mut driver = SourceDriver::start(task, &setup).await?;
    let result = driver.drive().await;
    driver.stop(result).await
}

/// One run of a source task on its shard: the task and everything the run keeps, driven step by
/// step — [`start`](Self::start), then per batch [`poll`](Self::poll),
/// [`send_batch`](Self::send_batch) (transform, convert, produce; the offsets of handled records
/// become pending) and [`maybe_commit`](Self::maybe_commit), and at the end
/// [`stop`](Self::stop).
struct SourceDriver<'a> {
    setup: &'a SourceTaskSetup,
    env: &'a TaskEnv,
    task: Box<dyn SourceTask>,
    errors: RecordErrors,
    converters: TaskConverters,
    transforms: TransformChain,
    dlq: DeadLetterQueue,
    sender: Sender,
    /// Offsets of records handled and not yet committed, by source partition.
    pending: BTreeMap<OffsetKey, JsonMap>,
    topics: BTreeMap<Arc<str>, Rc<str>>,
    /// Exactly once: the task's transactions and the offsets topic they write to.
    transactions: Option<(Transactions, Rc<str>)>,
    last_commit: Instant,
}

impl<'a> SourceDriver<'a> {
    /// Sets up everything that can fail (producer, transforms, dead letter queue, converters,
    /// transactions), then starts the task: once `start` returned, [`stop`](Self::stop) is
    /// called on every path.
    async fn start(
        mut task: Box<dyn SourceTask>,
        setup: &'a SourceTaskSetup,
    ) -> Result<Self, TaskError> {
        let env = &setup.env;
        let producer_config = match &setup.exactly_once {
            Some(eos) => eos.producer_config(&env.producer_config),
            None => env.producer_config.clone(),
        };
        let producer: ShardProducer = create_producer(&producer_config).map_err(|e| {
            TaskError::with_source(
                crate::kafka::error_class(&e),
                format!("{}: cannot create producer: {e}", env.id),
                e,
            )
        })?;
        let transforms = env.transforms()?;
        let dlq = env.open_dlq().await?;
        let converters = env.converters.build()?;
        let context = SourceTaskContext::new(
            env.id.connector.clone(),
            setup.offsets.offsets(&env.id.connector),
        );
        let sender = Sender::new(producer, 100_000);
        let transactions = match &setup.exactly_once {
            None => None,
            Some(eos) => Some(Self::init_transactions(setup, eos, &sender).await?),
        };
        task.start(&env.parsed_config()?, &context).await?;
        Ok(Self {
            setup,
            env,
            task,
            errors: env.record_errors(),
            converters,
            transforms,
            dlq,
            sender,
            pending: BTreeMap::new(),
            topics: BTreeMap::new(),
            transactions,
            last_commit: Instant::now(),
        })
    }

    /// Exactly once: the task's transactional producer, initialized, and the offsets topic its
    /// transactions write to.
    async fn init_transactions(
        setup: &SourceTaskSetup,
        eos: &ExactlyOnce,
        sender: &Sender,
    ) -> Result<(Transactions, Rc<str>), TaskError> {
        let id = &setup.env.id;
        let topic = setup.offsets.transactional_topic().ok_or_else(|| {
            TaskError::new(
                ErrorClass::Config,
                format!(
                    "{id}: exactly-once delivery needs the offsets in Kafka (offset.storage.topic)"
                ),
            )
        })?;
        let topic: Rc<str> = Rc::from(topic);
        let transactions = Transactions::init(sender.shared_producer(), eos.boundary)
            .await
            .map_err(|e| {
                TaskError::with_source(
                    crate::kafka::error_class(&e),
                    format!(
                        "{id}: cannot initialize transactions for transactional.id {}: {e}",
                        eos.transactional_id
                    ),
                    e,
                )
            })?;
        Ok((transactions, topic))
    }

    /// Until the source is exhausted, the task is stopped or a step fails.
    async fn drive(&mut self) -> Result<(), TaskError> {
        loop {
            let Some(batch) = self.poll().await? else {
                return Ok(());
            };
            self.send_batch(batch).await?;
            // A source that always has records never waits: once per batch the shard's other
            // tasks get their turn.
            glommio::executor().yield_now().await;
            self.maybe_commit().await?;
        }
    }

    /// Exactly once: commits the transaction when its boundary is reached (or when only
    /// offsets are pending: records a transform dropped need a transaction of their own).
    /// Otherwise commits the offsets every flush interval. Tells the task after each commit.
    async fn maybe_commit(&mut self) -> Result<(), TaskError> {
        if let Some((transactions, _)) = &self.transactions {
            let offsets_only = !transactions.is_open() && !self.pending.is_empty();
            let asked = transactions.boundary() == crate::task::exactly_once::Boundary::Connector
                && self.task.commit_requested();
            if transactions.due() || offsets_only || asked {
                self.commit_transaction().await?;
                self.task.commit().await?;
            }
            return Ok(());
        }
        if self.last_commit.elapsed() >= self.env.flush_interval {
            self.commit().await?;
            self.task.commit().await?;
            self.last_commit = Instant::now();
        }
        Ok(())
    }

    /// The one exit after `start`: commits what Kafka has (exactly once: commits the open
    /// transaction after a clean end, aborts it after an error), then stops the task.
    async fn stop(mut self, result: Result<(), TaskError>) -> Result<(), TaskError> {
        let committed = if self.transactions.is_some() {
            if result.is_ok() {
                self.commit_transaction().await
            } else {
                self.abort_transaction().await
            }
        } else {
            // Commit what Kafka has, also after an error: those records are in Kafka, and no
            // offset of a record that failed is pending.
            self.commit().await
        };
        let stopped = self.task.stop().await;
        result.and(committed).and(stopped)
    }

    /// The next batch; `None` when the source is exhausted or the task is stopped (a `poll` that
    /// waits is interrupted by the stop). A retriable error from `poll` calls it again with
    /// backoff within `errors.retry.timeout`, without restarting the task.
    async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
        let polled = Instant::now();
        let batch = self.poll_retrying().await?;
        if let Some(batch) = batch.as_ref().filter(|b| !b.is_empty()) {
            self.env.stats.observe_batch(batch.len(), polled.elapsed());
        }
        Ok(batch)
    }

    async fn poll_retrying(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
        let stop = &self.env.stop;
        let mut backoff = Backoff::new(&self.env.errors);
        loop {
            if stop.is_set() {
                return Ok(None);
            }
            match stop.or(self.task.poll()).await {
                None => return Ok(None),
                Some(Err(e)) if e.class() == ErrorClass::Retriable => {
                    let Some(delay) = backoff.next_delay() else {
                        return Err(e);
                    };
                    tracing::warn!(message = "poll failed; retrying.", task = %self.env.id, error = %e, retry_in = ?delay);
                    if !stop.sleep(delay).await {
                        return Ok(None);
                    }
                }
                Some(result) => return result,
            }
        }
    }

    /// Transforms, converts and sends each record of a batch; the source offset of each record
    /// handled becomes pending.
    async fn send_batch(&mut self, batch: Vec<SourceRecord>) -> Result<(), TaskError> {
        let mut bytes = 0;
        let mut sent = 0;
        // Sources reuse one partition map for many records: build its key once, not per record.
        let mut last_key: Option<(Arc<JsonMap>, OffsetKey)> = None;
        let result = async {
            for mut record in batch {
                // Taken out now, moved into `pending` only once the record is handled.
                let partition = Arc::clone(&record.source_partition);
                let offset = std::mem::take(&mut record.source_offset);
                if let Some(size) = self.handle(record).await? {
                    bytes += size;
                    sent += 1;
                }
                // An empty offset moves nothing: a source may carry its position on the last
                // record of a batch only.
                if !partition.is_empty() && !offset.is_empty() {
                    let same = last_key
                        .as_ref()
                        .is_some_and(|(p, _)| Arc::ptr_eq(p, &partition));
                    if !same {
                        let key = OffsetKey::new(&self.env.id.connector, &partition);
                        last_key = Some((Arc::clone(&partition), key));
                    }
                    if let Some((_, key)) = &last_key {
                        match self.pending.get_mut(key) {
                            Some(slot) => *slot = offset,
                            None => {
                                self.pending.insert(key.clone(), offset);
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        .await;
        self.env.stats.add(sent, bytes);
        result
    }

    /// Transforms, converts and sends one record. `Some(bytes)` when sent, `None` when dropped
    /// by a transform or tolerated; an error leaves the record unhandled.
    async fn handle(&mut self, record: SourceRecord) -> Result<Option<usize>, TaskError> {
        let env = self.env;
        // The DLQ wants the record as it was before a transform failed on it.
        let original =
            (self.dlq.is_enabled() && !self.transforms.is_empty()).then(|| record.clone());
        let record = match transform(&self.errors, &self.transforms, record).await? {
            Handled::Done(Some(r)) => r,
            Handled::Done(None) => return Ok(None),
            Handled::Tolerated(why) => {
                self.tolerate(original.as_ref(), &why).await?;
                return Ok(None);
            }
        };
        let (key, value) = match convert(&self.errors, &self.converters, &record).await? {
            Handled::Done(kv) => kv,
            Handled::Tolerated(why) => {
                self.tolerate(Some(&record), &why).await?;
                return Ok(None);
            }
        };
        if let Some((transactions, _)) = &mut self.transactions {
            transactions
                .begin()
                .map_err(|e| transaction_error(&env.id, "cannot begin a transaction", e))?;
        }
        let topic = self
            .topics
            .entry(Arc::clone(&record.topic))
            .or_insert_with(|| Rc::from(&*record.topic));
        let size = key.as_ref().map_or(0, Bytes::len) + value.as_ref().map_or(0, Bytes::len);
        // The record's timestamp and headers go with it, as Kafka Connect's WorkerSourceTask
        // sends them (they were dropped before: a mirrored record lost both).
        let sent = self
            .sender
            .send_timestamped(
                topic,
                key.as_deref(),
                value.as_deref(),
                record.kafka_partition,
                record.timestamp,
                &record.headers,
            )
            .await;
        match sent {
            Ok(()) => Ok(Some(size)),
            Err(e) => {
                let class = send_error_class(&e);
                let message = format!(
                    "{}: cannot produce a record to topic {}: {e}",
                    env.id, record.topic
                );
                // Kafka Connect (KIP-779) tolerates a record the producer refuses under
                // errors.tolerance=all; one it may take later (retriable) is never skipped.
                if env.errors.tolerate_all && class != ErrorClass::Retriable {
                    let why = Rejection {
                        stage: Stage::TaskPoll,
                        class_name: "producer".to_owned(),
                        error_type: CONNECT_EXCEPTION,
                        error: e.to_string(),
                        message,
                    };
                    self.tolerate(Some(&record), &why).await?;
                    return Ok(None);
                }
                Err(TaskError::with_source(class, message, e))
            }
        }
    }

    /// Logs a tolerated record and writes it to the dead letter queue, if there is one.
    async fn tolerate(
        &mut self,
        record: Option<&SourceRecord>,
        why: &Rejection,
    ) -> Result<(), TaskError> {
        let raw = record.filter(|_| self.dlq.is_enabled()).map(dlq_record);
        let logged: &dyn std::fmt::Debug = match record {
            Some(r) => r,
            None => &"(record not kept)",
        };
        self.errors
            .skip(&mut self.dlq, raw.as_ref(), logged, why)
            .await
    }

    /// Exactly once: writes the pending offsets into the open transaction (the same producer,
    /// the offsets topic) and commits it; only then do the offsets count as committed. Any
    /// failure aborts the transaction, records and offsets alike.
    async fn commit_transaction(&mut self) -> Result<(), TaskError> {
        let Some((transactions, topic)) = self.transactions.as_mut() else {
            return Ok(());
        };
        if !transactions.is_open() && self.pending.is_empty() {
            return Ok(());
        }
        let topic = Rc::clone(topic);
        let result = async {
            if let Some((transactions, _)) = self.transactions.as_mut() {
                transactions.begin().map_err(|e| {
                    transaction_error(&self.env.id, "cannot begin a transaction", e)
                })?;
            }
            for (key, offset) in &self.pending {
                let value = serde_json::Value::Object(offset.clone()).to_string();
                self.sender
                    .send(
                        &topic,
                        Some(key.topic_key().as_bytes()),
                        Some(value.as_bytes()),
                        None,
                    )
                    .await
                    .map_err(|e| {
                        TaskError::with_source(
                            send_error_class(&e),
                            format!("{}: cannot write offsets to {topic}: {e}", self.env.id),
                            e,
                        )
                    })?;
            }
            // Records the DLQ took count as handled only once Kafka has them.
            self.dlq.flush().await?;
            self.sender.flush().await.map_err(|e| {
                TaskError::with_source(send_error_class(&e), format!("{}: {e}", self.env.id), e)
            })?;
            let Some((transactions, _)) = self.transactions.as_mut() else {
                return Ok(());
            };
            let committed = transactions.commit().await;
            committed
                .map_err(|e| transaction_error(&self.env.id, "cannot commit the transaction", e))
        }
        .await;
        match result {
            Ok(()) => {
                let updates = std::mem::take(&mut self.pending)
                    .into_iter()
                    .map(|(k, v)| (k, Some(v)))
                    .collect();
                self.setup.offsets.committed_in_transaction(updates);
                Ok(())
            }
            Err(e) => {
                if let Err(abort) = self.abort_transaction().await {
                    tracing::warn!(message = "Aborting the transaction failed.", task = %self.env.id, error = %abort);
                }
                Err(e)
            }
        }
    }

    /// Exactly once: drops the open transaction; its records and offsets never become visible,
    /// and the offsets it would have committed are forgotten (a restart resumes before them).
    async fn abort_transaction(&mut self) -> Result<(), TaskError> {
        self.pending.clear();
        let Some((transactions, _)) = self.transactions.as_mut() else {
            return Ok(());
        };
        let aborted = transactions.abort().await;
        aborted.map_err(|e| transaction_error(&self.env.id, "cannot abort the transaction", e))
    }

    async fn commit(&mut self) -> Result<(), TaskError> {
        let env = self.env;
        // Skipped records' offsets commit too, so their DLQ copies must be in Kafka first.
        self.dlq.flush().await?;
        self.sender.flush().await.map_err(|e| {
            TaskError::with_source(send_error_class(&e), format!("{}: {e}", env.id), e)
        })?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let updates = std::mem::take(&mut self.pending)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        // The store writes a file and fsyncs it, or produces and flushes: on a blocking thread,
        // never on the shard.
        let store = Arc::clone(&self.setup.offsets);
        let committed = glommio::executor()
            .spawn_blocking(move || store.commit(updates))
            .await;
        committed.map_err(|e| {
            TaskError::with_source(
                ErrorClass::Retriable,
                format!("{}: cannot commit offsets: {e}", env.id),
                e,
            )
        })
    }
}

fn transaction_error(id: &TaskId, what: &str, e: rdkafka::error::KafkaError) -> TaskError {
    TaskError::with_source(
        crate::kafka::error_class(&e),
        format!("{id}: {what}: {e}"),
        e,
    )
}

/// A source record as the dead letter queue takes it. The converter could not write it, so key
/// and value go as JSON with the schema envelope, under the record's intended topic
/// (partition and offset -1).
fn dlq_record(record: &SourceRecord) -> RawRecord {
    let json = |payload: &Payload| match payload {
        Payload::Null => None,
        Payload::Raw(b) => Some(b.clone()),
        Payload::Data(d) => DLQ_JSON
            .from_connect_data(&record.topic, &[], d.schema.as_ref(), &d.value)
            .ok()
            .flatten(),
    };
    RawRecord {
        topic: Arc::clone(&record.topic),
        partition: record.kafka_partition.unwrap_or(-1),
        offset: -1,
        timestamp: record.timestamp,
        key: json(&record.key),
        value: json(&record.value),
        headers: record.headers.clone(),
    }
}

/// Renders records for the dead letter queue.
static DLQ_JSON: LazyLock<JsonConverter> = LazyLock::new(|| {
    JsonConverter::with_config(JsonConverterConfig::defaults(ConverterType::Value))
});

/// Runs the transforms over a record; `Done(None)` when a transform drops it.
async fn transform(
    errors: &RecordErrors,
    transforms: &TransformChain,
    record: SourceRecord,
) -> Result<Handled<Option<SourceRecord>>, TaskError> {
    if transforms.is_empty() {
        return Ok(Handled::Done(Some(record)));
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
    // A transform error is never retriable: the chain runs once.
    let mut input = Some(connect);
    let outcome = errors
        .execute(
            Stage::Transformation,
            "transforms",
            || format!("a record for topic {topic}"),
            || {
                let record = input.take().ok_or_else(|| super::operator::StageError {
                    class: ErrorClass::Fatal,
                    error_type: CONNECT_EXCEPTION,
                    error: "transform chain called twice for one record".into(),
                    pending: None,
                })?;
                transforms.apply(record).map_err(Into::into)
            },
        )
        .await?;
    Ok(match outcome {
        Handled::Done(None) => Handled::Done(None),
        Handled::Done(Some(r)) => Handled::Done(Some(SourceRecord {
            source_partition,
            source_offset,
            topic: r.topic,
            kafka_partition: r.kafka_partition,
            key: Payload::Data(r.key),
            value: Payload::Data(r.value),
            timestamp: r.timestamp,
            headers: headers::to_raw(r.headers),
        })),
        Handled::Tolerated(why) => Handled::Tolerated(why),
    })
}

/// Serializes key and value.
async fn convert(
    errors: &RecordErrors,
    converters: &TaskConverters,
    record: &SourceRecord,
) -> Result<Handled<(Option<Bytes>, Option<Bytes>)>, TaskError> {
    let key = match serialize(
        errors,
        &*converters.key,
        Stage::KeyConverter,
        record,
        &record.key,
    )
    .await?
    {
        Handled::Done(k) => k,
        Handled::Tolerated(why) => return Ok(Handled::Tolerated(why)),
    };
    let value = serialize(
        errors,
        &*converters.value,
        Stage::ValueConverter,
        record,
        &record.value,
    )
    .await?;
    Ok(match value {
        Handled::Done(v) => Handled::Done((key, v)),
        Handled::Tolerated(why) => Handled::Tolerated(why),
    })
}

async fn serialize(
    errors: &RecordErrors,
    converter: &dyn Converter,
    stage: Stage,
    record: &SourceRecord,
    payload: &Payload,
) -> Result<Handled<Option<Bytes>>, TaskError> {
    let data = match payload {
        Payload::Null => return Ok(Handled::Done(None)),
        Payload::Raw(bytes) => return Ok(Handled::Done(Some(bytes.clone()))),
        Payload::Data(data) => data,
    };
    let headers: &[Header] = &record.headers;
    errors
        .execute(
            stage,
            converter.class_name(),
            || format!("a record for topic {}", record.topic),
            || {
                converter
                    .from_connect_data(&record.topic, headers, data.schema.as_ref(), &data.value)
                    .map_err(Into::into)
            },
        )
        .await
}
