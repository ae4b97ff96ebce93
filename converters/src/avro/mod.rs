//! `io.confluent.connect.avro.AvroConverter`: Connect data as Avro in Confluent's wire format
//! (magic byte `0x00`, 4-byte big-endian schema id, Avro binary), with schemas in a Confluent
//! compatible schema registry.
//!
//! # Schemas
//!
//! Connect and Avro schemas map into each other as Confluent's `AvroData` maps them (with its
//! default settings: `connect.meta.data=true`, no enhanced schema support), so this converter
//! registers the same schema text and reads what Confluent's converter writes:
//!
//! | Connect | Avro |
//! |---------|------|
//! | INT8 / INT16 | `{"type":"int","connect.type":"int8"}` / `"int16"` |
//! | INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES | `int`, `long`, `float`, `double`, `boolean`, `string`, `bytes` |
//! | Decimal | `bytes` with `"logicalType":"decimal"`, `scale`, and `precision` from the `connect.decimal.precision` parameter (default 64) |
//! | Date / Time / Timestamp | `int` `date` / `int` `time-millis` / `long` `timestamp-millis` |
//! | ARRAY | `array` |
//! | MAP with (required) STRING keys | `map` |
//! | other MAPs | `array` of records `io.confluent.connect.avro.MapEntry` `{key, value}` (a named map names the record and marks it `"connect.internal.type":"MapEntry"`) |
//! | STRUCT | `record` named by the schema name split at its last dot into namespace and name; unnamed: `io.confluent.connect.avro.ConnectDefault`, then `ConnectDefault2`, `ConnectDefault3`, ... |
//! | optional schema | union `["null", T]` and field default `null`; with a default value `[T, "null"]` and that default |
//! | struct `io.confluent.connect.avro.Union` | Avro union of its fields' types |
//! | BYTES named, with `connect.fixed.size` | `fixed` |
//!
//! Each non-union type carries `connect.doc`, `connect.version`, `connect.parameters`,
//! `connect.default`, `connect.name` and `connect.type` properties where they apply, and
//! parameters starting with `avro` as properties. Record docs and field docs travel in the
//! `io.confluent.connect.avro.record.doc` / `io.confluent.connect.avro.field.doc.<field>`
//! parameters. Equal schemas used twice become one Avro type referred to by name. Reading maps
//! back, plus Avro's own types: `enum` → STRING with `io.confluent.connect.avro.Enum*`
//! parameters, `fixed` → BYTES with `connect.fixed.size`, other unions → the
//! `io.confluent.connect.avro.Union` struct (fields named after the member types), other
//! logical types → their underlying type. The top-level schema of a record read gets the
//! registry's version of the schema under the record's subject unless it has `connect.version`.
//!
//! # Caches and the registry
//!
//! Writing caches, per Connect schema allocation (so build each schema once and share it), the
//! Avro schema and the schema id per subject; reading caches, per schema id, the Avro schema and
//! the Connect schema per subject. Cached calls are pure CPU; only misses call the registry, on
//! a small shared runtime (see `schema_registry.rs`), so the converter works from plain threads, glommio
//! shards and tokio tasks alike. [`AvroConverter::prime`] loads a known schema id without asking
//! the registry. Registry failures are classified: an unknown schema id or subject and schemas
//! the registry refuses are bad data, refused credentials are configuration, transport failures,
//! timeouts, 5xx and 429 are retriable.
//!
//! # Differences from Confluent's converter
//!
//! Deliberate:
//!
//! - Schemaless data (a value without schema) is refused; Confluent writes it with its
//!   recursive `io.confluent.connect.avro.Anything` schema, which Connect schemas here cannot
//!   express. Recursive Avro schemas are refused on reading for the same reason.
//! - Values are checked, not coerced: an Avro `int` read into INT8/INT16 that does not fit is an
//!   error (Java truncates), a boolean byte other than 0 or 1 is an error (Java reads false), a
//!   Decimal whose scale differs from its schema's or bytes of the wrong size for a `fixed` are
//!   errors on writing (Java writes corrupt data for the latter).
//! - On reading, failing to find the schema's version under the subject (the schema was
//!   registered under another subject) leaves the version unset instead of failing the record.
//! - A logical type's own version (1) wins over a different `connect.version` or registry
//!   version instead of failing with "Mismatched versions".
//! - Two different Connect structs with the same name in one schema are an error (Java's result
//!   depends on whether the two name strings are the same Java object).
//! - `use.latest.version` writes each struct field into the latest schema's field of the same
//!   name (fields the struct lacks take null or their Avro default) instead of by position, and
//!   `latest.compatibility.strict` is not checked beforehand: a value that does not fit the
//!   latest schema fails while being written.
//! - Not supported: `connect.meta.data=false`, `enhanced.avro.schema.support`,
//!   `generalized.sum.type.support`, `scrub.invalid.names`, schema ids in record headers,
//!   `use.schema.id`, schema references, rule sets. Confluent's converter itself is not on Maven
//!   Central, so byte-for-byte comparisons against it are not part of the tests; the schema
//!   texts follow `AvroData` and Avro's Java `Schema.toString()` rule by rule.
//!
//! Bytes after the Avro datum are ignored, as Confluent's deserializer does by default
//! (`avro.fail.on.trailing.data=false`); a top-level `bytes` schema is the raw bytes after the
//! header, without length, as Confluent writes it.
//!
//! The binary codec is this module's own, driven by schemas that `apache-avro` has validated: it
//! reads strings and bytes as slices of the record's buffer and writes Connect values directly,
//! where going through `apache_avro::types::Value` trees copies every field name and string per
//! record (about 7× slower to encode and 1.5× slower to decode in `bench`'s converter
//! benchmarks, before any Connect conversion). Tests check it against `apache-avro`'s encoder
//! and decoder.

mod config;
mod decode;
mod encode;
mod json;
mod model;
mod names;
mod schema_registry;
mod to_avro;
mod to_connect;
pub mod wire;

#[cfg(test)]
mod tests;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use registry_client::RegistryClient;

pub use config::{
    AUTO_REGISTER_SCHEMAS_CONFIG, AvroConverterConfig, KEY_SUBJECT_NAME_STRATEGY_CONFIG,
    SCHEMAS_CACHE_SIZE_CONFIG, SubjectNameStrategy, USE_LATEST_VERSION_CONFIG,
    VALUE_SUBJECT_NAME_STRATEGY_CONFIG, default_auto_register_schemas, default_schemas_cache_size,
    default_use_latest_version,
};
pub use connect_api::data::FrameProblem;
pub use names::{DECIMAL_PRECISION_DEFAULT, DECIMAL_PRECISION_PARAM};
pub use schema_registry::set_thread_nonblocking;

use crate::converter::{Converter, ConverterConfig, Header, WireFormat};
use crate::error::{ConfigError, DataError, Error, Problem};
use crate::shared::lru::Lru;
use connect_api::data::Trail;
use connect_api::data::{Decimal, Logical, SchemaAndValue, SchemaRef, Value};
use model::{AvroSchema, Kind};

/// Confluent's class name.
pub const CLASS_NAME: &str = "io.confluent.connect.avro.AvroConverter";

/// The Avro schema text `AvroConverter` registers for a Connect schema.
pub fn to_avro_schema(schema: &connect_api::data::Schema) -> Result<String, DataError> {
    to_avro::avro_schema_text(schema).map_err(DataError::at_root)
}

/// The Connect schema `AvroConverter` reads data of an Avro schema with.
pub fn to_connect_schema(avro: &str) -> Result<SchemaRef, DataError> {
    let avro =
        AvroSchema::parse(avro).map_err(|e| DataError::at_root(Problem::InvalidSchema(e)))?;
    to_connect::connect_schema(&avro, None).map_err(DataError::at_root)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is a single insert or push; a panic elsewhere cannot leave a cache half done.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a Connect schema is written as.
#[derive(Debug)]
struct Writer {
    /// Kept so the allocation address used as cache key stays this schema's.
    _schema: SchemaRef,
    avro: Arc<AvroSchema>,
    record: Option<String>,
    /// Schema ids per subject this schema was written under.
    targets: Mutex<Vec<Arc<Target>>>,
    /// The size of the last record written, to size the next buffer.
    last_len: AtomicUsize,
}

/// The id and writer schema for one subject.
#[derive(Debug)]
struct Target {
    subject: String,
    id: u32,
    avro: Arc<AvroSchema>,
}

/// What a schema id is read as.
#[derive(Debug)]
struct Reader {
    avro: Arc<AvroSchema>,
    record: Option<String>,
    /// Connect schemas per subject (which decides the registry version).
    schemas: Mutex<Vec<(Option<String>, SchemaRef)>>,
}

/// Reads and writes Avro in Confluent's wire format.
#[derive(Debug)]
pub struct AvroConverter {
    config: AvroConverterConfig,
    registry: schema_registry::SchemaRegistry,
    writers: Mutex<Lru<usize, Arc<Writer>>>,
    readers: Mutex<Lru<u32, Arc<Reader>>>,
    /// (subject, normalized schema text) → id, from registrations, lookups and `prime`.
    ids: Mutex<Lru<(String, Arc<str>), u32>>,
    /// Subject → its latest schema, for `use.latest.version` (kept, like Confluent's default
    /// `latest.cache.ttl.sec=-1`).
    latest: Mutex<Lru<String, Arc<Target>>>,
}

impl AvroConverter {
    /// From Confluent's properties (see [`AvroConverterConfig`]) and the registry client's.
    pub fn new(config: &ConverterConfig) -> Result<Self, ConfigError> {
        let settings = AvroConverterConfig::from_config(config)?;
        let client = RegistryClient::new(&settings.registry).map_err(|e| {
            let url = config.get(registry_client::config::URL).unwrap_or_default();
            ConfigError::invalid(registry_client::config::URL, url, e.to_string())
        })?;
        Ok(Self::with_client(settings, client))
    }

    /// With a registry client of the caller's (for example one shared by several converters;
    /// clones share caches and connections). `config.registry` is then not used.
    pub fn with_client(config: AvroConverterConfig, client: RegistryClient) -> Self {
        let capacity = config.cache_capacity().max(1);
        Self {
            config,
            registry: schema_registry::SchemaRegistry::new(client),
            writers: Mutex::new(Lru::new(capacity)),
            readers: Mutex::new(Lru::new(capacity)),
            ids: Mutex::new(Lru::new(capacity)),
            latest: Mutex::new(Lru::new(capacity)),
        }
    }

    /// The settings.
    pub fn config(&self) -> &AvroConverterConfig {
        &self.config
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        self.registry.client()
    }

    /// Loads a known fact into the caches, so records need no registry call for it: `schema`
    /// (Avro schema text) is registered under `subject` with schema id `id`. Reading that id
    /// then needs no registry (the Connect schema gets no registry version), writing a Connect
    /// schema whose Avro schema is `schema` (see [`to_avro_schema`]) to that subject uses `id`,
    /// and with `use.latest.version` the schema primed last counts as the subject's latest.
    pub fn prime(&self, subject: &str, id: u32, schema: &str) -> Result<(), Error> {
        let avro = Arc::new(parse_schema(schema, Some(id))?);
        let connect = to_connect::connect_schema(&avro, None).map_err(DataError::at_root)?;
        lock(&self.ids).insert((subject.to_owned(), avro.normalized.clone()), id);
        let reader = Arc::new(Reader {
            record: avro.record_name(),
            avro: avro.clone(),
            schemas: Mutex::new(vec![(Some(subject.to_owned()), connect)]),
        });
        lock(&self.readers).insert(id, reader);
        let target = Arc::new(Target {
            subject: subject.to_owned(),
            id,
            avro,
        });
        lock(&self.latest).insert(subject.to_owned(), target);
        Ok(())
    }

    fn is_key(&self) -> bool {
        self.config.is_key()
    }

    /// Connect data to a frame; `None` for a null value.
    pub fn encode(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        let Some(schema) = schema else {
            if value.is_null() {
                return Ok(None);
            }
            return Err(DataError::at_root(Problem::Unsupported(
                "AvroConverter needs a schema to write a value (schemaless data is not supported)"
                    .into(),
            ))
            .into());
        };
        if value.is_null() {
            if schema.is_optional() {
                return Ok(None);
            }
            return Err(DataError::at_root(Problem::NullForRequired(schema.ty())).into());
        }
        let writer = self.writer(schema)?;
        let target = self.target(&writer, topic)?;
        let mut out = wire::header(target.id, writer.last_len.load(Ordering::Relaxed));
        let root = &target.avro.root;
        match (&root.kind, value) {
            // Confluent writes a top-level `bytes` schema as the raw bytes, without length.
            (Kind::Bytes, Value::Bytes(b)) => out.extend_from_slice(b),
            (Kind::Bytes, Value::Decimal(d)) => out.extend_from_slice(&d.to_unscaled_bytes()),
            _ => encode::value(&mut out, schema, root, value, &Trail::root(""))?,
        }
        writer.last_len.store(out.len(), Ordering::Relaxed);
        Ok(Some(Bytes::from(out)))
    }

    /// A frame to Connect data. Strings and bytes in the result share `frame`'s buffer.
    pub fn decode(&self, topic: &str, frame: &Bytes) -> Result<SchemaAndValue, Error> {
        let id = wire::schema_id(topic, frame)?;
        let reader = self.reader(id, topic)?;
        let schema = self.reader_schema(&reader, topic)?;
        let mut input = decode::Reader::new(frame, wire::HEADER_LEN);
        let root = &reader.avro.root;
        let value = match root.kind {
            Kind::Bytes => {
                let rest = input.rest();
                match schema.logical() {
                    Some(Logical::Decimal { scale }) => Decimal::from_unscaled_bytes(&rest, scale)
                        .map(Value::Decimal)
                        .map_err(|p| p.to_string()),
                    _ => Ok(Value::Bytes(rest)),
                }
            }
            _ => decode::value(&mut input, root, &schema),
        }
        .map_err(|reason| {
            DataError::at_root(Problem::InvalidAvro {
                topic: topic.to_owned(),
                schema_id: id,
                reason,
            })
        })?;
        Ok(SchemaAndValue::new(Some(schema), value))
    }

    fn writer(&self, schema: &SchemaRef) -> Result<Arc<Writer>, Error> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some(writer) = lock(&self.writers).get(&key) {
            return Ok(writer);
        }
        let text = to_avro::avro_schema_text(schema).map_err(DataError::at_root)?;
        let avro = Arc::new(parse_schema(&text, None)?);
        let writer = Arc::new(Writer {
            _schema: schema.clone(),
            record: avro.record_name(),
            avro,
            targets: Mutex::new(Vec::new()),
            last_len: AtomicUsize::new(64),
        });
        lock(&self.writers).insert(key, writer.clone());
        Ok(writer)
    }

    fn target(&self, writer: &Writer, topic: &str) -> Result<Arc<Target>, Error> {
        let strategy = self.config.strategy();
        let record = writer.record.as_deref();
        let found = lock(&writer.targets)
            .iter()
            .find(|t| strategy.matches(&t.subject, topic, self.is_key(), record))
            .cloned();
        if let Some(target) = found {
            return Ok(target);
        }
        let subject = strategy
            .subject(topic, self.is_key(), record)
            .map_err(|e| DataError::at_root(Problem::Unsupported(e)))?;
        let target = self.resolve(subject, &writer.avro)?;
        lock(&writer.targets).push(target.clone());
        Ok(target)
    }

    /// The id (and writer schema) for writing `avro` under `subject`, as Confluent's serializer
    /// picks it: register, else the latest version, else look the schema up.
    fn resolve(&self, subject: String, avro: &Arc<AvroSchema>) -> Result<Arc<Target>, Error> {
        if !self.config.auto_register_schemas && self.config.use_latest_version {
            if let Some(latest) = lock(&self.latest).get(&subject) {
                return Ok(latest);
            }
            let found = self.registry.latest(&subject)?;
            let latest_avro = Arc::new(parse_schema(&found.schema.schema, Some(found.id))?);
            let target = Arc::new(Target {
                subject: subject.clone(),
                id: found.id,
                avro: latest_avro,
            });
            lock(&self.latest).insert(subject, target.clone());
            return Ok(target);
        }
        let key = (subject, avro.normalized.clone());
        let known = lock(&self.ids).get(&key);
        let id = match known {
            Some(id) => id,
            None => {
                let id = if self.config.auto_register_schemas {
                    self.registry.register(&key.0, &avro.text)?
                } else {
                    self.registry.lookup_id(&key.0, &avro.text)?
                };
                lock(&self.ids).insert(key.clone(), id);
                id
            }
        };
        Ok(Arc::new(Target {
            subject: key.0,
            id,
            avro: avro.clone(),
        }))
    }

    fn reader(&self, id: u32, topic: &str) -> Result<Arc<Reader>, Error> {
        if let Some(reader) = lock(&self.readers).get(&id) {
            return Ok(reader);
        }
        let registered = self.registry.schema_by_id(id, topic)?;
        if registered.schema_type != registry_client::SchemaType::Avro {
            return Err(DataError::at_root(Problem::InvalidSchema(format!(
                "schema id {id} is a {} schema, not Avro",
                registered.schema_type
            )))
            .into());
        }
        let avro = Arc::new(parse_schema(&registered.schema, Some(id))?);
        let reader = Arc::new(Reader {
            record: avro.record_name(),
            avro,
            schemas: Mutex::new(Vec::new()),
        });
        lock(&self.readers).insert(id, reader.clone());
        Ok(reader)
    }

    fn reader_schema(&self, reader: &Reader, topic: &str) -> Result<SchemaRef, Error> {
        let strategy = self.config.strategy();
        let record = reader.record.as_deref();
        let matches = |subject: &Option<String>| match subject {
            Some(s) => strategy.matches(s, topic, self.is_key(), record),
            None => record.is_none() && strategy != SubjectNameStrategy::TopicName,
        };
        let found = lock(&reader.schemas)
            .iter()
            .find(|(subject, _)| matches(subject))
            .map(|(_, schema)| schema.clone());
        if let Some(schema) = found {
            return Ok(schema);
        }
        let subject = strategy.subject(topic, self.is_key(), record).ok();
        let version = match &subject {
            Some(subject) => self.registry.version(subject, &reader.avro.text)?,
            None => None,
        };
        let schema =
            to_connect::connect_schema(&reader.avro, version).map_err(DataError::at_root)?;
        lock(&reader.schemas).push((subject, schema.clone()));
        Ok(schema)
    }
}

fn parse_schema(text: &str, id: Option<u32>) -> Result<AvroSchema, Error> {
    AvroSchema::parse(text).map_err(|e| {
        let which = id.map_or_else(
            || "the Avro schema made from the Connect schema".to_owned(),
            |id| format!("schema id {id}"),
        );
        DataError::at_root(Problem::InvalidSchema(format!("{which}: {e}"))).into()
    })
}

impl Converter for AvroConverter {
    fn class_name(&self) -> &'static str {
        CLASS_NAME
    }

    fn wire_format(&self) -> WireFormat {
        let mut hasher = DefaultHasher::new();
        for endpoint in self.client().endpoints() {
            endpoint.url.as_str().hash(&mut hasher);
        }
        WireFormat::Avro {
            registry: hasher.finish(),
        }
    }

    fn from_connect_data(
        &self,
        topic: &str,
        _headers: &[Header],
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Bytes>, Error> {
        self.encode(topic, schema, value)
    }

    fn to_connect_data(
        &self,
        topic: &str,
        _headers: &[Header],
        value: Option<&Bytes>,
    ) -> Result<SchemaAndValue, Error> {
        match value {
            None => Ok(SchemaAndValue::default()),
            Some(frame) => self.decode(topic, frame),
        }
    }
}
