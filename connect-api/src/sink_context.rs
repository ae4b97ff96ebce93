//! What a sink task can ask of the runtime, as Kafka Connect's `SinkTaskContext`: rewind or skip
//! (`offset`), `pause` / `resume` partitions, see its `assignment`, and `request_commit`.
//!
//! A task and its runtime live on one shard, so the context is a cheap `Rc` handle; requests are
//! applied by the runtime after the current call (`open`, `put`, `pre_commit`) returns. The
//! runtime holds the other end, a [`SinkTaskControl`]: it records the assignment and takes the
//! requests.

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
struct ContextState {
    assignment: BTreeSet<TopicPartition>,
    paused: BTreeSet<TopicPartition>,
    /// Seeks asked for and not applied yet.
    seeks: BTreeMap<TopicPartition, i64>,
    /// Pause / resume asked for and not applied yet: `true` pauses.
    pause_changes: Vec<(TopicPartition, bool)>,
    commit_requested: bool,
}

/// What a sink task can ask of the runtime, handed to
/// [`SinkTask::initialize`](crate::SinkTask::initialize).
#[derive(Debug, Clone, Default)]
pub struct SinkTaskContext {
    state: Rc<RefCell<ContextState>>,
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

/// The runtime's end of a [`SinkTaskContext`]: it tells the context what the task owns and takes
/// the task's requests to apply them.
#[derive(Debug, Default)]
pub struct SinkTaskControl {
    state: Rc<RefCell<ContextState>>,
}

impl SinkTaskControl {
    pub fn new() -> Self {
        Self::default()
    }

    /// The task's end, for [`SinkTask::initialize`](crate::SinkTask::initialize).
    pub fn context(&self) -> SinkTaskContext {
        SinkTaskContext {
            state: Rc::clone(&self.state),
        }
    }

    /// Partitions newly assigned; returns those of them the task had paused before (pauses
    /// survive rebalances), which the runtime pauses again.
    pub fn assign(&self, partitions: &[TopicPartition]) -> Vec<TopicPartition> {
        let mut state = self.state.borrow_mut();
        state.assignment.extend(partitions.iter().cloned());
        partitions
            .iter()
            .filter(|tp| state.paused.contains(*tp))
            .cloned()
            .collect()
    }

    /// Partitions taken away; returns those of them the task owned.
    pub fn revoke(&self, partitions: &[TopicPartition]) -> Vec<TopicPartition> {
        let mut state = self.state.borrow_mut();
        partitions
            .iter()
            .filter_map(|tp| state.assignment.take(tp))
            .collect()
    }

    pub fn owns(&self, partition: &TopicPartition) -> bool {
        self.state.borrow().assignment.contains(partition)
    }

    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.state.borrow().assignment.iter().cloned().collect()
    }

    pub fn any_paused(&self) -> bool {
        !self.state.borrow().paused.is_empty()
    }

    pub fn is_paused(&self, partition: &TopicPartition) -> bool {
        self.state.borrow().paused.contains(partition)
    }

    /// Records that the runtime paused (`true`) or resumed `partition`.
    pub fn set_paused(&self, partition: TopicPartition, paused: bool) {
        let mut state = self.state.borrow_mut();
        if paused {
            state.paused.insert(partition);
        } else {
            state.paused.remove(&partition);
        }
    }

    /// The seeks asked for since the last call.
    pub fn take_seeks(&self) -> BTreeMap<TopicPartition, i64> {
        std::mem::take(&mut self.state.borrow_mut().seeks)
    }

    /// The pause (`true`) and resume requests since the last call, in order.
    pub fn take_pause_changes(&self) -> Vec<(TopicPartition, bool)> {
        std::mem::take(&mut self.state.borrow_mut().pause_changes)
    }

    /// Whether the task asked for a commit since the last call.
    pub fn take_commit_request(&self) -> bool {
        std::mem::take(&mut self.state.borrow_mut().commit_requested)
    }
}
