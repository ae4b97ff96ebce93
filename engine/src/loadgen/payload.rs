//! What the load generator writes: a record carrying its sequence number and send time, padded
//! to the requested size, in the chosen format — so the measuring side can compute end-to-end
//! latency whatever the format.

use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, Str, Struct, Value};
use converters::{
    AvroConverter, Converter, ConverterConfig, ConverterType, JsonConverter, JsonConverterConfig,
};

/// The record formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `<seq>,<send micros>,<padding>` as text.
    String,
    /// `{"seq":..,"ts":..,"payload":".."}`, no schema.
    Json,
    /// The same with Kafka Connect's `{"schema":..,"payload":..}` envelope.
    JsonSchema,
    /// Avro in the Confluent wire format, the schema registered through `--registry`.
    Avro,
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    SchemaBuilder::struct_()
        .name("wharf.loadgen.Record")
        .field("seq", Schema::int64())
        .field("ts", Schema::int64())
        .field("payload", Schema::string())
        .build()
        .unwrap_or_else(|_| Schema::string())
});

/// Microseconds since the epoch.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Builds record values of one format and size, and reads their send time back.
#[derive(Debug, Clone)]
pub struct Payloads {
    format: Format,
    /// Writes and reads the structured formats (JSON, JSON with schema, Avro).
    codec: Arc<dyn Converter>,
    topic: String,
    padding: Str,
    size: usize,
}

impl Payloads {
    /// Payloads for `topic`; `registry` is the schema registry URL, needed for Avro.
    pub fn new(
        format: Format,
        size: usize,
        topic: &str,
        registry: Option<&str>,
    ) -> Result<Self, String> {
        let codec: Arc<dyn Converter> = match format {
            Format::Avro => {
                let url =
                    registry.ok_or("the avro format needs --registry (or SCHEMA_REGISTRY_URL)")?;
                let config =
                    ConverterConfig::new([("schema.registry.url", url)], ConverterType::Value);
                Arc::new(AvroConverter::new(&config).map_err(|e| e.to_string())?)
            }
            _ => {
                let mut config = JsonConverterConfig::defaults(ConverterType::Value);
                config.schemas_enable = format == Format::JsonSchema;
                Arc::new(JsonConverter::with_config(config))
            }
        };
        // The fixed fields take about this many bytes (more with the schema envelope).
        let overhead = match format {
            Format::String => 24,
            Format::Json => 40,
            Format::JsonSchema => 220,
            Format::Avro => 20,
        };
        let padding = "x".repeat(size.saturating_sub(overhead));
        Ok(Self {
            format,
            codec,
            topic: topic.to_owned(),
            padding: Str::from(padding),
            size,
        })
    }

    /// The value of record `seq`, stamped with the current time. On a shard a schema registry
    /// miss is awaited, not blocked on.
    pub async fn value(&self, seq: u64) -> Result<Bytes, converters::Error> {
        let ts = now_micros();
        match self.format {
            Format::String => {
                let mut text = format!("{seq},{ts},");
                text.push_str(self.padding.as_str());
                Ok(Bytes::from(text))
            }
            Format::Json | Format::JsonSchema | Format::Avro => {
                let record = Struct::new(SCHEMA.clone()).and_then(|s| {
                    s.with("seq", Value::Int64(i64::try_from(seq).unwrap_or(i64::MAX)))?
                        .with("ts", Value::Int64(ts))?
                        .with("payload", Value::String(self.padding.clone()))
                });
                let value = record.map_or(Value::Null, Value::Struct);
                let bytes = settle(|| {
                    self.codec
                        .from_connect_data(&self.topic, &[], Some(&SCHEMA), &value)
                })
                .await?;
                Ok(bytes.unwrap_or_default())
            }
        }
    }

    /// Target value size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The send time (micros) and sequence number in a value, if it is one of ours.
    pub async fn read(&self, value: &Bytes) -> Option<(i64, u64)> {
        match self.format {
            Format::String => {
                let text = std::str::from_utf8(value).ok()?;
                let mut parts = text.splitn(3, ',');
                let seq = parts.next()?.parse().ok()?;
                let ts = parts.next()?.parse().ok()?;
                Some((ts, seq))
            }
            Format::Json | Format::JsonSchema | Format::Avro => {
                let data = settle(|| self.codec.to_connect_data(&self.topic, &[], Some(value)))
                    .await
                    .ok()?;
                let Value::Struct(s) = &data.value else {
                    return match &data.value {
                        Value::Map(entries) => {
                            let get = |name: &str| {
                                entries.iter().find_map(|(k, v)| match (k, v) {
                                    (Value::String(k), Value::Int64(n)) if k.as_str() == name => {
                                        Some(*n)
                                    }
                                    _ => None,
                                })
                            };
                            Some((get("ts")?, u64::try_from(get("seq")?).ok()?))
                        }
                        _ => None,
                    };
                };
                let ts = match s.get("ts")? {
                    Value::Int64(n) => *n,
                    _ => return None,
                };
                let seq = match s.get("seq")? {
                    Value::Int64(n) => u64::try_from(*n).ok()?,
                    _ => return None,
                };
                Some((ts, seq))
            }
        }
    }
}

/// Calls `op` again after each schema registry call it had to wait for.
async fn settle<T>(
    mut op: impl FnMut() -> Result<T, converters::Error>,
) -> Result<T, converters::Error> {
    loop {
        match op() {
            Err(e) => match e.pending() {
                Some(pending) => pending.ready().await,
                None => return Err(e),
            },
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_have_about_the_requested_size() {
        for format in [Format::String, Format::Json, Format::JsonSchema] {
            let p = Payloads::new(format, 1000, "t", None).unwrap();
            let v = futures::executor::block_on(p.value(7)).unwrap();
            let (ts, seq) = futures::executor::block_on(p.read(&v)).unwrap();
            assert_eq!(seq, 7, "{format:?}");
            assert!((now_micros() - ts).abs() < 10_000_000);
            assert!(v.len().abs_diff(1000) < 200, "{format:?}: {}", v.len());
        }
    }
}
