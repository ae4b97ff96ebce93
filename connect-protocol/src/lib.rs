//! Kafka Connect's distributed-mode formats, byte-compatible with the Java runtime, so that Java Kafka
//! Connect workers and wharf workers can share one group and one set of internal topics.
//!
//! Pure: no I/O, no async, no Kafka client. The caller moves bytes; this crate says what they mean.
//!
//! | module | what | Java counterpart |
//! |---|---|---|
//! | [`wire`] | old-style Kafka protocol types (INT16/32/64, STRING, NULLABLE_BYTES, ARRAY) | `common.protocol.types` |
//! | [`protocol`] | the `default`/`compatible`/`sessioned` subprotocols: member metadata, assignments | `ConnectProtocol`, `IncrementalCooperativeConnectProtocol` |
//! | [`assignor`] | the leader's assignment: incremental cooperative and eager | `IncrementalCooperativeAssignor`, `EagerAssignor` |
//! | [`config_topic`] | config topic records and the state built from them | `KafkaConfigBackingStore`, `ClusterConfigState` |
//! | [`status_topic`] | status topic records and the write/read rules | `KafkaStatusBackingStore` |
//!
//! The Java behaviour was read from apache/kafka at commit `1eb7644349cb`; each module notes what it checked.

pub mod assignor;
pub mod config_topic;
mod json;
pub mod protocol;
pub mod status_topic;
pub mod wire;
