//! A connector's or task's error, classified so the runtime knows whether to retry, to apply
//! `errors.tolerance` and the dead letter queue, or to fail the task.

/// How the runtime should react to an error. Converters, transforms and tasks all classify their
/// errors with this one enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Bad config: the task cannot run until the config changes.
    Config,
    /// A transient problem (network, unavailable system): retry with backoff.
    Retriable,
    /// A record the task cannot handle: subject to `errors.tolerance` and the DLQ.
    BadData,
    /// Anything else: the task fails.
    Fatal,
}

/// An error from a connector or task, with its class and what it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    pub class: ErrorClass,
    pub message: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TaskError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(
        class: ErrorClass,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            class,
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}
