//! Errors of the data model and the converters, classified so the runtime can choose between the
//! dead letter queue (bad data), failing the task (configuration) and retrying (retriable).

use std::borrow::Cow;
use std::fmt;

use registry_client::RegistryError;

use crate::avro::FrameProblem;
use crate::data::Type;

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
    /// A schema registry call is under way (only on a thread that must not block, see
    /// [`crate::avro::set_thread_nonblocking`]): await [`Pending::ready`], then call again.
    #[error(transparent)]
    Pending(#[from] Pending),
}

impl Error {
    /// How the runtime should treat this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config(_) => ErrorKind::Config,
            Self::Data(_) | Self::Json(_) => ErrorKind::BadData,
            Self::Registry(e) => e.kind(),
            Self::Pending(_) => ErrorKind::Pending,
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

/// How an error should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// This record is bad; others may be fine. `errors.tolerance=all` sends it to the dead letter
    /// queue, otherwise the task fails.
    BadData,
    /// The converter is misconfigured: fail the task, retrying cannot help.
    Config,
    /// A remote dependency (for example a schema registry) failed transiently: retry within
    /// `errors.retry.timeout`.
    Retriable,
    /// Anything else: fail the task.
    Fatal,
    /// Not an error: a remote call is under way; wait for it and call again (see
    /// [`Error::pending`]).
    Pending,
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
    #[error("unknown converter class {0}; known: {known}", known = crate::registry::known_names())]
    UnknownConverter(String),
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

/// A value that does not fit its schema, or bytes a converter cannot read, with the place where
/// it happened. Boxed, so results that carry it stay small on the hot path and in recursion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} (at {})", .0.problem, .0.path)]
pub struct DataError(Box<DataErrorInner>);

#[derive(Debug, Clone, PartialEq)]
struct DataErrorInner {
    path: Path,
    problem: Problem,
}

impl DataError {
    /// An error at `path`.
    pub fn new(path: Path, problem: Problem) -> Self {
        Self(Box::new(DataErrorInner { path, problem }))
    }

    /// An error at the root of the value.
    pub fn at_root(problem: Problem) -> Self {
        Self::new(Path::default(), problem)
    }

    /// Where: a field path such as `payload.address.lines[2]`.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// What.
    pub fn problem(&self) -> &Problem {
        &self.0.problem
    }

    /// The same problem at another place.
    pub(crate) fn with_path(mut self, path: Path) -> Self {
        self.0.path = path;
        self
    }
}

/// What is wrong with a value or a schema.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// Null where the schema is required and has no default to use instead.
    #[error("null value for a required {0} schema without default")]
    NullForRequired(Type),
    /// A value or JSON node of the wrong kind.
    #[error("expected {expected}, found {found}")]
    Mismatch {
        /// What the schema asks for.
        expected: Cow<'static, str>,
        /// What was there.
        found: Cow<'static, str>,
    },
    /// A number that does not fit the schema's type.
    #[error("{value} is out of range for {ty}")]
    OutOfRange {
        /// The schema type.
        ty: Type,
        /// The number as written.
        value: String,
    },
    /// A struct field name the schema does not have.
    #[error("\"{0}\" is not a field of the struct")]
    NoSuchField(String),
    /// A struct whose own schema differs from the schema it is written with.
    #[error("the struct's schema does not match the schema it is converted with")]
    StructSchemaMismatch,
    /// A schema that cannot be built or read.
    #[error("invalid schema: {0}")]
    InvalidSchema(String),
    /// A logical value that its logical type does not allow.
    #[error("invalid {logical} value: {reason}")]
    InvalidLogical {
        /// The logical type's name.
        logical: &'static str,
        /// Why.
        reason: String,
    },
    /// A base64 string that does not decode.
    #[error("invalid base64: {0}")]
    InvalidBase64(String),
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8: the first {valid_up_to} bytes are valid, then {detail}")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
        /// What follows it.
        detail: String,
    },
    /// Bytes of the wrong length for a fixed-size converter.
    #[error("{converter} expects {expected} bytes, got {actual}")]
    WrongSize {
        /// The converter's class name.
        converter: &'static str,
        /// The size it reads.
        expected: usize,
        /// The size it got.
        actual: usize,
    },
    /// A byte the boolean converter does not read.
    #[error("BooleanConverter expects byte 0 or 1, got {0}")]
    InvalidBoolean(u8),
    /// Nesting deeper than the converter allows.
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    /// Something this converter cannot do with this value.
    #[error("{0}")]
    Unsupported(String),
    /// Bytes given to the Avro converter that are not in Confluent's wire format.
    #[error("data from topic {topic} is not in the Confluent wire format: {problem}")]
    NotConfluentFrame {
        /// The topic the record came from.
        topic: String,
        /// What is wrong.
        problem: FrameProblem,
    },
    /// Avro binary data that does not read with its writer schema.
    #[error("invalid Avro data from topic {topic} for schema id {schema_id}: {reason}")]
    InvalidAvro {
        /// The topic the record came from.
        topic: String,
        /// The schema id of the frame.
        schema_id: u32,
        /// What is wrong, and where.
        reason: String,
    },
}

/// A schema registry call that failed, with what the converter was doing and how the runtime
/// should treat it: an unknown schema id or subject, or a schema the registry refuses, is bad
/// data; refused credentials or a client that cannot be built are configuration; transport
/// failures, timeouts, 5xx and 429 are retriable.
#[derive(Debug, Clone)]
pub struct RegistryFailure(Box<RegistryFailureInner>);

#[derive(Debug, Clone)]
struct RegistryFailureInner {
    kind: ErrorKind,
    context: String,
    source: RegistryError,
}

impl RegistryFailure {
    /// Classifies `source`; `context` says what was being done (`fetching schema id 7 for topic
    /// orders`).
    pub fn new(context: impl Into<String>, source: RegistryError) -> Self {
        let kind = if source.is_retriable() {
            ErrorKind::Retriable
        } else {
            match source {
                RegistryError::Unauthorized { .. } | RegistryError::Client { .. } => {
                    ErrorKind::Config
                }
                _ => ErrorKind::BadData,
            }
        };
        Self(Box::new(RegistryFailureInner {
            kind,
            context: context.into(),
            source,
        }))
    }

    /// How the runtime should treat it.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
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
        a.kind == b.kind && a.context == b.context && a.source.to_string() == b.source.to_string()
    }
}

/// A location inside a value or document, e.g. `payload.address.lines[2]`; empty at the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(String);

impl Path {
    pub(crate) fn from_string(path: String) -> Self {
        Self(path)
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the root")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// A path under construction while walking a value: a linked list on the stack, turned into a
/// [`Path`] only when an error needs it, so the happy path never allocates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trail<'a> {
    parent: Option<&'a Trail<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Root(&'a str),
    Field(&'a str),
    Index(usize),
    MapKey(usize),
    MapValue(usize),
}

impl<'a> Trail<'a> {
    /// The root, named (`payload`, `schema`) or unnamed (`""`).
    pub(crate) const fn root(name: &'a str) -> Self {
        Self {
            parent: None,
            step: Step::Root(name),
        }
    }

    pub(crate) fn field(&'a self, name: &'a str) -> Self {
        self.child(Step::Field(name))
    }

    pub(crate) fn index(&'a self, index: usize) -> Self {
        self.child(Step::Index(index))
    }

    pub(crate) fn map_key(&'a self, entry: usize) -> Self {
        self.child(Step::MapKey(entry))
    }

    pub(crate) fn map_value(&'a self, entry: usize) -> Self {
        self.child(Step::MapValue(entry))
    }

    fn child(&'a self, step: Step<'a>) -> Self {
        Self {
            parent: Some(self),
            step,
        }
    }

    /// An error at this place.
    pub(crate) fn error(&self, problem: Problem) -> DataError {
        DataError::new(self.path(), problem)
    }

    pub(crate) fn path(&self) -> Path {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(trail) = at {
            steps.push(trail.step);
            at = trail.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step {
                Step::Root(name) => out.push_str(name),
                Step::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::MapKey(i) => out.push_str(&format!("[key #{i}]")),
                Step::MapValue(i) => out.push_str(&format!("[value #{i}]")),
            }
        }
        Path(out)
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
    fn paths_read_naturally() {
        let root = Trail::root("payload");
        let address = root.field("address");
        let lines = address.field("lines");
        let third = lines.index(2);
        assert_eq!(third.path().as_str(), "payload.address.lines[2]");
        let tags = Trail::root("");
        let tags = tags.field("tags");
        assert_eq!(tags.map_key(1).path().as_str(), "tags[key #1]");
        assert_eq!(Trail::root("").path().to_string(), "the root");
    }

    #[test]
    fn kinds() {
        let data: Error = DataError::at_root(Problem::TooDeep(3)).into();
        assert_eq!(data.kind(), ErrorKind::BadData);
        let config: Error = ConfigError::Missing { key: "k".into() }.into();
        assert_eq!(config.kind(), ErrorKind::Config);
    }
}
