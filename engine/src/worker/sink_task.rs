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

use crate::connector::{ErrorClass, SinkRecord, SinkTask, TaskError};
use crate::kafka::ShardConsumer;
use crate::record::BatchBuilder;

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
pub struct SinkRun {
    pub id: TaskId,
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
                for r in &raws {
                    uncommitted.insert((Arc::clone(&r.topic), r.partition), r.offset + 1);
                }
                task.put(raws.into_iter().map(SinkRecord::from).collect())
                    .await?;
                run.stats.add(count, bytes);
            }
            if last_commit.elapsed() >= run.flush_interval && !uncommitted.is_empty() {
                task.flush().await?;
                commit(&run, &consumer, &mut uncommitted, CommitMode::Async)?;
                last_commit = Instant::now();
            }
        }
        Ok(())
    }
    .await;
    // On the way out, make what was put durable and commit it, also after a put error: records
    // before the failing batch were accepted.
    let flushed = task.flush().await;
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
