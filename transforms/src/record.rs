//! The record transforms and predicates see: Kafka Connect's `ConnectRecord`, with key, value and
//! headers already turned into Connect data by the converters.

use std::sync::Arc;

use connect_api::data::SchemaAndValue;

/// One header as Connect data (what a header converter reads from the header's bytes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectHeader {
    pub key: Arc<str>,
    pub value: SchemaAndValue,
}

impl ConnectHeader {
    pub fn new(key: impl Into<Arc<str>>, value: SchemaAndValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }
}

/// A record on its way through a transform chain. Cheap to move: strings and bytes inside the
/// values share the consumed batch's buffer, and the topic name is shared.
///
/// A null key or value is `SchemaAndValue { schema: None, value: Value::Null }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectRecord {
    pub topic: Arc<str>,
    /// `None`: the producer's partitioner decides (source records).
    pub kafka_partition: Option<i32>,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    pub headers: Vec<ConnectHeader>,
    /// The offset of a record read from Kafka (a sink record); `None` for source records.
    /// `InsertField`'s `offset.field` needs it and fails on records without one, as Kafka
    /// Connect's does on source records.
    pub kafka_offset: Option<i64>,
}

impl ConnectRecord {
    /// A record with no partition, timestamp, headers or offset.
    pub fn new(topic: impl Into<Arc<str>>, key: SchemaAndValue, value: SchemaAndValue) -> Self {
        Self {
            topic: topic.into(),
            key,
            value,
            ..Self::default()
        }
    }

    /// Whether a header with this key is present.
    pub fn has_header(&self, key: &str) -> bool {
        self.headers.iter().any(|h| &*h.key == key)
    }
}
