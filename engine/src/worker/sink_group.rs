//! The sink consumer's group callbacks: rebalance events for the task runtime, a last commit of
//! flushed offsets before partitions move, and consumer lag from librdkafka's statistics.
//!
//! librdkafka calls these from inside `recv()`, on the task's shard; the runtime picks the events
//! up after the batch is collected.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use std::time::Duration;

use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, RebalanceProtocol,
};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::TaskStats;
use crate::connector::TopicPartition;
use crate::kafka::ShardConsumer;

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
    /// Offsets the task has made durable, per partition (committed or about to be).
    flushed: BTreeMap<TopicPartition, i64>,
}

/// Shared between the consumer (callbacks) and the task runtime.
#[derive(Debug, Clone)]
pub struct SinkConsumerContext {
    task: Arc<str>,
    stats: Arc<TaskStats>,
    shared: Arc<Mutex<Shared>>,
    /// Where a partition without a committed offset starts (`auto.offset.reset`).
    reset: Option<Offset>,
}

/// Longest wait for the group's committed offsets while partitions are assigned.
const COMMITTED_TIMEOUT: Duration = Duration::from_secs(10);

impl SinkConsumerContext {
    /// `auto_offset_reset` is the consumer's `auto.offset.reset`.
    pub fn new(task: String, stats: Arc<TaskStats>, auto_offset_reset: Option<&str>) -> Self {
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
        }
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

    /// Records offsets the task has made durable, so a revocation can commit them.
    pub fn flushed(&self, offsets: &BTreeMap<TopicPartition, i64>) {
        self.lock()
            .flushed
            .extend(offsets.iter().map(|(tp, o)| (tp.clone(), *o)));
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

impl ClientContext for SinkConsumerContext {
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
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.start_positions(consumer, list);
                self.pre_rebalance(consumer, &Rebalance::Assign(list));
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
                self.pre_rebalance(consumer, &Rebalance::Revoke(list));
                let revoked = if cooperative {
                    consumer.incremental_unassign(list)
                } else {
                    consumer.unassign()
                };
                if let Err(e) = revoked {
                    tracing::error!(message = "Revoking partitions failed.", task = %self.task, error = %e);
                }
                self.post_rebalance(consumer, &Rebalance::Revoke(list));
            }
            other => {
                let error = rdkafka::error::KafkaError::Rebalance(other.into());
                self.pre_rebalance(consumer, &Rebalance::Error(error));
                // As librdkafka requires after a rebalance error: drop the assignment.
                if let Err(e) = consumer.unassign() {
                    tracing::error!(message = "Clearing the assignment failed.", task = %self.task, error = %e);
                }
            }
        }
    }

    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(list) => {
                let revoked = partitions(list);
                // The group still counts this consumer as the owner here: commit what is durable
                // so the next owner does not read it again.
                let mut shared = self.lock();
                let mut commit = TopicPartitionList::new();
                for tp in &revoked {
                    if let Some(offset) = shared.flushed.remove(tp) {
                        let _ = commit.add_partition_offset(
                            &tp.topic,
                            tp.partition,
                            Offset::Offset(offset),
                        );
                    }
                }
                if commit.count() > 0
                    && let Err(e) = consumer.commit(&commit, CommitMode::Sync)
                {
                    tracing::warn!(message = "Commit of flushed offsets on revocation failed; their records will be delivered again.", task = %self.task, error = %e);
                }
                shared.events.push(GroupEvent::Revoked(revoked));
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => {
                tracing::warn!(message = "Rebalance error.", task = %self.task, error = %e);
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            self.lock()
                .events
                .push(GroupEvent::Assigned(partitions(list)));
        }
    }
}
