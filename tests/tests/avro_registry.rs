//! AvroConverter against the real schema registry (`SCHEMA_REGISTRY_URL`, by default the
//! Apicurio Registry of `scripts/stack` at `/apis/ccompat/v7`).
//!
//! Every test uses its own topics and its own record names, so no two tests share schema
//! content (and ids). Converters read with a fresh converter wherever the point is that the
//! registry, not a cache, supplies the schema. Cache misses are exercised from a plain thread,
//! from inside tokio runtimes of both flavours and from a glommio shard.

use bytes::Bytes;
use connect_api::data::logical::{Decimal, date_schema, decimal_schema};
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use converters::avro::{self, to_avro_schema};
use converters::{AvroConverter, ConverterConfig, ConverterType, Error, ErrorClass};
use integration_tests::{registry_url, unique};
use registry_client::{RegistryClient, RegistryError, Version};

fn converter(converter_type: ConverterType, props: &[(&str, &str)]) -> AvroConverter {
    let url = registry_url();
    let mut all = vec![("schema.registry.url", url.as_str())];
    all.extend_from_slice(props);
    AvroConverter::new(&ConverterConfig::new(all, converter_type)).expect("converter")
}

fn value_converter(props: &[(&str, &str)]) -> AvroConverter {
    converter(ConverterType::Value, props)
}

fn client() -> RegistryClient {
    RegistryClient::from_props([("schema.registry.url", registry_url())]).expect("client")
}

/// Runs a registry call from a test that is not inside a runtime.
fn block<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A record name no other test (or run) uses: `Order_<pid>_<nanos>`.
fn record_name(prefix: &str) -> String {
    unique(prefix).replace('-', "_")
}

fn schema_id(frame: &[u8]) -> u32 {
    u32::from_be_bytes(frame[1..5].try_into().unwrap())
}

/// A nested order: optional field, Decimal, Date, an array of unnamed structs, a string-keyed
/// map and an int-keyed map.
fn order_schema(name: &str) -> SchemaRef {
    let line = SchemaBuilder::struct_()
        .field("sku", Schema::string())
        .field("qty", Schema::int16())
        .build()
        .unwrap();
    SchemaBuilder::struct_()
        .name(format!("com.example.wharf.{name}"))
        .field("id", Schema::int64())
        .field("customer", Schema::optional_string())
        .field("amount", decimal_schema(2).build().unwrap())
        .field("placed", date_schema().build().unwrap())
        .field("lines", SchemaBuilder::array(line).build().unwrap())
        .field(
            "attrs",
            SchemaBuilder::map(Schema::string(), Schema::string())
                .build()
                .unwrap(),
        )
        .field(
            "counts",
            SchemaBuilder::map(Schema::int32(), Schema::int64())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// What Confluent's AvroData registers for [`order_schema`].
fn expected_order_avro(name: &str) -> String {
    format!(
        concat!(
            r#"{{"type":"record","name":"{name}","namespace":"com.example.wharf","fields":["#,
            r#"{{"name":"id","type":"long"}},"#,
            r#"{{"name":"customer","type":["null","string"],"default":null}},"#,
            r#"{{"name":"amount","type":{{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{{"scale":"2"}},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}}}},"#,
            r#"{{"name":"placed","type":{{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}}}},"#,
            r#"{{"name":"lines","type":{{"type":"array","items":{{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{{"name":"sku","type":"string"}},{{"name":"qty","type":{{"type":"int","connect.type":"int16"}}}}]}}}}}},"#,
            r#"{{"name":"attrs","type":{{"type":"map","values":"string"}}}},"#,
            r#"{{"name":"counts","type":{{"type":"array","items":{{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{{"name":"key","type":"int"}},{{"name":"value","type":"long"}}]}}}}}}"#,
            r#"],"connect.name":"com.example.wharf.{name}"}}"#
        ),
        name = name
    )
}

fn order_value(schema: &SchemaRef) -> Value {
    let line_schema = schema
        .field("lines")
        .unwrap()
        .schema()
        .value_schema()
        .unwrap()
        .clone();
    let line = |sku: &str, qty: i16| {
        Value::Struct(
            Struct::new(line_schema.clone())
                .unwrap()
                .with("sku", sku)
                .unwrap()
                .with("qty", qty)
                .unwrap(),
        )
    };
    Value::Struct(
        Struct::new(schema.clone())
            .unwrap()
            .with("id", 7i64)
            .unwrap()
            .with("customer", "Ada")
            .unwrap()
            .with("amount", Decimal::new(12_345, 2))
            .unwrap()
            .with("placed", Value::Date(20_000))
            .unwrap()
            .with("lines", vec![line("a-1", 2), line("b-2", -1)])
            .unwrap()
            .with("attrs", Value::Map(vec![("gift".into(), "yes".into())]))
            .unwrap()
            .with(
                "counts",
                Value::Map(vec![
                    (Value::Int32(1), Value::Int64(10)),
                    (Value::Int32(2), Value::Int64(20)),
                ]),
            )
            .unwrap(),
    )
}

/// Writes an order to a fresh topic and checks everything the registry now holds; returns the
/// topic and the frame.
fn write_and_check_order(converter: &AvroConverter) -> (String, Bytes, SchemaRef, Value) {
    let topic = unique("avro-order");
    let name = record_name("Order");
    let schema = order_schema(&name);
    let value = order_value(&schema);
    let frame = converter
        .encode(&topic, Some(&schema), &value)
        .unwrap()
        .expect("a frame");
    assert_eq!(frame[0], 0, "magic byte");

    let latest = block(client().latest(&format!("{topic}-value"))).unwrap();
    assert_eq!(
        schema_id(&frame),
        latest.id,
        "header id is the subject's latest id"
    );
    assert_eq!(latest.version, 1);
    let expected = expected_order_avro(&name);
    assert_eq!(latest.schema.schema, expected);
    let registered: serde_json::Value = serde_json::from_str(&latest.schema.schema).unwrap();
    let wanted: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(registered, wanted);
    (topic, frame, schema, value)
}

/// The decoded order equals the written one; the schema gains the registry version.
fn check_read(read: &connect_api::data::SchemaAndValue, schema: &SchemaRef, value: &Value) {
    let read_schema = read.schema.as_ref().expect("schema");
    assert_eq!(read_schema.version(), Some(1), "registry version");
    assert_eq!(
        **read_schema,
        *schema.to_builder().version(1).build().unwrap()
    );
    let (Value::Struct(read), Value::Struct(written)) = (&read.value, value) else {
        panic!("{read:?}")
    };
    assert_eq!(read.values(), written.values());
}

#[test]
fn nested_data_round_trips_through_the_registry_on_a_plain_thread() {
    let writer = value_converter(&[]);
    let (topic, frame, schema, value) = write_and_check_order(&writer);
    // Read with a converter that has never seen the id: it asks the registry.
    let reader = value_converter(&[]);
    let read = reader.decode(&topic, &frame).unwrap();
    check_read(&read, &schema, &value);
    // The writer's second record needs no registration: same bytes, same id.
    let again = writer
        .encode(&topic, Some(&schema), &value)
        .unwrap()
        .unwrap();
    assert_eq!(again, frame);
    // Keys use <topic>-key.
    let keys = converter(ConverterType::Key, &[]);
    let key = keys
        .encode(&topic, Some(&Schema::string()), &"k-1".into())
        .unwrap()
        .unwrap();
    let latest = block(client().latest(&format!("{topic}-key"))).unwrap();
    assert_eq!(latest.schema.schema, r#""string""#);
    assert_eq!(schema_id(&key), latest.id);
    assert_eq!(
        keys.decode(&topic, &key).unwrap().value,
        Value::String("k-1".into())
    );
}

/// Writes and reads an order from inside a tokio runtime: both cache misses (registration, schema
/// by id) happen on the runtime's thread, where `Runtime::block_on` would panic.
async fn round_trip_inside_a_runtime() {
    let topic = unique("avro-tokio");
    let name = record_name("Order");
    let schema = order_schema(&name);
    let value = order_value(&schema);
    let frame = value_converter(&[])
        .encode(&topic, Some(&schema), &value)
        .unwrap()
        .unwrap();
    let latest = client().latest(&format!("{topic}-value")).await.unwrap();
    assert_eq!(schema_id(&frame), latest.id);
    assert_eq!(latest.schema.schema, expected_order_avro(&name));
    let read = value_converter(&[]).decode(&topic, &frame).unwrap();
    check_read(&read, &schema, &value);
}

#[tokio::test(flavor = "current_thread")]
async fn cache_misses_work_inside_a_current_thread_runtime() {
    round_trip_inside_a_runtime().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_misses_work_inside_a_multi_thread_runtime() {
    round_trip_inside_a_runtime().await;
}

#[test]
fn cache_misses_work_on_a_glommio_shard() {
    let writer = value_converter(&[]);
    let (topic, frame, schema, value) = write_and_check_order(&writer);
    let read = glommio::LocalExecutorBuilder::default()
        .spawn(move || async move {
            // No tokio context here: the converter must not need one.
            assert!(tokio::runtime::Handle::try_current().is_err());
            value_converter(&[]).decode(&topic, &frame)
        })
        .expect("shard starts")
        .join()
        .expect("shard ends")
        .unwrap();
    check_read(&read, &schema, &value);
}

#[test]
fn unknown_schema_id_is_bad_data() {
    let converter = value_converter(&[]);
    let frame = Bytes::from_static(&[0, 0x7f, 0xff, 0xff, 0xf0, 2, 4]);
    let err = converter
        .decode(&unique("avro-unknown"), &frame)
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadData, "{err}");
    let Error::Registry(failure) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            failure.registry_error(),
            RegistryError::SchemaNotFound {
                id: Some(0x7fff_fff0),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("schema id 2147483632"), "{err}");
}

#[test]
fn record_name_strategies_register_under_their_subjects() {
    let client = client();
    for (strategy, with_topic) in [
        (
            "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            false,
        ),
        (
            "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
            true,
        ),
    ] {
        let topic = unique("avro-strategy");
        let name = record_name("Order");
        let schema = order_schema(&name);
        let value = order_value(&schema);
        let converter = value_converter(&[("value.subject.name.strategy", strategy)]);
        let frame = converter
            .encode(&topic, Some(&schema), &value)
            .unwrap()
            .unwrap();
        let full = format!("com.example.wharf.{name}");
        let subject = if with_topic {
            format!("{topic}-{full}")
        } else {
            full.clone()
        };
        let latest = block(client.latest(&subject)).unwrap();
        assert_eq!(schema_id(&frame), latest.id, "{strategy}");
        assert_eq!(latest.schema.schema, expected_order_avro(&name));
        let subjects = block(client.subjects()).unwrap();
        assert!(subjects.contains(&subject), "{subject} registered");
        assert!(
            !subjects.contains(&format!("{topic}-value")),
            "no TopicNameStrategy subject"
        );
        // Reading looks the version up under the same subject.
        let reader = value_converter(&[("value.subject.name.strategy", strategy)]);
        let read = reader.decode(&topic, &frame).unwrap();
        check_read(&read, &schema, &value);
        // Only records have a record name.
        let err = converter
            .encode(&topic, Some(&Schema::string()), &"x".into())
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadData);
    }
}

#[test]
fn use_latest_version_writes_with_the_latest_registered_schema() {
    let client = client();
    let topic = unique("avro-latest");
    let subject = format!("{topic}-value");
    let name = record_name("Item");
    let v1 = SchemaBuilder::struct_()
        .name(format!("wharf.test.{name}"))
        .field("sku", Schema::string())
        .field("qty", Schema::int32())
        .build()
        .unwrap();
    let v2 = SchemaBuilder::struct_()
        .name(format!("wharf.test.{name}"))
        .field("sku", Schema::string())
        .field("note", Schema::optional_string())
        .field("qty", Schema::int32())
        .build()
        .unwrap();
    let register = |schema: &SchemaRef| {
        let text = to_avro_schema(schema).unwrap();
        block(client.register(&subject, &registry_client::Schema::avro(text))).unwrap()
    };
    let id1 = register(&v1);
    let id2 = register(&v2);
    assert_ne!(id1, id2);

    let value = Value::Struct(
        Struct::new(v1.clone())
            .unwrap()
            .with("sku", "s-1")
            .unwrap()
            .with("qty", 3)
            .unwrap(),
    );
    // use.latest.version only applies without auto-registration, as in Confluent's serializer.
    let latest = value_converter(&[
        ("auto.register.schemas", "false"),
        ("use.latest.version", "true"),
    ]);
    let frame = latest.encode(&topic, Some(&v1), &value).unwrap().unwrap();
    assert_eq!(schema_id(&frame), id2, "written with the latest schema");
    let read = value_converter(&[]).decode(&topic, &frame).unwrap();
    let read_schema = read.schema.clone().unwrap();
    assert_eq!(read_schema.version(), Some(2));
    assert_eq!(read_schema.fields().len(), 3);
    let Value::Struct(read) = read.value else {
        panic!()
    };
    assert_eq!(read.get("sku"), Some(&Value::String("s-1".into())));
    assert_eq!(read.get("note"), Some(&Value::Null));
    assert_eq!(read.get("qty"), Some(&Value::Int32(3)));

    // Without use.latest.version the schema is looked up, not registered.
    let lookup = value_converter(&[("auto.register.schemas", "false")]);
    let frame = lookup.encode(&topic, Some(&v1), &value).unwrap().unwrap();
    assert_eq!(schema_id(&frame), id1);
    let unregistered = SchemaBuilder::struct_()
        .name(format!("wharf.test.{name}"))
        .field("other", Schema::int64())
        .build()
        .unwrap();
    let other = Value::Struct(
        Struct::new(unregistered.clone())
            .unwrap()
            .with("other", 1i64)
            .unwrap(),
    );
    let err = lookup
        .encode(&topic, Some(&unregistered), &other)
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadData, "{err}");
    let versions = block(client.versions(&subject)).unwrap();
    assert_eq!(versions, vec![1, 2], "nothing was registered");
    let v1_text = block(client.version(&subject, Version::Number(1))).unwrap();
    assert_eq!(v1_text.id, id1);
}

#[test]
fn prime_and_the_registry_agree() {
    // A schema primed with the id the registry gave it reads the registry's frames.
    let writer = value_converter(&[]);
    let (topic, frame, schema, value) = write_and_check_order(&writer);
    let primed = value_converter(&[]);
    let text = avro::to_avro_schema(&schema).unwrap();
    primed
        .prime(&format!("{topic}-value"), schema_id(&frame), &text)
        .unwrap();
    let read = primed.decode(&topic, &frame).unwrap();
    let Value::Struct(read) = read.value else {
        panic!()
    };
    let Value::Struct(written) = &value else {
        panic!()
    };
    assert_eq!(read.values(), written.values());
    assert_eq!(
        primed.encode(&topic, Some(&schema), &value).unwrap(),
        Some(frame)
    );
}
