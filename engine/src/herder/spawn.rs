//! Starting one task of a connector on a shard, under the restart supervisor.

use crate::keys::secrets::Secrets;
use crate::offsets::{ConnectorOffsetStore, TopicOffsetStore};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::herder::connector_config::{ConnectorConfig, TOPICS, TOPICS_REGEX};
use crate::kafka;
use crate::keys::worker as worker_config;
use crate::offsets::OffsetStore;
use crate::plugins::{Plugins, TaskFactory};
use crate::runtime::{ShardError, ShardPool};
use crate::task::sink_task::{self, SinkTaskSetup, Subscription};
use crate::task::source_task::{self, SourceTaskSetup};
use crate::task::supervisor::supervise;
use crate::task::{StopSignal, TaskEnv, TaskId, TaskStats};
use connect_api::config::Properties;
use connect_api::config::providers::ConfigProviders;
use connect_api::{ErrorClass, TaskError};

/// The outcome of a task, awaitable from any thread.
pub type TaskResult =
    Pin<Box<dyn Future<Output = Result<Result<(), TaskError>, ShardError>> + Send>>;

/// A task the worker started.
pub struct RunningTask {
    pub id: TaskId,
    pub stats: Arc<TaskStats>,
    pub config: Properties,
    pub(crate) stop: StopSignal,
    pub(crate) result: Option<TaskResult>,
}

impl std::fmt::Debug for RunningTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningTask").field("id", &self.id).finish()
    }
}

impl RunningTask {
    /// Stops the task (it flushes and commits) and waits for it.
    pub fn stop(mut self) -> (TaskId, Result<(), String>) {
        self.stop.set();
        let outcome = match self.result.take().map(futures::executor::block_on) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e.to_string()),
            Some(Err(e)) => Err(e.to_string()),
        };
        (self.id.clone(), outcome)
    }
}

impl Drop for RunningTask {
    fn drop(&mut self) {
        self.stop.set();
    }
}

/// What every task of a worker shares.
#[derive(Clone)]
pub struct WorkerContext {
    /// What the worker can run.
    pub plugins: Arc<Plugins>,
    pub worker_props: Properties,
    pub bootstrap: String,
    pub offsets: Arc<dyn OffsetStore>,
    pub flush_interval: Duration,
    pub buffer_max_bytes: u64,
}

impl std::fmt::Debug for WorkerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerContext")
            .field("bootstrap", &self.bootstrap)
            .finish()
    }
}

/// The `kind` of a task's admin client (the DLQ topic's creation).
pub const ADMIN: &str = "admin";

/// The settings of connector `c`'s `kind` clients (`producer`, `consumer`, `admin`): wharf's client
/// defaults, then the worker's `<kind>.*` keys, then the connector's own `<kind>.override.*`
/// keys (Kafka Connect's per-connector client overrides, e.g.
/// `consumer.override.isolation.level`), which win — Kafka Connect's security keys among them
/// mapped to librdkafka's ([`kafka::security`]). A consumer (`group` set) gets the sink's
/// consumer group `connect-<connector>`.
///
/// `wharf.task.buffer.max.bytes` bounds what librdkafka buffers per task — prefetched records
/// for a sink, unacknowledged records for a source — so memory does not grow with a backlog.
pub fn connector_client_config(
    ctx: &WorkerContext,
    c: &ConnectorConfig,
    kind: &str,
    group: Option<&str>,
) -> Result<rdkafka::ClientConfig, kafka::security::SecurityError> {
    let kib = (ctx.buffer_max_bytes / 1024).max(1).to_string();
    let mut config = match group {
        Some(group) => {
            let mut c = kafka::consumer_config(&ctx.bootstrap, group);
            c.set("queued.max.messages.kbytes", &kib);
            // Consumer lag for /metrics comes from librdkafka's statistics.
            c.set("statistics.interval.ms", "5000");
            c
        }
        None if kind == ADMIN => kafka::producer_config(&ctx.bootstrap),
        None => {
            let mut c = kafka::producer_config(&ctx.bootstrap);
            c.set("queue.buffering.max.kbytes", &kib);
            c
        }
    };
    // An admin client also takes the worker's top-level keys (its security ones here), as Kafka
    // Connect's `Worker.adminConfigs` does; producers and consumers take only their prefix.
    let mut keys: Properties = if kind == ADMIN {
        kafka::security::worker_security_keys(&ctx.worker_props)
    } else {
        Properties::new()
    };
    keys.extend(
        worker_config::prefixed(&ctx.worker_props, &format!("{kind}."))
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    keys.extend(
        worker_config::prefixed(&c.props, &format!("{kind}.override."))
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    for (k, v) in kafka::security::translate(&keys).map_err(|e| kafka::security::SecurityError {
        key: format!("{kind}.{}", e.key),
        message: e.message,
    })? {
        config.set(k, v);
    }
    Ok(config)
}

/// A source connector's own offsets topic (the worker's key is `offset.storage.topic`).
const CONNECTOR_OFFSETS_TOPIC: &str = "offsets.storage.topic";

/// Where a source task of `c` keeps its offsets: the worker's store, or the connector's own
/// `offsets.storage.topic` (created like the worker's, with its partitions and replication
/// factor, on the worker's cluster) backed by the worker's store ([`ConnectorOffsetStore`]).
fn connector_offsets(
    ctx: &WorkerContext,
    c: &ConnectorConfig,
) -> Result<Arc<dyn OffsetStore>, String> {
    let worker_topic = ctx
        .worker_props
        .get(worker_config::OFFSET_TOPIC)
        .map(|t| t.trim());
    let Some(topic) = c
        .props
        .get(CONNECTOR_OFFSETS_TOPIC)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && Some(*t) != worker_topic)
    else {
        return Ok(Arc::clone(&ctx.offsets));
    };
    let number = |key: &str, default: i32| {
        ctx.worker_props
            .get(key)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    let client =
        kafka::security::worker_client_settings(&ctx.worker_props).map_err(|e| e.to_string())?;
    let own = TopicOffsetStore::open(
        &ctx.bootstrap,
        topic,
        number(worker_config::OFFSET_PARTITIONS, 25),
        number(worker_config::OFFSET_REPLICATION, 3),
        &client,
    )
    .map_err(|e| format!("{CONNECTOR_OFFSETS_TOPIC}: {e}"))?;
    Ok(Arc::new(ConnectorOffsetStore::new(
        own,
        Arc::clone(&ctx.offsets),
    )))
}

/// Starts task `n` of connector `c` with `task_props` on `shard`.
pub fn spawn(
    pool: &ShardPool,
    shard: usize,
    ctx: &WorkerContext,
    c: &ConnectorConfig,
    n: usize,
    task_props: Properties,
) -> Result<RunningTask, ShardError> {
    let id = TaskId {
        connector: c.name.clone(),
        task: n,
    };
    let stats = Arc::new(TaskStats::default());
    let stop = StopSignal::default();
    let restart = c.restart;
    // The task config keeps its config provider placeholders (it is what the config topic and
    // REST hold); the task runs with what they resolve to, read now. A source that cannot be
    // read fails the task, naming the key and the provider.
    // Its clients' settings likewise: a security key librdkafka cannot take fails the task.
    let setup = ConfigProviders::from_worker(&ctx.worker_props)
        .and_then(|providers| providers.resolve_tracked(&task_props))
        .map_err(|e| e.message)
        .and_then(|(resolved, substituted)| {
            // Without any admin or top-level security keys the admin client takes the
            // producer's settings: Kafka Connect would speak plaintext there and fail to
            // create the DLQ topic of a secured cluster.
            let admin_keys = !kafka::security::worker_security_keys(&ctx.worker_props).is_empty()
                || worker_config::prefixed(&ctx.worker_props, "admin.")
                    .any(|(k, _)| !k.starts_with("listeners"))
                || worker_config::prefixed(&c.props, "admin.override.")
                    .next()
                    .is_some();
            let producer = connector_client_config(ctx, c, "producer", None).and_then(|p| {
                if admin_keys {
                    connector_client_config(ctx, c, ADMIN, None).map(|admin| (p, admin))
                } else {
                    Ok((p.clone(), p))
                }
            });
            let consumer = match c.plugin.task {
                TaskFactory::Sink(_) => connector_client_config(
                    ctx,
                    c,
                    "consumer",
                    Some(&format!("connect-{}", c.name)),
                )
                .map(Some),
                TaskFactory::Source(_) => Ok(None),
            };
            producer
                .and_then(|p| consumer.map(|c| (p, c)))
                .map(|(p, c)| {
                    let secrets = Secrets::new(substituted, [&resolved, &ctx.worker_props]);
                    (resolved, Arc::new(secrets), p, c)
                })
                .map_err(|e| e.to_string())
        });
    let (resolved, secrets, (producer_config, admin_config), consumer_config) = match setup {
        Ok(setup) => setup,
        Err(message) => {
            let error = TaskError::new(ErrorClass::Config, format!("{id}: {message}"));
            tracing::error!(message = "Cannot start the task.", task = %id, error = %message);
            return Ok(RunningTask {
                id,
                stats,
                config: task_props,
                stop,
                result: Some(Box::pin(async move { Ok(Err(error)) })),
            });
        }
    };
    // What every task gets; the producer settings serve a source's records and any task's
    // dead letter queue, the admin ones create the DLQ's topic.
    let env = TaskEnv {
        id: id.clone(),
        converters: c.converters.clone(),
        errors: c.errors.clone(),
        producer_config,
        admin_config,
        config: resolved,
        spec: Arc::new((c.plugin.connector)().config_def()),
        flush_interval: ctx.flush_interval,
        stop: stop.clone(),
        stats: Arc::clone(&stats),
        secrets: Arc::clone(&secrets),
    };
    let result: TaskResult = match c.plugin.task {
        TaskFactory::Source(make) => {
            let offsets = match connector_offsets(ctx, c) {
                Ok(offsets) => offsets,
                Err(message) => {
                    let error = TaskError::new(ErrorClass::Config, format!("{id}: {message}"));
                    tracing::error!(message = "Cannot start the task.", task = %id, error = %message);
                    return Ok(RunningTask {
                        id,
                        stats,
                        config: task_props,
                        stop,
                        result: Some(Box::pin(async move { Ok(Err(error)) })),
                    });
                }
            };
            let setup = SourceTaskSetup {
                env,
                offsets,
                exactly_once: crate::task::exactly_once::ExactlyOnce::for_task(
                    &ctx.worker_props,
                    &c.props,
                    &c.name,
                    n,
                    ctx.flush_interval,
                ),
            };
            let (id, stats, stop) = (id.clone(), Arc::clone(&stats), stop.clone());
            Box::pin(pool.spawn_on(shard, move || async move {
                let attempt = || source_task::run(make(), setup.clone());
                supervise(id, &stats, &stop, restart, &secrets, attempt).await
            })?)
        }
        TaskFactory::Sink(make) => {
            let setup = SinkTaskSetup {
                env,
                consumer_config: consumer_config.unwrap_or_default(),
                subscription: match c.config.non_empty(TOPICS_REGEX) {
                    Some(regex) => Subscription::Pattern(regex.to_owned()),
                    None => Subscription::Topics(c.config.list(TOPICS)),
                },
            };
            let (id, stats, stop) = (id.clone(), Arc::clone(&stats), stop.clone());
            Box::pin(pool.spawn_on(shard, move || async move {
                let attempt = || sink_task::run(make(), setup.clone());
                supervise(id, &stats, &stop, restart, &secrets, attempt).await
            })?)
        }
    };
    tracing::info!(message = "Started task.", task = %id, shard);
    Ok(RunningTask {
        id,
        stats,
        config: task_props,
        stop,
        result: Some(result),
    })
}
