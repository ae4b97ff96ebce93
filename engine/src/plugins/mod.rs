//! The plugins a worker can run — connectors, transforms, predicates, converters and header
//! converters — as one value, [`Plugins`], that the modes, the herder, the REST API and
//! `wharf docs` are given. The built-ins are registered in one place, [`Plugins::builtin`]; a
//! binary of one's own adds its connectors to them:
//!
//! ```no_run
//! # use connect_api::{async_trait, Config, ConfigDef, Connector, Properties, SinkConnector,
//! #     SinkRecord, SinkTask, TaskError};
//! #[derive(Default)]
//! struct MySink;
//! # impl Connector for MySink {
//! #     fn config_def(&self) -> ConfigDef { ConfigDef::default() }
//! #     fn task_configs(&self, c: &Properties, _: usize) -> Vec<Properties> { vec![c.clone()] }
//! # }
//! # #[derive(Default)]
//! # struct MySinkTask;
//! # #[async_trait(?Send)]
//! # impl SinkTask for MySinkTask {
//! #     async fn start(&mut self, _: &Config) -> Result<(), TaskError> { Ok(()) }
//! #     async fn put(&mut self, _: &[SinkRecord]) -> Result<(), TaskError> { Ok(()) }
//! #     async fn flush(&mut self) -> Result<(), TaskError> { Ok(()) }
//! # }
//! impl SinkConnector for MySink {
//!     type Task = MySinkTask;
//!     const CLASS: &'static str = "com.example.MySink";
//!     const VERSION: &'static str = "1.0.0";
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     engine::main(engine::plugins::Plugins::builtin().with_sink::<MySink>())
//! }
//! ```

use connect_api::{Connector, ConnectorType, SinkConnector, SinkTask, SourceConnector, SourceTask};
use converters::catalog::ConverterClass;
use transforms::catalog::{self as transform_catalog, PluginInfo};

use crate::connectors::{datagen, file, mirror};

/// Kafka Connect's default header converter, which wharf's header handling follows.
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// A connector plugin: its names and how to make its parts.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorPlugin {
    /// The class name `GET /connector-plugins` reports.
    pub class: &'static str,
    /// Other names accepted in `connector.class` (Kafka Connect's simple-name alias first).
    pub aliases: &'static [&'static str],
    pub kind: ConnectorType,
    pub version: &'static str,
    pub connector: fn() -> Box<dyn Connector>,
    pub task: TaskFactory,
}

impl ConnectorPlugin {
    /// Whether `name` (trimmed) is its class name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.trim();
        self.class == name || self.aliases.contains(&name)
    }

    /// The plugin of source connector `C`.
    pub fn source<C: SourceConnector>() -> Self {
        Self {
            class: C::CLASS,
            aliases: C::ALIASES,
            kind: ConnectorType::Source,
            version: C::VERSION,
            connector: || Box::new(C::default()),
            task: TaskFactory::Source(|| Box::new(C::Task::default())),
        }
    }

    /// The plugin of sink connector `C`.
    pub fn sink<C: SinkConnector>() -> Self {
        Self {
            class: C::CLASS,
            aliases: C::ALIASES,
            kind: ConnectorType::Sink,
            version: C::VERSION,
            connector: || Box::new(C::default()),
            task: TaskFactory::Sink(|| Box::new(C::Task::default())),
        }
    }
}

/// Makes a task of the plugin's kind.
#[derive(Debug, Clone, Copy)]
pub enum TaskFactory {
    Source(fn() -> Box<dyn SourceTask>),
    Sink(fn() -> Box<dyn SinkTask>),
}

/// Every plugin a worker can run.
#[derive(Debug, Clone)]
pub struct Plugins {
    connectors: Vec<ConnectorPlugin>,
    transforms: Vec<&'static PluginInfo>,
    converters: Vec<ConverterClass>,
    header_converters: Vec<&'static str>,
}

impl Plugins {
    /// No plugins at all (a base to add chosen ones to).
    pub fn empty() -> Self {
        Self {
            connectors: Vec::new(),
            transforms: Vec::new(),
            converters: Vec::new(),
            header_converters: Vec::new(),
        }
    }

    /// The built-ins: the file and datagen connectors, every Kafka Connect transform and
    /// predicate, and the converters of the `converters` crate. The one place that names them.
    pub fn builtin() -> Self {
        let converters: Vec<ConverterClass> = ConverterClass::ALL
            .into_iter()
            .filter(|c| c.is_available())
            .collect();
        let mut header_converters = vec![SIMPLE_HEADER_CONVERTER];
        header_converters.extend(converters.iter().map(|c| c.class_name()));
        Self {
            connectors: Vec::new(),
            transforms: transform_catalog::plugins().iter().collect(),
            converters,
            header_converters,
        }
        .with_source::<file::FileSourceConnector>()
        .with_source::<datagen::DatagenConnector>()
        .with_source::<mirror::MirrorSourceConnector>()
        .with_sink::<file::FileSinkConnector>()
    }

    /// Adds source connector `C`.
    pub fn with_source<C: SourceConnector>(self) -> Self {
        self.with_connector(ConnectorPlugin::source::<C>())
    }

    /// Adds sink connector `C`.
    pub fn with_sink<C: SinkConnector>(self) -> Self {
        self.with_connector(ConnectorPlugin::sink::<C>())
    }

    /// Adds a connector plugin; one of the same class replaces the earlier one.
    pub fn with_connector(mut self, plugin: ConnectorPlugin) -> Self {
        self.connectors.retain(|p| p.class != plugin.class);
        self.connectors.push(plugin);
        self
    }

    /// The connector plugins, in the order they were added.
    pub fn connectors(&self) -> &[ConnectorPlugin] {
        &self.connectors
    }

    /// The connector plugin `name` (class name or alias) names.
    pub fn connector(&self, name: &str) -> Option<&ConnectorPlugin> {
        self.connectors.iter().find(|p| p.answers_to(name))
    }

    /// The transforms and predicates.
    pub fn transforms(&self) -> &[&'static PluginInfo] {
        &self.transforms
    }

    /// The transform or predicate `name` (class name or alias) names.
    pub fn transform(&self, name: &str) -> Option<&'static PluginInfo> {
        let name = name.trim();
        self.transforms.iter().copied().find(|p| p.answers_to(name))
    }

    /// The converters (`key.converter`, `value.converter`).
    pub fn converters(&self) -> &[ConverterClass] {
        &self.converters
    }

    /// The header converters (`header.converter`).
    pub fn header_converters(&self) -> &[&'static str] {
        &self.header_converters
    }
}
