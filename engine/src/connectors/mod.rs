//! Built-in connectors, one folder each, and the one place that names them all.

pub mod datagen;
pub mod file;

use connect_api::{Connector, ConnectorType, SinkTask, SourceTask};

/// A built-in connector plugin: its names and how to make its parts.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    /// Kafka Connect's class name, reported by `GET /connector-plugins`.
    pub class: &'static str,
    /// Other names accepted in `connector.class` (Kafka Connect's simple-name alias first).
    pub aliases: &'static [&'static str],
    pub kind: ConnectorType,
    pub version: &'static str,
    pub connector: fn() -> Box<dyn Connector>,
    pub task: TaskFactory,
}

/// Makes a task of the plugin's kind.
#[derive(Debug, Clone, Copy)]
pub enum TaskFactory {
    Source(fn() -> Box<dyn SourceTask>),
    Sink(fn() -> Box<dyn SinkTask>),
}

/// Every built-in connector.
pub fn plugins() -> &'static [Plugin] {
    const VERSION: &str = env!("CARGO_PKG_VERSION");
    &[
        Plugin {
            class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
            aliases: &[
                "FileStreamSource",
                "FileStreamSourceConnector",
                "file-source",
            ],
            kind: ConnectorType::Source,
            version: VERSION,
            connector: || Box::new(file::FileSourceConnector),
            task: TaskFactory::Source(|| Box::<file::FileSourceTask>::default()),
        },
        Plugin {
            class: "io.confluent.kafka.connect.datagen.DatagenConnector",
            aliases: &["DatagenConnector", "datagen"],
            kind: ConnectorType::Source,
            version: VERSION,
            connector: || Box::new(datagen::DatagenConnector),
            task: TaskFactory::Source(|| Box::<datagen::DatagenTask>::default()),
        },
        Plugin {
            class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
            aliases: &["FileStreamSink", "FileStreamSinkConnector", "file-sink"],
            kind: ConnectorType::Sink,
            version: VERSION,
            connector: || Box::new(file::FileSinkConnector),
            task: TaskFactory::Sink(|| Box::<file::FileSinkTask>::default()),
        },
    ]
}

/// Finds a plugin by class name or alias.
pub fn find(name: &str) -> Option<&'static Plugin> {
    let name = name.trim();
    plugins()
        .iter()
        .find(|p| p.class == name || p.aliases.contains(&name))
}
