//! Helpers shared by the transforms: which side of the record they work on, Kafka Connect's
//! `Requirements` checks, the per-schema cache, and map/struct access.

use std::cell::RefCell;
use std::sync::Arc;

use connect_api::data::DataError;
use connect_api::data::{
    Field, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Value,
};

use super::TransformError;
use super::record::ConnectRecord;

/// Key or value: the `$Key` / `$Value` variants of a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Key,
    Value,
}

impl Side {
    pub(crate) fn get(self, record: &ConnectRecord) -> &SchemaAndValue {
        match self {
            Self::Key => &record.key,
            Self::Value => &record.value,
        }
    }

    pub(crate) fn take(self, record: &mut ConnectRecord) -> SchemaAndValue {
        match self {
            Self::Key => std::mem::take(&mut record.key),
            Self::Value => std::mem::take(&mut record.value),
        }
    }

    pub(crate) fn put(self, record: &mut ConnectRecord, data: SchemaAndValue) {
        match self {
            Self::Key => record.key = data,
            Self::Value => record.value = data,
        }
    }
}

/// What went wrong with a record, before the chain adds the transform's alias and the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    pub(crate) fn in_field(mut self, field: &str) -> Self {
        if self.field.is_none() {
            self.field = Some(field.to_owned());
        }
        self
    }
}

impl From<DataError> for Fail {
    fn from(e: DataError) -> Self {
        Self::new(e.to_string())
    }
}

/// Who a transform is, for its error messages.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) alias: Arc<str>,
}

impl Ctx {
    pub(crate) fn error(&self, topic: &Arc<str>, fail: Fail) -> TransformError {
        TransformError::Data {
            alias: self.alias.clone(),
            topic: topic.clone(),
            field: fail.field,
            message: fail.message,
        }
    }

    /// Runs `f` on the key or value, putting its result back in the record.
    pub(crate) fn apply_side(
        &self,
        side: Side,
        mut record: ConnectRecord,
        f: impl FnOnce(SchemaAndValue) -> Result<SchemaAndValue, Fail>,
    ) -> Result<Option<ConnectRecord>, TransformError> {
        let data = side.take(&mut record);
        let out = f(data).map_err(|fail| self.error(&record.topic, fail))?;
        side.put(&mut record, out);
        Ok(Some(record))
    }
}

/// Kafka Connect's name for the Java class of a value, as its messages print it.
pub(crate) fn java_class(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "class java.lang.Boolean",
        Value::Int8(_) => "class java.lang.Byte",
        Value::Int16(_) => "class java.lang.Short",
        Value::Int32(_) => "class java.lang.Integer",
        Value::Int64(_) => "class java.lang.Long",
        Value::Float32(_) => "class java.lang.Float",
        Value::Float64(_) => "class java.lang.Double",
        Value::String(_) => "class java.lang.String",
        Value::Bytes(_) => "class [B",
        Value::Array(_) => "class java.util.ArrayList",
        Value::Map(_) => "class java.util.HashMap",
        Value::Struct(_) => "class org.apache.kafka.connect.data.Struct",
        Value::Decimal(_) => "class java.math.BigDecimal",
        Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => "class java.util.Date",
    }
}

fn class_name(value: &Value) -> &'static str {
    java_class(value).strip_prefix("class ").unwrap_or("null")
}

/// `Requirements.requireStruct`.
pub(crate) fn require_struct<'v>(value: &'v Value, purpose: &str) -> Result<&'v Struct, Fail> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(Fail::new(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// `Requirements.requireMap`.
pub(crate) fn require_map<'v>(
    value: &'v Value,
    purpose: &str,
) -> Result<&'v [(Value, Value)], Fail> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(Fail::new(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// `Requirements.requireMap`, taking the entries.
pub(crate) fn into_map(value: Value, purpose: &str) -> Result<Vec<(Value, Value)>, Fail> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => require_map(&other, purpose).map(<[_]>::to_vec),
    }
}

/// The value of a schemaless map entry with a string key.
pub(crate) fn map_get<'m>(entries: &'m [(Value, Value)], key: &str) -> Option<&'m Value> {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// `Map.put`: replaces the value of an existing key in place, or appends.
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &Str, value: Value) {
    match entries
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some(key.as_str()))
    {
        Some(slot) => slot.1 = value,
        None => entries.push((Value::String(key.clone()), value)),
    }
}

/// `Map.remove`.
pub(crate) fn map_remove(entries: &mut Vec<(Value, Value)>, key: &str) {
    entries.retain(|(k, _)| k.as_str() != Some(key));
}

/// A struct field's value, or its schema's default when it is null and `with_default`
/// (the transforms' `replace.null.with.default`).
pub(crate) fn field_value(field: &Field, raw: &Value, with_default: bool) -> Value {
    match (raw, field.schema().default_value()) {
        (Value::Null, Some(default)) if with_default => default.clone(),
        _ => raw.clone(),
    }
}

/// A struct of `schema` from `(field name, value)` pairs; each value is checked as
/// `Struct.put` checks it.
pub(crate) fn build_struct<'a>(
    schema: &SchemaRef,
    values: impl IntoIterator<Item = (&'a str, Value)>,
) -> Result<Struct, Fail> {
    let mut out = Struct::new(schema.clone())?;
    for (name, value) in values {
        out.put(name, value)
            .map_err(|e| Fail::from(e).in_field(name))?;
    }
    Ok(out)
}

/// `SchemaUtil.copySchemaBasics`: name, version, doc and parameters (not optionality or the
/// default).
pub(crate) fn copy_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = source.name() {
        builder = builder.name(name);
    }
    if let Some(version) = source.version() {
        builder = builder.version(version);
    }
    if let Some(doc) = source.doc() {
        builder = builder.doc(doc);
    }
    for (k, v) in source.parameters() {
        builder = builder.parameter(k.clone(), v.clone());
    }
    builder
}

/// Builds a derived schema; a failure is the record's problem (e.g. a field name clash).
pub(crate) fn build_schema(builder: SchemaBuilder) -> Result<SchemaRef, Fail> {
    builder.build().map_err(Fail::from)
}

/// Java's `String.split(":")`: trailing empty strings are removed.
pub(crate) fn java_split(text: &str, separator: char) -> Vec<&str> {
    if text.is_empty() {
        return vec![text];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// How many derived schemas a transform keeps (Kafka Connect's transforms keep 16).
const CACHE_SIZE: usize = 16;

/// Derived data per input schema: found by the schema's allocation first, then by equality, so
/// records with the same schema share one derived value. Not `Sync`: a chain lives on one shard.
#[derive(Debug)]
pub(crate) struct SchemaCache<V> {
    entries: RefCell<Vec<(SchemaRef, V)>>,
}

impl<V> Default for SchemaCache<V> {
    fn default() -> Self {
        Self {
            entries: RefCell::new(Vec::new()),
        }
    }
}

impl<V: Clone> SchemaCache<V> {
    pub(crate) fn get_or_try_insert(
        &self,
        schema: &SchemaRef,
        derive: impl FnOnce() -> Result<V, Fail>,
    ) -> Result<V, Fail> {
        if let Ok(entries) = self.entries.try_borrow() {
            if let Some((_, v)) = entries.iter().find(|(k, _)| Arc::ptr_eq(k, schema)) {
                return Ok(v.clone());
            }
            if let Some((_, v)) = entries.iter().find(|(k, _)| **k == **schema) {
                return Ok(v.clone());
            }
        }
        let derived = derive()?;
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            if entries.len() >= CACHE_SIZE {
                entries.remove(0);
            }
            entries.push((schema.clone(), derived.clone()));
        }
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_drops_trailing_empty_parts() {
        assert_eq!(java_split("a:b", ':'), ["a", "b"]);
        assert_eq!(java_split("a:", ':'), ["a"]);
        assert_eq!(java_split(":b", ':'), ["", "b"]);
        assert_eq!(java_split("a:b:", ':'), ["a", "b"]);
        assert!(java_split(":", ':').is_empty());
    }

    #[test]
    fn cache_hits_by_pointer_and_by_equality() {
        let cache: SchemaCache<u32> = SchemaCache::default();
        let a = SchemaBuilder::struct_()
            .field("x", Schema::int32())
            .build()
            .unwrap();
        let same = SchemaBuilder::struct_()
            .field("x", Schema::int32())
            .build()
            .unwrap();
        assert_eq!(cache.get_or_try_insert(&a, || Ok(1)).unwrap(), 1);
        assert_eq!(cache.get_or_try_insert(&a, || Ok(2)).unwrap(), 1);
        assert_eq!(cache.get_or_try_insert(&same, || Ok(3)).unwrap(), 1);
        assert_eq!(
            cache
                .get_or_try_insert(&Schema::int64(), || Err(Fail::new("no")))
                .unwrap_err()
                .message,
            "no"
        );
    }
}
