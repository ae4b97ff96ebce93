//! Records from a user's Avro schema (`schema.string` / `schema.filename`), as Confluent's datagen
//! connector makes them: the schema is mapped to a Connect schema the way the Avro converter maps
//! it, and each field gets a random value of its type, steered by the `arg.properties` hints of
//! the avro-random-generator that Confluent's datagen uses:
//!
//! - `options`: a list to pick from (any type),
//! - `range`: `{"min": .., "max": ..}` for numbers (`max` exclusive for integers),
//! - `length`: a number or `{"min": .., "max": ..}` for strings, bytes, arrays and maps,
//! - `iteration`: `{"start": .., "step": ..}` for numbers: record `n` gets `start + n * step`.
//!
//! Other hints are ignored. Optional fields (a union with `null`) are null one time in four unless
//! they have hints. Record `n` depends only on the seed and `n`, like the quickstart sets.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use connect_api::data::{
    Decimal, Logical, Schema, SchemaAndValue, SchemaRef, Str, Struct, Type, Value,
};
use serde_json::Value as Json;

use super::quickstart::Rng;

/// Parameter names the Avro mapping puts on Connect schemas.
const ENUM_SYMBOL: &str = "io.confluent.connect.avro.Enum.";
const UNION: &str = "io.confluent.connect.avro.Union";
const FIXED_SIZE: &str = "connect.fixed.size";
const DECIMAL_PRECISION: &str = "connect.decimal.precision";

/// A data set from a user's Avro schema.
#[derive(Debug, Clone)]
pub struct UserSchema {
    schema: SchemaRef,
    avro: Arc<Json>,
    /// Named Avro types by full and short name, for hints of types referred to by name.
    named: Arc<HashMap<String, Json>>,
    keyfield: Option<String>,
}

impl UserSchema {
    /// Parses `text` (an Avro schema whose top level is a record); `keyfield`, if given, must be
    /// one of its top-level fields. The error says what is wrong, for the config key's message.
    pub fn parse(text: &str, keyfield: Option<&str>) -> Result<Self, String> {
        let avro: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        if avro.get("type").and_then(Json::as_str) != Some("record") {
            return Err("the top-level type must be an Avro record".to_owned());
        }
        let schema = converters::avro::to_connect_schema(text)
            .map_err(|e| format!("not a usable Avro schema: {e}"))?;
        if let Some(key) = keyfield
            && schema.field(key).is_none()
        {
            return Err(format!(
                "schema.keyfield {key:?} is not a top-level field of the schema"
            ));
        }
        let mut named = HashMap::new();
        collect_named(&avro, None, &mut named);
        Ok(Self {
            schema,
            avro: Arc::new(avro),
            named: Arc::new(named),
            keyfield: keyfield.map(str::to_owned),
        })
    }

    /// The Connect schema of the values.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Record `n` for `seed`: the key (the key field's value as a string, or null) and value.
    pub fn generate(&self, seed: u64, n: u64) -> (SchemaAndValue, SchemaAndValue) {
        let mut rng = Rng::new(seed, n);
        let generator = Gen {
            named: &self.named,
            n,
        };
        let value = generator.value(&self.schema, Some(&self.avro), &mut rng);
        let key = match (&self.keyfield, &value) {
            (Some(field), Value::Struct(s)) => s
                .get(field)
                .map(key_text)
                .map_or_else(SchemaAndValue::default, |k| {
                    SchemaAndValue::new(Some(Schema::string()), Value::String(Str::from(k)))
                }),
            _ => SchemaAndValue::default(),
        };
        (key, SchemaAndValue::new(Some(self.schema.clone()), value))
    }
}

/// The text of a key field's value.
fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) | Value::Date(v) | Value::Time(v) => v.to_string(),
        Value::Int64(v) | Value::Timestamp(v) => v.to_string(),
        Value::Float32(v) => v.to_string(),
        Value::Float64(v) => v.to_string(),
        Value::Boolean(v) => v.to_string(),
        Value::Decimal(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn collect_named(node: &Json, namespace: Option<&str>, out: &mut HashMap<String, Json>) {
    match node {
        Json::Array(branches) => {
            for b in branches {
                collect_named(b, namespace, out);
            }
        }
        Json::Object(o) => {
            let ns = o.get("namespace").and_then(Json::as_str).or(namespace);
            if let (Some(name), Some("record" | "enum" | "fixed")) = (
                o.get("name").and_then(Json::as_str),
                o.get("type").and_then(Json::as_str),
            ) {
                out.insert(name.to_owned(), node.clone());
                if let Some(ns) = ns.filter(|_| !name.contains('.')) {
                    out.insert(format!("{ns}.{name}"), node.clone());
                }
            }
            for f in o
                .get("fields")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = f.get("type") {
                    collect_named(t, ns, out);
                }
            }
            for key in ["items", "values"] {
                if let Some(t) = o.get(key) {
                    collect_named(t, ns, out);
                }
            }
            if let Some(t) = o.get("type").filter(|t| !t.is_string()) {
                collect_named(t, ns, out);
            }
        }
        _ => {}
    }
}

struct Gen<'a> {
    named: &'a HashMap<String, Json>,
    n: u64,
}

impl<'a> Gen<'a> {
    /// The Avro type node `avro` resolved: names looked up, `{"type": {..}}` unwrapped, a
    /// `[null, T]` union reduced to `T`.
    fn resolve(&self, avro: Option<&'a Json>) -> Option<&'a Json> {
        match avro? {
            Json::String(name) => self.named.get(name.as_str()).or(avro),
            Json::Array(branches) => {
                let non_null: Vec<&Json> = branches
                    .iter()
                    .filter(|b| b.as_str() != Some("null"))
                    .collect();
                match non_null.as_slice() {
                    [only] => self.resolve(Some(only)),
                    _ => avro,
                }
            }
            Json::Object(o) => match o.get("type") {
                Some(inner @ (Json::Object(_) | Json::Array(_)))
                    if !o.contains_key("arg.properties") =>
                {
                    self.resolve(Some(inner))
                }
                _ => avro,
            },
            _ => avro,
        }
    }

    fn value(&self, schema: &SchemaRef, avro: Option<&'a Json>, rng: &mut Rng) -> Value {
        let avro = self.resolve(avro);
        let hints = avro.and_then(|a| a.get("arg.properties"));
        if schema.is_optional() && hints.is_none() && rng.range(0, 3) == 0 {
            return Value::Null;
        }
        if let Some(options) = hints
            .and_then(|h| h.get("options"))
            .and_then(Json::as_array)
            && !options.is_empty()
        {
            let i = usize::try_from(rng.range(0, options.len() as u64 - 1)).unwrap_or(0);
            if let Some(v) = options.get(i).and_then(|o| from_json(schema, o)) {
                return v;
            }
        }
        let number = |rng: &mut Rng, default: (f64, f64)| -> f64 {
            if let Some(it) = hints.and_then(|h| h.get("iteration")) {
                let start = it.get("start").and_then(Json::as_f64).unwrap_or(0.0);
                let step = it.get("step").and_then(Json::as_f64).unwrap_or(1.0);
                return start + step * self.n as f64;
            }
            let range = hints.and_then(|h| h.get("range"));
            let min = range
                .and_then(|r| r.get("min"))
                .and_then(Json::as_f64)
                .unwrap_or(default.0);
            let max = range
                .and_then(|r| r.get("max"))
                .and_then(Json::as_f64)
                .unwrap_or(default.1);
            let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            min + unit * (max - min).max(0.0)
        };
        let length = |rng: &mut Rng, default: (u64, u64)| -> usize {
            let (lo, hi) = match hints.and_then(|h| h.get("length")) {
                Some(Json::Number(n)) => (
                    n.as_u64().unwrap_or(default.0),
                    n.as_u64().unwrap_or(default.1),
                ),
                Some(l) => (
                    l.get("min").and_then(Json::as_u64).unwrap_or(default.0),
                    l.get("max").and_then(Json::as_u64).unwrap_or(default.1),
                ),
                None => default,
            };
            usize::try_from(rng.range(lo.min(hi), hi.max(lo))).unwrap_or(0)
        };
        // Integer ranges are [min, max): floor of a uniform real in it.
        let int = |rng: &mut Rng, lo: f64, hi: f64| number(rng, (lo, hi)).floor();
        match (schema.logical(), schema.ty()) {
            (Some(Logical::Date), _) => Value::Date(int(rng, 18_000.0, 21_000.0) as i32),
            (Some(Logical::Time), _) => Value::Time(int(rng, 0.0, 86_400_000.0) as i32),
            (Some(Logical::Timestamp), _) => Value::Timestamp(int(rng, 1.5e12, 1.8e12) as i64),
            (Some(Logical::Decimal { scale }), _) => {
                let digits = schema
                    .parameter(DECIMAL_PRECISION)
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or(10)
                    .clamp(1, 18);
                let bound = 10f64.powi(i32::try_from(digits).unwrap_or(18)) - 1.0;
                Value::Decimal(Decimal::new(int(rng, -bound, bound) as i64, scale))
            }
            (_, Type::Boolean) => Value::Boolean(rng.next_u64() & 1 == 1),
            (_, Type::Int8) => Value::Int8(int(rng, -128.0, 128.0) as i8),
            (_, Type::Int16) => Value::Int16(int(rng, -32_768.0, 32_768.0) as i16),
            (_, Type::Int32) => Value::Int32(int(rng, -1e9, 1e9) as i32),
            (_, Type::Int64) => Value::Int64(int(rng, -1e15, 1e15) as i64),
            (_, Type::Float32) => Value::Float32(number(rng, (-1e6, 1e6)) as f32),
            (_, Type::Float64) => Value::Float64(number(rng, (-1e6, 1e6))),
            (_, Type::String) => {
                let symbols: Vec<&str> = schema
                    .parameters()
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix(ENUM_SYMBOL).map(|_| &**v))
                    .collect();
                if symbols.is_empty() {
                    let len = length(rng, (1, 16));
                    Value::String(Str::from(text(rng, len)))
                } else {
                    let i = usize::try_from(rng.range(0, symbols.len() as u64 - 1)).unwrap_or(0);
                    Value::String(Str::from(
                        symbols.get(i).copied().unwrap_or_default().to_owned(),
                    ))
                }
            }
            (_, Type::Bytes) => {
                let len = match schema.parameter(FIXED_SIZE).and_then(|s| s.parse().ok()) {
                    Some(fixed) => fixed,
                    None => length(rng, (1, 16)),
                };
                Value::Bytes(Bytes::from(
                    (0..len).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>(),
                ))
            }
            (_, Type::Array) => {
                let items = avro.and_then(|a| a.get("items"));
                let len = length(rng, (0, 5));
                match schema.value_schema() {
                    Some(item) => {
                        Value::Array((0..len).map(|_| self.value(item, items, rng)).collect())
                    }
                    None => Value::Array(Vec::new()),
                }
            }
            (_, Type::Map) => {
                let values = avro.and_then(|a| a.get("values"));
                let len = length(rng, (0, 5));
                match (schema.key_schema(), schema.value_schema()) {
                    (Some(k), Some(v)) => Value::Map(
                        (0..len)
                            .map(|i| {
                                // Distinct keys: the index makes them unique.
                                let key = match self.value(k, None, rng) {
                                    Value::String(s) => Value::String(Str::from(format!("{s}{i}"))),
                                    other => other,
                                };
                                (key, self.value(v, values, rng))
                            })
                            .collect(),
                    ),
                    _ => Value::Map(Vec::new()),
                }
            }
            (_, Type::Struct) => self.record(schema, avro, rng),
        }
    }

    fn record(&self, schema: &SchemaRef, avro: Option<&'a Json>, rng: &mut Rng) -> Value {
        let Ok(mut s) = Struct::new(schema.clone()) else {
            return Value::Null;
        };
        let union = schema.name() == Some(UNION);
        // A general union is a struct with one optional field per branch: set one of them.
        let chosen = union.then(|| rng.range(0, schema.fields().len().max(1) as u64 - 1));
        let fields = avro.and_then(|a| a.get("fields")).and_then(Json::as_array);
        let branches = avro.and_then(Json::as_array);
        for (i, field) in schema.fields().iter().enumerate() {
            let avro_type = match (fields, branches) {
                (Some(fields), _) => fields
                    .iter()
                    .find(|f| f.get("name").and_then(Json::as_str) == Some(field.name()))
                    .and_then(|f| f.get("type")),
                (None, Some(branches)) => branches
                    .iter()
                    .filter(|b| b.as_str() != Some("null"))
                    .nth(i),
                _ => None,
            };
            let value = match chosen {
                Some(c) if c != i as u64 => Value::Null,
                Some(_) => {
                    // The chosen branch must not come out null.
                    let required = field.schema().to_builder().required().build();
                    self.value(required.as_ref().unwrap_or(field.schema()), avro_type, rng)
                }
                None => self.value(field.schema(), avro_type, rng),
            };
            let _ = s.put(field.name(), value);
        }
        Value::Struct(s)
    }
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn text(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| {
            let i = usize::try_from(rng.next_u64() % ALPHABET.len() as u64).unwrap_or(0);
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// An `options` entry as a value of `schema`; `None` when it does not fit.
fn from_json(schema: &Schema, option: &Json) -> Option<Value> {
    Some(match (schema.logical(), schema.ty(), option) {
        (_, _, Json::Null) if schema.is_optional() => Value::Null,
        (Some(Logical::Timestamp), _, Json::Number(n)) => Value::Timestamp(n.as_i64()?),
        (Some(Logical::Date), _, Json::Number(n)) => Value::Date(i32::try_from(n.as_i64()?).ok()?),
        (Some(Logical::Time), _, Json::Number(n)) => Value::Time(i32::try_from(n.as_i64()?).ok()?),
        (Some(Logical::Decimal { scale }), _, Json::String(s)) => {
            let d: Decimal = s.parse().ok()?;
            (d.scale() == scale).then_some(Value::Decimal(d))?
        }
        (None, Type::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (None, Type::Int8, Json::Number(n)) => Value::Int8(i8::try_from(n.as_i64()?).ok()?),
        (None, Type::Int16, Json::Number(n)) => Value::Int16(i16::try_from(n.as_i64()?).ok()?),
        (None, Type::Int32, Json::Number(n)) => Value::Int32(i32::try_from(n.as_i64()?).ok()?),
        (None, Type::Int64, Json::Number(n)) => Value::Int64(n.as_i64()?),
        (None, Type::Float32, Json::Number(n)) => Value::Float32(n.as_f64()? as f32),
        (None, Type::Float64, Json::Number(n)) => Value::Float64(n.as_f64()?),
        (None, Type::String, Json::String(s)) => Value::String(Str::from(s.clone())),
        (None, Type::Bytes, Json::String(s)) => Value::Bytes(Bytes::from(s.clone().into_bytes())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{
      "type": "record", "name": "Order", "namespace": "shop",
      "fields": [
        {"name": "id", "type": {"type": "long", "arg.properties": {"iteration": {"start": 100, "step": 2}}}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SENT"]}},
        {"name": "region", "type": {"type": "string", "arg.properties": {"options": ["EU", "US"]}}},
        {"name": "units", "type": {"type": "int", "arg.properties": {"range": {"min": 1, "max": 10}}}},
        {"name": "note", "type": ["null", "string"]},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 2}},
        {"name": "tags", "type": {"type": "array", "items": "string", "arg.properties": {"length": 3}}},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
          {"name": "name", "type": {"type": "string", "arg.properties": {"length": {"min": 4, "max": 4}}}},
          {"name": "tier", "type": "Status"}
        ]}},
        {"name": "code", "type": {"type": "fixed", "name": "Code", "size": 4}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}}
      ]
    }"#;

    fn field<'v>(v: &'v SchemaAndValue, name: &str) -> &'v Value {
        let Value::Struct(s) = &v.value else {
            panic!("struct")
        };
        s.get(name).expect(name)
    }

    #[test]
    fn records_are_reproducible_valid_and_follow_the_hints() {
        let set = UserSchema::parse(SCHEMA, Some("id")).unwrap();
        let mut nulls = 0;
        for n in 0..400 {
            let (key, value) = set.generate(7, n);
            assert_eq!(set.generate(7, n), (key.clone(), value.clone()));
            connect_api::data::validate(set.schema(), &value.value).unwrap();
            let id = 100 + 2 * i64::try_from(n).unwrap();
            assert_eq!(field(&value, "id"), &Value::Int64(id));
            assert_eq!(key.value, Value::String(Str::from(id.to_string())));
            let Value::String(region) = field(&value, "region") else {
                panic!()
            };
            assert!(["EU", "US"].contains(&&**region));
            let Value::String(status) = field(&value, "status") else {
                panic!()
            };
            assert!(["NEW", "PAID", "SENT"].contains(&&**status));
            let Value::Int32(units) = field(&value, "units") else {
                panic!()
            };
            assert!((1..10).contains(units));
            let Value::Array(tags) = field(&value, "tags") else {
                panic!()
            };
            assert_eq!(tags.len(), 3);
            let Value::Bytes(code) = field(&value, "code") else {
                panic!()
            };
            assert_eq!(code.len(), 4);
            nulls += usize::from(field(&value, "note").is_null());
        }
        assert!((50..150).contains(&nulls), "{nulls} null notes of 400");
        assert_ne!(set.generate(7, 0), set.generate(8, 0));
    }

    #[test]
    fn bad_schemas_say_what_is_wrong() {
        assert!(
            UserSchema::parse("{", None)
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            UserSchema::parse(r#""string""#, None)
                .unwrap_err()
                .contains("record")
        );
        assert!(
            UserSchema::parse(
                r#"{"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]}"#,
                None
            )
            .unwrap_err()
            .contains("Avro schema")
        );
        assert!(
            UserSchema::parse(SCHEMA, Some("missing"))
                .unwrap_err()
                .contains("missing")
        );
    }
}
