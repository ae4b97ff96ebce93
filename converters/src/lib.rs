//! The Connect data model and Kafka Connect compatible converters.
//!
//! The data model they convert to and from (`connect_api::data`) comes from `connect-api`.
//!
//! - [`Converter`]: the contract between record bytes and Connect data, configured from Kafka
//!   Connect properties ([`ConverterConfig`]), with a pass-through check
//!   ([`Converter::passes_through_to`]) so the engine can skip decoding when input and output
//!   formats match.
//! - The converters: [`StringConverter`], [`ByteArrayConverter`], [`NumberConverter`] (Short,
//!   Integer, Long, Float, Double, Boolean) and [`JsonConverter`], whose bytes are identical to
//!   Kafka Connect 4.3.1's, and [`AvroConverter`] (Confluent's wire format and schema registry).
//! - [`registry`]: converters by Kafka Connect class name or short name.
//!
//! Errors carry an [`ErrorClass`] so the runtime can choose between the dead letter queue, retry
//! and failing the task without reading messages.

pub mod avro;
pub mod bytearray;
pub mod converter;
pub mod error;
pub mod json;
pub mod number;
pub mod registry;
pub mod string;

pub use avro::{AvroConverter, AvroConverterConfig};
pub use bytearray::ByteArrayConverter;
pub use converter::{Converter, ConverterConfig, ConverterType};
pub use error::{
    ConfigError, DataError, Error, ErrorClass, JsonSyntaxError, Path, Pending, Problem,
    RegistryFailure,
};
pub use json::{JsonConverter, JsonConverterConfig};
pub use number::NumberConverter;
pub use registry::ConverterClass;
pub use string::StringConverter;
