//! `HasHeaderKey`: true for records with at least one header named `name`.

use crate::config::PluginConfig;
use crate::{ConnectRecord, Predicate};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};

pub(crate) const DOC: &str =
    "A predicate which is true for records with at least one header with the configured name.";

const NAME: &str = "name";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(NAME, ConfigType::String, "The header name.")
            .importance(Importance::Medium)
            .validate(Validator::NonEmpty),
    ])
}

#[derive(Debug)]
struct HasHeaderKey {
    name: String,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>) -> Option<Box<dyn Predicate>> {
    let p: Box<dyn Predicate> = Box::new(HasHeaderKey {
        name: cfg.string(NAME)?,
    });
    cfg.done(p)
}

impl Predicate for HasHeaderKey {
    fn test(&self, record: &ConnectRecord) -> bool {
        record.has_header(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use crate::ConnectHeader;
    use crate::testing::*;
    use connect_api::data::{SchemaAndValue, Value};

    #[test]
    fn finds_headers() {
        let p = predicate("HasHeaderKey", &[("name", "h")]);
        let mut r = value_record(sv(None, Value::Null));
        assert!(!p.test(&r));
        r.headers
            .push(ConnectHeader::new("h", SchemaAndValue::default()));
        assert!(p.test(&r));
        assert_eq!(config_errors("HasHeaderKey", &[("name", "")])[0].0, "name");
        assert_eq!(config_errors("HasHeaderKey", &[])[0].0, "name");
    }
}
