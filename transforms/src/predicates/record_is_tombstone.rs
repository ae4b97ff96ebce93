//! `RecordIsTombstone`: true for records whose value is null.

use crate::config::PluginConfig;
use crate::{ConnectRecord, Predicate};
use connect_api::config::ConfigDef;

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
    use crate::testing::*;
    use connect_api::data::Value;

    #[test]
    fn tombstones() {
        let p = predicate("RecordIsTombstone", &[]);
        assert!(p.test(&value_record(sv(None, Value::Null))));
        assert!(!p.test(&value_record(sv(None, 1))));
    }
}
