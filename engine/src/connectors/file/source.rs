//! FileStreamSource's task.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use converters::data::{Schema, SchemaAndValue, Str, Value as DataValue};
use serde_json::Value;

use super::config::{BATCH_SIZE, DEFAULT_BATCH_SIZE, FILE, TOPIC};
use crate::config::Properties;
use crate::connector::{
    ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError,
};
use crate::offsets::JsonMap;

/// How long to wait at end of file before looking for new lines (Kafka Connect waits 1 s).
const EOF_WAIT: Duration = Duration::from_millis(200);
/// Bytes read from the file per read call.
const READ_CHUNK: usize = 256 * 1024;

enum Input {
    File(File),
    Stdin(std::io::Stdin),
}

/// Reads lines and emits each as one record whose value is the line (a STRING, no newline).
pub struct FileSourceTask {
    input: Option<Input>,
    topic: Arc<str>,
    batch_size: usize,
    partition: Arc<JsonMap>,
    /// Byte position of the start of `pending` in the file.
    position: u64,
    /// Read but not yet emitted bytes (at most one partial line between polls).
    pending: BytesMut,
    filename: Option<String>,
}

impl std::fmt::Debug for FileSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSourceTask")
            .field("filename", &self.filename)
            .field("topic", &self.topic)
            .field("position", &self.position)
            .finish()
    }
}

impl Default for FileSourceTask {
    fn default() -> Self {
        Self {
            input: None,
            topic: Arc::from(""),
            batch_size: 2000,
            partition: Arc::new(JsonMap::new()),
            position: 0,
            pending: BytesMut::new(),
            filename: None,
        }
    }
}

impl FileSourceTask {
    fn io_error(&self, what: &str, e: std::io::Error) -> TaskError {
        let name = self.filename.as_deref().unwrap_or("stdin");
        TaskError::with_source(ErrorClass::Retriable, format!("{what} {name}: {e}"), e)
    }

    /// Reads one chunk; returns the number of bytes read (0 at end of input).
    fn fill(&mut self) -> Result<usize, TaskError> {
        let start = self.pending.len();
        self.pending.resize(start + READ_CHUNK, 0);
        let read = match self.input.as_mut() {
            Some(Input::File(f)) => f.read(&mut self.pending[start..]),
            Some(Input::Stdin(s)) => s.read(&mut self.pending[start..]),
            None => Ok(0),
        };
        match read {
            Ok(n) => {
                self.pending.truncate(start + n);
                Ok(n)
            }
            Err(e) => {
                self.pending.truncate(start);
                Err(self.io_error("cannot read", e))
            }
        }
    }

    /// A record of `line`; its offset is set by `poll` on the last record of the batch only.
    fn record(&self, line: Bytes) -> SourceRecord {
        // Like Kafka Connect's UTF-8 reader, malformed bytes become U+FFFD.
        let text = Str::from_utf8(line.clone())
            .unwrap_or_else(|_| Str::from(String::from_utf8_lossy(&line).into_owned()));
        SourceRecord {
            source_partition: Arc::clone(&self.partition),
            source_offset: JsonMap::new(),
            topic: Arc::clone(&self.topic),
            kafka_partition: None,
            key: Payload::Null,
            value: Payload::Data(SchemaAndValue::new(
                Some(Schema::string()),
                DataValue::String(text),
            )),
            timestamp: None,
            headers: Vec::new(),
        }
    }
}

impl FileSourceTask {
    /// Puts the position after the batch on its last record: all of a batch's records are
    /// acknowledged before its offset is committed, so one offset per batch is enough and
    /// saves a map per line.
    fn positioned(&self, mut records: Vec<SourceRecord>) -> Vec<SourceRecord> {
        if let Some(last) = records.last_mut() {
            last.source_offset
                .insert("position".to_owned(), Value::from(self.position));
        }
        records
    }
}

#[async_trait(?Send)]
impl SourceTask for FileSourceTask {
    async fn start(
        &mut self,
        config: &Properties,
        context: &SourceTaskContext,
    ) -> Result<(), TaskError> {
        self.topic = Arc::from(config.get(TOPIC).map(String::as_str).unwrap_or_default());
        self.batch_size = config
            .get(BATCH_SIZE)
            .map(String::as_str)
            .unwrap_or(DEFAULT_BATCH_SIZE)
            .trim()
            .parse()
            .map_err(|_| {
                TaskError::new(ErrorClass::Config, format!("{BATCH_SIZE} is not a number"))
            })?;
        self.filename = config
            .get(FILE)
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty());
        match &self.filename {
            None => self.input = Some(Input::Stdin(std::io::stdin())),
            Some(name) => {
                let mut partition = JsonMap::new();
                partition.insert("filename".to_owned(), Value::from(name.clone()));
                let position = context
                    .offset(&partition)
                    .and_then(|o| o.get("position"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                self.partition = Arc::new(partition);
                let mut file = File::open(name).map_err(|e| self.io_error("cannot open", e))?;
                if position > 0 {
                    file.seek(SeekFrom::Start(position))
                        .map_err(|e| self.io_error("cannot seek in", e))?;
                    tracing::info!(message = "Resuming file source.", file = %name, position);
                }
                self.position = position;
                self.input = Some(Input::File(file));
            }
        }
        Ok(())
    }

    async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
        let mut records = Vec::new();
        loop {
            // Emit complete lines already buffered.
            while records.len() < self.batch_size {
                let Some(newline) = memchr::memchr(b'\n', &self.pending) else {
                    break;
                };
                let mut line = self.pending.split_to(newline + 1).freeze();
                self.position += line.len() as u64;
                line.truncate(line.len() - 1);
                if line.last() == Some(&b'\r') {
                    line.truncate(line.len() - 1);
                }
                records.push(self.record(line));
            }
            if records.len() >= self.batch_size {
                return Ok(Some(self.positioned(records)));
            }
            if self.fill()? == 0 {
                if !records.is_empty() {
                    return Ok(Some(self.positioned(records)));
                }
                if matches!(self.input, Some(Input::Stdin(_))) && self.pending.is_empty() {
                    return Ok(None);
                }
                // Tail the file: new lines may be appended.
                glommio::timer::sleep(EOF_WAIT).await;
                return Ok(Some(records));
            }
        }
    }
}
