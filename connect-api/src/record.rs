//! The records connectors see.

use std::sync::Arc;

use bytes::Bytes;

use crate::data::SchemaAndValue;
#[cfg(doc)]
use crate::data::Value;
use crate::format::WireFormat;
use crate::header::Header;
use crate::offset::JsonMap;

/// A key or value a source task hands to the runtime. Closed on purpose: the runtime must handle
/// every kind, and an exhaustive match makes the compiler point at each place a new kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Absent (a null key, a tombstone value).
    Null,
    /// Connect data, serialized by the connector's converter.
    Data(SchemaAndValue),
    /// Bytes already in the form Kafka should store; the converter is skipped.
    Raw(Bytes),
}

/// A record a source task produced, with the position it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Which part of the source system this record came from, e.g. `{"filename": ".."}`.
    pub source_partition: Arc<JsonMap>,
    /// How far into that partition the task had read once this record was emitted. Empty: no
    /// change of offset, for sources that put their position on the last record of a batch only.
    pub source_offset: JsonMap,
    pub topic: Arc<str>,
    /// `None`: the producer's partitioner decides.
    pub kafka_partition: Option<i32>,
    pub key: Payload,
    pub value: Payload,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
}

/// A record delivered to a sink task: key and value as the converters read them. Strings and
/// bytes in them share the consumed batch's buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: SchemaAndValue,
    /// With `value_format` set, `value` holds the consumed bytes as [`Value::Bytes`] with no
    /// schema: the pass-through lane (see [`SinkTask::raw_values`](crate::SinkTask::raw_values)).
    pub value: SchemaAndValue,
    /// The format of an undecoded value; `None` when `value` was read by the converter.
    pub value_format: Option<WireFormat>,
    pub headers: Vec<Header>,
}
