//! The file connectors: FileStreamSource and FileStreamSink, with Kafka Connect's config keys and
//! class names.
//!
//! The source reads lines and records its byte position as the offset
//! (`{"filename": ..}` → `{"position": ..}`), so a restarted task resumes after the last line whose
//! record Kafka acknowledged. The sink appends each record's value and a newline, and `flush`
//! fsyncs the file before the runtime commits the consumer offsets.

pub mod config;
mod sink;
mod source;

use connect_api::config::{ConfigDef, Properties};
use connect_api::{Connector, SinkConnector, SourceConnector};

pub use sink::FileSinkTask;
pub use source::FileSourceTask;

/// Plans one source task: a file is read sequentially.
#[derive(Debug, Default)]
pub struct FileSourceConnector;

impl SourceConnector for FileSourceConnector {
    type Task = FileSourceTask;
    const CLASS: &'static str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
    const ALIASES: &'static [&'static str] = &[
        "FileStreamSource",
        "FileStreamSourceConnector",
        "file-source",
    ];
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Connector for FileSourceConnector {
    fn config_def(&self) -> ConfigDef {
        config::source_def()
    }

    fn task_configs(&self, config: &Properties, _max_tasks: usize) -> Vec<Properties> {
        vec![config.clone()]
    }

    /// A file can be read again from a committed position; standard input cannot.
    fn exactly_once_support(&self, config: &Properties) -> Option<bool> {
        Some(
            config
                .get(config::FILE)
                .is_some_and(|f| !f.trim().is_empty()),
        )
    }

    fn can_define_transaction_boundaries(&self, config: &Properties) -> bool {
        config
            .get(config::TRANSACTION_LINES)
            .and_then(|n| n.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
    }
}

/// Plans `tasks.max` sink tasks, all appending to the same file as Kafka Connect's FileStreamSink
/// does. Each task writes whole batches with one `O_APPEND` write, so lines of different tasks
/// never interleave; the order of lines is kept per partition, not across partitions.
#[derive(Debug, Default)]
pub struct FileSinkConnector;

impl SinkConnector for FileSinkConnector {
    type Task = FileSinkTask;
    const CLASS: &'static str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
    const ALIASES: &'static [&'static str] =
        &["FileStreamSink", "FileStreamSinkConnector", "file-sink"];
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Connector for FileSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config::sink_def()
    }

    fn task_configs(&self, config: &Properties, max_tasks: usize) -> Vec<Properties> {
        // stdout is one stream: more writers would only interleave.
        let stdout = config.get(config::FILE).is_none_or(|f| f.trim().is_empty());
        // Exactly once keeps one offsets file beside the data file and cuts the data file back
        // to it after a crash: one writer.
        let exactly_once = config
            .get(config::EXACTLY_ONCE)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let tasks = if stdout || exactly_once {
            1
        } else {
            max_tasks.max(1)
        };
        vec![config.clone(); tasks]
    }
}
