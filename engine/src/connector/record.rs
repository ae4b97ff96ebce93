//! The records connectors see.

use std::sync::Arc;

use bytes::Bytes;

use crate::offsets::JsonMap;
use crate::record::{Header, RawRecord};

/// A key or value on its way through the runtime.
///
/// `Raw` holds bytes in the serialized form the worker's converter reads and writes. When a
/// source emits raw bytes and the converter is a pass-through one (String, ByteArray), the bytes
/// go to Kafka untouched; a sink receiving `Raw` can write them without decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Absent (a null key, a tombstone value).
    Null,
    /// Serialized bytes.
    Raw(Bytes),
}

impl Payload {
    pub fn from_option(bytes: Option<Bytes>) -> Self {
        bytes.map_or(Self::Null, Self::Raw)
    }

    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            Self::Null => None,
            Self::Raw(b) => Some(b),
        }
    }
}

/// A record a source task produced, with the position it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Which part of the source system this record came from, e.g. `{"filename": ".."}`.
    pub source_partition: Arc<JsonMap>,
    /// How far into that partition the task had read once this record was emitted.
    pub source_offset: JsonMap,
    pub topic: Arc<str>,
    /// `None`: the producer's partitioner decides.
    pub kafka_partition: Option<i32>,
    pub key: Payload,
    pub value: Payload,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
}

/// A record delivered to a sink task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Payload,
    pub value: Payload,
    pub headers: Vec<Header>,
}

impl From<RawRecord> for SinkRecord {
    fn from(raw: RawRecord) -> Self {
        Self {
            topic: raw.topic,
            partition: raw.partition,
            offset: raw.offset,
            timestamp: raw.timestamp,
            key: Payload::from_option(raw.key),
            value: Payload::from_option(raw.value),
            headers: raw.headers,
        }
    }
}
