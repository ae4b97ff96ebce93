use std::sync::Arc;

use super::*;
use crate::converter::ConverterType;
use crate::error::ErrorClass;
use connect_api::data::logical::{decimal_schema, time_schema};
use connect_api::data::{Decimal, Schema, SchemaBuilder, Struct, Type};

fn converter(props: &[(&str, &str)]) -> JsonConverter {
    JsonConverter::new(&ConverterConfig::new(
        props.iter().copied(),
        ConverterType::Value,
    ))
    .unwrap()
}

fn encode(c: &JsonConverter, schema: Option<&SchemaRef>, value: &Value) -> String {
    let bytes = c.encode(schema, value).unwrap().unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn decode(c: &JsonConverter, text: &str) -> Result<SchemaAndValue, Error> {
    c.decode(&Bytes::copy_from_slice(text.as_bytes()))
}

fn order_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("n")
        .version(3)
        .doc("d")
        .parameter("p1", "v1")
        .parameter("a", "b")
        .optional()
        .field(
            "f",
            SchemaBuilder::int32()
                .optional()
                .default_value(5)
                .name("fi")
                .doc("fd")
                .build()
                .unwrap(),
        )
        .field(
            "arr",
            SchemaBuilder::array(Schema::string()).build().unwrap(),
        )
        .field(
            "m",
            SchemaBuilder::map(Schema::int32(), Schema::float64())
                .build()
                .unwrap(),
        )
        .field(
            "dec",
            decimal_schema(2)
                .default_value(Decimal::new(150, 2))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn order() -> Struct {
    Struct::new(order_schema())
        .unwrap()
        .with("arr", Value::Array(vec!["a".into(), "b".into()]))
        .unwrap()
        .with(
            "m",
            Value::Map(vec![(Value::Int32(1), Value::Float64(1.0))]),
        )
        .unwrap()
        .with("dec", Decimal::new(-325, 2))
        .unwrap()
}

/// The exact text Kafka Connect 4.3.1's JsonConverter wrote for this struct.
const ORDER_JSON: &str = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"name":"fi","doc":"fd","default":5,"field":"f"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"arr"},{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"double","optional":false},"optional":false,"field":"m"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"AJY=","field":"dec"}],"optional":true,"name":"n","version":3,"doc":"d","parameters":{"p1":"v1","a":"b"}},"payload":{"f":5,"arr":["a","b"],"m":[[1,1.0]],"dec":"/rs="}}"#;

#[test]
fn writes_what_kafka_connect_writes() {
    let c = converter(&[]);
    let schema = order_schema();
    assert_eq!(
        encode(&c, Some(&schema), &Value::Struct(order())),
        ORDER_JSON
    );
    // Second time from the schema cache.
    assert_eq!(
        encode(&c, Some(&schema), &Value::Struct(order())),
        ORDER_JSON
    );
}

#[test]
fn reads_what_kafka_connect_writes() {
    let c = converter(&[("replace.null.with.default", "false")]);
    let read = decode(&c, ORDER_JSON).unwrap();
    assert_eq!(read.schema.as_ref(), Some(&order_schema()));
    let mut expected = order();
    expected.put("f", 5).unwrap();
    assert_eq!(read.value, Value::Struct(expected));
    // The schema is read once and shared.
    let again = decode(&c, ORDER_JSON).unwrap();
    assert!(Arc::ptr_eq(
        read.schema.as_ref().unwrap(),
        again.schema.as_ref().unwrap()
    ));
}

#[test]
fn nulls_defaults_and_tombstones() {
    let c = converter(&[]);
    assert_eq!(c.encode(None, &Value::Null).unwrap(), None);
    let optional = Schema::optional_int32();
    assert_eq!(
        encode(&c, Some(&optional), &Value::Null),
        r#"{"schema":{"type":"int32","optional":true},"payload":null}"#
    );
    let defaulted = SchemaBuilder::int32().default_value(42).build().unwrap();
    assert!(encode(&c, Some(&defaulted), &Value::Null).ends_with(r#""payload":42}"#));
    let keep = converter(&[("replace.null.with.default", "false")]);
    let err = keep.encode(Some(&defaulted), &Value::Null).unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadData);
    assert_eq!(
        c.to_connect_data("t", &[], None).unwrap(),
        SchemaAndValue::default()
    );
    let plain = converter(&[("schemas.enable", "false")]);
    assert_eq!(encode(&plain, Some(&optional), &Value::Null), "null");
}

#[test]
fn decimals_both_ways() {
    let schema = decimal_schema(2).build().unwrap();
    let value = Value::Decimal(Decimal::new(-325, 2));
    let base64 = converter(&[("schemas.enable", "false")]);
    assert_eq!(encode(&base64, Some(&schema), &value), r#""/rs=""#);
    let numeric = converter(&[("schemas.enable", "false"), ("decimal.format", "NUMERIC")]);
    assert_eq!(encode(&numeric, Some(&schema), &value), "-3.25");
    // Base64 needs the schema's scale; numeric writes any scale.
    let other_scale = Value::Decimal(Decimal::new(1, 5));
    assert!(base64.encode(Some(&schema), &other_scale).is_err());
    assert_eq!(encode(&numeric, Some(&schema), &other_scale), "0.00001");
    // Reading keeps the written scale, as Kafka Connect does.
    let env = converter(&[]);
    let read = decode(
        &env,
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":1.5}"#,
    )
    .unwrap();
    assert_eq!(read.value, Value::Decimal(Decimal::new(15, 1)));
}

#[test]
fn maps_with_and_without_string_keys() {
    let c = converter(&[("schemas.enable", "false")]);
    let by_string = SchemaBuilder::map(Schema::string(), Schema::int64())
        .build()
        .unwrap();
    let entries = Value::Map(vec![
        ("a".into(), Value::Int64(1)),
        ("b".into(), Value::Int64(2)),
    ]);
    assert_eq!(encode(&c, Some(&by_string), &entries), r#"{"a":1,"b":2}"#);
    let schemaless_pairs = Value::Map(vec![(Value::Int32(1), "x".into())]);
    assert_eq!(encode(&c, None, &schemaless_pairs), r#"[[1,"x"]]"#);
    let read = decode(&c, r#"{"a":1,"b":2.5,"c":[true,null,"s"]}"#).unwrap();
    assert_eq!(
        read.value,
        Value::Map(vec![
            ("a".into(), Value::Int64(1)),
            ("b".into(), Value::Float64(2.5)),
            (
                "c".into(),
                Value::Array(vec![Value::Boolean(true), Value::Null, "s".into()])
            ),
        ])
    );
}

#[test]
fn jackson_leniencies_are_kept() {
    let c = converter(&[("schemas.enable", "false")]);
    assert_eq!(decode(&c, "").unwrap().value, Value::Null);
    assert_eq!(decode(&c, "  \n").unwrap().value, Value::Null);
    assert_eq!(decode(&c, "007").unwrap().value, Value::Int64(7));
    assert_eq!(decode(&c, "\u{FEFF}{}").unwrap().value, Value::Map(vec![]));
    assert_eq!(
        decode(&c, r#"{"a":1,"a":2}"#).unwrap().value,
        Value::Map(vec![("a".into(), Value::Int64(2))])
    );
    let Value::Float64(zero) = decode(&c, "-0.0").unwrap().value else {
        panic!()
    };
    assert!(zero.is_sign_positive());
}

#[test]
fn coercions_kafka_connect_makes_are_errors_here() {
    let c = converter(&[]);
    for (schema, payload, path) in [
        (r#"{"type":"int32"}"#, r#""abc""#, "payload"),
        (r#"{"type":"int8"}"#, "300", "payload"),
        (r#"{"type":"int32"}"#, "1.9", "payload"),
        (r#"{"type":"boolean"}"#, "1", "payload"),
        (r#"{"type":"bytes"}"#, "5", "payload"),
        (r#"{"type":"string"}"#, "5", "payload"),
        (
            r#"{"type":"struct","fields":[{"field":"a","type":"struct","fields":[{"field":"b","type":"int16"}]}]}"#,
            r#"{"a":{"b":"x"}}"#,
            "payload.a.b",
        ),
    ] {
        let text = format!(r#"{{"schema":{schema},"payload":{payload}}}"#);
        let err = decode(&c, &text).unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData);
        let Error::Data(data) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(data.path().as_str(), path, "{text}");
    }
    let plain = converter(&[("schemas.enable", "false")]);
    assert!(decode(&plain, "123456789012345678901234567890").is_err());
}

#[test]
fn non_finite_floats_round_trip() {
    let c = converter(&[]);
    let text = encode(
        &c,
        Some(&Schema::float64()),
        &Value::Float64(f64::NEG_INFINITY),
    );
    assert!(text.ends_with(r#""payload":"-Infinity"}"#), "{text}");
    assert_eq!(
        decode(&c, &text).unwrap().value,
        Value::Float64(f64::NEG_INFINITY)
    );
}

#[test]
fn envelope_is_checked() {
    let c = converter(&[]);
    for bad in [
        "",
        "1",
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"x":2}"#,
    ] {
        let err = decode(&c, bad).unwrap_err();
        assert!(
            err.to_string().contains("\"schema\" and \"payload\""),
            "{err}"
        );
    }
    let read = decode(&c, r#"{"payload":1.5,"schema":null}"#).unwrap();
    assert_eq!(read, SchemaAndValue::new(None, Value::Float64(1.5)));
}

#[test]
fn schemas_read_like_kafka_connect() {
    let c = converter(&[]);
    let read = decode(
        &c,
        r#"{"schema":{"type":"int32","optional":"yes","version":1.5,"name":7,"parameters":{}},"payload":1}"#,
    )
    .unwrap();
    let schema = read.schema.unwrap();
    assert!(!schema.is_optional());
    assert_eq!((schema.version(), schema.name()), (None, None));
    for bad in [
        r#"{"type":"nope"}"#,
        r#"{"optional":true}"#,
        r#"{"type":"array"}"#,
        r#"{"type":"map","keys":{"type":"string"}}"#,
        r#"{"type":"struct","fields":[{"type":"int32"}]}"#,
        r#"{"type":"int32","parameters":{"a":1}}"#,
        r#"{"type":"int32","default":null}"#,
        r#"{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"int32","field":"a"}]}"#,
    ] {
        let text = format!(r#"{{"schema":{bad},"payload":null}}"#);
        assert!(decode(&c, &text).is_err(), "{bad}");
    }
}

#[test]
fn time_must_be_a_time_of_day() {
    let c = converter(&[]);
    let schema = time_schema().build().unwrap();
    assert!(c.encode(Some(&schema), &Value::Time(86_400_000)).is_ok());
    assert!(c.encode(Some(&schema), &Value::Time(-1)).is_err());
    assert!(c.encode(Some(&schema), &Value::Int32(5)).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let c = converter(&[("schemas.enable", "false")]);
    let deep = "[".repeat(100_000);
    let err = decode(&c, &deep).unwrap_err();
    assert!(matches!(err, Error::Json(_)));
    let mut value = Value::Int64(1);
    for _ in 0..200 {
        value = Value::Array(vec![value]);
    }
    let err = c.encode(None, &value).unwrap_err();
    let Error::Data(data) = err else {
        panic!("{err:?}")
    };
    assert!(matches!(data.problem(), Problem::TooDeep(_)));
    let mut schema = Schema::int32();
    for _ in 0..100 {
        schema = SchemaBuilder::struct_().field("s", schema).build().unwrap();
    }
    let enveloped = converter(&[]);
    assert!(enveloped.schema_to_json(&schema).is_err());
}

#[test]
fn large_values_share_the_input() {
    let c = converter(&[("schemas.enable", "false")]);
    let text = format!("\"{}\"", "x".repeat(10 << 20));
    let input = Bytes::from(text);
    let Value::String(s) = c.decode(&input).unwrap().value else {
        panic!()
    };
    assert_eq!(s.len(), 10 << 20);
    assert_eq!(s.as_bytes().as_ptr(), input[1..].as_ptr());
}

#[test]
fn struct_schema_must_match() {
    let c = converter(&[]);
    let other = SchemaBuilder::struct_()
        .field("x", Schema::int32())
        .build()
        .unwrap();
    let err = c.encode(Some(&other), &Value::Struct(order())).unwrap_err();
    let Error::Data(data) = err else {
        panic!("{err:?}")
    };
    assert_eq!(data.problem(), &Problem::StructSchemaMismatch);
    assert_eq!(other.ty(), Type::Struct);
}

#[test]
fn a_cached_schema_is_not_parsed_again_and_reads_the_same() {
    let schema = r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"s"},{"type":"array","items":{"type":"int32"},"optional":true,"field":"a"},{"type":"map","keys":{"type":"string"},"values":{"type":"string"},"optional":true,"field":"m"}],"optional":false,"name":"r\"{]"}"#;
    let payloads = [
        r#"{"s":"x","a":[1,2],"m":{"k":"v"}}"#,
        r#"{"s":"brace } and \" quote","a":[],"m":{}}"#,
        r#"{"s":null,"a":null,"m":{"{":"]"}}"#,
        r#"{"s":"\u00e9\n","a":[3],"m":null}"#,
    ];
    let shapes = [
        "{{\"schema\":{s},\"payload\":{p}}}",
        " {{ \"schema\" : {s} ,\n \"payload\" : {p} }} ",
        // Other shapes take the full parse: key order, a repeated key, trailing content.
        "{{\"payload\":{p},\"schema\":{s}}}",
        "{{\"schema\":{s},\"payload\":{p},\"payload\":{p}}}",
        "{{\"schema\":{s},\"payload\":{p}}} x",
        "{{\"schema\":{s},\"payload\":[1,}}",
    ];
    for payload in payloads {
        for shape in shapes {
            let text = shape.replace("{s}", schema).replace("{p}", payload);
            let cold = converter(&[]);
            let warm = converter(&[]);
            // The second read of `warm` finds the schema cached, the third as the last one.
            let first = decode(&warm, &text);
            let cached = decode(&warm, &text);
            let last = decode(&warm, &text);
            let fresh = decode(&cold, &text);
            assert_eq!(
                format!("{last:?}"),
                format!("{fresh:?}"),
                "last vs fresh for {text}"
            );
            assert_eq!(
                format!("{cached:?}"),
                format!("{fresh:?}"),
                "cached vs fresh for {text}"
            );
            assert_eq!(format!("{first:?}"), format!("{fresh:?}"), "{text}");
        }
    }
    // A schema seen once, then a record whose schema differs only inside a string.
    let c = converter(&[]);
    let text = format!("{{\"schema\":{schema},\"payload\":{}}}", payloads[0]);
    decode(&c, &text).unwrap();
    let other = text.replace(r#""name":"r\"{]""#, r#""name":"r\"{}""#);
    assert_ne!(other, text);
    assert_eq!(
        format!("{:?}", decode(&c, &other)),
        format!("{:?}", decode(&converter(&[]), &other))
    );
}

#[test]
fn integers_read_from_any_exact_form() {
    // Kafka Connect 4.3.1 reads these through BigDecimal.intValue() / longValue().
    let c = converter(&[]);
    let read = |ty: &str, payload: &str| {
        decode(
            &c,
            &format!(r#"{{"schema":{{"type":"{ty}"}},"payload":{payload}}}"#),
        )
        .map(|r| r.value)
    };
    assert_eq!(read("int32", "1e3").unwrap(), Value::Int32(1000));
    assert_eq!(read("int64", "5.0").unwrap(), Value::Int64(5));
    assert_eq!(read("int16", "1.5e1").unwrap(), Value::Int16(15));
    assert_eq!(read("int8", "1.27e2").unwrap(), Value::Int8(127));
    assert_eq!(read("int8", "-0.0").unwrap(), Value::Int8(0));
    assert_eq!(
        read("int64", "9.223372036854775807E18").unwrap(),
        Value::Int64(i64::MAX)
    );
    // Where Java truncates or wraps, this is an error.
    for (ty, payload) in [
        ("int8", "1.28e2"),
        ("int32", "2147483648.0"),
        ("int64", "9.223372036854775808E18"),
        ("int64", "1e400"),
        ("int32", "1e-400"),
        ("int32", "1.9"),
    ] {
        let err = read(ty, payload).unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData, "{ty} {payload}");
    }
    // A default value is read the same way.
    let defaulted = decode(
        &c,
        r#"{"schema":{"type":"int32","optional":true,"default":1e3},"payload":null}"#,
    )
    .unwrap();
    assert_eq!(defaulted.value, Value::Int32(1000));
    // Kafka Connect's Date, Time and Timestamp want an integer as written (isInt(),
    // isIntegralNumber()), and so does a schema's version.
    let date = r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#;
    assert!(decode(&c, &format!(r#"{{"schema":{date},"payload":1e3}}"#)).is_err());
    let versioned = decode(
        &c,
        r#"{"schema":{"type":"int32","version":1e0},"payload":1}"#,
    )
    .unwrap();
    assert_eq!(versioned.schema.unwrap().version(), None);
}

#[test]
fn a_repeated_key_in_map_pairs_keeps_the_last_value() {
    let c = converter(&[]);
    let schema = r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#;
    let read = decode(
        &c,
        &format!(r#"{{"schema":{schema},"payload":[[1,2],[3,4],[1,5]]}}"#),
    )
    .unwrap();
    assert_eq!(
        read.value,
        Value::Map(vec![
            (Value::Int32(1), Value::Int32(5)),
            (Value::Int32(3), Value::Int32(4)),
        ])
    );
    // Java compares byte[] keys by identity: both are kept.
    let bytes = r#"{"type":"map","keys":{"type":"bytes"},"values":{"type":"int32"}}"#;
    let read = decode(
        &c,
        &format!(r#"{{"schema":{bytes},"payload":[["AQ==",2],["AQ==",5]]}}"#),
    )
    .unwrap();
    let Value::Map(entries) = read.value else {
        panic!()
    };
    assert_eq!(entries.len(), 2);
}

fn struct_with_struct_default(optional: bool) -> SchemaRef {
    let mut builder = SchemaBuilder::struct_().field("x", Schema::int32());
    if optional {
        builder = builder.optional();
    }
    let plain = builder.clone().build().unwrap();
    let default = Struct::new(plain).unwrap().with("x", 1).unwrap();
    builder
        .default_value(Value::Struct(default))
        .build()
        .unwrap()
}

#[test]
fn struct_defaults_are_refused_like_kafka_connect() {
    // What Kafka Connect 4.3.1 does with an optional STRUCT schema whose default is a Struct:
    // with the envelope it cannot write the schema ("Mismatching schema"), value or not; without
    // it, only a null replaced by the default fails.
    let schema = struct_with_struct_default(true);
    let value = Value::Struct(Struct::new(schema.clone()).unwrap().with("x", 2).unwrap());
    let outer = SchemaBuilder::struct_()
        .field("inner", schema.clone())
        .build()
        .unwrap();
    let outer_value = Value::Struct(Struct::new(outer.clone()).unwrap());
    for setting in ["true", "false"] {
        let c = converter(&[("replace.null.with.default", setting)]);
        for (s, v) in [
            (&schema, &Value::Null),
            (&schema, &value),
            (&outer, &outer_value),
        ] {
            let err = c.encode(Some(s), v).unwrap_err();
            assert_eq!(err.class(), ErrorClass::BadData, "{err}");
        }
    }
    let plain = converter(&[("schemas.enable", "false")]);
    assert_eq!(encode(&plain, Some(&schema), &value), r#"{"x":2}"#);
    assert!(plain.encode(Some(&schema), &Value::Null).is_err());
    assert!(plain.encode(Some(&outer), &outer_value).is_err());
    let keep = converter(&[
        ("schemas.enable", "false"),
        ("replace.null.with.default", "false"),
    ]);
    assert_eq!(encode(&keep, Some(&schema), &Value::Null), "null");
    assert_eq!(
        encode(&keep, Some(&outer), &outer_value),
        r#"{"inner":null}"#
    );
    // A required one the same.
    let required = struct_with_struct_default(false);
    assert!(
        converter(&[])
            .encode(Some(&required), &Value::Null)
            .is_err()
    );

    // Reading: a STRUCT schema with a default is refused; a null default is no default.
    let c = converter(&[]);
    let fields = r#""fields":[{"type":"int32","optional":false,"field":"x"}]"#;
    for default in [r#"{"x":1}"#, "{}", "5"] {
        let text = format!(
            r#"{{"schema":{{"type":"struct",{fields},"optional":true,"default":{default}}},"payload":null}}"#
        );
        let err = decode(&c, &text).unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData, "{default}: {err}");
    }
    let text = format!(
        r#"{{"schema":{{"type":"struct",{fields},"optional":true,"default":null}},"payload":{{"x":2}}}}"#
    );
    assert!(decode(&c, &text).is_ok());
}
