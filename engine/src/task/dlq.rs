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
use crate::kafka::{self, Sender, ShardProducer, TopicSpec};
use crate::record::RawRecord;
use connect_api::{ErrorClass, TaskError};

/// librdkafka's default `message.max.bytes`: the largest record the producer sends.
const DEFAULT_MAX_MESSAGE_BYTES: usize = 1_000_000;
/// Room left under that limit for the record's framing and its context headers' names.
const RECORD_OVERHEAD: usize = 8 * 1024;
/// The header a cut record carries: the original sizes of its key and value.
pub const TRUNCATED_HEADER: &str = "__wharf.errors.truncated";

/// A task's dead letter queue; does nothing when none is configured.
pub struct DeadLetterQueue {
    target: Option<(Rc<str>, Sender)>,
    id: TaskId,
    context_headers: bool,
    stats: Arc<TaskStats>,
    /// The largest record the DLQ producer may send.
    max_bytes: usize,
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
        producer_config: &rdkafka::ClientConfig,
        admin_config: &rdkafka::ClientConfig,
        stats: &Arc<TaskStats>,
    ) -> Result<Self, TaskError> {
        let mut dlq = Self {
            target: None,
            id: id.clone(),
            context_headers: policy.dlq_context_headers,
            stats: Arc::clone(stats),
            max_bytes: producer_config
                .get("message.max.bytes")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES),
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
        kafka::ensure_topic_with(admin_config, &spec)
            .await
            .map_err(|e| {
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

    /// Queues a failed record. A record too large for the DLQ producer still leaves its trace:
    /// its value (then its key) is cut to fit and a [`TRUNCATED_HEADER`] header gives the
    /// original sizes (`key=<n>,value=<n>`), beside the context headers.
    pub async fn send(&mut self, raw: &RawRecord, failure: &Failure<'_>) -> Result<(), TaskError> {
        let Some((topic, sender)) = self.target.as_mut() else {
            return Ok(());
        };
        let mut headers = dlq_headers(raw, failure, self.context_headers);
        let (key, value) = fit(raw, &mut headers, self.max_bytes);
        sender
            .send_with_headers(topic, key.as_deref(), value.as_deref(), None, &headers)
            .await
            .map_err(|e| {
                let class = crate::kafka::send_error_class(&e);
                error(
                    &self.id,
                    class,
                    format!("cannot write to the dead letter queue: {e}"),
                    e,
                )
            })?;
        self.stats.add_dlq(1);
        Ok(())
    }

    /// Waits until the broker has every record queued so far.
    pub async fn flush(&mut self) -> Result<(), TaskError> {
        if let Some((_, sender)) = self.target.as_mut() {
            sender.flush().await.map_err(|e| {
                let class = crate::kafka::send_error_class(&e);
                error(
                    &self.id,
                    class,
                    format!("cannot write to the dead letter queue: {e}"),
                    e,
                )
            })?;
        }
        Ok(())
    }
}

/// Key and value of `raw`, cut so that the record with `headers` stays under `max_bytes`.
fn fit(
    raw: &RawRecord,
    headers: &mut Vec<crate::record::Header>,
    max_bytes: usize,
) -> (Option<bytes::Bytes>, Option<bytes::Bytes>) {
    let len = |b: &Option<bytes::Bytes>| b.as_ref().map_or(0, bytes::Bytes::len);
    let header_bytes: usize = headers
        .iter()
        .map(|h| h.key.len() + h.value.as_ref().map_or(0, bytes::Bytes::len))
        .sum();
    let room = max_bytes.saturating_sub(RECORD_OVERHEAD + header_bytes + 64);
    let (key_len, value_len) = (len(&raw.key), len(&raw.value));
    if key_len + value_len <= room {
        return (raw.key.clone(), raw.value.clone());
    }
    let value = raw
        .value
        .as_ref()
        .map(|v| v.slice(..v.len().min(room.saturating_sub(key_len.min(room)))));
    let key_room = room.saturating_sub(len(&value));
    let key = raw.key.as_ref().map(|k| k.slice(..k.len().min(key_room)));
    headers.push(crate::record::Header {
        key: Arc::from(TRUNCATED_HEADER),
        value: Some(bytes::Bytes::from(format!(
            "key={key_len},value={value_len}"
        ))),
    });
    (key, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(key: usize, value: usize) -> RawRecord {
        RawRecord {
            topic: Arc::from("t"),
            partition: 0,
            offset: 5,
            timestamp: None,
            key: Some(bytes::Bytes::from(vec![b'k'; key])),
            value: Some(bytes::Bytes::from(vec![b'v'; value])),
            headers: Vec::new(),
        }
    }

    #[test]
    fn a_record_too_large_for_the_dlq_is_cut_and_says_so() {
        let mut headers = Vec::new();
        let (key, value) = fit(&raw(10, 10_000_000), &mut headers, 1_000_000);
        let total =
            key.as_ref().map_or(0, bytes::Bytes::len) + value.as_ref().map_or(0, bytes::Bytes::len);
        assert!(total < 1_000_000 - RECORD_OVERHEAD, "{total}");
        assert_eq!(
            key.unwrap().len(),
            10,
            "the key is kept whole when the value can give room"
        );
        let truncated = headers
            .iter()
            .find(|h| &*h.key == TRUNCATED_HEADER)
            .unwrap();
        assert_eq!(
            truncated.value.as_deref(),
            Some(&b"key=10,value=10000000"[..])
        );
    }

    #[test]
    fn a_record_that_fits_is_untouched() {
        let mut headers = Vec::new();
        let record = raw(10, 1000);
        let (key, value) = fit(&record, &mut headers, 1_000_000);
        assert_eq!((key, value), (record.key.clone(), record.value.clone()));
        assert!(headers.is_empty());
    }
}
