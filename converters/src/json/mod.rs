//! `org.apache.kafka.connect.json.JsonConverter`, byte for byte.
//!
//! With `schemas.enable=true` (the default) every value travels as
//! `{"schema":<schema JSON>,"payload":<value JSON>}`; with `false` only the value JSON is written
//! and reading gives schemaless data. The output is identical to Kafka Connect 4.3.1's for the
//! same data (checked against the real converter by `tests/tests/json_compat.rs`), and this
//! converter reads what Kafka Connect writes.
//!
//! Both directions cache schemas (`schemas.cache.size`): the JSON text of each schema written,
//! keyed by the schema's allocation (so build each schema once and share it), and the schema of
//! each schema JSON text read, so records with the same schema share one [`SchemaRef`].
//!
//! # Differences from Kafka Connect
//!
//! Listed with their reasons in `docs/compat.md` ("JSON converter"). Deliberate, all on input
//! Kafka Connect never writes itself:
//!
//! - Where Kafka Connect silently coerces a value that does not match its schema, this converter
//!   returns an error naming the path: a string or boolean read as an integer (Kafka Connect:
//!   0), an integer out of the type's range (wraps: 300 as INT8 is 44), a fraction read as an
//!   integer (truncates), a number read as BYTES, STRING or BOOLEAN (null / false), a number
//!   read as an ARRAY (empty), integers beyond 64 bits anywhere (wrap), a default value of the
//!   wrong type (0), a `version` beyond 32 bits (wraps). A number that is exactly an integer in
//!   range reads as one whatever its form (`1e3`, `5.0`), as in Kafka Connect.
//! - The strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which Kafka Connect writes for
//!   non-finite floats, read back as those values (Kafka Connect reads them as 0.0).
//! - Content after the JSON value is an error (Jackson ignores it); so is a `\uD800`-style lone
//!   surrogate, which a Rust string cannot hold.
//! - Nesting is limited to [`MAX_DEPTH`](connect_api::data::MAX_DEPTH) levels (Jackson: 1000).
//! - Maps read from JSON keep the document's order (Kafka Connect uses a `HashMap`, so its
//!   re-encoded order is arbitrary); a repeated key keeps its first place and its last value,
//!   as `HashMap.put` does.
//! - Floats are printed per Java 19+'s `Double.toString`/`Float.toString` (shortest digits), as
//!   Kafka Connect prints them on the Java 21 of the official images; on Java 17 it prints more
//!   digits for some values (`1.9999999999999998E23` for 2.0E23), which read back as the same
//!   number.
//!
//! Like Kafka Connect, a STRUCT schema's own default value is refused both ways: writing it
//! (in the envelope's schema, or as the replacement of a null) and reading a STRUCT schema with
//! a non-null `default`.

mod config;
mod decode;
mod encode;
mod integral;
mod map_keys;
mod schema;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

pub use config::{
    DECIMAL_FORMAT_CONFIG, JsonConverterConfig, REPLACE_NULL_WITH_DEFAULT_CONFIG,
    SCHEMAS_CACHE_SIZE_CONFIG, SCHEMAS_ENABLE_CONFIG, default_replace_null_with_default,
    default_schemas_cache_size, default_schemas_enable,
};

use crate::converter::{Converter, ConverterConfig, Header, WireFormat};
use crate::error::{ConfigError, DataError, Error, Problem};
use crate::shared::json_parse::{self, Member, Node, member};
use crate::shared::lru::Lru;
use connect_api::data::Trail;
use connect_api::data::{SchemaAndValue, SchemaRef, Value};
use decode::Decoder;
use encode::Encoder;

/// Kafka's class name.
pub const CLASS_NAME: &str = "org.apache.kafka.connect.json.JsonConverter";

/// Reads and writes JSON, with or without the schema envelope.
#[derive(Debug)]
pub struct JsonConverter {
    config: JsonConverterConfig,
    /// Schema allocation address → (the schema, kept alive so the address stays its own; its
    /// JSON text).
    schema_json: Mutex<Lru<usize, (SchemaRef, Bytes)>>,
    /// Schema JSON text → schema.
    schemas: Mutex<Lru<Box<[u8]>, Option<SchemaRef>>>,
    /// The schema JSON text of the last record read through the cache, and its schema.
    last_schema: Mutex<Option<(Bytes, Option<SchemaRef>)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a cache inconsistent: every update is a single insert.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JsonConverter {
    /// From Kafka Connect properties (`schemas.enable`, `schemas.cache.size`,
    /// `decimal.format`, `replace.null.with.default`).
    pub fn new(config: &ConverterConfig) -> Result<Self, ConfigError> {
        Ok(Self::with_config(JsonConverterConfig::from_config(config)?))
    }

    /// From settings.
    pub fn with_config(config: JsonConverterConfig) -> Self {
        let capacity = config.cache_capacity();
        Self {
            config,
            schema_json: Mutex::new(Lru::new(capacity)),
            schemas: Mutex::new(Lru::new(capacity)),
            last_schema: Mutex::new(None),
        }
    }

    /// The settings.
    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    fn encoder(&self) -> Encoder {
        Encoder {
            decimal_format: self.config.decimal_format,
            replace_null_with_default: self.config.replace_null_with_default,
        }
    }

    /// Connect data to JSON bytes; `None` when both schema and value are absent.
    pub fn encode(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let enc = self.encoder();
        let mut out = Vec::with_capacity(256);
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => out.extend_from_slice(&self.schema_to_json(s)?),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            enc.value(
                &mut out,
                schema.map(|s| &**s),
                value,
                &Trail::root("payload"),
                1,
            )?;
            out.push(b'}');
        } else {
            enc.value(&mut out, schema.map(|s| &**s), value, &Trail::root(""), 0)?;
        }
        Ok(Some(Bytes::from(out)))
    }

    /// A schema's JSON text, as in the envelope's `schema` field (Kafka's `asJsonSchema`).
    pub fn schema_to_json(&self, schema: &SchemaRef) -> Result<Bytes, Error> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some((_, json)) = lock(&self.schema_json).get(&key) {
            return Ok(json);
        }
        let mut out = Vec::with_capacity(128);
        schema::write_schema(
            &self.encoder(),
            &mut out,
            schema,
            None,
            &Trail::root("schema"),
            1,
        )?;
        let json = Bytes::from(out);
        lock(&self.schema_json).insert(key, (schema.clone(), json.clone()));
        Ok(json)
    }

    /// A schema from its JSON text (Kafka's `asConnectSchema`); `None` for `null`.
    pub fn schema_from_json(&self, json: &Bytes) -> Result<Option<SchemaRef>, Error> {
        let root = json_parse::parse(json)?.unwrap_or(Node::Null);
        Ok(self.read_schema_cached(json, &root)?)
    }

    fn read_schema_cached(
        &self,
        key: &[u8],
        node: &Node<'_>,
    ) -> Result<Option<SchemaRef>, DataError> {
        if matches!(node, Node::Null) {
            return Ok(None);
        }
        if let Some(schema) = lock(&self.schemas).get(key) {
            return Ok(schema);
        }
        // Default values in a cached schema must not hold on to the record's buffer: read them
        // against an empty buffer, so their strings are copied.
        let detached = Bytes::new();
        let dec = Decoder {
            input: &detached,
            replace_null_with_default: self.config.replace_null_with_default,
        };
        let schema = schema::read_schema(&dec, node, &Trail::root("schema"))?;
        lock(&self.schemas).insert(key.into(), schema.clone());
        Ok(schema)
    }

    /// JSON bytes to Connect data. Strings in the result share `bytes`.
    pub fn decode(&self, bytes: &Bytes) -> Result<SchemaAndValue, Error> {
        let dec = Decoder {
            input: bytes,
            replace_null_with_default: self.config.replace_null_with_default,
        };
        if self.config.schemas_enable {
            // Records of one topic mostly repeat one schema: skip parsing it when it is cached,
            // and skip even finding its end when it is the previous record's.
            let last = lock(&self.last_schema).clone();
            let mut cached = None;
            let fast = json_parse::known_schema_envelope(
                bytes,
                last.as_ref().map(|(k, _)| &k[..]),
                |key| {
                    cached = lock(&self.schemas).get(key);
                    cached.is_some()
                },
            );
            if let Some(parsed) = fast {
                let envelope = parsed?;
                let schema = match (envelope.same_as_last, last, cached) {
                    (true, Some((_, schema)), _) => schema,
                    (false, _, Some(schema)) => {
                        let (start, end) = envelope.schema;
                        let key = Bytes::copy_from_slice(bytes.get(start..end).unwrap_or_default());
                        *lock(&self.last_schema) = Some((key, schema.clone()));
                        schema
                    }
                    // Not reachable: the envelope is read only for a known schema.
                    _ => return self.decode_full(bytes, &dec),
                };
                let value = dec.value(
                    schema.as_ref(),
                    Some(&envelope.payload),
                    &Trail::root("payload"),
                )?;
                return Ok(SchemaAndValue::new(schema, value));
            }
        }
        self.decode_full(bytes, &dec)
    }

    fn decode_full(&self, bytes: &Bytes, dec: &Decoder<'_>) -> Result<SchemaAndValue, Error> {
        let root = json_parse::parse(bytes)?;
        if !self.config.schemas_enable {
            let value = dec.value(None, root.as_ref(), &Trail::root(""))?;
            return Ok(SchemaAndValue::new(None, value));
        }
        let (schema_member, payload) = envelope(root.as_ref())?;
        let (start, end) = schema_member.span;
        let key = bytes.get(start..end).unwrap_or_default();
        let schema = self.read_schema_cached(key, &schema_member.value)?;
        let value = dec.value(
            schema.as_ref(),
            Some(&payload.value),
            &Trail::root("payload"),
        )?;
        Ok(SchemaAndValue::new(schema, value))
    }
}

/// The `schema` and `payload` members of an envelope, which must have exactly those two.
fn envelope<'n, 'a>(
    root: Option<&'n Node<'a>>,
) -> Result<(&'n Member<'a>, &'n Member<'a>), DataError> {
    let found = match root {
        Some(Node::Object(members)) => {
            if let (2, Some(schema), Some(payload)) = (
                members.len(),
                member(members, "schema"),
                member(members, "payload"),
            ) {
                return Ok((schema, payload));
            }
            let names: Vec<&str> = members.iter().map(|m| &*m.key).take(8).collect();
            format!("an object with fields {names:?}")
        }
        Some(node) => format!("a JSON {}", node.kind_name()),
        None => "no JSON value".to_owned(),
    };
    Err(DataError::at_root(Problem::Mismatch {
        expected: "an object with exactly the fields \"schema\" and \"payload\" \
                   (schemas.enable=true; set schemas.enable=false to read plain JSON)"
            .into(),
        found: found.into(),
    }))
}

impl Converter for JsonConverter {
    fn class_name(&self) -> &'static str {
        CLASS_NAME
    }

    fn wire_format(&self) -> WireFormat {
        WireFormat::Json {
            schemas_enable: self.config.schemas_enable,
            decimal_format: self.config.decimal_format,
            replace_null_with_default: self.config.replace_null_with_default,
        }
    }

    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        self.encode(schema, value)
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error> {
        match value {
            None => Ok(SchemaAndValue::default()),
            Some(bytes) => self.decode(bytes),
        }
    }
}

#[cfg(test)]
mod tests;
