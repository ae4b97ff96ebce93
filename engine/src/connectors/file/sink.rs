//! FileStreamSink's task.

use std::fs::{File, OpenOptions};
use std::io::Write;

use async_trait::async_trait;

use super::config::FILE;
use crate::config::Properties;
use converters::data::{SchemaAndValue, Value};
use converters::string::Encoding;
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig, WireFormat};

use crate::connector::{ErrorClass, SinkRecord, SinkTask, TaskError};

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
pub struct FileSinkTask {
    output: Option<Output>,
    filename: Option<String>,
    json: JsonConverter,
    /// One batch's lines, reused.
    buffer: Vec<u8>,
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
        }
    }
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
    async fn start(&mut self, config: &Properties) -> Result<(), TaskError> {
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
        Ok(())
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
