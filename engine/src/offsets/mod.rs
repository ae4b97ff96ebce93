//! Source offsets: where each source partition of each connector has got to.
//!
//! Delivery guarantee (at-least-once): the source runtime records an offset here only after Kafka
//! acknowledged every record up to it, and a store makes offsets durable on `flush`. After a
//! crash a task restarts from the last flushed offset, so at most one flush interval of records
//! is produced again; none is lost.
//!
//! Keys and values use Kafka Connect's shapes: the key is the connector name plus the source
//! partition map (`["<connector>",{..}]` in the offsets topic), the value is the source offset
//! map; `None` deletes.

pub mod connector;
pub mod file;
pub mod topic;

use std::collections::BTreeMap;

pub use connector::ConnectorOffsetStore;
pub use file::FileOffsetStore;
pub use topic::TopicOffsetStore;

pub use connect_api::{JsonMap, OffsetKey};

/// Errors reading or writing offsets.
#[derive(Debug, thiserror::Error)]
pub enum OffsetError {
    #[error("offset file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("offset file {path} is not a wharf offset file: {message}")]
    Corrupt { path: String, message: String },
    #[error("offsets topic {topic}: {message}")]
    Kafka { topic: String, message: String },
}

/// Where offsets are kept. Implementations are shared by the tasks of a worker and are called
/// once per flush, never per record.
pub trait OffsetStore: Send + Sync {
    /// The last durable offset of every partition of `connector`.
    fn offsets(&self, connector: &str) -> BTreeMap<OffsetKey, JsonMap>;

    /// Records offsets (`None` removes the partition) and makes them durable before returning.
    fn commit(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) -> Result<(), OffsetError>;

    /// Reads the store again, so that what other workers committed shows (a distributed
    /// worker's offsets topic); nothing to do for a store only this worker writes.
    fn refresh(&self) -> Result<(), OffsetError> {
        Ok(())
    }

    /// The Kafka topic an exactly-once source task writes these offsets to, in its own
    /// transaction; `None` for a store outside Kafka (the exactly-once source tasks use it).
    fn transactional_topic(&self) -> Option<&str> {
        None
    }

    /// Takes in offsets a task's transaction wrote to [`transactional_topic`] and committed.
    ///
    /// [`transactional_topic`]: OffsetStore::transactional_topic
    fn committed_in_transaction(&self, _updates: Vec<(OffsetKey, Option<JsonMap>)>) {}
}

/// The entries of `connector` in a store's map.
fn of_connector(
    offsets: &BTreeMap<OffsetKey, JsonMap>,
    connector: &str,
) -> BTreeMap<OffsetKey, JsonMap> {
    offsets
        .iter()
        .filter(|(k, _)| k.connector == connector)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Applies committed updates to a store's map; `None` removes the partition.
fn apply(offsets: &mut BTreeMap<OffsetKey, JsonMap>, updates: Vec<(OffsetKey, Option<JsonMap>)>) {
    for (key, value) in updates {
        match value {
            Some(v) => offsets.insert(key, v),
            None => offsets.remove(&key),
        };
    }
}
