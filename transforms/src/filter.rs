//! `Filter`: drops every record. Used with a predicate to drop the records that match (or, with
//! `negate=true`, the ones that do not).

use super::config::PluginConfig;
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::ConfigDef;

pub(crate) const DOC: &str = "Drops all records, filtering them from subsequent transformations \
in the chain. This is intended to be used conditionally to filter out records matching (or not \
matching) a particular Predicate.";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::default()
}

#[derive(Debug)]
struct Filter;

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    let t: Box<dyn Transform> = Box::new(Filter);
    cfg.done(t)
}

impl Transform for Filter {
    fn apply(&self, _record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use connect_api::data::Value;

    #[test]
    fn drops_everything() {
        let t = transform("org.apache.kafka.connect.transforms.Filter", &[]);
        assert_eq!(
            t.apply(value_record(sv(None, Value::Int32(1)))).unwrap(),
            None
        );
    }
}
