//! wharf's single message transforms against Apache Kafka Connect 4.3.1's, run for real.
//!
//! `tests/java/TransformsCompat.java` is compiled with `javac` and run against the Kafka jars (env
//! `KAFKA_LIBS`, default `<repo>/.stack/lib/kafka-4.3.1`, which `scripts/stack up` fills). Every
//! case below (a connector's `transforms`/`predicates` config plus one record) goes to both sides
//! as JSON: keys, values and headers travel as JsonConverter envelopes (`schemas.enable=true`),
//! which each side reads with its own JsonConverter. Each side runs its transform chain and writes
//! the result back with its JsonConverter; the topic, partition, timestamp, key, value (schema and
//! payload) and headers must be equal. Map entries may come out in any order (Kafka Connect's
//! transforms use `HashMap`s), so the JSON is compared as parsed documents; struct fields keep
//! their order through the schema's field list. When Kafka Connect fails, wharf must fail the
//! same way: a configuration error, a data error, or a converter error. Configs are judged as the
//! herder judges them when a connector is created (each transform's `ConfigDef` validates its
//! keys before `configure`). Deliberate differences are marked on their cases and listed in
//! `docs/compat.md ("Transforms")`.
//!
//! Missing `java`/`javac` or jars fail the test: run `scripts/stack up`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use bytes::Bytes;
use connect_api::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use connect_api::data::{Decimal, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};
use converters::{Converter, ConverterConfig, ConverterType, JsonConverter};
use integration_tests::java::{self, JavaHarness};
use serde_json::json;
use transforms::{ConnectHeader, ConnectRecord, TransformChain, TransformError};

// ---------------------------------------------------------------------------------------------
// The Java side.

/// Runs Kafka Connect's transforms over the cases; one JSON result per case.
fn kafka_connect(cases: &[Case]) -> Vec<serde_json::Value> {
    let JavaHarness { java, classpath } = java::compile(
        "TransformsCompat.java",
        &[
            "connect-transforms-4.3.1.jar",
            "connect-api-4.3.1.jar",
            "connect-json-4.3.1.jar",
            "kafka-clients-4.3.1.jar",
        ],
    );
    let input: String = cases.iter().map(|c| format!("{}\n", c.to_json())).collect();
    // UTC: Kafka Connect formats some dates in the JVM's zone; wharf always uses UTC.
    let mut child = Command::new(&java)
        .args([
            "-Duser.timezone=UTC",
            "-Duser.language=en",
            "-Duser.country=US",
        ])
        .args(["-cp", &classpath, "TransformsCompat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "TransformsCompat failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), cases.len(), "one result per case");
    results
}

// ---------------------------------------------------------------------------------------------
// Cases.

const TS: i64 = 1_705_314_030_400; // 2024-01-15T10:20:30.400Z
const BIRTHDAY: i32 = 7441; // 1990-05-17

struct Case {
    name: String,
    props: BTreeMap<String, String>,
    topic: String,
    partition: Option<i32>,
    offset: Option<i64>,
    timestamp: Option<i64>,
    key: SchemaAndValue,
    value: SchemaAndValue,
    headers: Vec<(String, SchemaAndValue)>,
    /// Data errors must carry Kafka Connect's message.
    same_message: bool,
    /// A deliberate difference: Kafka Connect fails on this record, wharf transforms it.
    differs: Option<&'static str>,
    /// A deliberate difference: Kafka Connect transforms this record but loses data doing so;
    /// wharf fails it with a data error (see docs/compat.md ("Transforms")).
    refused: Option<&'static str>,
}

/// Props of a chain with one transform aliased `t`.
fn one(class: &str, config: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut props = vec![
        ("transforms".to_owned(), "t".to_owned()),
        ("transforms.t.type".to_owned(), class.to_owned()),
    ];
    props.extend(
        config
            .iter()
            .map(|(k, v)| (format!("transforms.t.{k}"), (*v).to_owned())),
    );
    props
}

fn raw(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Case {
    fn new(name: &str, props: Vec<(String, String)>) -> Self {
        Self {
            name: name.to_owned(),
            props: props.into_iter().collect(),
            topic: "orders".to_owned(),
            partition: Some(2),
            offset: None,
            timestamp: Some(TS),
            key: SchemaAndValue::default(),
            value: SchemaAndValue::default(),
            headers: Vec::new(),
            same_message: false,
            differs: None,
            refused: None,
        }
    }

    fn differs(mut self, why: &'static str) -> Self {
        self.differs = Some(why);
        self
    }

    fn refused(mut self, why: &'static str) -> Self {
        self.refused = Some(why);
        self
    }

    fn value(mut self, value: SchemaAndValue) -> Self {
        self.value = value;
        self
    }

    fn key(mut self, key: SchemaAndValue) -> Self {
        self.key = key;
        self
    }

    fn topic(mut self, topic: &str) -> Self {
        self.topic = topic.to_owned();
        self
    }

    fn offset(mut self, offset: i64) -> Self {
        self.offset = Some(offset);
        self
    }

    fn timestamp(mut self, timestamp: Option<i64>) -> Self {
        self.timestamp = timestamp;
        self
    }

    fn header(mut self, key: &str, value: SchemaAndValue) -> Self {
        self.headers.push((key.to_owned(), value));
        self
    }

    fn same_message(mut self) -> Self {
        self.same_message = true;
        self
    }

    fn to_json(&self) -> serde_json::Value {
        let headers: Vec<serde_json::Value> = self
            .headers
            .iter()
            .map(|(k, v)| json!([k, envelope(&self.topic, v)]))
            .collect();
        json!({
            "name": self.name,
            "props": self.props,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "key": envelope(&self.topic, &self.key),
            "value": envelope(&self.topic, &self.value),
            "headers": headers,
        })
    }
}

fn converter() -> JsonConverter {
    JsonConverter::new(&ConverterConfig::new(
        [("schemas.enable", "true")],
        ConverterType::Value,
    ))
    .unwrap()
}

/// The JsonConverter envelope of an input, or null.
fn envelope(topic: &str, data: &SchemaAndValue) -> Option<String> {
    converter()
        .from_connect_data(topic, &[], data.schema.as_ref(), &data.value)
        .unwrap()
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
}

fn sv(schema: &SchemaRef, value: impl Into<Value>) -> SchemaAndValue {
    SchemaAndValue::new(Some(schema.clone()), value.into())
}

fn schemaless(value: impl Into<Value>) -> SchemaAndValue {
    SchemaAndValue::new(None, value.into())
}

fn build(b: SchemaBuilder) -> SchemaRef {
    b.build().unwrap()
}

fn structure(schema: &SchemaRef, fields: &[(&str, Value)]) -> Value {
    let mut s = Struct::new(schema.clone()).unwrap();
    for (name, value) in fields {
        s.put(name, value.clone()).unwrap();
    }
    Value::Struct(s)
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

struct Fixtures {
    address: SchemaRef,
    person: SchemaRef,
    key: SchemaRef,
    nested: SchemaRef,
}

impl Fixtures {
    fn new() -> Self {
        let address = build(
            SchemaBuilder::struct_()
                .name("com.example.Address")
                .optional()
                .field("street", Schema::string())
                .field("city", Schema::string())
                .field("zip", Schema::optional_string()),
        );
        let person = build(
            SchemaBuilder::struct_()
                .name("com.example.Person")
                .version(3)
                .doc("A person")
                .field("id", Schema::int64())
                .field("name", Schema::string())
                .field(
                    "age",
                    build(SchemaBuilder::int32().optional().default_value(18)),
                )
                .field("email", Schema::optional_string())
                .field("score", Schema::float64())
                .field("active", Schema::boolean())
                .field("balance", build(decimal_schema(2)))
                .field("birthday", build(date_schema().optional()))
                .field("created", build(timestamp_schema()))
                .field("tags", build(SchemaBuilder::array(Schema::string())))
                .field("avatar", Schema::optional_bytes())
                .field("address", address.clone()),
        );
        let key = build(
            SchemaBuilder::struct_()
                .name("com.example.Key")
                .field("id", Schema::int64())
                .field("region", Schema::string()),
        );
        let inner = build(
            SchemaBuilder::struct_()
                .optional()
                .field("x", Schema::int32())
                .field(
                    "y",
                    build(SchemaBuilder::string().optional().default_value("why")),
                )
                .field(
                    "list",
                    build(SchemaBuilder::array(Schema::int32()).optional()),
                ),
        );
        let middle = build(
            SchemaBuilder::struct_()
                .field("inner", inner)
                .field("flag", Schema::boolean()),
        );
        let nested = build(
            SchemaBuilder::struct_()
                .name("com.example.Nested")
                .field("top", Schema::string())
                .field("middle", middle),
        );
        Self {
            address,
            person,
            key,
            nested,
        }
    }

    fn ada(&self) -> SchemaAndValue {
        let address = structure(
            &self.address,
            &[
                ("street", "12 St James's Square".into()),
                ("city", "London".into()),
            ],
        );
        sv(
            &self.person,
            structure(
                &self.person,
                &[
                    ("id", Value::Int64(42)),
                    ("name", "Ada".into()),
                    ("score", Value::Float64(99.5)),
                    ("active", Value::Boolean(true)),
                    ("balance", Value::Decimal(Decimal::new(123_456, 2))),
                    ("birthday", Value::Date(BIRTHDAY)),
                    ("created", Value::Timestamp(TS)),
                    ("tags", strings(&["math", "poetry"])),
                    ("avatar", Value::Bytes(Bytes::from_static(&[1, 2, 3, 250]))),
                    ("address", address),
                ],
            ),
        )
    }

    fn bob(&self) -> SchemaAndValue {
        sv(
            &self.person,
            structure(
                &self.person,
                &[
                    ("id", Value::Int64(-7)),
                    ("name", "Bob".into()),
                    ("age", Value::Int32(30)),
                    ("email", "bob@example.com".into()),
                    ("score", Value::Float64(-0.25)),
                    ("active", Value::Boolean(false)),
                    ("balance", Value::Decimal(Decimal::new(-5, 2))),
                    ("created", Value::Timestamp(-1500)),
                    ("tags", strings(&[])),
                ],
            ),
        )
    }

    fn person_map(&self) -> SchemaAndValue {
        schemaless(map(&[
            ("id", Value::Int64(42)),
            ("name", "Ada".into()),
            ("age", Value::Int64(36)),
            ("email", Value::Null),
            ("score", Value::Float64(99.5)),
            ("active", Value::Boolean(true)),
            ("created", Value::Int64(TS)),
            ("when", "2024-01-15 10:20:30".into()),
            ("tags", strings(&["math", "poetry"])),
            (
                "address",
                map(&[
                    ("street", "12 St James's Square".into()),
                    ("city", "London".into()),
                    (
                        "geo",
                        map(&[
                            ("lat", Value::Float64(51.5)),
                            ("lon", Value::Float64(-0.125)),
                        ]),
                    ),
                ]),
            ),
        ]))
    }

    fn key_struct(&self) -> SchemaAndValue {
        sv(
            &self.key,
            structure(
                &self.key,
                &[("id", Value::Int64(42)), ("region", "eu".into())],
            ),
        )
    }

    fn nested_value(&self, with_inner: bool) -> SchemaAndValue {
        let middle_schema = self.nested.field("middle").unwrap().schema().clone();
        let inner_schema = middle_schema.field("inner").unwrap().schema().clone();
        let inner = if with_inner {
            structure(
                &inner_schema,
                &[
                    ("x", Value::Int32(1)),
                    ("list", Value::Array(vec![Value::Int32(3), Value::Int32(4)])),
                ],
            )
        } else {
            Value::Null
        };
        let middle = structure(
            &middle_schema,
            &[("inner", inner), ("flag", Value::Boolean(true))],
        );
        sv(
            &self.nested,
            structure(&self.nested, &[("top", "t".into()), ("middle", middle)]),
        )
    }
}

fn insert_field(f: &Fixtures, cases: &mut Vec<Case>) {
    let all = [
        ("topic.field", "topic!"),
        ("partition.field", "partition"),
        ("timestamp.field", "ts?"),
        ("static.field", "source"),
        ("static.value", "wharf"),
    ];
    let v = "InsertField$Value";
    cases.push(Case::new("InsertField/struct_all", one(v, &all)).value(f.ada()));
    cases.push(Case::new("InsertField/struct_bob", one(v, &all)).value(f.bob()));
    cases.push(Case::new("InsertField/map_all", one(v, &all)).value(f.person_map()));
    cases.push(
        Case::new("InsertField/no_partition_or_timestamp", one(v, &all))
            .value(f.ada())
            .timestamp(None),
    );
    let mut no_ts = Case::new("InsertField/map_no_timestamp", one(v, &all))
        .value(f.person_map())
        .timestamp(None);
    no_ts.partition = None;
    cases.push(no_ts);
    cases.push(
        Case::new(
            "InsertField/key_struct",
            one(
                "org.apache.kafka.connect.transforms.InsertField$Key",
                &[
                    ("topic.field", "t"),
                    ("static.field", "s!"),
                    ("static.value", ""),
                ],
            ),
        )
        .key(f.key_struct())
        .value(f.ada()),
    );
    let offset = one(v, &[("offset.field", "offset!")]);
    cases.push(
        Case::new("InsertField/sink_offset", offset.clone())
            .value(f.ada())
            .offset(1234),
    );
    cases.push(
        Case::new("InsertField/sink_offset_map", offset.clone())
            .value(f.person_map())
            .offset(1234),
    );
    cases.push(
        Case::new("InsertField/source_offset", offset)
            .value(f.ada())
            .same_message(),
    );
    cases.push(Case::new("InsertField/tombstone", one(v, &all)));
    cases.push(
        Case::new(
            "InsertField/keep_nulls",
            one(
                v,
                &[
                    ("topic.field", "topic"),
                    ("replace.null.with.default", "false"),
                ],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "InsertField/duplicate_field",
            one(v, &[("topic.field", "name")]),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new("InsertField/primitive", one(v, &[("topic.field", "t")]))
            .value(sv(&Schema::int32(), 5))
            .same_message(),
    );
    cases.push(
        Case::new("InsertField/not_a_map", one(v, &[("topic.field", "t")]))
            .value(schemaless("text"))
            .same_message(),
    );
    cases.push(
        Case::new("InsertField/nothing_configured", one(v, &[]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(
        Case::new(
            "InsertField/static_without_value",
            one(v, &[("static.field", "s")]),
        )
        .value(f.ada()),
    );
}

fn replace_field(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "org.apache.kafka.connect.transforms.ReplaceField$Value";
    let exclude_rename = one(
        v,
        &[
            ("exclude", "email,avatar"),
            ("renames", "id:person_id,name:full_name"),
        ],
    );
    cases.push(
        Case::new("ReplaceField/exclude_rename_struct", exclude_rename.clone()).value(f.ada()),
    );
    cases.push(Case::new("ReplaceField/exclude_rename_map", exclude_rename).value(f.person_map()));
    let include = one(v, &[("include", "id,name,address,nope")]);
    cases.push(Case::new("ReplaceField/include_struct", include.clone()).value(f.ada()));
    cases.push(Case::new("ReplaceField/include_map", include).value(f.person_map()));
    let both = one(
        v,
        &[
            ("include", "id,score,tags"),
            ("exclude", "tags"),
            ("renames", "score:points"),
        ],
    );
    cases.push(Case::new("ReplaceField/include_exclude_struct", both.clone()).value(f.bob()));
    cases.push(Case::new("ReplaceField/include_exclude_map", both).value(f.person_map()));
    cases.push(
        Case::new(
            "ReplaceField/key",
            one("ReplaceField$Key", &[("renames", "region:area")]),
        )
        .key(f.key_struct()),
    );
    cases
        .push(Case::new("ReplaceField/default_used", one(v, &[("include", "age")])).value(f.ada()));
    cases.push(
        Case::new(
            "ReplaceField/default_kept_null",
            one(
                v,
                &[
                    ("include", "age,email"),
                    ("replace.null.with.default", "false"),
                ],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "ReplaceField/everything_excluded",
            one(
                v,
                &[(
                    "exclude",
                    "id,name,age,email,score,active,balance,birthday,created,tags,avatar,address",
                )],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new("ReplaceField/bad_renames", one(v, &[("renames", "a:b,c")]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(
        Case::new(
            "ReplaceField/duplicate_exclude",
            one(v, &[("exclude", "id,id")]),
        )
        .value(f.ada())
        .same_message(),
    );
    for (name, key, list) in [
        ("include_empty_item", "include", "id,"),
        ("exclude_empty_item", "exclude", "id,,name"),
        ("include_duplicate", "include", "id,name,id"),
        ("renames_empty_item", "renames", "id:person_id,"),
    ] {
        cases.push(
            Case::new(&format!("ReplaceField/{name}"), one(v, &[(key, list)]))
                .value(f.ada())
                .same_message(),
        );
    }
    cases.push(
        Case::new(
            "ReplaceField/empty_lists",
            one(v, &[("include", " "), ("exclude", "")]),
        )
        .value(f.ada()),
    );
    let collide = one(v, &[("renames", "name:id")]);
    cases.push(Case::new("ReplaceField/rename_collision_struct", collide.clone()).value(f.ada()));
    cases.push(
        Case::new("ReplaceField/rename_collision_map", collide)
            .value(f.person_map())
            .refused(
                "two entries renamed to one name: Kafka Connect keeps the one its HashMap visits \
                 last",
            ),
    );
    cases.push(
        Case::new(
            "ReplaceField/rename_collision_excluded_map",
            one(v, &[("renames", "name:id"), ("exclude", "id")]),
        )
        .value(f.person_map()),
    );
    cases.push(
        Case::new(
            "ReplaceField/rename_swap_map",
            one(v, &[("renames", "name:id,id:name")]),
        )
        .value(f.person_map()),
    );
    cases.push(Case::new(
        "ReplaceField/tombstone",
        one(v, &[("exclude", "id")]),
    ));
    cases.push(
        Case::new("ReplaceField/not_a_struct", one(v, &[("exclude", "id")]))
            .value(sv(&Schema::string(), "x"))
            .same_message(),
    );
}

fn mask_field(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "MaskField$Value";
    let types = one(
        v,
        &[(
            "fields",
            "id,name,age,email,score,active,birthday,created,tags",
        )],
    );
    cases.push(Case::new("MaskField/struct_types", types.clone()).value(f.ada()));
    cases.push(Case::new("MaskField/struct_types_bob", types).value(f.bob()));
    cases.push(
        Case::new(
            "MaskField/map",
            one(
                v,
                &[("fields", "id,name,score,active,tags,address,email,missing")],
            ),
        )
        .value(f.person_map()),
    );
    let numbers = one(v, &[("fields", "id,age,score"), ("replacement", "100")]);
    cases.push(Case::new("MaskField/replacement_numbers", numbers.clone()).value(f.bob()));
    cases.push(Case::new("MaskField/replacement_numbers_map", numbers).value(f.person_map()));
    cases.push(
        Case::new(
            "MaskField/replacement_fraction",
            one(v, &[("fields", "id,score"), ("replacement", "12.75")]),
        )
        .value(f.bob()),
    );
    let text = one(v, &[("fields", "name,email"), ("replacement", "****")]);
    cases.push(Case::new("MaskField/replacement_text", text.clone()).value(f.bob()));
    cases.push(Case::new("MaskField/replacement_text_map", text).value(f.person_map()));
    cases.push(
        Case::new(
            "MaskField/replacement_not_a_number",
            one(v, &[("fields", "id"), ("replacement", "abc")]),
        )
        .value(f.ada())
        .same_message(),
    );
    cases.push(
        Case::new(
            "MaskField/replacement_boolean",
            one(v, &[("fields", "active"), ("replacement", "x")]),
        )
        .value(f.ada())
        .same_message(),
    );
    cases.push(
        Case::new("MaskField/bytes", one(v, &[("fields", "avatar")]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(Case::new("MaskField/tombstone", one(v, &[("fields", "id")])).same_message());
    cases.push(
        Case::new(
            "MaskField/key",
            one("MaskField$Key", &[("fields", "region")]),
        )
        .key(f.key_struct()),
    );
    cases.push(
        Case::new("MaskField/empty_fields", one(v, &[("fields", "")]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(
        Case::new(
            "MaskField/duplicate_fields",
            one(v, &[("fields", "id,name,id")]),
        )
        .value(f.ada())
        .same_message(),
    );
    cases.push(
        Case::new("MaskField/empty_item", one(v, &[("fields", "id,")]))
            .value(f.ada())
            .same_message(),
    );
}

fn cast(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "Cast$Value";
    let fields = "id:int32,age:string,score:int64,active:int8,created:string,birthday:int32,\
                  balance:float64,avatar:string";
    cases.push(Case::new("Cast/struct_fields", one(v, &[("spec", fields)])).value(f.ada()));
    cases.push(Case::new("Cast/struct_fields_bob", one(v, &[("spec", fields)])).value(f.bob()));
    cases.push(Case::new("Cast/spec_empty_item", one(v, &[("spec", "id:string,")])).value(f.ada()));
    cases.push(
        Case::new(
            "Cast/struct_fields_keep_nulls",
            one(
                v,
                &[("spec", fields), ("replace.null.with.default", "false")],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "Cast/struct_more",
            one(v, &[("spec", "id:float32,score:boolean,active:string,created:int64,balance:string,name:string")]),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "Cast/map_fields",
            one(
                v,
                &[(
                    "spec",
                    "score:string,age:float32,id:boolean,active:int16,missing:int8",
                )],
            ),
        )
        .value(f.person_map()),
    );
    let whole = |name: &str, spec: &str, value: SchemaAndValue| {
        Case::new(name, one(v, &[("spec", spec)])).value(value)
    };
    cases.push(whole(
        "Cast/int_to_string",
        "string",
        sv(&Schema::int32(), 42),
    ));
    cases.push(whole(
        "Cast/string_to_int64",
        "int64",
        sv(&Schema::string(), "-123"),
    ));
    cases.push(whole(
        "Cast/string_to_float64",
        "float64",
        sv(&Schema::string(), "2.5e3"),
    ));
    cases.push(whole(
        "Cast/string_to_boolean",
        "boolean",
        sv(&Schema::string(), "TRUE"),
    ));
    cases.push(whole(
        "Cast/float_wraps_to_int8",
        "int8",
        sv(&Schema::float64(), 300.7),
    ));
    cases.push(whole(
        "Cast/float_saturates_int32",
        "int32",
        sv(&Schema::float64(), 1e20),
    ));
    cases.push(whole(
        "Cast/long_wraps_to_int16",
        "int16",
        sv(&Schema::int64(), 70_000i64),
    ));
    cases.push(whole(
        "Cast/int_to_boolean",
        "boolean",
        sv(&Schema::int32(), 0),
    ));
    cases.push(whole(
        "Cast/fraction_to_boolean",
        "boolean",
        sv(&Schema::float64(), 0.5),
    ));
    cases.push(whole(
        "Cast/boolean_to_float32",
        "float32",
        sv(&Schema::boolean(), true),
    ));
    cases.push(whole(
        "Cast/optional_schema",
        "int64",
        sv(&Schema::optional_int32(), 7),
    ));
    cases.push(whole(
        "Cast/default_schema",
        "string",
        sv(
            &build(SchemaBuilder::int32().optional().default_value(5)),
            7,
        ),
    ));
    // Kafka Connect keeps the logical type's name on the cast schema, so its own converters
    // then refuse the value.
    const LOGICAL: &str = "a whole-value cast of a logical type drops the logical name";
    cases.push(
        whole(
            "Cast/timestamp_to_string",
            "string",
            sv(&build(timestamp_schema()), Value::Timestamp(TS)),
        )
        .differs(LOGICAL),
    );
    cases.push(
        whole(
            "Cast/date_to_string",
            "string",
            sv(&build(date_schema()), Value::Date(BIRTHDAY)),
        )
        .differs(LOGICAL),
    );
    cases.push(
        whole(
            "Cast/time_to_string",
            "string",
            sv(&build(time_schema()), Value::Time(37_230_400)),
        )
        .differs(LOGICAL),
    );
    cases.push(
        whole(
            "Cast/decimal_to_int32",
            "int32",
            sv(
                &build(decimal_schema(3)),
                Value::Decimal(Decimal::new(-98_765, 3)),
            ),
        )
        .differs(LOGICAL),
    );
    cases.push(whole(
        "Cast/named_schema",
        "int64",
        sv(
            &build(
                SchemaBuilder::int32()
                    .name("com.example.Amount")
                    .version(2)
                    .doc("cents"),
            ),
            7,
        ),
    ));
    cases.push(whole(
        "Cast/schemaless_long",
        "string",
        schemaless(Value::Int64(5)),
    ));
    cases.push(whole("Cast/schemaless_string", "int32", schemaless("77")));
    cases.push(whole("Cast/bad_number", "int8", sv(&Schema::string(), "300")).same_message());
    cases.push(
        whole(
            "Cast/bytes_to_int",
            "int32",
            sv(&Schema::bytes(), Value::Bytes(Bytes::from_static(b"x"))),
        )
        .same_message(),
    );
    cases.push(
        Case::new("Cast/struct_of_map", one(v, &[("spec", "address:string")]))
            .value(f.person_map())
            .same_message(),
    );
    cases.push(
        Case::new(
            "Cast/struct_field_struct",
            one(v, &[("spec", "address:string")]),
        )
        .value(f.ada())
        .same_message(),
    );
    cases.push(
        Case::new("Cast/name_to_int", one(v, &[("spec", "name:int32")]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(whole("Cast/unknown_type", "int99", sv(&Schema::int32(), 1)));
    cases.push(whole("Cast/bytes_target", "bytes", sv(&Schema::int32(), 1)).same_message());
    cases.push(
        whole(
            "Cast/whole_and_fields",
            "int8,a:int16",
            sv(&Schema::int32(), 1),
        )
        .same_message(),
    );
    cases.push(whole("Cast/no_spec", "", sv(&Schema::int32(), 1)).same_message());
    cases.push(whole("Cast/tombstone", "int8", SchemaAndValue::default()));
    cases.push(
        Case::new("Cast/key", one("Cast$Key", &[("spec", "int32")]))
            .key(sv(&Schema::int64(), 123_456_789_012i64)),
    );
}

fn flatten(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "Flatten$Value";
    cases.push(Case::new("Flatten/struct", one(v, &[])).value(f.ada()));
    cases.push(Case::new("Flatten/struct_null_child", one(v, &[])).value(f.bob()));
    cases.push(Case::new("Flatten/struct_delimiter", one(v, &[("delimiter", "_")])).value(f.ada()));
    cases.push(Case::new("Flatten/nested", one(v, &[])).value(f.nested_value(true)));
    cases.push(
        Case::new("Flatten/nested_null", one(v, &[("delimiter", "__")]))
            .value(f.nested_value(false)),
    );
    cases.push(Case::new("Flatten/map", one(v, &[])).value(f.person_map()));
    cases.push(
        Case::new("Flatten/padded_delimiter", one(v, &[("delimiter", " _ ")])).value(f.ada()),
    );
    cases.push(
        Case::new("Flatten/map_delimiter", one(v, &[("delimiter", "/")])).value(f.person_map()),
    );
    cases.push(
        Case::new("Flatten/key", one("Flatten$Key", &[]))
            .key(schemaless(map(&[("a", map(&[("b", Value::Int64(1))]))]))),
    );
    let with_map = build(SchemaBuilder::struct_().field(
        "m",
        build(SchemaBuilder::map(Schema::string(), Schema::int32())),
    ));
    cases.push(
        Case::new("Flatten/map_field", one(v, &[]))
            .value(sv(
                &with_map,
                structure(&with_map, &[("m", Value::Map(vec![]))]),
            ))
            .same_message(),
    );
    cases.push(Case::new("Flatten/tombstone", one(v, &[])));
    cases.push(
        Case::new("Flatten/not_a_map", one(v, &[]))
            .value(schemaless(Value::Int64(3)))
            .same_message(),
    );
}

fn timestamp_converter(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "TimestampConverter$Value";
    let iso = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";
    let field =
        |name: &str, config: &[(&str, &str)]| Case::new(name, one(v, config)).value(f.ada());
    cases.push(field(
        "TimestampConverter/field_to_string",
        &[
            ("field", "created"),
            ("target.type", "string"),
            ("format", iso),
        ],
    ));
    cases.push(field(
        "TimestampConverter/field_to_unix",
        &[("field", "created"), ("target.type", "unix")],
    ));
    cases.push(field(
        "TimestampConverter/field_to_unix_seconds",
        &[
            ("field", "created"),
            ("target.type", "unix"),
            ("unix.precision", "seconds"),
        ],
    ));
    cases.push(field(
        "TimestampConverter/field_to_unix_micros",
        &[
            ("field", "created"),
            ("target.type", "unix"),
            ("unix.precision", "microseconds"),
        ],
    ));
    cases.push(field(
        "TimestampConverter/field_to_unix_nanos",
        &[
            ("field", "created"),
            ("target.type", "unix"),
            ("unix.precision", "nanoseconds"),
        ],
    ));
    cases.push(field(
        "TimestampConverter/field_to_date",
        &[("field", "created"), ("target.type", "Date")],
    ));
    cases.push(field(
        "TimestampConverter/field_to_time",
        &[("field", "created"), ("target.type", "Time")],
    ));
    cases.push(field(
        "TimestampConverter/date_to_timestamp",
        &[("field", "birthday"), ("target.type", "Timestamp")],
    ));
    cases.push(field(
        "TimestampConverter/date_to_string",
        &[
            ("field", "birthday"),
            ("target.type", "string"),
            ("format", "dd/MM/yy"),
        ],
    ));
    cases.push(
        Case::new(
            "TimestampConverter/null_date_field",
            one(v, &[("field", "birthday"), ("target.type", "unix")]),
        )
        .value(f.bob()),
    );
    cases.push(
        Case::new(
            "TimestampConverter/negative_to_time",
            one(v, &[("field", "created"), ("target.type", "Time")]),
        )
        .value(f.bob()),
    );
    cases.push(field(
        "TimestampConverter/missing_field",
        &[("field", "nope"), ("target.type", "unix")],
    ));
    cases.push(field(
        "TimestampConverter/wrong_field_type",
        &[("field", "age"), ("target.type", "unix")],
    ));
    let whole = |name: &str, config: &[(&str, &str)], value: SchemaAndValue| {
        Case::new(name, one(v, config)).value(value)
    };
    cases.push(whole(
        "TimestampConverter/unix_to_timestamp",
        &[("target.type", "Timestamp")],
        sv(&Schema::int64(), TS),
    ));
    cases.push(whole(
        "TimestampConverter/unix_seconds_to_timestamp",
        &[("target.type", "Timestamp"), ("unix.precision", "seconds")],
        sv(&Schema::optional_int64(), 1_705_314_030i64),
    ));
    cases.push(whole(
        "TimestampConverter/string_to_timestamp",
        &[
            ("target.type", "Timestamp"),
            ("format", "yyyy-MM-dd HH:mm:ss"),
        ],
        sv(&Schema::string(), "2024-01-15 10:20:30"),
    ));
    cases.push(whole(
        "TimestampConverter/lenient_string_to_date",
        &[("target.type", "Date"), ("format", "yyyy-MM-dd")],
        sv(&Schema::string(), "2024-02-30 trailing"),
    ));
    cases.push(whole(
        "TimestampConverter/compact_string_to_unix",
        &[("target.type", "unix"), ("format", "yyyyMMddHHmmssSSS")],
        sv(&Schema::string(), "20240115102030400"),
    ));
    cases.push(whole(
        "TimestampConverter/timestamp_to_text",
        &[
            ("target.type", "string"),
            ("format", "EEE, d MMM yyyy hh:mm:ss a z"),
        ],
        sv(&build(timestamp_schema()), Value::Timestamp(TS)),
    ));
    cases.push(whole(
        "TimestampConverter/time_to_string",
        &[("target.type", "string"), ("format", "HH:mm:ss.SSS")],
        sv(&build(time_schema()), Value::Time(37_230_400)),
    ));
    cases.push(
        whole(
            "TimestampConverter/bad_string",
            &[("target.type", "unix"), ("format", "yyyy-MM-dd")],
            sv(&Schema::string(), "15/01/2024"),
        )
        .same_message(),
    );
    cases.push(
        whole(
            "TimestampConverter/int32_schema",
            &[("target.type", "unix")],
            sv(&Schema::int32(), 5),
        )
        .same_message(),
    );
    cases.push(
        whole(
            "TimestampConverter/missing_format",
            &[("target.type", "string")],
            sv(&Schema::int64(), TS),
        )
        .same_message(),
    );
    cases.push(
        whole(
            "TimestampConverter/bad_target",
            &[("target.type", "date")],
            sv(&Schema::int64(), TS),
        )
        .same_message(),
    );
    cases.push(
        whole(
            "TimestampConverter/bad_precision",
            &[("target.type", "unix"), ("unix.precision", "hours")],
            sv(&Schema::int64(), TS),
        )
        .same_message(),
    );
    cases.push(whole(
        "TimestampConverter/tombstone",
        &[("target.type", "unix")],
        SchemaAndValue::default(),
    ));
    cases.push(whole(
        "TimestampConverter/schemaless_unix_to_string",
        &[("target.type", "string"), ("format", iso)],
        schemaless(Value::Int64(TS)),
    ));
    cases.push(whole(
        "TimestampConverter/schemaless_string_to_unix",
        &[("target.type", "unix"), ("format", "yyyy-MM-dd HH:mm:ss")],
        schemaless("2024-01-15 10:20:30"),
    ));
    cases.push(
        whole(
            "TimestampConverter/schemaless_int",
            &[("target.type", "unix")],
            schemaless(Value::Int32(5)),
        )
        .same_message(),
    );
    let map_field =
        |name: &str, config: &[(&str, &str)]| Case::new(name, one(v, config)).value(f.person_map());
    cases.push(map_field(
        "TimestampConverter/map_string_to_unix",
        &[
            ("field", "when"),
            ("target.type", "unix"),
            ("format", "yyyy-MM-dd HH:mm:ss"),
        ],
    ));
    cases.push(map_field(
        "TimestampConverter/map_unix_to_string",
        &[
            ("field", "created"),
            ("target.type", "string"),
            ("format", iso),
        ],
    ));
    cases.push(map_field(
        "TimestampConverter/map_missing_field",
        &[("field", "nope"), ("target.type", "unix")],
    ));
    cases.push(
        Case::new(
            "TimestampConverter/key",
            one(
                "TimestampConverter$Key",
                &[("target.type", "string"), ("format", "yyyy")],
            ),
        )
        .key(sv(&Schema::int64(), TS)),
    );
}

fn regex_router(cases: &mut Vec<Case>) {
    let route = |name: &str, regex: &str, replacement: &str, topic: &str| {
        Case::new(
            name,
            one(
                "org.apache.kafka.connect.transforms.RegexRouter",
                &[("regex", regex), ("replacement", replacement)],
            ),
        )
        .topic(topic)
        .value(schemaless(Value::Int64(1)))
    };
    cases.push(route(
        "RegexRouter/strip_suffix",
        "(.*)-raw",
        "$1",
        "orders-raw",
    ));
    cases.push(route("RegexRouter/no_match", "(.*)-raw", "$1", "orders"));
    cases.push(route("RegexRouter/prefix", "(.*)", "wharf-$1", "orders"));
    cases.push(route(
        "RegexRouter/reorder",
        "(\\w+)\\.(\\w+)\\.(\\w+)",
        "$3_$2_$1",
        "db.public.users",
    ));
    cases.push(route(
        "RegexRouter/named_group",
        "(?<base>.*)\\.v1",
        "${base}.v2",
        "events.v1",
    ));
    cases.push(route(
        "RegexRouter/escaped_dollar",
        "(.*)",
        "\\$1-$1",
        "orders",
    ));
    cases.push(route("RegexRouter/literal", "orders", "sales", "orders"));
    cases.push(route(
        "RegexRouter/lazy_first_match",
        "(.*?)(-.*)?",
        "x$1",
        "a-b-c",
    ));
    cases.push(route(
        "RegexRouter/optional_group",
        "(a)(b)?c",
        "[$2]",
        "ac",
    ));
    cases.push(route("RegexRouter/group_number_digits", "(a)", "$10", "a"));
    cases.push(route("RegexRouter/alternation", "a|ab", "X", "ab"));
    cases.push(route("RegexRouter/bad_regex", "(oops", "$1", "orders"));
    cases.push(route(
        "RegexRouter/padded",
        " (.*)-raw ",
        " $1 ",
        "orders-raw",
    ));
}

fn value_to_key(f: &Fixtures, cases: &mut Vec<Case>) {
    let v = "ValueToKey";
    cases.push(
        Case::new(
            "ValueToKey/struct",
            one(v, &[("fields", "id,name,address")]),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "ValueToKey/struct_default",
            one(v, &[("fields", "age,email")]),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "ValueToKey/struct_keep_nulls",
            one(
                v,
                &[("fields", "age"), ("replace.null.with.default", "false")],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new("ValueToKey/map", one(v, &[("fields", "id,name,missing")])).value(f.person_map()),
    );
    cases.push(
        Case::new(
            "ValueToKey/replaces_key",
            one(
                "org.apache.kafka.connect.transforms.ValueToKey",
                &[("fields", "id")],
            ),
        )
        .key(f.key_struct())
        .value(f.bob()),
    );
    cases.push(
        Case::new("ValueToKey/missing_field", one(v, &[("fields", "id,nope")]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(Case::new("ValueToKey/tombstone", one(v, &[("fields", "id")])).same_message());
    cases.push(
        Case::new("ValueToKey/no_fields", one(v, &[]))
            .value(f.ada())
            .same_message(),
    );
    for (name, fields) in [("empty_item", ",id"), ("duplicate", "id,id")] {
        cases.push(
            Case::new(&format!("ValueToKey/{name}"), one(v, &[("fields", fields)]))
                .value(f.ada())
                .same_message(),
        );
    }
}

fn other_transforms(f: &Fixtures, cases: &mut Vec<Case>) {
    let extract =
        |name: &str, class: &str, config: &[(&str, &str)]| Case::new(name, one(class, config));
    cases.push(
        extract(
            "ExtractField/struct",
            "ExtractField$Value",
            &[("field", "name")],
        )
        .value(f.ada()),
    );
    cases.push(
        extract(
            "ExtractField/struct_default",
            "ExtractField$Value",
            &[("field", "age")],
        )
        .value(f.ada()),
    );
    cases.push(
        extract(
            "ExtractField/struct_keep_null",
            "ExtractField$Value",
            &[("field", "age"), ("replace.null.with.default", "false")],
        )
        .value(f.ada()),
    );
    cases.push(
        extract(
            "ExtractField/nested_v2",
            "ExtractField$Value",
            &[("field", "address.city"), ("field.syntax.version", "V2")],
        )
        .value(f.ada()),
    );
    cases.push(
        extract(
            "ExtractField/nested_v2_null_parent",
            "ExtractField$Value",
            &[("field", "address.city"), ("field.syntax.version", "v2")],
        )
        .value(f.bob()),
    );
    cases.push(
        extract(
            "ExtractField/dotted_v1",
            "ExtractField$Value",
            &[("field", "address.city")],
        )
        .value(f.ada()),
    );
    cases.push(
        extract(
            "ExtractField/map",
            "ExtractField$Value",
            &[("field", "tags")],
        )
        .value(f.person_map()),
    );
    cases.push(
        extract(
            "ExtractField/map_nested_v2",
            "ExtractField$Value",
            &[("field", "address.geo.lat"), ("field.syntax.version", "V2")],
        )
        .value(f.person_map()),
    );
    cases.push(
        extract(
            "ExtractField/map_missing",
            "ExtractField$Value",
            &[("field", "nope")],
        )
        .value(f.person_map()),
    );
    cases.push(
        extract("ExtractField/key", "ExtractField$Key", &[("field", "id")]).key(f.key_struct()),
    );
    cases.push(extract(
        "ExtractField/tombstone",
        "ExtractField$Value",
        &[("field", "id")],
    ));
    cases.push(
        extract(
            "ExtractField/unknown_field",
            "ExtractField$Value",
            &[("field", "nope")],
        )
        .value(f.ada()),
    );

    cases.push(
        Case::new(
            "HoistField/struct",
            one("HoistField$Value", &[("field", "person")]),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "HoistField/primitive",
            one("HoistField$Value", &[("field", "n")]),
        )
        .value(sv(&Schema::optional_int32(), 3)),
    );
    cases.push(
        Case::new(
            "HoistField/schemaless",
            one("HoistField$Value", &[("field", "n")]),
        )
        .value(f.person_map()),
    );
    cases.push(Case::new(
        "HoistField/null_key",
        one("HoistField$Key", &[("field", "k")]),
    ));

    let header_from = |name: &str, op: &str, value: SchemaAndValue| {
        Case::new(
            name,
            one(
                "HeaderFrom$Value",
                &[
                    ("fields", "id,address,age"),
                    ("headers", "h_id,h_address,h_age"),
                    ("operation", op),
                ],
            ),
        )
        .value(value)
        .header("existing", sv(&Schema::string(), "x"))
    };
    cases.push(header_from("HeaderFrom/move_struct", "move", f.ada()));
    cases.push(header_from("HeaderFrom/copy_struct", "copy", f.ada()));
    cases.push(header_from("HeaderFrom/move_map", "move", f.person_map()));
    cases.push(header_from("HeaderFrom/copy_map", "copy", f.person_map()));
    cases.push(header_from(
        "HeaderFrom/padded_operation",
        " copy ",
        f.person_map(),
    ));
    cases.push(header_from("HeaderFrom/bad_operation", "MOVE", f.ada()).same_message());
    cases.push(
        Case::new(
            "HeaderFrom/empty_fields",
            one(
                "HeaderFrom$Value",
                &[("fields", ""), ("headers", "h"), ("operation", "copy")],
            ),
        )
        .value(f.ada())
        .same_message(),
    );
    cases.push(
        Case::new(
            "HeaderFrom/uneven",
            one(
                "HeaderFrom$Key",
                &[
                    ("fields", "id,region"),
                    ("headers", "h"),
                    ("operation", "copy"),
                ],
            ),
        )
        .key(f.key_struct())
        .same_message(),
    );
    // NonEmptyListValidator only: an empty item is a field (and a header) named "".
    cases.push(
        Case::new(
            "HeaderFrom/empty_item",
            one(
                "HeaderFrom$Value",
                &[
                    ("fields", "id,"),
                    ("headers", "h_id,h_none"),
                    ("operation", "copy"),
                ],
            ),
        )
        .value(f.person_map()),
    );
    cases.push(
        Case::new(
            "HeaderFrom/key_copy",
            one(
                "HeaderFrom$Key",
                &[
                    ("fields", "region"),
                    ("headers", "r"),
                    ("operation", "copy"),
                ],
            ),
        )
        .key(f.key_struct()),
    );

    let literal = |name: &str, literal: &str| {
        Case::new(
            name,
            one(
                "InsertHeader",
                &[("header", "lit"), ("value.literal", literal)],
            ),
        )
        .value(schemaless(Value::Int64(1)))
        .header("first", schemaless("one"))
    };
    for (name, text) in [
        ("InsertHeader/string", "hello world"),
        ("InsertHeader/int8", "42"),
        ("InsertHeader/int16", "-300"),
        ("InsertHeader/int64", "5000000000"),
        ("InsertHeader/float", "3.5"),
        ("InsertHeader/integral_decimal", "2.0"),
        ("InsertHeader/boolean", "true"),
        ("InsertHeader/date", "2024-01-15"),
        ("InsertHeader/timestamp", "2024-01-15T10:20:30.400Z"),
        ("InsertHeader/time", "10:20:30.400Z"),
        ("InsertHeader/array", "[1, 2, 300]"),
        ("InsertHeader/map", "{\"a\": 1, \"b\": 2}"),
        ("InsertHeader/broken_array", "[1, 2"),
        ("InsertHeader/words_array", "[a, b]"),
        ("InsertHeader/empty", ""),
        ("InsertHeader/null", "null"),
        ("InsertHeader/mixed_numbers", "[1, 2.5, 70000]"),
        ("InsertHeader/leading_number", "1,2"),
        ("InsertHeader/clock", "12:30"),
        ("InsertHeader/quoted_in_array", "[\"x\", \"y\"]"),
        ("InsertHeader/nested_array", "[[1, 2], [3]]"),
        ("InsertHeader/exponent", "1e3"),
        ("InsertHeader/big_integer", "123456789012345678901234567890"),
        ("InsertHeader/negative_fraction", "-0.125"),
        ("InsertHeader/spaces", "  "),
        ("InsertHeader/false_suffix", "false!"),
    ] {
        cases.push(literal(name, text));
    }

    cases.push(
        Case::new("DropHeaders/empty", one("DropHeaders", &[("headers", " ")]))
            .value(f.ada())
            .same_message(),
    );
    for (name, headers) in [
        ("DropHeaders/empty_item", "a,"),
        ("DropHeaders/duplicate", "a,a"),
    ] {
        cases.push(
            Case::new(name, one("DropHeaders", &[("headers", headers)]))
                .value(f.ada())
                .same_message(),
        );
    }
    cases.push(
        Case::new(
            "DropHeaders/some",
            one("DropHeaders", &[("headers", "a,c")]),
        )
        .value(schemaless(Value::Int64(1)))
        .header("a", schemaless("1"))
        .header("b", sv(&Schema::int32(), 2))
        .header("c", SchemaAndValue::default())
        .header("a", schemaless("4")),
    );

    let ssm = "SetSchemaMetadata$Value";
    cases.push(
        Case::new(
            "SetSchemaMetadata/struct",
            one(
                ssm,
                &[
                    ("schema.name", "com.example.Renamed"),
                    ("schema.version", "7"),
                ],
            ),
        )
        .value(f.ada()),
    );
    cases.push(
        Case::new(
            "SetSchemaMetadata/version_only",
            one(ssm, &[("schema.version", "9")]),
        )
        .value(f.bob()),
    );
    cases.push(
        Case::new(
            "SetSchemaMetadata/primitive",
            one(ssm, &[("schema.name", "n")]),
        )
        .value(sv(&Schema::int32(), 1))
        .differs("Kafka Connect can only rename struct schemas (ConnectSchema.fields() throws)"),
    );
    cases.push(
        Case::new(
            "SetSchemaMetadata/schemaless",
            one(ssm, &[("schema.name", "n")]),
        )
        .value(f.person_map())
        .same_message(),
    );
    cases.push(Case::new(
        "SetSchemaMetadata/tombstone",
        one(ssm, &[("schema.name", "n")]),
    ));
    cases.push(
        Case::new(
            "SetSchemaMetadata/key",
            one("SetSchemaMetadata$Key", &[("schema.name", "k")]),
        )
        .key(f.key_struct()),
    );
    cases.push(
        Case::new("SetSchemaMetadata/nothing", one(ssm, &[]))
            .value(f.ada())
            .same_message(),
    );
    cases.push(
        Case::new(
            "SetSchemaMetadata/bad_version",
            one(ssm, &[("schema.version", "v1")]),
        )
        .value(f.ada())
        .same_message(),
    );

    cases.push(
        Case::new("TimestampRouter/default", one("TimestampRouter", &[]))
            .value(schemaless(Value::Int64(1))),
    );
    cases.push(
        Case::new(
            "TimestampRouter/custom",
            one(
                "TimestampRouter",
                &[
                    ("topic.format", "${timestamp}/${topic}/${topic}"),
                    ("timestamp.format", "yyyy-MM-dd'T'HH"),
                ],
            ),
        )
        .value(schemaless(Value::Int64(1))),
    );
    cases.push(
        Case::new("TimestampRouter/no_timestamp", one("TimestampRouter", &[]))
            .value(schemaless(Value::Int64(1)))
            .timestamp(None),
    );
}

fn predicates_and_chains(f: &Fixtures, cases: &mut Vec<Case>) {
    let filter_on = |name: &str, predicate: &[(&str, &str)], negate: bool| {
        let mut pairs = vec![
            ("transforms", "drop"),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.drop.predicate", "p"),
            ("predicates", "p"),
        ];
        if negate {
            pairs.push(("transforms.drop.negate", "true"));
        }
        pairs.extend_from_slice(predicate);
        Case::new(name, raw(&pairs))
    };
    let topic = [
        (
            "predicates.p.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.p.pattern", "ord.*"),
    ];
    cases.push(filter_on("TopicNameMatches/match", &topic, false).value(f.ada()));
    cases.push(
        filter_on("TopicNameMatches/no_match", &topic, false)
            .value(f.ada())
            .topic("users"),
    );
    cases.push(
        filter_on("TopicNameMatches/negated", &topic, true)
            .value(f.ada())
            .topic("users"),
    );
    cases.push(
        filter_on("TopicNameMatches/partial_is_no_match", &topic, false)
            .value(f.ada())
            .topic("all-orders"),
    );
    let header = [
        ("predicates.p.type", "HasHeaderKey"),
        ("predicates.p.name", "skip"),
    ];
    cases.push(
        filter_on("HasHeaderKey/present", &header, false)
            .value(f.ada())
            .header("skip", schemaless("yes")),
    );
    cases.push(
        filter_on("HasHeaderKey/absent", &header, false)
            .value(f.ada())
            .header("other", schemaless("yes")),
    );
    cases.push(filter_on("HasHeaderKey/negated", &header, true).value(f.ada()));
    let tombstone = [("predicates.p.type", "RecordIsTombstone")];
    cases.push(filter_on("RecordIsTombstone/tombstone", &tombstone, false).key(f.key_struct()));
    cases.push(filter_on("RecordIsTombstone/value", &tombstone, false).value(f.ada()));
    cases.push(filter_on("RecordIsTombstone/negated", &tombstone, true).value(f.ada()));
    cases.push(Case::new("Filter/always", one("Filter", &[])).value(f.ada()));

    let chain = raw(&[
        ("transforms", "key,flat,cast,route,mask"),
        ("transforms.key.type", "ValueToKey"),
        ("transforms.key.fields", "id"),
        ("transforms.flat.type", "Flatten$Value"),
        ("transforms.flat.delimiter", "_"),
        ("transforms.cast.type", "Cast$Value"),
        ("transforms.cast.spec", "id:string,address_city:string"),
        ("transforms.route.type", "RegexRouter"),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "$1-flat"),
        ("transforms.mask.type", "MaskField$Value"),
        ("transforms.mask.fields", "name"),
        ("transforms.mask.predicate", "isTombstone"),
        ("transforms.mask.negate", "true"),
        ("predicates", "isTombstone"),
        ("predicates.isTombstone.type", "RecordIsTombstone"),
    ]);
    cases.push(Case::new("Chain/struct", chain.clone()).value(f.ada()));
    cases.push(Case::new("Chain/map", chain).value(f.person_map()));
    let chain = raw(&[
        ("transforms", "hoist,insert,extract"),
        ("transforms.hoist.type", "HoistField$Value"),
        ("transforms.hoist.field", "inner"),
        ("transforms.insert.type", "InsertField$Value"),
        ("transforms.insert.topic.field", "topic"),
        ("transforms.extract.type", "ExtractField$Value"),
        ("transforms.extract.field", "inner.name"),
        ("transforms.extract.field.syntax.version", "V2"),
    ]);
    cases.push(Case::new("Chain/hoist_insert_extract", chain).value(f.ada()));
    // ConnectorConfig keeps the empty item: alias "" needs a `transforms..type`.
    let aliases = |list: &str| raw(&[("transforms", list), ("transforms.t.type", "Filter")]);
    cases.push(
        Case::new("Chain/empty_alias", aliases("t,"))
            .value(f.ada())
            .same_message(),
    );
    cases.push(
        Case::new("Chain/duplicate_alias", aliases("t,t"))
            .value(f.ada())
            .same_message(),
    );
    cases.push(Case::new("Chain/padded_aliases", aliases(" t ")).value(f.ada()));
}

fn all_cases() -> Vec<Case> {
    let f = Fixtures::new();
    let mut cases = Vec::new();
    insert_field(&f, &mut cases);
    replace_field(&f, &mut cases);
    mask_field(&f, &mut cases);
    cast(&f, &mut cases);
    flatten(&f, &mut cases);
    timestamp_converter(&f, &mut cases);
    regex_router(&mut cases);
    value_to_key(&f, &mut cases);
    other_transforms(&f, &mut cases);
    predicates_and_chains(&f, &mut cases);
    cases
}

// ---------------------------------------------------------------------------------------------
// The wharf side, and the comparison.

/// What a chain made of a record: `result` as the Java side names it, the record's JSON
/// documents (parsed), or the error message.
#[derive(Debug, PartialEq)]
struct Outcome {
    result: String,
    record: Option<serde_json::Value>,
    message: Option<String>,
}

fn parse_doc(text: Option<&str>) -> serde_json::Value {
    text.map_or(serde_json::Value::Null, |t| {
        serde_json::from_str(t).unwrap()
    })
}

fn from_java(v: &serde_json::Value) -> Outcome {
    let result = v["result"].as_str().unwrap().to_owned();
    if result != "ok" {
        return Outcome {
            result,
            record: None,
            message: v["message"].as_str().map(str::to_owned),
        };
    }
    let headers: Vec<serde_json::Value> = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| json!([h[0], parse_doc(h[1].as_str())]))
        .collect();
    Outcome {
        result,
        record: Some(json!({
            "topic": v["topic"],
            "partition": v["partition"],
            "timestamp": v["timestamp"],
            "key": parse_doc(v["key"].as_str()),
            "value": parse_doc(v["value"].as_str()),
            "headers": headers,
        })),
        message: None,
    }
}

fn wharf(case: &Case) -> Outcome {
    let fail = |result: &str, message: String| Outcome {
        result: result.to_owned(),
        record: None,
        message: Some(message),
    };
    let chain = match TransformChain::from_config(&case.props) {
        Ok(chain) => chain,
        // Kafka Connect names keys without the `transforms.<alias>.` prefix.
        Err(e) => {
            let first = e
                .errors
                .first()
                .map(|e| e.message.replace("transforms.t.", ""));
            return fail("config_error", first.unwrap_or_default());
        }
    };
    let conv = converter();
    let topic = case.topic.as_str();
    let read = |data: &SchemaAndValue| {
        let bytes = envelope(topic, data).map(Bytes::from);
        conv.to_connect_data(topic, &[], bytes.as_ref()).unwrap()
    };
    let record = ConnectRecord {
        topic: topic.into(),
        kafka_partition: case.partition,
        key: read(&case.key),
        value: read(&case.value),
        timestamp: case.timestamp,
        headers: case
            .headers
            .iter()
            .map(|(k, v)| ConnectHeader::new(k.as_str(), read(v)))
            .collect(),
        kafka_offset: case.offset,
    };
    let record = match chain.apply(record) {
        Ok(Some(record)) => record,
        Ok(None) => {
            return Outcome {
                result: "dropped".to_owned(),
                record: None,
                message: None,
            };
        }
        Err(TransformError::Data { message, .. }) => return fail("error", message),
        Err(e) => return fail("error", e.to_string()),
    };
    let write = |data: &SchemaAndValue| {
        conv.from_connect_data(&record.topic, &[], data.schema.as_ref(), &data.value)
            .map(|b| b.map(|b| String::from_utf8(b.to_vec()).unwrap()))
    };
    let mut headers = Vec::new();
    for h in &record.headers {
        match write(&h.value) {
            Ok(text) => headers.push(json!([&*h.key, parse_doc(text.as_deref())])),
            Err(e) => return fail("convert_error", e.to_string()),
        }
    }
    let (key, value) = match (write(&record.key), write(&record.value)) {
        (Ok(k), Ok(v)) => (k, v),
        (Err(e), _) | (_, Err(e)) => return fail("convert_error", e.to_string()),
    };
    Outcome {
        result: "ok".to_owned(),
        record: Some(json!({
            "topic": &*record.topic,
            "partition": record.kafka_partition,
            "timestamp": record.timestamp,
            "key": parse_doc(key.as_deref()),
            "value": parse_doc(value.as_deref()),
            "headers": headers,
        })),
        message: None,
    }
}

/// Kafka Connect's message without its exception class.
fn java_message(message: Option<&str>) -> Option<&str> {
    let m = message?;
    Some(m.split_once(": ").map_or(m, |(_, rest)| rest))
}

#[test]
fn transforms_match_kafka_connect() {
    let cases = all_cases();
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name.as_str()), "duplicate case {}", c.name);
    }
    let java = kafka_connect(&cases);
    let mut failures = Vec::new();
    // Per transform: cases, and how Kafka Connect ended them.
    let mut per_transform: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for (case, reference) in cases.iter().zip(&java) {
        assert_eq!(reference["name"].as_str(), Some(case.name.as_str()));
        let expected = from_java(reference);
        let actual = wharf(case);
        let group = case.name.split('/').next().unwrap_or("");
        *per_transform
            .entry(group)
            .or_default()
            .entry(expected.result.clone())
            .or_default() += 1;
        if std::env::var_os("WHARF_COMPAT_VERBOSE").is_some() {
            println!(
                "{}: kafka {} {:?} / wharf {} {:?}",
                case.name, expected.result, expected.message, actual.result, actual.message
            );
        }
        if let Some(why) = case.differs {
            // Kafka Connect refuses the record; wharf must transform it.
            if expected.result == "ok" || actual.result != "ok" {
                failures.push(format!(
                    "{} (a listed difference: {why})\n  kafka: {} {:?}\n  wharf: {} {:?}",
                    case.name, expected.result, expected.message, actual.result, actual.message
                ));
            }
            continue;
        }
        if let Some(why) = case.refused {
            // Kafka Connect transforms the record (dropping data); wharf must fail it.
            if expected.result != "ok" || actual.result != "error" {
                failures.push(format!(
                    "{} (a listed difference: {why})\n  kafka: {} {:?}\n  wharf: {} {:?}",
                    case.name, expected.result, expected.message, actual.result, actual.message
                ));
            }
            continue;
        }
        let same = expected.result == actual.result
            && expected.record == actual.record
            && (!case.same_message
                || java_message(expected.message.as_deref()) == actual.message.as_deref());
        if !same {
            failures.push(format!(
                "{}\n  props: {:?}\n  kafka: {} {}\n  wharf: {} {}",
                case.name,
                case.props,
                expected.result,
                expected
                    .record
                    .as_ref()
                    .map_or_else(|| format!("{:?}", expected.message), ToString::to_string),
                actual.result,
                actual
                    .record
                    .as_ref()
                    .map_or_else(|| format!("{:?}", actual.message), ToString::to_string),
            ));
        }
    }
    for (group, outcomes) in &per_transform {
        let total: usize = outcomes.values().sum();
        let detail: Vec<String> = outcomes.iter().map(|(r, n)| format!("{n} {r}")).collect();
        println!("{group}: {total} cases ({})", detail.join(", "));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Kafka Connect:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
