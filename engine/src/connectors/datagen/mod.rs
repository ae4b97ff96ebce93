//! The datagen source: seeded, reproducible records of built-in quickstart data sets (users,
//! pageviews, orders — nested fields and logical types included) or of a user's Avro schema
//! ([`user_schema`]), emitted as Connect data so any converter applies. For demos, load tests and pipeline tests whose output can be checked record
//! by record against [`generate`].

pub mod config;
pub mod quickstart;
mod source;
pub mod user_schema;

use connect_api::config::{ConfigDef, Properties};
use connect_api::{Connector, SourceConnector};

pub use quickstart::{Quickstart, generate};
pub use source::DatagenTask;
pub use user_schema::UserSchema;

/// Splits the sequence over `tasks.max` tasks: task `i` makes records `i`, `i + n`, `i + 2n`, ...
#[derive(Debug, Default)]
pub struct DatagenConnector;

impl SourceConnector for DatagenConnector {
    type Task = DatagenTask;
    const CLASS: &'static str = "io.confluent.kafka.connect.datagen.DatagenConnector";
    const ALIASES: &'static [&'static str] = &["DatagenConnector", "datagen"];
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Connector for DatagenConnector {
    fn config_def(&self) -> ConfigDef {
        config::def()
    }

    fn task_configs(&self, props: &Properties, max_tasks: usize) -> Vec<Properties> {
        let tasks = max_tasks.max(1);
        (0..tasks)
            .map(|i| {
                let mut p = props.clone();
                p.insert(config::TASK_INDEX.to_owned(), i.to_string());
                p.insert(config::TASK_COUNT.to_owned(), tasks.to_string());
                p
            })
            .collect()
    }

    /// The records are a function of the index the offsets hold.
    fn exactly_once_support(&self, _config: &Properties) -> Option<bool> {
        Some(true)
    }
}
