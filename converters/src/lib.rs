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
//! - [`catalog`]: converters by Kafka Connect class name or short name.
//!
//! Errors carry an [`ErrorClass`] so the runtime can choose between the dead letter queue, retry
//! and failing the task without reading messages.
//!
//! # Layers
//!
//! The modules, top to bottom. No module imports from a layer above its own, and the codecs do
//! not import each other; within a module, no file imports from a file that imports it, so
//! every file reads bottom-up. `tests/layers.rs` checks both from the sources.
//!
//! 1. [`catalog`]: converter classes by name, creating each codec.
//! 2. Codecs, each with its own settings: [`string`], [`bytearray`], [`number`], [`json`],
//!    [`avro`].
//! 3. [`converter`]: the [`Converter`] trait, [`ConverterConfig`] (the properties and their
//!    Kafka-style parsing, no codec's keys) and [`ConverterType`].
//! 4. `shared`: what several codecs use: JSON as Jackson reads and writes it (`json_parse`,
//!    `json_text`, for the JSON converter and for Avro schema text) and the schema caches' LRU
//!    map (`lru`).
//! 5. [`error`]: the converters' errors; `connect-api` only.
//!
//! This file only declares the modules and re-exports their main items.

pub mod avro;
pub mod bytearray;
pub mod catalog;
pub mod converter;
pub mod error;
pub mod json;
pub mod number;
mod shared;
pub mod string;

pub use avro::{AvroConverter, AvroConverterConfig};
pub use bytearray::ByteArrayConverter;
pub use catalog::ConverterClass;
pub use converter::{Converter, ConverterConfig, ConverterType};
pub use error::{
    ConfigError, DataError, Error, ErrorClass, JsonSyntaxError, Path, Pending, Problem,
    RegistryFailure,
};
pub use json::{JsonConverter, JsonConverterConfig};
pub use number::NumberConverter;
pub use string::StringConverter;
