//! Standalone mode: one process, connector configs from files, source offsets in a local file —
//! `wharf standalone worker.properties connector1.properties [connector2.json ...]`, the same
//! files `connect-standalone.sh` takes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::herder::connector_config::ConnectorConfig;
use crate::herder::{Cluster, Herder, HerderError, TargetState, WorkerContext};
use crate::keys::worker::{
    self as worker_config, BOOTSTRAP_SERVERS, BUFFER_MAX_BYTES, OFFSET_FILE,
    OFFSET_FLUSH_INTERVAL_MS, OFFSET_PARTITIONS, OFFSET_REPLICATION, OFFSET_TOPIC, SHARDS,
};
use crate::offsets::{FileOffsetStore, OffsetError, OffsetStore, TopicOffsetStore};
use crate::plugins::Plugins;
use crate::runtime::{ShardConfig, ShardError, ShardPool, available_cores};
use crate::task::{TaskId, TaskStats};
use connect_api::config::{self, ConfigErrors, Properties, PropertiesError};

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
    #[error(transparent)]
    Herder(#[from] HerderError),
}

/// The worker's own clients' TLS and SASL settings; a key librdkafka cannot take is a worker
/// config error naming it.
fn security_settings(worker_props: &Properties) -> Result<Properties, ConfigErrors> {
    crate::kafka::security::worker_client_settings(worker_props).map_err(|e| ConfigErrors {
        subject: "worker".to_owned(),
        errors: vec![connect_api::config::FieldError {
            key: e.key,
            message: e.message,
        }],
    })
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

/// A running standalone worker: a [`Herder`] whose connectors came from files.
#[derive(Debug)]
pub struct Standalone {
    herder: Herder,
}

impl Standalone {
    /// Validates every config first (nothing starts if one is bad), then starts all tasks,
    /// spreading them over the shards round-robin.
    pub fn start(
        worker_props: &Properties,
        connectors: &[Properties],
    ) -> Result<Self, StandaloneError> {
        Self::start_with(Arc::new(Plugins::builtin()), worker_props, connectors)
    }

    /// [`start`](Self::start) with the plugins of one's own binary.
    pub fn start_with(
        plugins: Arc<Plugins>,
        worker_props: &Properties,
        connectors: &[Properties],
    ) -> Result<Self, StandaloneError> {
        let herder = start_herder(plugins, worker_props)?;
        let mut validated: Vec<ConnectorConfig> = Vec::new();
        for props in connectors {
            let c = herder.validate(props)?;
            if validated.iter().any(|v| v.name == c.name) {
                return Err(StandaloneError::DuplicateName(c.name));
            }
            validated.push(c);
        }
        for c in validated {
            herder.put_validated(c, TargetState::Running, false)?;
        }
        Ok(Self { herder })
    }

    /// The herder.
    pub fn herder(&self) -> &Herder {
        &self.herder
    }

    /// The worker as a cluster of one, for the REST API.
    pub fn cluster(&self) -> Arc<dyn Cluster> {
        Arc::new(self.herder.clone())
    }

    /// Number of shards the tasks run on.
    pub fn shards(&self) -> usize {
        self.herder.shards()
    }

    /// Every running task with its counters.
    pub fn tasks(&self) -> Vec<(TaskId, Arc<TaskStats>)> {
        self.herder
            .task_stats()
            .into_iter()
            .map(|(id, _, stats)| (id, stats))
            .collect()
    }

    /// Stops every task (each flushes and commits), waits for them, and reports each result.
    pub fn stop(self) -> Vec<(TaskId, Result<(), String>)> {
        self.herder.shutdown()
    }
}

/// The worker's shards and offset store, wrapped in a herder with no connectors yet.
pub fn start_herder(
    plugins: Arc<Plugins>,
    worker_props: &Properties,
) -> Result<Herder, StandaloneError> {
    let worker = worker_config::parse(worker_props)?;
    let bootstrap = worker.list(BOOTSTRAP_SERVERS).join(",");
    let offsets: Arc<dyn OffsetStore> = match (
        worker.non_empty(OFFSET_FILE),
        worker.non_empty(OFFSET_TOPIC),
    ) {
        (Some(path), _) => Arc::new(FileOffsetStore::open(path)?),
        (None, Some(topic)) => Arc::new(TopicOffsetStore::open(
            &bootstrap,
            topic,
            worker.int(OFFSET_PARTITIONS).unwrap_or(25),
            worker.int(OFFSET_REPLICATION).unwrap_or(3),
            &security_settings(worker_props)?,
        )?),
        (None, None) => {
            return Err(ConfigErrors {
                subject: "worker".to_owned(),
                errors: vec![connect_api::config::FieldError {
                    key: OFFSET_FILE.to_owned(),
                    message: "standalone mode needs offset.storage.file.filename (or offset.storage.topic)".to_owned(),
                }],
            }
            .into());
        }
    };
    if let Some(error) = crate::task::exactly_once::check_worker(
        worker_props,
        offsets.transactional_topic().is_some(),
    ) {
        return Err(ConfigErrors {
            subject: "worker".to_owned(),
            errors: vec![error],
        }
        .into());
    }
    let shards = match worker.int(SHARDS).unwrap_or(0) {
        n if n > 0 => usize::try_from(n).unwrap_or(1),
        _ => available_cores(),
    };
    let pool = ShardPool::start(&ShardConfig {
        shards,
        ..ShardConfig::default()
    })?;
    let flush_ms = worker.long(OFFSET_FLUSH_INTERVAL_MS).unwrap_or(60_000);
    let ctx = WorkerContext {
        plugins,
        worker_props: worker_props.clone(),
        bootstrap,
        offsets,
        flush_interval: Duration::from_millis(u64::try_from(flush_ms).unwrap_or(60_000)),
        buffer_max_bytes: worker
            .long(BUFFER_MAX_BYTES)
            .map_or(32 << 20, i64::unsigned_abs),
    };
    let worker_id = crate::rest::worker_id(worker_props);
    Ok(Herder::new(pool, ctx, worker_id))
}

/// The control-plane runtime: the REST API and the worker's reports run on it, apart from the
/// shards that run tasks.
pub fn control_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("wharf-control")
        .enable_all()
        .build()
}
