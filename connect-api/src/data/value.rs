//! Connect values. A [`Value`] is what a schema describes; strings and bytes share their buffers
//! ([`Str`], [`Bytes`]), so values decoded from a record point into the record.

use bytes::Bytes;

use crate::data::logical::Decimal;
use crate::data::schema::SchemaRef;
use crate::data::str::Str;
use crate::data::structs::Struct;

/// One Connect value.
///
/// Logical types have their own variants, as Kafka Connect has its own Java classes for them
/// (`BigDecimal`, `java.util.Date`): a Date schema takes a [`Value::Date`], not an `Int32`.
/// Closed on purpose, as [`Type`](super::Type) is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// `BOOLEAN`.
    Boolean(bool),
    /// `INT8`.
    Int8(i8),
    /// `INT16`.
    Int16(i16),
    /// `INT32`.
    Int32(i32),
    /// `INT64`.
    Int64(i64),
    /// `FLOAT32`.
    Float32(f32),
    /// `FLOAT64`.
    Float64(f64),
    /// `STRING`.
    String(Str),
    /// `BYTES`.
    Bytes(Bytes),
    /// `ARRAY`.
    Array(Vec<Value>),
    /// `MAP`: entries in insertion order. Keys are expected to be distinct; decoders keep the
    /// last of repeated keys in a JSON object, as Kafka Connect does.
    Map(Vec<(Value, Value)>),
    /// `STRUCT`.
    Struct(Struct),
    /// Decimal logical type.
    Decimal(Decimal),
    /// Date logical type: days since 1970-01-01.
    Date(i32),
    /// Time logical type: milliseconds since midnight.
    Time(i32),
    /// Timestamp logical type: milliseconds since 1970-01-01T00:00:00Z.
    Timestamp(i64),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// What kind of value this is, for messages (`INT32 value`, `Decimal value`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean(_) => "BOOLEAN value",
            Self::Int8(_) => "INT8 value",
            Self::Int16(_) => "INT16 value",
            Self::Int32(_) => "INT32 value",
            Self::Int64(_) => "INT64 value",
            Self::Float32(_) => "FLOAT32 value",
            Self::Float64(_) => "FLOAT64 value",
            Self::String(_) => "STRING value",
            Self::Bytes(_) => "BYTES value",
            Self::Array(_) => "ARRAY value",
            Self::Map(_) => "MAP value",
            Self::Struct(_) => "STRUCT value",
            Self::Decimal(_) => "Decimal value",
            Self::Date(_) => "Date value",
            Self::Time(_) => "Time value",
            Self::Timestamp(_) => "Timestamp value",
        }
    }

    /// The text of a `STRING` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The struct of a `STRUCT` value.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Self::Struct(s) => Some(s),
            _ => None,
        }
    }
}

macro_rules! from_impls {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$ty> for Value {
                fn from(v: $ty) -> Self {
                    Self::$variant(v.into())
                }
            }
        )*
    };
}

from_impls! {
    bool => Boolean,
    i8 => Int8,
    i16 => Int16,
    i32 => Int32,
    i64 => Int64,
    f32 => Float32,
    f64 => Float64,
    Str => String,
    String => String,
    &str => String,
    Bytes => Bytes,
    Vec<Value> => Array,
    Struct => Struct,
    Decimal => Decimal,
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A schema (absent for schemaless data) and a value, as converters return them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaAndValue {
    /// The schema, or `None` for schemaless data.
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
}

impl SchemaAndValue {
    /// A schema and a value.
    #[inline]
    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        Self { schema, value }
    }
}
