//! The API a wharf connector is written against, shaped like Kafka Connect's `connect-api`:
//!
//! - [`Connector`], [`SourceTask`] and [`SinkTask`], with their contexts ([`SourceTaskContext`],
//!   [`SinkTaskContext`]) and records ([`SourceRecord`], [`SinkRecord`], [`Header`]);
//! - [`TaskError`] and the one [`ErrorClass`] that converters, transforms and tasks classify
//!   their errors with;
//! - [`config`]: config specs ([`ConfigDef`]), the parsed and defaulted [`Config`] a task
//!   receives, and Java [`Properties`];
//! - [`data`]: the Connect data model (`Schema`, `Value`, `Struct`, logical types);
//! - [`WireFormat`]: what a converter's bytes look like, for tasks that take values undecoded.
//!
//! It depends on no Kafka client, async runtime or HTTP stack (`cargo tree -p connect-api`), so a
//! connector crate builds without librdkafka; the worker (`engine`) runs it.

pub mod config;
mod connector;
pub mod data;
mod error;
mod format;
mod header;
mod offset;
mod record;
mod sink_context;

pub use config::{Config, ConfigDef, Properties};
pub use connector::{
    Connector, ConnectorType, SinkConnector, SinkTask, SourceConnector, SourceTask,
    SourceTaskContext,
};
pub use error::{ErrorClass, TaskError};
pub use format::{DecimalFormat, Encoding, NumberKind, WireFormat};
pub use header::Header;
pub use offset::{JsonMap, OffsetKey};
pub use record::{Payload, SinkRecord, SourceRecord};
pub use sink_context::{SinkTaskContext, SinkTaskControl, TopicPartition};

/// Re-exported so a task's `impl` blocks can use `#[async_trait(?Send)]` without a dependency of
/// their own.
pub use async_trait::async_trait;
