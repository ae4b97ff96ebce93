//! Unit tests without a registry: schemas are primed ([`AvroConverter::prime`]), so no call
//! leaves the process. The registry paths are covered by `tests/tests/avro_registry.rs`.

mod codec;
mod schema;

use bytes::Bytes;

use super::*;
use crate::converter::ConverterType;
use crate::error::ErrorClass;
use connect_api::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use connect_api::data::{Logical, Schema, SchemaBuilder, Struct, Type};

/// A converter whose registry is never reached (nothing listens on port 9).
fn converter(props: &[(&str, &str)]) -> AvroConverter {
    let mut all = vec![
        ("schema.registry.url", "http://127.0.0.1:9"),
        ("schema.registry.retries", "0"),
        ("schema.registry.request.timeout.ms", "500"),
    ];
    all.extend_from_slice(props);
    AvroConverter::new(&ConverterConfig::new(all, ConverterType::Value)).unwrap()
}

/// A struct with every kind of field, for round trips.
fn order_schema() -> SchemaRef {
    let item = SchemaBuilder::struct_()
        .name("com.example.Item")
        .field("sku", Schema::string())
        .field("qty", Schema::int16())
        .field("price", decimal_schema(2).build().unwrap())
        .build()
        .unwrap();
    SchemaBuilder::struct_()
        .name("com.example.Order")
        .field("id", Schema::int64())
        .field("flag", Schema::boolean())
        .field("tiny", Schema::int8())
        .field("ratio", Schema::float32())
        .field("score", Schema::optional_float64())
        .field("note", Schema::optional_string())
        .field("raw", Schema::optional_bytes())
        .field("day", date_schema().build().unwrap())
        .field("time", time_schema().optional().build().unwrap())
        .field("at", timestamp_schema().build().unwrap())
        .field("items", SchemaBuilder::array(item.clone()).build().unwrap())
        .field("first", item.to_builder().optional().build().unwrap())
        .field(
            "tags",
            SchemaBuilder::map(Schema::string(), Schema::optional_int32())
                .build()
                .unwrap(),
        )
        .field(
            "by_id",
            SchemaBuilder::map(Schema::int32(), Schema::string())
                .build()
                .unwrap(),
        )
        .field(
            "level",
            SchemaBuilder::int32()
                .optional()
                .default_value(3)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn order_value(schema: &SchemaRef) -> Value {
    let item_schema = schema
        .field("items")
        .unwrap()
        .schema()
        .value_schema()
        .unwrap()
        .clone();
    let item = |sku: &str, qty: i16, cents: i64| {
        Value::Struct(
            Struct::new(item_schema.clone())
                .unwrap()
                .with("sku", sku)
                .unwrap()
                .with("qty", qty)
                .unwrap()
                .with("price", Decimal::new(cents, 2))
                .unwrap(),
        )
    };
    let first_schema = schema.field("first").unwrap().schema().clone();
    let first = Struct::new(first_schema)
        .unwrap()
        .with("sku", "a")
        .unwrap()
        .with("qty", 1i16)
        .unwrap()
        .with("price", Decimal::new(-5, 2))
        .unwrap();
    let s = Struct::new(schema.clone())
        .unwrap()
        .with("id", 42i64)
        .unwrap()
        .with("flag", true)
        .unwrap()
        .with("tiny", -3i8)
        .unwrap()
        .with("ratio", 0.5f32)
        .unwrap()
        .with("note", "héllo")
        .unwrap()
        .with("raw", Bytes::from_static(&[0, 1, 255]))
        .unwrap()
        .with("day", Value::Date(19_000))
        .unwrap()
        .with("time", Value::Time(3_600_000))
        .unwrap()
        .with("at", Value::Timestamp(1_700_000_000_123))
        .unwrap()
        .with("items", vec![item("a", 1, 199), item("b", -2, 0)])
        .unwrap()
        .with("first", first)
        .unwrap()
        .with(
            "tags",
            // One entry: apache-avro's maps do not keep the order, which the cross-check compares.
            Value::Map(vec![("y".into(), Value::Null)]),
        )
        .unwrap()
        .with("by_id", Value::Map(vec![(Value::Int32(7), "seven".into())]))
        .unwrap();
    Value::Struct(s)
}

/// Schemas covering the mapping rules.
fn sample_schemas() -> Vec<SchemaRef> {
    let unnamed = SchemaBuilder::struct_()
        .field("a", Schema::int32())
        .field(
            "inner",
            SchemaBuilder::struct_()
                .field("b", Schema::optional_string())
                .optional()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    vec![
        order_schema(),
        unnamed,
        Schema::string(),
        Schema::optional_int64(),
        Schema::int8(),
        decimal_schema(4).build().unwrap(),
        SchemaBuilder::array(Schema::optional_string())
            .build()
            .unwrap(),
        SchemaBuilder::map(Schema::int64(), date_schema().build().unwrap())
            .build()
            .unwrap(),
    ]
}
