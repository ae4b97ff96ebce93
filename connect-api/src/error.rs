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
    class: ErrorClass,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
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

    /// [`with_source`](Self::with_source) for a source that is already boxed.
    pub fn with_boxed_source(
        class: ErrorClass,
        message: impl Into<String>,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        Self {
            class,
            message: message.into(),
            source: Some(source),
        }
    }

    /// How the runtime reacts to it.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// What went wrong, and where.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error, with the message `message` (for example with context added).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}
