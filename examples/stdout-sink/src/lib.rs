//! An example sink connector for wharf: it writes one line per record to stdout, or to a file.
//!
//! This library depends only on `connect-api`, the crate a connector author implements (no Kafka
//! client, async runtime or HTTP stack); the binary beside it (`src/main.rs`) adds the connector
//! to the worker's built-in plugins and runs the whole `wharf` command line:
//!
//! ```text
//! wharf::main(wharf::plugins::Plugins::builtin().with_sink::<StdoutSink>())
//! ```
//!
//! What it shows:
//!
//! - a config spec of its own ([`config_def`]), with validators, that the worker checks before a
//!   connector is created, answers `PUT /connector-plugins/StdoutSink/config/validate` with,
//!   and prints in `wharf docs`;
//! - a connector ([`StdoutSink`]) that plans `tasks.max` tasks;
//! - a task ([`StdoutSinkTask`]) that writes each batch in `put` and makes it durable in `flush`,
//!   with its errors classified ([`ErrorClass::Config`] for a config it cannot run with,
//!   [`ErrorClass::Retriable`] for I/O errors);
//! - rendering the Connect data model ([`format_record`]).
//!
//! The keys:
//!
//! | key | default | meaning |
//! |-----|---------|---------|
//! | `stdout.format` | `value` | `value`: the value; `key-value`: key, `=`, value; `json`: one JSON object with topic, partition, offset, timestamp, key and value |
//! | `stdout.prefix` | empty | text put before every line (no line breaks) |
//! | `stdout.output.file` | empty | append the lines to this file instead of stdout |

use std::fs::{File, OpenOptions};
use std::io::Write;

use connect_api::config::{ConfigKey, ConfigType, Importance, Validator};
use connect_api::data::{Value, java_text};
use connect_api::{
    Config, ConfigDef, Connector, ErrorClass, Properties, SinkConnector, SinkRecord, SinkTask,
    TaskError, async_trait,
};

/// `stdout.prefix`: text put before every line.
pub const PREFIX: &str = "stdout.prefix";
/// `stdout.format`: how a record becomes a line (see [`Format`]).
pub const FORMAT: &str = "stdout.format";
/// `stdout.output.file`: a file to append to instead of stdout.
pub const OUTPUT_FILE: &str = "stdout.output.file";

/// How a record becomes a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The value as text.
    #[default]
    Value,
    /// The key as text, `=`, the value as text.
    KeyValue,
    /// `{"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"value":..}`.
    Json,
}

impl Format {
    /// The values `stdout.format` accepts, in the order of [`Format`]'s variants.
    pub const NAMES: &'static [&'static str] = &["value", "key-value", "json"];

    /// The format `name` (trimmed) names.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "value" => Some(Self::Value),
            "key-value" => Some(Self::KeyValue),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// A prefix must keep every record on one line.
fn one_line(raw: &str) -> Result<(), String> {
    if raw.contains(['\n', '\r']) {
        Err("must not contain a line break".to_owned())
    } else {
        Ok(())
    }
}

/// The connector's config spec. The worker adds its common keys (`name`, `connector.class`,
/// `tasks.max`, `topics`, converters, `errors.*`, ...) to these.
pub fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            FORMAT,
            ConfigType::String,
            "value",
            "How each record is written: 'value' (the value), 'key-value' (key=value) or 'json' \
             (one JSON object with topic, partition, offset, timestamp, key and value).",
        )
        .importance(Importance::High)
        .validate(Validator::OneOf(Format::NAMES)),
        ConfigKey::optional(
            PREFIX,
            ConfigType::String,
            "",
            "Text written before every line, e.g. '[orders] '. No line breaks.",
        )
        .validate(Validator::Custom(one_line)),
        ConfigKey::optional(
            OUTPUT_FILE,
            ConfigType::String,
            "",
            "Append the lines to this file instead of the standard output.",
        )
        .importance(Importance::Low),
    ])
}

/// The connector: its spec, and `tasks.max` identical tasks (each consumes its share of the
/// topics' partitions; lines of one batch are written together, so tasks never split each
/// other's lines).
#[derive(Debug, Default)]
pub struct StdoutSink;

impl SinkConnector for StdoutSink {
    type Task = StdoutSinkTask;
    const CLASS: &'static str = "com.example.wharf.StdoutSinkConnector";
    const ALIASES: &'static [&'static str] = &["StdoutSink", "StdoutSinkConnector"];
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Connector for StdoutSink {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    fn task_configs(&self, config: &Properties, max_tasks: usize) -> Vec<Properties> {
        vec![config.clone(); max_tasks.max(1)]
    }
}

/// Appends `record` as one line (with its `\n`) to `out`.
///
/// Text (formats `value` and `key-value`): strings as they are, bytes as UTF-8 (invalid sequences
/// replaced), numbers and booleans as Java prints them, null as `null`, decimals in plain
/// notation, dates, times and timestamps as the numbers Connect stores, structs, maps and
/// arrays as JSON. Line breaks inside a value are written as `\n` / `\r`, so a record is always
/// one line. In `json`, bytes are base64 and non-finite floats are strings, as in JSON they must.
pub fn format_record(out: &mut String, prefix: &str, format: Format, record: &SinkRecord) {
    out.push_str(prefix);
    match format {
        Format::Value => push_text(out, &record.value.value),
        Format::KeyValue => {
            push_text(out, &record.key.value);
            out.push('=');
            push_text(out, &record.value.value);
        }
        Format::Json => {
            out.push_str("{\"topic\":");
            push_json_string(out, &record.topic);
            out.push_str(",\"partition\":");
            out.push_str(&record.partition.to_string());
            out.push_str(",\"offset\":");
            out.push_str(&record.offset.to_string());
            out.push_str(",\"timestamp\":");
            match record.timestamp {
                Some(ts) => out.push_str(&ts.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(",\"key\":");
            push_json(out, &record.key.value);
            out.push_str(",\"value\":");
            push_json(out, &record.value.value);
            out.push('}');
        }
    }
    out.push('\n');
}

/// A value as one line of text.
fn push_text(out: &mut String, value: &Value) {
    let start = out.len();
    match value {
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
        Value::Array(_) | Value::Map(_) | Value::Struct(_) => push_json(out, value),
        scalar => push_scalar(out, scalar),
    }
    if out[start..].contains(['\n', '\r']) {
        let escaped = out[start..].replace('\n', "\\n").replace('\r', "\\r");
        out.truncate(start);
        out.push_str(&escaped);
    }
}

/// Null, booleans, numbers and logical types: the same text in both forms.
fn push_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(n) => out.push_str(&n.to_string()),
        Value::Int16(n) => out.push_str(&n.to_string()),
        Value::Int32(n) | Value::Date(n) | Value::Time(n) => out.push_str(&n.to_string()),
        Value::Int64(n) | Value::Timestamp(n) => out.push_str(&n.to_string()),
        Value::Float32(f) => java_text::push_float(out, *f),
        Value::Float64(f) => java_text::push_double(out, *f),
        Value::Decimal(d) => out.push_str(&d.to_string()),
        _ => out.push_str("null"),
    }
}

/// A value as JSON.
fn push_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::String(s) => push_json_string(out, s),
        Value::Bytes(b) => {
            out.push('"');
            push_base64(out, b);
            out.push('"');
        }
        Value::Float32(f) if !f.is_finite() => push_json_string(out, &f.to_string()),
        Value::Float64(f) if !f.is_finite() => push_json_string(out, &f.to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        // String keys make an object; any other key, a list of [key, value] pairs.
        Value::Map(entries) if entries.iter().all(|(k, _)| k.as_str().is_some()) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, k.as_str().unwrap_or_default());
                out.push(':');
                push_json(out, v);
            }
            out.push('}');
        }
        Value::Map(entries) => {
            out.push('[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('[');
                push_json(out, k);
                out.push(',');
                push_json(out, v);
                out.push(']');
            }
            out.push(']');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (field, v)) in s.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, field.name());
                out.push(':');
                push_json(out, v);
            }
            out.push('}');
        }
        scalar => push_scalar(out, scalar),
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Where the lines go.
#[derive(Debug)]
enum Output {
    Stdout(std::io::Stdout),
    File { file: File, path: String },
}

impl Output {
    fn name(&self) -> &str {
        match self {
            Self::Stdout(_) => "stdout",
            Self::File { path, .. } => path,
        }
    }
}

/// The task: `put` writes each batch with one write (so batches of several tasks never
/// interleave within a line), `flush` flushes stdout or makes the file durable (fsync) before
/// the runtime commits the consumer offsets.
#[derive(Debug, Default)]
pub struct StdoutSinkTask {
    prefix: String,
    format: Format,
    output: Option<Output>,
    /// One batch's lines, reused.
    buffer: String,
}

fn io_error(what: &str, output: &str, e: std::io::Error) -> TaskError {
    TaskError::with_source(ErrorClass::Retriable, format!("{what} {output}: {e}"), e)
}

#[async_trait(?Send)]
impl SinkTask for StdoutSinkTask {
    /// `config` passed [`config_def`] and has its defaults filled in; a value the task still
    /// cannot use is a [`ErrorClass::Config`] error (the task stays failed until the config
    /// changes), a file that cannot be opened a [`ErrorClass::Retriable`] one.
    async fn start(&mut self, config: &Config) -> Result<(), TaskError> {
        let bad =
            |e: connect_api::config::FieldError| TaskError::new(ErrorClass::Config, e.message);
        let format = config.get_string(FORMAT).map_err(bad)?;
        self.format = Format::parse(format).ok_or_else(|| {
            TaskError::new(
                ErrorClass::Config,
                format!(
                    "{FORMAT}={format} is not one of {}",
                    Format::NAMES.join(", ")
                ),
            )
        })?;
        self.prefix = config.string(PREFIX).unwrap_or_default().to_owned();
        one_line(&self.prefix)
            .map_err(|m| TaskError::new(ErrorClass::Config, format!("{PREFIX} {m}")))?;
        self.output = Some(match config.non_empty(OUTPUT_FILE) {
            None => Output::Stdout(std::io::stdout()),
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| io_error("cannot open", path, e))?;
                Output::File {
                    file,
                    path: path.to_owned(),
                }
            }
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        let Some(output) = self.output.as_mut() else {
            return Err(TaskError::new(ErrorClass::Fatal, "put before start"));
        };
        self.buffer.clear();
        for record in records {
            format_record(&mut self.buffer, &self.prefix, self.format, record);
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        // On an error the runtime calls `put` again with the same records.
        let written = match output {
            Output::Stdout(out) => out.lock().write_all(self.buffer.as_bytes()),
            Output::File { file, .. } => file.write_all(self.buffer.as_bytes()),
        };
        written.map_err(|e| io_error("cannot write to", output.name(), e))
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        let Some(output) = self.output.as_mut() else {
            return Ok(());
        };
        // A connector with slow I/O would hand this to a blocking thread (the task's shard runs
        // other tasks too); one fsync per offset commit is cheap enough for an example.
        let flushed = match output {
            Output::Stdout(out) => out.flush(),
            Output::File { file, .. } => file.sync_data(),
        };
        flushed.map_err(|e| io_error("cannot flush", output.name(), e))
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        self.flush().await
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, Struct};

    use super::*;

    /// The task's futures never wait (plain blocking I/O), so one poll finishes them.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the task's future waited"),
        }
    }

    fn record(key: Value, value: Value) -> SinkRecord {
        SinkRecord {
            topic: Arc::from("orders"),
            partition: 2,
            offset: 41,
            timestamp: Some(1_700_000_000_000),
            key: SchemaAndValue::new(None, key),
            value: SchemaAndValue::new(None, value),
            value_format: None,
            headers: Vec::new(),
        }
    }

    fn line(prefix: &str, format: Format, record: &SinkRecord) -> String {
        let mut out = String::new();
        format_record(&mut out, prefix, format, record);
        out
    }

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn value_and_key_value_lines() {
        let r = record(Value::from("k1"), Value::from("hello"));
        assert_eq!(line("", Format::Value, &r), "hello\n");
        assert_eq!(line("[o] ", Format::Value, &r), "[o] hello\n");
        assert_eq!(line("", Format::KeyValue, &r), "k1=hello\n");
        let r = record(Value::Null, Value::Int64(7));
        assert_eq!(line("> ", Format::KeyValue, &r), "> null=7\n");
        let r = record(Value::Boolean(true), Value::Float64(1e7));
        assert_eq!(line("", Format::KeyValue, &r), "true=1.0E7\n");
    }

    #[test]
    fn one_record_is_one_line() {
        let r = record(Value::Null, Value::from("two\nlines\r"));
        assert_eq!(line("", Format::Value, &r), "two\\nlines\\r\n");
        let r = record(Value::Null, Value::Bytes(b"raw \xff bytes"[..].into()));
        assert_eq!(line("", Format::Value, &r), "raw \u{fffd} bytes\n");
    }

    #[test]
    fn json_lines() {
        let r = record(Value::from("k"), Value::from("say \"hi\"\n"));
        assert_eq!(
            line("", Format::Json, &r),
            "{\"topic\":\"orders\",\"partition\":2,\"offset\":41,\"timestamp\":1700000000000,\
             \"key\":\"k\",\"value\":\"say \\\"hi\\\"\\n\"}\n"
        );
        let mut r = record(Value::Null, Value::Bytes(b"abcd"[..].into()));
        r.timestamp = None;
        assert_eq!(
            line("j: ", Format::Json, &r),
            "j: {\"topic\":\"orders\",\"partition\":2,\"offset\":41,\"timestamp\":null,\
             \"key\":null,\"value\":\"YWJjZA==\"}\n"
        );
    }

    #[test]
    fn structured_values_are_json() {
        let tags = SchemaBuilder::array(Schema::string()).build().unwrap();
        let schema = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("tags", tags)
            .build()
            .unwrap();
        let value = Struct::new(schema)
            .unwrap()
            .with("id", 5)
            .unwrap()
            .with(
                "tags",
                Value::Array(vec![Value::from("a"), Value::from("b")]),
            )
            .unwrap();
        let r = record(Value::Null, Value::Struct(value));
        assert_eq!(
            line("", Format::Value, &r),
            "{\"id\":5,\"tags\":[\"a\",\"b\"]}\n"
        );
        let map = Value::Map(vec![(Value::from("x"), Value::Float32(f32::NAN))]);
        assert_eq!(
            line("", Format::Value, &record(Value::Null, map)),
            "{\"x\":\"NaN\"}\n"
        );
        let map = Value::Map(vec![(Value::Int32(1), Value::Null)]);
        assert_eq!(
            line("", Format::Value, &record(Value::Null, map)),
            "[[1,null]]\n"
        );
    }

    #[test]
    fn base64_pads() {
        for (input, expected) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
        ] {
            let mut out = String::new();
            push_base64(&mut out, input);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn spec_validates_format_and_prefix() {
        let def = config_def();
        let errors = def.field_errors(&props(&[(FORMAT, "xml"), (PREFIX, "a\nb")]));
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, [FORMAT, PREFIX]);
        assert_eq!(
            errors[0].message,
            "Invalid value xml for configuration stdout.format: String must be one of: value, key-value, json"
        );
        let config = def.parse("test", &props(&[])).unwrap();
        assert_eq!(config.string(FORMAT), Some("value"));
        assert_eq!(config.string(PREFIX), Some(""));
    }

    #[test]
    fn plans_tasks_max_tasks() {
        let config = props(&[(FORMAT, "json")]);
        assert_eq!(StdoutSink.task_configs(&config, 3), vec![config.clone(); 3]);
        assert_eq!(StdoutSink.task_configs(&config, 0).len(), 1);
    }

    #[test]
    fn task_writes_batches_to_the_file() {
        let dir = std::env::temp_dir().join(format!("stdout-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        let _ = std::fs::remove_file(&path);
        let config = config_def()
            .parse(
                "test",
                &props(&[
                    (FORMAT, "key-value"),
                    (PREFIX, "# "),
                    (OUTPUT_FILE, path.to_str().unwrap()),
                ]),
            )
            .unwrap();
        let mut task = StdoutSinkTask::default();
        ready(task.start(&config)).unwrap();
        let batch = [
            record(Value::from("a"), Value::from("1")),
            record(Value::from("b"), Value::from("2")),
        ];
        ready(task.put(&batch)).unwrap();
        ready(task.put(&[])).unwrap();
        ready(task.flush()).unwrap();
        ready(task.stop()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# a=1\n# b=2\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_are_classified() {
        let mut task = StdoutSinkTask::default();
        let unchecked = config_def()
            .parse("test", &props(&[]))
            .unwrap()
            .raw()
            .clone();
        // A config that skipped validation.
        let mut bad = unchecked.clone();
        bad.insert(FORMAT.to_owned(), "xml".to_owned());
        let bad = ConfigDef::default().parse("test", &bad).unwrap();
        assert_eq!(
            ready(task.start(&bad)).unwrap_err().class(),
            ErrorClass::Config
        );
        let mut missing_dir = unchecked;
        missing_dir.insert(
            OUTPUT_FILE.to_owned(),
            "/nonexistent-wharf-dir/out.txt".to_owned(),
        );
        let missing_dir = ConfigDef::default().parse("test", &missing_dir).unwrap();
        assert_eq!(
            ready(task.start(&missing_dir)).unwrap_err().class(),
            ErrorClass::Retriable
        );
        let mut unstarted = StdoutSinkTask::default();
        assert_eq!(
            ready(unstarted.put(&[])).unwrap_err().class(),
            ErrorClass::Fatal
        );
    }
}
