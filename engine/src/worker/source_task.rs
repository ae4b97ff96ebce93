//! Runs a source task on its shard: poll → produce → commit offsets.
//!
//! Delivery guarantee (at-least-once): offsets are committed to the offset store only after
//! [`Sender::flush`] returned, i.e. after Kafka acknowledged every record produced so far. A crash
//! between two commits replays at most one `offset.flush.interval.ms` worth of records.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::connector::{ErrorClass, SourceRecord, SourceTask, SourceTaskContext, TaskError};
use crate::kafka::{Sender, ShardProducer};
use crate::offsets::{JsonMap, OffsetKey, OffsetStore};

use super::{StopSignal, TaskId, TaskStats};

/// Everything a source task run needs, built on the control plane.
pub struct SourceRun {
    pub id: TaskId,
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
    let producer: ShardProducer = run.producer_config.create().map_err(|e| {
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
        let batch = match task.poll().await {
            Ok(Some(batch)) => batch,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        if let Err(e) = send_batch(&run, &mut sender, &mut topics, &mut pending, batch).await {
            break Err(e);
        }
        if last_commit.elapsed() >= run.flush_interval {
            if let Err(e) = commit(&run, &mut sender, &mut pending).await {
                break Err(e);
            }
            task.commit().await?;
            last_commit = Instant::now();
        }
    };
    // Commit what Kafka has, also after an error: those records are in Kafka.
    let committed = commit(&run, &mut sender, &mut pending).await;
    let stopped = task.stop().await;
    result.and(committed).and(stopped)
}

async fn send_batch(
    run: &SourceRun,
    sender: &mut Sender,
    topics: &mut BTreeMap<Arc<str>, Rc<str>>,
    pending: &mut BTreeMap<OffsetKey, JsonMap>,
    batch: Vec<SourceRecord>,
) -> Result<(), TaskError> {
    let mut bytes = 0;
    let count = batch.len();
    for record in batch {
        let topic = topics
            .entry(Arc::clone(&record.topic))
            .or_insert_with(|| Rc::from(&*record.topic));
        let key = record.key.bytes().map(|b| &b[..]);
        let value = record.value.bytes().map(|b| &b[..]);
        bytes += key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
        sender
            .send(topic, key, value, record.kafka_partition)
            .await
            .map_err(|e| {
                TaskError::with_source(ErrorClass::Retriable, format!("{}: {e}", run.id), e)
            })?;
        if !record.source_partition.is_empty() {
            pending.insert(
                OffsetKey::new(&run.id.connector, &record.source_partition),
                record.source_offset,
            );
        }
    }
    run.stats.add(count, bytes);
    Ok(())
}

async fn commit(
    run: &SourceRun,
    sender: &mut Sender,
    pending: &mut BTreeMap<OffsetKey, JsonMap>,
) -> Result<(), TaskError> {
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
