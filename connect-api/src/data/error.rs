//! What is wrong with a value or a schema, and where: the data model's error, which converters
//! and transforms report for bad data.

use std::borrow::Cow;
use std::fmt;

use crate::data::Type;

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
    pub fn with_path(mut self, path: Path) -> Self {
        self.0.path = path;
        self
    }
}

/// What is wrong with a value or a schema.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
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

/// Why bytes are not a Confluent wire-format frame (magic byte 0, a 4-byte schema id, the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameProblem {
    /// Fewer bytes than the 5-byte header.
    TooShort {
        /// How many bytes there were.
        len: usize,
    },
    /// The first byte is not the magic byte 0.
    UnknownMagicByte(u8),
}

impl fmt::Display for FrameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(
                f,
                "{len} bytes, shorter than the 5-byte header (magic byte and schema id)"
            ),
            Self::UnknownMagicByte(b) => {
                write!(f, "unknown magic byte 0x{b:02x} (expected 0x00)")
            }
        }
    }
}

/// A location inside a value or document, e.g. `payload.address.lines[2]`; empty at the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(String);

impl Path {
    pub fn from_string(path: String) -> Self {
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
pub struct Trail<'a> {
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
    pub const fn root(name: &'a str) -> Self {
        Self {
            parent: None,
            step: Step::Root(name),
        }
    }

    pub fn field(&'a self, name: &'a str) -> Self {
        self.child(Step::Field(name))
    }

    pub fn index(&'a self, index: usize) -> Self {
        self.child(Step::Index(index))
    }

    pub fn map_key(&'a self, entry: usize) -> Self {
        self.child(Step::MapKey(entry))
    }

    pub fn map_value(&'a self, entry: usize) -> Self {
        self.child(Step::MapValue(entry))
    }

    fn child(&'a self, step: Step<'a>) -> Self {
        Self {
            parent: Some(self),
            step,
        }
    }

    /// An error at this place.
    pub fn error(&self, problem: Problem) -> DataError {
        DataError::new(self.path(), problem)
    }

    pub fn path(&self) -> Path {
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
}
