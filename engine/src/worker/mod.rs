//! The worker: runs connectors' tasks on shards.
//!
//! - [`config`]: `worker.properties` keys and the common connector keys.
//! - [`source_task`] / [`sink_task`]: the loops that drive one task on its shard.
//! - [`standalone`]: `wharf standalone worker.properties connector.properties ...`.

pub mod config;
pub mod connector_config;
pub mod convert;
pub mod dlq;
pub mod errors;
pub mod headers;
pub mod retry;
pub mod sink_task;
pub mod source_task;
pub mod standalone;
pub mod supervisor;

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
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

/// Per-task counters and state, written by the task's shard, read by reporting code.
#[derive(Debug, Default)]
pub struct TaskStats {
    records: AtomicU64,
    bytes: AtomicU64,
    dlq: AtomicU64,
    restarts: AtomicU64,
    /// The error that ended the task's last run, while it has not run cleanly since.
    failure: Mutex<Option<String>>,
}

impl TaskStats {
    pub fn add(&self, records: usize, bytes: usize) {
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn add_dlq(&self, records: u64) {
        self.dlq.fetch_add(records, Ordering::Relaxed);
    }

    /// Records sent to the dead letter queue.
    pub fn dlq(&self) -> u64 {
        self.dlq.load(Ordering::Relaxed)
    }

    /// How often the task was restarted after failing.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub(crate) fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// The trace of the task's last failure, if it failed and has not recovered.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_failure(&self, failure: Option<String>) {
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = failure;
    }

    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}
