//! The dead letter queue of a task: records that failed, with `__connect.errors.*` context
//! headers when enabled. Flushed before offsets are committed, so a record whose offset is
//! committed as handled is in the DLQ.
//!
//! A sink writes the record as it was consumed. A source has no bytes for a record its converter
//! could not write, so it writes key and value as JSON with the schema envelope, under the
//! record's intended topic in `__connect.errors.topic` (partition and offset -1).

use std::rc::Rc;
use std::sync::Arc;

use super::errors::{ErrorPolicy, Failure, dlq_headers};
use super::{TaskId, TaskStats};
use crate::connector::{ErrorClass, TaskError};
use crate::kafka::{self, Sender, ShardProducer, TopicSpec};
use crate::record::RawRecord;

/// A task's dead letter queue; does nothing when none is configured.
pub struct DeadLetterQueue {
    target: Option<(Rc<str>, Sender)>,
    id: TaskId,
    context_headers: bool,
    stats: Arc<TaskStats>,
}

impl std::fmt::Debug for DeadLetterQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetterQueue")
            .field("topic", &self.target.as_ref().map(|(t, _)| t))
            .finish()
    }
}

fn error(
    id: &TaskId,
    class: ErrorClass,
    what: String,
    e: impl std::error::Error + Send + Sync + 'static,
) -> TaskError {
    TaskError::with_source(class, format!("{id}: {what}"), e)
}

impl DeadLetterQueue {
    /// Creates the DLQ topic if needed and a producer for it (on the task's shard).
    pub async fn open(
        id: &TaskId,
        policy: &ErrorPolicy,
        bootstrap: &str,
        producer_config: &rdkafka::ClientConfig,
        stats: &Arc<TaskStats>,
    ) -> Result<Self, TaskError> {
        let mut dlq = Self {
            target: None,
            id: id.clone(),
            context_headers: policy.dlq_context_headers,
            stats: Arc::clone(stats),
        };
        let Some(topic) = policy.dlq_topic.as_deref() else {
            return Ok(dlq);
        };
        let spec = TopicSpec {
            name: topic,
            partitions: 1,
            replication_factor: policy.dlq_replication_factor,
            configs: Vec::new(),
        };
        kafka::ensure_topic(bootstrap, &spec).await.map_err(|e| {
            error(
                id,
                ErrorClass::Config,
                format!("cannot create dead letter queue topic {topic}: {e}"),
                e,
            )
        })?;
        let producer: ShardProducer = kafka::create_producer(producer_config).map_err(|e| {
            error(
                id,
                ErrorClass::Config,
                format!("cannot create DLQ producer: {e}"),
                e,
            )
        })?;
        dlq.target = Some((Rc::from(topic), Sender::new(producer, 10_000)));
        Ok(dlq)
    }

    /// Whether a DLQ topic is configured.
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Queues a failed record.
    pub async fn send(&mut self, raw: &RawRecord, failure: &Failure<'_>) -> Result<(), TaskError> {
        let Some((topic, sender)) = self.target.as_mut() else {
            return Ok(());
        };
        let headers = dlq_headers(raw, failure, self.context_headers);
        sender
            .send_with_headers(
                topic,
                raw.key.as_deref(),
                raw.value.as_deref(),
                None,
                &headers,
            )
            .await
            .map_err(|e| error(&self.id, ErrorClass::Retriable, e.to_string(), e))?;
        self.stats.add_dlq(1);
        Ok(())
    }

    /// Waits until the broker has every record queued so far.
    pub async fn flush(&mut self) -> Result<(), TaskError> {
        if let Some((_, sender)) = self.target.as_mut() {
            sender
                .flush()
                .await
                .map_err(|e| error(&self.id, ErrorClass::Retriable, e.to_string(), e))?;
        }
        Ok(())
    }
}
