//! `DropHeaders`: removes every header with one of the given names.

use std::collections::HashSet;

use super::config::PluginConfig;
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str = "Removes one or more headers from each record.";

const HEADERS: &str = "headers";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([ConfigKey::required(
        HEADERS,
        ConfigType::List,
        "The name of the headers to be removed.",
    )])
}

#[derive(Debug)]
struct DropHeaders {
    headers: HashSet<String>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Transform>> {
    cfg.check_valid_list(HEADERS, false);
    let t: Box<dyn Transform> = Box::new(DropHeaders {
        headers: cfg.list(HEADERS).into_iter().collect(),
    });
    cfg.done(t)
}

impl Transform for DropHeaders {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        record.headers.retain(|h| !self.headers.contains(&*h.key));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use crate::ConnectHeader;
    use crate::testing::*;
    use connect_api::data::{SchemaAndValue, Value};

    #[test]
    fn drops() {
        let t = transform("DropHeaders", &[("headers", "a,b")]);
        let mut r = value_record(sv(None, Value::Null));
        for k in ["a", "c", "b", "a"] {
            r.headers
                .push(ConnectHeader::new(k, SchemaAndValue::default()));
        }
        let out = apply(&*t, r);
        assert_eq!(
            out.headers,
            [ConnectHeader::new("c", SchemaAndValue::default())]
        );
        assert_eq!(
            config_errors("DropHeaders", &[("headers", "")])[0].0,
            "headers"
        );
    }
}
