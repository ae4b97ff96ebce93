//! Standalone mode: one process, connector configs from files, source offsets in a local file —
//! `wharf standalone worker.properties connector1.properties [connector2.json ...]`, the same
//! files `connect-standalone.sh` takes.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::config::{
    self as worker_config, BOOTSTRAP_SERVERS, OFFSET_FILE, OFFSET_FLUSH_INTERVAL_MS, SHARDS,
};
use super::connector_config::{self, ConnectorConfig, TASKS_MAX, TOPICS, TOPICS_REGEX};
use super::sink_task::{self, SinkRun, Subscription};
use super::source_task::{self, SourceRun};
use super::supervisor::{RestartPolicy, supervise};
use super::{StopSignal, TaskId, TaskStats};
use crate::config::{self, ConfigErrors, Properties, PropertiesError};
use crate::connector::TaskError;
use crate::connectors::TaskFactory;
use crate::kafka;
use crate::offsets::{FileOffsetStore, OffsetError, OffsetStore};
use crate::runtime::{ShardConfig, ShardError, ShardPool, available_cores};

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    #[error(transparent)]
    Properties(#[from] PropertiesError),
    #[error("{path}: {message}")]
    ConnectorFile { path: String, message: String },
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error("duplicate connector name {0}")]
    DuplicateName(String),
    #[error(transparent)]
    Offsets(#[from] OffsetError),
    #[error(transparent)]
    Shard(#[from] ShardError),
}

/// Reads a connector config: Java properties, or JSON as `POST /connectors` takes it
/// (`{"name": .., "config": {..}}`) or a flat JSON object of strings.
pub fn load_connector_file(path: &Path) -> Result<Properties, StandaloneError> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json {
        return Ok(config::properties::load(path)?);
    }
    let bad = |message: String| StandaloneError::ConnectorFile {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let (name, body) = match doc.get("config") {
        Some(config) => (doc.get("name").and_then(Value::as_str), config),
        None => (None, &doc),
    };
    let object = body
        .as_object()
        .ok_or_else(|| bad("expected a JSON object of config keys".to_owned()))?;
    let mut props = Properties::new();
    for (key, value) in object {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            Value::Null => continue,
            _ => return Err(bad(format!("config key {key} must be a string"))),
        };
        props.insert(key.clone(), text);
    }
    if let Some(name) = name {
        props.insert("name".to_owned(), name.to_owned());
    }
    Ok(props)
}

type TaskResult = Pin<Box<dyn Future<Output = Result<Result<(), TaskError>, ShardError>> + Send>>;

/// wharf's client defaults, then the worker's `producer.*` / `consumer.*` overrides. A
/// consumer (`group` set) gets the sink's consumer group `connect-<connector>`.
fn client_config(
    bootstrap: &str,
    worker_props: &Properties,
    prefix: &str,
    group: Option<&str>,
) -> rdkafka::ClientConfig {
    let mut config = match group {
        Some(group) => kafka::consumer_config(bootstrap, group),
        None => kafka::producer_config(bootstrap),
    };
    for (k, v) in worker_config::prefixed(worker_props, prefix) {
        config.set(k, v);
    }
    config
}

/// A task the worker started.
pub struct RunningTask {
    pub id: TaskId,
    pub stats: Arc<TaskStats>,
    result: TaskResult,
}

impl std::fmt::Debug for RunningTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningTask").field("id", &self.id).finish()
    }
}

/// A running standalone worker.
#[derive(Debug)]
pub struct Standalone {
    pool: ShardPool,
    stop: StopSignal,
    tasks: Vec<RunningTask>,
}

impl Standalone {
    /// Validates every config first (nothing starts if one is bad), then starts all tasks,
    /// spreading them over the shards round-robin.
    pub fn start(
        worker_props: &Properties,
        connectors: &[Properties],
    ) -> Result<Self, StandaloneError> {
        let worker = worker_config::parse(worker_props)?;
        let mut validated: Vec<ConnectorConfig> = Vec::new();
        for props in connectors {
            let c = connector_config::validate(props, worker_props)?;
            if validated.iter().any(|v| v.name == c.name) {
                return Err(StandaloneError::DuplicateName(c.name));
            }
            validated.push(c);
        }
        let offsets: Arc<dyn OffsetStore> = match worker.non_empty(OFFSET_FILE) {
            Some(path) => Arc::new(FileOffsetStore::open(path)?),
            None => {
                return Err(ConfigErrors {
                    subject: "worker".to_owned(),
                    errors: vec![crate::config::FieldError {
                        key: OFFSET_FILE.to_owned(),
                        message: "standalone mode needs offset.storage.file.filename".to_owned(),
                    }],
                }
                .into());
            }
        };
        let shards = match worker.int(SHARDS).unwrap_or(0) {
            n if n > 0 => usize::try_from(n).unwrap_or(1),
            _ => available_cores(),
        };
        let pool = ShardPool::start(&ShardConfig {
            shards,
            ..ShardConfig::default()
        })?;
        let stop = StopSignal::default();
        let flush_interval = Duration::from_millis(
            u64::try_from(worker.long(OFFSET_FLUSH_INTERVAL_MS).unwrap_or(60_000))
                .unwrap_or(60_000),
        );
        let bootstrap = worker.list(BOOTSTRAP_SERVERS).join(",");
        let mut tasks = Vec::new();
        let mut next_shard = 0;
        for c in &validated {
            let connector = (c.plugin.connector)();
            let restart = RestartPolicy::from_config(&c.config);
            let max_tasks = usize::try_from(c.config.int(TASKS_MAX).unwrap_or(1)).unwrap_or(1);
            for (n, task_props) in connector
                .task_configs(&c.props, max_tasks)
                .into_iter()
                .enumerate()
            {
                let id = TaskId {
                    connector: c.name.clone(),
                    task: n,
                };
                let stats = Arc::new(TaskStats::default());
                let shard = next_shard % pool.len();
                next_shard += 1;
                let result: TaskResult = match c.plugin.task {
                    TaskFactory::Source(make) => {
                        let run = SourceRun {
                            id: id.clone(),
                            converters: c.converters.clone(),
                            errors: c.errors.clone(),
                            config: task_props,
                            producer_config: client_config(
                                &bootstrap,
                                worker_props,
                                "producer.",
                                None,
                            ),
                            offsets: Arc::clone(&offsets),
                            flush_interval,
                            stop: stop.clone(),
                            stats: Arc::clone(&stats),
                        };
                        let (id, stats, stop) = (id.clone(), Arc::clone(&stats), stop.clone());
                        Box::pin(pool.spawn_on(shard, move || async move {
                            let attempt = || source_task::run(make(), run.clone());
                            supervise(id, &stats, &stop, restart, attempt).await
                        })?)
                    }
                    TaskFactory::Sink(make) => {
                        let group = format!("connect-{}", c.name);
                        let run = SinkRun {
                            id: id.clone(),
                            converters: c.converters.clone(),
                            errors: c.errors.clone(),
                            producer_config: client_config(
                                &bootstrap,
                                worker_props,
                                "producer.",
                                None,
                            ),
                            bootstrap: bootstrap.clone(),
                            config: task_props,
                            consumer_config: client_config(
                                &bootstrap,
                                worker_props,
                                "consumer.",
                                Some(&group),
                            ),
                            subscription: match c.config.non_empty(TOPICS_REGEX) {
                                Some(regex) => Subscription::Pattern(regex.to_owned()),
                                None => Subscription::Topics(c.config.list(TOPICS)),
                            },
                            flush_interval,
                            stop: stop.clone(),
                            stats: Arc::clone(&stats),
                        };
                        let (id, stats, stop) = (id.clone(), Arc::clone(&stats), stop.clone());
                        Box::pin(pool.spawn_on(shard, move || async move {
                            let attempt = || sink_task::run(make(), run.clone());
                            supervise(id, &stats, &stop, restart, attempt).await
                        })?)
                    }
                };
                tracing::info!(message = "Started task.", task = %id, shard);
                tasks.push(RunningTask { id, stats, result });
            }
        }
        Ok(Self { pool, stop, tasks })
    }

    /// Number of shards the tasks run on.
    pub fn shards(&self) -> usize {
        self.pool.len()
    }

    /// The running tasks and their counters.
    pub fn tasks(&self) -> &[RunningTask] {
        &self.tasks
    }

    /// Stops every task (each flushes and commits), waits for them, and reports each result.
    pub fn stop(mut self) -> Vec<(TaskId, Result<(), String>)> {
        self.stop.set();
        std::mem::take(&mut self.tasks)
            .into_iter()
            .map(|t| {
                let outcome = match futures::executor::block_on(t.result) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                (t.id, outcome)
            })
            .collect()
    }
}

impl Drop for Standalone {
    /// Dropping the worker stops its tasks; the shard pool's own drop then waits for them.
    fn drop(&mut self) {
        self.stop.set();
    }
}
