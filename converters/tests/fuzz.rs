//! Hostile input never panics: arbitrary bytes and JSON-like text go through every decoder, and
//! each either reads or returns an error. Plus the cases that would break a naive decoder:
//! very deep nesting (on a small stack) and values of 10 MB.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use connect_api::data::{SchemaBuilder, Str, Value};
use converters::{Converter, ConverterClass, ConverterConfig, ConverterType, JsonConverter};
use proptest::prelude::*;

fn converters() -> Vec<Box<dyn Converter>> {
    let mut all = Vec::new();
    // Avro needs a registry for unknown schema ids; its decoder has its own fuzz test with
    // primed schemas (src/avro/tests).
    let classes = ConverterClass::ALL
        .into_iter()
        .filter(|c| c.is_available() && *c != ConverterClass::Avro);
    for class in classes {
        for props in [vec![], vec![("schemas.enable", "false")]] {
            let config = ConverterConfig::new(props, ConverterType::Value);
            all.push(class.create(&config).unwrap());
        }
    }
    let keep_nulls = [
        ("replace.null.with.default", "false"),
        ("decimal.format", "NUMERIC"),
    ];
    all.push(Box::new(
        JsonConverter::new(&ConverterConfig::new(keep_nulls, ConverterType::Key)).unwrap(),
    ));
    all
}

fn read_with_all(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    for converter in converters() {
        if let Ok(read) = converter.to_connect_data("topic", &[], Some(&bytes)) {
            // What was read can be written again, or refused with an error.
            let _ = converter.from_connect_data("topic", &[], read.schema.as_ref(), &read.value);
        }
    }
}

/// Pieces of JSON, and of Kafka Connect's envelope and schemas in particular.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\"a\"",
    "\"schema\"",
    "\"payload\"",
    "\"type\"",
    "\"int8\"",
    "\"int32\"",
    "\"int64\"",
    "\"float\"",
    "\"double\"",
    "\"boolean\"",
    "\"string\"",
    "\"bytes\"",
    "\"array\"",
    "\"map\"",
    "\"struct\"",
    "\"fields\"",
    "\"field\"",
    "\"items\"",
    "\"keys\"",
    "\"values\"",
    "\"optional\"",
    "\"default\"",
    "\"name\"",
    "\"version\"",
    "\"parameters\"",
    "\"scale\"",
    "\"2\"",
    "\"org.apache.kafka.connect.data.Decimal\"",
    "\"org.apache.kafka.connect.data.Time\"",
    "\"AJY=\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud800\"",
    "\"\\u00e9\"",
    "\"NaN\"",
    "true",
    "false",
    "null",
    "0",
    "-0",
    "007",
    "-1",
    "1.5e3",
    "1e400",
    "300",
    "9223372036854775808",
    "\"",
    "\\",
    "\u{feff}",
];

fn json_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..48).prop_map(|tokens| tokens.concat())
}

/// Well-formed JSON of random shape.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "[a-z\\u{e9}\\u{1F600}]{0,8}".prop_map(|s| format!("{s:?}")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-z]{0,3}", inner), 0..6).prop_map(|members| {
                let members: Vec<String> =
                    members.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

const SCHEMAS: &[&str] = &[
    "null",
    r#"{"type":"int32"}"#,
    r#"{"type":"string","optional":true,"default":"d"}"#,
    r#"{"type":"array","items":{"type":"int64","optional":true}}"#,
    r#"{"type":"map","keys":{"type":"string"},"values":{"type":"double"}}"#,
    r#"{"type":"map","keys":{"type":"int8"},"values":{"type":"boolean"}}"#,
    r#"{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"string","optional":true,"field":"b"}]}"#,
    r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#,
    r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        read_with_all(&data);
    }

    #[test]
    fn json_like_text_never_panics(text in json_like()) {
        read_with_all(text.as_bytes());
    }

    #[test]
    fn payloads_under_schemas_never_panic(
        schema in prop::sample::select(SCHEMAS),
        payload in prop_oneof![json_value(), json_like()],
    ) {
        read_with_all(format!(r#"{{"schema":{schema},"payload":{payload}}}"#).as_bytes());
    }

    #[test]
    fn schemaless_json_round_trips(text in json_value()) {
        let json = JsonConverter::new(&ConverterConfig::new([("schemas.enable", "false")], ConverterType::Value)).unwrap();
        let first = json.decode(&Bytes::from(text)).unwrap();
        let written = json.encode(None, &first.value).unwrap().unwrap_or_default();
        let second = json.decode(&written).unwrap();
        prop_assert_eq!(first, second);
    }
}

#[test]
fn deep_nesting_errors_even_on_a_small_stack() {
    let run = || {
        for depth in [connect_api::data::MAX_DEPTH, 100_000] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let mut schema = String::from(r#"{"type":"int32"}"#);
            for _ in 0..depth.min(1000) {
                schema = format!(r#"{{"type":"array","items":{schema}}}"#);
            }
            let envelope = format!(r#"{{"schema":{schema},"payload":{arrays}}}"#);
            for doc in [&arrays, &objects, &envelope] {
                read_with_all(doc.as_bytes());
            }
        }
        let mut value = Value::Int64(1);
        for _ in 0..10_000 {
            value = Value::Array(vec![value]);
        }
        let json = JsonConverter::new(&ConverterConfig::new(
            [("schemas.enable", "false")],
            ConverterType::Value,
        ))
        .unwrap();
        assert!(json.encode(None, &value).is_err());
        // Dropping a deep value recurses too; unwrap it iteratively.
        while let Value::Array(mut items) = value {
            value = items.pop().unwrap_or_default();
        }
    };
    // Shard threads may have small stacks; debug builds have large frames.
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn ten_megabyte_values() {
    const SIZE: usize = 10 << 20;
    let text = "x".repeat(SIZE);
    let cases = [
        format!("\"{text}\""),
        format!(r#"{{"schema":{{"type":"string"}},"payload":"{text}"}}"#),
        format!(
            r#"{{"schema":{{"type":"bytes"}},"payload":"{}"}}"#,
            "AAAA".repeat(SIZE / 4)
        ),
        format!("\"{text}"),
        text.clone(),
    ];
    for doc in &cases {
        read_with_all(doc.as_bytes());
    }
    let mut invalid = text.into_bytes();
    invalid.push(0xff);
    read_with_all(&invalid);

    let schema = SchemaBuilder::string().build().unwrap();
    let big: Str = "y".repeat(SIZE).into();
    let json = JsonConverter::new(&ConverterConfig::new(
        Vec::<(String, String)>::new(),
        ConverterType::Value,
    ))
    .unwrap();
    let written = json
        .encode(Some(&schema), &Value::String(big.clone()))
        .unwrap()
        .unwrap();
    assert_eq!(json.decode(&written).unwrap().value, Value::String(big));
}
