//! wharf's JsonConverter against Apache Kafka Connect 4.3.1's, run for real.
//!
//! `tests/java/JsonCompat.java` is compiled with `javac` and run against the Kafka jars (env
//! `KAFKA_LIBS`, default `<repo>/.stack/lib/kafka-4.3.1`, which `scripts/stack up` fills). Both
//! sides build the same corpus case by case name; then:
//!
//! 1. every case under every setting (schemas.enable × decimal.format ×
//!    replace.null.with.default) must give the same bytes from both converters, or an error
//!    from both;
//! 2. wharf reads Kafka Connect's bytes and Kafka Connect reads wharf's, and both must find the
//!    same schema and value (compared through a description both sides print); with the envelope
//!    and without null replacement, wharf must read back exactly the data it was given;
//! 3. hand-written JSON (whitespace, key order, escapes, Jackson's leniencies, malformed input)
//!    must read the same on both sides, except for the listed deliberate differences, where wharf
//!    must refuse what Kafka Connect coerces.
//!
//! Java's float digits changed in Java 19 (JDK-4511638) and wharf writes Java 19+'s, so the
//! Java side runs on every Java found (`java::jdks`; `WHARF_TEST_JAVAS` picks them): on Java 19+
//! (1) must hold byte for byte; on Java 17 it must hold except for the cases in
//! `OLD_JAVA_DIGITS`, whose two texts must read as the same data. A run that finds only one of
//! the two says on stderr which comparison it did not make.
//!
//! Missing `java`/`javac` or jars fail the test: run `scripts/stack up`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use bytes::Bytes;
use connect_api::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use connect_api::data::{Decimal, Schema, SchemaBuilder, SchemaRef, Struct, Value};
use converters::{ConverterConfig, ConverterType, JsonConverter};
use integration_tests::java::{self, JavaHarness};

const SETTINGS: [&str; 8] = ["EBR", "EBK", "ENR", "ENK", "PBR", "PBK", "PNR", "PNK"];
const DAY: i64 = 86_400_000;

// ---------------------------------------------------------------------------------------------
// The Java side.

/// The oldest Java whose `Double.toString` / `Float.toString` give the shortest digits that
/// read back as the same number (JDK-4511638, fixed in Java 19). wharf writes floats as these
/// versions do: the official `apache/kafka` images run Java 21.
const SHORTEST_DIGITS_JAVA: u32 = 19;

/// Corpus cases whose floats Java 17 and earlier print with other digits (more digits than
/// needed: `1.9999999999999998E23` for 2.0E23), in every setting that writes the number; both
/// forms read back as the same number.
const OLD_JAVA_DIGITS: &[&str] = &[
    "jdk_f64_1e23",
    "jdk_f64_2e23",
    "jdk_f64_8_41e21",
    "jdk_f64_18_digits",
    "jdk_f64_negative",
    "jdk_f32_min_normal",
    "jdk_f32_e10",
    "jdk_f32_e15",
    "jdk_array",
    "jdk_default_null",
    "jdk_nl_double",
];

/// (case, setting) → Kafka Connect's result: `OK <base64>`, `NULL` or `ERR <message>`.
type Encoded = BTreeMap<(String, String), String>;

struct Harness {
    /// The Java that runs the harness: a Java 19+ when there is one.
    java: PathBuf,
    major: u32,
    classpath: String,
    /// What Kafka Connect writes on `java`.
    encoded: Encoded,
    /// What it writes on a Java before 19, when `java` is 19+ and such a Java is installed.
    old_java: Option<(java::Jdk, Encoded)>,
}

/// Writes a line straight to the test's stderr, past libtest's capture, so that what was and
/// was not compared shows in every run.
fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "json_compat: {text}");
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let JavaHarness { java, classpath } = java::compile(
            "JsonCompat.java",
            &[
                "connect-json-4.3.1.jar",
                "connect-api-4.3.1.jar",
                "kafka-clients-4.3.1.jar",
            ],
        );
        let jdks = java::jdks();
        let modern = jdks.iter().find(|j| j.major >= SHORTEST_DIGITS_JAVA);
        let old = jdks.iter().find(|j| j.major < SHORTEST_DIGITS_JAVA);
        let found: Vec<String> = jdks
            .iter()
            .map(|j| format!("Java {} ({})", j.major, j.java.display()))
            .collect();
        notice(&format!("Java runtimes found: {}", found.join(", ")));
        let primary = modern.or(old).cloned().unwrap_or_else(|| java::Jdk {
            major: java::java_major(&java).unwrap_or(0),
            java,
        });
        let mut harness = Harness {
            java: primary.java.clone(),
            major: primary.major,
            classpath,
            encoded: BTreeMap::new(),
            old_java: None,
        };
        harness.encoded = harness.encode_on(&primary.java);
        if let (Some(_), Some(old)) = (modern, old) {
            let encoded = harness.encode_on(&old.java);
            harness.old_java = Some((old.clone(), encoded));
        }
        harness
    })
}

impl Harness {
    fn encode_on(&self, java: &std::path::Path) -> Encoded {
        let mut encoded = BTreeMap::new();
        for line in self.run_on(java, "encode", "").lines() {
            let mut parts = line.splitn(4, '\t');
            let (Some("E"), Some(case), Some(setting), Some(result)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                panic!("unexpected line from JsonCompat: {line}");
            };
            encoded.insert((case.to_owned(), setting.to_owned()), result.to_owned());
        }
        encoded
    }

    fn run(&self, mode: &str, input: &str) -> String {
        self.run_on(&self.java, mode, input)
    }

    fn run_on(&self, java: &std::path::Path, mode: &str, input: &str) -> String {
        let mut child = Command::new(java)
            .args(["-cp", &self.classpath, "JsonCompat", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(
            out.status.success(),
            "JsonCompat {mode} on {} failed:\n{}",
            java.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Kafka Connect's reading of each `(id, setting, bytes)`: `OK <schema> <value>` or `ERR ..`.
    fn decode(&self, requests: &[(String, String, Option<Vec<u8>>)]) -> BTreeMap<String, String> {
        let mut input = String::new();
        for (id, setting, bytes) in requests {
            let data = bytes.as_deref().map_or_else(|| "-".to_owned(), base64);
            input.push_str(&format!("{id}\t{setting}\t{data}\n"));
        }
        self.run("decode", &input)
            .lines()
            .map(|line| {
                let mut parts = line.splitn(3, '\t');
                let (Some("D"), Some(id), Some(result)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    panic!("unexpected line from JsonCompat: {line}");
                };
                (id.to_owned(), result.to_owned())
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| B64.iter().position(|&b| b == c).unwrap() as u32;
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != b'=')
            .fold(0u32, |n, (i, c)| n | value(*c) << (18 - 6 * i));
        let len = chunk.iter().filter(|c| **c != b'=').count() - 1;
        for i in 0..len {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn converter(setting: &str) -> JsonConverter {
    let b = |on: bool| if on { "true" } else { "false" };
    let mut chars = setting.chars();
    let (envelope, numeric, replace) = (
        chars.next() == Some('E'),
        chars.next() == Some('N'),
        chars.next() == Some('R'),
    );
    JsonConverter::new(&ConverterConfig::new(
        [
            ("schemas.enable", b(envelope)),
            ("decimal.format", if numeric { "NUMERIC" } else { "BASE64" }),
            ("replace.null.with.default", b(replace)),
        ],
        ConverterType::Value,
    ))
    .unwrap()
}

/// The description `JsonCompat.describeSchema` prints.
fn describe_schema(schema: Option<&Schema>) -> String {
    let Some(s) = schema else {
        return "-".to_owned();
    };
    let mut out = s.ty().name().to_owned();
    if s.is_optional() {
        out.push('?');
    }
    if let Some(name) = s.name() {
        out += &format!("|n={}", hex(name.as_bytes()));
    }
    if let Some(version) = s.version() {
        out += &format!("|v={version}");
    }
    if let Some(doc) = s.doc() {
        out += &format!("|d={}", hex(doc.as_bytes()));
    }
    if !s.parameters().is_empty() {
        let params: Vec<String> = s
            .parameters()
            .iter()
            .map(|(k, v)| format!("{}:{}", hex(k.as_bytes()), hex(v.as_bytes())))
            .collect();
        out += &format!("|p={}", params.join(","));
    }
    if let Some(default) = s.default_value() {
        out += &format!("|def={}", describe_value(default));
    }
    if s.ty() == connect_api::data::Type::Array {
        out += &format!(
            "|items=({})",
            describe_schema(s.value_schema().map(|s| &**s))
        );
    }
    if s.ty() == connect_api::data::Type::Map {
        out += &format!(
            "|keys=({})|values=({})",
            describe_schema(s.key_schema().map(|s| &**s)),
            describe_schema(s.value_schema().map(|s| &**s))
        );
    }
    if s.ty() == connect_api::data::Type::Struct {
        let fields: Vec<String> = s
            .fields()
            .iter()
            .map(|f| {
                format!(
                    "{}:({})",
                    hex(f.name().as_bytes()),
                    describe_schema(Some(f.schema()))
                )
            })
            .collect();
        out += &format!("|fields=({})", fields.join(","));
    }
    out
}

/// The description `JsonCompat.describeValue` prints.
fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Int8(v) => format!("i8:{v}"),
        Value::Int16(v) => format!("i16:{v}"),
        Value::Int32(v) => format!("i32:{v}"),
        Value::Int64(v) => format!("i64:{v}"),
        Value::Float32(v) => format!("f32:{:08x}", v.to_bits()),
        Value::Float64(v) => format!("f64:{:016x}", v.to_bits()),
        Value::Boolean(v) => format!("b:{v}"),
        Value::String(s) => format!("s:{}", hex(s.as_bytes())),
        Value::Bytes(b) => format!("y:{}", hex(b)),
        Value::Decimal(d) => format!("dec:{}/{}", d.unscaled(), d.scale()),
        Value::Date(days) => format!("date:{}", i64::from(*days) * DAY),
        Value::Time(ms) => format!("date:{ms}"),
        Value::Timestamp(ms) => format!("date:{ms}"),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(describe_value).collect();
            format!("[{}]", items.join(","))
        }
        Value::Map(entries) => {
            let mut entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}={}", describe_value(k), describe_value(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
        Value::Struct(s) => {
            let fields: Vec<String> = s
                .iter()
                .map(|(f, v)| format!("{}={}", hex(f.name().as_bytes()), describe_value(v)))
                .collect();
            format!("struct{{{}}}", fields.join(","))
        }
    }
}

fn describe_read(result: &Result<connect_api::data::SchemaAndValue, converters::Error>) -> String {
    match result {
        Ok(read) => format!(
            "OK\t{}\t{}",
            describe_schema(read.schema.as_deref()),
            describe_value(&read.value)
        ),
        Err(e) => format!("ERR\t{e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus, case for case as in JsonCompat.corpus().

struct Case {
    name: &'static str,
    schema: Option<SchemaRef>,
    value: Value,
}

fn build(b: SchemaBuilder) -> SchemaRef {
    b.build().unwrap()
}

fn dec(unscaled: &str, scale: i32) -> Decimal {
    format!("{unscaled}E{}", -i64::from(scale)).parse().unwrap()
}

fn structure(schema: &SchemaRef, fields: Vec<(&str, Value)>) -> Value {
    let mut s = Struct::new(schema.clone()).unwrap();
    for (name, value) in fields {
        s.put(name, value).unwrap();
    }
    Value::Struct(s)
}

fn list(items: Vec<Value>) -> Value {
    Value::Array(items)
}

fn map(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(entries)
}

fn bytes(data: &[u8]) -> Value {
    Value::Bytes(Bytes::copy_from_slice(data))
}

/// As `JsonCompat.structWithStructDefault`: a STRUCT schema whose default is a Struct of the
/// schema as it was before the default was set.
fn struct_with_struct_default(optional: bool) -> SchemaRef {
    let mut builder = SchemaBuilder::struct_().field("x", Schema::int32());
    if optional {
        builder = builder.optional();
    }
    let default = structure(&build(builder.clone()), vec![("x", Value::Int32(1))]);
    build(builder.default_value(default))
}

#[allow(clippy::too_many_lines)]
fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut c = |name: &'static str, schema: Option<SchemaRef>, value: Value| {
        cases.push(Case {
            name,
            schema,
            value,
        });
    };
    let s = Some;

    c("int8_min", s(Schema::int8()), Value::Int8(-128));
    c("int8_max", s(Schema::int8()), Value::Int8(127));
    c("int16_min", s(Schema::int16()), Value::Int16(i16::MIN));
    c("int16_max", s(Schema::int16()), Value::Int16(i16::MAX));
    c("int32_min", s(Schema::int32()), Value::Int32(i32::MIN));
    c("int32_max", s(Schema::int32()), Value::Int32(i32::MAX));
    c("int32_zero", s(Schema::int32()), Value::Int32(0));
    c("int64_min", s(Schema::int64()), Value::Int64(i64::MIN));
    c("int64_max", s(Schema::int64()), Value::Int64(i64::MAX));

    let f32s = Schema::float32;
    c("f32_one", s(f32s()), Value::Float32(1.0));
    c("f32_one_point_one", s(f32s()), Value::Float32(1.1));
    c("f32_max", s(f32s()), Value::Float32(f32::MAX));
    c(
        "f32_min_subnormal",
        s(f32s()),
        Value::Float32(f32::from_bits(1)),
    );
    c("f32_tiny", s(f32s()), Value::Float32(1e-10));
    c("f32_big", s(f32s()), Value::Float32(1e20));
    c("f32_neg_zero", s(f32s()), Value::Float32(-0.0));
    c("f32_nan", s(f32s()), Value::Float32(f32::NAN));
    c("f32_inf", s(f32s()), Value::Float32(f32::INFINITY));
    c("f32_plain", s(f32s()), Value::Float32(123_456.78));
    c("f32_ten_million", s(f32s()), Value::Float32(1e7));
    c(
        "f32_below_ten_million",
        s(f32s()),
        Value::Float32(9_999_999.0),
    );
    c("f32_milli", s(f32s()), Value::Float32(0.001));
    let f64s = Schema::float64;
    c("f64_one", s(f64s()), Value::Float64(1.0));
    c("f64_tenth", s(f64s()), Value::Float64(0.1));
    c("f64_sum", s(f64s()), Value::Float64(0.1 + 0.2));
    c("f64_1e20", s(f64s()), Value::Float64(1e20));
    c("f64_1e7", s(f64s()), Value::Float64(1e7));
    c("f64_below_1e7", s(f64s()), Value::Float64(9_999_999.0));
    c("f64_milli", s(f64s()), Value::Float64(0.001));
    c("f64_below_milli", s(f64s()), Value::Float64(1.0e-4));
    c("f64_neg_zero", s(f64s()), Value::Float64(-0.0));
    c("f64_nan", s(f64s()), Value::Float64(f64::NAN));
    c("f64_inf", s(f64s()), Value::Float64(f64::INFINITY));
    c("f64_neg_inf", s(f64s()), Value::Float64(f64::NEG_INFINITY));
    c("f64_max", s(f64s()), Value::Float64(f64::MAX));
    c(
        "f64_min_subnormal",
        s(f64s()),
        Value::Float64(f64::from_bits(1)),
    );
    c("f64_large", s(f64s()), Value::Float64(123_456_789_012.5));
    c("f64_neg_tiny", s(f64s()), Value::Float64(-2.5e-300));
    c("f64_pi", s(f64s()), Value::Float64(std::f64::consts::PI));
    c("f64_e", s(f64s()), Value::Float64(std::f64::consts::E));
    c(
        "f64_two_pow_53",
        s(f64s()),
        Value::Float64(9_007_199_254_740_992.0),
    );
    c("f64_third", s(f64s()), Value::Float64(1.0 / 3.0));
    c("f64_two_milli", s(f64s()), Value::Float64(2.0e-3));
    c(
        "f64_below_milli_max",
        s(f64s()),
        Value::Float64(f64::from_bits(1.0e-3f64.to_bits() - 1)),
    );
    let f64v = Value::Float64;
    c("jdk_f64_1e23", s(f64s()), f64v(1.0e23));
    c("jdk_f64_2e23", s(f64s()), f64v(2.0e23));
    c("jdk_f64_8_41e21", s(f64s()), f64v(8.41e21));
    c(
        "jdk_f64_18_digits",
        s(f64s()),
        f64v(2.828_793_848_061_59e17),
    );
    c(
        "jdk_f64_negative",
        s(f64s()),
        f64v(f64::from_bits(0xc3c2_9b35_29ac_e642)),
    );
    c(
        "jdk_f32_min_normal",
        s(f32s()),
        Value::Float32(f32::MIN_POSITIVE),
    );
    c(
        "jdk_f32_e10",
        s(f32s()),
        Value::Float32(f32::from_bits(0x5170_8368)),
    );
    c(
        "jdk_f32_e15",
        s(f32s()),
        Value::Float32(f32::from_bits(0x58c2_e8c9)),
    );
    c(
        "jdk_array",
        s(build(SchemaBuilder::array(f64s()))),
        list(vec![f64v(0.5), f64v(2.0e23), f64v(1.0e23)]),
    );
    let jdk_default = SchemaBuilder::float64().optional().default_value(1.0e23);
    c("jdk_default_null", s(build(jdk_default)), Value::Null);
    c("jdk_nl_double", None, f64v(2.0e23));

    c("bool_true", s(Schema::boolean()), Value::Boolean(true));
    c("bool_false", s(Schema::boolean()), Value::Boolean(false));
    c("str_empty", s(Schema::string()), "".into());
    c("str_ascii", s(Schema::string()), "hello world".into());
    c("str_bmp", s(Schema::string()), "h\u{e9}llo w\u{f6}rld \u{2014} \u{4e2d}\u{6587} \u{395}\u{3bb}\u{3bb}\u{3b7}\u{3bd}\u{3b9}\u{3ba}\u{3ac}".into());
    c(
        "str_astral",
        s(Schema::string()),
        "\u{1F600}\u{1F389}\u{1D11E} emoji".into(),
    );
    let controls: String = (0u8..0x20).map(char::from).chain(['\u{7f}']).collect();
    c("str_controls", s(Schema::string()), controls.into());
    c(
        "str_quotes",
        s(Schema::string()),
        "say \"hi\" \\ back/slash </script> <!-- -->".into(),
    );
    c(
        "str_separators",
        s(Schema::string()),
        "\u{2028}\u{2029}\u{feff}\u{ffff}\u{80}\u{7ff}\u{800}".into(),
    );
    c(
        "str_long",
        s(Schema::string()),
        "0123456789".repeat(1000).into(),
    );
    c("bytes_empty", s(Schema::bytes()), bytes(&[]));
    c("bytes_small", s(Schema::bytes()), bytes(&[0, 1, 2, 255, 3]));
    c("bytes_one", s(Schema::bytes()), bytes(&[255]));
    c("bytes_two", s(Schema::bytes()), bytes(&[0, 128]));
    let ramp: Vec<u8> = (0..=255).collect();
    c("bytes_ramp", s(Schema::bytes()), bytes(&ramp));
    c("bytes_buffer", s(Schema::bytes()), bytes(&[9, 8, 7]));

    c("opt_int32_null", s(Schema::optional_int32()), Value::Null);
    c("opt_string_null", s(Schema::optional_string()), Value::Null);
    let opt_42 = build(SchemaBuilder::int32().optional().default_value(42));
    c("opt_default_null", s(opt_42.clone()), Value::Null);
    c("opt_default_value", s(opt_42), Value::Int32(7));
    c(
        "req_default_null",
        s(build(SchemaBuilder::int32().default_value(42))),
        Value::Null,
    );
    c("req_null", s(Schema::int32()), Value::Null);
    let named = SchemaBuilder::string()
        .name("com.example.Name")
        .version(7)
        .doc("a doc with \"quotes\"")
        .parameter("z", "1")
        .parameter("a", "2")
        .parameter("\u{fc}", "\u{df}");
    c("named_primitive", s(build(named)), "x".into());
    c(
        "string_default",
        s(build(SchemaBuilder::string().default_value("dflt"))),
        "v".into(),
    );
    let bytes_default = SchemaBuilder::bytes()
        .optional()
        .default_value(bytes(&[1, 2]));
    c("bytes_default_null", s(build(bytes_default)), Value::Null);
    let float_default = SchemaBuilder::float64().optional().default_value(2.5);
    c("float_default_null", s(build(float_default)), Value::Null);

    let decimal = |scale| build(decimal_schema(scale));
    c("decimal_pos", s(decimal(2)), dec("123456", 2).into());
    c("decimal_neg", s(decimal(2)), dec("-325", 2).into());
    c("decimal_zero", s(decimal(4)), dec("0", 4).into());
    c(
        "decimal_38_digits",
        s(decimal(0)),
        dec("12345678901234567890123456789012345678", 0).into(),
    );
    c("decimal_neg_scale", s(decimal(-3)), dec("12", -3).into());
    c("decimal_small", s(decimal(10)), dec("1", 10).into());
    c(
        "decimal_many_places",
        s(decimal(20)),
        dec("314159265358979323846", 20).into(),
    );
    c("decimal_byte_edge", s(decimal(0)), dec("-128", 0).into());
    c("decimal_scale_mismatch", s(decimal(2)), dec("15", 1).into());
    c(
        "decimal_opt_null",
        s(build(decimal_schema(2).optional())),
        Value::Null,
    );
    let decimal_default = decimal_schema(2).optional().default_value(dec("150", 2));
    c(
        "decimal_default_null",
        s(build(decimal_default)),
        Value::Null,
    );
    let date = || build(date_schema());
    let time = || build(time_schema());
    let timestamp = || build(timestamp_schema());
    c("date_epoch", s(date()), Value::Date(0));
    c("date_recent", s(date()), Value::Date(19000));
    c("date_negative", s(date()), Value::Date(-365));
    c("time_zero", s(time()), Value::Time(0));
    c("time_last_milli", s(time()), Value::Time(86_399_999));
    c("time_mid", s(time()), Value::Time(45_296_789));
    c("time_full_day", s(time()), Value::Time(86_400_000));
    c("time_past_day", s(time()), Value::Time(86_400_001));
    c("timestamp_epoch", s(timestamp()), Value::Timestamp(0));
    c(
        "timestamp_now",
        s(timestamp()),
        Value::Timestamp(1_700_000_000_123),
    );
    c(
        "timestamp_negative",
        s(timestamp()),
        Value::Timestamp(-1_234_567_890_123),
    );
    c(
        "timestamp_opt_null",
        s(build(timestamp_schema().optional())),
        Value::Null,
    );

    let int32s = build(SchemaBuilder::array(Schema::int32()));
    let ints = |v: &[i32]| list(v.iter().map(|i| Value::Int32(*i)).collect());
    c("array_int32", s(int32s.clone()), ints(&[1, 2, 3]));
    c("array_empty", s(int32s.clone()), ints(&[]));
    let opt_strings = build(SchemaBuilder::array(Schema::optional_string()));
    c(
        "array_opt_strings",
        s(opt_strings),
        list(vec!["a".into(), Value::Null, "c".into()]),
    );
    let nested = build(SchemaBuilder::array(int32s.clone()));
    c(
        "array_nested",
        s(nested),
        list(vec![ints(&[1, 2]), ints(&[]), ints(&[3])]),
    );
    let point = build(
        SchemaBuilder::struct_()
            .name("Point")
            .field("x", Schema::int32())
            .field("y", Schema::int32()),
    );
    let pt = |x: i32, y: i32| structure(&point, vec![("x", x.into()), ("y", y.into())]);
    c(
        "array_structs",
        s(build(SchemaBuilder::array(point.clone()))),
        list(vec![pt(1, 2), pt(-1, 0)]),
    );
    let str_to_int = build(SchemaBuilder::map(Schema::string(), Schema::int64()));
    let array_maps = build(SchemaBuilder::array(str_to_int.clone()));
    c(
        "array_maps",
        s(array_maps),
        list(vec![map(vec![("a".into(), Value::Int64(1))]), map(vec![])]),
    );
    let decimals = build(SchemaBuilder::array(decimal(1)));
    c(
        "array_decimals",
        s(decimals),
        list(vec![dec("15", 1).into(), dec("-5", 1).into()]),
    );
    let array_default = SchemaBuilder::array(Schema::int32())
        .optional()
        .default_value(ints(&[1, 2]));
    c("array_default_null", s(build(array_default)), Value::Null);
    c(
        "array_wrong_element",
        s(int32s.clone()),
        list(vec![Value::Int32(1), "two".into()]),
    );

    let i64v = Value::Int64;
    c(
        "map_string_int64",
        s(str_to_int.clone()),
        map(vec![("a".into(), i64v(1)), ("b".into(), i64v(2))]),
    );
    c("map_string_empty", s(str_to_int.clone()), map(vec![]));
    let int_to_str = build(SchemaBuilder::map(Schema::int32(), Schema::string()));
    c(
        "map_int32_string",
        s(int_to_str.clone()),
        map(vec![(1.into(), "one".into()), (2.into(), "two".into())]),
    );
    c("map_int32_empty", s(int_to_str), map(vec![]));
    let bool_keys = build(SchemaBuilder::map(Schema::boolean(), Schema::int32()));
    c(
        "map_bool_keys",
        s(bool_keys),
        map(vec![(true.into(), 1.into()), (false.into(), 0.into())]),
    );
    let struct_keys = build(SchemaBuilder::map(point.clone(), Schema::string()));
    c(
        "map_struct_keys",
        s(struct_keys),
        map(vec![(pt(1, 2), "a".into())]),
    );
    let array_keys = build(SchemaBuilder::map(int32s.clone(), Schema::boolean()));
    c(
        "map_array_keys",
        s(array_keys),
        map(vec![(ints(&[1, 2]), true.into())]),
    );
    let to_array = build(SchemaBuilder::map(Schema::string(), int32s.clone()));
    c(
        "map_string_to_array",
        s(to_array),
        map(vec![("xs".into(), ints(&[1])), ("ys".into(), ints(&[]))]),
    );
    let opt_values = build(SchemaBuilder::map(
        Schema::string(),
        Schema::optional_float64(),
    ));
    c(
        "map_opt_values",
        s(opt_values),
        map(vec![("a".into(), 1.5.into()), ("b".into(), Value::Null)]),
    );
    let unicode_keys = vec![
        ("\u{43a}\u{43b}\u{44e}\u{447}".into(), i64v(1)),
        ("\u{1F600}".into(), i64v(2)),
        ("a\"b\\c".into(), i64v(3)),
        ("\n".into(), i64v(4)),
    ];
    c("map_unicode_keys", s(str_to_int.clone()), map(unicode_keys));
    let decimal_values = build(SchemaBuilder::map(Schema::string(), decimal(3)));
    c(
        "map_decimal_values",
        s(decimal_values),
        map(vec![("price".into(), dec("19990", 3).into())]),
    );
    let decimal_keys = build(SchemaBuilder::map(decimal(1), Schema::string()));
    c(
        "map_decimal_keys",
        s(decimal_keys),
        map(vec![(dec("15", 1).into(), "x".into())]),
    );
    let null_key = build(SchemaBuilder::map(
        Schema::optional_string(),
        Schema::int32(),
    ));
    c(
        "map_opt_string_null_key",
        s(null_key),
        map(vec![(Value::Null, 1.into())]),
    );

    let flat = build(
        SchemaBuilder::struct_()
            .name("com.example.Flat")
            .field("i8", Schema::int8())
            .field("i16", Schema::int16())
            .field("i32", Schema::int32())
            .field("i64", Schema::int64())
            .field("f32", Schema::float32())
            .field("f64", Schema::float64())
            .field("b", Schema::boolean())
            .field("s", Schema::string())
            .field("y", Schema::bytes()),
    );
    let flat_value = structure(
        &flat,
        vec![
            ("i8", Value::Int8(1)),
            ("i16", Value::Int16(2)),
            ("i32", Value::Int32(3)),
            ("i64", Value::Int64(4)),
            ("f32", Value::Float32(5.5)),
            ("f64", Value::Float64(6.25)),
            ("b", true.into()),
            ("s", "seven".into()),
            ("y", bytes(&[8])),
        ],
    );
    c("struct_flat", s(flat), flat_value);
    let leaf = build(
        SchemaBuilder::struct_()
            .name("Leaf")
            .field("v", Schema::string()),
    );
    let mid = build(
        SchemaBuilder::struct_()
            .name("Mid")
            .field("leaf", leaf.clone())
            .field("n", Schema::int32()),
    );
    let top = build(
        SchemaBuilder::struct_()
            .name("Top")
            .field("mid", mid.clone())
            .field("tags", build(SchemaBuilder::array(Schema::string()))),
    );
    let mid_value = structure(
        &mid,
        vec![
            ("leaf", structure(&leaf, vec![("v", "deep".into())])),
            ("n", 2.into()),
        ],
    );
    let top_value = structure(
        &top,
        vec![
            ("mid", mid_value),
            ("tags", list(vec!["a".into(), "b".into()])),
        ],
    );
    c("struct_nested", s(top), top_value);
    let empty = build(SchemaBuilder::struct_());
    c("struct_empty", s(empty.clone()), structure(&empty, vec![]));
    let opts = build(
        SchemaBuilder::struct_()
            .field("a", Schema::optional_int32())
            .field("b", Schema::optional_string())
            .field(
                "c",
                build(
                    SchemaBuilder::struct_()
                        .optional()
                        .field("z", Schema::int32()),
                ),
            ),
    );
    c(
        "struct_optional_fields",
        s(opts.clone()),
        structure(&opts, vec![("b", "set".into())]),
    );
    let defaults = build(
        SchemaBuilder::struct_()
            .field("i", build(SchemaBuilder::int32().default_value(1)))
            .field(
                "s",
                build(SchemaBuilder::string().optional().default_value("d")),
            )
            .field("b", build(SchemaBuilder::boolean().default_value(true)))
            .field(
                "f",
                build(SchemaBuilder::float32().optional().default_value(0.5f32)),
            )
            .field(
                "d",
                build(decimal_schema(2).optional().default_value(dec("150", 2))),
            )
            .field(
                "m",
                build(
                    SchemaBuilder::map(Schema::string(), Schema::int32())
                        .optional()
                        .default_value(map(vec![("k".into(), 1.into())])),
                ),
            ),
    );
    c(
        "struct_defaults_unset",
        s(defaults.clone()),
        Value::Struct(Struct::new(defaults.clone()).unwrap()),
    );
    let defaults_set = structure(
        &defaults,
        vec![
            ("i", 9.into()),
            ("s", "x".into()),
            ("b", false.into()),
            ("f", 1.5f32.into()),
            ("d", dec("-1", 2).into()),
            ("m", map(vec![])),
        ],
    );
    c("struct_defaults_set", s(defaults), defaults_set);
    let logical = build(
        SchemaBuilder::struct_()
            .field("price", decimal(2))
            .field("day", date())
            .field("at", time())
            .field("ts", timestamp()),
    );
    let logical_value = structure(
        &logical,
        vec![
            ("price", dec("1999", 2).into()),
            ("day", Value::Date(19000)),
            ("at", Value::Time(3_600_000)),
            ("ts", Value::Timestamp(1_700_000_000_000)),
        ],
    );
    c("struct_logical", s(logical), logical_value);
    let names = [
        "\u{fc}n\u{ef}c\u{f6}d\u{e9}",
        "\u{1F600}",
        "with \"quote\"",
        "tab\t",
    ];
    let unicode = build(names.iter().fold(SchemaBuilder::struct_(), |b, n| {
        b.field(*n, Schema::int32())
    }));
    let unicode_value = structure(
        &unicode,
        names
            .iter()
            .zip(1..)
            .map(|(n, i)| (*n, Value::Int32(i)))
            .collect(),
    );
    c("struct_unicode_fields", s(unicode), unicode_value);
    let named = build(
        SchemaBuilder::struct_()
            .name("com.example.Named")
            .version(12)
            .doc("documented")
            .parameter("connect.record.doc", "yes")
            .parameter("k", "v")
            .optional()
            .field("id", build(SchemaBuilder::int64().doc("the id"))),
    );
    c(
        "struct_named",
        s(named.clone()),
        structure(&named, vec![("id", Value::Int64(99))]),
    );
    c("struct_named_null", s(named), Value::Null);
    let mut deep = build(SchemaBuilder::struct_().field("leaf", Schema::int32()));
    let mut deep_value = structure(&deep, vec![("leaf", 1.into())]);
    for _ in 0..20 {
        let next = build(SchemaBuilder::struct_().field("s", deep));
        deep_value = structure(&next, vec![("s", deep_value)]);
        deep = next;
    }
    c("struct_deep", s(deep), deep_value);
    let mixed = build(
        SchemaBuilder::struct_()
            .field(
                "matrix",
                build(SchemaBuilder::array(build(SchemaBuilder::array(
                    Schema::float64(),
                )))),
            )
            .field(
                "index",
                build(SchemaBuilder::map(
                    Schema::int64(),
                    build(SchemaBuilder::array(Schema::string())),
                )),
            )
            .field(
                "points",
                build(SchemaBuilder::map(Schema::string(), point.clone())),
            ),
    );
    let mixed_value = structure(
        &mixed,
        vec![
            (
                "matrix",
                list(vec![
                    list(vec![1.0.into(), 2.5.into()]),
                    list(vec![(-0.5).into()]),
                ]),
            ),
            (
                "index",
                map(vec![
                    (i64v(10), list(vec!["a".into()])),
                    (i64v(20), list(vec![])),
                ]),
            ),
            ("points", map(vec![("origin".into(), pt(0, 0))])),
        ],
    );
    c("struct_mixed", s(mixed), mixed_value);
    c(
        "struct_missing_required",
        s(point.clone()),
        structure(&point, vec![("x", 1.into())]),
    );
    let other_point = build(
        SchemaBuilder::struct_()
            .name("Other")
            .field("x", Schema::int32())
            .field("y", Schema::int32()),
    );
    c("struct_schema_mismatch", s(other_point), pt(1, 2));
    c("type_mismatch", s(Schema::int32()), "not a number".into());
    let opt_defaulted = struct_with_struct_default(true);
    let x = |v: i32| vec![("x", Value::Int32(v))];
    c("struct_default_null", s(opt_defaulted.clone()), Value::Null);
    c(
        "struct_default_value",
        s(opt_defaulted.clone()),
        structure(&opt_defaulted, x(2)),
    );
    let holder = build(SchemaBuilder::struct_().field("inner", opt_defaulted));
    c(
        "struct_default_nested_unset",
        s(holder.clone()),
        structure(&holder, vec![]),
    );
    let req_defaulted = struct_with_struct_default(false);
    c(
        "struct_default_required_value",
        s(req_defaulted.clone()),
        structure(&req_defaulted, x(3)),
    );
    c(
        "struct_default_required_null",
        s(req_defaulted),
        Value::Null,
    );

    c("nl_null", None, Value::Null);
    c("nl_int32", None, Value::Int32(5));
    c("nl_int64", None, Value::Int64(5));
    c("nl_float", None, Value::Float32(1.5));
    c("nl_double", None, Value::Float64(2.5));
    c("nl_bool", None, true.into());
    c("nl_string", None, "text \u{e9}\u{1F600}".into());
    c("nl_bytes", None, bytes(&[1, 2, 3]));
    c(
        "nl_list",
        None,
        list(vec![
            1.into(),
            "a".into(),
            Value::Null,
            true.into(),
            2.5.into(),
        ]),
    );
    let ab = list(vec![1.into(), 2.into()]);
    c(
        "nl_map_string",
        None,
        map(vec![
            ("a".into(), 1.into()),
            ("b".into(), ab),
            ("c".into(), Value::Null),
        ]),
    );
    c(
        "nl_map_mixed_keys",
        None,
        map(vec![(1.into(), "a".into()), (i64v(2), "b".into())]),
    );
    let nested = list(vec![
        map(vec![("k".into(), list(vec![map(vec![])]))]),
        list(vec![list(vec![])]),
    ]);
    c("nl_nested", None, nested);
    c("nl_empty_list", None, list(vec![]));
    c("nl_empty_map", None, map(vec![]));
    c("nl_struct", None, pt(1, 2));
    c("nl_decimal", None, dec("1", 0).into());
    cases
}

// ---------------------------------------------------------------------------------------------
// Known, deliberate differences when reading.

/// Cases whose bytes wharf reads differently from Kafka Connect, on purpose.
fn read_deviation(case: &str, setting: &str) -> Option<&'static str> {
    let envelope = setting.starts_with('E');
    match case {
        "f32_nan" | "f32_inf" | "f64_nan" | "f64_inf" | "f64_neg_inf" if envelope => Some(
            "Kafka Connect reads back its own \"NaN\"/\"Infinity\" as 0.0; wharf as NaN/Infinity",
        ),
        "decimal_38_digits" if setting.starts_with("PN") => {
            Some("a schemaless integer beyond 64 bits: Kafka Connect wraps it, wharf refuses it")
        }
        _ => None,
    }
}

/// Cases that cannot read back exactly, in Kafka Connect either: negative zero has no BigDecimal
/// form, and a null map key is written as the object key "null".
fn lossy(case: &str) -> bool {
    matches!(
        case,
        "f32_neg_zero" | "f64_neg_zero" | "map_opt_string_null_key"
    )
}

// ---------------------------------------------------------------------------------------------
// The tests.

fn show(result: &Result<Option<Bytes>, converters::Error>) -> String {
    match result {
        Ok(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Ok(None) => "NULL".to_owned(),
        Err(e) => format!("ERR {e}"),
    }
}

fn show_java(java: &str) -> String {
    match java.split_once('\t') {
        Some(("OK", b64)) => String::from_utf8_lossy(&unbase64(b64)).into_owned(),
        _ => java.to_owned(),
    }
}

/// A (case, setting) whose bytes differ between wharf and a Java before 19, listed in
/// [`OLD_JAVA_DIGITS`]: both texts must read as the same data.
struct DigitDifference {
    id: String,
    setting: &'static str,
    schema: Option<SchemaRef>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
}

impl DigitDifference {
    /// The setting and the two texts to read: without the envelope, a float read schemaless
    /// would become a FLOAT64, so both texts are read inside an envelope with the case's schema.
    fn readings(&self) -> (String, Vec<u8>, Vec<u8>) {
        let Some(schema) = self
            .schema
            .as_ref()
            .filter(|_| self.setting.starts_with('P'))
        else {
            return (
                self.setting.to_owned(),
                self.ours.clone(),
                self.theirs.clone(),
            );
        };
        let schema = converter("EBR").schema_to_json(schema).unwrap();
        let wrap = |payload: &[u8]| {
            [
                &b"{\"schema\":"[..],
                &schema,
                b",\"payload\":",
                payload,
                b"}",
            ]
            .concat()
        };
        let setting = format!("E{}", &self.setting[1..]);
        (setting, wrap(&self.ours), wrap(&self.theirs))
    }
}

/// Compares wharf's bytes with what Kafka Connect wrote on a Java of version `major`: the same
/// bytes (or an error from both) everywhere, except that before Java 19 the cases of
/// [`OLD_JAVA_DIGITS`] may differ, and then must differ in at least one setting.
fn compare_writes(encoded: &Encoded, major: u32) -> (Vec<String>, usize, Vec<DigitDifference>) {
    let cases = corpus();
    let ours: BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
    let theirs: BTreeSet<&str> = encoded.keys().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        ours, theirs,
        "the Rust and Java corpora must list the same cases"
    );
    assert_eq!(ours.len(), cases.len(), "case names must be unique");
    for listed in OLD_JAVA_DIGITS {
        assert!(ours.contains(listed), "{listed} is not a corpus case");
    }

    let mut failures = Vec::new();
    let mut differences = Vec::new();
    let mut compared = 0;
    for setting in SETTINGS {
        let wharf = converter(setting);
        for case in &cases {
            let java = &encoded[&(case.name.to_owned(), setting.to_owned())];
            let ours = wharf.encode(case.schema.as_ref(), &case.value);
            compared += 1;
            let same = match (&ours, java.split_once('\t')) {
                (Ok(Some(bytes)), Some(("OK", b64))) => {
                    let theirs = unbase64(b64);
                    if *bytes != theirs
                        && major < SHORTEST_DIGITS_JAVA
                        && OLD_JAVA_DIGITS.contains(&case.name)
                    {
                        differences.push(DigitDifference {
                            id: format!("{}/{setting}", case.name),
                            setting,
                            schema: case.schema.clone(),
                            ours: bytes.to_vec(),
                            theirs,
                        });
                        true
                    } else {
                        *bytes == theirs
                    }
                }
                (Ok(None), None) => java == "NULL",
                (Err(_), Some(("ERR", _))) => true,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{} [{setting}]\n  wharf: {}\n  kafka on Java {major}: {}",
                    case.name,
                    show(&ours),
                    show_java(java)
                ));
            }
        }
    }
    if major < SHORTEST_DIGITS_JAVA {
        for listed in OLD_JAVA_DIGITS {
            if !differences
                .iter()
                .any(|d| d.id.starts_with(&format!("{listed}/")))
            {
                failures.push(format!(
                    "{listed} is listed in OLD_JAVA_DIGITS but Java {major} writes the same bytes \
                     as wharf in every setting"
                ));
            }
        }
    }
    (failures, compared, differences)
}

/// wharf and Kafka Connect read both texts of each difference as the same data.
fn check_same_reading(harness: &Harness, differences: &[DigitDifference]) -> Vec<String> {
    let mut requests = Vec::new();
    for d in differences {
        let (setting, ours, old) = d.readings();
        requests.push((format!("{}/wharf", d.id), setting.clone(), Some(ours)));
        requests.push((format!("{}/old", d.id), setting, Some(old)));
    }
    let theirs = harness.decode(&requests);
    let mut failures = Vec::new();
    for d in differences {
        let (setting, ours, old) = d.readings();
        let wharf = converter(&setting);
        let ours_read = describe_read(&wharf.decode(&Bytes::from(ours)));
        let old_read = describe_read(&wharf.decode(&Bytes::from(old)));
        let java_ours = &theirs[&format!("{}/wharf", d.id)];
        let java_old = &theirs[&format!("{}/old", d.id)];
        if ours_read != old_read || java_ours != java_old || !ours_read.starts_with("OK") {
            failures.push(format!(
                "{}: the two texts do not read as the same data\n  wharf's text {}\n  \
                 the old Java's text {}\n  wharf reads: {ours_read} / {old_read}\n  \
                 Kafka Connect reads: {java_ours} / {java_old}",
                d.id,
                String::from_utf8_lossy(&d.ours),
                String::from_utf8_lossy(&d.theirs),
            ));
        }
    }
    failures
}

#[test]
fn writes_the_same_bytes_as_kafka_connect() {
    let harness = harness();
    let (mut failures, compared, differences) = compare_writes(&harness.encoded, harness.major);
    failures.extend(check_same_reading(harness, &differences));
    assert!(
        failures.is_empty(),
        "{} of {compared} encodings differ from Kafka Connect on Java {}:\n{}",
        failures.len(),
        harness.major,
        failures.join("\n")
    );
    if harness.major < SHORTEST_DIGITS_JAVA {
        notice(&format!(
            "NOT COMPARED with Java {SHORTEST_DIGITS_JAVA}+, whose float digits wharf writes: \
             none found (install one under /usr/lib/jvm or run `scripts/stack up`). Compared \
             with Java {} only: {} encodings identical, {} listed float-digit differences that \
             read back the same",
            harness.major,
            compared - differences.len(),
            differences.len()
        ));
    } else {
        notice(&format!(
            "{compared} encodings identical to Kafka Connect 4.3.1 on Java {} ({} cases × {} \
             settings)",
            harness.major,
            corpus().len(),
            SETTINGS.len()
        ));
    }
}

#[test]
fn writes_like_kafka_connect_on_java_17_but_for_float_digits() {
    let harness = harness();
    let Some((old, encoded)) = &harness.old_java else {
        if harness.major >= SHORTEST_DIGITS_JAVA {
            notice(&format!(
                "NOT COMPARED with a Java before {SHORTEST_DIGITS_JAVA} (such as the Java 17 CI \
                 installs from apt): none found; compared with Java {} only",
                harness.major
            ));
        }
        // Otherwise the only Java is an old one, compared in writes_the_same_bytes_as_kafka_connect.
        return;
    };
    let (mut failures, compared, differences) = compare_writes(encoded, old.major);
    failures.extend(check_same_reading(harness, &differences));
    assert!(
        failures.is_empty(),
        "{} of {compared} encodings on Java {} ({}) are not as expected:\n{}",
        failures.len(),
        old.major,
        old.java.display(),
        failures.join("\n")
    );
    notice(&format!(
        "Java {} ({}): {} encodings identical to wharf's, {} differ only in the listed float \
         digits ({} cases) and read back the same",
        old.major,
        old.java.display(),
        compared - differences.len(),
        differences.len(),
        OLD_JAVA_DIGITS.len()
    ));
}

#[test]
fn reads_the_same_as_kafka_connect_both_ways() {
    let harness = harness();
    let cases = corpus();
    let mut requests = Vec::new();
    let mut ours = BTreeMap::new();
    let mut failures = Vec::new();
    let mut exact = 0;
    for setting in SETTINGS {
        let wharf = converter(setting);
        for case in &cases {
            let java = &harness.encoded[&(case.name.to_owned(), setting.to_owned())];
            let Some(("OK", b64)) = java.split_once('\t') else {
                continue;
            };
            let id = format!("{}/{setting}", case.name);
            // wharf reads Kafka Connect's bytes ...
            let read = wharf.decode(&Bytes::from(unbase64(b64)));
            // ... and Kafka Connect reads wharf's.
            let written = wharf
                .encode(case.schema.as_ref(), &case.value)
                .ok()
                .flatten();
            requests.push((id.clone(), setting.to_owned(), written.map(|b| b.to_vec())));
            if setting.starts_with('E')
                && setting.ends_with('K')
                && case.schema.is_some()
                && !lossy(case.name)
            {
                let expected = format!(
                    "OK\t{}\t{}",
                    describe_schema(case.schema.as_deref()),
                    describe_value(&case.value)
                );
                if describe_read(&read) != expected {
                    failures.push(format!(
                        "{id}: wharf does not read back what it was given\n  read:     {}\n  expected: {expected}",
                        describe_read(&read)
                    ));
                }
                exact += 1;
            }
            ours.insert(id, describe_read(&read));
        }
    }
    let theirs = harness.decode(&requests);
    let mut deviations = 0;
    for (id, ours) in &ours {
        let (case, setting) = id.split_once('/').unwrap();
        let java = &theirs[id];
        // On a Java before 19 the two sides wrote other digits for these floats, which read
        // schemaless as two different FLOAT64s; writes_the_same_bytes_as_kafka_connect reads
        // them with their schema instead.
        if harness.major < SHORTEST_DIGITS_JAVA
            && setting.starts_with('P')
            && OLD_JAVA_DIGITS.contains(&case)
        {
            continue;
        }
        match read_deviation(case, setting) {
            Some(reason) => {
                deviations += 1;
                assert_ne!(
                    ours, java,
                    "{id}: listed as a deviation ({reason}) but reads the same"
                );
            }
            None => {
                let both_err = ours.starts_with("ERR") && java.starts_with("ERR");
                if !both_err && ours != java {
                    failures.push(format!("{id}\n  wharf: {ours}\n  kafka: {java}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} reads differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{} reads compared with Kafka Connect ({deviations} listed deviations), {exact} exact round trips",
        ours.len()
    );
}

/// How wharf's reading of a hand-written document relates to Kafka Connect's.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// Same schema and value, or both refuse it.
    Same,
    /// Kafka Connect coerces or accepts it; wharf refuses it (with this reason).
    WharfRefuses(&'static str),
    /// Both read it, differently (with this reason).
    Differs(&'static str),
}

#[allow(clippy::too_many_lines)]
fn hand_written() -> Vec<(&'static str, &'static str, String, Expect)> {
    use Expect::{Differs, Same, WharfRefuses};
    let env = |schema: &str, payload: &str| format!(r#"{{"schema":{schema},"payload":{payload}}}"#);
    let decimal2 = r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#;
    let point = r#"{"type":"struct","fields":[{"type":"int32","field":"x"},{"type":"int32","optional":true,"default":7,"field":"y"}]}"#;
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    vec![
        (
            "whitespace",
            "EBR",
            " {\n\t\"schema\" : { \"type\" : \"int32\" } ,\r\n \"payload\" : 5 } ".to_owned(),
            Same,
        ),
        (
            "envelope_reordered",
            "EBR",
            r#"{"payload":5,"schema":{"optional":false,"type":"int32"}}"#.to_owned(),
            Same,
        ),
        (
            "escapes",
            "EBR",
            env(
                r#"{"type":"string"}"#,
                r#""\u00e9\u00E9\ud83d\ude00\/\b\u0000""#,
            ),
            Same,
        ),
        ("leading_zeros", "PBR", "007".to_owned(), Same),
        ("leading_zeros_negative", "PBR", "-007".to_owned(), Same),
        ("leading_zeros_fraction", "PBR", "00.5".to_owned(), Same),
        ("negative_zero_int", "PBR", "-0".to_owned(), Same),
        ("negative_zero_float", "PBR", "-0.0".to_owned(), Same),
        (
            "negative_zero_exponent",
            "EBR",
            env(r#"{"type":"double"}"#, "-0e5"),
            Same,
        ),
        (
            "underflow_negative",
            "EBR",
            env(r#"{"type":"double"}"#, "-1e-400"),
            Same,
        ),
        (
            "overflow_double",
            "EBR",
            env(r#"{"type":"double"}"#, "1e400"),
            Same,
        ),
        (
            "exponents",
            "PBR",
            "[1E5,1e-5,2.5E+3,-3e0]".to_owned(),
            Same,
        ),
        (
            "float_from_int",
            "EBR",
            env(r#"{"type":"float"}"#, "3"),
            Same,
        ),
        (
            "float_tenth",
            "EBR",
            env(r#"{"type":"float"}"#, "0.1"),
            Same,
        ),
        (
            "float_many_digits",
            "EBR",
            env(r#"{"type":"float"}"#, "0.10000000149011612"),
            Same,
        ),
        (
            "double_from_big_int",
            "EBR",
            env(r#"{"type":"double"}"#, "12345678901234567890"),
            Same,
        ),
        (
            "double_many_digits",
            "EBR",
            env(
                r#"{"type":"double"}"#,
                "3.14159265358979323846264338327950288",
            ),
            Same,
        ),
        ("decimal_from_number", "EBR", env(decimal2, "1.5"), Same),
        ("decimal_from_int", "EBR", env(decimal2, "15"), Same),
        ("decimal_from_exponent", "EBR", env(decimal2, "1e5"), Same),
        (
            "decimal_from_long_number",
            "EBR",
            env(decimal2, "-123456789012345678901234567890.123456789"),
            Same,
        ),
        (
            "decimal_from_base64",
            "EBR",
            env(decimal2, r#""AJY=""#),
            Same,
        ),
        (
            "decimal_base64_spaces",
            "EBR",
            env(decimal2, r#"" AJY= ""#),
            Same,
        ),
        ("decimal_empty_base64", "EBR", env(decimal2, r#""""#), Same),
        ("decimal_from_bool", "EBR", env(decimal2, "true"), Same),
        (
            "bytes_concatenated",
            "EBR",
            env(r#"{"type":"bytes"}"#, r#""AA==AQ==""#),
            Same,
        ),
        (
            "bytes_unpadded",
            "EBR",
            env(r#"{"type":"bytes"}"#, r#""AAE""#),
            Same,
        ),
        (
            "parameters_empty",
            "EBR",
            env(r#"{"type":"int32","parameters":{}}"#, "1"),
            Same,
        ),
        (
            "parameters_not_text",
            "EBR",
            env(r#"{"type":"int32","parameters":{"a":1}}"#, "1"),
            Same,
        ),
        (
            "optional_not_bool",
            "EBR",
            env(r#"{"type":"int32","optional":"yes"}"#, "1"),
            Same,
        ),
        (
            "version_float",
            "EBR",
            env(r#"{"type":"int32","version":1.5}"#, "1"),
            Same,
        ),
        (
            "name_not_text",
            "EBR",
            env(r#"{"type":"int32","name":7,"doc":false}"#, "1"),
            Same,
        ),
        (
            "unknown_schema_keys",
            "EBR",
            env(r#"{"type":"int32","color":"red"}"#, "1"),
            Same,
        ),
        (
            "missing_field_default",
            "EBR",
            env(point, r#"{"x":1}"#),
            Same,
        ),
        (
            "missing_field_default_kept",
            "EBK",
            env(point, r#"{"x":1}"#),
            Same,
        ),
        (
            "missing_required_field",
            "EBR",
            env(point, r#"{"y":1}"#),
            Same,
        ),
        (
            "extra_fields",
            "EBR",
            env(point, r#"{"x":1,"y":2,"z":3}"#),
            Same,
        ),
        (
            "fields_reordered",
            "EBR",
            env(point, r#"{"y":2,"x":1}"#),
            Same,
        ),
        (
            "duplicate_keys",
            "PBR",
            r#"{"a":1,"b":2,"a":3}"#.to_owned(),
            Same,
        ),
        (
            "duplicate_struct_field",
            "EBR",
            env(point, r#"{"x":1,"x":2}"#),
            Same,
        ),
        (
            "byte_order_mark",
            "PBR",
            "\u{feff}{\"a\":1}".to_owned(),
            Same,
        ),
        ("empty", "PBR", String::new(), Same),
        ("only_whitespace", "PBR", " \n ".to_owned(), Same),
        ("null_plain", "PBR", "null".to_owned(), Same),
        ("null_envelope", "EBR", "null".to_owned(), Same),
        ("empty_envelope", "EBR", String::new(), Same),
        (
            "schema_null",
            "EBR",
            env("null", r#"{"a":[1,2.5,"x",true,null],"b":{}}"#),
            Same,
        ),
        (
            "envelope_extra_key",
            "EBR",
            r#"{"schema":null,"payload":1,"extra":2}"#.to_owned(),
            Same,
        ),
        (
            "envelope_missing_payload",
            "EBR",
            r#"{"schema":null,"x":1}"#.to_owned(),
            Same,
        ),
        ("unknown_type", "EBR", env(r#"{"type":"uuid"}"#, "1"), Same),
        ("type_not_text", "EBR", env(r#"{"type":5}"#, "1"), Same),
        (
            "array_without_items",
            "EBR",
            env(r#"{"type":"array"}"#, "[]"),
            Same,
        ),
        (
            "map_without_values",
            "EBR",
            env(r#"{"type":"map","keys":{"type":"int32"}}"#, "[]"),
            Same,
        ),
        (
            "struct_fields_not_array",
            "EBR",
            env(r#"{"type":"struct","fields":{}}"#, "{}"),
            Same,
        ),
        (
            "struct_field_without_name",
            "EBR",
            env(r#"{"type":"struct","fields":[{"type":"int32"}]}"#, "{}"),
            Same,
        ),
        (
            "struct_duplicate_fields",
            "EBR",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"int64","field":"a"}]}"#,
                "{}",
            ),
            Same,
        ),
        ("struct_not_object", "EBR", env(point, "[]"), Same),
        (
            "map_int_keys_as_object",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                r#"{"1":2}"#,
            ),
            Same,
        ),
        (
            "map_pair_of_three",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "[[1,2,3]]",
            ),
            Same,
        ),
        (
            "map_pair_not_array",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "[5]",
            ),
            Same,
        ),
        (
            "map_string_keys_as_array",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}}"#,
                "[]",
            ),
            Same,
        ),
        (
            "default_null_required",
            "EBR",
            env(r#"{"type":"int32","default":null}"#, "1"),
            Same,
        ),
        (
            "default_null_optional",
            "EBR",
            env(r#"{"type":"int32","optional":true,"default":null}"#, "null"),
            Same,
        ),
        (
            "default_wrong_type",
            "EBR",
            env(r#"{"type":"int32","default":"x"}"#, "1"),
            WharfRefuses("Kafka Connect reads the default as 0"),
        ),
        (
            "default_decimal_numeric",
            "EBR",
            env(
                r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"optional":true,"default":1.50}"#,
                "null",
            ),
            Same,
        ),
        (
            "required_null_kept",
            "EBK",
            env(r#"{"type":"int32","default":4}"#, "null"),
            Same,
        ),
        (
            "int8_bounds",
            "EBR",
            env(
                r#"{"type":"array","items":{"type":"int8"}}"#,
                "[-128,127,0]",
            ),
            Same,
        ),
        (
            "date_from_float",
            "EBR",
            env(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#,
                "1.0",
            ),
            Same,
        ),
        (
            "date_from_long",
            "EBR",
            env(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#,
                "3000000000",
            ),
            Same,
        ),
        (
            "time_full_day",
            "EBR",
            env(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Time"}"#,
                "86400000",
            ),
            Same,
        ),
        (
            "time_negative",
            "EBR",
            env(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Time"}"#,
                "-1",
            ),
            Same,
        ),
        (
            "timestamp_big",
            "EBR",
            env(
                r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#,
                "253402300799999",
            ),
            Same,
        ),
        (
            "timestamp_from_string",
            "EBR",
            env(
                r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#,
                r#""2024-01-01""#,
            ),
            Same,
        ),
        (
            "int_from_exponent",
            "EBR",
            env(r#"{"type":"int32"}"#, "1e3"),
            Same,
        ),
        (
            "int_from_point_zero",
            "EBR",
            env(r#"{"type":"int64"}"#, "5.0"),
            Same,
        ),
        (
            "int_from_scaled",
            "EBR",
            env(r#"{"type":"int16"}"#, "1.5E+1"),
            Same,
        ),
        (
            "int_from_exponent_max",
            "EBR",
            env(r#"{"type":"int64"}"#, "9.223372036854775807E18"),
            Same,
        ),
        (
            "int_map_key_from_exponent",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int8"}}"#,
                "[[1e1,2.0]]",
            ),
            Same,
        ),
        (
            "int_default_from_exponent",
            "EBR",
            env(r#"{"type":"int32","optional":true,"default":1e3}"#, "null"),
            Same,
        ),
        (
            "date_from_exponent",
            "EBR",
            env(
                r#"{"type":"int32","name":"org.apache.kafka.connect.data.Date"}"#,
                "1e3",
            ),
            Same,
        ),
        (
            "timestamp_from_point_zero",
            "EBR",
            env(
                r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#,
                "5.0",
            ),
            Same,
        ),
        (
            "version_from_exponent",
            "EBR",
            env(r#"{"type":"int32","version":1e0}"#, "1"),
            Same,
        ),
        (
            "int8_overflow_exponent",
            "EBR",
            env(r#"{"type":"int8"}"#, "1.28e2"),
            WharfRefuses("Kafka Connect wraps to -128"),
        ),
        (
            "int64_overflow_exponent",
            "EBR",
            env(r#"{"type":"int64"}"#, "1e19"),
            WharfRefuses("Kafka Connect wraps"),
        ),
        (
            "int_from_tiny_fraction",
            "EBR",
            env(r#"{"type":"int32"}"#, "1e-400"),
            WharfRefuses("Kafka Connect truncates to 0"),
        ),
        (
            "map_pairs_repeated_key",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}}"#,
                "[[1,2],[3,4],[1,5]]",
            ),
            Same,
        ),
        (
            "map_pairs_repeated_double_key",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"double"},"values":{"type":"int32"}}"#,
                "[[1.0,2],[1,3],[0.0,4],[-0.0,5],[2.50,6],[2.5e0,7]]",
            ),
            Same,
        ),
        (
            "map_pairs_repeated_decimal_key",
            "ENR",
            env(
                r#"{"type":"map","keys":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"}},"values":{"type":"int32"}}"#,
                "[[1.5,1],[1.50,2],[1.5,3]]",
            ),
            Same,
        ),
        (
            "map_pairs_repeated_bytes_key",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"bytes"},"values":{"type":"int32"}}"#,
                r#"[["AQ==",2],["AQ==",5]]"#,
            ),
            Same,
        ),
        (
            "map_pairs_repeated_struct_key",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"struct","fields":[{"type":"int32","field":"a"},{"type":"bytes","field":"b"}]},"values":{"type":"int32"}}"#,
                r#"[[{"a":1,"b":"AQ=="},2],[{"a":1,"b":"AQ=="},5],[{"a":2,"b":"AQ=="},6]]"#,
            ),
            Same,
        ),
        (
            "map_pairs_repeated_array_key",
            "EBR",
            env(
                r#"{"type":"map","keys":{"type":"array","items":{"type":"string"}},"values":{"type":"int32"}}"#,
                r#"[[["a","b"],2],[["a","b"],5],[["b","a"],6]]"#,
            ),
            Same,
        ),
        (
            "struct_default_object",
            "EBR",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":true,"default":{"x":1}}"#,
                "null",
            ),
            Same,
        ),
        (
            "struct_default_empty_object",
            "EBK",
            env(
                r#"{"type":"struct","fields":[],"optional":false,"default":{}}"#,
                "{}",
            ),
            Same,
        ),
        (
            "struct_default_explicit_null",
            "EBR",
            env(
                r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":true,"default":null}"#,
                r#"{"x":2}"#,
            ),
            Same,
        ),
        ("deep_within_limit", "PBR", deep(100), Same),
        ("truncated", "PBR", r#"{"a":"#.to_owned(), Same),
        ("trailing_comma", "PBR", "[1,]".to_owned(), Same),
        ("single_quotes", "PBR", "{'a':1}".to_owned(), Same),
        ("nan_token", "PBR", "NaN".to_owned(), Same),
        ("plus_sign", "PBR", "+1".to_owned(), Same),
        ("bare_fraction", "PBR", ".5".to_owned(), Same),
        ("dangling_point", "PBR", "[1.]".to_owned(), Same),
        ("raw_control_char", "PBR", "\"a\u{1}b\"".to_owned(), Same),
        ("bad_escape", "PBR", r#""\x""#.to_owned(), Same),
        ("unquoted_key", "PBR", "{a:1}".to_owned(), Same),
        ("comment", "PBR", "/* c */ 1".to_owned(), Same),
        (
            "trailing_garbage",
            "PBR",
            r#"{"a":1} x"#.to_owned(),
            WharfRefuses("Jackson ignores what follows the first value"),
        ),
        (
            "two_documents",
            "PBR",
            "1 2".to_owned(),
            WharfRefuses("Jackson ignores what follows the first value"),
        ),
        (
            "string_for_int",
            "EBR",
            env(r#"{"type":"int32"}"#, r#""12""#),
            WharfRefuses("Kafka Connect reads 0"),
        ),
        (
            "bool_for_int",
            "EBR",
            env(r#"{"type":"int64"}"#, "true"),
            WharfRefuses("Kafka Connect reads 0"),
        ),
        (
            "int8_overflow",
            "EBR",
            env(r#"{"type":"int8"}"#, "300"),
            WharfRefuses("Kafka Connect wraps to 44"),
        ),
        (
            "int32_overflow",
            "EBR",
            env(r#"{"type":"int32"}"#, "3000000000"),
            WharfRefuses("Kafka Connect wraps"),
        ),
        (
            "float_for_int",
            "EBR",
            env(r#"{"type":"int32"}"#, "1.9"),
            WharfRefuses("Kafka Connect truncates to 1"),
        ),
        (
            "int_for_bool",
            "EBR",
            env(r#"{"type":"boolean"}"#, "1"),
            WharfRefuses("Kafka Connect reads false"),
        ),
        (
            "number_for_bytes",
            "EBR",
            env(r#"{"type":"bytes"}"#, "5"),
            WharfRefuses("Kafka Connect reads null for a required schema"),
        ),
        (
            "number_for_string",
            "EBR",
            env(r#"{"type":"string"}"#, "5"),
            WharfRefuses("Kafka Connect reads null for a required schema"),
        ),
        (
            "number_for_array",
            "EBR",
            env(r#"{"type":"array","items":{"type":"int32"}}"#, "5"),
            WharfRefuses("Kafka Connect reads an empty array"),
        ),
        (
            "big_int_schemaless",
            "PBR",
            "123456789012345678901234567890".to_owned(),
            WharfRefuses("Kafka Connect wraps to 64 bits"),
        ),
        (
            "big_int_timestamp",
            "EBR",
            env(
                r#"{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}"#,
                "99999999999999999999",
            ),
            WharfRefuses("Kafka Connect wraps to 64 bits"),
        ),
        (
            "version_overflow",
            "EBR",
            env(r#"{"type":"int32","version":12345678901}"#, "1"),
            WharfRefuses("Kafka Connect wraps the version"),
        ),
        (
            "lone_surrogate",
            "PBR",
            r#""\ud800""#.to_owned(),
            WharfRefuses("a Rust string cannot hold a lone surrogate"),
        ),
        (
            "deeper_than_128",
            "PBR",
            deep(200),
            WharfRefuses("wharf nests at most 128 levels, Jackson 1000"),
        ),
        (
            "nan_string_double",
            "EBR",
            env(r#"{"type":"double"}"#, r#""NaN""#),
            Differs("Kafka Connect reads 0.0, wharf NaN"),
        ),
        (
            "infinity_string_float",
            "EBR",
            env(r#"{"type":"float"}"#, r#""-Infinity""#),
            Differs("Kafka Connect reads 0.0, wharf -Infinity"),
        ),
    ]
}

#[test]
fn reads_hand_written_json_like_kafka_connect() {
    let harness = harness();
    let docs = hand_written();
    let mut requests: Vec<(String, String, Option<Vec<u8>>)> = docs
        .iter()
        .map(|(name, setting, text, _)| {
            (
                (*name).to_owned(),
                (*setting).to_owned(),
                Some(text.as_bytes().to_vec()),
            )
        })
        .collect();
    // Malformed UTF-8 cannot be written in a Rust string literal.
    requests.push((
        "invalid_utf8".to_owned(),
        "PBR".to_owned(),
        Some(b"\"a\xffb\"".to_vec()),
    ));
    requests.push(("tombstone".to_owned(), "EBR".to_owned(), None));
    let theirs = harness.decode(&requests);
    let mut failures = Vec::new();
    let mut deviations = Vec::new();
    for (id, setting, bytes) in &requests {
        let wharf = converter(setting);
        let ours = describe_read(&match bytes {
            Some(b) => wharf.decode(&Bytes::from(b.clone())),
            None => converters::Converter::to_connect_data(&wharf, "topic", &[], None),
        });
        let java = &theirs[id];
        let expect = docs
            .iter()
            .find(|d| d.0 == id)
            .map_or(Expect::Same, |d| d.3);
        let ok = match expect {
            Expect::Same => ours == *java || (ours.starts_with("ERR") && java.starts_with("ERR")),
            Expect::WharfRefuses(why) => {
                deviations.push(format!("{id}: {why}"));
                ours.starts_with("ERR") && java.starts_with("OK")
            }
            Expect::Differs(why) => {
                deviations.push(format!("{id}: {why}"));
                ours.starts_with("OK") && java.starts_with("OK") && ours != *java
            }
        };
        if !ok {
            failures.push(format!(
                "{id} [{setting}]\n  wharf: {ours}\n  kafka: {java}"
            ));
        }
        if std::env::var_os("JSON_COMPAT_VERBOSE").is_some() {
            println!("{id} [{setting}]\n  wharf: {ours}\n  kafka: {java}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} documents read unexpectedly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{} documents read like Kafka Connect; deliberate differences:\n  {}",
        requests.len(),
        deviations.join("\n  ")
    );
}
