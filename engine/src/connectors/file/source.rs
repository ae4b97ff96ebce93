//! FileStreamSource's task.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use connect_api::data::{Schema, SchemaAndValue, Str, Value as DataValue};
use serde_json::Value;

use super::config::{BATCH_SIZE, DEFAULT_BATCH_SIZE, FILE, TOPIC, TRANSACTION_LINES};
use crate::offsets::JsonMap;
use connect_api::config::Config;
use connect_api::{ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError};

/// How long to wait at end of file before looking for new lines (Kafka Connect waits 1 s).
const EOF_WAIT: Duration = Duration::from_millis(200);
/// Bytes read from the file per read call.
const READ_CHUNK: usize = 256 * 1024;

enum Input {
    File(File),
    Stdin(StdinChunks),
}

/// Standard input, read by one thread of its own: a read from a terminal or pipe with no input
/// blocks, and must not block the shard (and every other task on it) nor keep the task from
/// hearing a stop. The thread is process-wide, like stdin: a task takes its chunks while it runs
/// and hands the receiver back when it ends, so a restarted task continues where the last one
/// stopped and no chunk read ahead is lost.
struct StdinChunks(Option<futures::channel::mpsc::Receiver<std::io::Result<Vec<u8>>>>);

type StdinReceiver = futures::channel::mpsc::Receiver<std::io::Result<Vec<u8>>>;

fn stdin_slot() -> &'static std::sync::Mutex<Option<StdinReceiver>> {
    static SLOT: std::sync::OnceLock<std::sync::Mutex<Option<StdinReceiver>>> =
        std::sync::OnceLock::new();
    SLOT.get_or_init(|| {
        let (mut tx, rx) = futures::channel::mpsc::channel(4);
        let spawned = std::thread::Builder::new()
            .name("wharf-stdin".to_owned())
            .spawn(move || {
                let mut stdin = std::io::stdin().lock();
                loop {
                    let mut chunk = vec![0; READ_CHUNK];
                    let read = stdin.read(&mut chunk).map(|n| {
                        chunk.truncate(n);
                        chunk
                    });
                    let end = !matches!(&read, Ok(c) if !c.is_empty());
                    if futures::executor::block_on(futures::SinkExt::send(&mut tx, read)).is_err()
                        || end
                    {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(message = "Cannot start the stdin reader thread.", error = %e);
        }
        std::sync::Mutex::new(Some(rx))
    })
}

impl StdinChunks {
    fn take() -> Self {
        Self(
            stdin_slot()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        )
    }
}

impl Drop for StdinChunks {
    fn drop(&mut self) {
        if let Some(rx) = self.0.take() {
            *stdin_slot().lock().unwrap_or_else(|p| p.into_inner()) = Some(rx);
        }
    }
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
    /// `wharf.transaction.lines` (0: none), the lines emitted since the last boundary, and
    /// whether the batch just returned ended a transaction.
    transaction_lines: usize,
    lines_in_transaction: usize,
    boundary_reached: bool,
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
            transaction_lines: 0,
            lines_in_transaction: 0,
            boundary_reached: false,
        }
    }
}

impl FileSourceTask {
    fn io_error(&self, what: &str, e: std::io::Error) -> TaskError {
        let name = self.filename.as_deref().unwrap_or("stdin");
        TaskError::with_source(ErrorClass::Retriable, format!("{what} {name}: {e}"), e)
    }

    /// Reads one chunk; returns the number of bytes read (0 at end of input). Waits for stdin
    /// without blocking the shard.
    async fn fill(&mut self) -> Result<usize, TaskError> {
        let start = self.pending.len();
        if let Some(Input::Stdin(chunks)) = self.input.as_mut() {
            let read = match chunks.0.as_mut() {
                Some(rx) => futures::StreamExt::next(rx).await.unwrap_or(Ok(Vec::new())),
                None => Err(std::io::Error::other(
                    "standard input is already read by another task",
                )),
            };
            return match read {
                Ok(chunk) => {
                    self.pending.extend_from_slice(&chunk);
                    Ok(chunk.len())
                }
                Err(e) => Err(self.io_error("cannot read", e)),
            };
        }
        self.pending.resize(start + READ_CHUNK, 0);
        let read = match self.input.as_mut() {
            Some(Input::File(f)) => f.read(&mut self.pending[start..]),
            Some(Input::Stdin(_)) | None => Ok(0),
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
    fn positioned(&mut self, mut records: Vec<SourceRecord>) -> Vec<SourceRecord> {
        if self.transaction_lines > 0 {
            self.lines_in_transaction += records.len();
            if self.lines_in_transaction >= self.transaction_lines {
                self.lines_in_transaction = 0;
                self.boundary_reached = true;
            }
        }
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
        config: &Config,
        context: &SourceTaskContext,
    ) -> Result<(), TaskError> {
        let config = config.raw();
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
        self.transaction_lines = config
            .get(TRANSACTION_LINES)
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        self.filename = config
            .get(FILE)
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty());
        match &self.filename {
            None => self.input = Some(Input::Stdin(StdinChunks::take())),
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
        // A batch never crosses a transaction boundary the connector defines.
        let limit = match self.transaction_lines {
            0 => self.batch_size,
            n => self.batch_size.min(n - self.lines_in_transaction),
        };
        loop {
            // Emit complete lines already buffered.
            while records.len() < limit {
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
            if records.len() >= limit {
                return Ok(Some(self.positioned(records)));
            }
            if self.fill().await? == 0 {
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

    fn commit_requested(&mut self) -> bool {
        std::mem::take(&mut self.boundary_reached)
    }
}
