//! FileStreamSink's task.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};

use async_trait::async_trait;

use super::config::FILE;
use crate::config::Properties;
use converters::data::{SchemaAndValue, Value};
use converters::{Converter, ConverterType, JsonConverter, JsonConverterConfig};

use crate::connector::{ErrorClass, SinkRecord, SinkTask, TaskError};

enum Output {
    File(BufWriter<File>),
    Stdout(BufWriter<std::io::Stdout>),
}

/// Appends each record's value and a newline; each batch is written when `put` returns and
/// `flush` makes it durable (fsync).
///
/// Kafka Connect writes `value.toString()`. For strings, numbers, booleans and null that is the
/// same text; bytes are written as they are (Java prints an array address); structs, maps and
/// arrays are written as schemaless JSON rather than Java's `Struct{..}` / `{k=v}` notation,
/// which no reader can parse.
pub struct FileSinkTask {
    output: Option<Output>,
    filename: Option<String>,
    json: JsonConverter,
}

impl Default for FileSinkTask {
    fn default() -> Self {
        let mut json = JsonConverterConfig::defaults(ConverterType::Value);
        json.schemas_enable = false;
        Self {
            output: None,
            filename: None,
            json: JsonConverter::with_config(json),
        }
    }
}

fn write_value(
    out: &mut dyn Write,
    json: &JsonConverter,
    data: &SchemaAndValue,
) -> std::io::Result<()> {
    match &data.value {
        Value::Null => out.write_all(b"null"),
        Value::String(s) => out.write_all(s.as_str().as_bytes()),
        Value::Bytes(b) => out.write_all(b),
        Value::Decimal(d) => out.write_all(d.to_string().as_bytes()),
        other => match json.from_connect_data("", &[], data.schema.as_ref(), other) {
            Ok(Some(bytes)) => out.write_all(&bytes),
            Ok(None) => out.write_all(b"null"),
            Err(e) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.to_string(),
            )),
        },
    }
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
            None => Output::Stdout(BufWriter::new(std::io::stdout())),
            Some(name) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(name)
                    .map_err(|e| self.io_error("cannot open", e))?;
                Output::File(BufWriter::with_capacity(1 << 20, file))
            }
        });
        Ok(())
    }

    async fn put(&mut self, records: Vec<SinkRecord>) -> Result<(), TaskError> {
        let json = &self.json;
        let out: &mut dyn Write = match self.output.as_mut() {
            Some(Output::File(w)) => w,
            Some(Output::Stdout(w)) => w,
            None => {
                return Err(TaskError::new(
                    ErrorClass::Fatal,
                    "file sink used before start",
                ));
            }
        };
        let result: std::io::Result<()> = (|| {
            for record in &records {
                write_value(out, json, &record.value)?;
                out.write_all(b"\n")?;
            }
            // Like Kafka Connect's sink, make each batch visible in the file at once (one write
            // per batch rather than per line); durability comes with `flush`.
            out.flush()
        })();
        result.map_err(|e| self.io_error("cannot write to", e))
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        let result = match self.output.as_mut() {
            Some(Output::File(w)) => w.flush().and_then(|()| w.get_ref().sync_data()),
            Some(Output::Stdout(w)) => w.flush(),
            None => Ok(()),
        };
        result.map_err(|e| self.io_error("cannot flush", e))
    }

    async fn stop(&mut self) -> Result<(), TaskError> {
        self.flush().await
    }
}
