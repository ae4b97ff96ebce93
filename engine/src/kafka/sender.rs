//! Producing with a bounded number of unacknowledged records.
//!
//! Delivery guarantee: [`Sender::flush`] returns only after the broker acknowledged every record
//! handed to [`Sender::send`], so a caller that commits source offsets after `flush` never commits
//! an offset for a record Kafka does not have (at-least-once).

use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Poll;

use futures::task::AtomicWaker;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, Message, OwnedHeaders, ToBytes};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext};

use crate::record::Header;

/// A producer owned by one shard. Delivery reports are counted by its [`AckContext`] on
/// librdkafka's polling thread: no per-record future or channel.
pub type ShardProducer = ThreadedProducer<AckContext>;

/// Creates a producer for a [`Sender`].
pub fn create_producer(config: &ClientConfig) -> KafkaResult<ShardProducer> {
    config.create_with_context(AckContext::default())
}

/// Counts delivery reports and keeps the first failure.
#[derive(Debug, Default)]
pub struct AckContext {
    /// Records whose delivery finished, successfully or not.
    done: AtomicU64,
    acked: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<(String, KafkaError)>>,
    /// The cluster refused the producer's login (SASL or TLS): no record can be delivered,
    /// and waiting out the delivery timeout would only hide why.
    login: super::login::LoginWatch,
    /// The sender waiting for deliveries, if any.
    waiter: AtomicWaker,
}

impl ClientContext for AckContext {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::error!(message = "Kafka client error.", %error, reason);
        if self.login.observe(&error, reason) {
            self.failed.store(true, Ordering::Release);
            self.waiter.wake();
        }
    }

    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, line: &str) {
        super::login::forward_log(level, facility, line);
        if self.login.observe_log(facility, line) {
            tracing::error!(message = "The cluster refused the producer's connection.", reason = ?self.login.failure().map(|(_, r)| r));
            self.failed.store(true, Ordering::Release);
            self.waiter.wake();
        }
    }
}

impl ProducerContext for AckContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _opaque: ()) {
        match result {
            Ok(_) => {
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, message)) => {
                let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
                if failure.is_none() {
                    *failure = Some((message.topic().to_owned(), error.clone()));
                }
                self.failed.store(true, Ordering::Release);
            }
        }
        self.done.fetch_add(1, Ordering::Release);
        self.waiter.wake();
    }
}

/// Why a record could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("Kafka rejected a record for topic {topic}: {source}")]
    Rejected {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("delivery to topic {topic} failed: {source}")]
    Delivery {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("the producer was closed before delivery to topic {topic} was confirmed")]
    Canceled { topic: String },
    #[error("the cluster refused the producer's login: {reason}")]
    Login {
        reason: String,
        #[source]
        source: KafkaError,
    },
}

/// Counters of what a [`Sender`] delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Records the broker acknowledged.
    pub acked: u64,
}

/// Wraps a [`ShardProducer`], keeping at most `max_in_flight` deliveries outstanding. When
/// librdkafka's queue is full it waits for deliveries instead of sleeping, so the producer runs
/// at the broker's pace.
pub struct Sender {
    /// Shared only with the blocking threads that run its transactional calls.
    producer: std::sync::Arc<ShardProducer>,
    /// Records handed to librdkafka.
    sent: u64,
    max_in_flight: u64,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("in_flight", &self.in_flight())
            .field("max_in_flight", &self.max_in_flight)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Sender {
    /// A sender with room for `max_in_flight` unacknowledged records.
    pub fn new(producer: ShardProducer, max_in_flight: usize) -> Self {
        Self {
            producer: std::sync::Arc::new(producer),
            sent: 0,
            max_in_flight: max_in_flight.max(1) as u64,
        }
    }

    /// The producer this sender writes through.
    pub fn producer(&self) -> &ShardProducer {
        &self.producer
    }

    /// The producer, for calls that must run on a blocking thread (transactions).
    pub fn shared_producer(&self) -> std::sync::Arc<ShardProducer> {
        std::sync::Arc::clone(&self.producer)
    }

    fn acks(&self) -> &AckContext {
        self.producer.context()
    }

    /// Queues one record; waits only when the in-flight window or librdkafka's queue is full.
    /// `topic` is shared so a source emitting many records to one topic does not copy its name.
    pub async fn send<K, P>(
        &mut self,
        topic: &Rc<str>,
        key: Option<&K>,
        payload: Option<&P>,
        partition: Option<i32>,
    ) -> Result<(), SendError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        self.send_with_headers(topic, key, payload, partition, &[])
            .await
    }

    /// [`send`](Self::send) with record headers.
    pub async fn send_with_headers<K, P>(
        &mut self,
        topic: &Rc<str>,
        key: Option<&K>,
        payload: Option<&P>,
        partition: Option<i32>,
        headers: &[Header],
    ) -> Result<(), SendError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        self.send_timestamped(topic, key, payload, partition, None, headers)
            .await
    }

    /// [`send_with_headers`](Self::send_with_headers) with the record's timestamp (`None`: the
    /// producer's clock, or the broker's under `LogAppendTime`).
    pub async fn send_timestamped<K, P>(
        &mut self,
        topic: &Rc<str>,
        key: Option<&K>,
        payload: Option<&P>,
        partition: Option<i32>,
        timestamp: Option<i64>,
        headers: &[Header],
    ) -> Result<(), SendError>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        self.check_failed()?;
        let mut record = BaseRecord::<K, P>::to(topic);
        record.key = key;
        record.payload = payload;
        record.partition = partition;
        record.timestamp = timestamp;
        if !headers.is_empty() {
            let mut owned = OwnedHeaders::new_with_capacity(headers.len());
            for h in headers {
                owned = owned.insert(KafkaHeader {
                    key: &h.key,
                    value: h.value.as_deref(),
                });
            }
            record.headers = Some(owned);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => {
                    self.sent += 1;
                    if self.in_flight() >= self.max_in_flight as usize {
                        self.wait_done(self.sent - self.max_in_flight + 1).await?;
                    }
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    if self.in_flight() > 0 {
                        let done = self.acks().done.load(Ordering::Acquire);
                        self.wait_done(done + 1).await?;
                    } else {
                        // Nothing of ours is in flight: another producer user filled the queue.
                        glommio::timer::sleep(std::time::Duration::from_millis(1)).await;
                    }
                }
                Err((source, _)) => {
                    return Err(SendError::Rejected {
                        topic: topic.to_string(),
                        source,
                    });
                }
            }
        }
    }

    /// Waits until every record sent so far is acknowledged.
    pub async fn flush(&mut self) -> Result<SenderStats, SendError> {
        self.wait_done(self.sent).await?;
        Ok(self.stats())
    }

    /// Records handed to `send` and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        let done = self.acks().done.load(Ordering::Acquire);
        usize::try_from(self.sent.saturating_sub(done)).unwrap_or(usize::MAX)
    }

    /// Counters so far.
    pub fn stats(&self) -> SenderStats {
        SenderStats {
            acked: self.acks().acked.load(Ordering::Relaxed),
        }
    }

    fn check_failed(&self) -> Result<(), SendError> {
        if !self.acks().failed.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some((source, reason)) = self.acks().login.failure() {
            return Err(SendError::Login { reason, source });
        }
        let failure = self
            .acks()
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Err(match failure {
            Some((topic, source)) => SendError::Delivery { topic, source },
            None => SendError::Canceled {
                topic: String::new(),
            },
        })
    }

    /// Until `target` deliveries finished; fails as soon as one delivery failed.
    async fn wait_done(&self, target: u64) -> Result<(), SendError> {
        let acks = self.acks();
        poll_fn(|cx| {
            if acks.done.load(Ordering::Acquire) >= target || acks.failed.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            acks.waiter.register(cx.waker());
            if acks.done.load(Ordering::Acquire) >= target || acks.failed.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        self.check_failed()
    }
}
