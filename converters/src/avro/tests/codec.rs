//! Writing and reading records: framing, round trips, agreement with `apache-avro`'s codec, and
//! hostile input.

use proptest::prelude::*;

use super::*;

/// Writes `value` with a primed converter and reads it back.
fn round_trip(schema: &SchemaRef, value: &Value) -> (Bytes, SchemaAndValue) {
    let converter = converter(&[]);
    let text = to_avro_schema(schema).unwrap();
    converter.prime("t-value", 7, &text).unwrap();
    let frame = converter.encode("t", Some(schema), value).unwrap().unwrap();
    assert_eq!(&frame[..5], &[0, 0, 0, 0, 7]);
    let read = converter.decode("t", &frame).unwrap();
    (frame, read)
}

/// `apache-avro` reads exactly the bytes written, and what it writes back reads the same.
fn agrees_with_apache_avro(schema: &SchemaRef, frame: &Bytes, expected: &Value) {
    let text = to_avro_schema(schema).unwrap();
    let apache = apache_avro::Schema::parse_str(&text).unwrap();
    let mut body = &frame[5..];
    let decoded = apache_avro::reader::datum::GenericDatumReader::builder(&apache)
        .build()
        .unwrap()
        .read_value(&mut body)
        .unwrap_or_else(|e| panic!("apache-avro cannot read {:?}: {e}", &frame[5..]));
    assert!(body.is_empty(), "apache-avro left {} bytes", body.len());
    let rewritten = apache_avro::writer::datum::GenericDatumWriter::builder(&apache)
        .build()
        .unwrap()
        .write_value_to_vec(decoded)
        .unwrap();
    let converter = converter(&[]);
    converter.prime("t-value", 7, &text).unwrap();
    let mut again = wire::header(7, rewritten.len());
    again.extend_from_slice(&rewritten);
    let read = converter.decode("t", &Bytes::from(again)).unwrap();
    assert_eq!(&read.value, expected);
}

#[test]
fn nested_record_round_trips() {
    let schema = order_schema();
    let value = order_value(&schema);
    let (frame, read) = round_trip(&schema, &value);
    assert_eq!(read.schema.as_ref(), Some(&schema));
    // The null `level` is written as its default, as Kafka Connect's Struct.get gives it.
    let Value::Struct(read_struct) = &read.value else {
        panic!("{read:?}")
    };
    assert_eq!(
        read_struct.get_without_default("level"),
        Some(&Value::Int32(3))
    );
    let Value::Struct(written) = &value else {
        panic!()
    };
    for field in schema.fields().iter().filter(|f| f.name() != "level") {
        assert_eq!(
            read_struct.get(field.name()),
            written.get(field.name()),
            "{}",
            field.name()
        );
    }
    agrees_with_apache_avro(&schema, &frame, &read.value);
    // Strings read share the frame's buffer.
    let note = read_struct.get("note").unwrap();
    let Value::String(note) = note else { panic!() };
    let range = frame.as_ptr_range();
    assert!(range.contains(&note.as_bytes().as_ptr()));
}

#[test]
fn samples_round_trip_and_agree_with_apache_avro() {
    let cases: Vec<(SchemaRef, Value)> = vec![
        (Schema::string(), "text".into()),
        (Schema::optional_int64(), Value::Int64(-1)),
        (Schema::int8(), Value::Int8(-128)),
        (
            decimal_schema(4).optional().build().unwrap(),
            Value::Decimal(Decimal::new(-123_456_789, 4)),
        ),
        (
            SchemaBuilder::array(Schema::optional_string())
                .build()
                .unwrap(),
            Value::Array(vec!["a".into(), Value::Null, "".into()]),
        ),
        (
            SchemaBuilder::map(Schema::int64(), date_schema().build().unwrap())
                .build()
                .unwrap(),
            Value::Map(vec![(Value::Int64(1), Value::Date(-1))]),
        ),
        (Schema::float64(), Value::Float64(f64::MIN_POSITIVE)),
        (
            SchemaBuilder::array(Schema::int32()).build().unwrap(),
            Value::Array(vec![]),
        ),
    ];
    for (schema, value) in cases {
        let (frame, read) = round_trip(&schema, &value);
        assert_eq!(read.value, value, "{schema:?}");
        assert_eq!(read.schema.as_ref(), Some(&schema));
        agrees_with_apache_avro(&schema, &frame, &value);
    }
}

#[test]
fn top_level_bytes_are_raw_like_confluent() {
    let (frame, read) = round_trip(&Schema::bytes(), &Value::Bytes(Bytes::from_static(b"abc")));
    assert_eq!(&frame[..], b"\0\0\0\0\x07abc");
    assert_eq!(read.value, Value::Bytes(Bytes::from_static(b"abc")));
    let decimal = decimal_schema(1).build().unwrap();
    let (frame, read) = round_trip(&decimal, &Value::Decimal(Decimal::new(300, 1)));
    assert_eq!(&frame[5..], &[0x01, 0x2c]);
    assert_eq!(read.value, Value::Decimal(Decimal::new(300, 1)));
}

#[test]
fn nulls() {
    let converter = converter(&[]);
    assert_eq!(converter.encode("t", None, &Value::Null), Ok(None));
    assert_eq!(
        converter.encode("t", Some(&Schema::optional_string()), &Value::Null),
        Ok(None)
    );
    let err = converter
        .encode("t", Some(&Schema::string()), &Value::Null)
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadData);
    let err = converter.encode("t", None, &Value::Int32(1)).unwrap_err();
    assert!(err.to_string().contains("schemaless"), "{err}");
    assert_eq!(
        converter.to_connect_data("t", &[], None),
        Ok(SchemaAndValue::default())
    );
}

#[test]
fn framing_errors_name_the_topic() {
    let converter = converter(&[]);
    for bad in [&b""[..], b"\0", b"\0\0\0\0", b"\x01\0\0\0\x01\x02"] {
        let err = converter
            .decode("orders", &Bytes::copy_from_slice(bad))
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData);
        let Error::Data(data) = &err else {
            panic!("{err:?}")
        };
        assert!(
            matches!(data.problem(), Problem::NotConfluentFrame { topic, .. } if topic == "orders"),
            "{err}"
        );
    }
}

#[test]
fn corrupt_data_is_a_typed_error() {
    let schema = order_schema();
    let (frame, _) = round_trip(&schema, &order_value(&schema));
    let converter = converter(&[]);
    converter
        .prime("t-value", 7, &to_avro_schema(&schema).unwrap())
        .unwrap();
    for cut in 5..frame.len() {
        let err = converter.decode("t", &frame.slice(..cut)).unwrap_err();
        let Error::Data(data) = &err else {
            panic!("{err:?}")
        };
        assert!(
            matches!(data.problem(), Problem::InvalidAvro { schema_id: 7, .. }),
            "{err}"
        );
    }
    // A huge announced string length is refused before anything is allocated.
    let mut frame = wire::header(7, 16);
    frame.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    let text = converter.decode("t", &Bytes::from(frame.clone()));
    assert!(text.is_err());
    let strings = SchemaBuilder::array(Schema::string()).build().unwrap();
    converter
        .prime("a-value", 8, &to_avro_schema(&strings).unwrap())
        .unwrap();
    frame[4] = 8;
    let err = converter.decode("a", &Bytes::from(frame)).unwrap_err();
    assert!(err.to_string().contains("cannot fit"), "{err}");
}

#[test]
fn arrays_of_nulls_are_capped() {
    let converter = converter(&[]);
    converter
        .prime("n-value", 3, r#"{"type":"array","items":"null"}"#)
        .unwrap_err();
    // Connect cannot hold an array of Avro nulls; a record without fields encodes in 0 bytes.
    let empty = r#"{"type":"array","items":{"type":"record","name":"E","fields":[]}}"#;
    converter.prime("n-value", 3, empty).unwrap();
    let mut frame = wire::header(3, 16);
    encode::write_long(&mut frame, 1 << 40);
    let err = converter.decode("n", &Bytes::from(frame)).unwrap_err();
    assert!(err.to_string().contains("cannot fit"), "{err}");
    let mut frame = wire::header(3, 16);
    encode::write_long(&mut frame, 1000);
    frame.push(0);
    let read = converter.decode("n", &Bytes::from(frame)).unwrap();
    let Value::Array(items) = read.value else {
        panic!()
    };
    assert_eq!(items.len(), 1000);
}

#[test]
fn enums_fixed_and_unions_read_and_write() {
    let text = r#"{"type":"record","name":"R","fields":[
        {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
        {"name":"f","type":{"type":"fixed","name":"F","size":2}},
        {"name":"u","type":["null","string","long"]}]}"#;
    let converter = converter(&[]);
    converter.prime("t-value", 9, text).unwrap();
    // e = B, f = [1,2], u = long 5
    let frame = Bytes::from_static(&[0, 0, 0, 0, 9, 2, 1, 2, 4, 10]);
    let read = converter.decode("t", &frame).unwrap();
    let schema = read.schema.clone().unwrap();
    let Value::Struct(s) = &read.value else {
        panic!()
    };
    assert_eq!(s.get("e"), Some(&Value::String("B".into())));
    assert_eq!(s.get("f"), Some(&Value::Bytes(Bytes::from_static(&[1, 2]))));
    let Some(Value::Struct(u)) = s.get("u") else {
        panic!()
    };
    assert_eq!(u.get("long"), Some(&Value::Int64(5)));
    assert_eq!(u.get("string"), Some(&Value::Null));
    // Written back with the Avro schema derived from the Connect schema: the enum becomes a
    // string (Confluent's default), the fixed and the union stay.
    let derived = to_avro_schema(&schema).unwrap();
    assert!(
        derived.contains(r#"{"type":"fixed","name":"F","size":2"#),
        "{derived}"
    );
    converter.prime("t-value", 10, &derived).unwrap();
    let again = converter
        .encode("t", Some(&schema), &read.value)
        .unwrap()
        .unwrap();
    assert_eq!(&again[..], &[0, 0, 0, 0, 10, 2, b'B', 1, 2, 4, 10]);
    let reread = converter.decode("t", &again).unwrap();
    // The union field now has Avro's `"default":null`, which Confluent's reading marks with the
    // io.confluent.connect.avro.field.default parameter; the data and the Avro text are stable.
    let union = reread
        .schema
        .as_ref()
        .unwrap()
        .field("u")
        .unwrap()
        .schema()
        .clone();
    assert_eq!(
        union.parameter("io.confluent.connect.avro.field.default"),
        Some("true")
    );
    assert_eq!(
        to_avro_schema(reread.schema.as_ref().unwrap()).unwrap(),
        derived
    );
    let third = converter
        .encode("t", reread.schema.as_ref(), &reread.value)
        .unwrap()
        .unwrap();
    assert_eq!(third, again);
}

#[test]
fn writes_by_field_name_into_a_different_writer_schema() {
    // The writer schema (as use.latest.version would pick it) orders fields differently and has
    // an extra optional field and an extra defaulted field.
    let latest = r#"{"type":"record","name":"R","fields":[
        {"name":"b","type":"string"},
        {"name":"extra","type":["null","int"],"default":null},
        {"name":"a","type":"int"},
        {"name":"d","type":"long","default":9}]}"#;
    let converter = converter(&[
        ("auto.register.schemas", "false"),
        ("use.latest.version", "true"),
    ]);
    converter.prime("t-value", 11, latest).unwrap();
    let mine = SchemaBuilder::struct_()
        .name("R")
        .field("a", Schema::int32())
        .field("b", Schema::string())
        .build()
        .unwrap();
    let value = Value::Struct(
        Struct::new(mine.clone())
            .unwrap()
            .with("a", 1)
            .unwrap()
            .with("b", "x")
            .unwrap(),
    );
    let frame = converter.encode("t", Some(&mine), &value).unwrap().unwrap();
    assert_eq!(&frame[..], &[0, 0, 0, 0, 11, 2, b'x', 0, 2, 18]);
    let read = converter.decode("t", &frame).unwrap();
    let Value::Struct(s) = read.value else {
        panic!()
    };
    assert_eq!(s.get("a"), Some(&Value::Int32(1)));
    assert_eq!(s.get("d"), Some(&Value::Int64(9)));
}

#[test]
fn value_errors_name_the_path() {
    let schema = order_schema();
    let Value::Struct(mut s) = order_value(&schema) else {
        panic!()
    };
    let item_schema = schema
        .field("items")
        .unwrap()
        .schema()
        .value_schema()
        .unwrap()
        .clone();
    let bad = Struct::new(item_schema)
        .unwrap()
        .with("sku", "z")
        .unwrap()
        .with("qty", 1i16)
        .unwrap()
        .with("price", Decimal::new(1, 3))
        .unwrap();
    s.put("items", vec![Value::Struct(bad)]).unwrap();
    let converter = converter(&[]);
    converter
        .prime("t-value", 7, &to_avro_schema(&schema).unwrap())
        .unwrap();
    let err = converter
        .encode("t", Some(&schema), &Value::Struct(s))
        .unwrap_err();
    let Error::Data(data) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(data.path().as_str(), "items[0].price");
    assert!(err.to_string().contains("scale"), "{err}");
}

#[test]
fn out_of_range_narrow_ints_are_errors() {
    let converter = converter(&[]);
    converter
        .prime("t-value", 4, r#"{"type":"int","connect.type":"int8"}"#)
        .unwrap();
    let mut frame = wire::header(4, 4);
    encode::write_long(&mut frame, 300);
    let err = converter.decode("t", &Bytes::from(frame)).unwrap_err();
    assert!(err.to_string().contains("out of range for INT8"), "{err}");
}

#[test]
fn cached_calls_do_not_reach_the_registry() {
    // The registry URL is dead: every call below must be served from the primed caches.
    let schema = order_schema();
    let value = order_value(&schema);
    let converter = converter(&[]);
    converter
        .prime("t-value", 7, &to_avro_schema(&schema).unwrap())
        .unwrap();
    for _ in 0..3 {
        let frame = converter
            .encode("t", Some(&schema), &value)
            .unwrap()
            .unwrap();
        converter.decode("t", &frame).unwrap();
    }
    // A subject that was not primed needs the registry, which is down: retriable.
    let err = converter
        .encode("other", Some(&schema), &value)
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retriable, "{err}");
    let err = converter
        .decode("t", &Bytes::from_static(&[0, 0, 0, 0, 99, 0]))
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retriable, "{err}");
}

#[test]
fn record_name_strategies_match_primed_subjects() {
    let schema = order_schema();
    let value = order_value(&schema);
    let text = to_avro_schema(&schema).unwrap();
    for (strategy, subject) in [
        ("RecordNameStrategy", "com.example.Order"),
        ("TopicRecordNameStrategy", "t-com.example.Order"),
    ] {
        let converter = converter(&[("value.subject.name.strategy", strategy)]);
        converter.prime(subject, 5, &text).unwrap();
        let frame = converter
            .encode("t", Some(&schema), &value)
            .unwrap()
            .unwrap();
        assert_eq!(frame[4], 5);
        converter.decode("t", &frame).unwrap();
        let err = converter
            .encode("t", Some(&Schema::string()), &"x".into())
            .unwrap_err();
        assert!(
            err.to_string().contains("must only be a record schema"),
            "{err}"
        );
    }
}

/// The fuzz schemas, primed under ids 0.. in one converter.
fn fuzz_converter() -> &'static AvroConverter {
    static CONVERTER: std::sync::LazyLock<AvroConverter> = std::sync::LazyLock::new(|| {
        let schemas = [
            to_avro_schema(&order_schema()).unwrap(),
            r#"{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"f","type":{"type":"fixed","name":"F","size":3}},{"name":"u","type":["null","string","long","double"]},{"name":"m","type":{"type":"map","values":["null","boolean"]}}]}"#.to_owned(),
            r#"{"type":"array","items":{"type":"record","name":"E","fields":[]}}"#.to_owned(),
            r#"{"type":"map","values":{"type":"array","items":"float"}}"#.to_owned(),
            to_avro_schema(
                &SchemaBuilder::map(Schema::int64(), decimal_schema(2).build().unwrap())
                    .build()
                    .unwrap(),
            )
            .unwrap(),
            r#"["null","bytes",{"type":"int","connect.type":"int16"}]"#.to_owned(),
        ];
        let converter = converter(&[]);
        for (id, text) in (0u32..).zip(&schemas) {
            converter.prime("t-value", id, text).unwrap();
        }
        converter
    });
    &CONVERTER
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Arbitrary bytes after a valid header never panic, whatever the schema.
    #[test]
    fn decoder_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256), id in 0u32..6) {
        let converter = fuzz_converter();
        let mut frame = wire::header(id, body.len());
        frame.extend_from_slice(&body);
        if let Ok(read) = converter.decode("t", &Bytes::from(frame)) {
            prop_assert!(read.schema.is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Round trips of random values of a flat schema agree with apache-avro.
    #[test]
    fn random_values_round_trip(
        id in any::<i64>(),
        tiny in any::<i8>(),
        ratio in any::<f32>().prop_filter("NaN compares unequal", |f| !f.is_nan()),
        note in proptest::option::of(".{0,20}"),
        raw in proptest::collection::vec(any::<u8>(), 0..20),
        cents in any::<i64>(),
    ) {
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .field("tiny", Schema::int8())
            .field("ratio", Schema::float32())
            .field("note", Schema::optional_string())
            .field("raw", Schema::bytes())
            .field("price", decimal_schema(2).build().unwrap())
            .build()
            .unwrap();
        let value = Value::Struct(
            Struct::new(schema.clone()).unwrap()
                .with("id", id).unwrap()
                .with("tiny", tiny).unwrap()
                .with("ratio", ratio).unwrap()
                .with("note", note).unwrap()
                .with("raw", Bytes::from(raw)).unwrap()
                .with("price", Decimal::new(cents, 2)).unwrap(),
        );
        let (frame, read) = round_trip(&schema, &value);
        prop_assert_eq!(&read.value, &value);
        agrees_with_apache_avro(&schema, &frame, &value);
    }
}

#[test]
fn on_a_nonblocking_thread_a_miss_is_pending_and_then_answers() {
    // The registry URL is dead. On a thread that must not block, the miss returns at once with
    // a call to wait for; once it finished, the same call gets the kept answer (retriable).
    let converter = converter(&[]);
    std::thread::spawn(move || {
        crate::avro::set_thread_nonblocking(true);
        let frame = Bytes::from_static(&[0, 0, 0, 0, 99, 0]);
        let started = std::time::Instant::now();
        let err = converter.decode("t", &frame).unwrap_err();
        assert!(err.pending().is_some(), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let pending = err.pending().unwrap().clone();
        futures::executor::block_on(pending.ready());
        let answered = converter.decode("t", &frame).unwrap_err();
        assert_eq!(answered.class(), ErrorClass::Retriable, "{answered}");
    })
    .join()
    .unwrap();
}
