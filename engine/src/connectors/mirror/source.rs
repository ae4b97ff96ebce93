//! The mirror task: a consumer of the source cluster assigned this task's partitions, each at
//! the offset after the last committed one (or the beginning), whose records leave as they came.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

use super::config::{
    BATCH_SIZE, POLICY, REFRESH_TOPICS_INTERVAL, REPLICATION_FACTOR, SEPARATOR, SOURCE_ALIAS,
    SOURCE_BOOTSTRAP, SOURCE_PREFIX, TARGET_ALIAS, TARGET_BOOTSTRAP, TARGET_PREFIX, TASK_COUNT,
    TASK_INDEX, TOPICS, TOPICS_EXCLUDE,
};
use super::{Patterns, Policy, owner};
use crate::kafka::{self, TopicSpec};
use crate::offsets::JsonMap;
use connect_api::config::{Config, Properties};
use connect_api::{
    ErrorClass, Header, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError,
};

/// How long a poll that found nothing waits before the runtime polls again.
const IDLE_WAIT: Duration = Duration::from_millis(5);
/// How long a metadata request to the source cluster may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);

/// One source partition this task mirrors.
#[derive(Debug)]
struct Mirrored {
    target: Arc<str>,
    /// The source partition in MirrorMaker 2's form.
    key: Arc<JsonMap>,
}

/// Mirrors its share of the source cluster's partitions; see the module docs.
#[derive(Default)]
pub struct MirrorSourceTask {
    consumer: Option<Arc<BaseConsumer>>,
    source_alias: String,
    target_alias: String,
    policy: Option<Policy>,
    include: Option<Patterns>,
    exclude: Option<Patterns>,
    task: usize,
    tasks: usize,
    batch_size: usize,
    refresh_every: Duration,
    next_refresh: Option<Instant>,
    target_admin: ClientConfig,
    replication_factor: i32,
    /// By (topic, partition).
    mirrored: BTreeMap<(String, i32), Mirrored>,
    /// The committed offsets of the source partitions, as the task found them at start.
    committed: BTreeMap<(String, i32), i64>,
}

impl std::fmt::Debug for MirrorSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorSourceTask")
            .field("source", &self.source_alias)
            .field("partitions", &self.mirrored.len())
            .finish()
    }
}

fn config_error(message: String) -> TaskError {
    TaskError::new(ErrorClass::Config, message)
}

/// The client keys under `prefix` (prefix taken off, the mirror's own keys left out) in
/// librdkafka's terms, with `bootstrap.servers` from `bootstrap_key`.
fn cluster_client(
    props: &Properties,
    prefix: &str,
    bootstrap_key: &str,
) -> Result<ClientConfig, TaskError> {
    let keys: Properties = props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())))
        .filter(|(k, _)| k != "alias" && k != "bootstrap.servers")
        .collect();
    let mut config = ClientConfig::new();
    let bootstrap = connect_api::config::split_list(props.get(bootstrap_key).map_or("", |v| v));
    config.set("bootstrap.servers", bootstrap.join(","));
    for (k, v) in kafka::security::translate(&keys)
        .map_err(|e| config_error(format!("{prefix}{}: {}", e.key, e.message)))?
    {
        config.set(k, v);
    }
    Ok(config)
}

fn parse<T: std::str::FromStr>(props: &Properties, key: &str, default: T) -> Result<T, TaskError> {
    match props.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| config_error(format!("{key}: {v} is not a valid number"))),
    }
}

impl MirrorSourceTask {
    fn partition_key(&self, topic: &str, partition: i32) -> JsonMap {
        let mut key = JsonMap::new();
        key.insert("cluster".into(), Value::from(self.source_alias.as_str()));
        key.insert("partition".into(), Value::from(partition));
        key.insert("topic".into(), Value::from(topic));
        key
    }

    fn wanted(&self, topic: &str) -> bool {
        let policy = self.policy.as_ref().expect("started");
        self.include.as_ref().is_some_and(|p| p.matches(topic))
            && !self.exclude.as_ref().is_some_and(|p| p.matches(topic))
            && !policy.is_replica_of(topic, &self.target_alias)
    }

    /// Looks for this task's partitions on the source cluster; creates the target topics of new
    /// ones and starts reading them (after their committed offset, else from the beginning).
    async fn refresh(&mut self) -> Result<(), TaskError> {
        let consumer = Arc::clone(self.consumer.as_ref().expect("started"));
        let metadata = glommio::executor()
            .spawn_blocking(move || {
                consumer.fetch_metadata(None, METADATA_TIMEOUT).map(|m| {
                    m.topics()
                        .iter()
                        .filter(|t| t.error().is_none())
                        .map(|t| (t.name().to_owned(), t.partitions().len()))
                        .collect::<Vec<_>>()
                })
            })
            .await
            .map_err(|e| {
                TaskError::with_source(
                    ErrorClass::Retriable,
                    "cannot list the source cluster's topics (source.cluster.bootstrap.servers)",
                    e,
                )
            })?;
        let policy = self.policy.clone().expect("started");
        let mut added = TopicPartitionList::new();
        for (topic, partitions) in metadata {
            if !self.wanted(&topic) {
                continue;
            }
            let mine: Vec<i32> = (0..partitions as i32)
                .filter(|p| owner(&topic, *p, self.tasks) == self.task)
                .filter(|p| !self.mirrored.contains_key(&(topic.clone(), *p)))
                .collect();
            if mine.is_empty() {
                continue;
            }
            let target = policy.target_topic(&self.source_alias, &topic);
            let spec = TopicSpec {
                name: &target,
                partitions: partitions as i32,
                replication_factor: self.replication_factor,
                configs: Vec::new(),
            };
            kafka::ensure_topic_with(&self.target_admin, &spec)
                .await
                .map_err(|e| {
                    TaskError::with_source(
                        ErrorClass::Retriable,
                        format!("cannot create target topic {target} (target.cluster.*)"),
                        e,
                    )
                })?;
            let target: Arc<str> = Arc::from(target.as_str());
            for p in mine {
                let offset = match self.committed.get(&(topic.clone(), p)) {
                    Some(&last) => Offset::Offset(last + 1),
                    None => Offset::Beginning,
                };
                added
                    .add_partition_offset(&topic, p, offset)
                    .map_err(|e| TaskError::with_source(ErrorClass::Fatal, "assign", e))?;
                let key = Arc::new(self.partition_key(&topic, p));
                self.mirrored.insert(
                    (topic.clone(), p),
                    Mirrored {
                        target: Arc::clone(&target),
                        key,
                    },
                );
            }
        }
        if added.count() > 0 {
            tracing::info!(
                message = "Mirroring source partitions.",
                added = added.count(),
                total = self.mirrored.len()
            );
            self.consumer
                .as_ref()
                .expect("started")
                .incremental_assign(&added)
                .map_err(|e| {
                    TaskError::with_source(ErrorClass::Fatal, "cannot assign source partitions", e)
                })?;
        }
        self.next_refresh = Some(Instant::now() + self.refresh_every);
        Ok(())
    }
}

#[async_trait(?Send)]
impl SourceTask for MirrorSourceTask {
    async fn start(
        &mut self,
        config: &Config,
        context: &SourceTaskContext,
    ) -> Result<(), TaskError> {
        let props = config.raw();
        let get =
            |key: &str, default: &str| props.get(key).map_or(default, |v| v.trim()).to_owned();
        self.source_alias = get(SOURCE_ALIAS, "source");
        self.target_alias = get(TARGET_ALIAS, "target");
        let policy = Policy::parse(
            &get(POLICY, super::config::DEFAULT_POLICY),
            &props.get(SEPARATOR).cloned().unwrap_or_else(|| ".".into()),
        )
        .map_err(|e| config_error(format!("{POLICY}: {e}")))?;
        if policy == Policy::Identity && get(SOURCE_BOOTSTRAP, "") == get(TARGET_BOOTSTRAP, "") {
            return Err(config_error(format!(
                "{POLICY}: IdentityReplicationPolicy with the same source and target cluster would \
                 write each record back to the topic it came from"
            )));
        }
        self.policy = Some(policy);
        self.include = Some(
            Patterns::parse(&get(TOPICS, ".*"))
                .map_err(|e| config_error(format!("{TOPICS}: {e}")))?,
        );
        self.exclude = Some(
            Patterns::parse(&get(TOPICS_EXCLUDE, super::config::DEFAULT_EXCLUDE))
                .map_err(|e| config_error(format!("{TOPICS_EXCLUDE}: {e}")))?,
        );
        self.task = parse(props, TASK_INDEX, 0)?;
        self.tasks = parse(props, TASK_COUNT, 1)?;
        self.batch_size = parse(props, BATCH_SIZE, 10_000)?;
        self.refresh_every = Duration::from_secs(parse(props, REFRESH_TOPICS_INTERVAL, 600)?);
        self.replication_factor = parse(props, REPLICATION_FACTOR, -1)?;
        self.target_admin = cluster_client(props, TARGET_PREFIX, TARGET_BOOTSTRAP)?;
        for (partition, offset) in context.offsets() {
            let (Some(cluster), Some(topic), Some(p), Some(o)) = (
                partition.get("cluster").and_then(Value::as_str),
                partition.get("topic").and_then(Value::as_str),
                partition.get("partition").and_then(Value::as_i64),
                offset.get("offset").and_then(Value::as_i64),
            ) else {
                continue;
            };
            if cluster == self.source_alias {
                self.committed.insert((topic.to_owned(), p as i32), o);
            }
        }
        let mut consumer = cluster_client(props, SOURCE_PREFIX, SOURCE_BOOTSTRAP)?;
        consumer
            .set("group.id", format!("wharf-mirror-{}", context.connector()))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        if consumer.get("isolation.level").is_none() {
            consumer.set("isolation.level", "read_committed");
        }
        let consumer: BaseConsumer = consumer.create().map_err(|e| {
            TaskError::with_source(
                ErrorClass::Config,
                "cannot create the source cluster's consumer",
                e,
            )
        })?;
        self.consumer = Some(Arc::new(consumer));
        self.refresh().await
    }

    async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
        if self.next_refresh.is_some_and(|at| Instant::now() >= at) {
            self.refresh().await?;
        }
        let consumer = Arc::clone(self.consumer.as_ref().expect("started"));
        let mut records = Vec::new();
        while records.len() < self.batch_size {
            let message = match consumer.poll(Duration::ZERO) {
                None => break,
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    return Err(TaskError::with_source(
                        crate::kafka::classify::error_class(&e),
                        "reading the source cluster",
                        e,
                    ));
                }
            };
            let Some(mirrored) = self
                .mirrored
                .get(&(message.topic().to_owned(), message.partition()))
            else {
                continue;
            };
            let bytes = |b: Option<&[u8]>| {
                b.map_or(Payload::Null, |b| Payload::Raw(Bytes::copy_from_slice(b)))
            };
            let headers = message
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| Header {
                            key: Arc::from(h.key),
                            value: h.value.map(Bytes::copy_from_slice),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut offset = JsonMap::new();
            offset.insert("offset".into(), Value::from(message.offset()));
            records.push(SourceRecord {
                source_partition: Arc::clone(&mirrored.key),
                source_offset: offset,
                topic: Arc::clone(&mirrored.target),
                kafka_partition: Some(message.partition()),
                key: bytes(message.key()),
                value: bytes(message.payload()),
                timestamp: message.timestamp().to_millis(),
                headers,
            });
        }
        if records.is_empty() {
            glommio::timer::sleep(IDLE_WAIT).await;
        }
        Ok(Some(records))
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        self.consumer = None;
        Ok(())
    }
}
