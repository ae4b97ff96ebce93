//! FileStreamSink's task.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::config::{EXACTLY_ONCE, FILE};
use connect_api::Encoding;
use connect_api::WireFormat;
use connect_api::config::Config;
use connect_api::data::{SchemaAndValue, Value};
use connect_api::{SinkTaskContext, TopicPartition};
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig};

use connect_api::{ErrorClass, SinkRecord, SinkTask, TaskError};

enum Output {
    File(File),
    Stdout(std::io::Stdout),
}

/// Appends each record's value and a newline; each batch is written with one `write` when `put`
/// returns, and `flush` makes it durable (fsync). The file is opened with `O_APPEND`, so several
/// tasks can share it without splitting each other's lines.
///
/// Kafka Connect writes `value.toString()`. For strings, numbers, booleans and null that is the
/// same text; bytes are written as they are (Java prints an array address); structs, maps and
/// arrays are written as schemaless JSON rather than Java's `Struct{..}` / `{k=v}` notation,
/// which no reader can parse.
///
/// Exactly once (`wharf.exactly.once=true`, one task): on each commit the file is made durable,
/// then `<file>.wharf-offsets` records its length and, per partition, the offset after the last
/// record in it (written to a temporary file, fsynced, renamed). No consumer-group offset is
/// committed (`pre_commit` returns none). On start the file is cut back to the recorded length
/// and `open` seeks every partition to its recorded offset, so what a crash left half-committed
/// is written again exactly once.
pub struct FileSinkTask {
    output: Option<Output>,
    filename: Option<String>,
    json: JsonConverter,
    /// One batch's lines, reused.
    buffer: Vec<u8>,
    context: Option<SinkTaskContext>,
    /// Exactly once: the offsets the file holds records up to, by partition.
    exactly_once: Option<BTreeMap<TopicPartition, i64>>,
}

impl Default for FileSinkTask {
    fn default() -> Self {
        let mut json = JsonConverterConfig::defaults(ConverterType::Value);
        json.schemas_enable = false;
        Self {
            output: None,
            filename: None,
            json: JsonConverter::with_config(json),
            buffer: Vec::new(),
            context: None,
            exactly_once: None,
        }
    }
}

/// Where the exactly-once offsets of `file` are kept.
fn offsets_path(file: &str) -> PathBuf {
    PathBuf::from(format!("{file}.wharf-offsets"))
}

/// The recorded length and offsets, if any were recorded.
fn read_offsets(path: &Path) -> std::io::Result<Option<(u64, BTreeMap<TopicPartition, i64>)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let length = value["length"].as_u64().ok_or_else(|| bad("no length"))?;
    let mut offsets = BTreeMap::new();
    for entry in value["offsets"]
        .as_array()
        .ok_or_else(|| bad("no offsets"))?
    {
        let (Some(topic), Some(partition), Some(offset)) = (
            entry["topic"].as_str(),
            entry["partition"].as_i64(),
            entry["offset"].as_i64(),
        ) else {
            return Err(bad("a malformed offset entry"));
        };
        let partition = i32::try_from(partition).map_err(|_| bad("a partition out of range"))?;
        offsets.insert(TopicPartition::new(topic, partition), offset);
    }
    Ok(Some((length, offsets)))
}

/// Records `length` and `offsets` durably: a temporary file, fsynced, renamed over the old one,
/// then the folder fsynced so the rename itself survives a crash.
fn write_offsets(
    path: &Path,
    length: u64,
    offsets: &BTreeMap<TopicPartition, i64>,
) -> std::io::Result<()> {
    let entries: Vec<serde_json::Value> = offsets
        .iter()
        .map(|(tp, offset)| {
            serde_json::json!({"topic": &*tp.topic, "partition": tp.partition, "offset": offset})
        })
        .collect();
    let text = serde_json::json!({"length": length, "offsets": entries}).to_string();
    let tmp = path.with_extension("wharf-offsets.tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn write_value(
    out: &mut Vec<u8>,
    json: &JsonConverter,
    data: &SchemaAndValue,
) -> std::io::Result<()> {
    match &data.value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(s) => out.extend_from_slice(s.as_str().as_bytes()),
        Value::Bytes(b) => out.extend_from_slice(b),
        Value::Decimal(d) => out.extend_from_slice(d.to_string().as_bytes()),
        other => match json.from_connect_data("", &[], data.schema.as_ref(), other) {
            Ok(Some(bytes)) => out.extend_from_slice(&bytes),
            Ok(None) => out.extend_from_slice(b"null"),
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    e.to_string(),
                ));
            }
        },
    }
    Ok(())
}

impl std::fmt::Debug for FileSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSinkTask")
            .field("filename", &self.filename)
            .finish()
    }
}

impl FileSinkTask {
    fn io_error(&self, what: &str, e: std::io::Error) -> TaskError {
        let name = self.filename.as_deref().unwrap_or("stdout");
        TaskError::with_source(ErrorClass::Retriable, format!("{what} {name}: {e}"), e)
    }
}

#[async_trait(?Send)]
impl SinkTask for FileSinkTask {
    async fn start(&mut self, config: &Config) -> Result<(), TaskError> {
        let config = config.raw();
        self.filename = config
            .get(FILE)
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty());
        self.output = Some(match &self.filename {
            None => Output::Stdout(std::io::stdout()),
            Some(name) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(name)
                    .map_err(|e| self.io_error("cannot open", e))?;
                Output::File(file)
            }
        });
        let exactly_once = config
            .get(EXACTLY_ONCE)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if exactly_once {
            let (Some(name), Some(Output::File(file))) = (&self.filename, &self.output) else {
                return Err(TaskError::new(
                    ErrorClass::Config,
                    format!("{EXACTLY_ONCE}=true needs a file (it cannot cut back stdout)"),
                ));
            };
            let recorded = read_offsets(&offsets_path(name))
                .map_err(|e| self.io_error("cannot read the offsets of", e))?;
            let (length, offsets) = recorded.unwrap_or_default();
            let actual = file
                .metadata()
                .map_err(|e| self.io_error("cannot read the length of", e))?
                .len();
            if actual < length {
                return Err(TaskError::new(
                    ErrorClass::Fatal,
                    format!(
                        "{name} holds {actual} bytes but its offsets cover {length}: the file was \
                         changed outside the sink"
                    ),
                ));
            }
            if actual > length {
                // Lines written after the last commit: their records are consumed again.
                file.set_len(length)
                    .map_err(|e| self.io_error("cannot cut back", e))?;
                tracing::info!(message = "Cut the file back to its committed length.", file = %name, from = actual, to = length);
            }
            self.exactly_once = Some(offsets);
        }
        Ok(())
    }

    fn initialize(&mut self, context: SinkTaskContext) {
        self.context = Some(context);
    }

    /// Exactly once: every assigned partition resumes right after what the file holds.
    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<(), TaskError> {
        if let (Some(offsets), Some(context)) = (&self.exactly_once, &self.context) {
            for tp in partitions {
                if let Some(offset) = offsets.get(tp) {
                    context.offset(tp.clone(), *offset);
                }
            }
        }
        Ok(())
    }

    /// Exactly once: the data first, then the offsets it covers; nothing for the consumer group.
    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, TaskError> {
        self.flush().await?;
        let (true, Some(name), Some(Output::File(file))) =
            (self.exactly_once.is_some(), &self.filename, &self.output)
        else {
            return Ok(offsets.clone());
        };
        let length = file
            .metadata()
            .map_err(|e| self.io_error("cannot read the length of", e))?
            .len();
        let path = offsets_path(name);
        let Some(recorded) = self.exactly_once.as_mut() else {
            return Ok(offsets.clone());
        };
        recorded.extend(offsets.iter().map(|(tp, o)| (tp.clone(), *o)));
        let snapshot = recorded.clone();
        glommio::executor()
            .spawn_blocking(move || write_offsets(&path, length, &snapshot))
            .await
            .map_err(|e| self.io_error("cannot record the offsets of", e))?;
        Ok(BTreeMap::new())
    }

    /// Lines of UTF-8 text, raw bytes and one-line JSON objects are written as they arrived.
    fn raw_values(&self, format: &WireFormat) -> bool {
        matches!(
            format,
            WireFormat::ByteArray
                | WireFormat::String {
                    encoding: Encoding::Utf8
                }
                | WireFormat::Json {
                    schemas_enable: false,
                    ..
                }
        )
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        if self.output.is_none() {
            return Err(TaskError::new(
                ErrorClass::Fatal,
                "file sink used before start",
            ));
        }
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        let mut result: std::io::Result<()> = records.iter().try_for_each(|record| {
            write_value(&mut buffer, &self.json, &record.value)?;
            buffer.push(b'\n');
            Ok(())
        });
        // Like Kafka Connect's sink, make each batch visible in the file at once; durability
        // comes with `flush`. A regular file takes the whole buffer in one append.
        if result.is_ok() && !buffer.is_empty() {
            result = match self.output.as_mut() {
                Some(Output::File(f)) => f.write_all(&buffer),
                Some(Output::Stdout(out)) => out.lock().write_all(&buffer),
                None => Ok(()),
            };
        }
        self.buffer = buffer;
        result.map_err(|e| self.io_error("cannot write to", e))
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        let result = match self.output.as_mut() {
            // fsync waits for the disk: on a blocking thread, so the shard's other tasks run on.
            Some(Output::File(f)) => match f.try_clone() {
                Ok(file) => {
                    glommio::executor()
                        .spawn_blocking(move || file.sync_data())
                        .await
                }
                Err(e) => Err(e),
            },
            Some(Output::Stdout(out)) => out.flush(),
            None => Ok(()),
        };
        result.map_err(|e| self.io_error("cannot flush", e))
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        self.flush().await
    }
}
