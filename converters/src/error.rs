//! The converters' errors, classified ([`ErrorClass`]) so the runtime can choose between the
//! dead letter queue (bad data), failing the task (configuration) and retrying (retriable).
//! The data model's own error ([`DataError`]) comes from `connect-api`; this module depends on
//! nothing else of this crate.

use std::borrow::Cow;
use std::fmt;

pub use connect_api::ErrorClass;
pub use connect_api::data::{DataError, FrameProblem, Path, Problem};
use registry_client::RegistryError;

/// Every error a converter returns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The converter's configuration is wrong; nothing will work until it is fixed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A value does not fit its schema, or bytes are not what the converter reads.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Bytes given to the JSON converter are not JSON.
    #[error(transparent)]
    Json(#[from] JsonSyntaxError),
    /// A schema registry call failed.
    #[error(transparent)]
    Registry(#[from] RegistryFailure),
    /// A schema registry call is under way (only on a thread that must not block, see the Avro
    /// converter's `set_thread_nonblocking`): await [`Pending::ready`], then call again.
    #[error(transparent)]
    Pending(#[from] Pending),
}

impl Error {
    /// How the runtime should treat this error. A [`Pending`] call is retriable: wait for it
    /// ([`Error::pending`]) and call again.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Config(_) => ErrorClass::Config,
            Self::Data(_) | Self::Json(_) => ErrorClass::BadData,
            Self::Registry(e) => e.class(),
            Self::Pending(_) => ErrorClass::Retriable,
        }
    }

    /// The call to wait for, when the converter is waiting on a remote system.
    pub fn pending(&self) -> Option<&Pending> {
        match self {
            Self::Pending(p) => Some(p),
            _ => None,
        }
    }
}

/// A remote call a converter started and did not wait for; its answer is kept for the next call.
#[derive(Clone)]
pub struct Pending {
    context: std::sync::Arc<str>,
    done: futures::future::Shared<futures::channel::oneshot::Receiver<()>>,
}

impl Pending {
    pub(crate) fn new(
        context: std::sync::Arc<str>,
        done: futures::future::Shared<futures::channel::oneshot::Receiver<()>>,
    ) -> Self {
        Self { context, done }
    }

    /// Completes when the call has finished (successfully or not); the converter has its answer.
    pub async fn ready(&self) {
        let _ = self.done.clone().await;
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("context", &self.context)
            .finish()
    }
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiting for the schema registry: {}", self.context)
    }
}

impl std::error::Error for Pending {}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.context == other.context
    }
}

/// A configuration key with a value the converter cannot use. Messages follow Kafka's
/// `ConfigException` wording so they read the same as in Kafka Connect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key has a value of the wrong form.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    InvalidValue {
        /// The configuration key.
        key: String,
        /// The value as given.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A key without default is missing.
    #[error("Missing required configuration \"{key}\" which has no default value.")]
    Missing {
        /// The configuration key.
        key: String,
    },
    /// Several keys are wrong.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<ConfigError>),
    /// No converter is known by this name.
    #[error("unknown converter class {class}; known: {known}")]
    UnknownConverter {
        /// The name asked for.
        class: String,
        /// The class names that are known, comma-separated.
        known: String,
    },
    /// The converter is known but not part of this build yet.
    #[error("converter {0} is not available in this version of wharf")]
    NotAvailable(&'static str),
}

impl ConfigError {
    pub(crate) fn invalid(key: &str, value: &str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A schema registry call that failed, with what the converter was doing and how the runtime
/// should treat it: an unknown schema id or subject, or a schema the registry refuses, is bad
/// data; refused credentials or a client that cannot be built are configuration; transport
/// failures, timeouts, 5xx and 429 are retriable.
#[derive(Debug, Clone)]
pub struct RegistryFailure(Box<RegistryFailureInner>);

#[derive(Debug, Clone)]
struct RegistryFailureInner {
    class: ErrorClass,
    context: String,
    source: RegistryError,
}

impl RegistryFailure {
    /// Classifies `source`; `context` says what was being done (`fetching schema id 7 for topic
    /// orders`).
    pub fn new(context: impl Into<String>, source: RegistryError) -> Self {
        let class = if source.is_retriable() {
            ErrorClass::Retriable
        } else {
            match source {
                RegistryError::Unauthorized { .. } | RegistryError::Client { .. } => {
                    ErrorClass::Config
                }
                _ => ErrorClass::BadData,
            }
        };
        Self(Box::new(RegistryFailureInner {
            class,
            context: context.into(),
            source,
        }))
    }

    /// How the runtime should treat it.
    pub fn class(&self) -> ErrorClass {
        self.0.class
    }

    /// The registry client's error.
    pub fn registry_error(&self) -> &RegistryError {
        &self.0.source
    }
}

impl fmt::Display for RegistryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.context, self.0.source)
    }
}

impl std::error::Error for RegistryFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.source)
    }
}

/// Compared by classification and message: the registry error holds transport errors that have
/// no equality.
impl PartialEq for RegistryFailure {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.class == b.class && a.context == b.context && a.source.to_string() == b.source.to_string()
    }
}

/// Bytes given to the JSON converter that are not JSON (or not JSON it reads).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset} (line {line}, column {column}): {message}")]
pub struct JsonSyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in bytes.
    pub column: usize,
    /// What is wrong.
    pub message: Cow<'static, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let data: Error = DataError::at_root(Problem::TooDeep(3)).into();
        assert_eq!(data.class(), ErrorClass::BadData);
        let config: Error = ConfigError::Missing { key: "k".into() }.into();
        assert_eq!(config.class(), ErrorClass::Config);
    }
}
