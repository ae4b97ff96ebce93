//! Source partitions and offsets: JSON objects, as in Kafka Connect, and the key that names one
//! source partition of one connector.

use serde_json::{Map, Value};

/// A source partition or offset: a JSON object, as in Kafka Connect.
pub type JsonMap = Map<String, Value>;

/// Identifies one source partition of one connector.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OffsetKey {
    pub connector: String,
    /// The source partition, serialized as compact JSON with sorted keys so equal maps compare
    /// equal.
    pub partition: String,
}

impl OffsetKey {
    pub fn new(connector: &str, partition: &JsonMap) -> Self {
        Self {
            connector: connector.to_owned(),
            partition: Value::Object(partition.clone()).to_string(),
        }
    }

    /// The partition map back.
    pub fn partition_map(&self) -> JsonMap {
        match serde_json::from_str(&self.partition) {
            Ok(Value::Object(map)) => map,
            _ => JsonMap::new(),
        }
    }

    /// Kafka Connect's offsets-topic key: `["<connector>",{<partition>}]`.
    pub fn topic_key(&self) -> String {
        Value::Array(vec![
            Value::String(self.connector.clone()),
            Value::Object(self.partition_map()),
        ])
        .to_string()
    }
}
