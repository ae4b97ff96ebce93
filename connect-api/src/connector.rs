//! The connector and task API, shaped like Kafka Connect's.
//!
//! A connector validates its config and splits its job into at most `tasks.max` task configs. A
//! source task polls batches of [`SourceRecord`]s and is told which offsets became durable; a
//! sink task receives batches of [`SinkRecord`]s in `put`, and `flush` makes everything it was
//! given durable — the runtime commits consumer offsets only after `flush` returned.
//!
//! Tasks live on one shard for their whole life, so their futures are not `Send`.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::config::{Config, ConfigDef, Properties};
use crate::error::TaskError;
use crate::format::WireFormat;
use crate::offset::{JsonMap, OffsetKey};
use crate::record::{SinkRecord, SourceRecord};
use crate::sink_context::{SinkTaskContext, TopicPartition};

/// Whether a plugin is a source or a sink. Closed on purpose (Kafka Connect has these two), so
/// the runtime matches it exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorType {
    Source,
    Sink,
}

impl ConnectorType {
    /// The name Kafka Connect's REST API uses.
    pub fn rest_name(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Sink => "sink",
        }
    }
}

/// A connector: validates config and plans tasks. Runs on the control plane.
pub trait Connector: Send + Sync {
    /// The connector's own config keys (the worker adds the common ones).
    fn config_def(&self) -> ConfigDef;

    /// Splits the job into at most `max_tasks` task configs. `config` is the connector's config as
    /// the user gave it (it passed [`config_def`](Self::config_def)); task configs are stored and
    /// shown as returned, and each is parsed with the same spec (defaults filled in) before its
    /// task gets it.
    fn task_configs(&self, config: &Properties, max_tasks: usize) -> Vec<Properties>;

    /// Kafka Connect's `SourceConnector.exactlyOnceSupport`: whether, with `config`, a source
    /// connector's tasks can be run exactly once (a restarted task, given the last committed
    /// offsets, produces again exactly the records that were not committed). `None`: it does not
    /// say, and `exactly.once.support=required` is refused.
    fn exactly_once_support(&self, _config: &Properties) -> Option<bool> {
        None
    }

    /// Kafka Connect's `SourceConnector.canDefineTransactionBoundaries`: whether, with
    /// `config`, its tasks say where transactions end (`transaction.boundary=connector`, through
    /// [`SourceTask::commit_requested`]).
    fn can_define_transaction_boundaries(&self, _config: &Properties) -> bool {
        false
    }
}

/// A source connector a worker can register with one call (`Plugins::with_source::<C>()`): the
/// connector names itself and the task it plans.
pub trait SourceConnector: Connector + Default + 'static {
    /// The task each of its task configs runs.
    type Task: SourceTask + Default + 'static;
    /// The name users give in `connector.class` (Kafka Connect's class name, for a port of a
    /// Java connector).
    const CLASS: &'static str;
    /// Other names accepted in `connector.class`.
    const ALIASES: &'static [&'static str] = &[];
    /// Shown by `GET /connector-plugins`.
    const VERSION: &'static str;
}

/// A sink connector a worker can register with one call (`Plugins::with_sink::<C>()`).
pub trait SinkConnector: Connector + Default + 'static {
    /// The task each of its task configs runs.
    type Task: SinkTask + Default + 'static;
    /// The name users give in `connector.class`.
    const CLASS: &'static str;
    /// Other names accepted in `connector.class`.
    const ALIASES: &'static [&'static str] = &[];
    /// Shown by `GET /connector-plugins`.
    const VERSION: &'static str;
}

/// What a source task can ask of the runtime.
#[derive(Debug, Default)]
pub struct SourceTaskContext {
    /// The last committed offsets of this connector, by source partition.
    offsets: BTreeMap<OffsetKey, JsonMap>,
    connector: String,
}

impl SourceTaskContext {
    /// The context of a task of `connector`, whose committed offsets are `offsets`.
    pub fn new(connector: impl Into<String>, offsets: BTreeMap<OffsetKey, JsonMap>) -> Self {
        Self {
            offsets,
            connector: connector.into(),
        }
    }

    /// The connector's name.
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// The committed offset of `partition`, if any.
    pub fn offset(&self, partition: &JsonMap) -> Option<&JsonMap> {
        self.offsets
            .get(&OffsetKey::new(&self.connector, partition))
    }

    /// Every committed offset of the connector, by source partition: for a task that finds its
    /// partitions after `start` (the mirror source).
    pub fn offsets(&self) -> impl Iterator<Item = (JsonMap, &JsonMap)> + '_ {
        self.offsets
            .iter()
            .filter(|(key, _)| key.connector == self.connector)
            .map(|(key, offset)| (key.partition_map(), offset))
    }
}

/// A source task: brings records from a system into Kafka.
#[async_trait(?Send)]
pub trait SourceTask {
    /// Called once on the task's shard before the first poll, with the task's config parsed by
    /// the connector's [`Connector::config_def`] (defaults filled in).
    async fn start(
        &mut self,
        config: &Config,
        context: &SourceTaskContext,
    ) -> Result<(), TaskError>;

    /// The next batch; an empty batch means "nothing now" and the runtime polls again.
    /// `Ok(None)` means the source is exhausted for good.
    async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError>;

    /// Offsets up to these records are durable (informational).
    async fn commit(&mut self) -> Result<(), TaskError> {
        Ok(())
    }

    /// With `transaction.boundary=connector`: whether the records polled so far end a
    /// transaction (Kafka Connect's `TransactionContext.commitTransaction()`). Asked after each
    /// batch is sent; the open transaction, records and offsets, is committed when it says yes.
    fn commit_requested(&mut self) -> bool {
        false
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        Ok(())
    }
}

/// A sink task: delivers records from Kafka to a system.
///
/// The runtime calls, in order: `initialize`, `start`, then `open` with the partitions the
/// consumer group assigned, `put` with batches, `pre_commit` (by default `flush`) before each
/// offset commit, `close` with partitions taken away by a rebalance, and `stop`.
#[async_trait(?Send)]
pub trait SinkTask {
    /// Hands the task its context (seek, pause/resume, assignment, commit requests). Called once
    /// before `start`.
    fn initialize(&mut self, _context: SinkTaskContext) {}

    /// Called once on the task's shard, with the task's config parsed by the connector's
    /// [`Connector::config_def`] (defaults filled in).
    async fn start(&mut self, config: &Config) -> Result<(), TaskError>;

    /// Whether the task takes values in `format` undecoded (the pass-through lane): when it says
    /// yes and the connector has no transforms, records whose value bytes pass the format's
    /// checks arrive with [`SinkRecord::value_format`] set and the bytes in `value`. Asked once,
    /// after `start`.
    fn raw_values(&self, _format: &WireFormat) -> bool {
        false
    }

    /// Partitions newly assigned to this task; records from them follow. A task that keeps its
    /// own offsets seeks here with [`SinkTaskContext::offset`].
    async fn open(&mut self, _partitions: &[TopicPartition]) -> Result<(), TaskError> {
        Ok(())
    }

    /// Takes a batch. May buffer (cloning what it keeps: records are cheap to clone); must not
    /// lose records it accepted. The runtime keeps the batch, so that on a
    /// [`ErrorClass::Retriable`] error it calls `put` again with the same records (within
    /// `errors.retry.timeout`), and on [`ErrorClass::BadData`] under `errors.tolerance=all` it puts
    /// them one by one and dead-letters those refused.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError>;

    /// Makes everything `put` so far durable. The runtime commits consumer offsets only after
    /// this returns `Ok` (through the default `pre_commit`).
    async fn flush(&mut self) -> Result<(), TaskError>;

    /// Before an offset commit: `offsets` holds, per partition, the offset after the last record
    /// `put`. Returns what is safe to commit; the default flushes and returns `offsets`. A task
    /// that writes asynchronously returns less; one that stores offsets with its data returns an
    /// empty map.
    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, TaskError> {
        self.flush().await?;
        Ok(offsets.clone())
    }

    /// Partitions this task no longer owns (rebalance or stop). Records of them that were `put`
    /// but not committed are delivered again to their next owner.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<(), TaskError> {
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        Ok(())
    }
}
