//! What a converter's bytes look like, with every setting that changes them: equal formats mean
//! bytes can pass from one converter to another untouched (the pass-through lane a sink task may
//! ask for with [`SinkTask::raw_values`](crate::SinkTask::raw_values)).

use crate::data::Type;

/// The format of a converter's bytes together with every setting that changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireFormat {
    /// StringConverter.
    String {
        /// Character set.
        encoding: Encoding,
    },
    /// ByteArrayConverter.
    ByteArray,
    /// One of the fixed-size number converters, or BooleanConverter.
    Number(NumberKind),
    /// JsonConverter.
    Json {
        /// `schemas.enable`.
        schemas_enable: bool,
        /// `decimal.format`.
        decimal_format: DecimalFormat,
        /// `replace.null.with.default`.
        replace_null_with_default: bool,
    },
    /// AvroConverter: frames carry schema ids, which mean the same only within one registry.
    Avro {
        /// A hash of the registry URLs.
        registry: u64,
    },
}

/// A character set the String converter supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8, the default and the only one supported.
    Utf8,
}

/// How Decimals are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DecimalFormat {
    /// The unscaled value's two's-complement bytes, base64: `"D3J5"` (the default).
    #[default]
    Base64,
    /// A JSON number: `10.2345`.
    Numeric,
}

/// Which fixed-size converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// `ShortConverter`: `INT16`, 2 bytes.
    Short,
    /// `IntegerConverter`: `INT32`, 4 bytes.
    Integer,
    /// `LongConverter`: `INT64`, 8 bytes.
    Long,
    /// `FloatConverter`: `FLOAT32`, 4 bytes IEEE 754.
    Float,
    /// `DoubleConverter`: `FLOAT64`, 8 bytes IEEE 754.
    Double,
    /// `BooleanConverter`: `BOOLEAN`, 1 byte.
    Boolean,
}

impl NumberKind {
    /// Kafka's class name.
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::Short => "org.apache.kafka.connect.converters.ShortConverter",
            Self::Integer => "org.apache.kafka.connect.converters.IntegerConverter",
            Self::Long => "org.apache.kafka.connect.converters.LongConverter",
            Self::Float => "org.apache.kafka.connect.converters.FloatConverter",
            Self::Double => "org.apache.kafka.connect.converters.DoubleConverter",
            Self::Boolean => "org.apache.kafka.connect.converters.BooleanConverter",
        }
    }

    pub fn simple_name(self) -> &'static str {
        let name = self.class_name();
        name.rsplit('.').next().unwrap_or(name)
    }

    /// The schema type of its values.
    pub const fn ty(self) -> Type {
        match self {
            Self::Short => Type::Int16,
            Self::Integer => Type::Int32,
            Self::Long => Type::Int64,
            Self::Float => Type::Float32,
            Self::Double => Type::Float64,
            Self::Boolean => Type::Boolean,
        }
    }

    /// Bytes per value.
    pub const fn size(self) -> usize {
        match self {
            Self::Short => 2,
            Self::Integer | Self::Float => 4,
            Self::Long | Self::Double => 8,
            Self::Boolean => 1,
        }
    }
}
