//! `RecordIsTombstone`: true for records whose value is null.

use crate::config::ConfigDef;
use crate::transforms::config::PluginConfig;
use crate::transforms::{ConnectRecord, Predicate};

pub(crate) const DOC: &str =
    "A predicate which is true for records which are tombstones (i.e. have null value).";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::default()
}

#[derive(Debug)]
struct RecordIsTombstone;

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Predicate>> {
    let p: Box<dyn Predicate> = Box::new(RecordIsTombstone);
    cfg.done(p)
}

impl Predicate for RecordIsTombstone {
    fn test(&self, record: &ConnectRecord) -> bool {
        record.value.value.is_null()
    }
}

#[cfg(test)]
mod tests {
    use crate::transforms::testing::*;
    use converters::data::Value;

    #[test]
    fn tombstones() {
        let p = predicate("RecordIsTombstone", &[]);
        assert!(p.test(&value_record(sv(None, Value::Null))));
        assert!(!p.test(&value_record(sv(None, 1))));
    }
}
