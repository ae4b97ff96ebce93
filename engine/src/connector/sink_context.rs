//! What a sink task can ask of the runtime, as Kafka Connect's `SinkTaskContext`: rewind or skip
//! (`offset`), `pause` / `resume` partitions, see its `assignment`, and `request_commit`.
//!
//! A task and its runtime live on one shard, so the context is a cheap `Rc` handle; requests are
//! applied by the runtime after the current call (`open`, `put`, `pre_commit`) returns.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// A topic partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

#[derive(Debug, Default)]
pub(crate) struct ContextState {
    pub(crate) assignment: BTreeSet<TopicPartition>,
    pub(crate) paused: BTreeSet<TopicPartition>,
    /// Seeks asked for and not applied yet.
    pub(crate) seeks: BTreeMap<TopicPartition, i64>,
    /// Pause / resume asked for and not applied yet: `true` pauses.
    pub(crate) pause_changes: Vec<(TopicPartition, bool)>,
    pub(crate) commit_requested: bool,
}

/// The runtime's side of a sink task, handed to [`SinkTask::initialize`](super::SinkTask).
#[derive(Debug, Clone, Default)]
pub struct SinkTaskContext {
    pub(crate) state: Rc<RefCell<ContextState>>,
}

impl SinkTaskContext {
    /// Continue `partition` at `offset`: the next record put is the one at `offset`. Records
    /// of that partition already fetched are dropped, and the committed offset follows.
    pub fn offset(&self, partition: TopicPartition, offset: i64) {
        self.state.borrow_mut().seeks.insert(partition, offset);
    }

    /// [`offset`](Self::offset) for several partitions.
    pub fn offsets(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) {
        self.state.borrow_mut().seeks.extend(offsets);
    }

    /// Stop fetching `partitions` until [`resume`](Self::resume); the task keeps its
    /// assignment, so no rebalance happens. Pauses survive rebalances for partitions that stay.
    pub fn pause(&self, partitions: &[TopicPartition]) {
        let mut state = self.state.borrow_mut();
        for tp in partitions {
            state.pause_changes.push((tp.clone(), true));
        }
    }

    pub fn resume(&self, partitions: &[TopicPartition]) {
        let mut state = self.state.borrow_mut();
        for tp in partitions {
            state.pause_changes.push((tp.clone(), false));
        }
    }

    /// The partitions this task owns now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.state.borrow().assignment.iter().cloned().collect()
    }

    /// The partitions paused by the task.
    pub fn paused(&self) -> Vec<TopicPartition> {
        self.state.borrow().paused.iter().cloned().collect()
    }

    /// Ask for `pre_commit` and an offset commit as soon as the current call returns, rather than
    /// at the next `offset.flush.interval.ms`.
    pub fn request_commit(&self) {
        self.state.borrow_mut().commit_requested = true;
    }
}
