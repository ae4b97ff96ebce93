//! FileStreamSink's task.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};

use async_trait::async_trait;

use super::config::FILE;
use crate::config::Properties;
use crate::connector::{ErrorClass, Payload, SinkRecord, SinkTask, TaskError};

enum Output {
    File(BufWriter<File>),
    Stdout(BufWriter<std::io::Stdout>),
}

/// Appends each record's value and a newline; each batch is written when `put` returns and
/// `flush` makes it durable (fsync).
#[derive(Default)]
pub struct FileSinkTask {
    output: Option<Output>,
    filename: Option<String>,
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

    fn writer(&mut self) -> Result<&mut dyn Write, TaskError> {
        match self.output.as_mut() {
            Some(Output::File(w)) => Ok(w),
            Some(Output::Stdout(w)) => Ok(w),
            None => Err(TaskError::new(
                ErrorClass::Fatal,
                "file sink used before start",
            )),
        }
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
        let result: std::io::Result<()> = (|| {
            let out = self.writer().map_err(std::io::Error::other)?;
            for record in &records {
                // Kafka Connect writes `value.toString()`; a null value prints "null".
                match &record.value {
                    Payload::Raw(bytes) => out.write_all(bytes)?,
                    Payload::Null => out.write_all(b"null")?,
                }
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
