//! The Connect data model and Kafka Connect compatible converters.
//!
//! - [`data`]: schemas, values, structs and logical types (Decimal, Date, Time, Timestamp), as
//!   in `org.apache.kafka.connect.data`.
//! - [`Converter`]: the contract between record bytes and Connect data, configured from Kafka
//!   Connect properties ([`ConverterConfig`]), with a pass-through check
//!   ([`Converter::passes_through_to`]) so the engine can skip decoding when input and output
//!   formats match.
//! - The converters: [`StringConverter`], [`ByteArrayConverter`], [`NumberConverter`] (Short,
//!   Integer, Long, Float, Double, Boolean) and [`JsonConverter`], whose bytes are identical to
//!   Kafka Connect 4.3.1's, and [`AvroConverter`] (Confluent's wire format and schema registry).
//! - [`registry`]: converters by Kafka Connect class name or short name.
//!
//! Errors carry an [`ErrorKind`] so the runtime can choose between the dead letter queue, retry
//! and failing the task without reading messages.

pub mod avro;
pub mod bytearray;
pub mod converter;
pub mod data;
pub mod error;
mod java_text;
pub mod json;
pub mod number;
pub mod registry;
pub mod string;

pub use avro::{AvroConverter, AvroConverterConfig};
pub use bytearray::ByteArrayConverter;
pub use converter::{Converter, ConverterConfig, ConverterType, Header, WireFormat};
pub use error::{
    ConfigError, DataError, Error, ErrorKind, JsonSyntaxError, Path, Pending, Problem,
    RegistryFailure,
};
pub use json::{DecimalFormat, JsonConverter, JsonConverterConfig};
pub use number::{NumberConverter, NumberKind};
pub use registry::ConverterClass;
pub use string::StringConverter;
