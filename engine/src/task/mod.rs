//! The task runtime: what drives one task on its shard.
//!
//! - [`source_task`] / [`sink_task`]: the drivers of one task on its shard, each a struct that
//!   owns the run's state and takes one small named step after the other.
//! - [`sink_group`]: the sink's consumer behind a seam (`SinkConsumer`), its
//!   Kafka implementation, and the rebalance protocol.
//! - [`operator`], [`errors`], [`retry`], [`dlq`]: what happens to a record that fails.
//! - [`convert`], [`passthrough`], [`headers`]: bytes to Connect data and back.
//! - [`exactly_once`]: transactional source tasks; [`supervisor`]: restarts after failures.
//!
//! # What a task is given
//!
//! The herder builds, once per task, what the task needs from the worker and hands it to the
//! shard, where every attempt (first run and restarts) starts from a clone of it:
//!
//! - [`TaskEnv`], the task's environment: what every task gets, source or sink — its id,
//!   converters, error policy, the task's config and its connector's spec, the producer settings
//!   (a source's records, any task's dead letter queue), the flush interval, the stop signal and
//!   its stats.
//! - [`SinkTaskSetup`](sink_task::SinkTaskSetup) / [`SourceTaskSetup`](source_task::SourceTaskSetup):
//!   the environment plus what only that kind of task needs (a sink's consumer settings and
//!   subscription; a source's offset store and exactly-once settings). "Setup" because that is
//!   what they are: the finished setup of one task, made on the control plane before it runs.

pub mod convert;
pub mod dlq;
pub mod errors;
pub mod exactly_once;
pub mod headers;
pub mod operator;
pub mod passthrough;
pub mod retry;
pub mod sink_group;
pub mod sink_task;
#[cfg(test)]
mod sink_tests;
pub mod source_task;
pub mod supervisor;

use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use convert::RecordConverters;
use errors::ErrorPolicy;

/// What every task gets from the worker, source or sink (see the module docs).
#[derive(Clone)]
pub struct TaskEnv {
    pub id: TaskId,
    pub converters: RecordConverters,
    pub errors: ErrorPolicy,
    /// A source's producer; any task's dead letter queue.
    pub producer_config: rdkafka::ClientConfig,
    /// The admin client that creates the DLQ's topic (`admin.*`, `admin.override.*`).
    pub admin_config: rdkafka::ClientConfig,
    /// The task's config as the connector planned it; parsed with `spec` before `start`.
    pub config: connect_api::config::Properties,
    /// The connector's config spec ([`Connector::config_def`](connect_api::Connector::config_def)).
    pub spec: Arc<connect_api::ConfigDef>,
    /// `offset.flush.interval.ms`: how often offsets are committed.
    pub flush_interval: Duration,
    pub stop: StopSignal,
    pub stats: Arc<TaskStats>,
    /// What must not be shown in the task's error logs and DLQ headers.
    pub secrets: Arc<crate::keys::secrets::Secrets>,
}

impl fmt::Debug for TaskEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskEnv").field("id", &self.id).finish()
    }
}

impl TaskEnv {
    /// The task's config parsed with its connector's spec (defaults filled in), as `start`
    /// receives it.
    pub(crate) fn parsed_config(&self) -> Result<connect_api::Config, connect_api::TaskError> {
        parsed_config(&self.id, &self.spec, &self.config)
    }

    /// The task's record-error operator.
    pub(crate) fn record_errors(&self) -> operator::RecordErrors {
        operator::RecordErrors {
            id: self.id.clone(),
            policy: self.errors.clone(),
            secrets: Arc::clone(&self.secrets),
            stop: self.stop.clone(),
        }
    }

    /// The task's dead letter queue (on its shard; does nothing when none is configured).
    pub(crate) async fn open_dlq(&self) -> Result<dlq::DeadLetterQueue, connect_api::TaskError> {
        dlq::DeadLetterQueue::open(
            &self.id,
            &self.errors,
            &self.producer_config,
            &self.admin_config,
            &self.stats,
        )
        .await
    }

    /// The task's transform chain, built on its shard: a chain caches derived schemas and is
    /// used by this task only.
    pub(crate) fn transforms(&self) -> Result<transforms::TransformChain, connect_api::TaskError> {
        transforms::TransformChain::from_config(&self.config).map_err(|e| {
            connect_api::TaskError::with_source(
                connect_api::ErrorClass::Config,
                format!("{}: {e}", self.id),
                e,
            )
        })
    }
}

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

/// Tells a task loop to finish. Set from any thread (the control plane); a task awaits it with
/// [`wait`](Self::wait) beside whatever else it waits for, so a stop is heard at once, also in
/// the middle of a `poll`, a retry backoff or a restart backoff.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<StopInner>);

#[derive(Debug, Default)]
struct StopInner {
    set: AtomicBool,
    notify: tokio::sync::Notify,
}

impl StopSignal {
    pub fn set(&self) {
        self.0.set.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(Ordering::Acquire)
    }

    /// Completes once the signal is set (at once if it already is). `tokio::sync::Notify` needs
    /// no tokio runtime, so this works on a glommio shard too.
    pub async fn wait(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the flag is read: a `set` in between still wakes this waiter.
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `work` unless the signal is set first; `None` when stopped (the work is dropped).
    pub async fn or<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        use futures::future::{Either, select};
        let work = std::pin::pin!(work);
        let stopped = std::pin::pin!(self.wait());
        match select(work, stopped).await {
            Either::Left((value, _)) => Some(value),
            Either::Right(((), _)) => None,
        }
    }

    /// Sleeps for `duration` unless stopped first; false if stopped.
    pub async fn sleep(&self, duration: std::time::Duration) -> bool {
        self.or(glommio::timer::sleep(duration)).await.is_some() && !self.is_set()
    }
}

#[cfg(test)]
mod stop_tests {
    use super::StopSignal;
    use std::time::{Duration, Instant};

    #[test]
    fn a_stop_set_from_another_thread_ends_a_long_sleep_at_once() {
        let stop = StopSignal::default();
        let remote = stop.clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            remote.set();
        });
        let started = Instant::now();
        let slept = glommio::LocalExecutorBuilder::default()
            .spawn(move || async move { stop.sleep(Duration::from_secs(30)).await })
            .expect("executor")
            .join()
            .expect("join");
        setter.join().expect("setter");
        assert!(!slept, "the sleep must report the stop");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn wait_returns_at_once_when_already_set() {
        let stop = StopSignal::default();
        stop.set();
        futures::executor::block_on(stop.wait());
        assert!(futures::executor::block_on(stop.or(std::future::pending::<()>())).is_none());
    }
}

/// Per-task counters and state, written by the task's shard, read by reporting code.
#[derive(Debug)]
pub struct TaskStats {
    records: AtomicU64,
    bytes: AtomicU64,
    dlq: AtomicU64,
    restarts: AtomicU64,
    /// `put` (sink) or `poll` (source) calls: count and total time.
    batches: AtomicU64,
    batch_records: AtomicU64,
    batch_nanos: AtomicU64,
    /// Calls by duration: the upper bounds are [`LATENCY_BUCKETS`].
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    /// Sum of the consumer lag of the task's partitions; -1 until known.
    consumer_lag: AtomicI64,
    /// The error that ended the task's last run, while it has not run cleanly since.
    failure: Mutex<Option<String>>,
}

/// Upper bounds, in seconds, of the `put` / `poll` latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 10] =
    [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

impl Default for TaskStats {
    fn default() -> Self {
        Self {
            records: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            dlq: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            batch_records: AtomicU64::new(0),
            batch_nanos: AtomicU64::new(0),
            latency_buckets: Default::default(),
            consumer_lag: AtomicI64::new(-1),
            failure: Mutex::new(None),
        }
    }
}

impl TaskStats {
    /// One `put` / `poll` that took `elapsed` (its records are counted by [`add`](Self::add)).
    pub fn observe_batch(&self, records: usize, elapsed: std::time::Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batch_records
            .fetch_add(records as u64, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.batch_nanos.fetch_add(nanos, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Number of `put` / `poll` calls that returned records.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Records handed over in those calls.
    pub fn batch_records(&self) -> u64 {
        self.batch_records.load(Ordering::Relaxed)
    }

    /// Total time spent in those calls, in seconds.
    pub fn batch_seconds(&self) -> f64 {
        self.batch_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`] (Prometheus `le` semantics).
    pub fn latency_cumulative(&self) -> [u64; LATENCY_BUCKETS.len()] {
        let mut out = [0; LATENCY_BUCKETS.len()];
        let mut sum = 0;
        for (i, b) in self.latency_buckets.iter().enumerate() {
            sum += b.load(Ordering::Relaxed);
            out[i] = sum;
        }
        out
    }

    pub fn set_consumer_lag(&self, lag: i64) {
        self.consumer_lag.store(lag, Ordering::Relaxed);
    }

    /// Records in the task's partitions not consumed yet; `None` before the first statistics
    /// report (or for source tasks).
    pub fn consumer_lag(&self) -> Option<i64> {
        Some(self.consumer_lag.load(Ordering::Relaxed)).filter(|l| *l >= 0)
    }

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

/// A task's config parsed with its connector's spec (defaults filled in), as tasks receive it.
pub(crate) fn parsed_config(
    id: &TaskId,
    spec: &connect_api::ConfigDef,
    props: &connect_api::Properties,
) -> Result<connect_api::Config, connect_api::TaskError> {
    spec.parse(&id.to_string(), props).map_err(|e| {
        connect_api::TaskError::new(connect_api::ErrorClass::Config, format!("{id}: {e}"))
    })
}
