//! Single message transforms (SMTs) and predicates, as Kafka Connect's
//! `org.apache.kafka.connect.transforms` package: every 4.x built-in, with its class names,
//! config keys and (where practical) its error messages.
//!
//! - [`ConnectRecord`]: the record a transform sees (Connect data, after the converters).
//! - [`Transform`] edits or drops one record; [`Predicate`] decides whether a transform applies.
//! - [`TransformChain`]: the `transforms=` / `predicates=` part of a connector config, checked
//!   as a whole before any task starts (every bad key reported at once, by its full name), then
//!   applied record by record.
//! - [`catalog`]: every built-in with its class names, aliases and [`ConfigDef`], for
//!   `GET /connector-plugins` and config validation.
//!
//! Hot path: a chain is built on the control plane, moved to the shard that runs the task and
//! used only there (`Send`, not `Sync`). Transforms derive output schemas once per input schema
//! (cached by the schema's allocation) so records with the same schema share one output
//! [`SchemaRef`](connect_api::data::SchemaRef), which keeps the converters' own per-schema caches
//! warm. Values that a transform does not change are moved, not copied.
//!
//! Differences from Kafka Connect are listed in the module of the transform concerned.
//!
//! [`ConfigDef`]: connect_api::config::ConfigDef

mod cast;
pub mod catalog;
pub mod chain;
mod config;
mod datefmt;
mod drop_headers;
mod extract_field;
mod field_path;
mod filter;
mod flatten;
mod header_from;
mod hoist_field;
mod insert_field;
mod insert_header;
mod java;
mod mask_field;
pub mod predicates;
pub mod record;
mod regex_router;
mod replace_field;
mod set_schema_metadata;
mod timestamp_converter;
mod timestamp_router;
mod util;
mod value_to_key;
mod values;

#[cfg(test)]
mod testing;

use std::sync::Arc;

pub use catalog::{PluginInfo, PluginKind};
pub use chain::{TransformChain, stage_config_def};
pub use record::{ConnectHeader, ConnectRecord};

/// Edits one record. `Ok(None)` drops it (the rest of the chain does not see it).
pub trait Transform: Send {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError>;
}

/// Decides whether a transform applies to a record.
pub trait Predicate: Send {
    fn test(&self, record: &ConnectRecord) -> bool;
}

/// Why a transform failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The transform's configuration cannot work. Chains find these while they are built, before
    /// any task starts.
    #[error("transform {alias}: invalid configuration: {message}")]
    Config { alias: Arc<str>, message: String },
    /// This record cannot be transformed (wrong type, missing field, unparsable value); others
    /// may be fine. `errors.tolerance` decides between skipping it and failing the task.
    #[error(
        "transform {alias} failed on a record of topic {topic}{}: {message}",
        field.as_deref().map(|f| format!(" (field {f})")).unwrap_or_default()
    )]
    Data {
        alias: Arc<str>,
        topic: Arc<str>,
        field: Option<String>,
        message: String,
    },
}

impl TransformError {
    /// How the runtime should treat the error.
    pub fn class(&self) -> connect_api::ErrorClass {
        match self {
            Self::Config { .. } => connect_api::ErrorClass::Config,
            Self::Data { .. } => connect_api::ErrorClass::BadData,
        }
    }

    /// Whether this is about the record rather than the configuration.
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Data { .. })
    }

    /// The alias of the transform that failed.
    pub fn alias(&self) -> &str {
        match self {
            Self::Config { alias, .. } | Self::Data { alias, .. } => alias,
        }
    }
}
