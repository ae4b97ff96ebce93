//! Topic administration for the control plane (internal topics, tests, tools).
//!
//! rdkafka's admin client polls on its own thread and returns `Send` futures, so these calls can
//! be awaited from tokio, a plain thread (`futures::executor::block_on`) or a shard.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// A topic to create if it does not exist yet.
#[derive(Debug, Clone)]
pub struct TopicSpec<'a> {
    pub name: &'a str,
    pub partitions: i32,
    pub replication_factor: i32,
    /// Topic-level configs, e.g. `("cleanup.policy", "compact")`.
    pub configs: Vec<(&'a str, &'a str)>,
}

/// Errors from topic administration.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot create an admin client for {bootstrap}: {source}")]
    Client {
        bootstrap: String,
        #[source]
        source: KafkaError,
    },
    #[error("creating topic {topic} failed: {source}")]
    Request {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("the broker refused to create topic {topic}: {code}")]
    Refused {
        topic: String,
        code: RDKafkaErrorCode,
    },
}

/// Creates the topic unless it already exists (an existing topic is left as it is).
pub async fn ensure_topic(bootstrap: &str, spec: &TopicSpec<'_>) -> Result<(), AdminError> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    ensure_topic_with(&config, spec).await
}

/// [`ensure_topic`] with a client's settings (`bootstrap.servers` and, for a secured cluster,
/// its TLS and SASL settings in librdkafka's terms).
pub async fn ensure_topic_with(
    config: &ClientConfig,
    spec: &TopicSpec<'_>,
) -> Result<(), AdminError> {
    let bootstrap = config.get("bootstrap.servers").unwrap_or_default();
    let admin: AdminClient<DefaultClientContext> =
        config.create().map_err(|source| AdminError::Client {
            bootstrap: bootstrap.to_owned(),
            source,
        })?;
    let mut topic = NewTopic::new(
        spec.name,
        spec.partitions,
        TopicReplication::Fixed(spec.replication_factor),
    );
    for (key, value) in &spec.configs {
        topic = topic.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics([&topic], &options)
        .await
        .map_err(|source| AdminError::Request {
            topic: spec.name.to_owned(),
            source,
        })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(AdminError::Refused { topic, code }),
        }
    }
    Ok(())
}
