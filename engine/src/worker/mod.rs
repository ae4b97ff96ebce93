//! The worker: runs connectors' tasks on shards.
//!
//! - [`config`]: `worker.properties` keys and the common connector keys.
//! - [`source_task`] / [`sink_task`]: the loops that drive one task on its shard.
//! - [`standalone`]: `wharf standalone worker.properties connector.properties ...`.

pub mod config;
pub mod connector_config;
pub mod sink_task;
pub mod source_task;
pub mod standalone;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A task's name: connector and task number, shown as `<connector>-<n>` like Kafka Connect.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    pub connector: String,
    pub task: usize,
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// Tells a task loop to finish. Checked between batches, so it is a plain flag.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Per-task counters, written by the task's shard, read by reporting code.
#[derive(Debug, Default)]
pub struct TaskStats {
    records: AtomicU64,
    bytes: AtomicU64,
}

impl TaskStats {
    pub fn add(&self, records: usize, bytes: usize) {
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}
