//! Converter throughput: one record per iteration, decode (bytes → Connect data) and encode
//! (Connect data → bytes), for StringConverter, ByteArrayConverter, JsonConverter with and
//! without schemas, and AvroConverter with a warm cache, on ~100 B and ~1 KB records
//! (`bench::records`). Throughput is reported as records/s and as bytes/s of each format's own
//! bytes (`Throughput::ElementsAndBytes`).
//!
//! For comparison: `pass-through` is what the engine does when input and output formats match
//! (a `Bytes` clone), and `apache-avro` is the same Avro record through `apache-avro`'s generic
//! datum reader and writer (building its `Value` tree, without any Connect conversion).
//!
//! No registry is involved: the Avro converter's caches are loaded with
//! `AvroConverter::prime`, as a deployment with known schema ids can do.
//!
//! Run: `cargo bench -p bench --bench converters -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use apache_avro::types::Value as AvroValue;
use apache_avro::{reader::datum::GenericDatumReader, writer::datum::GenericDatumWriter};
use bench::records::{self, Size};
use bytes::Bytes;
use connect_api::data::{Schema, SchemaRef, Value};
use converters::avro::to_avro_schema;
use converters::{
    AvroConverter, ByteArrayConverter, Converter, ConverterConfig, ConverterType, JsonConverter,
    StringConverter,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const TOPIC: &str = "bench";

/// One converter with a record it writes and the bytes of that record.
struct Case {
    name: &'static str,
    converter: Box<dyn Converter>,
    schema: SchemaRef,
    value: Value,
    bytes: Bytes,
}

fn config(props: &[(&str, &str)]) -> ConverterConfig {
    ConverterConfig::new(props.iter().copied(), ConverterType::Value)
}

/// A primed Avro converter: the registry URL is never contacted.
fn avro_converter(schema: &SchemaRef) -> AvroConverter {
    let converter = AvroConverter::new(&config(&[(
        "schema.registry.url",
        "http://registry.invalid:8081",
    )]))
    .expect("Avro converter");
    let text = to_avro_schema(schema).expect("Avro schema");
    converter
        .prime(&format!("{TOPIC}-value"), 1, &text)
        .expect("prime");
    converter
}

fn cases(size: Size) -> Vec<Case> {
    let schema = records::schema().expect("schema");
    let value = records::value(&schema, size).expect("record");
    let plain_json = JsonConverter::new(&config(&[("schemas.enable", "false")])).expect("json");
    let json_bytes = plain_json
        .encode(Some(&schema), &value)
        .expect("JSON text")
        .expect("not null");
    let text = String::from_utf8(json_bytes.to_vec()).expect("UTF-8");

    let mut cases = vec![
        (
            "string",
            Box::new(StringConverter::new(&config(&[])).expect("string")) as Box<dyn Converter>,
            Schema::optional_string(),
            Value::from(text),
        ),
        (
            "bytearray",
            Box::new(ByteArrayConverter),
            Schema::optional_bytes(),
            Value::Bytes(json_bytes.clone()),
        ),
        (
            "json-schemas",
            Box::new(JsonConverter::new(&config(&[])).expect("json")),
            schema.clone(),
            value.clone(),
        ),
        (
            "json-plain",
            Box::new(plain_json),
            schema.clone(),
            value.clone(),
        ),
        (
            "avro",
            Box::new(avro_converter(&schema)),
            schema.clone(),
            value.clone(),
        ),
    ];
    cases
        .drain(..)
        .map(|(name, converter, schema, value)| {
            let bytes = converter
                .from_connect_data(TOPIC, &[], Some(&schema), &value)
                .expect("encodes")
                .expect("not null");
            Case {
                name,
                converter,
                schema,
                value,
                bytes,
            }
        })
        .collect()
}

fn per_record(bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: 1,
        bytes: u64::try_from(bytes).unwrap_or(u64::MAX),
    }
}

/// The sample record as `apache-avro`'s value tree, as a converter built on it would make it.
fn to_apache(value: &Value) -> AvroValue {
    let Value::Struct(s) = value else {
        return AvroValue::Null;
    };
    let text = |field: &str| match s.get(field) {
        Some(Value::String(v)) => AvroValue::String(v.to_string()),
        _ => AvroValue::Null,
    };
    let optional = |v: AvroValue| match v {
        AvroValue::Null => AvroValue::Union(0, Box::new(AvroValue::Null)),
        v => AvroValue::Union(1, Box::new(v)),
    };
    let fields = vec![
        (
            "id".to_owned(),
            match s.get("id") {
                Some(Value::Int64(v)) => AvroValue::Long(*v),
                _ => AvroValue::Null,
            },
        ),
        ("user".to_owned(), text("user")),
        ("email".to_owned(), optional(text("email"))),
        (
            "amount".to_owned(),
            match s.get("amount") {
                Some(Value::Float64(v)) => AvroValue::Double(*v),
                _ => AvroValue::Null,
            },
        ),
        (
            "active".to_owned(),
            AvroValue::Boolean(matches!(s.get("active"), Some(Value::Boolean(true)))),
        ),
        (
            "created".to_owned(),
            match s.get("created") {
                Some(Value::Timestamp(v)) => AvroValue::TimestampMillis(*v),
                _ => AvroValue::Null,
            },
        ),
        ("note".to_owned(), optional(text("note"))),
    ];
    AvroValue::Record(fields)
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in Size::ALL {
        let cases = cases(size);
        for case in &cases {
            group.throughput(per_record(case.bytes.len()));
            group.bench_function(BenchmarkId::new(case.name, size.label()), |b| {
                b.iter(|| {
                    case.converter
                        .to_connect_data(TOPIC, &[], Some(black_box(&case.bytes)))
                        .expect("decodes")
                });
            });
        }
        let plain = cases
            .iter()
            .find(|c| c.name == "json-plain")
            .expect("json-plain case");
        group.throughput(per_record(plain.bytes.len()));
        group.bench_function(BenchmarkId::new("pass-through", size.label()), |b| {
            b.iter(|| black_box(&plain.bytes).clone());
        });
        let avro = cases.iter().find(|c| c.name == "avro").expect("avro case");
        let text = to_avro_schema(&avro.schema).expect("Avro schema");
        let schema = apache_avro::Schema::parse_str(&text).expect("apache-avro schema");
        let reader = GenericDatumReader::builder(&schema)
            .build()
            .expect("apache-avro reader");
        group.throughput(per_record(avro.bytes.len()));
        group.bench_function(BenchmarkId::new("apache-avro", size.label()), |b| {
            b.iter(|| {
                let mut body = black_box(&avro.bytes[5..]);
                reader.read_value(&mut body).expect("apache-avro decodes")
            });
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in Size::ALL {
        let cases = cases(size);
        for case in &cases {
            group.throughput(per_record(case.bytes.len()));
            group.bench_function(BenchmarkId::new(case.name, size.label()), |b| {
                b.iter(|| {
                    case.converter
                        .from_connect_data(TOPIC, &[], Some(&case.schema), black_box(&case.value))
                        .expect("encodes")
                });
            });
        }
        let avro = cases.iter().find(|c| c.name == "avro").expect("avro case");
        let text = to_avro_schema(&avro.schema).expect("Avro schema");
        let schema = apache_avro::Schema::parse_str(&text).expect("apache-avro schema");
        let writer = GenericDatumWriter::builder(&schema)
            .build()
            .expect("apache-avro writer");
        let sample = writer
            .write_value_to_vec(to_apache(&avro.value))
            .expect("apache-avro encodes");
        assert_eq!(&sample[..], &avro.bytes[5..], "same Avro bytes");
        group.throughput(per_record(avro.bytes.len()));
        group.bench_function(BenchmarkId::new("apache-avro", size.label()), |b| {
            b.iter(|| {
                writer
                    .write_value_to_vec(to_apache(black_box(&avro.value)))
                    .expect("apache-avro encodes")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
