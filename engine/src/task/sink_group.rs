//! The sink consumer's group callbacks: assignment changes for the task runtime, start
//! positions for new partitions, and consumer lag from librdkafka's statistics.
//!
//! librdkafka calls these from inside `recv()`, on the task's shard; the runtime picks the events
//! up after the batch is collected.
//!
//! A revocation is not completed in the callback: the group waits (bounded by
//! `max.poll.interval.ms`) while the runtime pre-commits and commits what the task was given for
//! the revoked partitions, calls the task's `close`, and only then hands the partitions back with
//! [`SinkConsumerContext::complete_revoke`]. So a rebalance delivers nothing twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::TaskStats;
use crate::kafka::ShardConsumer;
use connect_api::TopicPartition;

/// The consumer a sink task reads with.
pub type SinkConsumer = ShardConsumer<SinkConsumerContext>;

/// A change of the task's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

#[derive(Debug, Default)]
struct Shared {
    events: Vec<GroupEvent>,
    /// A revocation waiting for [`SinkConsumerContext::complete_revoke`]: the partitions, and
    /// whether the group uses the cooperative protocol.
    revoking: Option<(TopicPartitionList, bool)>,
}

/// Shared between the consumer (callbacks) and the task runtime.
#[derive(Debug, Clone)]
pub struct SinkConsumerContext {
    /// Whether the group uses the cooperative rebalance protocol (from the assignment strategy).
    cooperative: bool,
    task: Arc<str>,
    stats: Arc<TaskStats>,
    shared: Arc<Mutex<Shared>>,
    /// Where a partition without a committed offset starts (`auto.offset.reset`).
    reset: Option<Offset>,
    /// Set once the runtime is done: revocations while the consumer closes complete at once.
    closing: Arc<AtomicBool>,
}

/// Marks the consumer as closing when dropped; declare it after the consumer, so that it drops
/// first.
#[derive(Debug)]
pub struct ClosingGuard(Arc<AtomicBool>);

impl Drop for ClosingGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Longest wait for the group's committed offsets while partitions are assigned. The rebalance
/// callback runs on the task's shard, so the wait is short: when the coordinator is slower, the
/// consumer looks the offsets up itself (asynchronously; it only costs librdkafka's 100 ms reset
/// delay for partitions without a commit).
const COMMITTED_TIMEOUT: Duration = Duration::from_millis(500);

impl SinkConsumerContext {
    /// For a consumer made from `config` (its `auto.offset.reset` and
    /// `partition.assignment.strategy` matter here).
    pub fn new(task: String, stats: Arc<TaskStats>, config: &rdkafka::ClientConfig) -> Self {
        let auto_offset_reset = config.get("auto.offset.reset");
        // librdkafka refuses to mix eager and cooperative assignors, so the strategy names the
        // protocol. Asking the consumer instead (`rebalance_protocol`) waits on its main thread,
        // which never answers while a rebalance callback runs inside the consumer's close.
        let cooperative = config
            .get("partition.assignment.strategy")
            .is_some_and(|s| s.contains("cooperative"));
        let reset = match auto_offset_reset.map(str::trim) {
            Some("earliest" | "smallest" | "beginning") => Some(Offset::Beginning),
            Some("latest" | "largest" | "end") | None => Some(Offset::End),
            Some(_) => None,
        };
        Self {
            task: Arc::from(task),
            stats,
            shared: Arc::default(),
            reset,
            closing: Arc::default(),
            cooperative,
        }
    }

    /// See [`ClosingGuard`].
    pub fn closing_guard(&self) -> ClosingGuard {
        ClosingGuard(Arc::clone(&self.closing))
    }

    /// Gives every newly assigned partition its start position: the group's committed offset,
    /// else the reset position. librdkafka finds the same positions by itself, but for a
    /// partition without a committed offset it waits a fixed 100 ms before asking for the reset
    /// position — a tenth of a second on every fresh sink's first record.
    fn start_positions(&self, consumer: &BaseConsumer<Self>, list: &mut TopicPartitionList) {
        let Some(reset) = self.reset else {
            return;
        };
        let committed = match consumer.committed_offsets(list.clone(), COMMITTED_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(message = "Committed offsets unavailable; the consumer looks them up itself.", task = %self.task, error = %e);
                return;
            }
        };
        for element in committed.elements() {
            let offset = match element.offset() {
                Offset::Offset(o) if o >= 0 => Offset::Offset(o),
                _ => reset,
            };
            if let Some(mut target) = list.find_partition(element.topic(), element.partition()) {
                let _ = target.set_offset(offset);
            }
            tracing::debug!(message = "Start position.", task = %self.task, topic = element.topic(), partition = element.partition(), committed = ?element.offset(), start = ?offset);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Assignment changes since the last call, in order.
    pub fn take_events(&self) -> Vec<GroupEvent> {
        std::mem::take(&mut self.lock().events)
    }

    /// Hands revoked partitions back to the group once the task is done with them.
    pub fn complete_revoke(&self, consumer: &SinkConsumer) -> KafkaResult<()> {
        let Some((list, cooperative)) = self.lock().revoking.take() else {
            return Ok(());
        };
        if cooperative {
            consumer.incremental_unassign(&list)
        } else {
            consumer.unassign()
        }
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

impl ClientContext for SinkConsumerContext {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        // A subscribed topic that does not exist yet is reported here too; the task logs it.
        if error.rdkafka_error_code()
            == Some(rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition)
        {
            tracing::debug!(message = "Consumer: topic not available yet.", task = %self.task, reason);
        } else {
            tracing::error!(message = "Consumer error.", task = %self.task, error = %error, reason);
        }
    }

    fn stats(&self, statistics: Statistics) {
        // Lag is -1 for partitions this consumer does not fetch.
        let lag: i64 = statistics
            .topics
            .values()
            .flat_map(|t| t.partitions.values())
            .filter(|p| p.partition >= 0 && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .sum();
        self.stats.set_consumer_lag(lag);
    }
}

impl ConsumerContext for SinkConsumerContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        list: &mut TopicPartitionList,
    ) {
        let cooperative = self.cooperative;
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                // While the consumer closes, nobody will read these partitions: no lookups.
                if !self.closing.load(Ordering::Acquire) {
                    self.start_positions(consumer, list);
                }
                let assigned = if cooperative {
                    consumer.incremental_assign(list)
                } else {
                    consumer.assign(list)
                };
                if let Err(e) = assigned {
                    tracing::error!(message = "Assigning partitions failed.", task = %self.task, error = %e);
                }
                self.post_rebalance(consumer, &Rebalance::Assign(list));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if self.closing.load(Ordering::Acquire) {
                    // The runtime has committed and closed the task already.
                    let revoked = if cooperative {
                        consumer.incremental_unassign(list)
                    } else {
                        consumer.unassign()
                    };
                    if let Err(e) = revoked {
                        tracing::warn!(message = "Revoking partitions on close failed.", task = %self.task, error = %e);
                    }
                    return;
                }
                // Completed by the runtime (`complete_revoke`) after it committed.
                let mut shared = self.lock();
                shared.events.push(GroupEvent::Revoked(partitions(list)));
                shared.revoking = Some((list.clone(), cooperative));
            }
            other => {
                let error = rdkafka::error::KafkaError::Rebalance(other.into());
                self.post_rebalance(consumer, &Rebalance::Error(error));
                // As librdkafka requires after a rebalance error: drop the assignment.
                if let Err(e) = consumer.unassign() {
                    tracing::error!(message = "Clearing the assignment failed.", task = %self.task, error = %e);
                }
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => self
                .lock()
                .events
                .push(GroupEvent::Assigned(partitions(list))),
            Rebalance::Error(e) => {
                tracing::warn!(message = "Rebalance error.", task = %self.task, error = %e);
            }
            Rebalance::Revoke(_) => {}
        }
    }
}
