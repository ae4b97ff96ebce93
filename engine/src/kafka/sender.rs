//! Producing with a bounded number of unacknowledged records.
//!
//! Delivery guarantee: [`Sender::flush`] returns only after the broker acknowledged every record
//! handed to [`Sender::send`], so a caller that commits source offsets after `flush` never commits
//! an offset for a record Kafka does not have (at-least-once).

use std::collections::VecDeque;
use std::rc::Rc;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, OwnedHeaders, ToBytes};
use rdkafka::producer::{DeliveryFuture, FutureRecord};

use super::ShardProducer;
use crate::record::Header;

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
}

/// Counters of what a [`Sender`] delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Records the broker acknowledged.
    pub acked: u64,
}

/// Wraps a [`ShardProducer`], keeping at most `max_in_flight` deliveries outstanding. When
/// librdkafka's queue is full it waits for the oldest delivery instead of sleeping, so the
/// producer runs at the broker's pace (rdkafka's own `send` sleeps 100 ms per retry).
pub struct Sender {
    producer: ShardProducer,
    in_flight: VecDeque<(DeliveryFuture, Rc<str>)>,
    max_in_flight: usize,
    stats: SenderStats,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("in_flight", &self.in_flight.len())
            .field("max_in_flight", &self.max_in_flight)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Sender {
    /// A sender with room for `max_in_flight` unacknowledged records.
    pub fn new(producer: ShardProducer, max_in_flight: usize) -> Self {
        Self {
            producer,
            in_flight: VecDeque::with_capacity(max_in_flight.min(1 << 16)),
            max_in_flight: max_in_flight.max(1),
            stats: SenderStats::default(),
        }
    }

    /// The producer this sender writes through.
    pub fn producer(&self) -> &ShardProducer {
        &self.producer
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
        let mut record = FutureRecord::<K, P>::to(topic);
        record.key = key;
        record.payload = payload;
        record.partition = partition;
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
            match self.producer.send_result(record) {
                Ok(delivery) => {
                    self.in_flight.push_back((delivery, Rc::clone(topic)));
                    if self.in_flight.len() >= self.max_in_flight {
                        self.ack_oldest().await?;
                    }
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    if !self.ack_oldest().await? {
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
        while self.ack_oldest().await? {}
        Ok(self.stats)
    }

    /// Records handed to `send` and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Counters so far.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    async fn ack_oldest(&mut self) -> Result<bool, SendError> {
        let Some((delivery, topic)) = self.in_flight.pop_front() else {
            return Ok(false);
        };
        match delivery.await {
            Ok(Ok(_)) => {
                self.stats.acked += 1;
                Ok(true)
            }
            Ok(Err((source, _))) => Err(SendError::Delivery {
                topic: topic.to_string(),
                source,
            }),
            Err(_) => Err(SendError::Canceled {
                topic: topic.to_string(),
            }),
        }
    }
}
