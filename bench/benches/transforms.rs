//! Transform chain throughput: Kafka Connect's four-transform chain (InsertField, MaskField,
//! ReplaceField renaming a field, Cast) over ~200 B records, with a schema (Struct) and without
//! (a map, as JsonConverter with `schemas.enable=false` reads it); and the in-process pipeline
//! a sink task runs per record with that chain: JSON decode → chain → JSON encode, no broker;
//! and, for a sink without transforms, decode + encode against the pass-through lane.
//! Throughput is records/s.
//!
//! Run: `cargo bench -p bench --bench transforms -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use bench::records;
use bytes::Bytes;
use connect_api::config::Properties;
use connect_api::data::{SchemaAndValue, Struct, Value};
use converters::{Converter, ConverterConfig, ConverterType, JsonConverter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use engine::task::passthrough::Passthrough;
use transforms::{ConnectRecord, TransformChain};

const TOPIC: &str = "bench";

fn chain() -> TransformChain {
    let props: Properties = [
        ("transforms", "insert,mask,rename,cast"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.static.field", "origin"),
        ("transforms.insert.static.value", "bench"),
        (
            "transforms.mask.type",
            "org.apache.kafka.connect.transforms.MaskField$Value",
        ),
        ("transforms.mask.fields", "email"),
        (
            "transforms.rename.type",
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
        ),
        ("transforms.rename.renames", "user:username"),
        (
            "transforms.cast.type",
            "org.apache.kafka.connect.transforms.Cast$Value",
        ),
        ("transforms.cast.spec", "id:string"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    TransformChain::from_config(&props).expect("chain config")
}

/// A ~200 B record (as schemaless JSON), with its schema.
fn record_with_schema() -> SchemaAndValue {
    let schema = records::schema().expect("schema");
    let Ok(Value::Struct(s)) = records::value(&schema, records::Size::Small) else {
        panic!("sample record");
    };
    let note: String = "lorem ipsum dolor sit amet "
        .chars()
        .cycle()
        .take(108)
        .collect();
    let s: Struct = s.with("note", note).expect("note");
    SchemaAndValue::new(Some(schema), Value::Struct(s))
}

fn json(schemas: bool) -> JsonConverter {
    let value = if schemas { "true" } else { "false" };
    JsonConverter::new(&ConverterConfig::new(
        [("schemas.enable", value)],
        ConverterType::Value,
    ))
    .expect("json")
}

fn bench_chain(c: &mut Criterion) {
    let chain = chain();
    let with_schema = record_with_schema();
    // The same record without a schema: what JsonConverter(schemas.enable=false) reads.
    let schemaless_bytes = json(false)
        .from_connect_data(TOPIC, &[], with_schema.schema.as_ref(), &with_schema.value)
        .expect("encode")
        .expect("bytes");
    let schemaless = json(false)
        .to_connect_data(TOPIC, &[], Some(&schemaless_bytes))
        .expect("decode");
    println!(
        "record: {} bytes as schemaless JSON",
        schemaless_bytes.len()
    );

    let mut group = c.benchmark_group("transform-chain");
    group.throughput(Throughput::Elements(1));
    for (name, data) in [("schema", &with_schema), ("schemaless", &schemaless)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let record = ConnectRecord::new(TOPIC, SchemaAndValue::default(), data.clone());
                black_box(chain.apply(black_box(record)).expect("apply"))
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("pipeline-json-chain-json");
    group.throughput(Throughput::Elements(1));
    for schemas in [true, false] {
        let converter = json(schemas);
        let bytes: Bytes = converter
            .from_connect_data(TOPIC, &[], with_schema.schema.as_ref(), &with_schema.value)
            .expect("encode")
            .expect("bytes");
        let name = if schemas {
            "schemas.enable=true"
        } else {
            "schemas.enable=false"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let value = converter
                    .to_connect_data(TOPIC, &[], Some(black_box(&bytes)))
                    .expect("decode");
                let record = ConnectRecord::new(TOPIC, SchemaAndValue::default(), value);
                let out = chain.apply(record).expect("apply").expect("kept");
                black_box(
                    converter
                        .from_connect_data(TOPIC, &[], out.value.schema.as_ref(), &out.value.value)
                        .expect("encode"),
                )
            });
        });
    }
    group.finish();

    // What a sink without transforms costs per JSON value: decode + encode (the file sink's
    // rendering of a map) against the pass-through lane's check of the consumed bytes.
    let mut group = c.benchmark_group("sink-value-json-schemaless");
    group.throughput(Throughput::Elements(1));
    let converter = json(false);
    let bytes: Bytes = converter
        .from_connect_data(TOPIC, &[], with_schema.schema.as_ref(), &with_schema.value)
        .expect("encode")
        .expect("bytes");
    group.bench_function("decode-encode", |b| {
        b.iter(|| {
            let value = converter
                .to_connect_data(TOPIC, &[], Some(black_box(&bytes)))
                .expect("decode");
            black_box(
                converter
                    .from_connect_data(TOPIC, &[], value.schema.as_ref(), &value.value)
                    .expect("encode"),
            )
        });
    });
    let lane = Passthrough::new(converter.wire_format(), true, false);
    group.bench_function("pass-through", |b| {
        b.iter(|| black_box(lane.admits(black_box(&bytes))));
    });
    // The lane's earlier check, for comparison: serde_json's syntax pass, which let invalid
    // UTF-8 inside strings through.
    group.bench_function("serde-json-syntax-only", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).is_ok())
        });
    });
    group.finish();
}

criterion_group!(benches, bench_chain);
criterion_main!(benches);
