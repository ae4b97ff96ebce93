//! What more than one codec uses, and nothing else: JSON as Jackson reads it
//! ([`json_parse`]) and writes it ([`json_text`]), and the schema caches' LRU map ([`lru`]).
//! The JSON converter and the Avro converter (schema text, properties, default values) both
//! build on these; neither imports the other. These modules import only [`crate::error`].

pub(crate) mod json_parse;
pub(crate) mod json_text;
pub(crate) mod lru;
