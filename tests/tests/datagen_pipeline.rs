//! datagen → Kafka → file sink, checked record by record against the seeded generator.

use std::fs;
use std::time::{Duration, Instant};

use connect_api::data::SchemaAndValue;
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig};
use engine::connectors::datagen::{Quickstart, UserSchema, generate};
use engine::modes::standalone::Standalone;
use integration_tests::{bootstrap, props, temp_dir, unique, wait_until};

const RECORDS: u64 = 20_000;
const SEED: u64 = 7;

/// The value of quickstart `orders` record `n`.
fn orders(n: u64) -> SchemaAndValue {
    generate(Quickstart::Orders, SEED, n).1
}

/// What the file sink writes for record `n`: the value as schemaless JSON.
fn expected_lines(value_of: &dyn Fn(u64) -> SchemaAndValue) -> Vec<String> {
    let mut config = JsonConverterConfig::defaults(ConverterType::Value);
    config.schemas_enable = false;
    let json = JsonConverter::with_config(config);
    let mut lines: Vec<String> = (0..RECORDS)
        .map(|n| {
            let value = value_of(n);
            let bytes = json
                .from_connect_data("t", &[], value.schema.as_ref(), &value.value)
                .unwrap()
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        })
        .collect();
    lines.sort();
    lines
}

/// datagen (`quickstart=orders`, or what `source` sets) → Kafka → file sink; the file must hold
/// exactly `value_of(n)` for every record `n`.
fn run_pipeline(
    label: &str,
    value_converter: &[(&str, &str)],
    source: &[(&str, &str)],
    value_of: &dyn Fn(u64) -> SchemaAndValue,
) {
    integration_tests::init_logs();
    let dir = temp_dir("datagen");
    let output = dir.join("out.txt");
    let topic = unique("datagen");
    let mut worker = props(&[
        ("bootstrap.servers", &bootstrap()),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "offset.storage.file.filename",
            dir.join("offsets.json").to_str().unwrap(),
        ),
        ("offset.flush.interval.ms", "1000"),
    ]);
    for (k, v) in value_converter {
        worker.insert((*k).to_owned(), (*v).to_owned());
    }
    let start = Instant::now();
    let running = Standalone::start(
        &worker,
        &[
            {
                let mut p = props(&[
                    ("name", &unique("datagen")),
                    ("connector.class", "DatagenConnector"),
                    ("kafka.topic", &topic),
                    ("quickstart", "orders"),
                    ("iterations", &RECORDS.to_string()),
                    ("random.seed", &SEED.to_string()),
                    ("max.interval", "0"),
                    ("tasks.max", "2"),
                ]);
                p.extend(
                    source
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
                );
                p
            },
            props(&[
                ("name", &unique("datagen-sink")),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .unwrap();
    let count = || {
        fs::read_to_string(&output)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    wait_until(
        "every generated record in the file",
        Duration::from_secs(120),
        || count() >= usize::try_from(RECORDS).unwrap(),
    );
    let elapsed = start.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    for (id, outcome) in running.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    println!(
        "datagen -> kafka ({label}) -> file: {RECORDS} records in {elapsed:.2?} ({:.0} records/s)",
        RECORDS as f64 / elapsed.as_secs_f64()
    );
    let mut lines: Vec<String> = fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    // Exactly the generated records: none lost, none twice, none altered.
    let expected = expected_lines(value_of);
    assert_eq!(lines.len(), expected.len());
    assert!(
        lines == expected,
        "file content differs from the generator's records"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn datagen_orders_through_json_with_schemas() {
    run_pipeline(
        "json",
        &[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "true"),
        ],
        &[],
        &orders,
    );
}

/// The same pipeline with transform chains: the source inserts a field, masks another and
/// routes to a new topic; the sink subscribes by regex to the routed topics of two sources and
/// filters one of them out with a predicate.
#[test]
fn datagen_through_a_transform_chain() {
    use transforms::{ConnectRecord, TransformChain};
    integration_tests::init_logs();
    let dir = temp_dir("datagen-smt");
    let output = dir.join("out.txt");
    let (orders, users) = (unique("smt-orders"), unique("smt-users"));
    let source_chain = [
        ("transforms", "insert,mask,route"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.static.field", "origin"),
        ("transforms.insert.static.value", "wharf-datagen"),
        (
            "transforms.mask.type",
            "org.apache.kafka.connect.transforms.MaskField$Value",
        ),
        ("transforms.mask.fields", "itemid"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "$1-routed"),
    ];
    let source = |name: &str, topic: &str, set: &str, records: u64| {
        let mut p = props(&[
            ("name", name),
            ("connector.class", "DatagenConnector"),
            ("kafka.topic", topic),
            ("quickstart", set),
            ("iterations", &records.to_string()),
            ("random.seed", &SEED.to_string()),
            ("max.interval", "0"),
        ]);
        for (k, v) in source_chain {
            p.insert(k.to_owned(), v.to_owned());
        }
        p
    };
    let worker = props(&[
        ("bootstrap.servers", &bootstrap()),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "offset.storage.file.filename",
            dir.join("offsets.json").to_str().unwrap(),
        ),
        ("offset.flush.interval.ms", "1000"),
    ]);
    let running = Standalone::start(
        &worker,
        &[
            source(&unique("orders"), &orders, "orders", 5000),
            source(&unique("users"), &users, "users", 3000),
            props(&[
                ("name", &unique("smt-sink")),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics.regex", &format!("({orders}|{users})-routed")),
                ("transforms", "dropusers"),
                (
                    "transforms.dropusers.type",
                    "org.apache.kafka.connect.transforms.Filter",
                ),
                ("transforms.dropusers.predicate", "isusers"),
                ("predicates", "isusers"),
                (
                    "predicates.isusers.type",
                    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                ),
                ("predicates.isusers.pattern", &format!("{users}-routed")),
            ]),
        ],
    )
    .unwrap();
    let count = || {
        fs::read_to_string(&output)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    wait_until(
        "5000 transformed orders in the file",
        Duration::from_secs(120),
        || count() >= 5000,
    );
    // Let the users records arrive too: the filter must drop them, not delay them.
    std::thread::sleep(Duration::from_secs(2));
    for (id, outcome) in running.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }

    let chain = TransformChain::from_config(&props(&source_chain)).unwrap();
    let mut config = JsonConverterConfig::defaults(ConverterType::Value);
    config.schemas_enable = false;
    let json = JsonConverter::with_config(config);
    let mut expected: Vec<String> = (0..5000)
        .map(|n| {
            let (key, value) = generate(Quickstart::Orders, SEED, n);
            let record = chain
                .apply(ConnectRecord::new(orders.as_str(), key, value))
                .unwrap()
                .unwrap();
            assert_eq!(&*record.topic, format!("{orders}-routed"));
            let bytes = json
                .from_connect_data("t", &[], record.value.schema.as_ref(), &record.value.value)
                .unwrap()
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        })
        .collect();
    expected.sort();
    let mut lines: Vec<String> = fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(lines.len(), 5000, "only the orders records, each once");
    assert!(
        lines == expected,
        "file content differs from the transformed records"
    );
    assert!(
        lines[0].contains("\"origin\":\"wharf-datagen\"") && lines[0].contains("\"itemid\":\"\""),
        "{}",
        lines[0]
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn datagen_orders_through_avro_and_the_registry() {
    let registry = integration_tests::registry_url();
    run_pipeline(
        "avro",
        &[
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &registry),
        ],
        &[],
        &orders,
    );
}

/// A user's Avro schema (`schema.string`) with a nested record, an enum, an optional field, a
/// timestamp, a decimal, a fixed, a map and generator hints, through Avro and the registry.
#[test]
fn datagen_user_schema_through_avro_and_the_registry() {
    const SCHEMA: &str = r#"{"type": "record", "name": "Payment", "namespace": "bank",
      "fields": [
        {"name": "id", "type": {"type": "long", "arg.properties": {"iteration": {"start": 1}}}},
        {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["OPEN", "DONE"]}},
        {"name": "currency", "type": {"type": "string", "arg.properties": {"options": ["EUR", "CHF"]}}},
        {"name": "cents", "type": {"type": "int", "arg.properties": {"range": {"min": 1, "max": 100000}}}},
        {"name": "memo", "type": ["null", "string"], "default": null},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "fee", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}},
        {"name": "payer", "type": {"type": "record", "name": "Party", "fields": [
          {"name": "name", "type": "string"}, {"name": "iban", "type": {"type": "fixed", "name": "Iban", "size": 8}}]}},
        {"name": "labels", "type": {"type": "map", "values": "int"}}
      ]}"#;
    let set = UserSchema::parse(SCHEMA, Some("id")).unwrap();
    let registry = integration_tests::registry_url();
    run_pipeline(
        "avro, user schema",
        &[
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &registry),
        ],
        &[("schema.string", SCHEMA), ("schema.keyfield", "id")],
        &|n| set.generate(SEED, n).1,
    );
}
