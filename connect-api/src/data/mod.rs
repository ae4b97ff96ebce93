//! The Connect data model: [`Schema`]s and the [`Value`]s they describe, as in Kafka Connect's
//! `org.apache.kafka.connect.data` package.

mod error;
pub mod java_text;
pub mod logical;
mod schema;
mod str;
mod structs;
mod validate;
mod value;

pub use logical::{Decimal, Logical};
pub use schema::{Field, Schema, SchemaBuilder, SchemaRef, Type};
pub use str::Str;
pub use structs::Struct;
pub use validate::validate;
pub use value::{SchemaAndValue, Value};

pub use error::{DataError, FrameProblem, Path, Problem, Trail};
/// Checks converters share with the data model's own validation.
pub use validate::{expected_name, kind_matches, mismatch, same_struct_schema};

/// How deeply values, schemas and JSON documents may nest. Deeper input is rejected with an
/// error instead of risking the stack of a small shard thread. (Jackson, under Kafka Connect's
/// JsonConverter, allows 1000 levels.)
pub const MAX_DEPTH: usize = 128;
