//! `TimestampConverter`: converts a timestamp field (or the whole key or value, when `field` is
//! empty) between Unix epoch numbers (`unix`, in `unix.precision`), strings in a
//! `SimpleDateFormat` pattern (`string`), and Connect's `Date`, `Time` and `Timestamp`.
//!
//! The input's kind comes from the schema (Timestamp/Date/Time logical types, STRING, INT64), or
//! for schemaless data from the value (a string, a 64-bit integer, a date). Patterns are read and
//! written in UTC; see [`datefmt`](super::datefmt) for the pattern support.

use connect_api::data::logical::{date_schema, time_schema, timestamp_schema};
use connect_api::data::{
    Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Type, Value,
};

use super::config::PluginConfig;
use super::datefmt::{DAY_MS, DateFormat};
use super::java::date_millis;
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, field_value, into_map, java_class,
    map_get, map_put, require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub(crate) const DOC: &str = "Convert timestamps between different formats such as Unix epoch, \
strings, and Connect Date/Timestamp types. Applies to individual fields or to the entire value.";

const FIELD: &str = "field";
const TARGET_TYPE: &str = "target.type";
const FORMAT: &str = "format";
const UNIX_PRECISION: &str = "unix.precision";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "converting timestamp formats";

fn check_target(raw: &str) -> Result<(), String> {
    Kind::named(raw)
        .map(|_| ())
        .ok_or_else(|| "String must be one of: string, unix, Date, Time, Timestamp".to_owned())
}

fn check_precision(raw: &str) -> Result<(), String> {
    Precision::named(raw).map(|_| ()).ok_or_else(|| {
        "String must be one of: nanoseconds, microseconds, milliseconds, seconds".to_owned()
    })
}

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            FIELD,
            ConfigType::String,
            "",
            "The field containing the timestamp, or empty if the entire value is a timestamp",
        )
        .importance(Importance::High),
        ConfigKey::required(
            TARGET_TYPE,
            ConfigType::String,
            "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
        )
        .validate(Validator::Custom(check_target)),
        ConfigKey::optional(
            FORMAT,
            ConfigType::String,
            "",
            "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output \
             when type=string or used to parse the input if the input is a string.",
        ),
        ConfigKey::optional(
            UNIX_PRECISION,
            ConfigType::String,
            "milliseconds",
            "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, \
             or nanoseconds. Used to generate the output when type=unix or used to parse the \
             input if the input is a Long. Note: This SMT will cause precision loss during \
             conversions from, and to, values with sub-millisecond components.",
        )
        .importance(Importance::Low)
        .validate(Validator::Custom(check_precision)),
        ConfigKey::optional(
            REPLACE_NULL,
            ConfigType::Boolean,
            "true",
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        ),
    ])
}

/// A timestamp representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "unix" => Self::Unix,
            "Date" => Self::Date,
            "Time" => Self::Time,
            "Timestamp" => Self::Timestamp,
            _ => return None,
        })
    }

    /// `timestampTypeFromSchema`.
    fn of_schema(schema: &Schema) -> Result<Self, Fail> {
        use connect_api::data::logical::{DATE_NAME, TIME_NAME, TIMESTAMP_NAME};
        Ok(match (schema.name(), schema.ty()) {
            (Some(TIMESTAMP_NAME), _) => Self::Timestamp,
            (Some(DATE_NAME), _) => Self::Date,
            (Some(TIME_NAME), _) => Self::Time,
            (_, Type::String) => Self::String,
            (_, Type::Int64) => Self::Unix,
            _ => {
                return Err(Fail::new(format!(
                    "Schema {} does not correspond to a known timestamp type format",
                    describe(schema)
                )));
            }
        })
    }

    /// `inferTimestampType`.
    fn of_value(value: &Value) -> Result<Self, Fail> {
        Ok(match value {
            Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => Self::Timestamp,
            Value::Int64(_) => Self::Unix,
            Value::String(_) => Self::String,
            other => {
                return Err(Fail::new(format!(
                    "TimestampConverter does not support {} objects as timestamps",
                    java_class(other)
                )));
            }
        })
    }
}

fn describe(schema: &Schema) -> String {
    match schema.name() {
        Some(name) => format!("Schema{{{name}:{}}}", schema.ty()),
        None => format!("Schema{{{}}}", schema.ty()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl Precision {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "seconds" => Self::Seconds,
            "milliseconds" => Self::Millis,
            "microseconds" => Self::Micros,
            "nanoseconds" => Self::Nanos,
            _ => return None,
        })
    }

    /// `TimeUnit.toMillis`: truncating, saturating.
    fn millis_of(self, v: i64) -> i64 {
        match self {
            Self::Seconds => v.saturating_mul(1000),
            Self::Millis => v,
            Self::Micros => v / 1000,
            Self::Nanos => v / 1_000_000,
        }
    }

    fn of_millis(self, ms: i64) -> i64 {
        match self {
            Self::Seconds => ms / 1000,
            Self::Millis => ms,
            Self::Micros => ms.saturating_mul(1000),
            Self::Nanos => ms.saturating_mul(1_000_000),
        }
    }
}

#[derive(Debug)]
struct TimestampConverter {
    ctx: Ctx,
    side: Side,
    field: Str,
    target: Kind,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null: bool,
    /// The target's schema: (optional, required).
    target_schemas: (SchemaRef, SchemaRef),
    schemas: SchemaCache<SchemaRef>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let target = Kind::named(cfg.raw(TARGET_TYPE)?)?;
    let pattern = cfg.string(FORMAT).unwrap_or_default();
    let blank = pattern.trim().is_empty();
    if target == Kind::String && blank {
        cfg.fail(
            FORMAT,
            "TimestampConverter requires format option to be specified when using string \
             timestamps",
        );
    }
    let format = if blank {
        None
    } else {
        match DateFormat::new(&pattern) {
            Ok(f) => Some(f),
            Err(reason) => {
                cfg.fail(
                    FORMAT,
                    format!(
                        "TimestampConverter requires a SimpleDateFormat-compatible pattern for \
                         string timestamps: {pattern} ({reason})"
                    ),
                );
                None
            }
        }
    };
    let precision = Precision::named(cfg.raw(UNIX_PRECISION)?)?;
    let builder = |optional: bool| {
        let b = match target {
            Kind::String => SchemaBuilder::string(),
            Kind::Unix => SchemaBuilder::int64(),
            Kind::Date => date_schema(),
            Kind::Time => time_schema(),
            Kind::Timestamp => timestamp_schema(),
        };
        if optional { b.optional() } else { b }
    };
    let target_schemas = (cfg.schema(builder(true))?, cfg.schema(builder(false))?);
    let t: Box<dyn Transform> = Box::new(TimestampConverter {
        ctx: Ctx { alias: cfg.alias() },
        side,
        field: Str::from(cfg.string(FIELD).unwrap_or_default()),
        target,
        format,
        precision,
        replace_null: cfg.boolean(REPLACE_NULL),
        target_schemas,
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for TimestampConverter {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => self.schemaless(data.value),
                Some(schema) => self.with_schema(&schema, &data.value),
            })
    }
}

impl TimestampConverter {
    fn target_schema(&self, optional: bool) -> SchemaRef {
        if optional {
            self.target_schemas.0.clone()
        } else {
            self.target_schemas.1.clone()
        }
    }

    fn schemaless(&self, value: Value) -> Result<SchemaAndValue, Fail> {
        if value.is_null() || self.field.is_empty() {
            return Ok(SchemaAndValue::new(None, self.convert(&value, None)?));
        }
        let mut entries = into_map(value, PURPOSE)?;
        let current = map_get(&entries, &self.field).unwrap_or(&Value::Null);
        let converted = self
            .convert(current, None)
            .map_err(|f| f.in_field(&self.field))?;
        map_put(&mut entries, &self.field, converted);
        Ok(SchemaAndValue::new(None, Value::Map(entries)))
    }

    fn with_schema(&self, schema: &SchemaRef, value: &Value) -> Result<SchemaAndValue, Fail> {
        if self.field.is_empty() {
            let kind = Kind::of_schema(schema)?;
            let updated = self.target_schema(schema.is_optional());
            return Ok(SchemaAndValue::new(
                Some(updated),
                self.convert(value, Some(kind))?,
            ));
        }
        if !value.is_null() {
            require_struct(value, PURPOSE)?;
        }
        let updated = self
            .schemas
            .get_or_try_insert(schema, || self.derive(schema))?;
        let out = match value {
            Value::Struct(s) => Value::Struct(self.convert_struct(s, &updated)?),
            _ => Value::Null,
        };
        Ok(SchemaAndValue::new(Some(updated), out))
    }

    fn convert_struct(&self, value: &Struct, updated: &SchemaRef) -> Result<Struct, Fail> {
        let mut out = Struct::new(updated.clone())?;
        for (field, raw) in value.iter() {
            let name = field.name();
            let v = field_value(field, raw, self.replace_null);
            let v = if name == self.field.as_str() {
                let kind = Kind::of_schema(field.schema()).map_err(|f| f.in_field(name))?;
                self.convert(&v, Some(kind)).map_err(|f| f.in_field(name))?
            } else {
                v
            };
            out.put(name, v).map_err(|e| Fail::from(e).in_field(name))?;
        }
        Ok(out)
    }

    fn derive(&self, schema: &Schema) -> Result<SchemaRef, Fail> {
        let mut builder = copy_basics(schema, SchemaBuilder::struct_());
        for field in schema.fields() {
            let fs = if field.name() == self.field.as_str() {
                self.target_schema(field.schema().is_optional())
            } else {
                field.schema().clone()
            };
            builder = builder.field(field.name(), fs);
        }
        if schema.is_optional() {
            builder = builder.optional();
        }
        let Some(default) = schema.default_value().and_then(Value::as_struct) else {
            return build_schema(builder);
        };
        // The default must be converted with the new fields, so build the schema without it
        // first; a struct default's schema is compared without defaults.
        let bare = build_schema(builder.clone())?;
        let converted = self.convert_struct(default, &bare)?;
        build_schema(builder.default_value(Value::Struct(converted)))
    }

    /// `convertTimestamp`: to milliseconds, then to the target.
    fn convert(&self, value: &Value, kind: Option<Kind>) -> Result<Value, Fail> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => Kind::of_value(value)?,
        };
        let millis = self.to_millis(value, kind)?;
        Ok(match self.target {
            Kind::String => match &self.format {
                Some(f) => Value::String(Str::from(f.format(millis))),
                None => return Err(Fail::new("No format configured for string timestamps")),
            },
            Kind::Unix => Value::Int64(self.precision.of_millis(millis)),
            Kind::Date => Value::Date(
                i32::try_from(millis.div_euclid(DAY_MS))
                    .map_err(|_| Fail::new(format!("Date out of range: {millis}")))?,
            ),
            Kind::Time => Value::Time(millis.rem_euclid(DAY_MS) as i32),
            Kind::Timestamp => Value::Timestamp(millis),
        })
    }

    fn to_millis(&self, value: &Value, kind: Kind) -> Result<i64, Fail> {
        let found = || java_class(value);
        match kind {
            Kind::String => {
                let Value::String(text) = value else {
                    return Err(Fail::new(format!(
                        "Expected string timestamp to be a String, but found {}",
                        found()
                    )));
                };
                let Some(format) = &self.format else {
                    return Err(Fail::new(format!(
                        "Could not parse timestamp: value ({text}): no format configured"
                    )));
                };
                format.parse(text).ok_or_else(|| {
                    Fail::new(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            Kind::Unix => match value {
                Value::Int64(v) => Ok(self.precision.millis_of(*v)),
                _ => Err(Fail::new(format!(
                    "Expected Unix timestamp to be a Long, but found {}",
                    found()
                ))),
            },
            Kind::Date | Kind::Time | Kind::Timestamp => date_millis(value).ok_or_else(|| {
                let name = match kind {
                    Kind::Date => "Date",
                    Kind::Time => "Time",
                    _ => "Timestamp",
                };
                Fail::new(format!(
                    "Expected {name} to be a java.util.Date, but found {}",
                    found()
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const VALUE: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";
    // 2017-01-02T03:04:05.006Z, as in Kafka Connect's TimestampConverterTest.
    const MS: i64 = 1_483_326_245_006;
    const DATE_DAYS: i32 = 17_168;
    const TIME_MS: i32 = 11_045_006;
    const STRING: &str = "2017 01 02 03 04 05 006 UTC";
    const PATTERN: &str = "yyyy MM dd HH mm ss SSS z";

    fn ts_schema() -> SchemaRef {
        timestamp_schema().build().unwrap()
    }

    #[test]
    fn whole_value_conversions() {
        let cases: [(&str, Value); 5] = [
            ("Timestamp", Value::Timestamp(MS)),
            ("Date", Value::Date(DATE_DAYS)),
            ("Time", Value::Time(TIME_MS)),
            ("unix", Value::Int64(MS)),
            ("string", Value::from(STRING)),
        ];
        for (target, expected) in cases {
            let t = transform(VALUE, &[("target.type", target), ("format", PATTERN)]);
            let out = apply(
                &*t,
                value_record(sv(Some(ts_schema()), Value::Timestamp(MS))),
            );
            assert_eq!(out.value.value, expected, "{target}");
            let out = apply(&*t, value_record(sv(None, Value::Int64(MS))));
            assert_eq!(out.value.value, expected, "schemaless {target}");
        }
        let t = transform(VALUE, &[("target.type", "Timestamp"), ("format", PATTERN)]);
        let out = apply(&*t, value_record(sv(Some(Schema::string()), STRING)));
        assert_eq!(out.value, sv(Some(ts_schema()), Value::Timestamp(MS)));
    }

    #[test]
    fn unix_precision() {
        let t = transform(
            VALUE,
            &[("target.type", "unix"), ("unix.precision", "seconds")],
        );
        let out = apply(
            &*t,
            value_record(sv(Some(ts_schema()), Value::Timestamp(MS))),
        );
        assert_eq!(out.value.value, Value::Int64(MS / 1000));
        let t = transform(
            VALUE,
            &[
                ("target.type", "Timestamp"),
                ("unix.precision", "microseconds"),
            ],
        );
        let out = apply(
            &*t,
            value_record(sv(Some(Schema::int64()), MS * 1000 + 999)),
        );
        assert_eq!(out.value.value, Value::Timestamp(MS));
    }

    #[test]
    fn fields() {
        let schema = SchemaBuilder::struct_()
            .field("ts", Schema::optional_int64())
            .field("other", Schema::string())
            .build()
            .unwrap();
        let value = structure(&schema, &[("ts", Value::Int64(MS)), ("other", "x".into())]);
        let t = transform(VALUE, &[("target.type", "Timestamp"), ("field", "ts")]);
        let out = apply(&*t, value_record(sv(Some(schema), value)));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(s.get("ts"), Some(&Value::Timestamp(MS)));
        let ts = s.schema().field("ts").unwrap().schema();
        assert!(ts.is_optional());
        assert_eq!(ts.name(), Some("org.apache.kafka.connect.data.Timestamp"));
        let out = apply(
            &*t,
            value_record(sv(None, map(&[("ts", Value::Int64(MS))]))),
        );
        assert_eq!(out.value.value, map(&[("ts", Value::Timestamp(MS))]));
    }

    #[test]
    fn errors() {
        let errors = config_errors(VALUE, &[("target.type", "string")]);
        assert_eq!(errors[0].0, "format");
        let errors = config_errors(VALUE, &[("target.type", "date")]);
        assert_eq!(
            errors[0].1,
            "Invalid value date for configuration target.type: String must be one of: string, \
             unix, Date, Time, Timestamp"
        );
        let errors = config_errors(VALUE, &[("target.type", "string"), ("format", "yyyy-bb")]);
        assert_eq!(errors[0].0, "format");
        let t = transform(VALUE, &[("target.type", "unix"), ("format", "yyyy-MM-dd")]);
        assert_eq!(
            data_message(&*t, value_record(sv(Some(Schema::string()), "nope"))),
            "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd)"
        );
        assert_eq!(
            data_message(&*t, value_record(sv(None, 5))),
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
        assert!(
            data_message(&*t, value_record(sv(Some(Schema::int32()), 5)))
                .contains("does not correspond to a known timestamp type format")
        );
    }
}
