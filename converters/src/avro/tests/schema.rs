//! Connect ⇄ Avro schema mapping. Expected texts are what Confluent's `AvroData` registers
//! (Avro's Java `Schema.toString()`), rule by rule.

use super::*;

fn avro(schema: &SchemaRef) -> String {
    to_avro_schema(schema).unwrap()
}

/// The Connect schema read back from the Avro text of `schema`.
fn back(schema: &SchemaRef) -> SchemaRef {
    to_connect_schema(&avro(schema)).unwrap()
}

fn record(fields: &str) -> String {
    format!(
        r#"{{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{fields}]}}"#
    )
}

#[test]
fn primitives() {
    for (schema, text) in [
        (Schema::int32(), r#""int""#),
        (Schema::int64(), r#""long""#),
        (Schema::float32(), r#""float""#),
        (Schema::float64(), r#""double""#),
        (Schema::boolean(), r#""boolean""#),
        (Schema::string(), r#""string""#),
        (Schema::bytes(), r#""bytes""#),
        (Schema::int8(), r#"{"type":"int","connect.type":"int8"}"#),
        (Schema::int16(), r#"{"type":"int","connect.type":"int16"}"#),
        (Schema::optional_string(), r#"["null","string"]"#),
        (
            Schema::optional_int8(),
            r#"["null",{"type":"int","connect.type":"int8"}]"#,
        ),
    ] {
        assert_eq!(avro(&schema), text);
        assert_eq!(back(&schema), schema, "{text}");
    }
}

#[test]
fn logical_types() {
    let decimal = decimal_schema(2).build().unwrap();
    assert_eq!(
        avro(&decimal),
        r#"{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#
    );
    let precise = decimal_schema(3)
        .parameter(DECIMAL_PRECISION_PARAM, "10")
        .build()
        .unwrap();
    assert_eq!(
        avro(&precise),
        r#"{"type":"bytes","scale":3,"precision":10,"connect.version":1,"connect.parameters":{"scale":"3","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}"#
    );
    let date = date_schema().build().unwrap();
    assert_eq!(
        avro(&date),
        r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}"#
    );
    let time = time_schema().build().unwrap();
    assert_eq!(
        avro(&time),
        r#"{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}"#
    );
    let timestamp = timestamp_schema().build().unwrap();
    assert_eq!(
        avro(&timestamp),
        r#"{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}"#
    );
    for schema in [decimal, precise, date, time, timestamp] {
        let read = back(&schema);
        assert_eq!(read, schema);
        assert!(read.logical().is_some());
    }
}

#[test]
fn logical_types_written_by_others() {
    // Plain Avro logical types, without Connect's properties.
    let read = to_connect_schema(
        r#"{"type":"record","name":"r","fields":[
            {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
            {"name":"day","type":{"type":"int","logicalType":"date"}},
            {"name":"at","type":{"type":"long","logicalType":"timestamp-micros"}},
            {"name":"f","type":{"type":"fixed","name":"money","size":4,"logicalType":"decimal","precision":6,"scale":1}}]}"#,
    )
    .unwrap();
    let d = read.field("d").unwrap().schema();
    assert_eq!(d.logical(), Some(Logical::Decimal { scale: 2 }));
    assert_eq!(d.parameter(DECIMAL_PRECISION_PARAM), Some("8"));
    assert_eq!(
        read.field("day").unwrap().schema().logical(),
        Some(Logical::Date)
    );
    let at = read.field("at").unwrap().schema();
    assert_eq!((at.ty(), at.logical()), (Type::Int64, None));
    let f = read.field("f").unwrap().schema();
    assert_eq!(f.logical(), Some(Logical::Decimal { scale: 1 }));
    assert_eq!(f.parameter("connect.fixed.size"), Some("4"));
    assert_eq!(read.name(), Some("r"));
}

#[test]
fn optional_and_defaults() {
    let defaulted = SchemaBuilder::int32()
        .optional()
        .default_value(5)
        .build()
        .unwrap();
    let required_default = SchemaBuilder::string().default_value("x").build().unwrap();
    let schema = SchemaBuilder::struct_()
        .field("a", Schema::optional_string())
        .field("b", defaulted)
        .field("c", required_default)
        .field(
            "d",
            SchemaBuilder::float32()
                .default_value(1.1f32)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        record(
            r#"{"name":"a","type":["null","string"],"default":null},{"name":"b","type":[{"type":"int","connect.default":5},"null"],"default":5},{"name":"c","type":{"type":"string","connect.default":"x"},"default":"x"},{"name":"d","type":{"type":"float","connect.default":1.1},"default":1.100000023841858}"#
        )
    );
    assert_eq!(back(&schema), schema);
}

#[test]
fn struct_defaults_and_bytes_defaults() {
    let inner = SchemaBuilder::struct_()
        .name("com.example.Point")
        .field("x", Schema::int32())
        .field("y", Schema::optional_int32())
        .build()
        .unwrap();
    let point = Struct::new(inner.clone()).unwrap().with("x", 1).unwrap();
    let with_default = inner.to_builder().default_value(point).build().unwrap();
    let bytes = SchemaBuilder::bytes()
        .default_value(Bytes::from_static(&[0, 0xff]))
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_()
        .field("p", with_default)
        .field("raw", bytes)
        .build()
        .unwrap();
    let text = avro(&schema);
    assert!(
        text.contains(r#""default":{"x":1,"y":null}"#),
        "struct default as a field default: {text}"
    );
    assert!(
        text.contains(r#""connect.default":{"x":1,"y":null}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""default":"\u0000ÿ""#),
        "bytes as ISO-8859-1: {text}"
    );
    assert_eq!(back(&schema), schema);
}

#[test]
fn nested_struct_array_map() {
    let item = SchemaBuilder::struct_()
        .name("com.example.Item")
        .doc("a line")
        .version(3)
        .parameter("p", "v")
        .field("sku", Schema::string())
        .field("qty", Schema::int32())
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_()
        .name("com.example.Order")
        .field("items", SchemaBuilder::array(item.clone()).build().unwrap())
        .field("first", item)
        .field(
            "tags",
            SchemaBuilder::map(Schema::string(), Schema::int64())
                .optional()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        r#"{"type":"record","name":"Order","namespace":"com.example","fields":[{"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}],"connect.doc":"a line","connect.version":3,"connect.parameters":{"p":"v"},"connect.name":"com.example.Item"}}},{"name":"first","type":"Item"},{"name":"tags","type":["null",{"type":"map","values":"long"}],"default":null}],"connect.name":"com.example.Order"}"#
    );
    assert_eq!(back(&schema), schema);
}

#[test]
fn maps_with_other_keys() {
    let schema = SchemaBuilder::struct_()
        .field(
            "m",
            SchemaBuilder::map(Schema::int32(), Schema::optional_string())
                .build()
                .unwrap(),
        )
        .field(
            "named",
            SchemaBuilder::map(Schema::optional_string(), Schema::int32())
                .name("com.example.Pairs")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        record(
            r#"{"name":"m","type":{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"int"},{"name":"value","type":["null","string"],"default":null}]}}},{"name":"named","type":{"type":"array","items":{"type":"record","name":"Pairs","namespace":"com.example","fields":[{"name":"key","type":["null","string"],"default":null},{"name":"value","type":"int"}],"connect.internal.type":"MapEntry"},"connect.name":"com.example.Pairs"}}"#
        )
    );
    assert_eq!(back(&schema), schema);
}

#[test]
fn unnamed_structs_are_numbered_and_shared_when_equal() {
    let a = SchemaBuilder::struct_()
        .field("x", Schema::int32())
        .build()
        .unwrap();
    let b = SchemaBuilder::struct_()
        .field("y", Schema::string())
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_()
        .field("a", a.clone())
        .field("b", b)
        .field("a2", a.to_builder().optional().build().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        record(
            r#"{"name":"a","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"x","type":"int"}]}},{"name":"b","type":{"type":"record","name":"ConnectDefault3","fields":[{"name":"y","type":"string"}]}},{"name":"a2","type":["null","ConnectDefault2"],"default":null}"#
        )
    );
    // Unnamed structs read back without a name.
    assert_eq!(back(&schema), schema);
}

#[test]
fn names_split_into_namespaces() {
    let inner = SchemaBuilder::struct_()
        .name("Plain")
        .field("x", Schema::int32())
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_()
        .name("a.b.Outer")
        .field("i", inner)
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        r#"{"type":"record","name":"Outer","namespace":"a.b","fields":[{"name":"i","type":{"type":"record","name":"Plain","namespace":"","fields":[{"name":"x","type":"int"}],"connect.name":"Plain"}}],"connect.name":"a.b.Outer"}"#
    );
    assert_eq!(back(&schema), schema);
    let clash = SchemaBuilder::struct_()
        .field(
            "one",
            SchemaBuilder::struct_()
                .name("N")
                .field("x", Schema::int32())
                .build()
                .unwrap(),
        )
        .field(
            "two",
            SchemaBuilder::struct_()
                .name("N")
                .field("y", Schema::int32())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = to_avro_schema(&clash).unwrap_err();
    assert!(err.to_string().contains("Can't redefine"), "{err}");
}

#[test]
fn docs_and_parameters() {
    let schema = SchemaBuilder::struct_()
        .name("r.R")
        .parameter("io.confluent.connect.avro.record.doc", "record doc")
        .parameter("io.confluent.connect.avro.field.doc.f", "field doc")
        .field(
            "f",
            SchemaBuilder::string().doc("connect doc").build().unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        avro(&schema),
        r#"{"type":"record","name":"R","namespace":"r","doc":"record doc","fields":[{"name":"f","type":{"type":"string","connect.doc":"connect doc"},"doc":"field doc"}],"connect.parameters":{"io.confluent.connect.avro.record.doc":"record doc","io.confluent.connect.avro.field.doc.f":"field doc"},"connect.name":"r.R"}"#
    );
    assert_eq!(back(&schema), schema);
}

#[test]
fn avro_types_connect_lacks() {
    let read = to_connect_schema(
        r#"{"type":"record","name":"ns.R","doc":"d","fields":[
            {"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"],"doc":"c","default":"RED"}},
            {"name":"u","type":["null","string","int",{"type":"record","name":"Sub","fields":[]}]},
            {"name":"one","type":["long"]},
            {"name":"n","type":["string","null"],"default":"x"},
            {"name":"k","type":"int","default":3,"doc":"kd"}]}"#,
    )
    .unwrap();
    assert_eq!(read.name(), Some("ns.R"));
    assert_eq!(
        read.parameter("io.confluent.connect.avro.record.doc"),
        Some("d")
    );
    assert_eq!(
        read.parameter("io.confluent.connect.avro.field.doc.k"),
        Some("kd")
    );
    let e = read.field("e").unwrap().schema();
    assert_eq!(e.ty(), Type::String);
    assert_eq!(e.name(), Some("ns.Color"));
    let params: Vec<(&str, &str)> = e.parameters().iter().map(|(k, v)| (&**k, &**v)).collect();
    assert_eq!(
        params,
        [
            ("io.confluent.connect.avro.enum.doc.Color", "c"),
            ("io.confluent.connect.avro.enum.default.Color", "RED"),
            ("io.confluent.connect.avro.Enum", "ns.Color"),
            ("io.confluent.connect.avro.Enum.RED", "RED"),
            ("io.confluent.connect.avro.Enum.GREEN", "GREEN"),
        ]
    );
    let u = read.field("u").unwrap().schema();
    assert_eq!(u.name(), Some("io.confluent.connect.avro.Union"));
    assert!(u.is_optional());
    let names: Vec<&str> = u.fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["string", "int", "Sub"]);
    assert!(u.fields().iter().all(|f| f.schema().is_optional()));
    assert_eq!(read.field("one").unwrap().schema().ty(), Type::Int64);
    let n = read.field("n").unwrap().schema();
    // The field default of a union is not carried over (Confluent reads only connect.default).
    assert!(n.is_optional() && n.default_value().is_none());
    let k = read.field("k").unwrap().schema();
    assert_eq!(k.default_value(), Some(&Value::Int32(3)));
    assert_eq!(
        k.parameter("io.confluent.connect.avro.field.default"),
        Some("true")
    );
}

#[test]
fn unions_round_trip() {
    let read =
        to_connect_schema(r#"["null","string",{"type":"int","connect.type":"int16"}]"#).unwrap();
    assert_eq!(
        avro(&read),
        r#"["null","string",{"type":"int","connect.type":"int16"}]"#
    );
}

#[test]
fn refuses_what_connect_cannot_hold() {
    assert!(to_connect_schema(r#""null""#).is_err());
    assert!(to_connect_schema(r#"{"type":"int","connect.type":"int128"}"#).is_err());
    let recursive = r#"{"type":"record","name":"L","fields":[{"name":"n","type":["null","L"]}]}"#;
    let err = to_connect_schema(recursive).unwrap_err();
    assert!(err.to_string().contains("recursive"), "{err}");
    let bad_name = SchemaBuilder::struct_()
        .field("a-b", Schema::int32())
        .build()
        .unwrap();
    assert!(to_avro_schema(&bad_name).is_ok());
    // Avro refuses the field name when the text is parsed, as Java's Schema.Field does.
    let converter = converter(&[]);
    let err = converter.encode(
        "t",
        Some(&bad_name),
        &Value::Struct(
            Struct::new(bad_name.clone())
                .unwrap()
                .with("a-b", 1)
                .unwrap(),
        ),
    );
    assert_eq!(err.unwrap_err().class(), ErrorClass::BadData);
}

#[test]
fn every_text_parses_with_apache_avro() {
    for schema in sample_schemas() {
        let text = avro(&schema);
        apache_avro::Schema::parse_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back(&schema), schema, "{text}");
    }
}

#[test]
fn exponential_schemas_are_refused() {
    // T<n> has two fields of type T<n-1>: 2^30 Connect schemas if expanded.
    let mut text = r#"{"type":"record","name":"T0","fields":[]}"#.to_owned();
    for n in 1..30 {
        let prev = n - 1;
        text = format!(
            r#"{{"type":"record","name":"T{n}","fields":[{{"name":"a","type":{text}}},{{"name":"b","type":"T{prev}"}}]}}"#
        );
    }
    let err = to_connect_schema(&text).unwrap_err();
    assert!(err.to_string().contains("expands to more than"), "{err}");
}

/// Pieces of Avro schema text.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"type\"",
    "\"record\"",
    "\"name\"",
    "\"R\"",
    "\"fields\"",
    "\"int\"",
    "\"null\"",
    "\"string\"",
    "\"map\"",
    "\"values\"",
    "\"array\"",
    "\"items\"",
    "\"enum\"",
    "\"symbols\"",
    "\"fixed\"",
    "\"size\"",
    "2",
    "-1",
    "\"logicalType\"",
    "\"decimal\"",
    "\"precision\"",
    "\"scale\"",
    "\"connect.type\"",
    "\"int8\"",
    "\"connect.parameters\"",
    "\"connect.default\"",
    "\"default\"",
    "null",
    "true",
    "1.5",
    "\"connect.name\"",
    "\"connect.version\"",
    "\"namespace\"",
    "\"a.b\"",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

    /// Schema text from the registry is input too: odd schemas are refused, never a panic.
    #[test]
    fn schema_text_never_panics(picks in proptest::collection::vec(0..TOKENS.len(), 0..48)) {
        let text: String = picks.iter().map(|&i| TOKENS[i]).collect();
        let _ = to_connect_schema(&text);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

    /// Valid schemas with a token inserted and a span cut out: mostly almost-valid schemas.
    #[test]
    fn mutated_schemas_never_panic(
        which in 0usize..8,
        at in 0usize..2000,
        token in 0..TOKENS.len(),
        cut in 0usize..2000,
        len in 0usize..40,
    ) {
        let base = to_avro_schema(&sample_schemas()[which]).unwrap();
        let mut text = base.into_bytes();
        let at = at % (text.len() + 1);
        text.splice(at..at, TOKENS[token].bytes());
        let cut = cut % (text.len() + 1);
        let end = (cut + len).min(text.len());
        text.drain(cut..end);
        if let Ok(text) = String::from_utf8(text) {
            let _ = to_connect_schema(&text);
        }
    }
}
