//! Exactly-once source delivery (KIP-618), in standalone mode too (Kafka Connect offers it only in
//! distributed mode).
//!
//! Delivery guarantee: with `exactly.once.source.support=enabled` on the worker, every source task
//! writes through one transactional producer (`transactional.id` = `<group.id>-<connector>-<task>`,
//! as Kafka Connect forms it; standalone workers without `group.id` use `connect-standalone`). A
//! transaction holds the records of one or more polls **and** the offset records they move the
//! task to, written by the same producer into the offsets topic (`offset.storage.topic`, Kafka
//! Connect's record format, Java's murmur2 partitioning). Either both become visible or neither:
//! a worker killed mid-transaction leaves an open transaction that the next `init_transactions`
//! on the same id aborts (that is the fencing of the old task), the restarted task resumes at the
//! last committed offsets and produces the aborted records again — a `read_committed` reader sees
//! each record once. Offsets are read back with `read_committed` (librdkafka's default). In
//! distributed mode the leader also fences every id of the previous task generation before new
//! tasks start (`modes::distributed::fencing`), since a generation with fewer tasks never
//! registers some old ids again.
//!
//! `transaction.boundary`: `poll` (a transaction per non-empty poll, Kafka Connect's default),
//! `interval` (`transaction.boundary.interval.ms`, default `offset.flush.interval.ms`) or
//! `connector` (the task says when, [`SourceTask::commit_requested`](connect_api::SourceTask);
//! for connectors that say they can: the file source with `wharf.transaction.lines`).
//!
//! Not covered: records a task's converter or transforms reject under `errors.tolerance=all` go
//! to the dead letter queue through its own, non-transactional producer (at least once there).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer;

use crate::kafka::ShardProducer;
use connect_api::config::{FieldError, Properties};

pub const WORKER_SUPPORT: &str = "exactly.once.source.support";
pub const SUPPORT: &str = "exactly.once.support";
pub const BOUNDARY: &str = "transaction.boundary";
pub const BOUNDARY_INTERVAL_MS: &str = "transaction.boundary.interval.ms";

/// How long a transactional call (init, commit, abort) may take.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether the worker runs its source tasks exactly once (`enabled`; `preparing` only prepares a
/// distributed cluster and changes nothing for tasks, as in Kafka Connect).
pub fn worker_enabled(worker: &Properties) -> bool {
    worker
        .get(WORKER_SUPPORT)
        .is_some_and(|v| v.trim() == "enabled")
}

/// The worker key's problem, if any: its value, and the offsets topic exactly-once needs.
pub fn check_worker(worker: &Properties, has_offsets_topic: bool) -> Option<FieldError> {
    let value = worker.get(WORKER_SUPPORT).map_or("disabled", |v| v.trim());
    let error = |message: String| FieldError {
        key: WORKER_SUPPORT.to_owned(),
        message,
    };
    match value {
        "disabled" | "preparing" => None,
        "enabled" if has_offsets_topic => None,
        "enabled" => Some(error(
            "exactly.once.source.support=enabled needs offset.storage.topic: offsets are \
             committed in the same Kafka transaction as the records"
                .to_owned(),
        )),
        other => Some(error(format!(
            "Invalid value {other} for configuration {WORKER_SUPPORT}: String must be one of: \
             disabled, enabled, preparing"
        ))),
    }
}

/// What a source connector's exactly-once keys ask for, checked against the worker and what the
/// connector says it can do, with Kafka Connect's messages. (Their values' form is checked with
/// the other framework keys.)
pub fn check_connector(
    props: &Properties,
    worker: &Properties,
    connector: &dyn connect_api::Connector,
) -> Vec<FieldError> {
    let value = |key: &str| props.get(key).map(|v| v.trim().to_ascii_lowercase());
    let mut errors = Vec::new();
    if value(SUPPORT).as_deref() == Some("required") {
        let message = if !worker_enabled(worker) {
            Some("This worker does not have exactly-once source support enabled.")
        } else {
            match connector.exactly_once_support(props) {
                Some(true) => None,
                Some(false) => Some(
                    "The connector does not support exactly-once semantics with the provided \
                     configuration.",
                ),
                None => Some(
                    "The connector does not implement the API required for preflight validation \
                     of exactly-once source support. Please consult the documentation for the \
                     connector to determine whether it supports exactly-once guarantees, and then \
                     consider reconfiguring the connector to use the value \"requested\" for this \
                     property (which will disable this preflight check and allow the connector to \
                     be created).",
                ),
            }
        };
        if let Some(message) = message {
            errors.push(FieldError {
                key: SUPPORT.to_owned(),
                message: message.to_owned(),
            });
        }
    }
    if value(BOUNDARY).as_deref() == Some("connector")
        && !connector.can_define_transaction_boundaries(props)
    {
        errors.push(FieldError {
            key: BOUNDARY.to_owned(),
            message: "The connector does not support connector-defined transaction boundaries \
                      with the given configuration."
                .to_owned(),
        });
    }
    errors
}

/// `Worker.taskTransactionalId`: `<group.id>-<connector>-<task>`; standalone workers, which
/// have no `group.id`, use `connect-standalone`.
pub fn transactional_id(worker: &Properties, connector: &str, task: usize) -> String {
    let group = worker
        .get("group.id")
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .unwrap_or("connect-standalone");
    format!("{group}-{connector}-{task}")
}

/// Fences the producers of `ids` (Kafka Connect's `Admin.fenceProducers`): each id is
/// registered with its transaction coordinator again (InitProducerId), which bumps the id's
/// epoch and aborts any transaction left open under it, so that a zombie still holding one can
/// neither commit nor write. One thread per id; blocking. The error names the id.
pub fn fence_producers(base: &ClientConfig, ids: &[String]) -> Result<(), String> {
    std::thread::scope(|scope| {
        let fences: Vec<_> = ids
            .iter()
            .map(|id| {
                scope.spawn(move || {
                    let producer: rdkafka::producer::BaseProducer = base
                        .clone()
                        .set("transactional.id", id)
                        .set("enable.idempotence", "true")
                        .create()
                        .map_err(|e| format!("transactional id {id}: {e}"))?;
                    producer
                        .init_transactions(TRANSACTION_TIMEOUT)
                        .map_err(|e| format!("fencing transactional id {id}: {e}"))
                })
            })
            .collect();
        fences
            .into_iter()
            .map(|f| {
                f.join()
                    .unwrap_or_else(|_| Err("a fencing thread panicked".to_owned()))
            })
            .collect::<Result<Vec<()>, String>>()
            .map(|_| ())
    })
}

/// When a task commits its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// After every non-empty poll.
    Poll,
    /// Once this long has passed since the transaction began.
    Interval(Duration),
    /// When the task asks.
    Connector,
}

/// A source task's exactly-once settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactlyOnce {
    pub transactional_id: String,
    pub boundary: Boundary,
}

impl ExactlyOnce {
    /// The settings of task `task` of `connector` (a validated config), or `None` when the worker
    /// does not run sources exactly once.
    pub fn for_task(
        worker: &Properties,
        props: &Properties,
        connector: &str,
        task: usize,
        flush_interval: Duration,
    ) -> Option<Self> {
        if !worker_enabled(worker) {
            return None;
        }
        let boundary = match props.get(BOUNDARY).map(|b| b.trim().to_ascii_lowercase()) {
            Some(b) if b == "interval" => Boundary::Interval(
                props
                    .get(BOUNDARY_INTERVAL_MS)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(flush_interval, Duration::from_millis),
            ),
            Some(b) if b == "connector" => Boundary::Connector,
            _ => Boundary::Poll,
        };
        Some(Self {
            transactional_id: transactional_id(worker, connector, task),
            boundary,
        })
    }

    /// The task producer's settings: transactional, idempotent, `acks=all`, and Java's murmur2
    /// partitioner so offset records land where Kafka Connect's readers look for them.
    pub fn producer_config(&self, base: &ClientConfig) -> ClientConfig {
        let mut config = base.clone();
        config
            .set("transactional.id", &self.transactional_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random");
        config
    }
}

/// A task's transactions on its producer. The transactional calls wait for the broker, so they
/// run on a blocking thread, never on the shard.
pub struct Transactions {
    producer: Arc<ShardProducer>,
    boundary: Boundary,
    /// When the open transaction began.
    open_since: Option<Instant>,
}

impl std::fmt::Debug for Transactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transactions")
            .field("boundary", &self.boundary)
            .field("open", &self.open_since.is_some())
            .finish()
    }
}

async fn blocking<T: Send + 'static>(
    producer: &Arc<ShardProducer>,
    call: impl FnOnce(&ShardProducer) -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, KafkaError> {
    let producer = Arc::clone(producer);
    glommio::executor()
        .spawn_blocking(move || call(&producer))
        .await
}

impl Transactions {
    /// Registers the transactional id with its coordinator, which fences any earlier producer
    /// with the same id and aborts the transaction it left open.
    pub async fn init(
        producer: Arc<ShardProducer>,
        boundary: Boundary,
    ) -> Result<Self, KafkaError> {
        blocking(&producer, |p| p.init_transactions(TRANSACTION_TIMEOUT)).await?;
        Ok(Self {
            producer,
            boundary,
            open_since: None,
        })
    }

    /// Opens a transaction unless one is open (a local step in librdkafka).
    pub fn begin(&mut self) -> Result<(), KafkaError> {
        if self.open_since.is_none() {
            self.producer.begin_transaction()?;
            self.open_since = Some(Instant::now());
        }
        Ok(())
    }

    pub fn is_open(&self) -> bool {
        self.open_since.is_some()
    }

    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// Whether the open transaction should be committed now, after a poll.
    pub fn due(&self) -> bool {
        match (self.boundary, self.open_since) {
            (_, None) => false,
            (Boundary::Poll, Some(_)) => true,
            (Boundary::Interval(every), Some(since)) => since.elapsed() >= every,
            (Boundary::Connector, Some(_)) => false,
        }
    }

    /// Commits the open transaction (librdkafka flushes its records first).
    pub async fn commit(&mut self) -> Result<(), KafkaError> {
        if self.open_since.take().is_none() {
            return Ok(());
        }
        blocking(&self.producer, |p| {
            p.commit_transaction(TRANSACTION_TIMEOUT)
        })
        .await
    }

    /// Aborts the open transaction: none of its records or offsets become visible.
    pub async fn abort(&mut self) -> Result<(), KafkaError> {
        if self.open_since.take().is_none() {
            return Ok(());
        }
        blocking(&self.producer, |p| p.abort_transaction(TRANSACTION_TIMEOUT)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_worker_needs_an_offsets_topic() {
        let enabled = props(&[(WORKER_SUPPORT, "enabled")]);
        assert!(check_worker(&enabled, true).is_none());
        assert!(
            check_worker(&enabled, false)
                .unwrap()
                .message
                .contains("offset.storage.topic")
        );
        let bogus = props(&[(WORKER_SUPPORT, "sometimes")]);
        assert!(check_worker(&bogus, true).is_some());
        assert!(check_worker(&props(&[]), false).is_none());
    }

    #[test]
    fn task_settings_follow_kafka_connect() {
        let worker = props(&[(WORKER_SUPPORT, "enabled"), ("group.id", "cluster")]);
        let config = props(&[(BOUNDARY, "interval"), (BOUNDARY_INTERVAL_MS, "250")]);
        let eos =
            ExactlyOnce::for_task(&worker, &config, "orders", 3, Duration::from_secs(60)).unwrap();
        assert_eq!(eos.transactional_id, "cluster-orders-3");
        assert_eq!(eos.boundary, Boundary::Interval(Duration::from_millis(250)));
        let standalone = props(&[(WORKER_SUPPORT, "enabled")]);
        let poll = ExactlyOnce::for_task(
            &standalone,
            &props(&[]),
            "orders",
            0,
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(poll.transactional_id, "connect-standalone-orders-0");
        assert_eq!(poll.boundary, Boundary::Poll);
        assert!(ExactlyOnce::for_task(&props(&[]), &config, "o", 0, Duration::ZERO).is_none());
    }

    /// A connector that says what it can do: exactly once when `can` says, boundaries of its
    /// own when `bounds`.
    struct Says {
        can: Option<bool>,
        bounds: bool,
    }

    impl connect_api::Connector for Says {
        fn config_def(&self) -> connect_api::ConfigDef {
            connect_api::ConfigDef::default()
        }
        fn task_configs(&self, _: &Properties, _: usize) -> Vec<Properties> {
            Vec::new()
        }
        fn exactly_once_support(&self, _: &Properties) -> Option<bool> {
            self.can
        }
        fn can_define_transaction_boundaries(&self, _: &Properties) -> bool {
            self.bounds
        }
    }

    #[test]
    fn connector_keys_are_checked_against_the_worker_and_the_connector() {
        let able = Says {
            can: Some(true),
            bounds: true,
        };
        let disabled = props(&[]);
        let required = props(&[(SUPPORT, "required")]);
        let errors = check_connector(&required, &disabled, &able);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, SUPPORT);
        let enabled = props(&[(WORKER_SUPPORT, "enabled")]);
        assert!(check_connector(&required, &enabled, &able).is_empty());
        let unable = Says {
            can: Some(false),
            bounds: false,
        };
        let refused = check_connector(&required, &enabled, &unable);
        assert!(
            refused[0].message.contains("does not support exactly-once"),
            "{refused:?}"
        );
        let silent = Says {
            can: None,
            bounds: false,
        };
        let refused = check_connector(&required, &enabled, &silent);
        assert!(
            refused[0].message.contains("preflight validation"),
            "{refused:?}"
        );
        let connector = props(&[(BOUNDARY, "connector")]);
        assert_eq!(
            check_connector(&connector, &enabled, &unable)[0].key,
            BOUNDARY
        );
        assert!(check_connector(&connector, &enabled, &able).is_empty());
    }
}
